"""What a newcomer meets first: `make demo` prints the README's output, the README's commands
give the outputs it shows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from decisionlang import cli

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")
PLAIN = {"NO_COLOR": "", "FORCE_COLOR": "", "TERM": "dumb"}


def sample(command: str) -> str:
    """The output the README shows under `$ .venv/bin/decisionlang COMMAND`, up to the next `$ ` line
    or the end of its code block."""
    match = re.search(
        rf"^\$ \.venv/bin/decisionlang {re.escape(command)}\n(.*?)^(?:\$ |```)", README, re.S | re.M
    )
    assert match, f"the README shows no `decisionlang {command}`"
    return match.group(1)


def run(command: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.main, command.split(), env=PLAIN, catch_exceptions=False)
    return result.exit_code, result.stdout


def make_recipe(target: str) -> tuple[list[str], list[str]]:
    """A Makefile rule's prerequisites and recipe lines, as written."""
    match = re.search(rf"^{re.escape(target)}:([^\n]*)\n((?:\t[^\n]*\n)*)", MAKEFILE, re.M)
    assert match, f"no `{target}` rule in the Makefile"
    return match.group(1).split(), [line.strip() for line in match.group(2).splitlines()]


def test_the_readme_check_output_is_the_output() -> None:
    command = "check examples/quickstart --as-of 2026-11-26"
    code, stdout = run(command)
    assert code == cli.EXIT_NO_GO
    assert f"$ echo $?\n{cli.EXIT_NO_GO}\n" in README
    assert stdout == sample(command)


def test_the_readme_validate_output_is_the_output() -> None:
    code, stdout = run("validate examples/quickstart")
    assert code == cli.EXIT_OK
    assert stdout == sample("validate examples/quickstart")


def test_the_readme_explain_ends_as_the_readme_says() -> None:
    command = "explain fax-gateway examples/quickstart --as-of 2026-11-26"
    assert f"$ .venv/bin/decisionlang {command}\n" in README
    ending = re.search(r"which ends with\n\n```\n(.*?)```", README, re.S)
    assert ending
    _, stdout = run(command)
    assert stdout.endswith(ending.group(1))


def test_make_demo_runs_the_readme_command_with_the_runtime_only() -> None:
    prerequisites, recipe = make_recipe("demo")
    assert prerequisites == ["$(RUNTIME_STAMP)"]
    as_of = re.search(r"^DEMO_AS_OF := (\S+)$", MAKEFILE, re.M)
    assert as_of
    command = f"check examples/quickstart --as-of {as_of.group(1)}"
    assert [line.replace("$(DEMO_AS_OF)", as_of.group(1)) for line in recipe] == [
        f"$(BIN)/decisionlang {command} || test $$? -eq 1"
    ]
    assert sample(command)  # the README shows this very command's output
    _, install = make_recipe("$(RUNTIME_STAMP)")
    pip = [line for line in install if " pip install" in line]
    assert pip == ["$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ."], (
        "make demo installs the runtime dependencies only, no extra"
    )


@pytest.mark.parametrize("document", ["README.md", "docs/ci.md", "examples/github-workflow.yml"])
def test_no_document_promises_a_release_that_does_not_exist(document: str) -> None:
    """decisionlang is not on PyPI and has no release tags: no install line or pin says otherwise."""
    text = (ROOT / document).read_text(encoding="utf-8")
    assert not re.search(r"decisionlang@v\d|rev: v\d", text)
    for line in re.findall(r"pip install [^\n]*", text):
        assert not re.fullmatch(r"pip install (--\S+ )*decisionlang(\[\w+\])?\s*(#.*)?", line), line

"""Shell completion: commands and options by click, subject, policy and rule names by decisionlang,
in bash for real and through click's completion classes for zsh and fish."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.shell_completion import BashComplete, FishComplete, ShellComplete, ZshComplete

from decisionlang import cli

ROOT = Path(__file__).parent.parent
QUICKSTART = "examples/quickstart"
SUBJECTS = ["data-lake", "fax-gateway", "ledger-db", "legacy-crm", "payments-api", "website"]


def completions(args: list[str], incomplete: str, shell: type[ShellComplete] = BashComplete) -> list[str]:
    complete = shell(cli.main, {}, "decisionlang", "_DECISIONLANG_COMPLETE")
    return [item.value for item in complete.get_completions(args, incomplete)]


@pytest.fixture(autouse=True)
def at_the_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_commands_and_options_complete() -> None:
    assert {"check", "explain", "test", "validate"} <= set(completions([], ""))
    assert "--service" in completions(["check"], "--s")


def test_subjects_of_the_directory_given_complete() -> None:
    assert completions(["check", QUICKSTART, "--service"], "") == SUBJECTS
    assert completions(["check", QUICKSTART, "-s"], "le") == ["ledger-db", "legacy-crm"]


def test_explain_completes_subjects_of_the_current_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / QUICKSTART)
    assert completions(["explain"], "l") == ["ledger-db", "legacy-crm"]


def test_policies_and_rules_complete() -> None:
    names = completions(["explain", "legacy-crm", QUICKSTART, "--rule"], "change_readiness")
    assert names[0] == "change_readiness"
    assert "change_readiness.unsupported" in names and "on_call" not in names
    assert completions(["explain", "legacy-crm", QUICKSTART, "--rule"], "on_") == [
        "on_call",
        "on_call.no_on_call",
    ]


def test_a_directory_that_does_not_load_completes_nothing(tmp_path: Path) -> None:
    (tmp_path / "broken.policy").write_text("policy {", encoding="utf-8")
    assert completions(["check", str(tmp_path), "--service"], "") == []
    assert completions(["check", str(tmp_path / "absent"), "--service"], "") == []


@pytest.mark.parametrize("shell", [ZshComplete, FishComplete])
def test_zsh_and_fish_get_the_kind_as_help(shell: type[ShellComplete]) -> None:
    complete = shell(cli.main, {}, "decisionlang", "_DECISIONLANG_COMPLETE")
    items = complete.get_completions(["check", QUICKSTART, "--service"], "web")
    assert [(item.value, item.help) for item in items] == [("website", "service")]
    assert "website" in complete.format_completion(items[0])


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_through_the_script_the_docs_install() -> None:
    """The line docs/cli.md gives for ~/.bashrc, then a Tab after `--service le`, in a real bash."""
    script = """
        eval "$(_DECISIONLANG_COMPLETE=bash_source decisionlang)"
        COMP_WORDS=(decisionlang check examples/quickstart --service le); COMP_CWORD=4
        _decisionlang_completion decisionlang
        printf '%s\\n' "${COMPREPLY[@]}"
    """
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    if shutil.which("decisionlang", path=env["PATH"]) is None:
        pytest.skip("no decisionlang command beside this Python")
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ledger-db", "legacy-crm"]
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert 'eval "$(_DECISIONLANG_COMPLETE=bash_source decisionlang)"' in docs

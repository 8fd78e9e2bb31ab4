"""CLI start-up: commands are imported only when they run, and `--help` reads the same as if
every command were loaded. (Start-up time itself is measured in benchmarks/, not asserted here.)"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from decisionlang import cli

ROOT = Path(__file__).parent.parent


def _loaded(name: str) -> click.Command:
    where = cli.COMMANDS[name]
    command = getattr(importlib.import_module(where.module), where.attribute)
    assert isinstance(command, click.Command)
    return command


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_summary_is_the_first_sentence_of_the_commands_help(name: str) -> None:
    command = _loaded(name)
    assert command.name == name
    assert cli.COMMANDS[name].summary == click.Command(name, help=command.help).get_short_help_str(10_000)


def test_help_reads_as_with_every_command_loaded() -> None:
    eager = click.Group("main", help=cli.main.help, params=cli.main.params)
    for name in cli.COMMANDS:
        eager.add_command(_loaded(name), name)
    fresh = cli.LazyGroup("main", lazy=cli.COMMANDS, help=cli.main.help, params=cli.main.params)
    for width in (60, 80, 200):
        runner = CliRunner()
        expected = runner.invoke(eager, ["--help"], terminal_width=width, prog_name="decisionlang")
        actual = runner.invoke(fresh, ["--help"], terminal_width=width, prog_name="decisionlang")
        assert actual.exit_code == expected.exit_code == 0
        assert actual.stdout == expected.stdout


def _modules_after(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """The decisionlang and third-party modules a fresh `decisionlang ARGS` process imported."""
    script = (
        "import json, sys\n"
        "from decisionlang.cli import main\n"
        f"try:\n    main({list(args)!r})\n"
        "except SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True, env=env
    )
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


def test_help_and_version_import_no_command() -> None:
    for args in (["--help"], ["--version"]):
        modules = _modules_after(*args)
        startup = {"decisionlang.cli", "decisionlang._classcache"}
        assert not {m for m in modules if m.startswith("decisionlang.") and m not in startup}
        assert not {"pydantic", "lark", "ruamel.yaml", "re2"} & modules


def test_a_command_imports_only_its_own_module() -> None:
    modules = _modules_after("validate", "--help")
    commands = {where.module for where in cli.COMMANDS.values()}
    assert commands & modules == {"decisionlang.cli.validate"}


def test_a_warm_check_reads_no_yaml(tmp_path: Path) -> None:
    """A check answered from the cache (the quickstart has no waiver or settings file) imports
    neither the YAML reader nor pydantic nor the grammar: the second of two runs (two processes,
    about a second in all: the only way to see what a fresh process imports)."""
    env = {**os.environ, "DECISIONLANG_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("DECISIONLANG_NO_CACHE", None)
    _modules_after("check", "examples/quickstart", env=env)  # cold: writes the entries
    modules = _modules_after("check", "examples/quickstart", env=env)
    assert "decisionlang.cli.check" in modules
    assert not {"pydantic", "lark", "ruamel.yaml", "decisionlang.inputs.yamlreader"} & modules


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli.main, ["chek"])
    assert result.exit_code == cli.EXIT_INVALID
    assert "No such command 'chek'" in result.output


def test_exit_codes_and_write_atomically_are_still_exported() -> None:
    from decisionlang.cli.common import EXIT_NO_GO
    from decisionlang.cli.output import write_atomically

    assert cli.EXIT_NO_GO == EXIT_NO_GO
    assert cli.write_atomically is write_atomically
    with pytest.raises(AttributeError):
        _ = cli.no_such_name  # type: ignore[attr-defined]


def test_version_is_the_packages() -> None:
    from importlib import metadata

    import decisionlang

    result = CliRunner().invoke(cli.main, ["--version"], prog_name="decisionlang")
    assert result.exit_code == 0
    assert result.output == f"decisionlang, version {decisionlang.__version__}\n"
    assert decisionlang.__version__ == metadata.version("decisionlang")

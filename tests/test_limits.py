"""The YAML limits set in decisionlang.yaml (`limits:`) and by flags: flags win, defaults otherwise."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support import write_project

from decisionlang import cli
from decisionlang.api import load_project
from decisionlang.inputs.limits import YamlLimits, effective_limits, parse_size

DEEP_STATE = "services:\n  - name: deep\n    owner: t\n    x:\n      y:\n        z: 1\n"


def codes(root: Path, **kwargs: object) -> list[str]:
    return [d.code for d in load_project(root, cache=False, **kwargs).errors]  # type: ignore[arg-type]


def test_the_defaults_are_todays() -> None:
    assert effective_limits(None) == YamlLimits(5_000_000, 64, 100, 100_000)


def test_decisionlang_yaml_sets_the_limits(tmp_path: Path) -> None:
    write_project(tmp_path, {"services/deep.yaml": DEEP_STATE})
    assert "DL-STATE-LIMIT" not in codes(tmp_path)
    write_project(tmp_path, {"decisionlang.yaml": "limits:\n  max_depth: 3\n"})
    assert "DL-STATE-LIMIT" in codes(tmp_path)


def test_a_flag_wins_over_decisionlang_yaml(tmp_path: Path) -> None:
    write_project(tmp_path, {"decisionlang.yaml": "limits:\n  max_file_size: 10 B\n"})
    assert "DL-STATE-LIMIT" in codes(tmp_path)
    assert "DL-STATE-LIMIT" not in codes(tmp_path, limits={"max_bytes": 1_000_000})


def test_the_file_size_flag_reads_sizes(tmp_path: Path) -> None:
    write_project(tmp_path)
    runner = CliRunner()
    env = {"DECISIONLANG_NO_CACHE": "1"}
    small = runner.invoke(cli.main, ["validate", str(tmp_path), "--max-file-size", "20"], env=env)
    assert small.exit_code == 2 and "DL-STATE-LIMIT" in small.output
    large = runner.invoke(cli.main, ["validate", str(tmp_path), "--max-file-size", "20MB"], env=env)
    assert large.exit_code == 0, large.output
    bad = runner.invoke(cli.main, ["validate", str(tmp_path), "--max-depth", "0"], env=env)
    assert bad.exit_code == 2 and "--max-depth must be a whole number from 1 to 500" in bad.output


@pytest.mark.parametrize(
    ("setting", "where", "message"),
    [
        ("limits:\n  max_depth: lots\n", "2:14", "`max_depth` must be a whole number from 1 to 500"),
        ("limits:\n  max_depth: 0\n", "2:14", "`max_depth` must be a whole number from 1 to 500"),
        ("limits:\n  max_file_size: 5 parsecs\n", "2:18", "`max_file_size` must be a size"),
        ("limits:\n  max_aliases: -1\n", "2:16", "`max_aliases` must be a whole number from 0"),
        ("limits:\n  max_nodes: 5\n", "2:3", "unknown limit `max_nodes`"),
    ],
)
def test_a_bad_limit_is_a_located_config_error(
    tmp_path: Path, setting: str, where: str, message: str
) -> None:
    write_project(tmp_path, {"decisionlang.yaml": setting})
    [error] = load_project(tmp_path, cache=False).errors
    assert (error.code, error.where) == ("DL-CONFIG", f"decisionlang.yaml:{where}")
    assert error.message.startswith(message)


@pytest.mark.parametrize(
    ("text", "size"),
    [(5, 5), ("5", 5), ("20 MB", 20_000_000), ("500kB", 500_000), ("1 GiB", 2**30), ("1_000", 1000)],
)
def test_sizes(text: object, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MB", "1.5 MB", "-1", "5 parsecs", True, 2.0])
def test_not_sizes(text: object) -> None:
    assert parse_size(text) is None

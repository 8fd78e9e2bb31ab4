"""The policy library in policies/: it validates, and its own tests pass with full rule coverage."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from decisionlang import cli
from decisionlang.engine.testing import run_tests

LIBRARY = Path(__file__).parent.parent / "policies"


def test_the_library_validates_without_errors() -> None:
    result = CliRunner().invoke(cli.main, ["validate", str(LIBRARY)])
    assert result.exit_code == cli.EXIT_OK, result.output
    assert "0 errors" in result.stdout


def test_the_library_tests_pass_with_full_rule_coverage() -> None:
    report = run_tests(LIBRARY)
    assert not report.errors, [str(d) for d in report.errors]
    assert report.failed == 0
    assert report.coverage.percent == 100
    assert len(report.cases) >= 100


def test_the_cli_gates_on_coverage() -> None:
    result = CliRunner().invoke(
        cli.main, ["test", str(LIBRARY), "--min-coverage", "100", "--as-of", "2026-11-26"]
    )
    assert result.exit_code == cli.EXIT_OK, result.output[-2000:]
    assert result.stdout.rstrip().splitlines()[-1].endswith("0 failed")

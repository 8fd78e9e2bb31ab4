"""The policy library in policies/: it validates, and its own tests pass with full rule coverage."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from decisionlang import cli
from decisionlang.engine.testing import run_tests

ROOT = Path(__file__).parent.parent
LIBRARY = ROOT / "policies"


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


def test_wsjf_inputs_are_on_the_modified_fibonacci_sequence(tmp_path: Path) -> None:
    """SAFe's WSJF estimates each input on the modified Fibonacci sequence 1, 2, 3, 5, 8, 13, 20:
    the library's schema accepts those values only, and names them."""
    from decisionlang.api import validate

    shutil.copytree(ROOT / "examples" / "scaleup", tmp_path / "repo")
    state = tmp_path / "repo" / "initiatives" / "infrastructure.yaml"
    state.write_text(
        state.read_text(encoding="utf-8").replace("job_size: 20}", "job_size: 4}"), encoding="utf-8"
    )
    [error] = [d for d in validate(tmp_path / "repo") if d.is_error]
    assert error.code == "DL-STATE-RANGE"
    assert error.message == "`wsjf.job_size` must be one of 1, 2, 3, 5, 8, 13, 20, got 4"

"""No silent pass from a typo: selectors matching nothing, waivers naming what cannot be waived, and
`--warnings-as-errors` for CI (issue item 9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support import MINIMAL_PROJECT, check_golden, write_project

from decisionlang import cli
from decisionlang.api import load_project
from decisionlang.core.diagnostics import render_text

GATE = MINIMAL_PROJECT["policies/gate.policy"]
TAGGED_STATE = MINIMAL_PROJECT["services/a.yaml"].replace(
    "    note: fine\n", "    note: fine\n    tags: [on-cluster]\n"
)


def _selecting(selector: str) -> dict[str, str]:
    return {
        "policies/gate.policy": GATE.replace("  applies to kind service\n", f"  applies to {selector}\n"),
        "services/a.yaml": TAGGED_STATE,
    }


@pytest.mark.parametrize(
    ("selector", "golden", "where"),
    [
        ("kind servce", "selector_kind_typo", "policies/gate.policy:11:19"),
        ('tagged "on-clustr"', "selector_tag_typo", "policies/gate.policy:11:21"),
        ('all where name in ["beta", "alpah"]', "selector_name_typo", "policies/gate.policy:11:41"),
    ],
)
def test_a_selector_close_to_what_subjects_have_is_an_error(
    tmp_path: Path, selector: str, golden: str, where: str
) -> None:
    project = load_project(write_project(tmp_path, _selecting(selector)))
    [error] = project.errors
    assert (error.code, error.where) == ("DL-CHECK-NO-SUBJECT", where)
    check_golden(f"engine/{golden}.txt", render_text(error) + "\n")
    result = CliRunner().invoke(cli.main, ["validate", str(tmp_path)])
    assert result.exit_code == cli.EXIT_INVALID


def test_a_selector_nothing_is_close_to_is_a_warning(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, _selecting("kind database")))
    assert project.errors == ()
    [warning] = [d for d in project.diagnostics if d.code == "DL-CHECK-NO-SUBJECT"]
    assert warning.where == "policies/gate.policy:11:19"
    assert warning.message == "policy `gate` applies to kind `database`, which no subject has"


def test_allow_unmatched_acknowledges_a_selector(tmp_path: Path) -> None:
    files = _selecting('kind servce tagged "on-clustr"')
    files["decisionlang.yaml"] = 'selectors:\n  allow_unmatched: [servce, "on-clustr"]\n'
    project = load_project(write_project(tmp_path, files))
    assert [d.code for d in project.diagnostics] == []


@pytest.mark.parametrize(
    "setting", ["selectors: [a]", "selectors:\n  allow: [a]", "selectors:\n  allow_unmatched: 3"]
)
def test_a_bad_selectors_setting_is_a_located_config_error(tmp_path: Path, setting: str) -> None:
    [error] = load_project(write_project(tmp_path, {"decisionlang.yaml": setting + "\n"})).errors
    assert (error.code, error.where) == ("DL-CONFIG", "decisionlang.yaml:1:1")


def test_a_waiver_for_a_policy_a_typo_switched_off_is_stale(tmp_path: Path) -> None:
    # the typo is acknowledged, so the run goes on: the waiver then lifts nothing, and says so
    files = _selecting('tagged "on-clustr"')
    files["decisionlang.yaml"] = 'selectors:\n  allow_unmatched: ["on-clustr"]\n'
    write_project(tmp_path, files)
    result = CliRunner().invoke(cli.main, ["check", str(tmp_path), "--as-of", "2026-11-26"])
    assert (
        "warning[DL-WAIVER-STALE]: waiver `W-1` on `alpha`: `gate` does not apply to `alpha`" in result.output
    )


def test_warnings_as_errors_makes_validate_and_check_exit_2(tmp_path: Path) -> None:
    write_project(tmp_path, _selecting("kind service, database"))
    runner = CliRunner()
    assert runner.invoke(cli.main, ["validate", str(tmp_path)]).exit_code == cli.EXIT_OK
    strict = runner.invoke(cli.main, ["validate", str(tmp_path), "--warnings-as-errors"])
    assert strict.exit_code == cli.EXIT_INVALID
    assert "invalid: " in strict.stdout and "(treated as errors: --warnings-as-errors)" in strict.stdout
    check = runner.invoke(cli.main, ["check", str(tmp_path), "--as-of", "2026-11-26", "--warnings-as-errors"])
    assert check.exit_code == cli.EXIT_INVALID
    assert "GO" in check.stdout  # the report is written first
    assert "treated as errors (--warnings-as-errors)" in check.stderr


def test_warnings_as_errors_passes_a_clean_repo(tmp_path: Path) -> None:
    write_project(tmp_path, {"waivers/w.yaml": None})
    runner = CliRunner()
    assert (
        runner.invoke(cli.main, ["validate", str(tmp_path), "--warnings-as-errors"]).exit_code == cli.EXIT_OK
    )
    check = runner.invoke(cli.main, ["check", str(tmp_path), "--as-of", "2026-11-26", "--warnings-as-errors"])
    assert check.exit_code == cli.EXIT_NO_GO, check.output  # the verdict decides, as without the flag

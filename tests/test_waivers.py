"""Waivers: assumed compromises that lift a soft policy for one subject, until they expire."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from decisionlang import cli
from decisionlang.api import evaluate_project, load_project
from decisionlang.core.diagnostics import render_text
from decisionlang.core.model import Report, Verdict

POLICY = """\
scale criticality { low < medium < high < critical }
schema { criticality: criticality  support_ends: date  readability: integer 0..5 }

policy lifecycle "Supported components only" {
  enforcement soft
  no_go unsupported when support_ends < today because "support ended on {support_ends}"
  not_yet unmapped when readability < 3 because "flows mapped at {readability}/5" until "reach 3"
}

policy security "Critical services are never waived" {
  enforcement hard
  no_go exposed when criticality == critical and support_ends < today because "critical and unsupported"
}
"""

STATES = """\
services:
  - {name: crm, criticality: high, support_ends: 2025-12-31, readability: 4}
  - {name: erp, criticality: critical, support_ends: 2025-12-31, readability: 4}
  - {name: wiki, criticality: low, support_ends: 2025-12-31, readability: 1}
"""

WAIVER = """\
  - id: {id}
    subject: {subject}
    {target}
    owner: team-sales-ops
    approver: CIO
    rationale: the CRM is replaced in Q1
    compensating_measure: weekly review of the vendor's security bulletins
    granted: 2026-10-01
    expires: {expires}
"""

TODAY = dt.date(2026, 11, 26)


def waiver(id: str, subject: str, target: str, expires: str = "2027-03-31") -> str:
    return WAIVER.format(id=id, subject=subject, target=target, expires=expires)


def repo(tmp_path: Path, *waivers: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "policies").mkdir()
    (tmp_path / "services").mkdir()
    (tmp_path / "waivers").mkdir()
    (tmp_path / "policies" / "p.policy").write_text(POLICY, encoding="utf-8")
    (tmp_path / "services" / "s.yaml").write_text(STATES, encoding="utf-8")
    (tmp_path / "waivers" / "w.yaml").write_text("waivers:\n" + "".join(waivers), encoding="utf-8")
    return tmp_path


def check(root: Path, today: dt.date = TODAY, warn_days: int = 30) -> Report:
    return evaluate_project(load_project(root), as_of=today, warn_days=warn_days)


def verdicts(report: Report) -> dict[str, Verdict]:
    return {subject.subject: subject.verdict for subject in report.subjects}


def codes(report: Report) -> list[str]:
    return sorted(d.code for d in report.diagnostics if d.code.startswith("DL-WAIVER"))


def test_a_waiver_lifts_a_soft_policy_and_the_trace_keeps_the_rule(tmp_path: Path) -> None:
    report = check(repo(tmp_path, waiver("W-1", "crm", "rule: lifecycle.unsupported")))
    crm = next(s for s in report.subjects if s.subject == "crm")
    assert crm.verdict is Verdict.GO
    lifecycle = next(p for p in crm.policies if p.policy == "lifecycle")
    assert lifecycle.unwaived is Verdict.NO_GO
    assert [w.id for w in lifecycle.waived_by] == ["W-1"]
    assert [r.rule for r in lifecycle.reasons] == ["lifecycle.unsupported"]
    assert crm.must_hold == ()
    assert codes(report) == []


def test_the_verdict_shows_the_waiver_and_its_expiry(tmp_path: Path) -> None:
    root = repo(tmp_path, waiver("W-1", "crm", "rule: lifecycle.unsupported"))
    result = CliRunner().invoke(cli.main, ["check", str(root), "--as-of", "2026-11-26", "--service", "crm"])
    assert result.exit_code == cli.EXIT_OK
    assert "GO (waived: W-1, expires 2027-03-31)" in result.stdout.replace("  ", " ").replace("✓ ", "")
    assert "rationale  the CRM is replaced in Q1" in result.stdout
    payload = json.loads(
        CliRunner().invoke(cli.main, ["check", str(root), "--as-of", "2026-11-26", "--format", "json"]).stdout
    )
    crm = next(s for s in payload["services"] if s["service"] == "crm")
    lifecycle = next(p for p in crm["policies"] if p["policy"] == "lifecycle")
    assert (lifecycle["verdict"], lifecycle["unwaived_verdict"]) == ("go", "no-go")
    assert lifecycle["waivers"][0]["approver"] == "CIO"


def test_a_waiver_naming_a_hard_policy_is_an_error_at_the_waiver(tmp_path: Path) -> None:
    project = load_project(repo(tmp_path, waiver("W-2", "erp", "policy: security")))
    [error] = project.errors
    assert (error.code, str(error.span)) == ("DL-WAIVER-HARD", "waivers/w.yaml:2:5")
    assert (
        error.message
        == "waiver `W-2` on `erp` names `security`, whose enforcement is hard: no waiver lifts it"
    )
    result = CliRunner().invoke(cli.main, ["validate", str(tmp_path)])
    assert result.exit_code == cli.EXIT_INVALID


def test_a_policy_waiver_covers_every_rule_of_the_policy(tmp_path: Path) -> None:
    report = check(repo(tmp_path, waiver("W-3", "wiki", "policy: lifecycle")))
    assert verdicts(report)["wiki"] is Verdict.GO


def test_a_rule_waiver_lifts_only_its_rule_and_the_others_still_decide(tmp_path: Path) -> None:
    report = check(repo(tmp_path, waiver("W-4", "wiki", "rule: lifecycle.unsupported")))
    wiki = next(s for s in report.subjects if s.subject == "wiki")
    lifecycle = next(p for p in wiki.policies if p.policy == "lifecycle")
    assert (wiki.verdict, lifecycle.unwaived) == (Verdict.NOT_YET, Verdict.NO_GO)
    assert [r.rule for r in lifecycle.reasons] == ["lifecycle.unmapped"]
    assert wiki.must_hold == ("reach 3",)


def test_an_expired_waiver_stops_applying_and_says_so(tmp_path: Path) -> None:
    report = check(repo(tmp_path, waiver("W-5", "crm", "rule: lifecycle.unsupported", "2026-11-01")))
    assert verdicts(report)["crm"] is Verdict.NO_GO
    assert codes(report) == ["DL-WAIVER-EXPIRED"]
    assert "expired on 2026-11-01" in render_text(report.diagnostics[0])


def test_a_replay_with_as_of_sees_the_waiver_as_it_was(tmp_path: Path) -> None:
    root = repo(tmp_path, waiver("W-5", "crm", "rule: lifecycle.unsupported", "2026-11-01"))
    assert verdicts(check(root, today=dt.date(2026, 10, 15)))["crm"] is Verdict.GO
    assert verdicts(check(root, today=dt.date(2026, 9, 15)))["crm"] is Verdict.NO_GO  # not granted yet


def test_a_waiver_expiring_soon_is_warned_about(tmp_path: Path) -> None:
    root = repo(tmp_path, waiver("W-6", "crm", "rule: lifecycle.unsupported", "2026-12-10"))
    assert codes(check(root)) == ["DL-WAIVER-EXPIRING"]
    assert codes(check(root, warn_days=7)) == []
    assert verdicts(check(root))["crm"] is Verdict.GO


@pytest.mark.parametrize(
    ("subject", "target", "hint"),
    [
        ("crm-x", "rule: lifecycle.unsupported", "did you mean `crm`?"),
        ("crm", "rule: lifecycle.unsuported", "did you mean `lifecycle.unsupported`?"),
        ("crm", "policy: lifecyle", "did you mean `lifecycle`?"),
    ],
)
def test_a_waiver_naming_what_does_not_exist_is_stale(
    tmp_path: Path, subject: str, target: str, hint: str
) -> None:
    project = load_project(repo(tmp_path, waiver("W-7", subject, target)))
    stale = [d for d in project.diagnostics if d.code == "DL-WAIVER-STALE"]
    assert len(stale) == 1 and stale[0].help == hint
    assert str(stale[0].span) == "waivers/w.yaml:2:5"
    assert stale[0].is_error  # a close spelling: most likely a typo that would leave the verdict standing


def test_a_waiver_naming_nothing_close_is_a_stale_warning(tmp_path: Path) -> None:
    project = load_project(repo(tmp_path, waiver("W-7", "retired-system", "rule: lifecycle.unsupported")))
    [stale] = [d for d in project.diagnostics if d.code == "DL-WAIVER-STALE"]
    assert not stale.is_error


def test_a_waiver_for_a_policy_that_does_not_apply_is_stale(tmp_path: Path) -> None:
    root = repo(tmp_path, waiver("W-8", "crm", "rule: lifecycle.unsupported"))
    policy = root / "policies" / "p.policy"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace(
            '"Supported components only" {',
            '"Supported components only" {\n  applies to all where criticality == low',
        ),
        encoding="utf-8",
    )
    report = check(root)
    assert "DL-WAIVER-STALE" in codes(report)
    assert "waiver `W-8` on `crm`: `lifecycle` does not apply to `crm`" in [
        d.message for d in report.diagnostics
    ]


def test_a_waiver_whose_rule_no_longer_fires_is_stale(tmp_path: Path) -> None:
    report = check(repo(tmp_path, waiver("W-8", "crm", "rule: lifecycle.unmapped")))
    assert codes(report) == ["DL-WAIVER-STALE"]
    assert "no longer blocks `crm`" in report.diagnostics[0].message


def test_a_waiver_without_its_required_fields_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = repo(
        tmp_path, "  - id: W-9\n    subject: crm\n    rule: lifecycle.unsupported\n    expires: 2027-01-01\n"
    )
    result = CliRunner().invoke(cli.main, ["check", str(root)])
    assert result.exit_code == cli.EXIT_INVALID
    assert (
        "waivers/w.yaml:2:5: error[DL-WAIVER-REQUIRED]: this waiver lacks `owner`, `approver`"
        in result.stderr
    )


def test_malformed_waiver_files_are_located_errors(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "waivers" / "w.yaml").write_text("waivers: [unclosed\n", encoding="utf-8")
    project = load_project(root)
    assert [d.code for d in project.errors] == ["DL-WAIVER-YAML"]
    assert project.errors[0].span is not None


def test_warn_days_sets_how_early_expiring_waivers_are_warned_about(tmp_path: Path) -> None:
    root = repo(tmp_path, waiver("W-6", "crm", "rule: lifecycle.unsupported", "2026-12-10"))
    args = ["check", str(root), "--as-of", "2026-11-26"]
    assert "DL-WAIVER-EXPIRING" in CliRunner().invoke(cli.main, args).output
    assert "DL-WAIVER-EXPIRING" not in CliRunner().invoke(cli.main, [*args, "--warn-days", "7"]).output


def test_a_waiver_naming_both_a_rule_and_a_policy_is_an_error(tmp_path: Path) -> None:
    root = repo(tmp_path, waiver("W-10", "crm", "rule: lifecycle.unsupported\n    policy: lifecycle"))
    errors = load_project(root).errors
    assert [(d.code, str(d.span)) for d in errors] == [("DL-WAIVER-FIELD", "waivers/w.yaml:5:5")]


def test_an_empty_waiver_file_is_warned_about(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "waivers" / "w.yaml").write_text("", encoding="utf-8")
    warnings = [d for d in load_project(root).diagnostics if d.code == "DL-WAIVER-SHAPE"]
    assert [d.message for d in warnings] == ["this waiver file is empty"]


def test_ci_formats_carry_waiver_warnings(tmp_path: Path) -> None:
    root = repo(tmp_path, waiver("W-5", "crm", "rule: lifecycle.unsupported", "2026-11-01"))
    args = ["check", str(root), "--as-of", "2026-11-26", "--format"]
    github = CliRunner().invoke(cli.main, [*args, "github"]).stdout
    assert "::warning file=waivers/w.yaml,line=2,col=5,title=DL-WAIVER-EXPIRED::" in github
    sarif = json.loads(CliRunner().invoke(cli.main, [*args, "sarif"]).stdout)
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["DL-WAIVER-EXPIRED"]
    schema = Path(__file__).parent / "fixtures" / "sarif-schema-2.1.0.json"
    jsonschema.validate(sarif, json.loads(schema.read_text(encoding="utf-8")))


def test_history_names_the_waiver_that_stopped_applying(tmp_path: Path) -> None:
    root = repo(tmp_path / "repo", waiver("W-5", "crm", "rule: lifecycle.unsupported", "2026-11-01"))
    log = str(tmp_path / "decisions.sqlite")
    for day in ("2026-10-15", "2026-11-26"):
        CliRunner().invoke(cli.main, ["check", str(root), "--as-of", day, "--record", log])
    history = CliRunner().invoke(cli.main, ["history", "crm", "--log", log]).stdout
    assert "GO -> ✗ NO-GO" in history
    assert "waiver W-5 no longer applies (expires 2026-11-01)" in history

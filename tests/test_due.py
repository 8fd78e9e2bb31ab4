"""Scheduled re-review: a policy's `review after`, `annotate --review-by`, `decisionlang due`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from support import check_golden

from decisionlang import cli
from decisionlang.api import evaluate_project, format_policy, load_project, validate
from decisionlang.governance.decisionlog import AnnotationStatus, annotate_decision, read_due, record_report

POLICY = """schema {
  readability: integer 0..5 "Flows mapped"
}

policy mapped "Services are mapped before they change" {
  review after 6 months
  not_yet unmapped when readability < 3 because "unmapped"
}

policy quarterly "A second policy, reviewed more often" {
  applies to tagged "critical"
  review after 90 days
  warn low when readability < 4 because "barely mapped"
}
"""
MAY = dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC)


def at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(9), dt.UTC)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "policies").mkdir(parents=True)
    (root / "services").mkdir()
    (root / "policies" / "gate.policy").write_text(POLICY, encoding="utf-8")
    (root / "services" / "a.yaml").write_text(
        "services:\n"
        "  - name: api\n    readability: 4\n    tags: [critical]\n"
        "  - name: crm\n    readability: 2\n"
        "  - name: web\n    readability: 5\n",
        encoding="utf-8",
    )
    return root


def record(repo: Path, log: Path, now: dt.datetime) -> Any:
    project = load_project(repo, cache=False)
    return record_report(log, project, evaluate_project(project, as_of=now.date()), now=now)


def set_readability(repo: Path, subject: str, value: int) -> None:
    path = repo / "services" / "a.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    index = lines.index(f"  - name: {subject}")
    lines[index + 1] = f"    readability: {value}"
    path.write_text("\n".join(lines), encoding="utf-8")


def run(*arguments: str) -> Result:
    return CliRunner().invoke(cli.main, list(arguments), catch_exceptions=False)


def test_review_after_is_written_parsed_and_formatted(repo: Path) -> None:
    assert validate(repo) == []
    project = load_project(repo, cache=False)
    assert project.program.policies["mapped"].review is not None
    assert project.program.policies["mapped"].review.days == 180
    assert project.program.policies["quarterly"].review.days == 90  # type: ignore[union-attr]
    messy = POLICY.replace("review after 6 months", "review   after 6   months")
    assert format_policy(messy).text == POLICY
    report = evaluate_project(project, as_of=MAY.date())
    data = report.subjects[0].to_dict()
    assert {p["policy"]: p.get("review_after_days") for p in data["policies"]} == {
        "mapped": 180,
        "quarterly": 90,
    }


def test_a_zero_review_period_is_an_error(repo: Path) -> None:
    (repo / "policies" / "gate.policy").write_text(POLICY.replace("6 months", "0 days"), encoding="utf-8")
    (diagnostic,) = [d for d in validate(repo) if d.is_error]
    assert diagnostic.code == "DL-CHECK-REVIEW"
    assert diagnostic.where == "policies/gate.policy:6:3"
    assert "never due" in diagnostic.message


def test_the_clock_starts_when_the_verdict_is_first_recorded(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "decisions.sqlite"
    record(repo, log, MAY)
    record(repo, log, at("2026-06-01"))  # the same verdicts again: nothing restarts
    set_readability(repo, "crm", 3)
    record(repo, log, at("2026-07-01"))  # crm: NOT YET -> GO, a new decision
    found = read_due(log, on=dt.date(2026, 11, 1))
    assert [(r.subject, r.review_on.isoformat(), r.why) for r in found] == [
        ("api", "2026-08-02", "policy quarterly: review after 3 months"),  # the shortest period
        ("web", "2026-10-31", "policy mapped: review after 6 months"),
    ]
    assert found[0].overdue_days == 91 and found[0].decided_on == MAY.date()
    within = read_due(log, on=dt.date(2026, 11, 1), within_days=60)
    assert [(r.subject, r.review_on.isoformat()) for r in within][-1] == ("crm", "2026-12-28")
    assert read_due(log, on=dt.date(2026, 8, 1)) == []


def test_an_annotation_moves_the_review(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "decisions.sqlite"
    logged = record(repo, log, MAY)
    decision = logged.record.decision_id
    annotate_decision(
        log, decision, AnnotationStatus.CONFIRMED, "looked at it", now=at("2026-10-01")
    )  # a look restarts the period: web is next due on 2027-03-30, api on 2026-12-30
    found = read_due(log, on=dt.date(2027, 1, 1))
    assert [(r.subject, r.review_on.isoformat()) for r in found] == [("api", "2026-12-30")]
    assert found[0].why == "policy quarterly: review after 3 months, from annotation 1"
    annotate_decision(
        log,
        decision,
        AnnotationStatus.REVISITED,
        "the board asks again in January",
        now=at("2026-12-01"),
        review_by=dt.date(2027, 1, 15),
    )
    found = read_due(log, on=dt.date(2027, 1, 20))
    assert [(r.subject, r.review_on.isoformat(), r.why) for r in found] == [
        ("api", "2027-01-15", "annotation 2: review by 2027-01-15"),
        ("crm", "2027-01-15", "annotation 2: review by 2027-01-15"),
        ("web", "2027-01-15", "annotation 2: review by 2027-01-15"),
    ]


def test_the_due_command(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "decisions.sqlite"
    logged = record(repo, log, MAY)
    result = run("due", "--log", str(log), "--as-of", "2026-07-01")
    assert result.exit_code == 0
    assert result.output == "No decision is due for review on 2026-07-01.\n"
    result = run("due", "--log", str(log), "--as-of", "2026-11-01", "--within", "2w")
    assert result.exit_code == 1  # something is due: a cron job notices
    check_golden("due/due.txt", result.output.replace(logged.record.decision_id, "DECISION"))
    result = run("due", "--log", str(log), "--as-of", "2026-11-01", "--format", "json")
    payload = json.loads(result.output)
    assert payload["schema"] == "decisionlang/due/v1"
    assert [item["subject"] for item in payload["due"]] == ["api", "crm", "web"]
    result = run("due", "--log", str(log), "--as-of", "2026-11-01", "--format", "github")
    assert result.output.splitlines()[0] == (
        "::notice title=api%3A review due 2026-08-02::api: GO since 2026-05-04, review due 2026-08-02 "
        "(91 days ago; policy quarterly: review after 3 months)"
    )
    result = run("due", "--log", str(log), "--within", "soon")
    assert result.exit_code == 2
    assert "`soon` is not a duration" in result.output
    result = run("due", "--log", str(tmp_path / "missing.sqlite"))
    assert result.exit_code == 2


def test_annotate_review_by(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "decisions.sqlite"
    decision = record(repo, log, MAY).record.decision_id
    result = run(
        "annotate", decision, "--note", "again in spring", "--review-by", "2027-03-01", "--log", str(log)
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"annotated decision {decision}: revisited, review by 2027-03-01 (annotation 1)\n"
    result = run("annotate", decision, "--note", "x", "--review-by", "someday", "--log", str(log))
    assert result.exit_code == 2


def test_the_board_report_lists_the_decisions_due(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "decisions.sqlite"
    record(repo, log, MAY)
    target = tmp_path / "report.html"
    result = run("report", str(repo), "--as-of", "2026-11-01", "--log", str(log), "-o", str(target))
    assert result.exit_code == 0, result.output
    html = target.read_text(encoding="utf-8")
    assert "<h3>Due for review</h3>" in html
    assert "policy quarterly: review after 3 months" in html
    result = run("report", str(repo), "--as-of", "2026-07-01", "--log", str(log), "-o", str(target))
    assert "Due for review" not in target.read_text(encoding="utf-8")


def test_review_and_after_stay_free_as_names(tmp_path: Path) -> None:
    """`review after` is one token: a field or a rule named `review` or `after` still reads."""
    root = tmp_path / "names"
    (root / "policies").mkdir(parents=True)
    (root / "services").mkdir()
    (root / "policies" / "p.policy").write_text(
        'schema {\n  review: integer 0..5 "x"\n  after: integer 0..5 "y"\n}\n\n'
        'policy gate "t" {\n  review after 1 year\n'
        '  not_yet review when review < 3 and after > 1 because "b"\n}\n',
        encoding="utf-8",
    )
    (root / "services" / "a.yaml").write_text("name: a\nreview: 1\nafter: 2\n", encoding="utf-8")
    assert validate(root) == []
    project = load_project(root, cache=False)
    assert project.program.policies["gate"].review.days == 365  # type: ignore[union-attr]
    report = evaluate_project(project, as_of=MAY.date())
    assert report.subjects[0].policies[0].reasons[0].rule == "gate.review"


def test_check_in_github_format_notices_what_is_due(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "decisions.sqlite"
    record(repo, log, MAY)
    arguments = ["check", str(repo), "--format", "github", "--record", str(log), "-s", "api", "-s", "crm"]
    later = run(*arguments, "--as-of", "2026-11-01")
    notices = [line for line in later.stdout.splitlines() if line.startswith("::notice title=")]
    assert notices == [
        "::notice title=api%3A review due 2026-08-02::api: GO since 2026-05-04, review due 2026-08-02 "
        "(91 days ago; policy quarterly: review after 3 months)",
        "::notice title=crm%3A review due 2026-10-31::crm: NOT YET since 2026-05-04, review due 2026-10-31 "
        "(1 day ago; policy mapped: review after 6 months)",
    ]  # web is due too, but was not checked
    early = run(*arguments, "--as-of", "2026-06-01")
    assert not [line for line in early.stdout.splitlines() if "review due" in line]
    plain = run("check", str(repo), "--record", str(log), "--as-of", "2026-11-01")
    assert "review due" not in plain.stdout  # only the workflow format carries them

"""`compare(before, after)`: the one comparison of two decisions, on typed reports alone.

Reports are evaluated here from the quickstart with a second, soft policy (`ownership`) and a waiver
beside it; no git, no decision log. The properties hold for any two evaluations of the same
policies: a report compared with itself is unchanged, and swapping the sides mirrors the diff.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisionlang.compare.changes import ChangeKind, ReportDiff, compare
from decisionlang.core.model import Report, Verdict
from decisionlang.core.subjects import Portfolio, Subject
from decisionlang.engine.project import Project, evaluate_project, load_project
from decisionlang.render.diff import change_summary, fact_text

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
AS_OF = dt.date(2026, 11, 26)

OWNERSHIP = """\
policy ownership "Services that matter are owned around the clock" {
  applies to kind service
  enforcement soft

  not_yet unowned when criticality >= high and not on_call
        because "nobody is on call for a {criticality} service"
        until   "someone is on call"
}
"""

WAIVER = """\
waivers:
  - id: W-1
    subject: legacy-crm
    policy: ownership
    owner: team-sales-ops
    approver: CTO
    rationale: the CRM is retired in Q1
    compensating_measure: the sales-ops lead answers the phone
    granted: 2026-11-01
    expires: 2027-03-31
"""


def tree(tmp: Path, *, waiver: bool = False) -> Path:
    root = tmp / "quickstart"
    shutil.copytree(QUICKSTART, root)
    (root / "policies" / "ownership.policy").write_text(OWNERSHIP, encoding="utf-8")
    if waiver:
        (root / "waivers").mkdir()
        (root / "waivers" / "crm.yaml").write_text(WAIVER, encoding="utf-8")
    return root


def with_fields(project: Project, changes: Mapping[str, Mapping[str, Any]]) -> Project:
    """The project with some state values replaced (a value of None removes the field)."""
    subjects = []
    for subject in project.portfolio.subjects:
        edits = changes.get(subject.name, {})
        fields = {**subject.fields, **{path: value for path, value in edits.items() if value is not None}}
        for path, value in edits.items():
            if value is None:
                fields.pop(path, None)
        subjects.append(dataclasses.replace(subject, fields=fields))
    return dataclasses.replace(project, portfolio=Portfolio.of(subjects))


def without(project: Project, names: set[str]) -> Project:
    kept: list[Subject] = [subject for subject in project.portfolio.subjects if subject.name not in names]
    return dataclasses.replace(project, portfolio=Portfolio.of(kept))


def evaluate(project: Project) -> Report:
    return evaluate_project(project, as_of=AS_OF)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    loaded = load_project(tree(tmp_path_factory.mktemp("plain")))
    assert not loaded.errors
    return loaded


@pytest.fixture(scope="module")
def waived(tmp_path_factory: pytest.TempPathFactory) -> Project:
    loaded = load_project(tree(tmp_path_factory.mktemp("waived"), waiver=True))
    assert not loaded.errors
    return loaded


def only(diff: ReportDiff, subject: str) -> Any:
    assert [change.subject for change in diff.changes] == [subject], diff.changes
    return diff.changes[0]


# ---------------------------------------------------------------- the defects of issue 8


def test_a_second_policy_on_a_subject_already_no_go_is_a_change(project: Project) -> None:
    """legacy-crm is NO-GO (vendor support ended); someone stops being on call and `ownership`
    holds it back too. The verdict is the same, but a reviewer must now lift two policies."""
    before = evaluate(with_fields(project, {"legacy-crm": {"on_call": True}}))
    after = evaluate(project)
    change = only(compare(before, after), "legacy-crm")
    assert (change.kind, change.before, change.after) == (ChangeKind.CHANGED, Verdict.NO_GO, Verdict.NO_GO)
    assert change.rules_now == ("ownership.unowned",) and change.rules_before == ()
    assert [(fact.path, fact.before.value, fact.after.value) for fact in change.facts] == [
        ("on_call", True, False)
    ]
    assert change_summary(change) == (
        "legacy-crm: still NO-GO because ownership.unowned now also holds it back (nobody is on call "
        "for a high service): on_call true -> false (services/crm.yaml:16); "
        "new warning: nobody is on call for a high service (on_call.no_on_call)"
    )


def test_a_new_warning_is_a_change(project: Project) -> None:
    """payments-api stops being on call: only the advisory `on_call` policy notices (a warning)."""
    before = evaluate(project)
    after = evaluate(with_fields(project, {"payments-api": {"on_call": False}}))
    diff = compare(before, after)
    change = diff.change_of("payments-api")
    assert change is not None and change.kind is ChangeKind.CHANGED
    assert [warning.rule for warning in change.warnings_added] == ["on_call.no_on_call"]
    assert change.warnings_removed == ()
    assert "; new warning: nobody is on call for a critical service (on_call.no_on_call)" in (
        change_summary(change)
    )
    assert compare(after, before).change_of("payments-api").warnings_removed == change.warnings_added  # type: ignore[union-attr]


def test_a_fact_read_on_one_side_only_is_not_compared(project: Project) -> None:
    """payments-api reads its `depends_on` only while it is tier 1 (`tier == 1 and any(...)`): at
    tier 2 nothing reads it. Not read is not missing, and nothing says the list changed."""
    before = evaluate(project)
    after = evaluate(with_fields(project, {"payments-api": {"tier": 2}}))
    change = only(compare(before, after), "payments-api")
    assert change.kind is ChangeKind.MOVED and (change.before, change.after) == (Verdict.NOT_YET, Verdict.GO)
    assert [(fact.path, fact.before.value, fact.after.value) for fact in change.facts] == [("tier", 1, 2)]
    assert "missing" not in change_summary(change) and "depends_on" not in change_summary(change)


def test_a_dependency_fact_read_by_the_dependency_itself_counts_as_read(project: Project) -> None:
    """With `--service payments-api` alone, fax-gateway's tier is read by payments-api's rule only;
    in the whole portfolio fax-gateway's own rules read it as well: either way it is read."""
    before = evaluate(project)
    after = evaluate(with_fields(project, {"fax-gateway": {"tier": 1}}))
    change = compare(before, after).change_of("payments-api")
    assert change is not None and (change.before, change.after) == (Verdict.NOT_YET, Verdict.GO)
    assert [(fact.subject, fact.path, fact.before.value, fact.after.value) for fact in change.facts] == [
        ("fax-gateway", "tier", 2, 1)
    ]


def test_a_fact_the_trace_found_missing_is_missing(project: Project) -> None:
    before = evaluate(project)
    after = evaluate(with_fields(project, {"ledger-db": {"maturity.readability": None}}))
    change = only(compare(before, after), "ledger-db")
    (fact,) = [fact for fact in change.facts if fact.path == "maturity.readability"]
    assert (fact.before.value, fact.before.missing, fact.after.missing) == (4, False, True)
    assert fact_text(fact, "ledger-db").startswith("maturity.readability 4 -> missing")


def test_waivers_that_start_and_stop_applying(waived: Project) -> None:
    """W-1 lifts legacy-crm's ownership verdict only while nobody is on call there."""
    lifted = evaluate(waived)
    unneeded = evaluate(with_fields(waived, {"legacy-crm": {"on_call": True}}))
    change = only(compare(unneeded, lifted), "legacy-crm")
    assert [(item.policy, item.waiver.id) for item in change.waivers_started] == [("ownership", "W-1")]
    assert change.waivers_stopped == () and change.rules_now == change.rules_before == ()
    assert "; waiver W-1 on ownership (expires 2027-03-31) now applies" in change_summary(change)
    mirror = only(compare(lifted, unneeded), "legacy-crm")
    assert mirror.waivers_stopped == change.waivers_started


def test_edited_rules_are_named_with_the_changes_they_explain(project: Project) -> None:
    before = evaluate(project)
    after = evaluate(with_fields(project, {"website": {"maturity.readability": 2}}))
    edited = {"change_readiness.unmapped": ("not_yet unmapped when a", "not_yet unmapped when b")}
    change = only(compare(before, after, edited=edited), "website")
    assert [edit.rule for edit in change.edited] == ["change_readiness.unmapped"]
    assert "; rule change_readiness.unmapped was edited: `not_yet unmapped when a` -> `" in (
        change_summary(change)
    )
    assert only(compare(before, after), "website").edited == ()


def test_added_and_removed_subjects(project: Project) -> None:
    before = evaluate(project)
    after = evaluate(without(project, {"data-lake"}))
    diff = compare(before, after)
    removed = only(diff, "data-lake")
    assert (removed.kind, removed.now, removed.facts) == (ChangeKind.REMOVED, None, ())
    assert diff.unchanged == len(after.subjects) and diff.changed_subjects == ()
    added = only(compare(after, before), "data-lake")
    assert added.kind is ChangeKind.ADDED and added == removed.mirrored()


# ---------------------------------------------------------------- properties

EDITS: dict[str, st.SearchStrategy[Any]] = {
    "tier": st.integers(1, 3),
    "on_call": st.booleans(),
    "maturity.readability": st.integers(0, 5),
    "risk.security": st.integers(0, 10),
    "business_value": st.integers(0, 10),
    "dora.change_failure_rate": st.sampled_from([0.0, 0.05, 0.15, 0.2, 0.5]),
    "criticality": st.sampled_from(["low", "medium", "high", "critical"]),
    "support_ends": st.sampled_from([dt.date(2025, 1, 1), dt.date(2030, 1, 1)]),
}
NAMES = ["data-lake", "fax-gateway", "ledger-db", "legacy-crm", "payments-api", "website"]


@st.composite
def variants(draw: Callable[..., Any]) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Some state values replaced or removed (None), and some subjects left out."""
    changes: dict[str, dict[str, Any]] = {}
    for name in draw(st.lists(st.sampled_from(NAMES), max_size=4, unique=True)):
        paths = draw(st.lists(st.sampled_from(sorted(EDITS)), min_size=1, max_size=3, unique=True))
        changes[name] = {path: draw(st.none() | EDITS[path]) for path in paths}
    removed = set(draw(st.lists(st.sampled_from(NAMES), max_size=2, unique=True)))
    return changes, removed


def variant_report(source: Project, variant: tuple[dict[str, dict[str, Any]], set[str]]) -> Report:
    changes, removed = variant
    return evaluate(without(with_fields(source, changes), removed))


PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(variant=variants())
def test_a_report_compared_with_itself_is_unchanged(waived: Project, variant: Any) -> None:
    report = variant_report(waived, variant)
    diff = compare(report, report)
    assert diff.changes == () and diff.unchanged == len(report.subjects)


@PROPERTY_SETTINGS
@given(first=variants(), second=variants())
def test_swapping_the_sides_mirrors_the_diff(waived: Project, first: Any, second: Any) -> None:
    a, b = variant_report(waived, first), variant_report(waived, second)
    forward, backward = compare(a, b), compare(b, a)
    assert backward.changes == tuple(change.mirrored() for change in forward.changes)
    assert backward.unchanged == forward.unchanged
    for change in forward.changes:
        assert change.kind is not ChangeKind.MOVED or change.before is not change.after
        assert change_summary(change).startswith(change.subject + ": ")


def test_a_warning_still_given_with_other_words_is_not_new(project: Project) -> None:
    """A warning's message may quote a value that moves every day ("support ended 354 days ago")."""
    before = evaluate(with_fields(project, {"payments-api": {"on_call": False}}))
    reworded = tuple(
        dataclasses.replace(
            result, warnings=tuple(dataclasses.replace(w, message=w.message + "!") for w in result.warnings)
        )
        for result in before.subjects
    )
    after = dataclasses.replace(before, subjects=reworded)
    assert compare(before, after).changes == ()

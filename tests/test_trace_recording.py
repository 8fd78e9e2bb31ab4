"""A traced evaluation records as it goes and builds each rule's trace parts (facts, comparisons,
scores...) when they are first read: the trace read is the same whenever and however it is read."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path

from decisionlang.api import evaluate_project, load_project
from decisionlang.core.model import RECORDED_PARTS, Report, RuleTrace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
AS_OF = dt.date(2026, 11, 26)


def _traced(name: str) -> Report:
    return evaluate_project(load_project(EXAMPLES / name), as_of=AS_OF, trace=True)


def _rules(report: Report) -> list[RuleTrace]:
    return [rule for subject in report.subjects for policy in subject.policies for rule in policy.rules]


def test_parts_are_built_once_when_first_read() -> None:
    rule = next(rule for rule in _rules(_traced("scaleup")) if rule.kind.blocks)
    assert rule._recorded is not None  # nothing built yet
    facts = rule.facts
    assert rule._recorded is None
    assert rule.facts is facts  # built once, kept
    for part in RECORDED_PARTS:
        assert isinstance(getattr(rule, part), tuple)


def test_a_fact_is_one_object_for_every_rule_of_a_subject_that_read_it() -> None:
    for subject in _traced("scaleup").subjects:
        seen: dict[tuple[str, str], int] = {}
        for policy in subject.policies:
            for rule in policy.rules:
                for fact in rule.facts:
                    assert seen.setdefault((fact.subject, fact.path), id(fact)) == id(fact)


def test_the_order_of_reading_changes_nothing() -> None:
    """Parts read rule by rule, backwards, give the report the codec writes in one go."""
    first, second = _traced("scorecards"), _traced("scorecards")
    for rule in reversed(_rules(second)):
        for part in reversed(RECORDED_PARTS):
            getattr(rule, part)
    assert first.to_dict() == second.to_dict()
    assert first == second


def test_a_traced_report_pickles_as_plain_traces() -> None:
    """A worker process sends its results back pickled: the parts travel built."""
    report = _traced("quickstart")
    again = pickle.loads(pickle.dumps(report))
    assert again == report
    assert all(rule._recorded is None for rule in _rules(again))
    assert again.to_dict() == report.to_dict()


def test_a_rule_trace_built_by_hand_is_a_plain_dataclass() -> None:
    trace = RuleTrace.__new__(RuleTrace)
    assert not hasattr(trace, "facts")  # no recorded parts, no slot set: an ordinary AttributeError

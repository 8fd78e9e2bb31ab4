"""The decision model's dict codec: `Report.to_dict` and `Report.from_dict` are exact inverses.

Reports are generated from the model's own type hints (so a field added to a model class is
generated, written and read back without touching this test), with JSON-ready traced values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import types
import typing
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decisionlang.api import evaluate_project, load_project
from decisionlang.core import model
from decisionlang.core.codec import CodecError, from_data, to_data
from decisionlang.core.diagnostics import Diagnostic
from decisionlang.core.format import json_number
from decisionlang.core.model import Report, SubjectResult
from decisionlang.core.spans import SourceFile, Span

EXAMPLES = Path(__file__).parent.parent / "examples"
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
NUMBERS = st.integers(-(10**6), 10**6) | st.floats(allow_nan=False, allow_infinity=False).map(json_number)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXT,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=6,
)
POSITIONS = st.integers(1, 10_000)
SPANS = st.builds(
    lambda path, line, column, lines, width: Span(
        SourceFile(path, ""), line, column, line + lines, column + width
    ),
    TEXT,
    POSITIONS,
    POSITIONS,
    st.integers(0, 3),
    st.integers(1, 40),
)


@cache
def strategy(hint: Any) -> st.SearchStrategy[Any]:
    """Values of a model type hint, read the way the codec reads it."""
    if hint is Any:
        return JSON_VALUES
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(strategy(option) for option in typing.get_args(hint)))
    if hint is type(None):
        return st.none()
    if origin is tuple:
        arguments = typing.get_args(hint)
        if arguments[-1:] == (Ellipsis,):
            return st.lists(strategy(arguments[0]), max_size=3).map(tuple)
        return st.tuples(*(strategy(argument) for argument in arguments))
    if hint is Span:
        return SPANS
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return st.sampled_from(list(hint))
    simple: dict[Any, st.SearchStrategy[Any]] = {
        bool: st.booleans(),
        int: st.integers(-(10**9), 10**9),
        float: NUMBERS,
        str: TEXT,
        dt.date: st.dates(),
    }
    if hint in simple:
        return simple[hint]
    assert dataclasses.is_dataclass(hint), hint
    hints = typing.get_type_hints(hint)
    fields = {  # the fields a model object is built from, as the codec reads them
        spec.name: st.deferred(lambda h=hints[spec.name]: strategy(h))
        for spec in dataclasses.fields(hint)
        if spec.init
    }
    return st.builds(hint, **fields)


REPORTS = strategy(Report)


@settings(max_examples=150, deadline=None)
@given(REPORTS)
def test_a_report_reads_back_as_itself(report: Report) -> None:
    data = report.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data  # plain JSON data
    again = Report.from_dict(data)
    assert again == report
    assert again.as_of == report.as_of  # left out of equality, kept by the codec
    assert again.to_dict() == data


@settings(max_examples=100, deadline=None)
@given(REPORTS)
def test_written_data_reads_back_as_itself(report: Report) -> None:
    data = json.loads(json.dumps(report.to_dict()))
    assert Report.from_dict(data).to_dict() == data


@settings(max_examples=100, deadline=None)
@given(strategy(Diagnostic))
def test_a_diagnostic_keeps_its_span_and_place(diagnostic: Diagnostic) -> None:
    again = from_data(Diagnostic, to_data(diagnostic))
    assert again == diagnostic and again.where == diagnostic.where


def test_every_example_report_reads_back_as_itself() -> None:
    for root in sorted(path for path in EXAMPLES.iterdir() if path.is_dir()):
        project = load_project(root)
        report = evaluate_project(project, as_of=dt.date(2026, 11, 26))
        assert Report.from_dict(report.to_dict()) == report, root.name
        for subject in report.subjects:
            assert SubjectResult.from_dict(subject.to_dict()) == subject


def test_what_is_written_leaves_out_what_absence_says() -> None:
    location = model.Location("services/a.yaml", None, None)
    fact = model.Fact("a", "owner", None, location, missing=True)
    assert to_data(fact) == {
        "subject": "a",
        "field": "owner",
        "location": ["services/a.yaml"],
        "missing": True,
    }
    assert from_data(model.Fact, to_data(fact)) == fact
    assert from_data(model.Location, {"file": "a.yaml", "line": 3, "column": 1}) == model.Location(
        "a.yaml", 3, 1
    )


def test_a_fact_read_by_many_rules_is_written_once() -> None:
    project = load_project(EXAMPLES / "scaleup")
    report = evaluate_project(project, as_of=dt.date(2026, 11, 26))
    for result in report.subjects:
        data = result.to_dict()
        table = data.get("facts", [])
        assert len(table) == len(result.facts) == len({id(fact) for fact in result.facts})
        read = [
            position
            for policy in data["policies"]
            for rule in policy.get("rules", [])
            for position in rule.get("facts", [])
        ]
        assert sorted(set(read)) == list(range(len(table)))  # every entry is read, none twice in the table
        again = SubjectResult.from_dict(json.loads(json.dumps(data)))
        assert again == result
        shared = [fact for policy in again.policies for rule in policy.rules for fact in rule.facts]
        assert len({id(fact) for fact in shared}) == len(table)  # read back, the rules share them again
    rules_reading = [
        sum(1 for policy in result.policies for rule in policy.rules if fact in rule.facts)
        for result in report.subjects
        for fact in result.facts
    ]
    assert max(rules_reading) > 1  # the example has facts read by several rules


def test_a_subject_written_before_the_facts_table_reads_the_same() -> None:
    """Facts written whole in each rule, locations as objects: the shape stored before the table."""
    project = load_project(EXAMPLES / "quickstart")
    result = evaluate_project(project, as_of=dt.date(2026, 11, 26)).subjects[0]
    data = result.to_dict()
    table = data.pop("facts")

    def whole(location: list[Any]) -> dict[str, Any]:
        file, *position = location
        return dict(zip(["file", "line", "column"], [data["files"][file], *position], strict=False))

    for fact in table:
        fact["location"] = whole(fact["location"])
    for policy in data["policies"]:
        for rule in policy.get("rules", []):
            rule["facts"] = [table[position] for position in rule.get("facts", [])]
    assert SubjectResult.from_dict(data) == result


def test_derived_keys_are_written_and_not_read() -> None:
    project = load_project(EXAMPLES / "scaleup")
    report = evaluate_project(project, as_of=dt.date(2026, 11, 26))
    data = report.to_dict()
    assert data["schema"] == "decisionlang/report/v3" and data["summary"] == report.summary()
    subject = data["services"][0]
    assert subject["must_hold"] == list(report.subjects[0].must_hold)
    assert subject["policies"][0]["reasons"] == [rule.rule for rule in report.subjects[0].policies[0].reasons]
    subject["must_hold"] = ["anything"]  # recomputed from the fields, never trusted
    assert SubjectResult.from_dict(subject).must_hold == report.subjects[0].must_hold


def _report_data() -> dict[str, Any]:
    project = load_project(EXAMPLES / "scaleup")
    data: dict[str, Any] = evaluate_project(project, as_of=dt.date(2026, 11, 26)).to_dict()
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("verdict"), "the data: expected the key `verdict` (Report)"),
        (lambda d: d.update(schema="decisionlang/report/v1"), "schema: expected `decisionlang/report/v3`"),
        (
            lambda d: d["services"][1].update(verdict="maybe"),
            "services[1].verdict: expected one of go, not-yet, no-go, found 'maybe'",
        ),
        (
            lambda d: d["services"][0]["policies"][0]["rules"][0].update(kind=3),
            "services[0].policies[0].rules[0].kind: expected one of no_go, not_yet, go, warn, otherwise, "
            "applies, found 3",
        ),
        (lambda d: d.update(as_of="26/11/2026"), "as_of: expected a date (YYYY-MM-DD), found '26/11/2026'"),
        (lambda d: d["services"][0].update(policies={}), "services[0].policies: expected a list, found {}"),
        (
            lambda d: d["services"][0].update(colour="red"),
            "services[0]: expected the keys of a SubjectResult (facts, files, fragile, kind, location, "
            "missing, must_hold, policies, service, to_go, verdict, warnings), found 'colour'",
        ),
        (
            lambda d: d["services"][0].update(location=[99]),
            "services[0].location[0]: expected a file name or a position in the table of files (0 to ",
        ),
        (
            lambda d: d["services"][0].update(location=[True]),
            "services[0].location[0]: expected text, found True",
        ),
        (
            lambda d: d["services"][0]["facts"][0].pop("subject", None) or d["services"][0].pop("service"),
            "services[0].facts[0]: expected the key `subject` (Fact)",
        ),
        (
            lambda d: d["services"][0]["policies"][0]["rules"][0].update(facts=[99]),
            "services[0].policies[0].rules[0].facts[0]: expected an object or a position in the table "
            "of Facts",
        ),
        (
            lambda d: d["services"][0]["location"].__setitem__(1, "7"),
            "services[0].location[1]: expected an integer, found '7'",
        ),
        (
            lambda d: d["services"][0].update(location=[]),
            "services[0].location: expected a list of 1 to 3 items (file, line, column)",
        ),
    ],
)
def test_bad_data_is_a_clear_error(change: Any, message: str) -> None:
    data = _report_data()
    change(data)
    with pytest.raises(CodecError) as caught:
        Report.from_dict(data)
    assert message in str(caught.value)


def test_non_finite_numbers_read_back() -> None:
    term = model.ScoreTerm("x", 1, float("inf"), float("-inf"), 2.5)
    data = to_data(term)
    assert data["normalized"] == "inf" and data["weight"] == "-inf"
    assert from_data(model.ScoreTerm, json.loads(json.dumps(data))) == term


def test_a_subject_of_schema_v2_reads_the_same() -> None:
    """Locations naming their file in full and facts naming their subject: the shape before v3."""
    project = load_project(EXAMPLES / "scaleup")
    for result in evaluate_project(project, as_of=dt.date(2026, 11, 26)).subjects:
        data = result.to_dict()
        files = data.pop("files")

        def spelled_out(node: Any, files: list[str] = files) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "location" and isinstance(value, list) and isinstance(value[0], int):
                        node[key] = [files[value[0]], *value[1:]]
                    else:
                        spelled_out(value)
            elif isinstance(node, list):
                for item in node:
                    spelled_out(item)

        spelled_out(data)
        for fact in data.get("facts", []):
            fact.setdefault("subject", result.subject)
        assert SubjectResult.from_dict(data) == result

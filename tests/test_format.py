"""The two value formatters: for people (messages, traces, reports) and for JSON."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from decisionlang.core.format import json_number, json_value, show, show_number, show_quantity
from decisionlang.core.model import Verdict, VerdictValue
from decisionlang.core.spans import SourceFile, Span
from decisionlang.core.subjects import Duration
from decisionlang.core.undetermined import Missing, Problem


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (9, "9"),
        (9.0, "9"),
        (0.1 + 0.2, "0.3"),
        (61.153846, "61.15"),
        (0.05, "0.05"),
        (0.9995, "0.9995"),
        (1 / 3, "0.3333"),
        (1234567.891, "1234568"),
        (15000, "15000"),
        (1e-7, "1 × 10⁻⁷"),
        (-2.5e-9, "-2.5 × 10⁻⁹"),
        (0.00012346, "0.0001235"),
        (3e20, "3 × 10²⁰"),
        (10**20, "1 × 10²⁰"),
        (-0.0, "0"),
        (float("inf"), "∞"),
        (float("-inf"), "-∞"),
        (float("nan"), "not a number"),
        (decimal.Decimal("2.50"), "2.5"),
        (True, "true"),
        (None, "unknown"),
        ("12 000 €", "12 000 €"),
        ("élevé", "élevé"),
        (dt.date(2026, 1, 31), "2026-01-31"),
        (["eu-west", 2], "eu-west, 2"),
        ([], "none"),
        (Duration(1), "1 day"),
        (Duration(30), "30 days"),
        (Duration(1.5), "1.5 days"),
        (Verdict.NOT_YET, "not-yet"),
        (VerdictValue.of(Verdict.NOT_YET), "NOT YET"),  # `verdict(p)`, as verdicts read
        (VerdictValue.of(Verdict.NO_GO), "NO-GO"),
        ({"a": 1.25}, "{a: 1.25}"),
        (Missing(()), "unknown"),
        (Problem("DL-EVAL-ZERO", "division by zero", Span(SourceFile("p.policy", "x"), 1, 1, 1, 2)), "error"),
    ],
)
def test_show(value: Any, expected: str) -> None:
    assert show(value) == expected


def test_show_missing_word_and_quantities() -> None:
    assert show(None, missing="(missing)") == "(missing)"
    assert show(Missing(()), missing="absent") == "absent"
    assert show_quantity(63, "days") == "63 days"
    assert show_quantity(1, "days") == "1 day"
    assert show_quantity(0.05, None) == "0.05"
    assert show_quantity(12.5, "€") == "12.5 €"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (0.1 + 0.2, 0.3),
        (1 / 3, 0.333333333),
        (1e-7, 1e-7),
        (-1e-12, -1e-12),
        (-0.0, 0),
        (float("nan"), None),
        (float("inf"), None),
        (None, None),
        (7, 7),
        (12000.0, 12000),
        (decimal.Decimal("0.5"), 0.5),
    ],
)
def test_json_number(number: Any, expected: float | None) -> None:
    assert json_number(number) == expected


def test_json_number_never_writes_negative_zero() -> None:
    assert json.dumps(json_number(-0.0)) == "0"


def test_json_value() -> None:
    assert json_value(dt.date(2026, 1, 31)) == "2026-01-31"
    assert json_value(Duration(30)) == "30 days"
    assert json_value(("a", 1.0000000001, None, True)) == ["a", 1, None, True]
    assert json_value(frozenset({"b", "a"})) == ["a", "b"]
    assert json_value({"x": 0.1 + 0.2}) == {"x": 0.3}
    assert json_value(Verdict.NOT_YET) == "not-yet"
    assert json_value(Missing(())) is None


finite = st.floats(allow_nan=False, allow_infinity=False)
anything = st.one_of(
    st.floats(),
    st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.dates(),
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6).map(Duration),
)


@given(finite)
def test_json_round_trips_numbers_within_its_precision(number: float) -> None:
    written = json.dumps(json_number(number))
    back = json.loads(written)
    assert math.isclose(back, number, rel_tol=5e-9, abs_tol=0.0) or back == number == 0


@given(st.integers())
def test_json_keeps_integers_exactly(number: int) -> None:
    assert json.loads(json.dumps(json_number(number))) == number


@given(st.one_of(anything, st.lists(anything, max_size=4)))
def test_people_never_read_python_internals(value: Any) -> None:
    text = show(value)
    for internal in ("e-0", "e+", "inf", "nan", "Decimal(", "None", "-0 ", "Duration("):
        assert internal not in text, (value, text)
    assert text != "-0"


@given(finite)
def test_people_numbers_keep_the_integer_part(number: float) -> None:
    text = show_number(number)
    if 1 <= abs(number) < 1e15:
        assert abs(float(text) - number) <= max(0.5, abs(number) * 5e-4)

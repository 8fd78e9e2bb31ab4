"""Exact decimals (S25, S35): a decimal written in a state, the same decimal written in a policy, and
the percentage that writes it (`99.9%` for 0.999) are one number; a comparison at the threshold has
a margin of exactly 0, and a margin is never 0 off the threshold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisionlang.api import evaluate_project, load_project
from decisionlang.core.model import Outcome
from decisionlang.inputs.sources import SourceSet

AS_OF = dt.date(2026, 11, 26)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

decimals = st.decimals(min_value=Decimal("-9999"), max_value=Decimal("9999"), places=4, allow_nan=False)


def _text(number: Decimal) -> str:
    return format(number.normalize(), "f") if number != 0 else "0"


def _literal(number: Decimal) -> str:
    """As a policy writes it: a leading minus, then digits."""
    text = _text(abs(number))
    return f"-{text}" if number < 0 else text


@SETTINGS
@given(decimals, decimals)
def test_decimals_and_percentages_are_one_number(value: Decimal, threshold: Decimal) -> None:
    percent = _text(abs(threshold) * 100) + "%"
    percent = f"-{percent}" if threshold < 0 else percent
    policy = f"""
schema {{ x: number }}
policy probe {{
  warn same_decimal when x == {_literal(value)}
  warn same_percent when {_literal(value)} == {_text(abs(value) * 100)}% or x < 0
  warn at_least when x >= {percent}
  warn above when x > {_literal(threshold)}
}}
"""
    state = f"name: a\nx: {_text(value)}\n"
    project = load_project(SourceSet.from_memory({"policies/p.policy": policy, "services/a.yaml": state}))
    assert not project.errors, [str(d) for d in project.errors]
    report = evaluate_project(project, as_of=AS_OF)
    rules = {rule.rule.split(".")[1]: rule for policy in report.subjects[0].policies for rule in policy.rules}
    assert rules["same_decimal"].outcome is Outcome.FIRED
    assert rules["same_percent"].outcome is Outcome.FIRED
    assert (rules["at_least"].outcome is Outcome.FIRED) == (value >= threshold)
    assert (rules["above"].outcome is Outcome.FIRED) == (value > threshold)
    for name in ("at_least", "above"):
        (comparison,) = rules[name].comparisons
        assert comparison.margin is not None
        scale = 100 if name == "at_least" else 1
        assert Decimal(repr(comparison.margin)) == (value - threshold) * scale

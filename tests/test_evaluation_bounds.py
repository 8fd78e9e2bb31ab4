"""Evaluation stays within bounds: numbers beyond range are problems, never a silent verdict (S41).

The property runs policy arithmetic over finite, huge, tiny and out-of-range inputs through the real
pipeline (parser, checker, compiler, evaluator, renderers): a rule and its negation never both fail to
fire without an undetermined trace, and no subject with a `DL-EVAL-RANGE` problem is GO.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import sys
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisionlang.core.model import Outcome, Verdict
from decisionlang.core.spans import SourceFile
from decisionlang.core.subjects import Portfolio, Subject
from decisionlang.core.undetermined import OutOfRange
from decisionlang.engine.compiler import CompiledPolicy, compile_program
from decisionlang.engine.evaluator import EvaluationOptions, evaluate
from decisionlang.language.checker import check_program
from decisionlang.language.parser import parse_module
from decisionlang.render import render_json, render_text

TODAY = dt.date(2026, 11, 26)
FIELDS = ("x", "y", "z")
LARGEST = sys.float_info.max
SCHEMA = "schema { x: number  y: number  z: number }\n"
# What no output may show: Python's internals, or a number that is not one.
LEAKS = ("inf", "nan", "∞", "not a number", "Overflow", "InvalidOperation", "Traceback", "int_max_str")

EDGES = [0, 1, -1, 0.5, 3, 1e308, -1e308, LARGEST, -LARGEST, 1e-308, 5e-324, 10**308, -(10**308), 2**1023]
numbers = (
    st.sampled_from(EDGES)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers(-(10**308), 10**308)
)
values = numbers | st.just(OutOfRange("1" + "0" * 400)) | st.just(OutOfRange("1e999"))


def expressions(depth: int = 3) -> st.SearchStrategy[str]:
    leaves = st.sampled_from(FIELDS) | st.sampled_from(["0", "1", "2", "10", "0.5", "1" + "0" * 300])
    if depth == 0:
        return leaves
    inner = expressions(depth - 1)
    return st.one_of(
        leaves,
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(st.sampled_from(["abs", "floor", "ceil", "round"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(["max", "min"]), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(inner, inner).map(lambda t: f"round({t[0]}, {t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"sum(v in [{t[0]}, {t[1]}]: v)"),
        st.tuples(inner, inner).map(lambda t: f"average(v in [{t[0]}, {t[1]}]: v)"),
    )


@functools.lru_cache(maxsize=512)
def compiled(condition: str) -> tuple[CompiledPolicy, ...]:
    text = SCHEMA + f"policy gate {{\n  no_go holds when {condition}\n  no_go fails unless {condition}\n}}\n"
    module, problems = parse_module(SourceFile("policies/gate.policy", text))
    assert module is not None, [problem.message for problem in problems]
    program, checked = check_program([module])
    errors = [d.message for d in problems + checked if d.is_error]
    assert errors == [], (errors, text)
    return compile_program(program)


def subject(state: dict[str, Any]) -> Subject:
    fields: dict[str, Any] = {"name": "a", "kind": "service", "tags": [], "depends_on": [], "targets": []}
    fields.update(state)
    locations = {name: (index + 2, 4) for index, name in enumerate(FIELDS)}
    return Subject("a", "service", "services/a.yaml", 1, 1, fields, locations)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    expressions(),
    st.sampled_from([">", ">=", "<", "<=", "==", "!="]),
    st.sampled_from(["0", "1", "x", "y"]),
    st.fixed_dictionaries({name: values for name in FIELDS}),
)
def test_a_rule_and_its_negation_never_both_fail_to_fire_silently(
    expression: str, op: str, threshold: str, state: dict[str, Any]
) -> None:
    policies = compiled(f"{expression} {op} {threshold}")
    for trace in (True, False):
        report = evaluate(
            policies, Portfolio.of([subject(state)]), EvaluationOptions(today=TODAY, trace=trace)
        )
        result = report.subjects[0]
        outcomes = {rule.rule: rule.outcome for policy in result.policies for rule in policy.rules}
        codes = {d.code for d in report.diagnostics}
        fired = [rule for rule in ("gate.holds", "gate.fails") if outcomes.get(rule) is Outcome.FIRED]
        if len(fired) != 1:
            # neither fired (nor both): each is undecided, with the problem traced and reported
            assert outcomes == {"gate.holds": Outcome.ERROR, "gate.fails": Outcome.ERROR}, (outcomes, state)
            assert codes and codes <= {"DL-EVAL-RANGE", "DL-EVAL-DIV-ZERO"}, codes
            assert result.verdict is Verdict.NOT_YET
        else:
            assert result.verdict is Verdict.NO_GO
        assert result.verdict is not Verdict.GO
        out = render_text(report, color=False) + render_json(report)
        json.loads(render_json(report))
        for leak in LEAKS:
            assert leak not in out, (leak, expression, state)


def test_reading_an_out_of_range_state_number_names_the_state_value() -> None:
    policies = compiled("x + 1 > 0")
    report = evaluate(
        policies,
        Portfolio.of([subject({"x": OutOfRange("1" + "0" * 400), "y": 1, "z": 1})]),
        EvaluationOptions(today=TODAY),
    )
    result = report.subjects[0]
    assert result.verdict is Verdict.NOT_YET
    assert [f"{d.code} {d.span}" for d in report.diagnostics] == [
        "DL-EVAL-RANGE policies/gate.policy:3:20",  # where each rule read it
        "DL-EVAL-RANGE policies/gate.policy:4:22",
    ]
    diagnostic = report.diagnostics[0]
    assert diagnostic.message == (
        "`x` of `a` (services/a.yaml:2:4) is a number of 401 digits, "
        "beyond the range of numbers (±1.798 × 10³⁰⁸)"
    )

"""Evaluation stays within bounds: numbers beyond range are problems, never a silent verdict (S41).

The property runs policy arithmetic over finite, huge, tiny and out-of-range inputs through the real
pipeline (parser, checker, compiler, evaluator, renderers): a rule and its negation never both fail to
fire without an undetermined trace, and no subject with a `DL-EVAL-RANGE` problem is GO.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import resource
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import check_golden, write_project

from decisionlang.api import evaluate_project, load_project
from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.core.diagnostics import render_text as render_text_diagnostic
from decisionlang.core.model import Outcome, Report, RuleTrace, Verdict
from decisionlang.core.spans import SourceFile
from decisionlang.core.subjects import Portfolio, Subject
from decisionlang.core.undetermined import OutOfRange
from decisionlang.engine.compiler import CompiledPolicy, compile_program
from decisionlang.engine.evaluator import EvaluationOptions, evaluate
from decisionlang.engine.testing import run_tests
from decisionlang.inputs.sources import SourceSet
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
    return compile_source(
        SCHEMA + f"policy gate {{\n  no_go holds when {condition}\n  no_go fails unless {condition}\n}}\n"
    )


def compile_source(text: str) -> tuple[CompiledPolicy, ...]:
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


# ---------------------------------------------------------------- work proportional to input (S42)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rule(report: Report, rule_id: str) -> RuleTrace:
    return next(r for s in report.subjects for p in s.policies for r in p.rules if r.rule == rule_id)


def test_a_definition_is_computed_once_per_subject_and_traced_once() -> None:
    # 30 doubling levels: 2^30 evaluations of `x` without the memo (days), 31 with it
    text = (
        SCHEMA
        + "define e0 = x\ndefine c0 = x > 0\n"
        + "".join(
            f"define e{i} = e{i - 1} + e{i - 1}\ndefine c{i} = c{i - 1} and c{i - 1}\n" for i in range(1, 31)
        )
        + "policy gate {\n  no_go big when e30 > 5 and c30\n}\n"
    )
    start = _cpu_seconds()
    policies = compile_source(text)
    report = evaluate(policies, Portfolio.of([subject({"x": 1})]), EvaluationOptions(today=TODAY))
    assert _cpu_seconds() - start < 2.0  # generous: it takes milliseconds
    trace = _rule(report, "gate.big")
    assert trace.outcome is Outcome.FIRED
    assert [(c.expression, c.left) for c in trace.comparisons] == [("e30 > 5", 2**30), ("x > 0", 1)]


def test_a_definition_inside_an_aggregate_keeps_the_items_in_its_trace() -> None:
    text = SCHEMA.replace("z: number", "zs: list of number") + (
        "define positive = x > 0\npolicy gate {\n  warn each when all(v in zs: positive and v > 0)\n}\n"
    )
    report = evaluate(
        compile_source(text), Portfolio.of([subject({"x": 1, "zs": [1, 2]})]), EvaluationOptions(today=TODAY)
    )
    assert [(c.expression, c.bound) for c in _rule(report, "gate.each").comparisons] == [
        ("x > 0", "v = 1"),
        ("v > 0", "v = 1"),
        ("x > 0", "v = 2"),
        ("v > 0", "v = 2"),
    ]


NESTED = SCHEMA.replace("z: number", "zs: list of number") + (
    "define pairs = count(a in zs: all(b in zs: a + b > 0))\npolicy gate {\n  no_go many when pairs > 5\n}\n"
)


def test_nested_aggregates_over_a_long_list_stop_at_the_budget_with_a_located_error() -> None:
    state = {"x": 1, "zs": list(range(3000))}  # 9,000,000 inner items: about 10 s of work unbounded
    start = _cpu_seconds()
    with pytest.raises(DecisionlangError) as raised:
        evaluate(compile_source(NESTED), Portfolio.of([subject(state)]), EvaluationOptions(today=TODAY))
    assert _cpu_seconds() - start < 5.0  # generous: the default budget is spent in well under a second
    [diagnostic] = raised.value.diagnostics
    check_golden("engine/eval_limit.txt", render_text_diagnostic(diagnostic) + "\n")


def test_the_budget_counts_the_work_not_the_tracing() -> None:
    # the same budget decides with and without tracing, and a raised budget lets the policy finish
    state = {"x": 1, "zs": list(range(40))}  # 40 × 40 inner items × 4 expressions = 6,400 steps
    for trace in (True, False):
        small = EvaluationOptions(today=TODAY, trace=trace, steps=6_000)
        with pytest.raises(DecisionlangError):
            evaluate(compile_source(NESTED), Portfolio.of([subject(state)]), small)
        enough = EvaluationOptions(today=TODAY, trace=trace, steps=10_000)
        report = evaluate(compile_source(NESTED), Portfolio.of([subject(state)]), enough)
        assert report.subjects[0].verdict is Verdict.NO_GO


def test_decisionlang_yaml_raises_the_budget(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        {
            "policies/extra.policy": "define pairs = count(a in [risk, risk]: all(b in [risk]: a + b > 0))\n"
            'policy extra "E" {\n  warn many when pairs > 5\n}\n',
            "decisionlang.yaml": "limits:\n  evaluation_steps: 10\n",
        },
    )
    with pytest.raises(DecisionlangError) as raised:
        evaluate_project(load_project(tmp_path), as_of=TODAY)
    assert [d.code for d in raised.value.diagnostics] == ["DL-EVAL-LIMIT"]
    (tmp_path / "decisionlang.yaml").write_text("limits:\n  evaluation_steps: 1000\n", encoding="utf-8")
    evaluate_project(load_project(tmp_path), as_of=TODAY)


@pytest.mark.parametrize(
    ("setting", "where"),
    [
        ("limits: 5", "1:1"),
        ("limits:\n  evaluation_steps: 0", "2:21"),
        ("limits:\n  evaluation_steps: lots", "2:21"),
        ("limits:\n  steps: 5", "2:3"),
    ],
)
def test_a_bad_limits_setting_is_a_located_config_error(tmp_path: Path, setting: str, where: str) -> None:
    write_project(tmp_path, {"decisionlang.yaml": setting + "\n"})
    [error] = load_project(tmp_path).errors
    assert (error.code, error.where) == ("DL-CONFIG", f"decisionlang.yaml:{where}")


def test_a_policy_test_over_the_budget_is_a_diagnostic_not_an_exception() -> None:
    items = ", ".join(str(i) for i in range(1500))  # 1,500 × 1,500 inner items: past the budget
    files = {
        "policies/p.policy": NESTED,
        "policies/p.test.yaml": f"as_of: 2026-11-26\ncases:\n  - name: big\n    subjects:\n"
        f"      - {{name: a, x: 1, y: 1, zs: [{items}]}}\n    expect:\n      verdict: no-go\n",
    }
    report = run_tests(SourceSet.from_memory(files, tests=True))
    assert [d.code for d in report.diagnostics if d.is_error] == ["DL-EVAL-LIMIT"]
    assert "(in definition `pairs`)" in report.diagnostics[0].message

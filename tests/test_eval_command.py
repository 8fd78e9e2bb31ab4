"""`decisionlang eval`: one expression for one subject, checked and compiled by the engine (no second
evaluator), with the trace a rule records; errors are diagnostics at the expression's column."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import check_golden

from decisionlang import cli
from decisionlang.api import evaluate_expression, evaluate_project, load_project

QUICKSTART = str(Path(__file__).resolve().parent.parent / "examples" / "quickstart")
AS_OF = "2026-11-26"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.main, ["eval", *args, QUICKSTART, "--as-of", AS_OF])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("name", "expression", "subject"),
    [
        ("condition", "criticality >= high and risk.security > 5", "legacy-crm"),
        ("score", "score(value_case) >= 10", "legacy-crm"),
        ("missing", "not on_call", "data-lake"),
        ("verdict", "verdict(change_readiness)", "legacy-crm"),
        ("dates", "support_ends - today", "legacy-crm"),
    ],
)
def test_text_output(name: str, expression: str, subject: str) -> None:
    code, stdout, stderr = run(expression, "--subject", subject)
    assert code == 0, stderr
    check_golden(f"cli/eval_{name}.txt", stdout)


def test_json_output() -> None:
    code, stdout, stderr = run(
        "max(risk.security, risk.compliance)", "--subject", "legacy-crm", "--format", "json"
    )
    assert code == 0, stderr
    payload = json.loads(stdout)
    assert (payload["schema"], payload["value"], payload["type"]) == ("decisionlang/eval/v1", 7, "number")
    check_golden("cli/eval_json.json", stdout)


@pytest.mark.parametrize(
    ("expression", "subject", "expected"),
    [
        ("tier > 1 and risk.securty > 2", "legacy-crm", "<expression>:1:14: error[DL-CHECK-UNDEFINED]"),
        ('tier + "a" > 1', "legacy-crm", "<expression>:1:1: error[DL-CHECK-TYPE]"),
        ("criticality >= hgih", "legacy-crm", "<expression>:1:16: error[DL-CHECK-SCALE-VALUE]"),
        ("tier > ", "legacy-crm", "<expression>:1:"),
        # a standalone expression's problems are an expression's, not those of a message's `{...}`
        ("tier >", "legacy-crm", "<expression>:1:7: error[DL-PARSE-EOF]: the expression ends too early"),
        (" ", "legacy-crm", "<expression>:1:1: error[DL-PARSE-EOF]: the expression is empty"),
        ("tier", "legacy-crn", "did you mean `legacy-crm`?"),
    ],
)
def test_errors_are_located_diagnostics_and_exit_2(expression: str, subject: str, expected: str) -> None:
    code, stdout, stderr = run(expression, "--subject", subject)
    assert code == 2
    assert stdout == ""
    assert expected in stderr
    assert "Traceback" not in stderr


def test_the_value_and_trace_are_those_of_the_rule_with_that_condition() -> None:
    """The condition of `change_readiness.exposed`, evaluated alone, reads the facts and makes the
    comparisons the engine recorded for the rule in a check."""
    project = load_project(QUICKSTART, cache=False)
    day = dt.date.fromisoformat(AS_OF)
    result, problems = evaluate_expression(
        project, "criticality == critical and risk.security >= 8", "payments-api", as_of=day
    )
    assert result is not None and problems == []
    report = evaluate_project(project, as_of=day, services=["payments-api"])
    rule = next(
        trace
        for policy in report.subjects[0].policies
        for trace in policy.rules
        if trace.rule == "change_readiness.exposed"
    )
    assert result.value is (rule.outcome.value == "fired")
    assert [(f.path, f.value) for f in result.trace.facts] == [(f.path, f.value) for f in rule.facts]
    assert [(c.left, c.operator, c.right, c.holds) for c in result.trace.comparisons] == [
        (c.left, c.operator, c.right, c.holds) for c in rule.comparisons
    ]

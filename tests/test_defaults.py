"""Defaults for missing information (`x ?? d`, `missing as`): every output shows the default a rule
used, from the one trace the engine recorded (S43); a default never changes a known value."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from decisionlang.api import SourceSet, evaluate_project, load_project
from decisionlang.core.model import FailOn, Report
from decisionlang.engine.board import board_facts
from decisionlang.engine.project import Project
from decisionlang.render import adr, html, markdown, render_explain, render_json, render_text

POLICY = """
schema { dora.deploys_per_week: number >= 0  on_call: bool }
policy delivery {
  not_yet slow when dora.deploys_per_week ?? 0 < 1
      because "{dora.deploys_per_week ?? 0} deployments a week"
  not_yet unpaged unless on_call missing as false
}
"""
SAID = "dora.deploys_per_week is missing: counted as 0"
AS_OF = dt.date(2026, 12, 2)


def _report(state: str) -> tuple[Report, Project]:
    project = load_project(SourceSet.from_memory({"policies/p.policy": POLICY, "services/a.yaml": state}))
    assert not project.errors, project.errors
    return evaluate_project(project, as_of=AS_OF), project


def test_every_output_says_which_default_was_used() -> None:
    report, project = _report("name: quiet\n")
    outputs = {
        "text": render_text(report, color=False),
        "explain": render_explain(report.subjects[0], color=False),
        "markdown": markdown.render_markdown(report, None, fail_on=FailOn.NOT_YET),
        "adr": adr.render_markdown(report, project.portfolio, title="t", kind="service"),
        "html": html.render_html(
            report,
            project.portfolio,
            board_facts(project.program, report),
            title="t",
        ),
    }
    for name, text in outputs.items():
        plain = text.replace("\\_", "_")  # markdown escapes underscores
        assert SAID in plain and "on_call is missing: counted as false" in plain, name
    assert "default   " + SAID in outputs["text"]
    data = json.loads(render_json(report))
    subject = data["services"][0]
    rules = {rule["rule"]: rule for rule in subject["policies"][0]["rules"]}
    policy_file = subject["files"].index("policies/p.policy")  # v3: a location names its file by position
    assert rules["delivery.slow"]["defaults"] == [
        {
            "expression": "dora.deploys_per_week",
            "value": 0,
            "location": [policy_file, 4, 46],
            "missing": [["quiet", "services/a.yaml", "dora.deploys_per_week"]],
        }
    ]
    assert rules["delivery.unpaged"]["defaults"][0]["written"] == "missing as"
    assert Report.from_dict(data) == report  # the defaults survive the JSON and the decision log


def test_no_default_is_recorded_when_the_fact_is_given() -> None:
    report, _ = _report("name: busy\ndora: {deploys_per_week: 3}\non_call: true\n")
    assert report.verdict.value == "go"
    assert all(not rule.defaults for policy in report.subjects[0].policies for rule in policy.rules)
    assert "counted as" not in render_text(report, color=False)


@settings(max_examples=40, deadline=None)
@given(
    value=st.one_of(st.none(), st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False)),
    fallback=st.integers(-50, 50),
)
def test_a_default_replaces_only_what_is_missing(value: float | None, fallback: int) -> None:
    policy = f"schema {{ n: number }}\npolicy p {{ warn low when n ?? {fallback} < 0 }}\n"
    state = "name: a\n" + ("" if value is None else f"n: {value!r}\n")
    project = load_project(SourceSet.from_memory({"policies/p.policy": policy, "services/a.yaml": state}))
    assert not project.errors, project.errors
    report = evaluate_project(project, as_of=AS_OF)
    rule = report.subjects[0].policies[0].rules[0]
    effective = fallback if value is None else value
    assert (rule.outcome.value == "fired") == (effective < 0)
    assert bool(rule.defaults) == (value is None)


def test_a_default_of_another_type_is_a_located_error_with_a_clean_hint() -> None:
    policy = 'schema { n: number }\npolicy p {\n  not_yet x when n ?? "none" > 1\n}\n'
    project = load_project(
        SourceSet.from_memory({"policies/p.policy": policy, "services/a.yaml": "name: a\n"})
    )
    [error] = project.errors
    assert (error.code, error.where) == ("DL-CHECK-TYPE", "policies/p.policy:3:23")
    assert error.help == "a default stands for the missing value: give a number"

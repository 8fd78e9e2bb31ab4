"""`verdict(p)` reads another policy's decision on the same subject (S51): after its waivers, decided
once and shared with the report, and linked from the trace in every output."""

from __future__ import annotations

import datetime as dt
import json

from decisionlang.api import SourceSet, evaluate_project, load_project
from decisionlang.core.model import Report, Verdict
from decisionlang.render import render_explain, render_json, render_text

POLICY = """
schema { risk: integer 0..10 }
policy risk_gate "Risk is reviewed" { enforcement soft  not_yet risky when risk >= 5 because "risk {risk}" }
policy follow "Follows the risk gate" {
  not_yet waiting unless verdict(risk_gate) == go because "the risk gate says {verdict(risk_gate)}"
}
"""
WAIVER = """
waivers:
  - id: W-1
    subject: api
    rule: risk_gate.risky
    owner: team-a
    approver: CISO
    rationale: reviewed by hand this quarter
    compensating_measure: weekly review
    granted: 2026-11-01
    expires: 2027-01-31
"""
AS_OF = dt.date(2026, 12, 2)


def _report(files: dict[str, str]) -> Report:
    project = load_project(SourceSet.from_memory({"policies/p.policy": POLICY, **files}))
    assert not project.errors, project.errors
    return evaluate_project(project, as_of=AS_OF)


def test_the_verdict_read_is_the_one_after_waivers() -> None:
    without = _report({"services/a.yaml": "name: api\nrisk: 6\n"})
    assert without.subjects[0].verdict is Verdict.NOT_YET
    assert {rule.rule for policy in without.subjects[0].policies for rule in policy.reasons} == {
        "risk_gate.risky",
        "follow.waiting",
    }
    waived = _report({"services/a.yaml": "name: api\nrisk: 6\n", "waivers/w.yaml": WAIVER})
    assert waived.subjects[0].verdict is Verdict.GO  # lifted, and the follower reads the lifted GO
    follow = next(policy for policy in waived.subjects[0].policies if policy.policy == "follow")
    (read,) = follow.rules[0].verdicts
    assert (read.policy, read.verdict, read.applies) == ("risk_gate", Verdict.GO, True)


def test_every_output_links_to_the_decision_read() -> None:
    report = _report({"services/a.yaml": "name: api\nrisk: 6\n"})
    said = "policy risk_gate: NOT YET (policies/p.policy:3:8)"
    assert "verdict   " + said in render_text(report, color=False)
    assert said in render_explain(report.subjects[0], color=False)
    data = json.loads(render_json(report))
    subject = data["services"][0]
    follow = subject["policies"][1]["rules"][0]
    policy_file = subject["files"].index("policies/p.policy")  # v3: a location names its file by position
    assert follow["verdicts"] == [
        {
            "policy": "risk_gate",
            "subject": "api",
            "verdict": "not-yet",
            "location": [policy_file, 3, 8],
        }
    ]
    assert Report.from_dict(data) == report


def test_the_policy_read_is_decided_once_and_reported_as_read() -> None:
    report = _report({"services/a.yaml": "name: api\nrisk: 6\n"})
    gate, follow = report.subjects[0].policies
    assert gate.verdict is Verdict.NOT_YET and follow.verdict is Verdict.NOT_YET
    assert follow.rules[0].message == "the risk gate says NOT YET"
    assert follow.rules[0].verdicts[0].verdict is gate.verdict


def test_a_verdict_read_is_printed_as_every_verdict_is() -> None:
    """`NOT YET` in messages and traces, as verdicts read everywhere; JSON keeps the scale value."""
    report = _report({"services/a.yaml": "name: api\nrisk: 6\n"})
    text = render_text(report, color=False)
    assert "because   the risk gate says NOT YET" in text
    assert "verdict(risk_gate) = NOT YET == go  (does not hold)" in text
    assert "not_yet" not in text.replace("(not-yet rule)", "")
    explained = render_explain(report.subjects[0], color=False)
    assert "verdict(risk_gate) = NOT YET == go  (does not hold)" in explained
    assert "the risk gate says NOT YET" in explained
    data = json.loads(render_json(report))
    (comparison,) = data["services"][0]["policies"][1]["rules"][0]["comparisons"]
    assert (comparison["left"], comparison["right"]) == ("not_yet", "go")
    go = _report({"services/a.yaml": "name: api\nrisk: 1\n"})
    assert "verdict(risk_gate) = GO == go  (holds)" in render_explain(go.subjects[0], color=False)

"""Requirement and term waivers (S52): counted in the level or score, named in every output from
the one trace, kept in the JSON report (valid against its schema) and among the subject's waivers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema

from decisionlang.api import SourceSet, evaluate_project, load_project
from decisionlang.core.model import FailOn, Report, Verdict
from decisionlang.core.views import (
    WaiverStanding,
    applied_waivers,
    exemptions,
    verdict_without_waivers,
    waiver_effects,
    waiver_standing,
)
from decisionlang.engine.board import board_facts
from decisionlang.render import adr, html, markdown, render_explain, render_json, render_text

SCHEMA = json.loads((Path(__file__).parent.parent / "schemas" / "report-v3.schema.json").read_text("utf-8"))
POLICY = """
schema { docs: bool  slo: bool  business_value: integer 0..10  effort: integer 1..5 }
maturity ops {
  level bronze { documented: docs }
  level silver { has_slo: slo }
}
criteria value {
  business_value weight 2
  effort: effort weight -1
  normalize to 10
}
policy gate {
  not_yet below_silver unless at_least(ops, silver) because "ops at {level_name(ops)}"
  go worth when score(value) >= 5 because "value {score(value)}"
}
"""
WAIVER = """
  - id: {id}
    subject: a
    {target}
    owner: team-a
    approver: CTO
    rationale: accepted for the migration
    compensating_measure: reviewed weekly
    granted: 2026-11-01
    expires: 2027-03-31
"""
FILES = {
    "policies/p.policy": POLICY,
    "services/a.yaml": "name: a\ndocs: true\nslo: false\nbusiness_value: 6\n",
    "waivers/w.yaml": "waivers:"
    + WAIVER.format(id="W-1", target="requirement: ops.silver.has_slo")
    + WAIVER.format(id="W-2", target="term: value.effort"),
}


def test_exemptions_decide_and_every_output_names_them() -> None:
    project = load_project(SourceSet.from_memory(FILES))
    assert not project.errors, project.errors
    report = evaluate_project(project, as_of=dt.date(2026, 12, 2))
    subject = report.subjects[0]
    assert subject.verdict is Verdict.GO  # silver reached through W-1, value 6 of 10 without effort
    assert sorted((e.waiver.id, e.target, e.kind) for e in exemptions(subject)) == [
        ("W-1", "ops.silver.has_slo", "requirement"),
        ("W-2", "value.effort", "term"),
    ]
    assert [waiver.id for waiver in applied_waivers(subject)] == ["W-1", "W-2"]
    # GO only because of them: shown as lifted, like a policy a waiver lifts
    assert waiver_standing(subject) is WaiverStanding.DECIDES
    assert verdict_without_waivers(subject) is Verdict.NOT_YET
    assert [(e.waiver.id, e.lifted_from) for e in waiver_effects(subject)] == [
        ("W-1", Verdict.NOT_YET),
        ("W-2", Verdict.NOT_YET),
    ]
    assert "(waived: W-1, expires 2027-03-31, W-2, expires 2027-03-31)" in render_text(report, color=False)
    explained = render_explain(subject, color=False)
    assert (
        "W-1 counts requirement ops.silver.has_slo as met (it does not hold), until 2027-03-31" in explained
    )
    assert "left out by W-2" in explained
    data = json.loads(render_json(report))
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert Report.from_dict(data) == report
    rules = data["services"][0]["policies"][0]["rules"]
    assert rules[0]["exemptions"][0]["target"] == "ops.silver.has_slo"
    assert rules[0]["maturities"][0]["exempted"][0]["waiver"] == "W-1"
    assert rules[1]["scores"][0]["terms"][1]["waiver"] == "W-2"


def test_the_deciding_rule_names_the_exemption_in_every_output() -> None:
    policy = POLICY.replace("go worth when score(value) >= 5", "not_yet low_value when score(value) < 5")
    files = {
        **FILES,
        "policies/p.policy": policy,
        "services/a.yaml": "name: a\ndocs: true\nslo: false\nbusiness_value: 1\n",
    }
    project = load_project(SourceSet.from_memory(files))
    report = evaluate_project(project, as_of=dt.date(2026, 12, 2))
    assert report.subjects[0].verdict is Verdict.NOT_YET  # a value of 1 of 10 still falls short
    said = "W-2 leaves term value.effort out of the score, until 2027-03-31"
    outputs = {
        "text": render_text(report, color=False),
        "markdown": markdown.render_markdown(report, None, fail_on=FailOn.NOT_YET).replace("\\_", "_"),
        "adr": adr.render_markdown(report, project.portfolio, title="t", kind="service"),
        "html": html.render_html(report, project.portfolio, board_facts(project.program, report), title="t"),
    }
    for name, text in outputs.items():
        assert said in text, name
    assert "waiver    " + said in outputs["text"]

"""Table-driven conformance cases: tests/conformance/*.yaml, each a list of cases.

A case gives `policy` text (or `policies`: {file: text}), `state` YAML text (or `states`), optional
`waivers` ({file: text} under waivers/), an optional `as_of` date and `strict`, and what to expect:
  expect:
    verdict: go | no-go | not-yet      # overall verdict
    subjects: {name: verdict, ...}     # per-subject verdicts
    decided_by: [rule ids]             # decisive rule ids over all subjects (sorted)
    missing: [field, ...]              # missing fields over all subjects (sorted)
    warnings: [rule ids]               # rules that raised warnings (sorted)
    messages: [text, ...]              # decisive messages (sorted)
    until: [text, ...]                 # what must hold (sorted, over all subjects)
    errors: [CODE, ...]                # diagnostics with error severity (sorted codes)
    warning_codes: [CODE, ...]         # diagnostics with warning severity (sorted codes)
    strict_errors: [CODE, ...]         # error diagnostics of the report (with `strict: true`)
    warning_messages: [text, ...]      # subjects' warning texts (sorted, over all subjects)
    warning_spans: ["CODE file:line:col", ...]  # warning diagnostics with their place (sorted)
    order: [name, ...]                 # subjects in report order
    must_hold: {name: [text, ...]}     # a subject's "what must hold", in order
    policies: {name: [policy, ...]}    # policies that applied to a subject, in report order
    rules: {name: [rule id, ...]}      # every rule trace of a subject, in report order
    outcomes: {name: {rule id: fired | not-fired | unknown | error | applied}}
    reasons: {name: {rule id: message}}  # a subject's decisive rules and their messages
    scores: {name: {criteria: total-or-null}}    # from the traces of the subject's rules
    terms: {name: {criteria: [contribution-or-null, ...]}}
    tradeoffs: {name: {tradeoff: [first value, second value, acceptable, margin]}}
    comparisons: {name: {rule id: [[expression, holds, margin], ...]}}
    maturity: {name: {model: [level-or-null, rank, next-level-or-null, [requirement id, ...]]}}
    defaults: {name: [text, ...]}      # the defaults a subject's rules used, as traces word them (sorted)
    verdict_reads: {name: [text, ...]}  # other policies' verdicts its rules read, as traces word them
    exemptions: {name: [[waiver id, target], ...]}  # requirement and term waivers counted (sorted)
    message_contains: [text, ...]      # each text is part of some decisive message
    warning_contains: [text, ...]      # each text is part of some warning message
    exit_code: N                       # `decisionlang check --format json [--strict]` exits with N
    deterministic: true                # loading and rendering twice gives the same bytes

Other keys are documentation: `covers: [S4, ...]` names the ids of docs/semantics.md a case
exercises (tests/test_semantics_coverage.py checks them). A case with `xfail: "<reason>"` records
a known disagreement between the engine and docs/semantics.md: it runs as a strict xfail, so it
fails loudly once the engine is fixed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from decisionlang.api import evaluate_project, load_project
from decisionlang.cli import main
from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.core.model import Comparison, Report
from decisionlang.core.views import exemptions
from decisionlang.render import render_json, render_text
from decisionlang.render.text import format_default, format_verdict_read

CASES_DIR = Path(__file__).parent / "conformance"


def _cases() -> list[Any]:
    params = []
    yaml = YAML(typ="safe", pure=True)
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.load(path.read_text(encoding="utf-8")):
            marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if case.get("xfail") else []
            params.append(pytest.param(case, id=f"{path.stem}:{case['name']}", marks=marks))
    return params


def _write(root: Path, case: dict[str, Any]) -> None:
    policies = case.get("policies") or {"case.policy": case["policy"]}
    states = case.get("states") or {"state.yaml": case.get("state", "")}
    for name, text in policies.items():
        target = root / "policies" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for name, text in case.get("waivers", {}).items():
        target = root / "waivers" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for name, text in states.items():
        target = root / "services" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def _codes(diagnostics: Any, errors: bool) -> list[str]:
    return sorted(d.code for d in diagnostics if d.is_error == errors)


@pytest.mark.parametrize("case", _cases())
def test_conformance(case: dict[str, Any], tmp_path: Path) -> None:
    _write(tmp_path, case)
    expect = case["expect"]
    project = load_project(tmp_path)
    if "errors" in expect:
        assert _codes(project.diagnostics, errors=True) == sorted(expect["errors"])
        if expect["errors"]:
            with pytest.raises(DecisionlangError):
                evaluate_project(project, as_of=dt.date(2026, 11, 26))
            return
    assert not project.errors, [str(d) for d in project.errors]
    as_of = case.get("as_of") or dt.date(2026, 11, 26)
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    report = evaluate_project(project, as_of=as_of, strict=bool(case.get("strict")))
    if "verdict" in expect:
        assert report.verdict.value == expect["verdict"]
    if "subjects" in expect:
        assert {s.subject: s.verdict.value for s in report.subjects} == expect["subjects"]
    decisive = [r for s in report.subjects for p in s.policies for r in p.reasons]
    if "decided_by" in expect:
        assert sorted({r.rule for r in decisive}) == sorted(expect["decided_by"])
    if "messages" in expect:
        assert sorted({r.message for r in decisive if r.message}) == sorted(expect["messages"])
    if "missing" in expect:
        assert sorted({m.path for s in report.subjects for m in s.missing}) == sorted(expect["missing"])
    if "warnings" in expect:
        assert sorted({w.rule for s in report.subjects for w in s.warnings}) == sorted(expect["warnings"])
    if "until" in expect:
        assert sorted({u for s in report.subjects for u in s.must_hold}) == sorted(expect["until"])
    if "warning_codes" in expect:
        assert sorted(set(_codes(report.diagnostics, errors=False))) == sorted(expect["warning_codes"])
    if "strict_errors" in expect:
        assert sorted({d.code for d in report.diagnostics if d.is_error}) == sorted(expect["strict_errors"])
    _check_details(report, expect)
    if "exit_code" in expect:
        args = ["check", str(tmp_path), "--as-of", as_of.isoformat(), "--format", "json"]
        result = CliRunner().invoke(main, [*args, "--strict"] if case.get("strict") else args)
        assert result.exit_code == expect["exit_code"], result.output
    if expect.get("deterministic"):
        again = evaluate_project(load_project(tmp_path), as_of=as_of, strict=bool(case.get("strict")))
        assert render_json(again) == render_json(report)
        assert render_text(again, color=False) == render_text(report, color=False)


def _check_details(report: Report, expect: dict[str, Any]) -> None:
    """The finer expectations: order, must-hold lists, rule outcomes and trace values."""
    by_name = {subject.subject: subject for subject in report.subjects}
    decisive = [r.message or "" for s in report.subjects for p in s.policies for r in p.reasons]
    for text in expect.get("message_contains", []):
        assert any(text in message for message in decisive), (text, decisive)
    warned = [w.message for s in report.subjects for w in s.warnings]
    for text in expect.get("warning_contains", []):
        assert any(text in message for message in warned), (text, warned)
    if "warning_messages" in expect:
        found = sorted({w.message for s in report.subjects for w in s.warnings})
        assert found == sorted(expect["warning_messages"])
    if "warning_spans" in expect:
        found = sorted({f"{d.code} {d.where}" for d in report.diagnostics if not d.is_error})
        assert found == sorted(expect["warning_spans"])
    if "order" in expect:
        assert [subject.subject for subject in report.subjects] == expect["order"]
    for name, wanted in expect.get("must_hold", {}).items():
        assert list(by_name[name].must_hold) == wanted, name
    for name, wanted in expect.get("policies", {}).items():
        assert [policy.policy for policy in by_name[name].policies] == wanted, name
    for name, wanted in expect.get("rules", {}).items():
        assert [rule.rule for policy in by_name[name].policies for rule in policy.rules] == wanted, name
    for name, wanted in expect.get("outcomes", {}).items():
        rules = {rule.rule: rule.outcome.value for policy in by_name[name].policies for rule in policy.rules}
        assert {rule: rules.get(rule) for rule in wanted} == wanted, name
    for name, wanted in expect.get("reasons", {}).items():
        found = {rule.rule: rule.message for policy in by_name[name].policies for rule in policy.reasons}
        assert found == wanted, name
    traces = {name: [rule for policy in by_name[name].policies for rule in policy.rules] for name in by_name}
    for name, wanted in expect.get("scores", {}).items():
        found = {score.criteria: score.total for rule in traces[name] for score in rule.scores}
        assert {key: found.get(key, "absent") for key in wanted} == wanted, name
    for name, wanted in expect.get("terms", {}).items():
        found_terms = {
            score.criteria: [term.contribution for term in score.terms]
            for rule in traces[name]
            for score in rule.scores
        }
        assert {key: found_terms.get(key) for key in wanted} == wanted, name
    for name, wanted in expect.get("tradeoffs", {}).items():
        found_tradeoffs = {
            t.tradeoff: [t.first_value, t.second_value, t.acceptable, t.margin]
            for rule in traces[name]
            for t in rule.tradeoffs
        }
        assert {key: found_tradeoffs.get(key) for key in wanted} == wanted, name
    for name, wanted in expect.get("comparisons", {}).items():
        found_comparisons = {
            rule.rule: [[c.expression, c.holds, c.margin] for c in rule.comparisons] for rule in traces[name]
        }
        assert {key: found_comparisons.get(key) for key in wanted} == wanted, name
    for name, wanted in expect.get("margins", {}).items():
        found_margins = {
            rule.rule: [
                [
                    item.expression if isinstance(item, Comparison) else item.tradeoff,
                    item.margin,
                    item.unit,
                    item.direction.value if item.direction else None,
                ]
                for item in (*rule.comparisons, *rule.tradeoffs)
            ]
            for rule in traces[name]
        }
        assert {key: found_margins.get(key) for key in wanted} == wanted, name
    for name, wanted in expect.get("defaults", {}).items():
        used = {format_default(default, name) for rule in traces[name] for default in rule.defaults}
        assert sorted(used) == sorted(wanted), name
    for name, wanted in expect.get("exemptions", {}).items():
        counted = sorted([e.waiver.id, e.target] for e in exemptions(by_name[name]))
        assert counted == sorted(wanted), name
    for name, wanted in expect.get("verdict_reads", {}).items():
        links = {format_verdict_read(read, name) for rule in traces[name] for read in rule.verdicts}
        assert sorted(links) == sorted(wanted), name
    for name, wanted in expect.get("maturity", {}).items():
        found_maturity = {
            m.maturity: [m.level, m.rank, m.next_level, [r.requirement for r in m.missing]]
            for rule in traces[name]
            for m in rule.maturities
        }
        assert {key: found_maturity.get(key) for key in wanted} == wanted, name

"""The machine-readable report: one JSON object, schema `decisionlang/report/v1`.

The shape is described by `schemas/report-v1.schema.json`. Output is deterministic: keys are
sorted, lists keep report order, floats are rounded to 6 decimal places (non-finite numbers become
null) so that tiny floating-point noise never changes the bytes.
"""

from __future__ import annotations

import json
from typing import Any

from decisionlang.compare.changes import FactChange, Reading, SubjectChange, VerdictDiff, WaiverChange
from decisionlang.core.diagnostics import Diagnostic
from decisionlang.core.format import json_number, json_value
from decisionlang.core.model import (
    Comparison,
    Fact,
    Location,
    MaturityTrace,
    MissingInformation,
    PolicyResult,
    Report,
    RequirementTrace,
    RuleTrace,
    ScoreTerm,
    ScoreTrace,
    SubjectResult,
    TradeoffTrace,
    Warning,
)
from decisionlang.render.diff import change_summary

SCHEMA_ID = "decisionlang/report/v1"


def render_json(report: Report, diff: VerdictDiff | None = None) -> str:
    """The report as one pretty-printed JSON object followed by a newline; with a verdict diff
    (`check --base`), its `changes` section too."""
    data = report_to_dict(report, diff)
    text = json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    return text + "\n"


def report_to_dict(report: Report, diff: VerdictDiff | None = None) -> dict[str, Any]:
    """The report as plain JSON data (dicts, lists, str, int, float, bool, None)."""
    data = _report_fields(report)
    if diff is not None:
        data["changes"] = changes_to_dict(diff)
    return data


def _report_fields(report: Report) -> dict[str, Any]:
    return {
        "schema": SCHEMA_ID,
        "as_of": report.as_of.isoformat() if report.as_of is not None else None,
        "verdict": report.verdict.value,
        "summary": report.summary(),
        "services": [subject_to_dict(subject) for subject in report.subjects],
        "diagnostics": [diagnostic_to_dict(diagnostic) for diagnostic in report.diagnostics],
    }


def subject_to_dict(subject: SubjectResult) -> dict[str, Any]:
    return {
        "service": subject.subject,
        "kind": subject.kind,
        "verdict": subject.verdict.value,
        "location": location_to_dict(subject.location),
        "policies": [policy_to_dict(policy) for policy in subject.policies],
        "warnings": [warning_to_dict(warning) for warning in subject.warnings],
        "missing": [missing_to_dict(missing) for missing in subject.missing],
        "must_hold": list(subject.must_hold),
    }


def policy_to_dict(policy: PolicyResult) -> dict[str, Any]:
    return {
        "policy": policy.policy,
        "title": policy.title,
        "verdict": policy.verdict.value,
        "enforcement": policy.enforcement.value,
        "location": location_to_dict(policy.location),
        "reasons": [rule_to_dict(rule) for rule in policy.reasons],
        "rules": [rule_to_dict(rule) for rule in policy.rules],
        "unwaived_verdict": policy.unwaived.value if policy.unwaived is not None else None,
        "waivers": [
            {
                "id": waiver.id,
                "expires": waiver.expires.isoformat(),
                "owner": waiver.owner,
                "approver": waiver.approver,
                "rationale": waiver.rationale,
                "compensating_measure": waiver.compensating_measure,
                "location": location_to_dict(waiver.location),
            }
            for waiver in policy.waived_by
        ],
    }


def rule_to_dict(rule: RuleTrace) -> dict[str, Any]:
    return {
        "rule": rule.rule,
        "kind": rule.kind.value,
        "outcome": rule.outcome.value,
        "decisive": rule.decisive,
        "message": rule.message,
        "until": rule.until,
        "location": location_to_dict(rule.location),
        "facts": [fact_to_dict(fact) for fact in rule.facts],
        "comparisons": [comparison_to_dict(comparison) for comparison in rule.comparisons],
        "scores": [score_to_dict(score) for score in rule.scores],
        "tradeoffs": [tradeoff_to_dict(tradeoff) for tradeoff in rule.tradeoffs],
        "maturities": [maturity_to_dict(maturity) for maturity in rule.maturities],
        "error": diagnostic_to_dict(rule.error) if rule.error is not None else None,
    }


def fact_to_dict(fact: Fact) -> dict[str, Any]:
    return {
        "subject": fact.subject,
        "field": fact.path,
        "value": json_value(fact.value),
        "location": location_to_dict(fact.location),
        "missing": fact.missing,
    }


def comparison_to_dict(comparison: Comparison) -> dict[str, Any]:
    return {
        "expression": comparison.expression,
        "left": json_value(comparison.left),
        "operator": comparison.operator,
        "right": json_value(comparison.right),
        "holds": comparison.holds,
        "margin": json_number(comparison.margin),
        "location": location_to_dict(comparison.location),
        "bound": comparison.bound,
    } | margin_meaning(comparison)


def margin_meaning(item: Comparison | TradeoffTrace) -> dict[str, Any]:
    """The margin's unit and direction, written only when known (most checks have neither)."""
    meaning: dict[str, Any] = {}
    if item.unit is not None:
        meaning["unit"] = item.unit
    if item.direction is not None:
        meaning["direction"] = item.direction.value
    return meaning


def score_to_dict(score: ScoreTrace) -> dict[str, Any]:
    return {
        "criteria": score.criteria,
        "title": score.title,
        "total": json_number(score.total),
        "normalized_to": json_number(score.normalized_to),
        "terms": [term_to_dict(term) for term in score.terms],
        "raw_total": json_number(score.raw_total),
        "raw_range": None if score.raw_range is None else [json_number(bound) for bound in score.raw_range],
    }


def term_to_dict(term: ScoreTerm) -> dict[str, Any]:
    return {
        "expression": term.expression,
        "value": json_value(term.value),
        "normalized": json_number(term.normalized),
        "weight": json_number(term.weight),
        "contribution": json_number(term.contribution),
    }


def tradeoff_to_dict(tradeoff: TradeoffTrace) -> dict[str, Any]:
    return {
        "tradeoff": tradeoff.tradeoff,
        "title": tradeoff.title,
        "first": tradeoff.first,
        "first_value": json_value(tradeoff.first_value),
        "second": tradeoff.second,
        "second_value": json_value(tradeoff.second_value),
        "acceptable": tradeoff.acceptable,
        "margin": json_number(tradeoff.margin),
    } | margin_meaning(tradeoff)


def maturity_to_dict(maturity: MaturityTrace) -> dict[str, Any]:
    return {
        "maturity": maturity.maturity,
        "title": maturity.title,
        "level": maturity.level,
        "rank": maturity.rank,
        "next_level": maturity.next_level,
        "missing": [requirement_to_dict(requirement) for requirement in maturity.missing],
    }


def requirement_to_dict(requirement: RequirementTrace) -> dict[str, Any]:
    return {
        "requirement": requirement.requirement,
        "level": requirement.level,
        "holds": requirement.holds,
        "message": requirement.message,
    }


def warning_to_dict(warning: Warning) -> dict[str, Any]:
    return {
        "policy": warning.policy,
        "rule": warning.rule,
        "message": warning.message,
        "location": location_to_dict(warning.location),
    }


def missing_to_dict(missing: MissingInformation) -> dict[str, Any]:
    return {
        "field": missing.path,
        "subject": missing.subject,
        "file": missing.file,
        "policy": missing.policy,
        "rule": missing.rule,
    }


def location_to_dict(location: Location) -> dict[str, Any]:
    return {"file": location.file, "line": location.line, "column": location.column}


def diagnostic_to_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    return {key: json_value(value) for key, value in diagnostic.to_json().items()}


# ---------------------------------------------------------------- the verdict diff (`check --base`)


def changes_to_dict(diff: VerdictDiff) -> dict[str, Any]:
    """What the change does to the decisions: the base, each changed subject, the gate verdict."""

    evaluated = diff.base_evaluated
    return {
        "base": diff.base,
        "base_commit": diff.base_commit,
        "base_evaluated": evaluated,
        "base_verdict": diff.before.verdict.value if evaluated else None,
        "base_summary": diff.before.summary(),
        "base_diagnostics": [diagnostic_to_dict(diagnostic) for diagnostic in diff.before.diagnostics],
        "verdict": diff.changed_verdict.value,
        "unchanged": diff.unchanged,
        "subjects": [change_to_dict(change, base_evaluated=evaluated) for change in diff.changes],
    }


def change_to_dict(change: SubjectChange, *, base_evaluated: bool = True) -> dict[str, Any]:
    return {
        "service": change.subject,
        "change": change.kind.value,
        "before": change.before.value if change.before is not None else None,
        "after": change.after.value if change.after is not None else None,
        "summary": change_summary(change, base_evaluated=base_evaluated),
        "rules_now": list(change.rules_now),
        "rules_before": list(change.rules_before),
        "facts": [fact_change_to_dict(fact) for fact in change.facts],
        "warnings_added": [warning_to_dict(warning) for warning in change.warnings_added],
        "warnings_removed": [warning_to_dict(warning) for warning in change.warnings_removed],
        "waivers_started": [waiver_change_to_dict(waiver) for waiver in change.waivers_started],
        "waivers_stopped": [waiver_change_to_dict(waiver) for waiver in change.waivers_stopped],
        "edited_rules": [
            {"rule": edit.rule, "before": edit.before, "after": edit.after} for edit in change.edited
        ],
    }


def fact_change_to_dict(fact: FactChange) -> dict[str, Any]:
    """`before`/`after` hold the value, null when the trace found it missing (`*_missing`)."""
    return {
        "subject": fact.subject,
        "field": fact.path,
        "before": _reading_value(fact.before),
        "after": _reading_value(fact.after),
        "before_missing": fact.before.missing,
        "after_missing": fact.after.missing,
        "location": location_to_dict(fact.location),
    }


def _reading_value(reading: Reading) -> Any:
    return None if reading.missing else json_value(reading.value)


def waiver_change_to_dict(change: WaiverChange) -> dict[str, Any]:
    return {"policy": change.policy, "id": change.waiver.id, "expires": change.waiver.expires.isoformat()}

"""`check --format sarif`: SARIF 2.1.0 for code scanning (GitHub, GitLab, IDE viewers).

One result per deciding rule per subject, at the deciding fact in the state file, with the rule in
the policy file as a related location; advisory warnings are `note` results. Rule metadata sits in
`tool.driver.rules`. URIs are relative to the decision repo's root (uriBaseId `PROJECTROOT`).

A partial fingerprint hashes policy, rule and subject, never lines, so an alert survives edits
around it. With a diff, every head finding is still reported (code scanning compares runs itself)
and each carries a `baselineState` against the base revision.

A rule a waiver lifts is still reported, at the level of the verdict it would give, with the
waiver as an accepted external suppression: the compromise stays visible, and its alert closed.

The findings themselves (what decides, what a waiver lifts, warnings) come from `core.views`,
as for every other CI format.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from decisionlang import __version__
from decisionlang.compare.changes import VerdictDiff
from decisionlang.core.diagnostics import Diagnostic, Severity
from decisionlang.core.escapes import inert_json
from decisionlang.core.format import show
from decisionlang.core.model import (
    AppliedWaiver,
    Enforcement,
    Fact,
    FailOn,
    Location,
    Report,
    RuleKind,
    Verdict,
)
from decisionlang.core.views import Finding, fact_evidence, findings
from decisionlang.render.text import finding_sentence, quoted_title, rule_kind_words

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/decisionlang/"
URI_BASE_ID = "PROJECTROOT"
FINGERPRINT_KEY = "decisionlang/v1"

_LEVELS = {Verdict.NO_GO: "error", Verdict.NOT_YET: "warning", None: "note"}

# What a rule of each kind does to a subject, for the rule's full description.
_EFFECTS = {
    RuleKind.NO_GO: "When it fires, the subject is NO-GO.",
    RuleKind.NOT_YET: "When it fires, the subject is NOT YET.",
    RuleKind.GO: "The policy gives GO only when a go rule holds; one that cannot be decided gives NOT YET.",
    RuleKind.OTHERWISE: "It applies when no other rule of the policy decides.",
    RuleKind.WARN: "When it fires, it reports a warning; the verdict does not change.",
}


# ---------------------------------------------------------------- findings (core.views) in SARIF's terms


def finding_level(finding: Finding) -> str:
    """The SARIF level: error for NO-GO, warning for NOT YET, note for a warning."""
    return _LEVELS[finding.verdict]


def fingerprint(finding: Finding) -> str:
    """Stable across runs and edits: the policy, rule and subject, never a line number."""
    text = "\x1f".join((FINGERPRINT_KEY, *finding.key))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- SARIF


def render_sarif(report: Report, diff: VerdictDiff | None, *, fail_on: FailOn) -> str:
    """The report as one SARIF 2.1.0 log, pretty-printed, followed by a newline."""
    return (
        inert_json(json.dumps(sarif_log(report, diff, fail_on=fail_on), indent=2, ensure_ascii=False)) + "\n"
    )


def sarif_log(report: Report, diff: VerdictDiff | None, *, fail_on: FailOn) -> dict[str, Any]:
    found = findings(report)
    rules = rule_descriptors(found)
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    before = {finding.key: finding for finding in findings(diff.before)} if diff is not None else None
    run = sarif_run(rules, [sarif_result(finding, index[finding.rule], before) for finding in found])
    run["properties"] = run_properties(report, diff, fail_on=fail_on)
    notifications = [notification(d) for d in report.diagnostics]
    if notifications:  # expired or stale waivers, evaluation problems: what the run noticed
        run["invocations"] = [{"executionSuccessful": True, "toolExecutionNotifications": notifications}]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def sarif_run(rules: list[dict[str, Any]], results: list[dict[str, Any]]) -> dict[str, Any]:
    """One SARIF run of decisionlang: the tool and its rules, the repo root as `%SRCROOT%`, the
    results (the check's findings or the linter's)."""
    return {
        "tool": {
            "driver": {
                "name": "decisionlang",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {
            URI_BASE_ID: {"description": {"text": "The root of the decision repo that was checked."}}
        },
        "columnKind": "unicodeCodePoints",
        "results": results,
    }


def diagnostic_level(diagnostic: Diagnostic) -> str:
    """The SARIF level of a diagnostic: error, warning, or note for an info."""
    return {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(diagnostic.severity, "note")


def notification(diagnostic: Diagnostic) -> dict[str, Any]:
    """A diagnostic of the run (a DL-WAIVER-* or DL-EVAL-* warning) as a SARIF notification."""
    note: dict[str, Any] = {
        "descriptor": {"id": diagnostic.code},
        "level": diagnostic_level(diagnostic),
        "message": {"text": diagnostic.message + (f" ({diagnostic.help})" if diagnostic.help else "")},
    }
    path = diagnostic.span.path if diagnostic.span is not None else diagnostic.file
    if path:
        physical: dict[str, Any] = {"artifactLocation": {"uri": path, "uriBaseId": URI_BASE_ID}}
        if diagnostic.span is not None:
            physical["region"] = {"startLine": diagnostic.span.line, "startColumn": diagnostic.span.column}
        note["locations"] = [{"physicalLocation": physical}]
    return note


# ---------------------------------------------------------------- diagnostics as results (lint)


@dataclass(frozen=True)
class DiagnosticRule:
    """What `tool.driver.rules` says of one diagnostic code: its name, a sentence, its docs."""

    id: str
    name: str
    summary: str
    help_uri: str
    level: str  # the default level: error, warning or note


def render_diagnostics_sarif(
    diagnostics: Sequence[Diagnostic],
    rules: Sequence[DiagnosticRule],
    properties: dict[str, Any] | None = None,
) -> str:
    """Diagnostics (each with a span) as one SARIF 2.1.0 log of results, one per diagnostic,
    pretty-printed and followed by a newline. `rules` describe the codes, in the order given."""
    index = {rule.id: position for position, rule in enumerate(rules)}
    results = []
    for diagnostic in diagnostics:
        text = diagnostic.message + (f" ({diagnostic.help})" if diagnostic.help else "")
        result: dict[str, Any] = {"ruleId": diagnostic.code}
        if diagnostic.code in index:
            result["ruleIndex"] = index[diagnostic.code]
        result["level"] = diagnostic_level(diagnostic)
        result["message"] = {"text": text}
        path = diagnostic.span.path if diagnostic.span is not None else diagnostic.file
        if path:
            line = diagnostic.span.line if diagnostic.span is not None else diagnostic.line
            column = diagnostic.span.column if diagnostic.span is not None else diagnostic.column
            where = Location(path, line, column)
            result["locations"] = [{"physicalLocation": physical_location(where)}]
        results.append(result)
    descriptors = [
        {
            "id": rule.id,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "helpUri": rule.help_uri,
            "defaultConfiguration": {"level": rule.level},
        }
        for rule in rules
    ]
    run = sarif_run(descriptors, results)
    if properties:
        run["properties"] = properties
    log = {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}
    return inert_json(json.dumps(log, indent=2, ensure_ascii=False)) + "\n"


def rule_descriptors(found: list[Finding]) -> list[dict[str, Any]]:
    """`tool.driver.rules`: one entry per rule that decided somewhere, sorted by id."""
    by_rule: dict[str, list[Finding]] = {}
    for finding in found:
        by_rule.setdefault(finding.rule, []).append(finding)
    return [rule_descriptor(by_rule[rule]) for rule in sorted(by_rule)]


def rule_descriptor(occurrences: list[Finding]) -> dict[str, Any]:
    first = occurrences[0]
    kind_words = rule_kind_words(first.kind)
    policy = f"policy {first.policy}{quoted_title(first.policy_title)}"
    effect = _EFFECTS.get(first.kind, "")
    if first.enforcement is Enforcement.ADVISORY:
        effect = "The policy is advisory: it only warns, the verdict does not change."
    full = (
        f"The {kind_words} {first.rule} of {policy} ({first.enforcement.value} enforcement), "
        f"defined at {first.rule_location}. {effect}"
    ).strip()
    untils = {finding.until for finding in occurrences}
    until = untils.pop() if len(untils) == 1 else None
    lift = f"It holds until: {with_stop(until)} " if until else ""
    help_text = f"{lift}Run `decisionlang explain SUBJECT` for the full trace of a subject."
    return {
        "id": first.rule,
        "shortDescription": {"text": f"{first.rule}: {kind_words} of policy {first.policy}"},
        "fullDescription": {"text": full},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": default_level(first)},
        "properties": {
            "policy": first.policy,
            "kind": first.kind.value,
            "enforcement": first.enforcement.value,
        },
    }


def with_stop(text: str) -> str:
    """The text ending a sentence: a full stop added unless it already ends with punctuation."""
    return text if text.endswith((".", "!", "?")) else text + "."


def default_level(finding: Finding) -> str:
    if finding.enforcement is Enforcement.ADVISORY or finding.kind is RuleKind.WARN:
        return "note"
    return "error" if finding.kind is RuleKind.NO_GO else "warning"


def finding_text(finding: Finding) -> str:
    """The finding in one sentence, with what must hold (`until`) unless a waiver lifts it."""
    message = finding_sentence(finding)
    if finding.until and not finding.waivers:
        message += f" (until: {finding.until})"
    return message


def sarif_result(
    finding: Finding, rule_index: int, before: dict[tuple[str, str, str], Finding] | None
) -> dict[str, Any]:
    subject = finding.subject
    primary = finding.fact
    related = [related_location(1, finding.rule_location, f"{rule_kind_words(finding.kind)} {finding.rule}")]
    seen = set()
    for fact in finding.facts:
        words = fact_words(fact, subject.subject)
        if fact is not primary and (fact.location, words) not in seen:
            seen.add((fact.location, words))
            related.append(related_location(len(related) + 1, fact.location, words))
    message = finding_text(finding)
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": finding_level(finding),
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": physical_location(finding.location),
                "logicalLocations": [
                    {"name": subject.subject, "fullyQualifiedName": subject.subject, "kind": "resource"}
                ],
            }
        ],
        "relatedLocations": related,
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "properties": {
            "subject": subject.subject,
            "subjectKind": subject.kind,
            "verdict": subject.verdict.value,
            "policy": finding.policy,
            "policyVerdict": finding.verdict.value if finding.verdict is not None else None,
            "enforcement": finding.enforcement.value,
            "waived": bool(finding.waivers),
        },
    }
    if finding.waivers:
        result["suppressions"] = [suppression(waiver) for waiver in finding.waivers]
    if before is not None:
        result["baselineState"] = baseline_state(finding, before.get(finding.key))
    return result


def suppression(waiver: AppliedWaiver) -> dict[str, Any]:
    """A waiver as SARIF sees it: an accepted, external suppression with its justification."""
    return {
        "kind": "external",
        "status": "accepted",
        "justification": f"{waiver.rationale} (compensating measure: {waiver.compensating_measure})",
        "location": {"physicalLocation": physical_location(waiver.location)},
        "properties": {
            "waiver": waiver.id,
            "owner": waiver.owner,
            "approver": waiver.approver,
            "expires": waiver.expires.isoformat(),
        },
    }


def baseline_state(finding: Finding, previous: Finding | None) -> str:
    if previous is None:
        return "new"
    same = (previous.verdict, previous.message, previous.until, previous.waivers) == (
        finding.verdict,
        finding.message,
        finding.until,
        finding.waivers,
    )
    return "unchanged" if same else "updated"


def fact_words(fact: Fact, subject: str) -> str:
    """`read tier of fax-gateway = 2`, or `missing: risk.compliance`."""
    owner = "" if fact.subject == subject else f" of {fact.subject}"
    evidence = fact_evidence(fact)
    said = "" if evidence is None else f" ({evidence})"
    if fact.stale:
        return f"stale: {fact.path}{owner} = {show(fact.value)}{said}"
    if fact.missing:
        return f"missing: {fact.path}{owner}"
    return f"read {fact.path}{owner} = {show(fact.value)}{said}"


def related_location(number: int, location: Location, text: str) -> dict[str, Any]:
    return {"id": number, "physicalLocation": physical_location(location), "message": {"text": text}}


def physical_location(location: Location) -> dict[str, Any]:
    artifact = {"uri": file_uri(location.file), "uriBaseId": URI_BASE_ID}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if location.line is not None and location.line >= 1:
        region: dict[str, int] = {"startLine": location.line}
        if location.column is not None and location.column >= 1:
            region["startColumn"] = location.column
        physical["region"] = region
    return physical


def file_uri(path: str) -> str:
    """A relative URI reference for a repo-relative path: forward slashes, percent-encoded."""
    return quote(path.replace("\\", "/"), safe="/")


def run_properties(report: Report, diff: VerdictDiff | None, *, fail_on: FailOn) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "verdict": report.verdict.value,
        "summary": report.summary(),
        "failOn": fail_on.value,
    }
    if report.as_of is not None:
        properties["asOf"] = report.as_of.isoformat()
    if diff is not None:
        properties["base"] = diff.base
        properties["baseCommit"] = diff.base_commit
        properties["changedSubjects"] = list(diff.changed_subjects)
        properties["unchangedSubjects"] = diff.unchanged
    return properties

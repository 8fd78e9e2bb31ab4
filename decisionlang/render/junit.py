"""`check --format junit`: JUnit XML for CI test report views (GitLab, Jenkins, Azure, Buildkite).

One `<testsuite>` per policy, one `<testcase>` per subject it applies to (name: the subject,
classname: the policy). A NO-GO is a `<failure>`; a NOT YET is a `<failure>` under `--fail-on
not-yet` and `<skipped>` otherwise; an advisory policy never fails. The failure's message gives
the reasons on one line, its body the trace as in the text output. Warnings, and the waivers that
lifted a verdict, go to `<system-out>`. With a diff, only the changed subjects are cases (what the
check gates on by default), each saying in `<system-out>` what it was at the base revision.

Times are always 0 and there is no timestamp: the same report gives the same bytes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from decisionlang.compare.changes import VerdictDiff
from decisionlang.core.escapes import inert_xml
from decisionlang.core.model import Enforcement, FailOn, PolicyResult, Report, SubjectResult, Verdict
from decisionlang.render.text import format_missing, format_warning, policy_lines, waived_lines

# Characters XML 1.0 cannot carry, even escaped: C0 controls but tab, LF, CR; surrogates; U+FFFE/F.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

Case = tuple[SubjectResult, PolicyResult]


def xml_text(text: str) -> str:
    """Text XML can carry: characters it cannot are spelled out as `\\u001b`; line breaks become LF,
    as any XML parser would read them anyway."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _NOT_XML.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def render_junit(report: Report, diff: VerdictDiff | None, *, fail_on: FailOn) -> str:
    """The report as a JUnit XML document (UTF-8 declaration, two-space indent, final newline)."""
    suites = cases_by_policy(report, diff)
    return junit_document(
        "decisionlang", [testsuite(cases, report, diff, fail_on=fail_on) for cases in suites.values()]
    )


def junit_document(name: str, suites: list[ET.Element]) -> str:
    """`<testsuites>` of these suites, its counts their sums, as a JUnit XML document (UTF-8
    declaration, two-space indent, final newline)."""
    root = ET.Element("testsuites", name=name)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        root.append(suite)
        for count in totals:
            totals[count] += int(suite.get(count, "0"))
    set_counts(root, totals)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + inert_xml(body) + "\n"


def cases_by_policy(report: Report, diff: VerdictDiff | None) -> dict[str, list[Case]]:
    """Policies in order of first appearance, each with the subjects it applies to, in report order."""
    wanted = set(diff.changed_subjects) if diff is not None else None
    suites: dict[str, list[Case]] = {}
    for subject in report.subjects:
        if wanted is not None and subject.subject not in wanted:
            continue
        for policy in subject.policies:
            suites.setdefault(policy.policy, []).append((subject, policy))
    return suites


def set_counts(element: ET.Element, counts: dict[str, int]) -> None:
    for name, count in counts.items():
        element.set(name, str(count))
    element.set("time", "0")


def testsuite(cases: list[Case], report: Report, diff: VerdictDiff | None, *, fail_on: FailOn) -> ET.Element:
    first = cases[0][1]
    suite = ET.Element("testsuite", name=xml_text(first.policy))
    properties = ET.SubElement(suite, "properties")
    entries = [("title", first.title), ("enforcement", first.enforcement.value), ("fail-on", fail_on.value)]
    entries.append(("as-of", report.as_of.isoformat() if report.as_of is not None else None))
    if diff is not None:
        entries += [("base", diff.base), ("base-commit", diff.base_commit)]
    for name, value in entries:
        if value is not None:
            ET.SubElement(
                properties,
                "property",
                name=name,
                value=xml_text(value),
            )
    counts = {"tests": len(cases), "failures": 0, "errors": 0, "skipped": 0}
    for subject, policy in cases:
        case = testcase(subject, policy, diff, fail_on=fail_on)
        suite.append(case)
        if case.find("failure") is not None:
            counts["failures"] += 1
        elif case.find("skipped") is not None:
            counts["skipped"] += 1
    set_counts(suite, counts)
    return suite


def testcase(
    subject: SubjectResult, policy: PolicyResult, diff: VerdictDiff | None, *, fail_on: FailOn
) -> ET.Element:
    case = ET.Element(
        "testcase",
        name=xml_text(subject.subject),
        classname=xml_text(policy.policy),
        file=xml_text(subject.location.file),
    )
    case.set("time", "0")
    outcome = case_outcome(policy, fail_on=fail_on)
    if outcome is not None:
        result = ET.SubElement(case, outcome, message=xml_text(failure_message(subject, policy)))
        if outcome == "failure":
            result.set("type", policy.verdict.value)
        result.text = xml_text(trace_text(subject, policy))
    notes = waived_lines(policy, subject.subject, color=False)
    notes += [
        format_warning(warning, color=False)
        for warning in subject.warnings
        if warning.policy == policy.policy
    ]
    if diff is not None:
        notes.append(before_line(subject, policy, diff))
    if notes:
        ET.SubElement(case, "system-out").text = xml_text("\n".join(notes))
    return case


def case_outcome(policy: PolicyResult, *, fail_on: FailOn) -> str | None:
    """`failure`, `skipped`, or None for a pass."""
    if policy.enforcement is Enforcement.ADVISORY or policy.verdict is Verdict.GO:
        return None
    if policy.verdict is Verdict.NO_GO or fail_on is FailOn.NOT_YET:
        return "failure"
    return "skipped"


def failure_message(subject: SubjectResult, policy: PolicyResult) -> str:
    """`legacy-crm is NO-GO under policy change_readiness: vendor support ended on 2025-12-31`."""
    reasons = "; ".join(dict.fromkeys(rule.message or rule.rule for rule in policy.reasons))
    text = f"{subject.subject} is {policy.verdict.label} under policy {policy.policy}"
    return f"{text}: {reasons}" if reasons else text


def trace_text(subject: SubjectResult, policy: PolicyResult) -> str:
    """The text output's lines for this policy: deciding rules, facts, checks, until; missing fields."""
    lines = policy_lines(policy, subject.subject, color=False)
    lines.extend(
        f"missing information: {format_missing(missing, subject.subject)}"
        for missing in subject.missing
        if missing.policy == policy.policy
    )
    return "\n".join(lines)


def before_line(subject: SubjectResult, policy: PolicyResult, diff: VerdictDiff) -> str:
    """`at origin/main (0123abc): GO`: the policy's verdict on this subject at the base revision."""
    where = f"at {diff.base} ({diff.base_commit[:12]})"
    previous = next((item for item in diff.before.subjects if item.subject == subject.subject), None)
    if previous is None:
        return f"{where}: not there yet (a new subject)"
    result = next((item for item in previous.policies if item.policy == policy.policy), None)
    if result is None:
        return f"{where}: the policy did not apply"
    return f"{where}: {result.verdict.label}"

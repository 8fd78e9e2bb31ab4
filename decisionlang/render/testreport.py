"""The `decisionlang test` output: a line per case, expected vs actual and the trace of each failure,
the rule coverage, then `N passed, M failed` alone on the last line. Also the JSON form and JUnit XML.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from decisionlang.core import diagnostics
from decisionlang.core.escapes import inert_json, safe_text
from decisionlang.core.format import json_number
from decisionlang.engine.testing import Case, CaseResult, Coverage, Mismatch, RuleCoverage, TestReport
from decisionlang.render.explain import render_explain
from decisionlang.render.junit import junit_document, set_counts, xml_text
from decisionlang.render.text import indent, paint, plural, short_location

SCHEMA_ID = "decisionlang/test-report/v1"
TRACE_INDENT = 6

# How each aspect of an expectation is named in the text output.
_ASPECTS = {
    "verdict": "verdict",
    "rules": "deciding rules",
    "missing": "missing fields",
    "warnings": "warnings",
    "message_contains": "deciding messages",
}


# ---------------------------------------------------------------- text


def render_test_text(report: TestReport, *, color: bool) -> str:
    """Cases, failures with their traces, coverage, diagnostics, and the closing count line.

    An invalid run (a diagnostic is an error) ran no case: it shows its diagnostics only."""
    lines: list[str] = []
    for result in report.cases:
        lines.extend(case_lines(result, color=color))
    if lines and lines[-1]:
        lines.append("")
    if not report.errors:
        lines.extend(coverage_lines(report.coverage, color=color))
        lines.append("")
    for diagnostic in report.diagnostics:
        lines.extend(diagnostics.render_text(diagnostic).split("\n"))
        lines.append("")
    lines.append(closing_line(report, color=color))
    return safe_text(lines, color=color)


def case_lines(result: CaseResult, *, color: bool) -> list[str]:
    """`PASS name (file:line)`; for a failure, expected vs actual, then the subject's trace."""
    status = (
        paint("PASS", "bold", "green", color=color)
        if result.passed
        else paint("FAIL", "bold", "red", color=color)
    )
    lines = [f"{status} {result.case.name} {paint(f'({case_location(result.case)})', 'dim', color=color)}"]
    if result.passed:
        return lines
    lines.extend(indent(mismatch_lines(result.mismatches, color=color), 4))
    case = result.case
    lines.append(f"    trace of {case.subject} as of {case.as_of.isoformat()}:")
    trace = render_explain(result.result, color=color).rstrip("\n").split("\n")
    lines.extend(indent(trace, TRACE_INDENT))
    lines.append("")
    return lines


def case_location(case: Case) -> str:
    return f"{case.file}:{case.line}"


def mismatch_lines(mismatches: tuple[Mismatch, ...], *, color: bool) -> list[str]:
    """`expected verdict:  no-go` over `actual verdict:    not-yet`, labels aligned."""
    rows: list[tuple[str, str, str]] = []
    for mismatch in mismatches:
        aspect = aspect_words(mismatch.aspect)
        if mismatch.aspect == "message_contains":
            expected, actual = "containing " + quoted(mismatch.expected), quoted(mismatch.actual)
        else:
            expected, actual = shown(mismatch.expected), shown(mismatch.actual)
        rows.append((f"expected {aspect}:", expected, "green"))
        rows.append((f"actual {aspect}:", actual, "red"))
    width = max(len(label) for label, _, _ in rows)
    return [f"{label:<{width}}  {paint(value, style, color=color)}" for label, value, style in rows]


def aspect_words(aspect: str) -> str:
    if aspect.startswith("policy "):
        return f"verdict of {aspect}"
    return _ASPECTS.get(aspect, aspect)


def shown(value: str | tuple[str, ...]) -> str:
    """One value as is; a list comma-separated, or `(none)`."""
    if isinstance(value, str):
        return value
    return ", ".join(value) if value else "(none)"


def quoted(texts: str | tuple[str, ...]) -> str:
    """Messages in quotes, `; `-separated: they may hold commas themselves."""
    items = (texts,) if isinstance(texts, str) else texts
    return "; ".join(f'"{text}"' for text in items) if items else "(none)"


def coverage_lines(coverage: Coverage, *, color: bool) -> list[str]:
    """The headline, one row per rule, then the rules that never fired and never failed."""
    style = "green" if coverage.covered == coverage.total else "yellow"
    percent = paint(f"{format_percent(coverage.percent)}%", "bold", style, color=color)
    lines = [f"Rule coverage: {percent} ({coverage.covered} of {plural(coverage.total, 'outcome')})"]
    if not coverage.rules:
        return lines
    width = max(len(rule.rule) for rule in coverage.rules)
    lines.append(f"  {'rule':<{width}}  fired  not fired  location")
    lines.extend(f"  {coverage_row(rule, width, color=color)}" for rule in coverage.rules)
    for title, rules in (("Never fired:", coverage.never_fired), ("Never failed:", coverage.never_failed)):
        if rules:
            lines.append(title)
            lines.extend(
                f"  {rule.rule}  {paint(f'({short_location(rule.location)})', 'dim', color=color)}"
                for rule in rules
            )
    return lines


def coverage_row(rule: RuleCoverage, width: int, *, color: bool) -> str:
    fired = yes_no(rule.fired, len("fired"), color=color)
    not_fired = yes_no(rule.not_fired, len("not fired"), color=color)
    location = paint(short_location(rule.location), "dim", color=color)
    return f"{rule.rule:<{width}}  {fired}  {not_fired}  {location}"


def yes_no(covered: bool, width: int, *, color: bool) -> str:
    """`yes` (green) or `no` (red), padded to `width` outside the colour codes."""
    word = "yes" if covered else "no"
    return paint(word, "green" if covered else "red", color=color) + " " * (width - len(word))


def format_percent(percent: float) -> str:
    """One decimal, never rounded up to 100.0 nor down to 0.0 (like coverage.py): 99.96 is 99.9."""
    shown = round(percent, 1)
    if shown == 100.0 and percent < 100.0:
        shown = 99.9
    elif shown == 0.0 and percent > 0.0:
        shown = 0.1
    return f"{shown:.1f}"


def closing_line(report: TestReport, *, color: bool) -> str:
    """`N passed, M failed`, alone on its line."""
    passed = paint(f"{report.passed} passed", "green", color=color and report.passed > 0)
    failed = paint(f"{report.failed} failed", "bold", "red", color=color and report.failed > 0)
    return f"{passed}, {failed}"


# ---------------------------------------------------------------- JSON


def render_test_json(report: TestReport) -> str:
    """The report as one JSON object (schema `decisionlang/test-report/v1`), keys sorted.

    `coverage` is null when the run was invalid (no case was run)."""
    text = inert_json(
        json.dumps(run_to_dict(report), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False)
    )
    return text + "\n"


def run_to_dict(report: TestReport) -> dict[str, Any]:
    return {
        "schema": SCHEMA_ID,
        "valid": not report.errors,
        "test_files": list(report.test_files),
        "summary": {"passed": report.passed, "failed": report.failed, "total": len(report.cases)},
        "cases": [case_to_dict(result) for result in report.cases],
        "coverage": None if report.errors else coverage_to_dict(report.coverage),
        "diagnostics": [diagnostic.to_json() for diagnostic in report.diagnostics],
    }


def case_to_dict(result: CaseResult) -> dict[str, Any]:
    """A case; a failed one also carries its mismatches and the subject's full trace."""
    case = result.case
    data: dict[str, Any] = {
        "name": case.name,
        "file": case.file,
        "line": case.line,
        "subject": case.subject,
        "as_of": case.as_of.isoformat(),
        "policies": list(case.policies),  # the policies under test; [] for the whole set
        "passed": result.passed,
        "verdict": result.result.verdict.value,
        "expected_verdict": case.expect.verdict.value,
        "mismatches": [mismatch_to_dict(mismatch) for mismatch in result.mismatches],
    }
    if not result.passed:
        data["trace"] = result.result.to_dict()
    return data


def mismatch_to_dict(mismatch: Mismatch) -> dict[str, Any]:
    def plain(value: str | tuple[str, ...]) -> str | list[str]:
        return value if isinstance(value, str) else list(value)

    return {"aspect": mismatch.aspect, "expected": plain(mismatch.expected), "actual": plain(mismatch.actual)}


def coverage_to_dict(coverage: Coverage) -> dict[str, Any]:
    return {
        "covered": coverage.covered,
        "total": coverage.total,
        "percent": json_number(coverage.percent),
        "rules": [
            {
                "rule": rule.rule,
                "policy": rule.policy,
                "kind": rule.kind.value,
                "location": rule.location.to_json(),
                "fired": rule.fired,
                "not_fired": rule.not_fired,
            }
            for rule in coverage.rules
        ],
        "never_fired": [rule.rule for rule in coverage.never_fired],
        "never_failed": [rule.rule for rule in coverage.never_failed],
    }


# ---------------------------------------------------------------- JUnit XML


def render_test_junit(report: TestReport) -> str:
    """The run as JUnit XML, for CI test views (GitLab, Jenkins, Azure, Buildkite): one
    `<testsuite>` per test file, one `<testcase>` per case (name: the case, classname: the test
    file, with its `file` and `line`). A failed case is a `<failure>` whose message says the first
    expectation that does not hold and whose body is the text output's account (expected vs actual
    and the trace). The rule coverage is a last suite of no case, `rule coverage`, with its
    figures as properties and its table in `<system-out>`. An invalid run, which ran no case, is
    one suite `decisionlang` with an `<error>` case per error diagnostic.

    Times are always 0 and there is no timestamp: the same run gives the same bytes."""
    suites = diagnostic_suites(report) if report.errors else case_suites(report)
    if not report.errors:
        suites.append(coverage_suite(report.coverage))
    return junit_document("decisionlang test", suites)


def case_suites(report: TestReport) -> list[ET.Element]:
    """A suite per test file, in the run's order of files, its cases in file order."""
    by_file: dict[str, list[CaseResult]] = {name: [] for name in report.test_files}
    for result in report.cases:
        by_file.setdefault(result.case.file, []).append(result)
    suites = []
    for name, results in by_file.items():
        suite = ET.Element("testsuite", name=xml_text(name))
        for result in results:
            suite.append(junit_case(result))
        failures = sum(1 for result in results if not result.passed)
        set_counts(suite, {"tests": len(results), "failures": failures, "errors": 0, "skipped": 0})
        suites.append(suite)
    return suites


def junit_case(result: CaseResult) -> ET.Element:
    case = result.case
    element = ET.Element(
        "testcase", name=xml_text(case.name), classname=xml_text(case.file), file=xml_text(case.file)
    )
    element.set("line", str(case.line))
    element.set("time", "0")
    if not result.passed:
        failure = ET.SubElement(
            element, "failure", message=xml_text(failure_summary(result)), type="expectation"
        )
        account = [line.removeprefix("    ") for line in case_lines(result, color=False)[1:]]
        failure.text = xml_text("\n".join(account).rstrip("\n"))
    return element


def failure_summary(result: CaseResult) -> str:
    """`subject legacy-crm as of 2026-11-26: expected verdict no-go, got not-yet` (and how many more)."""
    first, *others = result.mismatches
    aspect = aspect_words(first.aspect)
    if first.aspect == "message_contains":
        expected, actual = "containing " + quoted(first.expected), quoted(first.actual)
    else:
        expected, actual = shown(first.expected), shown(first.actual)
    more = f" (and {plural(len(others), 'other mismatch', 'other mismatches')})" if others else ""
    case = result.case
    subject = f"subject {case.subject} as of {case.as_of.isoformat()}"
    return f"{subject}: expected {aspect} {expected}, got {actual}{more}"


def coverage_suite(coverage: Coverage) -> ET.Element:
    suite = ET.Element("testsuite", name="rule coverage")
    properties = ET.SubElement(suite, "properties")
    figures = [
        ("covered", str(coverage.covered)),
        ("total", str(coverage.total)),
        ("percent", format_percent(coverage.percent)),
        ("never-fired", ", ".join(rule.rule for rule in coverage.never_fired)),
        ("never-failed", ", ".join(rule.rule for rule in coverage.never_failed)),
    ]
    for name, value in figures:
        ET.SubElement(properties, "property", name=name, value=xml_text(value))
    ET.SubElement(suite, "system-out").text = xml_text("\n".join(coverage_lines(coverage, color=False)))
    set_counts(suite, {"tests": 0, "failures": 0, "errors": 0, "skipped": 0})
    return suite


def diagnostic_suites(report: TestReport) -> list[ET.Element]:
    """An invalid run: each error diagnostic an `<error>` case (name: its code and where it is)."""
    suite = ET.Element("testsuite", name="decisionlang")
    errors = report.errors
    for diagnostic in errors:
        where = diagnostic.where
        case = ET.SubElement(
            suite,
            "testcase",
            name=xml_text(f"{diagnostic.code} at {where}"),
            classname=xml_text(diagnostic.file or where.split(":")[0]),
        )
        case.set("time", "0")
        error = ET.SubElement(case, "error", message=xml_text(f"{where}: {diagnostic.message}"))
        error.set("type", diagnostic.code)
        error.text = xml_text(diagnostics.render_text(diagnostic))
    set_counts(suite, {"tests": len(errors), "failures": 0, "errors": len(errors), "skipped": 0})
    return [suite]

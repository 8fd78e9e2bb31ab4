"""`check --format github`: GitHub Actions workflow commands, one inline annotation per finding.

    ::error file=services/crm.yaml,line=15,col=15,title=legacy-crm%3A NO-GO (change_readiness.unsupported)::…

The command follows what fails the job: a NO-GO is an `error`; a NOT YET is an `error` under
`--fail-on not-yet` and a `warning` otherwise; an advisory warning is a `notice`, and so is a rule
a waiver lifts (the compromise stays visible). With a diff, only the changed subjects are annotated
(what the check gates on by default), so a known NO-GO elsewhere does not flood every pull request.

Values are escaped as the runner unescapes them (actions/toolkit `command.ts`, actions/runner
`ActionCommand.cs`): in the message `%`, CR and LF; in properties also `:` and `,`. Paths are
relative to the decision repo's root: run the check from the repository root for GitHub to place
the annotations on the right files.
"""

from __future__ import annotations

from decisionlang.compare.changes import VerdictDiff
from decisionlang.core.diagnostics import Diagnostic, Severity
from decisionlang.core.model import FailOn, Report, Verdict
from decisionlang.core.views import Finding, findings
from decisionlang.render.text import finding_sentence

_DATA_ESCAPES = (("%", "%25"), ("\r", "%0D"), ("\n", "%0A"))
_PROPERTY_ESCAPES = (*_DATA_ESCAPES, (":", "%3A"), (",", "%2C"))


def escape_data(text: str) -> str:
    """A workflow command's message: `%` first, so that the escapes themselves survive."""
    for raw, escaped in _DATA_ESCAPES:
        text = text.replace(raw, escaped)
    return text


def escape_property(text: str) -> str:
    """A workflow command property value: as data, plus `:` and `,` (the command's separators)."""
    for raw, escaped in _PROPERTY_ESCAPES:
        text = text.replace(raw, escaped)
    return text


def render_github(report: Report, diff: VerdictDiff | None, *, fail_on: FailOn) -> str:
    """One workflow command per finding, a line each; empty when there is nothing to annotate."""
    subjects = diff.changed_subjects if diff is not None else None
    lines = [annotation(finding, fail_on=fail_on) for finding in findings(report, subjects)]
    lines.extend(diagnostic_annotation(d) for d in report.diagnostics)  # expired or stale waivers...
    return "".join(line + "\n" for line in lines)


def diagnostic_annotation(diagnostic: Diagnostic) -> str:
    """`::warning file=waivers/w.yaml,line=2,col=5,title=DL-WAIVER-EXPIRED::…` for a run diagnostic."""
    properties = []
    path = diagnostic.span.path if diagnostic.span is not None else diagnostic.file
    if path:
        properties.append(("file", path))
    if diagnostic.span is not None:
        properties += [("line", str(diagnostic.span.line)), ("col", str(diagnostic.span.column))]
    properties.append(("title", diagnostic.code))
    rendered = ",".join(f"{name}={escape_property(value)}" for name, value in properties)
    text = diagnostic.message + (f" ({diagnostic.help})" if diagnostic.help else "")
    level = {Severity.ERROR: "error", Severity.WARNING: "warning"}.get(diagnostic.severity, "notice")
    return f"::{level} {rendered}::{escape_data(text)}"


def command_name(finding: Finding, *, fail_on: FailOn) -> str:
    if finding.verdict is None or finding.waivers:
        return "notice"
    if finding.verdict is Verdict.NO_GO or fail_on is FailOn.NOT_YET:
        return "error"
    return "warning"


def annotation(finding: Finding, *, fail_on: FailOn) -> str:
    """`::error file=…,line=…,col=…,title=…::message`, every value escaped."""
    location = finding.location
    properties = [("file", location.file)]
    if location.line is not None:
        properties.append(("line", str(location.line)))
        if location.column is not None:
            properties.append(("col", str(location.column)))
    properties.append(("title", title(finding)))
    rendered = ",".join(f"{name}={escape_property(value)}" for name, value in properties)
    return f"::{command_name(finding, fail_on=fail_on)} {rendered}::{escape_data(message(finding))}"


def title(finding: Finding) -> str:
    """`legacy-crm: NO-GO (change_readiness.unsupported)`; `legacy-crm: warning (on_call.no_on_call)`."""
    if finding.verdict is None:
        state = "warning"
    elif finding.waivers:
        state = f"{finding.verdict.label} waived"
    else:
        state = finding.verdict.label
    return f"{finding.subject.subject}: {state} ({finding.rule})"


def message(finding: Finding) -> str:
    """The reason, how to lift it, and where the rule is: several lines, escaped on output."""
    lines = [finding_sentence(finding)]
    if finding.until and not finding.waivers:
        lines.append(f"until: {finding.until}")
    for waiver in finding.waivers:
        lines.append(
            f"waiver {waiver.id}: {waiver.rationale}; compensating measure: {waiver.compensating_measure}"
        )
    lines.append(f"rule {finding.rule} at {finding.rule_location}")
    return "\n".join(lines)

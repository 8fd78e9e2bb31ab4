"""`decisionlang report --format markdown`: one Architecture Decision Record per initiative.

Each record has the classic shape: status (the verdict), context (the initiative's facts and its
targets), decision (the verdict and the rules that decided it, with their facts and thresholds) and
consequences (what must hold for GO, warnings, waivers). Records are written one file per subject
in a directory, or concatenated into one document. Same inputs, same bytes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from decisionlang import __version__
from decisionlang.core.format import show
from decisionlang.core.model import Report, RuleKind, SubjectResult, Verdict
from decisionlang.core.subjects import Portfolio, Subject
from decisionlang.core.views import waiver_effects
from decisionlang.render.explain import reason_sentence, verdict_sentence
from decisionlang.render.html import WaiverView, holding_back, waivers_of
from decisionlang.render.text import (
    VERDICT_SYMBOLS,
    format_comparison,
    format_default,
    format_exemption,
    format_maturity,
    format_score_total,
    format_tradeoff,
    format_verdict_read,
    short_location,
    to_go_items,
    unique,
    waiver_note,
)

HIDDEN_FIELDS = frozenset({"name", "kind", "targets", "depends_on"})  # shown elsewhere in the record


@dataclass(frozen=True)
class DecisionRecord:
    subject: str
    filename: str  # `<name>.md`, safe as a file name
    verdict: Verdict
    text: str  # the record, its title at heading level 1


def decision_records(
    report: Report, portfolio: Portfolio, *, kind: str = "initiative"
) -> list[DecisionRecord]:
    """A record for every subject of `kind`, in name order."""
    results = {result.subject: result for result in report.subjects}
    records = []
    names: set[str] = set()
    for result in report.subjects:
        if result.kind != kind:
            continue
        filename = unique_name(result.subject, names)
        text = record_text(result, portfolio.by_name.get(result.subject), results, report.as_of, level=1)
        records.append(DecisionRecord(result.subject, filename, result.verdict, text))
    return records


def render_markdown(report: Report, portfolio: Portfolio, *, title: str, kind: str = "initiative") -> str:
    """Every record of `kind` in one document: an index, then the records one level down."""
    results = {result.subject: result for result in report.subjects}
    chosen = [result for result in report.subjects if result.kind == kind]
    as_of = report.as_of.isoformat() if report.as_of else "today"
    lines = [
        f"# Decision records: {title}",
        "",
        f"One record per {kind}, decided as of {as_of} by decisionlang {__version__}. Generated: regenerate"
        " with `decisionlang report --format markdown` rather than editing.",
        "",
    ]
    lines.extend(f"- [{result.subject}](#{anchor(heading(result))}): {status(result)}" for result in chosen)
    parts = ["\n".join(lines) + "\n"]
    for result in chosen:
        subject = portfolio.by_name.get(result.subject)
        parts.append(record_text(result, subject, results, report.as_of, level=2))
    return "\n".join(parts)


def render_index(records: Sequence[DecisionRecord], *, title: str, as_of: dt.date | None) -> str:
    """The `index.md` of a directory of records."""
    day = as_of.isoformat() if as_of else "today"
    lines = [f"# Decision records: {title}", "", f"Decided as of {day} by decisionlang {__version__}.", ""]
    lines.extend(
        f"- [{record.subject}]({record.filename}): {VERDICT_SYMBOLS[record.verdict]} {record.verdict.label}"
        for record in records
    )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- one record


def record_text(
    result: SubjectResult,
    subject: Subject | None,
    results: Mapping[str, SubjectResult],
    as_of: dt.date | None,
    *,
    level: int,
) -> str:
    h1, h2 = "#" * level, "#" * (level + 1)
    lines = [f"{h1} {heading(result)}", ""]
    lines += header_table(result, subject, as_of)
    lines += ["", f"{h2} Context", ""]
    lines += context(result, subject, results)
    lines += ["", f"{h2} Decision", ""]
    lines += decision(result)
    lines += ["", f"{h2} Consequences", ""]
    lines += consequences(result, as_of)
    return "\n".join(lines).rstrip() + "\n"


def heading(result: SubjectResult) -> str:
    return f"{result.subject}: {status(result)}"


def status(result: SubjectResult) -> str:
    return f"{VERDICT_SYMBOLS[result.verdict]} {result.verdict.label}{waiver_note(result)}"


def header_table(result: SubjectResult, subject: Subject | None, as_of: dt.date | None) -> list[str]:
    rows = [("Status", status(result)), ("Date", as_of.isoformat() if as_of else "today")]
    for path, label in (("owner", "Owner"), ("horizon", "Horizon"), ("decided_on", "Decided on")):
        if subject is not None and subject.fields.get(path) is not None:
            rows.append((label, show(subject.fields[path])))
    rows.append(("Kind", result.kind))
    rows.append(("Defined in", f"`{short_location(result.location)}`"))
    return ["| | |", "| --- | --- |", *(f"| {label} | {cell(value)} |" for label, value in rows)]


def context(
    result: SubjectResult, subject: Subject | None, results: Mapping[str, SubjectResult]
) -> list[str]:
    lines: list[str] = []
    if subject is None:
        return ["The subject's facts are not available."]
    trajectory = subject.fields.get("trajectory")
    if trajectory:
        lines += [f"It serves the trajectory: {trajectory}.", ""]
    for path, words in (("targets", "It acts on"), ("depends_on", "It depends on")):
        names = list(dict.fromkeys(subject.fields.get(path, ())))
        if names:
            lines.append(f"{words}:")
            lines.append("")
            for name in names:
                other = results.get(name)
                verdict = (
                    f"{VERDICT_SYMBOLS[other.verdict]} {other.verdict.label}" if other else "not evaluated"
                )
                lines.append(f"- {name}: {verdict}")
            lines.append("")
    facts = [(path, value) for path, value in sorted(subject.fields.items()) if path not in HIDDEN_FIELDS]
    if facts:
        lines += ["The facts on record:", "", "| Fact | Value | Source |", "| --- | --- | --- |"]
        for path, value in facts:
            file, line, _column = subject.origin_of(path)
            lines.append(f"| `{path}` | {cell(show(value))} | `{file}:{line}` |")
    return lines


def decision(result: SubjectResult) -> list[str]:
    lines = [f"**{result.verdict.label}.** {verdict_sentence(result, color=False)}", ""]
    deciding = [(policy, rule) for policy in holding_back(result) for rule in policy.reasons]
    if result.verdict is Verdict.GO:
        deciding = [
            (p, r)
            for p in result.policies
            for r in p.reasons
            if r.kind is RuleKind.GO and r.message and not p.waived_by
        ]
    if deciding:
        lines += ["The rules that decided:", ""]
        for number, (policy, rule) in enumerate(deciding, start=1):
            lines.append(
                f"{number}. {reason_sentence(rule)} — {policy.verdict.label} from policy `{policy.policy}`"
                f"{' ' + quote(policy.title) if policy.title else ''} ({policy.enforcement.value}),"
                f" rule `{rule.rule}`."
            )
            details = [format_comparison(comparison) for comparison in rule.comparisons]
            details += [format_score_total(score) for score in rule.scores]
            details += [format_tradeoff(tradeoff) for tradeoff in rule.tradeoffs]
            details += [format_maturity(maturity) for maturity in rule.maturities]
            lines.extend(f"   - `{detail}`" for detail in unique(details))
            lines.extend(f"   - {format_default(default, result.subject)}" for default in rule.defaults)
            lines.extend(f"   - {format_verdict_read(read, result.subject)}" for read in rule.verdicts)
            lines.extend(f"   - waiver {format_exemption(exemption)}" for exemption in rule.exemptions)
        lines.append("")
    waived = waiver_effects(result)
    if waived:
        lines += ["Rules that fired but were lifted by a waiver (see Consequences):", ""]
        lines += unique(
            f"- {reason_sentence(rule)} — {effect.lifted_from.label} from"
            f" policy `{effect.policy.policy}` ({effect.policy.enforcement.value}), rule `{rule.rule}`."
            for effect in waived
            for rule in effect.rules
        )
        lines.append("")
    if result.policies:
        lines += ["Every policy applied:", "", "| Policy | Enforcement | Verdict |", "| --- | --- | --- |"]
        for policy in result.policies:
            label = f"{VERDICT_SYMBOLS[policy.verdict]} {policy.verdict.label}"
            lines.append(
                f"| `{policy.policy}` {cell(policy.title or '')} | {policy.enforcement.value} | {label} |"
            )
    else:
        lines.append("No policy applies to it.")
    return lines


def consequences(result: SubjectResult, as_of: dt.date | None) -> list[str]:
    lines: list[str] = []
    if result.must_hold:
        lines += ["What must hold for GO:", ""]
        lines += [f"{number}. {item}" for number, item in enumerate(result.must_hold, start=1)]
        lines.append("")
    elif result.verdict is Verdict.GO:
        lines += ["It may go ahead: nothing must change for GO.", ""]
    if result.to_go is not None:
        lines += ["To reach GO (the smallest changes of the facts, each checked by evaluating it again):", ""]
        lines += [f"- {item}" for item in to_go_items(result.to_go, result.subject)]
        lines.append("")
    if result.warnings:
        lines += ["Warnings to consider:", ""]
        lines += [f"- {warning.message} (`{warning.rule}`)" for warning in result.warnings]
        lines.append("")
    waivers = waivers_of(result)
    if waivers:
        lines += ["Compromises knowingly accepted (waivers):", ""]
        lines += [waiver_line(waiver, as_of) for waiver in waivers]
        lines.append("")
    if not lines:
        lines = ["None recorded."]
    return lines


def waiver_line(waiver: WaiverView, as_of: dt.date | None) -> str:
    days = f" ({(waiver.expires - as_of).days} days left)" if as_of is not None else ""
    return (
        f"- `{waiver.id}` lifts `{waiver.policy}` until {waiver.expires.isoformat()}{days}:"
        f" {waiver.rationale}; compensating measure: {waiver.compensating_measure};"
        f" accepted by {waiver.owner}, approved by {waiver.approver}."
    )


# ---------------------------------------------------------------- markdown helpers


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def quote(text: str) -> str:
    return f"“{text}”"


def anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation and symbols dropped, spaces to `-`."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def unique_name(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip(".-") or "record"
    filename, number = f"{base}.md", 2
    while filename.lower() in taken or filename.lower() == "index.md":
        filename, number = f"{base}-{number}.md", number + 1
    taken.add(filename.lower())
    return filename


def write_records(
    directory: Path,
    records: Sequence[DecisionRecord],
    *,
    title: str,
    as_of: dt.date | None,
    write: Callable[[Path, str], None],
) -> list[Path]:
    """One file per record and an `index.md`, in `directory` (created when missing), each written
    with `write` (atomically, from the CLI). Files of records no longer produced are left alone."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for record in records:
        write(directory / record.filename, record.text)
        written.append(directory / record.filename)
    write(directory / "index.md", render_index(records, title=title, as_of=as_of))
    return [*written, directory / "index.md"]

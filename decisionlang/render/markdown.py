"""`check --format markdown`: a pull-request comment a bot can post, then update in place.

The first line is a hidden marker (`MARKER`) by which the bot finds its comment again. Then a
one-line headline, a table of what changed (with a diff: subject, before, after, why; without:
the subjects that are not GO), one collapsible trace per listed subject, the rest as a count, and
a footer line saying what fails the check. No clock, no randomness: the same report and diff give
the same bytes, so an unchanged comment need not be edited at all.

Data (names, messages, values) is escaped for GitHub-flavoured markdown: `&`, `<` and `>` as
entities, markdown punctuation with a backslash, `|` also inside code spans in tables, code spans
fenced with more backticks than they contain, line breaks folded into spaces, `@mentions`
defused (a zero-width space after the `@`: data never notifies anyone). Inside the HTML
`<summary>` line, where markdown is not read, only HTML escaping applies.

GitHub caps a comment at 65,536 characters: past `MAX_CHARS`, rows and traces are left out and
counted, so a large change still gets a valid comment.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from decisionlang.compare.changes import ChangeKind, FactChange, SubjectChange, VerdictDiff
from decisionlang.core.escapes import BIDI_CONTROLS, LINE_SEPARATORS, ZERO_WIDTH_SPACE, safe_text
from decisionlang.core.format import show
from decisionlang.core.model import (
    AppliedWaiver,
    Fact,
    FailOn,
    PolicyResult,
    Report,
    RuleTrace,
    SubjectResult,
    Verdict,
    Warning,
)
from decisionlang.core.views import blocking_policies, fact_evidence, is_lifted, waived_rules
from decisionlang.render.diff import change_summary, reading_text
from decisionlang.render.text import (
    decisive_status,
    format_comparison,
    format_default,
    format_exemption,
    format_maturity,
    format_missing,
    format_score_total,
    format_tradeoff,
    format_verdict_read,
    plural,
    rule_kind_words,
    short_location,
    to_go_items,
    unique,
    waiver_note,
)

MARKER = "<!-- decisionlang:report -->"
MAX_CHARS = 60_000  # leaves room under GitHub's 65,536 for a bot's own additions
FOOTER_RESERVE = 1_000

VERDICT_EMOJI = {Verdict.GO: "🟢", Verdict.NOT_YET: "🟡", Verdict.NO_GO: "🔴"}
NONE_CELL = "—"

_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + LINE_SEPARATORS + BIDI_CONTROLS + "]")
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")  # @user, @org/team: GitHub would notify them
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")
_BACKTICK_RUNS = re.compile(r"`+")
_BLOCK_START = re.compile(r"^([0-9]{0,9})([#+=-]|(?<=[0-9])[.)])")  # a heading, list item, underline


# ---------------------------------------------------------------- escaping


def one_line(text: str) -> str:
    """Line breaks folded into spaces (a line break would end a table row or a list item); other
    control characters, U+2028 / U+2029 and bidi controls, which a browser would not show (or
    would use to reorder the text), spelled out as `\\u001b`."""
    text = _LINE_BREAKS.sub(" ", text)
    return _CONTROLS.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def no_mention(text: str) -> str:
    """An `@mention` in data defused by a zero-width space after the `@`: data never notifies a
    person or a team (in a code span GitHub does not notify, so code is left as it is)."""
    return _MENTION.sub("@" + ZERO_WIDTH_SPACE, text)


def md_text(text: str) -> str:
    """Data as literal text in markdown (paragraphs, list items, table cells), even at a line's start.

    Surrounding whitespace is dropped: markdown would drop it, or read four spaces as a code block."""
    text = no_mention(one_line(text).strip()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    return _BLOCK_START.sub(lambda match: f"{match[1]}\\{match[2]}", text, count=1)


def md_code(text: str, *, table: bool = False) -> str:
    """Data as a code span: fenced by one backtick more than its longest run of backticks.

    In a table cell `|` must still be written `\\|` (GFM splits cells before reading code spans)."""
    text = one_line(text)
    if table:
        text = text.replace("|", "\\|")
    if not text:
        return "` `"
    fence = "`" * (max((len(run) for run in _BACKTICK_RUNS.findall(text)), default=0) + 1)
    padded = text.startswith("`") or text.endswith("`") or (text[0] == text[-1] == " " and text.strip())
    pad = " " if padded else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def html_text(text: str) -> str:
    """Data inside raw HTML (the `<summary>` line), where markdown is not read."""
    return html.escape(no_mention(one_line(text)), quote=False)


# ---------------------------------------------------------------- the comment


def render_markdown(report: Report, diff: VerdictDiff | None, *, fail_on: FailOn) -> str:
    """The pull-request comment: marker, headline, table, counts, traces, footer."""
    head = [MARKER, headline(report, diff), ""]
    if diff is None:
        rows, rest, traces = snapshot_parts(report)
    else:
        rows, rest, traces = diff_parts(report, diff)
    budget = MAX_CHARS - FOOTER_RESERVE - sum(len(line) + 1 for line in [*head, *rest])
    table, details = fit(rows, traces, budget=budget)
    lines = [*head, *table, *rest, *details, footer(report, diff, fail_on=fail_on)]
    # Data holds no line break by now (one_line), so every "\n" is the comment's own: each line is
    # then kept from being a workflow command when the comment is printed on a CI log (`##[` in a
    # code span, where no markdown escape applies).
    return safe_text("\n".join(lines).split("\n"))


def badge(verdict: Verdict | None) -> str:
    return NONE_CELL if verdict is None else f"{VERDICT_EMOJI[verdict]} {verdict.label}"


def counts(report: Report) -> str:
    """`6 subjects: 2 GO, 3 NOT YET, 1 NO-GO`."""
    summary = report.summary()
    parts = ", ".join(f"{summary[verdict.value]} {verdict.label}" for verdict in Verdict)
    return f"{plural(len(report.subjects), 'subject')}: {parts}"


def headline(report: Report, diff: VerdictDiff | None) -> str:
    """Without a diff: the overall verdict and counts. With one: the verdict of what changed (the
    worst head verdict of the changed subjects, which the check gates on), then the whole picture."""
    if diff is None:
        return f"**decisionlang: {badge(report.verdict)}** — {counts(report)}"
    changed = set(diff.changed_subjects)
    verdict = Verdict.worst([subject.verdict for subject in report.subjects if subject.subject in changed])
    against = f"{plural(len(diff.changes), 'subject')} changed against {md_code(diff.base)}"
    overall = f"all {counts(report)}, overall {badge(report.verdict)}"
    return f"**decisionlang: {badge(verdict)}** — {against} · {overall}"


def footer(report: Report, diff: VerdictDiff | None, *, fail_on: FailOn) -> str:
    if fail_on is FailOn.NOT_YET:
        fails = "Fails on NO-GO and NOT YET (`--fail-on not-yet`)"
    else:
        fails = "Fails on NO-GO only (`--fail-on no-go`); NOT YET is reported without failing"
    parts = [fails]
    if report.as_of is not None:
        parts.append(f"as of {report.as_of.isoformat()}")
    if diff is not None:
        parts.append(f"base {md_code(diff.base)} at {md_code(diff.base_commit[:12])}")
    return "<sub>" + " · ".join(parts) + ".</sub>"


def fit(rows: list[str], traces: list[list[str]], *, budget: int) -> tuple[list[str], list[str]]:
    """The table rows, then the traces, as many as the size budget allows; the rest counted."""
    if not rows:
        return [], []
    table = rows[:2]  # the header and its delimiter row
    used = sum(len(line) + 1 for line in table)
    for row in rows[2:]:
        if used + len(row) + 1 > budget:
            break
        table.append(row)
        used += len(row) + 1
    left_out = len(rows) - len(table)
    if left_out:
        table += ["", f"… and {plural(left_out, 'more subject')}, left out to fit in one comment."]
    table.append("")
    details: list[str] = []
    shown = 0
    for block in traces:
        size = sum(len(line) + 1 for line in block)
        if used + size > budget:
            break
        details.extend(block)
        used += size
        shown += 1
    if shown < len(traces):
        left = plural(len(traces) - shown, "trace")
        details += [f"{left} left out to fit in one comment: run `decisionlang explain SUBJECT`.", ""]
    return table, details


# ---------------------------------------------------------------- without a diff


def snapshot_parts(report: Report) -> tuple[list[str], list[str], list[list[str]]]:
    """The subjects that are not GO: a row and a trace each; the GO ones counted."""
    listed = [subject for subject in report.subjects if subject.verdict is not Verdict.GO]
    go = len(report.subjects) - len(listed)
    if not listed:
        everyone = (
            f"All {plural(len(report.subjects), 'subject')} are GO." if report.subjects else "No subject."
        )
        return [], [everyone, ""], []
    rows = ["| Subject | Verdict | Why |", "| --- | --- | --- |"]
    rows += [
        f"| {subject_cell(subject.subject)} | {badge(subject.verdict)}{md_text(waiver_note(subject))}"
        f" | {why_now(subject)} |"
        for subject in listed
    ]
    traces = [trace_block(subject, summary=badge(subject.verdict)) for subject in listed]
    rest = [f"{plural(go, 'GO subject')} not listed{waived_go(report)}.", ""] if go else []
    return rows, rest, traces


def waived_go(report: Report) -> str:
    """`, 1 of them through a waiver: **routing-optimizer** (`W-2026-031`, expires 2027-02-28)`."""
    waived = [subject for subject in report.subjects if subject.verdict is Verdict.GO and subject.waivers]
    if not waived:
        return ""
    listed = "; ".join(
        f"{subject_cell(subject.subject)} ({waiver_ids(subject.waivers)})" for subject in waived
    )
    return f", {len(waived)} of them through a waiver: {listed}"


def waiver_ids(waivers: Iterable[AppliedWaiver]) -> str:
    """`` `W-2026-031`, expires 2027-02-28 ``, for each waiver."""
    return ", ".join(f"{md_code(waiver.id)}, expires {waiver.expires.isoformat()}" for waiver in waivers)


def subject_cell(name: str) -> str:
    return f"**{md_text(name)}**"


def why_now(subject: SubjectResult) -> str:
    """The reasons of a non-GO subject, one per line of the cell."""
    parts = [
        f"{md_text(rule.message or rule_kind_words(rule.kind))} ({md_code(rule.rule, table=True)})"
        for policy in blocking_policies(subject)
        for rule in policy.reasons
    ]
    return "<br>".join(unique(parts)) or NONE_CELL


# ---------------------------------------------------------------- with a diff


def diff_parts(report: Report, diff: VerdictDiff) -> tuple[list[str], list[str], list[list[str]]]:
    """The changed subjects: a row each, a trace each but the removed; the unchanged counted."""
    unchanged = f"{plural(diff.unchanged, 'subject')} unchanged."
    if not diff.changes:
        return (
            [],
            [f"No subject's decision changes. {unchanged}" if diff.unchanged else "No subject.", ""],
            [],
        )
    rest = [unchanged, ""] if diff.unchanged else []
    head = {subject.subject: subject for subject in report.subjects}
    base = {subject.subject: subject for subject in diff.before.subjects}
    rows = ["| Subject | Before | After | Why |", "| --- | --- | --- | --- |"]
    traces: list[list[str]] = []
    for change in diff.changes:
        why = why_changed(change, head.get(change.subject), base.get(change.subject))
        rows.append(
            f"| {subject_cell(change.subject)} | {badge(change.before)} | {badge(change.after)} | {why} |"
        )
        if change.subject in head and change.kind is not ChangeKind.REMOVED:
            was = badge(change.before) if change.before is not None else "new"
            summary = f"{was} → {badge(change.after)}"
            traces.append(trace_block(head[change.subject], summary=summary))
    return rows, rest, traces


def why_changed(change: SubjectChange, now: SubjectResult | None, before: SubjectResult | None) -> str:
    """The rules that now decide, those that no longer do, the facts that moved, the warnings that
    came or went, the waivers that started or stopped applying."""
    if change.kind is ChangeKind.REMOVED:
        return "subject removed"
    messages_now = reason_messages(now)
    messages_before = reason_messages(before)
    parts = ["new subject"] if change.kind is ChangeKind.ADDED else []
    parts += [f"now: {rule_phrase(rule, messages_now)}" for rule in change.rules_now]
    parts += [f"no longer: {rule_phrase(rule, messages_before)}" for rule in change.rules_before]
    if change.kind is not ChangeKind.ADDED:  # for a new subject every fact is new: its reasons say enough
        parts += [fact_change(fact, change.subject) for fact in change.facts]
    parts += [f"new warning: {warning_phrase(warning)}" for warning in change.warnings_added]
    parts += [f"warning gone: {warning_phrase(warning)}" for warning in change.warnings_removed]
    if change.waivers_started:
        parts.append(f"waived: {waiver_ids(waiver.waiver for waiver in change.waivers_started)}")
    parts += [
        f"waiver no longer applies: {md_code(waiver.waiver.id, table=True)}"
        for waiver in change.waivers_stopped
    ]
    if len(parts) <= 1 and now is not None and now.verdict is not Verdict.GO and not change.rules_now:
        parts.append(why_now(now))
    return "<br>".join(parts) or md_text(change_summary(change))


def warning_phrase(warning: Warning) -> str:
    return f"{md_text(warning.message)} ({md_code(warning.rule, table=True)})"


def reason_messages(subject: SubjectResult | None) -> dict[str, str | None]:
    """Every deciding rule of a subject (GO ones too) with its message."""
    if subject is None:
        return {}
    return {rule.rule: rule.message for policy in subject.policies for rule in policy.reasons}


def rule_phrase(rule: str, messages: dict[str, str | None]) -> str:
    message = messages.get(rule)
    code = md_code(rule, table=True)
    return f"{md_text(message)} ({code})" if message else code


def fact_change(fact: FactChange, subject: str) -> str:
    """`` `maturity.readability` `4` → `2` (`services/analytics.yaml:22`) ``."""
    owner = f" of {md_code(fact.subject, table=True)}" if fact.subject != subject else ""
    before = md_code(reading_text(fact.before), table=True)
    after = md_code(reading_text(fact.after), table=True)
    where = md_code(short_location(fact.location), table=True)
    return f"{md_code(fact.path, table=True)}{owner} {before} → {after} ({where})"


# ---------------------------------------------------------------- traces


def trace_block(subject: SubjectResult, *, summary: str) -> list[str]:
    """A collapsed `<details>` with the deciding rules of each policy that decided."""
    title = f"<b>{html_text(subject.subject)}</b> ({html_text(subject.kind)}): {summary}"
    lines = ["<details>", f"<summary>{title}</summary>", ""]
    for policy in shown_policies(subject):
        lines += policy_block(policy, subject.subject)
    if subject.missing:
        lines += ["**Missing information**", ""]
        lines += [f"- {md_text(format_missing(missing, subject.subject))}" for missing in subject.missing]
        lines.append("")
    if subject.to_go is not None:
        lines += ["**To reach GO**", ""]
        lines += [f"- {md_text(line)}" for line in to_go_items(subject.to_go, subject.subject)]
        lines.append("")
    if subject.warnings:
        lines += ["**Warnings**", ""]
        lines += [
            f"- {md_text(warning.message)} ({md_code(warning.rule)}, {md_code(str(warning.location))})"
            for warning in subject.warnings
        ]
        lines.append("")
    lines += [f"Location: {md_code(short_location(subject.location))}", "", "</details>", ""]
    return lines


def shown_policies(subject: SubjectResult) -> tuple[PolicyResult, ...]:
    """What held a non-GO subject back, and what waivers lifted; for a GO one, what let it through
    (advisory ones aside)."""
    if subject.verdict is not Verdict.GO:
        return tuple(
            policy for policy in subject.policies if policy in blocking_policies(subject) or is_lifted(policy)
        )
    return tuple(policy for policy in subject.policies if policy.enforcement.decides)


def policy_block(policy: PolicyResult, subject: str) -> list[str]:
    title = f" “{md_text(policy.title)}”" if policy.title else ""
    header = f"**Policy {md_code(policy.policy)}**{title}, {md_text(policy.enforcement.value)} enforcement: "
    header += badge(policy.verdict)
    lifted = waived_rules(policy) if is_lifted(policy) else ()
    if is_lifted(policy):
        header += f", lifted from {badge(policy.unwaived)} by a waiver"
    lines = [header, ""]
    for waiver in policy.waived_by:
        lines += waiver_items(waiver)
    for rule in lifted:
        lines += rule_items(rule, subject, waived=True)
    for rule in policy.reasons:
        if rule not in lifted:
            lines += rule_items(rule, subject)
    if policy.reasons or policy.waived_by:
        lines.append("")
    return lines


def waiver_items(waiver: AppliedWaiver) -> list[str]:
    """The waiver, who accepted and approved it, until when, why, and what compensates."""
    return [
        f"- waiver {md_code(waiver.id)} ({md_code(str(waiver.location))}):"
        f" accepted by {md_text(waiver.owner)}, approved by {md_text(waiver.approver)},"
        f" expires {waiver.expires.isoformat()}",
        f"  - rationale: {md_text(waiver.rationale)}",
        f"  - compensating measure: {md_text(waiver.compensating_measure)}",
    ]


def rule_items(rule: RuleTrace, subject: str, *, waived: bool = False) -> list[str]:
    """A list item for the rule, nested items for what it read, checked, and how to lift it."""
    kind = rule_kind_words(rule.kind) + (", waived" if waived else "")
    head = f"- {md_code(rule.rule)} ({kind}, {md_code(str(rule.location))})"
    if rule.message:
        head += f": {md_text(rule.message)}"
    details: list[str] = []
    status = decisive_status(rule)
    if status:
        details.append(f"status: {md_text(status)}")
    details += [f"read {fact_item(fact, subject)}" for fact in rule.facts]
    details += [f"check {md_code(format_comparison(comparison))}" for comparison in rule.comparisons]
    details += [f"score {md_code(format_score_total(score))}" for score in rule.scores]
    details += [f"trade-off {md_code(format_tradeoff(tradeoff))}" for tradeoff in rule.tradeoffs]
    details += [f"maturity {md_code(format_maturity(maturity))}" for maturity in rule.maturities]
    details += [f"default: {md_text(format_default(default, subject))}" for default in rule.defaults]
    details += [f"verdict read: {md_text(format_verdict_read(read, subject))}" for read in rule.verdicts]
    details += [f"waiver: {md_text(format_exemption(exemption))}" for exemption in rule.exemptions]
    if rule.until:
        details.append(f"until: {md_text(rule.until)}")
    return [head, *(f"  - {detail}" for detail in unique(details))]


def fact_item(fact: Fact, subject: str) -> str:
    """`` `support_ends` = `2025-12-31` (`services/crm.yaml:15`) ``; a missing one says so."""
    owner = f" of {md_code(fact.subject)}" if fact.subject != subject else ""
    value = (
        f"{md_code(show(fact.value))}, *stale*"
        if fact.stale
        else "*missing*"
        if fact.missing
        else md_code(show(fact.value))
    )
    evidence = fact_evidence(fact)
    said = "" if evidence is None else f"; {md_text(evidence)}"
    return f"{md_code(fact.path)}{owner} = {value} ({md_code(short_location(fact.location))}{said})"

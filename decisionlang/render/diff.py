"""What changed between two decisions, in words: `check --base` as text, and the one-line
summaries and fact texts every output of a diff (CI formats, JSON, history, the board report) uses."""

from __future__ import annotations

from collections.abc import Sequence

from decisionlang.compare.changes import (
    ChangeKind,
    FactChange,
    Reading,
    SubjectChange,
    VerdictDiff,
    WaiverChange,
)
from decisionlang.core.diagnostics import render_text as render_diagnostic
from decisionlang.core.escapes import safe_text
from decisionlang.core.format import show
from decisionlang.core.model import Verdict, Warning
from decisionlang.core.views import verdict_rules, waived_rules
from decisionlang.render.text import paint, plural, render_text, summary_line

SUMMARY_FACTS = 3  # facts named in a one-line summary; the rest are counted


def render_diff_text(diff: VerdictDiff, *, color: bool, gate_all: bool = False) -> str:
    """The headline, each changed subject (before -> after, why, facts and rules that changed),
    the unchanged ones as a count, then the head report of the changed subjects."""
    lines = [_diff_headline(diff, color=color)]
    if not diff.base_evaluated:
        lines.append("")
        for diagnostic in diff.before.diagnostics:
            lines.extend(render_diagnostic(diagnostic).split("\n"))
    previous: list[str] = []
    for change in diff.changes:
        block = _change_lines(change, color=color, base_evaluated=diff.base_evaluated)
        if len(block) > 1 or len(previous) != 1:  # blocks with details stand apart
            lines.append("")
        lines.extend(block)
        previous = block
    if diff.changes and diff.unchanged:
        lines.extend(["", f"{plural(diff.unchanged, 'subject')} unchanged."])
    changed = diff.changed_report()
    if changed.subjects:
        lines.extend(
            [
                "",
                "Head report of the changed subjects:",
                "",
                *render_text(changed, color=color).rstrip("\n").split("\n"),
            ]
        )
    if gate_all:
        lines.extend(
            [
                "",
                f"--all: the exit code follows the whole head report: {summary_line(diff.head, color=color)}",
            ]
        )
    return safe_text(lines, color=color)


def _diff_headline(diff: VerdictDiff, *, color: bool) -> str:
    """`Against origin/main (commit 0123456789ab): 3 subjects changed (2 moved, 1 added), 4 unchanged`."""
    against = f"Against {paint(diff.base, 'bold', color=color)} (commit {diff.base_commit[:12]})"
    if not diff.changes:
        return f"{against}: no verdict changed; {plural(diff.unchanged, 'subject')} unchanged"
    counts = {kind: sum(1 for change in diff.changes if change.kind is kind) for kind in ChangeKind}
    kinds = ", ".join(f"{count} {kind.value}" for kind, count in counts.items() if count)
    changed = plural(len(diff.changes), "subject")
    return f"{against}: {changed} changed ({kinds}), {diff.unchanged} unchanged"


_KIND_STYLES = {"added": "cyan", "removed": "dim", "moved": "bold", "changed": "yellow"}


def _change_lines(change: SubjectChange, *, color: bool, base_evaluated: bool) -> list[str]:
    """`moved    website: GO -> NOT YET because ...`, then for moved and changed subjects the
    rules that now decide, those that no longer do, every fact that changed, the warnings that
    came or went and the waivers that started or stopped applying."""
    lines = [
        f"{paint(f'{change.kind.value:<8}', _KIND_STYLES[change.kind.value], color=color)} "
        + change_summary(change, base_evaluated=base_evaluated)
    ]
    if change.kind not in (ChangeKind.MOVED, ChangeKind.CHANGED):
        return lines
    details = [("now deciding", rule) for rule in change.rules_now]
    details += [("no longer", rule) for rule in change.rules_before]
    details += [("fact", fact_text(fact, change.subject)) for fact in change.facts]
    details += [("new warning", warning_text(warning)) for warning in change.warnings_added]
    details += [("warning gone", warning_text(warning)) for warning in change.warnings_removed]
    details += [("waiver now", waiver_text(waiver)) for waiver in change.waivers_started]
    details += [("waiver gone", waiver_text(waiver)) for waiver in change.waivers_stopped]
    lines.extend(f"         {label:<14}{text}" for label, text in details)
    return lines


# ---------------------------------------------------------------- one-line summaries


def change_summary(change: SubjectChange, *, base_evaluated: bool = True) -> str:
    """`payments-api: GO -> NOT YET because change_readiness.unmapped now decides (flows ...):
    maturity.readability 3 -> 2 (services/payments.yaml:14)`, on one line."""
    return f"{change.subject}: {change_text(change, base_evaluated=base_evaluated)}"


def change_text(change: SubjectChange, *, base_evaluated: bool = True) -> str:
    """The summary without the subject's name: `GO -> NOT YET because ...`, where a table has a
    column for the name (the board report)."""
    reason, waived = _reason(change)
    text = f"{_transition(change, base_evaluated=base_evaluated)}{reason}"
    if change.kind not in (ChangeKind.MOVED, ChangeKind.CHANGED):
        return text
    if change.facts:
        text += ": " + facts_text(change.facts, change.subject)
    if change.edited:
        edit = change.edited[0]
        text += f"; rule {edit.rule} was edited: `{one_line(edit.before)}` -> `{one_line(edit.after)}`"
    text += "".join(f"; new warning: {warning_text(warning)}" for warning in change.warnings_added)
    text += "".join(f"; warning gone: {warning_text(warning)}" for warning in change.warnings_removed)
    if not waived:
        text += "".join(f"; waiver {waiver_text(waiver)} now applies" for waiver in change.waivers_started)
    text += "".join(f"; waiver {waiver_text(waiver)} no longer applies" for waiver in change.waivers_stopped)
    return text


def _transition(change: SubjectChange, *, base_evaluated: bool) -> str:
    after = change.after.label if change.after is not None else ""
    before = change.before.label if change.before is not None else ""
    if change.kind is ChangeKind.ADDED:
        return f"added, {after}" if base_evaluated else f"{after} (the base could not be evaluated)"
    if change.kind is ChangeKind.REMOVED:
        return f"removed (was {before})"
    if change.kind is ChangeKind.MOVED:
        return f"{before} -> {after}"
    return f"still {after}"


def _reason(change: SubjectChange) -> tuple[str, bool]:
    """` because RULE now decides (its message)`: the rule the change turns on; and whether it
    named the waivers that started applying (a move to GO a waiver made)."""
    if change.kind is ChangeKind.REMOVED:
        return "", False
    old_rules, new_rules = verdict_rules(change.was), verdict_rules(change.now)
    if change.kind is ChangeKind.MOVED and change.after is Verdict.GO:
        gone = [rule for rule in old_rules if rule.rule in change.rules_before] or list(old_rules)
        if not gone:
            return "", False
        now = change.now.policies if change.now is not None else ()
        if gone[0].rule not in {rule.rule for policy in now for rule in waived_rules(policy)}:
            return f" because {gone[0].rule} no longer applies", False
        waivers = ", ".join(
            f"{waiver.waiver.id}, expires {waiver.waiver.expires.isoformat()}"
            for waiver in change.waivers_started
        )
        return f" because {gone[0].rule} is now waived" + (f" ({waivers})" if waivers else ""), True
    if not new_rules:
        return "", False
    fresh = [rule for rule in new_rules if rule.rule in change.rules_now]
    rule = (fresh or list(new_rules))[0]
    verb = ""
    if (
        fresh
        and change.kind is ChangeKind.CHANGED
        and change.after is not Verdict.GO
        and not change.rules_before
    ):
        verb = " now also holds it back"  # a second policy blocks a subject already held back
    elif fresh and change.kind is not ChangeKind.ADDED:
        verb = " now decides"
    message = f" ({one_line(rule.message)})" if rule.message else ""
    return f" because {rule.rule}{verb}{message}", False


def facts_text(facts: Sequence[FactChange], subject: str) -> str:
    """`maturity.readability 3 -> 2 (services/payments.yaml:14), and 2 more`."""
    shown = ", ".join(fact_text(fact, subject) for fact in facts[:SUMMARY_FACTS])
    rest = len(facts) - SUMMARY_FACTS
    return shown + (f", and {rest} more" if rest > 0 else "")


def fact_text(fact: FactChange, subject: str) -> str:
    """`tier of fax-gateway 2 -> 1 (services/payments.yaml:33)`."""
    text = f"{fact_label(fact, subject)} {reading_text(fact.before)} -> {reading_text(fact.after)}"
    location = fact.location
    line = f":{location.line}" if location.line is not None else ""
    return f"{text} ({location.file}{line})"


def fact_label(fact: FactChange, subject: str) -> str:
    """The field, with its owner when it is another subject's: `tier of fax-gateway`."""
    return fact.path if fact.subject == subject else f"{fact.path} of {fact.subject}"


def reading_text(reading: Reading) -> str:
    """A value as written in a state file; `missing` when the trace found none."""
    if reading.missing:
        return "missing"
    return show(reading.value)


def warning_text(warning: Warning) -> str:
    """`no on-call rotation (on_call.no_on_call)`."""
    return f"{one_line(warning.message)} ({warning.rule})"


def waiver_text(change: WaiverChange) -> str:
    """`W-2026-031 on change_readiness (expires 2027-02-28)`."""
    return f"{change.waiver.id} on {change.policy} (expires {change.waiver.expires.isoformat()})"


def one_line(text: str) -> str:
    return " ".join(text.split())

"""`check --base` as text: what a change does to the decisions, for people."""

from __future__ import annotations

from decisionlang.compare.changes import ChangeKind, SubjectChange, VerdictDiff
from decisionlang.compare.gitdiff import fact_text
from decisionlang.core.diagnostics import render_text as render_diagnostic
from decisionlang.render.text import paint, plural, render_text, summary_line


def render_diff_text(diff: VerdictDiff, *, color: bool, gate_all: bool = False) -> str:
    """The headline, each changed subject (before -> after, why, facts and rules that changed),
    the unchanged ones as a count, then the head report of the changed subjects."""
    lines = [_diff_headline(diff, color=color)]
    if not diff.base_evaluated:
        lines.append("")
        lines.extend(render_diagnostic(diagnostic) for diagnostic in diff.before.diagnostics)
    previous: list[str] = []
    for change in diff.changes:
        block = _change_lines(change, color=color)
        if len(block) > 1 or len(previous) != 1:  # blocks with details stand apart
            lines.append("")
        lines.extend(block)
        previous = block
    if diff.changes and diff.unchanged:
        lines.extend(["", f"{plural(diff.unchanged, 'subject')} unchanged."])
    changed = diff.changed_report()
    if changed.subjects:
        lines.extend(
            ["", "Head report of the changed subjects:", "", render_text(changed, color=color).rstrip("\n")]
        )
    if gate_all:
        lines.extend(
            [
                "",
                f"--all: the exit code follows the whole head report: {summary_line(diff.head, color=color)}",
            ]
        )
    return "\n".join(lines) + "\n"


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


def _change_lines(change: SubjectChange, *, color: bool) -> list[str]:
    """`moved    website: GO -> NOT YET because ...`, then for moved and changed subjects the
    rules that now decide, those that no longer do, and every fact that changed."""
    lines = [
        f"{paint(f'{change.kind.value:<8}', _KIND_STYLES[change.kind.value], color=color)} {change.summary}"
    ]
    if change.kind not in (ChangeKind.MOVED, ChangeKind.CHANGED):
        return lines
    details = [("now deciding", rule) for rule in change.rules_now]
    details += [("no longer", rule) for rule in change.rules_before]
    details += [("fact", fact_text(fact, change.subject)) for fact in change.facts]
    lines.extend(f"         {label:<14}{text}" for label, text in details)
    return lines

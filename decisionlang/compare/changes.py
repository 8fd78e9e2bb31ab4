"""What a change does to the decisions: two reports (base revision, head) compared subject by subject.

Built by `decisionlang.compare.gitdiff`; read by the renderers (markdown, SARIF, JUnit, GitHub, JSON).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from decisionlang.core.model import Location, Report, Verdict

BASE_INVALID = "DL-GIT-BASE-INVALID"  # in `before.diagnostics`: the base could not be evaluated


class ChangeKind(enum.Enum):
    ADDED = "added"  # the subject exists only in the head
    REMOVED = "removed"  # the subject exists only in the base
    MOVED = "moved"  # its verdict changed
    CHANGED = "changed"  # same verdict, but other facts or other deciding rules


@dataclass(frozen=True)
class FactChange:
    """A state value a deciding rule reads, before and after (None: absent on that side)."""

    subject: str
    path: str
    before: Any
    after: Any
    location: Location | None  # in the head when the fact exists there, else in the base


@dataclass(frozen=True)
class SubjectChange:
    subject: str
    kind: ChangeKind
    before: Verdict | None  # None when added
    after: Verdict | None  # None when removed
    facts: tuple[FactChange, ...]  # facts read by the deciding rules that differ between sides
    rules_now: tuple[str, ...]  # rule ids deciding in the head but not in the base
    rules_before: tuple[str, ...]  # rule ids deciding in the base but not in the head
    summary: str  # one line: "payments-api: GO -> NOT YET because ... : maturity.readability 3 -> 2 (...)"


@dataclass(frozen=True)
class VerdictDiff:
    base: str  # the revision as given, e.g. origin/main
    base_commit: str  # the full commit id it resolved to
    head: Report
    before: Report
    changes: tuple[SubjectChange, ...]  # sorted by subject name
    unchanged: int  # subjects present on both sides with the same verdict, facts and reasons

    @property
    def changed_subjects(self) -> tuple[str, ...]:
        return tuple(change.subject for change in self.changes if change.kind is not ChangeKind.REMOVED)

    @property
    def base_evaluated(self) -> bool:
        """False when the base could not be evaluated (every head subject is then reported as added)."""
        return not any(diagnostic.code == BASE_INVALID for diagnostic in self.before.diagnostics)

    def changed_report(self) -> Report:
        """The head report restricted to the changed subjects (removed ones are in no head report)."""
        changed = set(self.changed_subjects)
        subjects = tuple(subject for subject in self.head.subjects if subject.subject in changed)
        verdict = Verdict.worst([subject.verdict for subject in subjects])
        return Report(verdict, subjects, self.head.diagnostics, self.head.as_of)

    @property
    def changed_verdict(self) -> Verdict:
        """The worst head verdict of the subjects the change added, moved or changed (GO when none)."""
        return self.changed_report().verdict

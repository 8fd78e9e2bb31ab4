"""What a change does to the decisions: two reports (base revision, head) compared subject by subject.

Built by `decisionlang.gitdiff`; read by the renderers (markdown, SARIF, JUnit, GitHub, JSON).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from decisionlang.trace import Location, Report, Verdict


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

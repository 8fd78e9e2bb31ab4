"""What changed between two decisions: `compare(before, after)`, subject by subject.

A pure function of two typed `Report`s (no portfolio, no git, no files): every value it compares
was recorded in the traces of one side or the other. `check --base` (two revisions), `history`
(two entries of the decision log) and the board report ("moved since the last recorded decision")
all tell what `compare` found; the words for it are the renderers' (`decisionlang.render.diff`).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from decisionlang.core.model import (
    AppliedWaiver,
    Fact,
    Location,
    Report,
    RuleTrace,
    SubjectResult,
    Verdict,
    Warning,
)
from decisionlang.core.views import verdict_fact_rules, verdict_rules

T = TypeVar("T")

BASE_INVALID = "DL-GIT-BASE-INVALID"  # in `before.diagnostics`: the base could not be evaluated


class ChangeKind(enum.Enum):
    ADDED = "added"  # the subject exists only after
    REMOVED = "removed"  # the subject exists only before
    MOVED = "moved"  # its verdict changed
    CHANGED = "changed"  # same verdict, but other deciding rules, facts, warnings or waivers

    def mirrored(self) -> ChangeKind:
        return _MIRRORED.get(self, self)


_MIRRORED = {ChangeKind.ADDED: ChangeKind.REMOVED, ChangeKind.REMOVED: ChangeKind.ADDED}


@dataclass(frozen=True)
class Reading:
    """A state value as one side's trace recorded it: JSON-ready, or missing (the trace says so)."""

    value: Any
    missing: bool
    location: Location

    @staticmethod
    def of(fact: Fact) -> Reading:
        return Reading(None if fact.missing else fact.value, fact.missing, fact.location)


@dataclass(frozen=True)
class FactChange:
    """A state value the verdict stands on (on either side) whose readings differ: another value, or
    read and found missing on one side. A fact no rule of one side read (a short-circuit `and`, a
    rule that no longer applies) is "not read" there, which says nothing of the file: it is not
    compared, never reported as missing."""

    subject: str  # whose fact: the subject itself or, say, one of its dependencies
    path: str
    before: Reading
    after: Reading

    @property
    def location(self) -> Location:
        """Where it is written now, or where it was when it is missing now."""
        return self.before.location if self.after.missing and not self.before.missing else self.after.location

    def mirrored(self) -> FactChange:
        return FactChange(self.subject, self.path, self.after, self.before)


@dataclass(frozen=True)
class WaiverChange:
    """A waiver that started or stopped lifting one of the subject's policies."""

    policy: str
    waiver: AppliedWaiver


@dataclass(frozen=True)
class RuleEdit:
    """A rule the verdict stands on whose text differs between the sides (whitespace aside)."""

    rule: str
    before: str
    after: str

    def mirrored(self) -> RuleEdit:
        return RuleEdit(self.rule, self.after, self.before)


@dataclass(frozen=True)
class SubjectChange:
    subject: str
    kind: ChangeKind
    was: SubjectResult | None  # None when added
    now: SubjectResult | None  # None when removed
    facts: tuple[FactChange, ...] = ()  # facts the verdict stands on (either side) that differ
    rules_now: tuple[str, ...] = ()  # rule ids the verdict stands on after, not before
    rules_before: tuple[str, ...] = ()  # rule ids it stood on before, not after
    warnings_added: tuple[Warning, ...] = ()
    warnings_removed: tuple[Warning, ...] = ()
    waivers_started: tuple[WaiverChange, ...] = ()
    waivers_stopped: tuple[WaiverChange, ...] = ()
    edited: tuple[RuleEdit, ...] = ()  # of the rules the verdict stands on, those whose text changed

    @property
    def before(self) -> Verdict | None:
        return self.was.verdict if self.was is not None else None

    @property
    def after(self) -> Verdict | None:
        return self.now.verdict if self.now is not None else None

    def mirrored(self) -> SubjectChange:
        """The same change seen the other way round: what `compare(after, before)` gives."""
        return SubjectChange(
            self.subject,
            self.kind.mirrored(),
            self.now,
            self.was,
            tuple(fact.mirrored() for fact in self.facts),
            self.rules_before,
            self.rules_now,
            self.warnings_removed,
            self.warnings_added,
            self.waivers_stopped,
            self.waivers_started,
            tuple(edit.mirrored() for edit in self.edited),
        )


@dataclass(frozen=True)
class ReportDiff:
    """Two decisions compared: every subject of either side is changed or counted as unchanged."""

    before: Report
    after: Report
    changes: tuple[SubjectChange, ...]  # sorted by subject name
    unchanged: int  # subjects on both sides with the same verdict, rules, facts, warnings and waivers

    @property
    def changed_subjects(self) -> tuple[str, ...]:
        """The subjects added, moved or changed (those the after side still has)."""
        return tuple(change.subject for change in self.changes if change.kind is not ChangeKind.REMOVED)

    def changed_report(self) -> Report:
        """The after report restricted to the changed subjects (removed ones are in no after report)."""
        changed = set(self.changed_subjects)
        subjects = tuple(subject for subject in self.after.subjects if subject.subject in changed)
        verdict = Verdict.worst([subject.verdict for subject in subjects])
        return Report(verdict, subjects, self.after.diagnostics, self.after.as_of)

    def change_of(self, subject: str) -> SubjectChange | None:
        return next((change for change in self.changes if change.subject == subject), None)


def compare(
    before: Report, after: Report, *, edited: Mapping[str, tuple[str, str]] | None = None
) -> ReportDiff:
    """Every subject of either report, by name: what changed, or counted as unchanged.

    `edited` is data the reports cannot carry: rule id -> (its text before, its text after), for the
    rules whose text differs; the rules a changed subject's verdict stands on are named with it."""
    old, new = _by_name(before), _by_name(after)
    old_facts, new_facts = _readings(before), _readings(after)
    changes: list[SubjectChange] = []
    unchanged = 0
    for name in sorted(old.keys() | new.keys()):
        change = compare_subject(old.get(name), new.get(name), old_facts, new_facts, edited or {})
        if change is None:
            unchanged += 1
        else:
            changes.append(change)
    return ReportDiff(before, after, tuple(changes), unchanged)


Readings = Mapping[tuple[str, str], Fact]


def compare_subject(
    was: SubjectResult | None,
    now: SubjectResult | None,
    before: Readings,
    after: Readings,
    edited: Mapping[str, tuple[str, str]],
) -> SubjectChange | None:
    """One subject on both sides (None: absent on that side); None when nothing changed.

    `before` and `after` are the facts each whole report recorded: a dependency's value read by the
    dependency's own rules counts as read on that side."""
    either = now or was
    if either is None:
        return None
    name = either.subject
    old_rules, new_rules = _ids(verdict_rules(was)), _ids(verdict_rules(now))
    rules_now = tuple(rule for rule in new_rules if rule not in old_rules)
    rules_before = tuple(rule for rule in old_rules if rule not in new_rules)
    facts = _fact_changes(name, (*verdict_fact_rules(now), *verdict_fact_rules(was)), before, after)
    old_warnings, new_warnings = _warnings(was), _warnings(now)
    warnings_added = _added(old_warnings, new_warnings, _warning_key)
    warnings_removed = _added(new_warnings, old_warnings, _warning_key)
    old_waivers, new_waivers = _waivers(was), _waivers(now)
    waivers_started = _added(old_waivers, new_waivers, _waiver_key)
    waivers_stopped = _added(new_waivers, old_waivers, _waiver_key)
    differs = rules_now or rules_before or facts or warnings_added or warnings_removed
    if was is None:
        kind = ChangeKind.ADDED
    elif now is None:
        kind = ChangeKind.REMOVED
    elif was.verdict is not now.verdict:
        kind = ChangeKind.MOVED
    elif differs or waivers_started or waivers_stopped:
        kind = ChangeKind.CHANGED
    else:
        return None
    edits = tuple(
        RuleEdit(rule, *edited[rule]) for rule in dict.fromkeys((*new_rules, *old_rules)) if rule in edited
    )
    return SubjectChange(
        name,
        kind,
        was,
        now,
        facts if kind in (ChangeKind.MOVED, ChangeKind.CHANGED) else (),
        rules_now,
        rules_before,
        tuple(warnings_added),
        tuple(warnings_removed),
        tuple(waivers_started),
        tuple(waivers_stopped),
        edits,
    )


def _by_name(report: Report) -> dict[str, SubjectResult]:
    return {result.subject: result for result in report.subjects}


def _readings(report: Report) -> dict[tuple[str, str], Fact]:
    """Every fact the report's traces recorded, by (subject, field); the first reading wins (within
    one evaluation every reading of a field is the same)."""
    readings: dict[tuple[str, str], Fact] = {}
    for result in report.subjects:
        for policy in result.policies:
            for rule in policy.rules:
                for fact in rule.facts:
                    readings.setdefault((fact.subject, fact.path), fact)
    return readings


def _fact_changes(
    subject_name: str, rules: Iterable[RuleTrace], before: Readings, after: Readings
) -> tuple[FactChange, ...]:
    keys = dict.fromkeys((fact.subject, fact.path) for rule in rules for fact in rule.facts)
    changes = []
    for subject, path in keys:
        old, new = before.get((subject, path)), after.get((subject, path))
        if old is None or new is None or _same_fact(old, new):
            continue
        changes.append(FactChange(subject, path, Reading.of(old), Reading.of(new)))
    # One order whichever side is `before` (so that swapping the sides mirrors the diff): the
    # subject's own facts first, then its dependencies', each by field.
    return tuple(
        sorted(changes, key=lambda change: (change.subject != subject_name, change.subject, change.path))
    )


def _ids(rules: Iterable[RuleTrace]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(rule.rule for rule in rules))


def _warnings(result: SubjectResult | None) -> tuple[Warning, ...]:
    return result.warnings if result is not None else ()


def _waivers(result: SubjectResult | None) -> tuple[WaiverChange, ...]:
    if result is None:
        return ()
    return tuple(
        WaiverChange(policy.policy, waiver) for policy in result.policies for waiver in policy.waived_by
    )


def _warning_key(warning: Warning) -> tuple[str, str]:
    # Neither where (a shifted line is no change) nor the message (it may quote a value that moves
    # every day, "support ended 354 days ago"): a warning still given is not a new one.
    return (warning.policy, warning.rule)


def _waiver_key(change: WaiverChange) -> tuple[str, str]:
    return (change.policy, change.waiver.id)


def _added(old: Iterable[T], new: Iterable[T], key: Callable[[T], Hashable]) -> list[T]:
    """The items of `new` whose key no item of `old` has, in `new`'s order, each once."""
    seen = {key(item) for item in old}
    added: list[T] = []
    for item in new:
        if key(item) not in seen:
            seen.add(key(item))
            added.append(item)
    return added


def _same_fact(old: Fact, new: Fact) -> bool:
    if old.missing or new.missing:
        return old.missing == new.missing
    if type(old.value) is type(new.value) and isinstance(old.value, str | int | float):
        return bool(old.value == new.value)  # the common case, without encoding
    return _json(old.value) == _json(new.value)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


@dataclass(frozen=True)
class VerdictDiff:
    """`check --base`: the decisions at a git revision (the base) compared with the working tree."""

    base: str  # the revision as given, e.g. origin/main
    base_commit: str  # the full commit id it resolved to
    diff: ReportDiff

    @property
    def head(self) -> Report:
        return self.diff.after

    @property
    def before(self) -> Report:
        return self.diff.before

    @property
    def changes(self) -> tuple[SubjectChange, ...]:
        return self.diff.changes

    @property
    def unchanged(self) -> int:
        return self.diff.unchanged

    @property
    def changed_subjects(self) -> tuple[str, ...]:
        return self.diff.changed_subjects

    @property
    def base_evaluated(self) -> bool:
        """False when the base could not be evaluated (every head subject is then reported as added)."""
        return not any(diagnostic.code == BASE_INVALID for diagnostic in self.before.diagnostics)

    def changed_report(self) -> Report:
        return self.diff.changed_report()

    @property
    def changed_verdict(self) -> Verdict:
        """The worst head verdict of the subjects the change added, moved or changed (GO when none)."""
        return self.changed_report().verdict

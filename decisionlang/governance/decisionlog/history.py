"""How verdicts moved between consecutive entries of the log, when, and why.

Why is what `compare` (decisionlang.compare.changes) finds between the stored results of two
consecutive entries, the same comparison `check --base` makes: the rules the verdict stands on
now and before, the facts behind them that differ, warnings and waivers that came or went; and,
what only the log knows, which inputs changed (policies, states, engine, the as-of date).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, replace

from decisionlang.compare.changes import ChangeKind, FactChange, SubjectChange, compare
from decisionlang.core.diagnostics import DecisionlangError, Diagnostic
from decisionlang.core.hints import did_you_mean
from decisionlang.core.model import Report, SubjectResult
from decisionlang.governance.decisionlog.model import DecisionRecord, LoggedAnnotation, LoggedDecision
from decisionlang.governance.decisionlog.store import DecisionStore, timestamp
from decisionlang.governance.decisionlog.traces import read_trace


class MoveKind(enum.Enum):
    FIRST = "first"  # the subject's first entry (in the period looked at)
    MOVED = "moved"  # its verdict changed
    CHANGED = "changed"  # same verdict, but other deciding rules, facts, warnings or waivers


@dataclass(frozen=True)
class EntryRef:
    """Where a verdict was read: which entry and decision, when, on which inputs."""

    entry: int
    decision_id: str
    recorded_at: str
    as_of: str | None
    revision: str | None
    engine_version: str
    policies_digest: str
    states_digest: str
    verdict: str  # the subject's verdict in that entry

    @property
    def is_replay(self) -> bool:
        """Recorded on another day than the one the policies saw as `today` (`--as-of`)."""
        return self.as_of is not None and self.as_of != self.recorded_at[:10]


@dataclass(frozen=True)
class InputChanges:
    """Which inputs of the decision differ between two entries (what the traces cannot tell)."""

    policies: bool = False
    states: bool = False
    engine: tuple[str, str] | None = None  # (before, after)
    as_of: tuple[str | None, str | None] | None = None  # (before, after)

    def __bool__(self) -> bool:
        return self.policies or self.states or self.engine is not None or self.as_of is not None


@dataclass(frozen=True)
class VerdictMove:
    subject: str
    kind: MoveKind
    before: EntryRef | None  # None for FIRST
    after: EntryRef
    change: SubjectChange | None = None  # None for FIRST
    inputs: InputChanges = InputChanges()
    traced: bool = True  # False when a side was recorded with --no-trace: facts cannot be compared

    @property
    def facts(self) -> tuple[FactChange, ...]:
        return self.change.facts if self.change is not None else ()

    @property
    def rules_now(self) -> tuple[str, ...]:
        return self.change.rules_now if self.change is not None else ()

    @property
    def rules_before(self) -> tuple[str, ...]:
        return self.change.rules_before if self.change is not None else ()


@dataclass(frozen=True)
class History:
    """Verdict moves of one subject, or of the portfolio, in the order they were recorded."""

    subject: str | None  # None: the portfolio
    since: str | None  # UTC timestamp the history starts at; None: the beginning of the log
    entries: int  # entries looked at (holding the subject, when there is one)
    moves: tuple[VerdictMove, ...]
    annotations: tuple[LoggedAnnotation, ...]  # on the decisions of the entries looked at


def subject_history(store: DecisionStore, subject: str, *, since: dt.datetime | None = None) -> History:
    """Every move and change of one subject's verdict (from `since`, compared with the entry before)."""
    if since is None:
        entries, baseline = store.entries_for_subject(subject), None
    else:
        entries, baseline = store.entries_since(since, subject), store.latest_before(since, subject)
    if not entries and baseline is None:
        raise _unknown_subject(store, subject)
    moves = _moves(subject, [baseline, *entries] if baseline is not None else entries, first=baseline is None)
    decisions = {logged.record.decision_id for logged in entries}
    return History(
        subject,
        timestamp(since) if since is not None else None,
        len(entries),
        tuple(moves),
        tuple(store.annotations(decisions)),
    )


def portfolio_history(store: DecisionStore, *, since: dt.datetime | None = None) -> History:
    """The verdict moves and changes of every subject (and the subjects new in the log) from `since`."""
    start = since or dt.datetime(1, 1, 1, tzinfo=dt.UTC)
    entries = store.entries_since(start)
    by_subject: dict[str, list[LoggedDecision]] = {}
    for logged in entries:
        for decision in logged.record.subjects:
            by_subject.setdefault(decision.subject, []).append(
                LoggedDecision(logged.entry, _with_subjects(logged, decision.subject))
            )
    moves: list[VerdictMove] = []
    for subject, appearances in by_subject.items():
        baseline = store.latest_before(start, subject) if since is not None else None
        timeline = [baseline, *appearances] if baseline is not None else appearances
        moves += _moves(subject, timeline, first=baseline is None)
    moves.sort(key=lambda move: (move.after.entry, move.subject))
    decisions = {logged.record.decision_id for logged in entries}
    return History(
        None,
        timestamp(since) if since is not None else None,
        len(entries),
        tuple(moves),
        tuple(store.annotations(decisions)),
    )


def compare_entries(subject: str, before: LoggedDecision | None, after: LoggedDecision) -> VerdictMove | None:
    """What changed for `subject` from one entry to the next; None when nothing did."""
    after_ref, now = _side(subject, after)
    if before is None:
        return VerdictMove(subject, MoveKind.FIRST, None, after_ref)
    before_ref, was = _side(subject, before)
    change = compare(_report(was), _report(now)).change_of(subject)
    if change is None:
        return None
    kind = MoveKind.MOVED if change.kind is ChangeKind.MOVED else MoveKind.CHANGED
    traced = _traced(was) and _traced(now)
    return VerdictMove(subject, kind, before_ref, after_ref, change, _inputs(before_ref, after_ref), traced)


def _moves(subject: str, timeline: list[LoggedDecision], *, first: bool) -> list[VerdictMove]:
    """Moves along `timeline`; its first element is a baseline unless `first` (then it is a FIRST move)."""
    moves = []
    previous: LoggedDecision | None = None
    for index, logged in enumerate(timeline):
        if index == 0 and not first:
            previous = logged
            continue
        move = compare_entries(subject, previous, logged)
        if move is not None:
            moves.append(move)
        previous = logged
    return moves


def _with_subjects(logged: LoggedDecision, subject: str) -> DecisionRecord:
    return replace(logged.record, subjects=tuple(s for s in logged.record.subjects if s.subject == subject))


def _side(subject: str, logged: LoggedDecision) -> tuple[EntryRef, SubjectResult]:
    record = logged.record
    decision = next(item for item in record.subjects if item.subject == subject)
    reference = EntryRef(
        logged.entry,
        record.decision_id,
        record.recorded_at,
        record.as_of,
        record.revision,
        record.engine_version,
        record.policies_digest,
        record.states_digest,
        decision.verdict,
    )
    return reference, read_trace(decision.trace, subject=subject)


def _report(result: SubjectResult) -> Report:
    return Report(result.verdict, (result,))


def _traced(result: SubjectResult) -> bool:
    """Recorded with its facts (not with --no-trace, which keeps none)."""
    return any(rule.facts for policy in result.policies for rule in policy.rules)


def _inputs(before: EntryRef, after: EntryRef) -> InputChanges:
    return InputChanges(
        policies=before.policies_digest != after.policies_digest,
        states=before.states_digest != after.states_digest,
        engine=(before.engine_version, after.engine_version)
        if before.engine_version != after.engine_version
        else None,
        as_of=(before.as_of, after.as_of) if before.as_of != after.as_of else None,
    )


def _unknown_subject(store: DecisionStore, subject: str) -> DecisionlangError:
    known = store.subject_names()
    hint = did_you_mean(subject, known)
    if hint is None:
        hint = "record a decision with `decisionlang check DIR --record LOG`" if not known else None
    return DecisionlangError(
        [
            Diagnostic(
                "DL-LOG-UNKNOWN-SUBJECT",
                f"the decision log holds no verdict for `{subject}`",
                file=store.location,
                help=hint
                or f"the log knows {len(known)} subjects: {', '.join(known[:8])}"
                + (", ..." if len(known) > 8 else ""),
            )
        ]
    )

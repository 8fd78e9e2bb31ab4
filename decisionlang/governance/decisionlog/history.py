"""How verdicts moved between consecutive entries of the log, when, and why.

Why is read from the stored traces: the facts the deciding rules read (on either side) whose
values differ, the rules that decide now or no longer decide, and which inputs changed (policies,
states, engine, the as-of date).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, replace
from typing import Any

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic
from decisionlang.core.hints import did_you_mean
from decisionlang.core.model import Fact, Location, SubjectResult
from decisionlang.governance.decisionlog.model import DecisionRecord, LoggedAnnotation, LoggedDecision
from decisionlang.governance.decisionlog.store import DecisionStore, timestamp
from decisionlang.governance.decisionlog.traces import read_trace


class MoveKind(enum.Enum):
    FIRST = "first"  # the subject's first entry (in the period looked at)
    MOVED = "moved"  # its verdict changed
    CHANGED = "changed"  # same verdict, but other deciding rules or facts


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
class FactMove:
    """A state value read by a deciding rule, before and after (None: missing, or not read)."""

    subject: str  # whose fact: the subject itself or, say, one of its dependencies
    field: str
    before: Any
    after: Any
    location: str | None  # file:line:column on the newer side when known


@dataclass(frozen=True)
class VerdictMove:
    subject: str
    kind: MoveKind
    before: EntryRef | None  # None for FIRST
    after: EntryRef
    facts: tuple[FactMove, ...] = ()
    rules_now: tuple[str, ...] = ()  # deciding after, not before
    rules_before: tuple[str, ...] = ()  # deciding before, not after
    inputs: tuple[str, ...] = ()  # "policies changed", "states changed", "engine 0.1 -> 0.2", "as of A -> B"
    traced: bool = True  # False when a side was recorded with --no-trace: facts cannot be compared


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
    """The verdict moves of every subject (and the subjects new in the log) from `since`."""
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
        moves += [
            move
            for move in _moves(subject, timeline, first=baseline is None)
            if move.kind is not MoveKind.CHANGED
        ]
    moves.sort(key=lambda move: (move.after.entry, move.subject))
    decisions = {logged.record.decision_id for logged in entries}
    return History(
        None,
        timestamp(since) if since is not None else None,
        len(entries),
        tuple(moves),
        tuple(store.annotations(decisions)),
    )


def compare(subject: str, before: LoggedDecision | None, after: LoggedDecision) -> VerdictMove | None:
    """What changed for `subject` from one entry to the next; None when nothing did."""
    after_ref, after_trace = _side(subject, after)
    if before is None:
        return VerdictMove(subject, MoveKind.FIRST, None, after_ref)
    before_ref, before_trace = _side(subject, before)
    facts_before, facts_after = _facts(before_trace), _facts(after_trace)
    deciding_before, deciding_after = _deciding(before_trace), _deciding(after_trace)
    read = [*_deciding_facts(after_trace), *_deciding_facts(before_trace)]
    facts = []
    for key in dict.fromkeys(read):
        old, new = facts_before.get(key), facts_after.get(key)
        if _value(old) != _value(new):
            seen = new or old
            where = _where(seen.location) if seen is not None else None
            facts.append(FactMove(key[0], key[1], _value(old), _value(new), where))
    rules_now = tuple(sorted(deciding_after - deciding_before))
    rules_before = tuple(sorted(deciding_before - deciding_after))
    if before_ref.verdict != after_ref.verdict:
        kind = MoveKind.MOVED
    elif facts or rules_now or rules_before:
        kind = MoveKind.CHANGED
    else:
        return None
    return VerdictMove(
        subject,
        kind,
        before_ref,
        after_ref,
        tuple(facts),
        rules_now,
        rules_before,
        (*_inputs(before_ref, after_ref), *_waiver_moves(before_trace, after_trace)),
        traced=bool(facts_before) and bool(facts_after),
    )


def _moves(subject: str, timeline: list[LoggedDecision], *, first: bool) -> list[VerdictMove]:
    """Moves along `timeline`; its first element is a baseline unless `first` (then it is a FIRST move)."""
    moves = []
    previous: LoggedDecision | None = None
    for index, logged in enumerate(timeline):
        if index == 0 and not first:
            previous = logged
            continue
        move = compare(subject, previous, logged)
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


def _deciding(result: SubjectResult) -> set[str]:
    return {rule.rule for policy in result.policies for rule in policy.reasons}


def _deciding_facts(result: SubjectResult) -> list[tuple[str, str]]:
    return [
        (fact.subject, fact.path)
        for policy in result.policies
        for rule in policy.reasons
        for fact in rule.facts
    ]


def _facts(result: SubjectResult) -> dict[tuple[str, str], Fact]:
    """Every fact the trace read, by (subject, field); the first reading wins (all are the same)."""
    facts: dict[tuple[str, str], Fact] = {}
    for fact in result.facts:
        facts.setdefault((fact.subject, fact.path), fact)
    return facts


def _value(fact: Fact | None) -> Any:
    if fact is None or fact.missing:
        return None
    return fact.value


def _where(location: Location) -> str | None:
    if not location.file:
        return None
    if location.line is None:
        return location.file
    return f"{location.file}:{location.line}:{location.column or 1}"


def _waivers(result: SubjectResult) -> dict[str, str]:
    """The waivers that lifted one of the subject's policies: id -> expiry."""
    return {waiver.id: waiver.expires.isoformat() for waiver in result.waivers}


def _waiver_moves(before: SubjectResult, after: SubjectResult) -> tuple[str, ...]:
    """`waiver W-1 no longer applies (expires 2026-10-31)`: a move a waiver explains."""
    old, new = _waivers(before), _waivers(after)
    gone = [f"waiver {wid} no longer applies (expires {old[wid]})" for wid in sorted(old.keys() - new.keys())]
    came = [f"waiver {wid} now applies (expires {new[wid]})" for wid in sorted(new.keys() - old.keys())]
    return (*gone, *came)


def _inputs(before: EntryRef, after: EntryRef) -> tuple[str, ...]:
    changed = []
    if before.policies_digest != after.policies_digest:
        changed.append("policies changed")
    if before.states_digest != after.states_digest:
        changed.append("states changed")
    if before.engine_version != after.engine_version:
        changed.append(f"engine {before.engine_version} -> {after.engine_version}")
    if before.as_of != after.as_of:
        changed.append(f"as of {before.as_of} -> {after.as_of}")
    return tuple(changed)


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

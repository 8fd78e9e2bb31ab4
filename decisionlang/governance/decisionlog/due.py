"""Which recorded decisions are due for review (`decisionlang due`, the board report).

A subject's **current decision** is the first entry of its current verdict: the entry where the
verdict it still has was first recorded (entries that recorded the same verdict again since, as a
CI run does on every push, do not restart anything). Its **review date**:

- set by a policy: the decision's date plus the shortest `review after` of the policies that
  applied to the subject in its latest entry;
- moved by an annotation of one of the current decision's entries: `annotate --review-by DATE`
  sets it to DATE; an annotation without it, recorded as a look at the decision (confirmed or
  revisited), restarts the policy's period from the annotation's date; the latest annotation
  counts.

A decision is **due** when its review date is on or before the day asked about (today, plus
`--within`); the earliest first. A subject without a review date (no policy asks for one, no
annotation sets one) is never due.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from decisionlang.governance.decisionlog.model import AnnotationStatus, LoggedAnnotation, LoggedDecision
from decisionlang.governance.decisionlog.store import EPOCH, DecisionStore
from decisionlang.governance.decisionlog.traces import read_trace

__all__ = ["DueReview", "due_among", "due_reviews", "review_of"]


@dataclass(frozen=True)
class DueReview:
    """One subject's current decision and when it is to be reviewed."""

    subject: str
    kind: str
    verdict: str  # a Verdict value
    decision_id: str
    decided_on: dt.date  # the day its current verdict was first recorded
    review_on: dt.date
    why: str  # "policy change_readiness: review after 6 months", "annotation 3: review by 2027-01-15"
    overdue_days: int  # days past the review date on the day asked about (0: due that day; < 0: ahead)


def due_reviews(store: DecisionStore, *, on: dt.date, within_days: int = 0) -> list[DueReview]:
    """The current decisions of the log whose review date falls on or before `on` + `within_days`,
    the earliest first (then by subject): every entry read in one query, not one per subject."""
    return due_among(store.entries_since(EPOCH), store.annotations(), on=on, within_days=within_days)


def due_among(
    entries: Sequence[LoggedDecision],
    annotations: list[LoggedAnnotation],
    *,
    on: dt.date,
    within_days: int = 0,
) -> list[DueReview]:
    """`due_reviews` over entries already read (oldest first), as the board report has them."""
    horizon = on + dt.timedelta(days=within_days)
    by_subject: dict[str, list[LoggedDecision]] = {}
    for logged in entries:
        for decision in logged.record.subjects:
            by_subject.setdefault(decision.subject, []).append(logged)
    found = []
    for subject in sorted(by_subject):
        review = review_of(by_subject[subject], annotations, subject, on)
        if review is not None and review.review_on <= horizon:
            found.append(review)
    found.sort(key=lambda review: (review.review_on, review.subject))
    return found


def review_of(
    entries: list[LoggedDecision], annotations: list[LoggedAnnotation], subject: str, on: dt.date
) -> DueReview | None:
    """The review of the subject's current decision (None when nothing sets one), from its
    entries (oldest first) and the log's annotations."""
    if not entries:
        return None
    latest = entries[-1]
    current = _verdict(latest, subject)
    first = latest
    for entry in reversed(entries):
        if _verdict(entry, subject) != current:
            break
        first = entry
    streak = {entry.record.decision_id for entry in entries if entry.entry >= first.entry}
    decided_on = _day(first.record.recorded_at)
    period, policy = _review_period(latest, subject)
    review_on: dt.date | None = None
    why = ""
    if period is not None:
        review_on = decided_on + dt.timedelta(days=period)
        why = f"policy {policy}: review after {_days_words(period)}"
    decided_at = first.record.recorded_at
    for logged in annotations:
        note = logged.annotation
        if note.decision_id not in streak or note.recorded_at < decided_at:
            continue
        if note.review_by is not None:
            review_on = dt.date.fromisoformat(note.review_by)
            why = f"annotation {logged.number}: review by {note.review_by}"
        elif period is not None and note.status is not AnnotationStatus.SUPERSEDED:
            review_on = _day(note.recorded_at) + dt.timedelta(days=period)
            why = f"policy {policy}: review after {_days_words(period)}, from annotation {logged.number}"
    if review_on is None:
        return None
    kind = next(decision.kind for decision in latest.record.subjects if decision.subject == subject)
    return DueReview(
        subject, kind, current, latest.record.decision_id, decided_on, review_on, why, (on - review_on).days
    )


def _verdict(entry: LoggedDecision, subject: str) -> str:
    return next(decision.verdict for decision in entry.record.subjects if decision.subject == subject)


def _review_period(entry: LoggedDecision, subject: str) -> tuple[float | None, str]:
    """The shortest `review after` of the policies applied to the subject, in days, and its policy."""
    decision = next(decision for decision in entry.record.subjects if decision.subject == subject)
    result = read_trace(decision.trace, subject=subject)  # the model, as every reader of the log has it
    periods = [
        (policy.review_after_days, policy.policy)
        for policy in result.policies
        if policy.review_after_days is not None
    ]
    if not periods:
        return None, ""
    return min(periods)


def _day(timestamp: str) -> dt.date:
    return dt.date.fromisoformat(timestamp[:10])


def _days_words(days: float) -> str:
    whole = round(days)
    for unit, size in (("year", 365), ("month", 30), ("week", 7)):
        if whole % size == 0 and whole >= size:
            count = whole // size
            return f"{count} {unit}{'s' if count > 1 else ''}"
    return f"{whole} day{'s' if whole != 1 else ''}"

"""The decision log's data: what one `check --record` appends, and what is read back.

Plain values only (text, numbers, JSON text), so that any store can keep them as they are.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class AnnotationStatus(enum.Enum):
    """What a later look at a decision concluded. The decision itself is never rewritten."""

    SUPERSEDED = "superseded"
    REVISITED = "revisited"
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class SubjectDecision:
    """One subject's verdict in a decision, with its full trace."""

    subject: str
    kind: str
    verdict: str  # a Verdict value: go, not-yet, no-go
    trace: str  # canonical JSON of the subject's `SubjectResult.to_dict()` (see `traces.py`)


@dataclass(frozen=True)
class DecisionRecord:
    """What one evaluation decided, on which inputs, when."""

    decision_id: str  # short hash of the policies, the states and the engine version
    revision: str | None  # git commit of the decision repo, "+dirty" when its files differ; None outside git
    recorded_at: str  # UTC, ISO 8601: 2026-11-26T10:00:00Z
    as_of: str | None  # the date the policies saw as `today` (a replay when it is not the recording day)
    engine_version: str
    policies_digest: str  # sha256 of the policy files read (imports included)
    states_digest: str  # sha256 of the state (and waiver) files read
    verdict: str  # the portfolio's worst verdict
    subjects: tuple[SubjectDecision, ...]  # read back: those the query asked for
    scope: tuple[str, ...] | None = None  # the subjects asked for (`--service`); None: the whole portfolio
    # Waivers that lifted a verdict in this decision: subject, policy, waiver id, expiry, approver.
    waivers_applied: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class LoggedDecision:
    """A decision as kept in the log: `entry` is its place (1, 2, ...), in the order of appending."""

    entry: int
    record: DecisionRecord


@dataclass(frozen=True)
class Annotation:
    """A note appended about a decision after the fact."""

    decision_id: str
    status: AnnotationStatus
    note: str
    recorded_at: str  # UTC, ISO 8601
    author: str | None = None
    review_by: str | None = None  # ISO date: when the decision is to be reviewed again


@dataclass(frozen=True)
class LoggedAnnotation:
    number: int  # 1, 2, ... in the order of appending
    annotation: Annotation

"""The decision log's front door: where the log is, record a report, annotate a decision, read history.

The CLI wraps these; each opens the log, does one thing and closes it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic
from decisionlang.core.hints import did_you_mean
from decisionlang.core.model import Report
from decisionlang.engine.project import Project
from decisionlang.governance.decisionlog.due import DueReview, due_among, due_reviews
from decisionlang.governance.decisionlog.history import History, portfolio_history, subject_history
from decisionlang.governance.decisionlog.model import (
    Annotation,
    AnnotationStatus,
    LoggedAnnotation,
    LoggedDecision,
)
from decisionlang.governance.decisionlog.record import decision_record
from decisionlang.governance.decisionlog.simulate import Simulation, simulate
from decisionlang.governance.decisionlog.store import EPOCH, DecisionStore, SqliteStore, log_error, timestamp

LOG_ENV = "DECISIONLANG_LOG"
MAX_NOTE_LENGTH = 4000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # tabs and line breaks are fine in a note


def log_path(given: str | Path | None, environment: Mapping[str, str] | None = None) -> Path:
    """The log to use: the one given, else `$DECISIONLANG_LOG`."""
    environment = os.environ if environment is None else environment
    chosen = str(given) if given else environment.get(LOG_ENV, "")
    if not chosen:
        raise DecisionlangError(
            [
                Diagnostic(
                    "DL-LOG-NO-PATH",
                    "no decision log given",
                    help=f"give its path (for example decisions.sqlite), or set {LOG_ENV}",
                )
            ]
        )
    return Path(chosen)


def open_log(path: str | Path, *, create: bool = False) -> SqliteStore:
    """The store behind a log path; the one place to choose another `DecisionStore` (a server URL, say)."""
    return SqliteStore.open(path, create=create)


def record_report(
    log: str | Path,
    project: Project,
    report: Report,
    *,
    scope: Sequence[str] | None = None,
    now: dt.datetime | None = None,
) -> LoggedDecision:
    """Append `report` (evaluated on `project`) to the log at `log`, created when missing."""
    record = decision_record(project, report, scope=scope, now=now, log=Path(log))
    with open_log(log, create=True) as store:
        return LoggedDecision(store.append_decision(record), record)


def annotate_decision(
    log: str | Path,
    decision_id: str,
    status: AnnotationStatus,
    note: str,
    *,
    author: str | None = None,
    review_by: dt.date | None = None,
    now: dt.datetime | None = None,
) -> LoggedAnnotation:
    """Append an annotation about a recorded decision. An unknown id is an error, with the recent ids
    that come close."""
    note = _clean(note, "note", Path(log))
    author = _clean(author, "author", Path(log)) if author else None
    with open_log(log) as store:
        recorded = timestamp(now or dt.datetime.now(dt.UTC))
        review = review_by.isoformat() if review_by is not None else None
        annotation = Annotation(decision_id, status, note, recorded, author, review)
        try:  # the store checks the log's integrity, then the decision id, inside its write
            return LoggedAnnotation(store.annotate(annotation), annotation)
        except DecisionlangError as error:
            if error.diagnostics[0].code == "DL-LOG-UNKNOWN-DECISION":
                raise _unknown_decision(store, decision_id) from None
            raise


def read_decisions(
    log: str | Path, project: Project, *, due_on: dt.date | None = None
) -> tuple[tuple[LoggedDecision, ...], str, list[DueReview]]:
    """Every decision recorded in the log at `log` (it must exist), oldest first, the decision id
    the project's current inputs would be recorded under, and the decisions due for review on
    `due_on` (none when not asked): what the board report shows, read in one opening of the log."""
    from decisionlang.governance.decisionlog.record import (
        ENGINE_VERSION,
        decision_id,
        policies_digest,
        states_digest,
    )

    current = decision_id(policies_digest(project), states_digest(project), ENGINE_VERSION)
    with open_log(log) as store:
        entries = store.entries_since(EPOCH)
        due = due_among(entries, store.annotations(), on=due_on) if due_on is not None else []
    return tuple(entries), current, due


def read_due(log: str | Path, *, on: dt.date, within_days: int = 0) -> list[DueReview]:
    """The current decisions of the log at `log` due for review on `on` (or within `within_days`
    of it), the earliest first; see `due.py`."""
    with open_log(log) as store:
        return due_reviews(store, on=on, within_days=within_days)


def read_simulation(
    log: str | Path, directory: Path, candidate: str, *, since: dt.datetime | None = None
) -> Simulation:
    """The log's decisions replayed under the policies of `candidate` (see `simulate.py`)."""
    with open_log(log) as store:
        return simulate(store, directory, candidate, since=since)


def read_history(log: str | Path, *, subject: str | None = None, since: dt.datetime | None = None) -> History:
    """One subject's verdict moves, or the portfolio's, from `since` (a UTC moment) or the beginning."""
    with open_log(log) as store:
        if subject is not None:
            return subject_history(store, subject, since=since)
        return portfolio_history(store, since=since)


def _clean(text: str, what: str, log: Path) -> str:
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise log_error("DL-LOG-NOTE", f"the {what} is empty", log, f"say what was concluded in --{what}")
    control = _CONTROL.search(text)
    if control is not None:
        message = f"the {what} holds the control character U+{ord(control.group()):04X}"
        raise log_error("DL-LOG-NOTE", message, log, "write plain text: tabs and line breaks are fine")
    if len(text) > MAX_NOTE_LENGTH:
        message = f"the {what} is {len(text)} characters long, over the {MAX_NOTE_LENGTH} limit"
        raise log_error("DL-LOG-NOTE", message, log, "link to a longer document instead")
    return text


def _unknown_decision(store: DecisionStore, decision_id: str) -> DecisionlangError:
    recent = store.recent_decision_ids()
    hint = did_you_mean(decision_id, recent)
    prefixed = [known for known in recent if known.startswith(decision_id.lower())] if decision_id else []
    if hint is None and len(prefixed) == 1:
        hint = f"did you mean `{prefixed[0]}`?"
    if hint is None:
        hint = f"recent decisions: {', '.join(recent[:5])}" if recent else "the log holds no decision yet"
    message = f"no decision `{decision_id}` in the log"
    return log_error("DL-LOG-UNKNOWN-DECISION", message, Path(store.location), hint)

"""The decision log: every recorded decision, its inputs, verdicts and traces, append-only.

- `model`: the records (plain data);
- `record`: a record from an evaluated project (decision id, git revision, traces);
- `store`: the storage interface (`DecisionStore`) and its SQLite implementation;
- `history`: how verdicts moved between entries, and why;
- `render`: history as text and JSON;
- `api`: the operations the CLI runs.
"""

from decisionlang.governance.decisionlog.api import (
    LOG_ENV,
    annotate_decision,
    log_path,
    open_log,
    read_decisions,
    read_due,
    read_history,
    read_simulation,
    record_report,
)
from decisionlang.governance.decisionlog.due import DueReview
from decisionlang.governance.decisionlog.history import History, MoveKind, VerdictMove
from decisionlang.governance.decisionlog.model import (
    Annotation,
    AnnotationStatus,
    DecisionRecord,
    LoggedAnnotation,
    LoggedDecision,
    SubjectDecision,
)
from decisionlang.governance.decisionlog.record import decision_record
from decisionlang.governance.decisionlog.store import SCHEMA_VERSION, DecisionStore, SqliteStore

__all__ = [
    "LOG_ENV",
    "SCHEMA_VERSION",
    "Annotation",
    "AnnotationStatus",
    "DecisionRecord",
    "DecisionStore",
    "DueReview",
    "History",
    "LoggedAnnotation",
    "LoggedDecision",
    "MoveKind",
    "SqliteStore",
    "SubjectDecision",
    "VerdictMove",
    "annotate_decision",
    "decision_record",
    "log_path",
    "open_log",
    "read_decisions",
    "read_due",
    "read_history",
    "read_simulation",
    "record_report",
]

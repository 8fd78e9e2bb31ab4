"""Where decisions are kept: one small interface, and its embedded SQLite implementation.

`DecisionStore` is all the rest of decisionlang knows about storage, so a shared server database
can be added as another implementation. `SqliteStore` keeps the log in one file:

- append-only: triggers refuse every UPDATE and DELETE (and an INSERT that would replace a row);
- safe with concurrent writers (two CI jobs): WAL journal, `BEGIN IMMEDIATE` writes, a busy
  timeout, then retries with backoff, so that no entry is lost;
- versioned (`PRAGMA user_version`) and migrated forward when it is opened; a log written by a
  newer decisionlang is refused rather than misread.

Every SQLite problem surfaces as a `DecisionlangError` with a `DL-LOG-*` diagnostic.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import random
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, TypeVar

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic
from decisionlang.governance.decisionlog.model import (
    Annotation,
    AnnotationStatus,
    DecisionRecord,
    LoggedAnnotation,
    LoggedDecision,
    SubjectDecision,
)

T = TypeVar("T")


class DecisionStore(Protocol):
    """The decision log as the rest of decisionlang sees it. Entries are only ever appended."""

    def append_decision(self, record: DecisionRecord) -> int:
        """Append a decision with all its subjects in one step; return its entry number."""
        ...

    def annotate(self, annotation: Annotation) -> int:
        """Append an annotation about a recorded decision id; return its number."""
        ...

    @property
    def location(self) -> str:
        """Where the log is (a file, a server), as messages name it."""
        ...

    def has_decision(self, decision_id: str) -> bool: ...

    def recent_decision_ids(self, limit: int = 50) -> list[str]:
        """Distinct decision ids, most recently recorded first."""
        ...

    def subject_names(self) -> list[str]:
        """Every subject the log holds a verdict for, sorted."""
        ...

    def entries_for_subject(self, subject: str) -> list[LoggedDecision]:
        """The entries that hold this subject, oldest first, each with that subject only."""
        ...

    def entries_since(self, since: dt.datetime, subject: str | None = None) -> list[LoggedDecision]:
        """The entries recorded at or after `since`, oldest first, with all their subjects (or one)."""
        ...

    def latest_before(self, before: dt.datetime, subject: str | None = None) -> LoggedDecision | None:
        """The last entry recorded before `before` (holding `subject` when one is given)."""
        ...

    def annotations(self, decision_ids: Iterable[str] | None = None) -> list[LoggedAnnotation]:
        """Annotations in the order they were appended, all of them or those on these decisions."""
        ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- schema and migrations

APPEND_ONLY_MESSAGE = "the decision log is append-only"


def _append_only(table: str, key: Sequence[str]) -> tuple[str, ...]:
    """Triggers refusing to rewrite or delete rows of `table`, including through INSERT OR REPLACE
    (whose deletions fire no DELETE trigger unless recursive triggers are on)."""
    same_key = " AND ".join(f"{column} = NEW.{column}" for column in key)
    return (
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: {table} are never rewritten'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: {table} are never deleted'); END",
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {same_key}) "
        f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}: {table} are never replaced'); END",
    )


# MIGRATIONS[n] takes a log from schema version n to n + 1; version 0 is an empty file.
# Never edit a released step: add one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: decisions, and each subject's verdict with its trace (traces stored once per content).
    (
        """CREATE TABLE decisions (
            entry INTEGER PRIMARY KEY AUTOINCREMENT,
            decision_id TEXT NOT NULL,
            revision TEXT,
            recorded_at TEXT NOT NULL,
            as_of TEXT,
            engine_version TEXT NOT NULL,
            policies_digest TEXT NOT NULL,
            states_digest TEXT NOT NULL,
            verdict TEXT NOT NULL,
            scope TEXT,
            waivers_applied TEXT NOT NULL DEFAULT '[]'
        )""",
        "CREATE TABLE traces (digest TEXT PRIMARY KEY, trace TEXT NOT NULL) WITHOUT ROWID",
        """CREATE TABLE verdicts (
            entry INTEGER NOT NULL REFERENCES decisions (entry),
            subject TEXT NOT NULL,
            kind TEXT NOT NULL,
            verdict TEXT NOT NULL,
            trace_digest TEXT NOT NULL REFERENCES traces (digest),
            PRIMARY KEY (entry, subject)
        ) WITHOUT ROWID""",
        *_append_only("decisions", ["entry"]),
        *_append_only("traces", ["digest"]),
        *_append_only("verdicts", ["entry", "subject"]),
    ),
    # 2: annotations after the fact; indexes for a subject's history, a decision id and a date.
    (
        """CREATE TABLE annotations (
            number INTEGER PRIMARY KEY AUTOINCREMENT,
            decision_id TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('superseded', 'revisited', 'confirmed')),
            note TEXT NOT NULL,
            author TEXT,
            recorded_at TEXT NOT NULL
        )""",
        *_append_only("annotations", ["number"]),
        "CREATE INDEX verdicts_by_subject ON verdicts (subject, entry)",
        "CREATE INDEX decisions_by_id ON decisions (decision_id)",
        "CREATE INDEX decisions_by_time ON decisions (recorded_at)",
        "CREATE INDEX annotations_by_decision ON annotations (decision_id)",
    ),
    # 3: an annotation may schedule the decision's next review (`annotate --review-by DATE`).
    ("ALTER TABLE annotations ADD COLUMN review_by TEXT",),
)
SCHEMA_VERSION = len(MIGRATIONS)
OUR_TABLES = frozenset({"decisions", "traces", "verdicts", "annotations", "sqlite_sequence"})

DAMAGED_HELP = (
    "nothing was written to it; restore it from a backup, or salvage what is readable with "
    "`sqlite3 LOG .recover | sqlite3 NEW` and check the result with `decisionlang history --log NEW`"
)
INTEGRITY_REPORT_LINES = 3  # of SQLite's integrity check, in the message

EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.UTC)  # before any decision: `entries_since(EPOCH)` reads all
BUSY_TIMEOUT_SECONDS = 30.0  # how long a writer waits for another one before giving up


SchemaItem = tuple[str, str, str, str | None]  # type, name, table, SQL text


@functools.cache
def expected_schema(version: int) -> frozenset[SchemaItem]:
    """What `sqlite_master` holds in a sound log of schema `version`: the migrations, applied."""
    connection = sqlite3.connect(":memory:")
    try:
        for step in MIGRATIONS[:version]:
            for statement in step:
                connection.execute(statement)
        return _schema(connection)
    finally:
        connection.close()


def _schema(connection: sqlite3.Connection) -> frozenset[SchemaItem]:
    rows = connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
    return frozenset((kind, name, table, sql) for kind, name, table, sql in rows)


def schema_problems(actual: frozenset[SchemaItem], version: int) -> list[str]:
    """How a log's schema differs from the one its version promises, in words (none: sound)."""
    expected = expected_schema(version)
    order = {"table": 0, "trigger": 1, "index": 2}  # a missing table first: it explains the rest
    wanted = {(kind, name): sql for kind, name, _, sql in expected}
    found = {(kind, name): sql for kind, name, _, sql in actual}

    def ordered(keys: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        return sorted(keys, key=lambda key: (order.get(key[0], 3), key[1]))

    problems = [f"the {kind} `{name}` is missing" for kind, name in ordered(wanted.keys() - found.keys())]
    problems += [
        f"the {kind} `{name}` differs from the one decisionlang creates"
        for kind, name in ordered(wanted.keys() & found.keys())
        if wanted[kind, name] != found[kind, name]
    ]
    problems += [
        f"the {kind} `{name}` is not one decisionlang creates"
        for kind, name in ordered(found.keys() - wanted.keys())
    ]
    return problems


# ---------------------------------------------------------------- errors


def log_error(code: str, message: str, path: Path, help: str | None = None) -> DecisionlangError:
    return DecisionlangError([Diagnostic(code, message, file=str(path), help=help)])


def _is_busy(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(error) or "busy" in str(error)


def _translate(error: sqlite3.Error, path: Path) -> DecisionlangError:
    """An SQLite error as a diagnostic a person can act on."""
    text = str(error)
    if _is_busy(error):
        return log_error(
            "DL-LOG-BUSY",
            f"the decision log stayed locked by another writer for {BUSY_TIMEOUT_SECONDS:g} seconds",
            path,
            "try again; if it persists, look for a process that holds the log open",
        )
    if APPEND_ONLY_MESSAGE in text:
        return log_error("DL-LOG-APPEND-ONLY", text, path)
    if isinstance(error, sqlite3.OperationalError) and (
        "unable to open" in text or "readonly" in text or "disk I/O" in text or "full" in text
    ):
        return log_error(
            "DL-LOG-IO",
            f"cannot use the decision log: {text}",
            path,
            "check that the file and its directory exist and are readable and writable",
        )
    if "malformed" in text or "Could not decode" in text or "not a database" in text:
        reason = "a text in it is not valid UTF-8" if "Could not decode" in text else f"SQLite says: {text}"
        return log_error(
            "DL-LOG-CORRUPT",
            f"the decision log `{path}` is damaged ({reason})",
            path,
            DAMAGED_HELP,
        )
    return log_error(
        "DL-LOG-CORRUPT",
        f"the decision log is unreadable: {text[:200]}",
        path,
        "is it a decisionlang log? restore it from a backup, or record into a new file",
    )


# ---------------------------------------------------------------- the SQLite store


class SqliteStore:
    """The decision log in one SQLite file. Open it with `SqliteStore.open`."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._connection = connection
        self.path = path

    @classmethod
    def open(cls, path: str | Path, *, create: bool = False) -> SqliteStore:
        """Open (with `create`, create) the log at `path` and migrate it to the current schema."""
        path = Path(path)
        if path.is_dir():
            raise log_error(
                "DL-LOG-PATH",
                f"`{path}` is a directory, not a decision log",
                path,
                f"give a file, for example {path / 'decisions.sqlite'}",
            )
        if path.exists() and not path.is_file():
            raise log_error(
                "DL-LOG-PATH",
                f"`{path}` is not a regular file (a device, a pipe, a socket): it cannot hold a decision log",
                path,
                "give a file, for example decisions.sqlite",
            )
        if not create and not path.exists():
            raise log_error(
                "DL-LOG-MISSING",
                f"no decision log at `{path}`",
                path,
                "record one with `decisionlang check DIR --record LOG`",
            )
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            uri = f"file:{urllib.parse.quote(str(path.resolve()))}?mode={'rwc' if create else 'rw'}"
            connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        except OSError as error:
            raise log_error("DL-LOG-IO", f"cannot create the decision log: {error.strerror}", path) from None
        except sqlite3.Error as error:
            raise _translate(error, path) from None
        store = cls(connection, path)
        try:
            store._prepare()
        except BaseException:
            connection.close()
            raise
        return store

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    @property
    def location(self) -> str:
        return str(self.path)

    def close(self) -> None:
        self._connection.close()

    # -- opening: journal mode, schema version, migrations

    def _prepare(self) -> None:
        with self._errors():
            self._connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            self._check_version(self._version())
            self._retry(lambda: self._connection.execute("PRAGMA journal_mode = WAL").fetchone())
            self._connection.execute("PRAGMA foreign_keys = ON")
            self._check_integrity()  # reading a damaged log says so, rather than half an answer
            if self._version() < SCHEMA_VERSION:
                self._write(self._migrate)

    def _version(self) -> int:
        row = self._connection.execute("PRAGMA user_version").fetchone()
        return int(row[0])

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise log_error(
                "DL-LOG-SCHEMA-NEWER",
                f"the decision log has schema version {version}; this decisionlang knows up to "
                f"version {SCHEMA_VERSION}",
                self.path,
                "upgrade decisionlang to read it (the log is never migrated backwards)",
            )
        if version == 0:
            tables = {row[0] for row in self._connection.execute("SELECT name FROM sqlite_master")}
            if tables - OUR_TABLES:
                raise log_error(
                    "DL-LOG-NOT-A-LOG",
                    "this SQLite database is not a decisionlang decision log",
                    self.path,
                    "give a new file or an existing decision log",
                )

    def _check_schema(self, version: int) -> None:
        """The tables, columns, indexes and append-only triggers are exactly those of `version`."""
        if version == 0:
            return
        problems = schema_problems(_schema(self._connection), version)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise log_error(
                "DL-LOG-SCHEMA",
                f"the decision log `{self.path}` is damaged: {problems[0]}{more}",
                self.path,
                DAMAGED_HELP,
            )

    def _check_integrity(self) -> None:
        """Before anything is written: the schema, then SQLite's check of every page."""
        version = self._version()
        self._check_schema(version)
        if version == 0:
            return
        rows = [str(row[0]) for row in self._connection.execute("PRAGMA quick_check")]
        if rows != ["ok"]:
            found = "; ".join(" ".join(rows).split("\n")[:INTEGRITY_REPORT_LINES])
            raise log_error(
                "DL-LOG-CORRUPT",
                f"the decision log `{self.path}` is damaged (SQLite's integrity check: {found[:300]})",
                self.path,
                DAMAGED_HELP,
            )

    def _migrate(self) -> None:
        version = self._version()  # again, inside the write lock: another process may have migrated
        self._check_version(version)
        self._check_integrity()
        for step in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[step]:
                self._connection.execute(statement)
            self._connection.execute(f"PRAGMA user_version = {step + 1}")

    # -- transactions

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            raise _translate(error, self.path) from None

    def _retry(self, work: Callable[[], T]) -> T:
        """Run `work`, again after a short random pause while another writer holds the log."""
        deadline = time.monotonic() + BUSY_TIMEOUT_SECONDS
        attempt = 0
        while True:
            try:
                return work()
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or time.monotonic() > deadline:
                    raise
            time.sleep(random.uniform(0, min(0.01 * 2**attempt, 0.5)))
            attempt += 1

    def _write(self, work: Callable[[], T]) -> T:
        """Run `work` in one immediate write transaction: all of it is appended, or none."""

        def attempt() -> T:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                result = work()
                self._connection.execute("COMMIT")
            except BaseException:
                if self._connection.in_transaction:
                    self._connection.execute("ROLLBACK")
                raise
            return result

        return self._retry(attempt)

    def _read(self, work: Callable[[], T]) -> T:
        """Run `work` on one consistent snapshot of the log."""

        def attempt() -> T:
            self._connection.execute("BEGIN")
            try:
                return work()
            finally:
                if self._connection.in_transaction:
                    self._connection.execute("ROLLBACK")

        with self._errors():
            return self._retry(attempt)

    # -- writing

    def append_decision(self, record: DecisionRecord) -> int:
        def append() -> int:
            self._check_integrity()
            cursor = self._connection.execute(
                "INSERT INTO decisions (decision_id, revision, recorded_at, as_of, engine_version, "
                "policies_digest, states_digest, verdict, scope, waivers_applied) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.decision_id,
                    record.revision,
                    record.recorded_at,
                    record.as_of,
                    record.engine_version,
                    record.policies_digest,
                    record.states_digest,
                    record.verdict,
                    _json(list(record.scope)) if record.scope is not None else None,
                    _json([dict(waiver) for waiver in record.waivers_applied]),
                ),
            )
            entry = cursor.lastrowid
            assert entry is not None
            for subject in record.subjects:
                digest = hashlib.sha256(subject.trace.encode("utf-8")).hexdigest()
                self._connection.execute(
                    "INSERT INTO traces (digest, trace) SELECT ?, ? "
                    "WHERE NOT EXISTS (SELECT 1 FROM traces WHERE digest = ?)",
                    (digest, subject.trace, digest),
                )
                self._connection.execute(
                    "INSERT INTO verdicts (entry, subject, kind, verdict, trace_digest) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (entry, subject.subject, subject.kind, subject.verdict, digest),
                )
            return entry

        with self._errors():
            return self._write(append)

    def annotate(self, annotation: Annotation) -> int:
        def append() -> int:
            self._check_integrity()
            if not self._has_decision(annotation.decision_id):
                raise log_error(
                    "DL-LOG-UNKNOWN-DECISION", f"no decision `{annotation.decision_id}` in the log", self.path
                )
            cursor = self._connection.execute(
                "INSERT INTO annotations (decision_id, status, note, author, recorded_at, review_by) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    annotation.decision_id,
                    annotation.status.value,
                    annotation.note,
                    annotation.author,
                    annotation.recorded_at,
                    annotation.review_by,
                ),
            )
            number = cursor.lastrowid
            assert number is not None
            return number

        with self._errors():
            return self._write(append)

    # -- reading

    def _has_decision(self, decision_id: str) -> bool:
        query = "SELECT 1 FROM decisions WHERE decision_id = ? LIMIT 1"
        return self._connection.execute(query, (decision_id,)).fetchone() is not None

    def has_decision(self, decision_id: str) -> bool:
        return self._read(lambda: self._has_decision(decision_id))

    def recent_decision_ids(self, limit: int = 50) -> list[str]:
        query = "SELECT decision_id FROM decisions GROUP BY decision_id ORDER BY max(entry) DESC LIMIT ?"
        return self._read(lambda: [row[0] for row in self._connection.execute(query, (limit,))])

    def subject_names(self) -> list[str]:
        query = "SELECT DISTINCT subject FROM verdicts ORDER BY subject"
        return self._read(lambda: [row[0] for row in self._connection.execute(query)])

    def entries_for_subject(self, subject: str) -> list[LoggedDecision]:
        return self._read(lambda: self._entries("v.subject = ?", (subject,)))

    def entries_since(self, since: dt.datetime, subject: str | None = None) -> list[LoggedDecision]:
        if subject is None:
            return self._read(lambda: self._entries("d.recorded_at >= ?", (timestamp(since),)))
        where = "d.recorded_at >= ? AND v.subject = ?"
        return self._read(lambda: self._entries(where, (timestamp(since), subject)))

    def latest_before(self, before: dt.datetime, subject: str | None = None) -> LoggedDecision | None:
        def latest() -> LoggedDecision | None:
            query = "SELECT max(entry) FROM decisions WHERE recorded_at < ?"
            parameters: tuple[Any, ...] = (timestamp(before),)
            if subject is not None:
                query = (
                    "SELECT max(d.entry) FROM decisions d JOIN verdicts v ON v.entry = d.entry "
                    "WHERE d.recorded_at < ? AND v.subject = ?"
                )
                parameters += (subject,)
            entry = self._connection.execute(query, parameters).fetchone()[0]
            if entry is None:
                return None
            if subject is None:
                found = self._entries("d.entry = ?", (entry,))
            else:
                found = self._entries("d.entry = ? AND v.subject = ?", (entry, subject))
            return found[0] if found else None

        return self._read(latest)

    def annotations(self, decision_ids: Iterable[str] | None = None) -> list[LoggedAnnotation]:
        def read() -> list[LoggedAnnotation]:
            query = (
                "SELECT number, decision_id, status, note, author, recorded_at, review_by FROM annotations"
            )
            rows = list(self._connection.execute(query + " ORDER BY number"))
            wanted = set(decision_ids) if decision_ids is not None else None
            return [
                LoggedAnnotation(
                    number,
                    Annotation(decision_id, AnnotationStatus(status), note, recorded_at, author, review_by),
                )
                for number, decision_id, status, note, author, recorded_at, review_by in rows
                if wanted is None or decision_id in wanted
            ]

        return self._read(read)

    def _entries(self, where: str, parameters: tuple[Any, ...]) -> list[LoggedDecision]:
        """Entries with the verdicts matching `where` (over `d` decisions and `v` verdicts), oldest first."""
        query = (
            "SELECT d.entry, d.decision_id, d.revision, d.recorded_at, d.as_of, d.engine_version, "
            "d.policies_digest, d.states_digest, d.verdict, d.scope, d.waivers_applied, "
            "v.subject, v.kind, v.verdict, t.trace "
            "FROM decisions d JOIN verdicts v ON v.entry = d.entry "
            "JOIN traces t ON t.digest = v.trace_digest "
            f"WHERE {where} ORDER BY d.entry, v.subject"
        )
        headers: dict[int, tuple[Any, ...]] = {}
        subjects: dict[int, list[SubjectDecision]] = {}
        for row in self._connection.execute(query, parameters):
            headers.setdefault(row[0], row[:11])
            subjects.setdefault(row[0], []).append(SubjectDecision(row[11], row[12], row[13], row[14]))
        return [_logged(headers[entry], subjects[entry]) for entry in headers]


def _logged(header: tuple[Any, ...], subjects: list[SubjectDecision]) -> LoggedDecision:
    entry, decision_id, revision, recorded_at, as_of, engine, policies, states, verdict, scope, waivers = (
        header
    )
    record = DecisionRecord(
        decision_id=decision_id,
        revision=revision,
        recorded_at=recorded_at,
        as_of=as_of,
        engine_version=engine,
        policies_digest=policies,
        states_digest=states,
        verdict=verdict,
        subjects=tuple(subjects),
        scope=tuple(json.loads(scope)) if scope is not None else None,
        waivers_applied=tuple(json.loads(waivers)),
    )
    return LoggedDecision(entry, record)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def timestamp(moment: dt.datetime) -> str:
    """A moment as the log writes it: UTC, seconds, `Z` (text that sorts like time)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")

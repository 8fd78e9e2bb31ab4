"""The decision log: records, history (golden), annotations, append-only, migrations, concurrency, errors."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from support import check_golden

from decisionlang import cli
from decisionlang.api import evaluate_project, load_project
from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.core.model import Verdict
from decisionlang.governance.decisionlog import (
    SCHEMA_VERSION,
    AnnotationStatus,
    DecisionRecord,
    LoggedDecision,
    SqliteStore,
    SubjectDecision,
    annotate_decision,
    read_history,
    record_report,
)
from decisionlang.governance.decisionlog import store as store_module
from decisionlang.governance.decisionlog.history import InputChanges, MoveKind
from decisionlang.governance.decisionlog.record import (
    ENGINE_VERSION,
    decision_id,
    decision_record,
    git_revision,
)
from decisionlang.governance.decisionlog.store import MIGRATIONS
from decisionlang.governance.decisionlog.traces import read_trace, trace_text

ROOT = Path(__file__).parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
DAY1 = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli.main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(QUICKSTART, target)
    return target


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return tmp_path / "log" / "decisions.sqlite"


def edit(repo: Path, relative: str, old: str, new: str) -> None:
    path = repo / relative
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {relative}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def record(repo: Path, log: Path, now: dt.datetime, as_of: dt.date | None = None, **options: Any) -> Any:
    project = load_project(repo)
    report = evaluate_project(project, as_of=as_of or now.date(), **options)
    return record_report(log, project, report, now=now)


def normalised(text: str) -> str:
    """Times of day, decision ids and digests vary with the run and the inputs: name them by order."""
    ids: dict[str, str] = {}
    text = re.sub(r"\b[0-9a-f]{64}\b", "<digest>", text)
    text = re.sub(r'"engine_version": "[^"]*"', '"engine_version": "<version>"', text)
    text = re.sub(r"\b[0-9a-f]{12}\b", lambda match: ids.setdefault(match[0], f"<id-{len(ids) + 1}>"), text)
    return text


# ---------------------------------------------------------------- what is recorded


def test_a_record_holds_every_subject_with_its_trace(repo: Path, log: Path) -> None:
    logged = record(repo, log, DAY1)
    recorded = logged.record
    assert logged.entry == 1
    assert re.fullmatch(r"[0-9a-f]{12}", recorded.decision_id)
    assert recorded.recorded_at == "2026-11-26T10:00:00Z"
    assert recorded.as_of == "2026-11-26"
    assert recorded.engine_version == ENGINE_VERSION
    assert recorded.revision is None  # not a git checkout
    assert recorded.waivers_applied == ()
    assert recorded.verdict == "no-go"
    assert [s.subject for s in recorded.subjects] == [
        "data-lake",
        "fax-gateway",
        "ledger-db",
        "legacy-crm",
        "payments-api",
        "website",
    ]
    legacy = next(s for s in recorded.subjects if s.subject == "legacy-crm")
    trace = read_trace(legacy.trace)
    assert trace.verdict is Verdict.NO_GO and trace.policies[0].reasons[0].facts
    assert legacy.trace == trace_text(trace)  # what is read back is what was recorded
    evaluated = evaluate_project(load_project(repo), as_of=DAY1.date())
    assert trace == next(s for s in evaluated.subjects if s.subject == "legacy-crm")
    with SqliteStore.open(log) as store:
        [stored] = store.entries_for_subject("legacy-crm")
    assert stored.entry == 1 and stored.record.subjects == (legacy,)


def test_the_same_inputs_give_the_same_id(repo: Path, log: Path) -> None:
    first = record(repo, log, DAY1).record.decision_id
    again = record(repo, log, DAY1 + dt.timedelta(days=3), as_of=DAY1.date()).record.decision_id
    replay = record(repo, log, DAY1, as_of=DAY1.date() - dt.timedelta(days=30)).record.decision_id
    assert replay != first  # another evaluation date is another decision
    edit(repo, "services/analytics.yaml", "readability: 4", "readability: 2")
    changed_state = record(repo, log, DAY1).record.decision_id
    edit(repo, "policies/production.policy", "vendor support", "Vendor support")
    changed_policy = record(repo, log, DAY1).record.decision_id
    assert first == again
    assert len({first, changed_state, changed_policy}) == 3
    project = load_project(repo)
    record_now = decision_record(project, evaluate_project(project, as_of=DAY1.date()), now=DAY1)
    assert record_now.decision_id == changed_policy
    assert decision_id(record_now.policies_digest, record_now.states_digest, "9.9.9") != changed_policy
    as_of = DAY1.date().isoformat()
    assert (
        decision_id(record_now.policies_digest, record_now.states_digest, ENGINE_VERSION, as_of)
        == changed_policy
    )


def test_check_record_appends_and_prints_the_id(repo: Path, log: Path) -> None:
    result = run("check", str(repo), "--as-of", "2026-11-26", "--record", str(log))
    assert result.exit_code == cli.EXIT_NO_GO
    match = re.search(r"recorded decision ([0-9a-f]{12}) \(entry 1 of ", result.stderr)
    assert match is not None, result.stderr
    assert "recorded decision" not in result.stdout
    again = run("check", str(repo), "--as-of", "2026-11-26", "--record", str(log), "--format", "json")
    json.loads(again.stdout)  # stdout stays one JSON report
    assert f"recorded decision {match[1]} (entry 2 of " in again.stderr


def test_record_without_a_path_uses_the_environment(repo: Path, log: Path) -> None:
    result = run("check", str(repo), "--record", env={"DECISIONLANG_LOG": str(log)})
    assert result.exit_code == cli.EXIT_NO_GO and "(entry 1 of" in result.stderr
    history = run("history", "website", env={"DECISIONLANG_LOG": str(log)})
    assert history.exit_code == 0 and "GO (first recorded)" in history.stdout


def test_record_only_some_services_keeps_the_scope(repo: Path, log: Path) -> None:
    result = run("check", str(repo), "-s", "website", "--record", str(log))
    assert result.exit_code == 0
    with SqliteStore.open(log) as store:
        [entry] = store.entries_since(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert entry.record.scope == ("website",)
    assert [s.subject for s in entry.record.subjects] == ["website"]


def test_replay_with_as_of_is_recorded(repo: Path, log: Path) -> None:
    result = run("check", str(repo), "--as-of", "2025-06-01", "--record", str(log))
    assert result.exit_code == cli.EXIT_NOT_YET  # legacy-crm's vendor support has not ended yet then
    history = json.loads(run("history", "legacy-crm", "--log", str(log), "--format", "json").stdout)
    [first] = history["moves"]
    assert first["after"]["as_of"] == "2025-06-01"
    assert first["after"]["replay"] is True
    assert first["after"]["recorded_at"][:10] == dt.datetime.now(dt.UTC).date().isoformat()
    text = run("history", "legacy-crm", "--log", str(log)).stdout
    assert "as of     2025-06-01 (replay)" in text


def test_revision_is_the_git_commit_and_dirty_when_files_differ(repo: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"]
    subprocess.run([*git, "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "."], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-q", "-m", "states"], check=True)
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    inside = repo / ".decisionlang" / "decisions.sqlite"
    assert record(repo, inside, DAY1).record.revision == head
    assert record(repo, inside, DAY1).record.revision == head  # its own log does not make it dirty
    edit(repo, "services/crm.yaml", "tier: 2", "tier: 1")
    assert git_revision(repo) == head + "+dirty"
    assert git_revision(repo.parent) is None  # not a checkout


# ---------------------------------------------------------------- history


def test_history_shows_the_move_with_the_fact_before_and_after(repo: Path, log: Path) -> None:
    record(repo, log, DAY1)
    edit(repo, "services/analytics.yaml", "readability: 4", "readability: 2")
    record(repo, log, DAY1 + dt.timedelta(days=1))
    history = read_history(log, subject="website")
    first, moved = history.moves
    assert first.kind is MoveKind.FIRST and first.after.verdict == "go"
    assert moved.kind is MoveKind.MOVED
    assert (moved.before and moved.before.verdict, moved.after.verdict) == ("go", "not-yet")
    [fact] = moved.facts
    assert (fact.path, fact.before.value, fact.after.value) == ("maturity.readability", 4, 2)
    assert fact.location.file == "services/analytics.yaml"
    assert moved.rules_now == ("change_readiness.unmapped",)
    assert moved.rules_before == ("change_readiness.worth_it",)
    assert moved.inputs == InputChanges(states=True, as_of=("2026-11-26", "2026-11-27"))
    text = run("history", "website", "--log", str(log)).stdout
    assert "maturity.readability: 4 -> 2" in text


def test_a_dependency_fact_is_named_with_its_owner(repo: Path, log: Path) -> None:
    record(repo, log, DAY1)
    edit(
        repo,
        "services/payments.yaml",
        "    tier: 2\n    business_value: 3",
        "    tier: 1\n    business_value: 3",
    )
    record(repo, log, DAY1 + dt.timedelta(hours=1))
    [_, moved] = read_history(log, subject="payments-api").moves
    assert moved.kind is MoveKind.MOVED
    assert [(f.subject, f.path, f.before.value, f.after.value) for f in moved.facts] == [
        ("fax-gateway", "tier", 2, 1)
    ]
    assert "tier of fax-gateway: 2 -> 1" in run("history", "payments-api", "--log", str(log)).stdout


def test_unchanged_entries_are_not_moves(repo: Path, log: Path) -> None:
    for hours in range(3):
        record(repo, log, DAY1 + dt.timedelta(hours=hours))
    history = read_history(log, subject="website")
    assert history.entries == 3 and [move.kind for move in history.moves] == [MoveKind.FIRST]
    portfolio = read_history(log, since=DAY1 + dt.timedelta(hours=1))
    assert portfolio.entries == 2 and portfolio.moves == ()
    text = run("history", "--since", "2026-11-27", "--log", str(log)).stdout
    title = "Portfolio moves since 2026-11-27: 0 verdict moves, 0 new subjects in 0 entries"
    assert text == f"{title}\n\nNo verdict moved.\n"


def test_no_trace_recordings_say_facts_were_not_compared(repo: Path, log: Path) -> None:
    record(repo, log, DAY1, trace=False)
    edit(repo, "services/analytics.yaml", "readability: 4", "readability: 2")
    record(repo, log, DAY1 + dt.timedelta(days=1), trace=False)
    [_, moved] = read_history(log, subject="website").moves
    assert moved.facts == () and not moved.traced
    assert "not compared: recorded with --no-trace" in run("history", "website", "--log", str(log)).stdout


def scenario(repo: Path, log: Path) -> None:
    """Four entries and two annotations, at fixed times."""
    record(repo, log, DAY1)
    edit(repo, "services/analytics.yaml", "readability: 4", "readability: 2")
    edit(
        repo,
        "services/payments.yaml",
        "    tier: 2\n    business_value: 3",
        "    tier: 1\n    business_value: 3",
    )
    second = record(repo, log, DAY1 + dt.timedelta(days=1)).record.decision_id
    note = "Readability was re-assessed after the mapping workshop.\nThe map is out of date."
    annotate_decision(
        log, second, AnnotationStatus.REVISITED, note, author="alice", now=DAY1 + dt.timedelta(days=2)
    )
    edit(repo, "services/analytics.yaml", "readability: 2", "readability: 4")
    third = record(repo, log, DAY1 + dt.timedelta(days=5)).record.decision_id
    annotate_decision(log, third, AnnotationStatus.CONFIRMED, "Map updated.", now=DAY1 + dt.timedelta(days=6))
    record(repo, log, DAY1 + dt.timedelta(days=7), as_of=dt.date(2025, 6, 1))  # a replay


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("history-website", ["website"]),
        ("history-payments-api", ["payments-api"]),
        ("history-legacy-crm-since", ["legacy-crm", "--since", "2026-11-28"]),
        ("history-portfolio", []),
        ("history-portfolio-since", ["--since", "2026-11-27"]),
    ],
)
@pytest.mark.parametrize("output_format", ["text", "json"])
def test_history_golden(repo: Path, log: Path, name: str, args: list[str], output_format: str) -> None:
    scenario(repo, log)
    result = run("history", *args, "--log", str(log), "--format", output_format)
    assert result.exit_code == 0, result.stderr
    if output_format == "json":
        payload = json.loads(result.stdout)
        assert payload["schema"] == "decisionlang/history/v1"
    suffix = "json" if output_format == "json" else "txt"
    check_golden(f"decisionlog/{name}.{suffix}", normalised(result.stdout))


def test_history_of_an_unknown_subject_suggests_one(repo: Path, log: Path) -> None:
    record(repo, log, DAY1)
    result = run("history", "websit", "--log", str(log))
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-LOG-UNKNOWN-SUBJECT" in result.stderr and "did you mean `website`?" in result.stderr
    assert result.stdout == ""


# ---------------------------------------------------------------- annotations


def test_annotate_appends_and_history_shows_it(repo: Path, log: Path) -> None:
    decision = record(repo, log, DAY1).record.decision_id
    result = run(
        "annotate",
        decision,
        "--note",
        "Board confirmed.",
        "--status",
        "confirmed",
        "--by",
        "bob",
        "--log",
        str(log),
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"annotated decision {decision}: confirmed (annotation 1)\n"
    again = run(
        "annotate",
        decision,
        "--note",
        "Superseded by the Q1 review.",
        "--status",
        "superseded",
        "--log",
        str(log),
    )
    assert "(annotation 2)" in again.stdout
    text = run("history", "website", "--log", str(log)).stdout
    assert f"decision {decision}  [superseded]" in text
    assert "Board confirmed." in text and "confirmed  by bob" in text
    with SqliteStore.open(log) as store:
        notes = store.annotations([decision])
    assert [(n.number, n.annotation.status) for n in notes] == [
        (1, AnnotationStatus.CONFIRMED),
        (2, AnnotationStatus.SUPERSEDED),
    ]


def test_annotate_an_unknown_decision_suggests_a_recent_one(repo: Path, log: Path) -> None:
    decision = record(repo, log, DAY1).record.decision_id
    typo = decision[:-1] + ("0" if decision[-1] != "0" else "1")
    result = run("annotate", typo, "--note", "x", "--status", "revisited", "--log", str(log))
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-LOG-UNKNOWN-DECISION" in result.stderr and f"did you mean `{decision}`?" in result.stderr
    prefix = run("annotate", decision[:6], "--note", "x", "--status", "revisited", "--log", str(log))
    assert f"did you mean `{decision}`?" in prefix.stderr
    with SqliteStore.open(log) as store:
        assert store.annotations() == []


@pytest.mark.parametrize(
    ("note", "message"),
    [("   ", "the note is empty"), ("a\x1b[31mb", "control character U+001B"), ("x" * 4001, "over the 4000")],
)
def test_a_bad_note_is_refused(repo: Path, log: Path, note: str, message: str) -> None:
    decision = record(repo, log, DAY1).record.decision_id
    result = run("annotate", decision, "--note", note, "--status", "revisited", "--log", str(log))
    assert result.exit_code == cli.EXIT_INVALID and message in result.stderr
    assert "\x1b" not in result.stderr


def test_annotate_needs_a_known_status(repo: Path, log: Path) -> None:
    decision = record(repo, log, DAY1).record.decision_id
    result = run("annotate", decision, "--note", "x", "--status", "rejected", "--log", str(log))
    assert result.exit_code == cli.EXIT_INVALID


# ---------------------------------------------------------------- append-only


def test_decisions_and_annotations_cannot_be_rewritten_or_deleted(repo: Path, log: Path) -> None:
    decision = record(repo, log, DAY1).record.decision_id
    annotate_decision(log, decision, AnnotationStatus.CONFIRMED, "ok", now=DAY1)
    connection = sqlite3.connect(log, isolation_level=None)
    statements = [
        "UPDATE decisions SET verdict = 'go'",
        "DELETE FROM decisions",
        "UPDATE verdicts SET verdict = 'go' WHERE subject = 'legacy-crm'",
        "DELETE FROM verdicts",
        "UPDATE traces SET trace = '{}'",
        "DELETE FROM traces",
        "UPDATE annotations SET status = 'superseded'",
        "DELETE FROM annotations",
        "INSERT OR REPLACE INTO annotations (number, decision_id, status, note, recorded_at) "
        "SELECT number, decision_id, 'superseded', 'rewritten', recorded_at FROM annotations",
        "INSERT OR REPLACE INTO decisions (entry, decision_id, recorded_at, engine_version, "
        "policies_digest, states_digest, verdict) VALUES (1, 'x', 't', 'e', 'p', 's', 'go')",
    ]
    for statement in statements:
        with pytest.raises(sqlite3.IntegrityError, match="the decision log is append-only"):
            connection.execute(statement)
    connection.close()
    with SqliteStore.open(log) as store:
        [entry] = store.entries_for_subject("legacy-crm")
        assert entry.record.verdict == "no-go" and entry.record.subjects[0].verdict == "no-go"
        assert [note.annotation.note for note in store.annotations()] == ["ok"]


# ---------------------------------------------------------------- schema versions


# A subject as the JSON report of schema v1 wrote it (every key present), with a rule that failed.
V1_LOCATION = {"file": "services/website.yaml", "line": 1, "column": 1}
V1_RULE = {
    "rule": "web.tls",
    "kind": "no_go",
    "outcome": "error",
    "decisive": False,
    "message": None,
    "until": None,
    "location": {"file": "policies/web.policy", "line": 3, "column": 3},
    "facts": [],
    "comparisons": [],
    "scores": [],
    "tradeoffs": [],
    "maturities": [],
    "error": {
        "code": "DL-EVAL-DIV-ZERO",
        "severity": "error",
        "message": "division by zero",
        "help": None,
        "location": {"file": "policies/web.policy", "line": 3, "column": 12},
    },
}
V1_TRACE = {
    "service": "website",
    "kind": "service",
    "verdict": "go",
    "location": V1_LOCATION,
    "policies": [
        {
            "policy": "web",
            "title": None,
            "verdict": "go",
            "enforcement": "hard",
            "location": {"file": "policies/web.policy", "line": 1, "column": 1},
            "reasons": [],
            "rules": [V1_RULE],
            "unwaived_verdict": None,
            "waivers": [],
        }
    ],
    "warnings": [],
    "missing": [],
    "must_hold": [],
}


def v1_log(path: Path) -> None:
    """A log as the first schema wrote it, with one entry."""
    connection = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0]:
        connection.execute(statement)
    connection.execute("PRAGMA user_version = 1")
    connection.execute(
        "INSERT INTO decisions (decision_id, revision, recorded_at, as_of, engine_version, policies_digest, "
        "states_digest, verdict) VALUES ('aaaaaaaaaaaa', NULL, '2026-01-01T00:00:00Z', '2026-01-01', "
        "'0.1.0', 'p', 's', 'go')"
    )
    trace = json.dumps(V1_TRACE)
    connection.execute("INSERT INTO traces VALUES ('d1', ?)", (trace,))
    connection.execute("INSERT INTO verdicts VALUES (1, 'website', 'service', 'go', 'd1')")
    connection.close()


def test_a_v1_log_is_migrated_forward_on_open(tmp_path: Path, repo: Path) -> None:
    path = tmp_path / "v1.sqlite"
    v1_log(path)
    with SqliteStore.open(path) as store:
        [entry] = store.entries_for_subject("website")
        assert entry.record.decision_id == "aaaaaaaaaaaa" and entry.record.waivers_applied == ()
    [old] = entry.record.subjects
    result = read_trace(old.trace)  # a trace of the v1 report shape reads as the model
    error = result.policies[0].rules[0].error
    assert error is not None and error.where == "policies/web.policy:3:12" and error.span is None
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    columns = {row[1] for row in connection.execute("PRAGMA table_info(annotations)")}
    assert "review_by" in columns  # migration 3
    names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"annotations", "verdicts_by_subject", "decisions_by_id", "annotations_no_update"} <= names
    connection.close()
    annotate_decision(path, "aaaaaaaaaaaa", AnnotationStatus.CONFIRMED, "still right", now=DAY1)
    record(repo, path, DAY1)
    history = read_history(path, subject="website")
    assert [move.kind for move in history.moves] == [MoveKind.FIRST, MoveKind.CHANGED]  # now with reasons
    assert history.entries == 2 and len(history.annotations) == 1


FIXTURES = ROOT / "tests" / "fixtures" / "decisionlog"


@pytest.mark.parametrize("subject", ["carrier-edi-replacement", "carrier-edi-bridge"])
def test_a_log_written_before_the_codec_tells_the_same_history(tmp_path: Path, subject: str) -> None:
    """The fixture was recorded by the code before the dict codec (traces in the v1 report shape);
    its history, read now, is what that code printed."""
    path = tmp_path / "v1.sqlite"
    connection = sqlite3.connect(path)
    connection.executescript((FIXTURES / "v1-scaleup.sql").read_text(encoding="utf-8"))
    connection.close()
    result = run("history", subject, "--log", str(path), "--format", "json")
    assert result.exit_code == 0, result.output
    expected = (FIXTURES / f"v1-scaleup-{subject}.history.json").read_text(encoding="utf-8")
    assert json.loads(result.stdout) == json.loads(expected)
    with SqliteStore.open(path) as store:
        entries = store.entries_for_subject(subject)
    [first, second] = [read_trace(logged.record.subjects[0].trace) for logged in entries]
    assert first.subject == second.subject == subject and first.policies and first.policies[0].rules


def test_a_stored_trace_that_does_not_read_is_a_clear_error() -> None:
    for text, expected in [
        ("[1]", "expected an object"),
        ('{"schema": "decisionlang/subject/v9"}', "schema: expected `decisionlang/subject/v3`"),
        (json.dumps({**V1_TRACE, "verdict": "maybe"}), "verdict: expected one of go, not-yet, no-go"),
        ("{not json", "cannot be read"),
    ]:
        with pytest.raises(DecisionlangError) as caught:
            read_trace(text, subject="website")
        [diagnostic] = caught.value.diagnostics
        assert diagnostic.code == "DL-LOG-TRACE" and expected in diagnostic.message, diagnostic.message


def test_a_log_from_a_newer_engine_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    connection.close()
    result = run("history", "--log", str(path))
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-LOG-SCHEMA-NEWER" in result.stderr and f"schema version {SCHEMA_VERSION + 1}" in result.stderr
    assert "upgrade decisionlang" in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------- bad logs and bad options


def test_bad_logs_are_clear_errors(tmp_path: Path, repo: Path) -> None:
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database at all, certainly not SQLite" * 100)
    foreign = tmp_path / "foreign.sqlite"
    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE invoices (id INTEGER)")
    connection.close()
    cases = [
        (["history", "--log", str(garbage)], "DL-LOG-CORRUPT"),
        (["history", "--log", str(foreign)], "DL-LOG-NOT-A-LOG"),
        (["history", "--log", str(tmp_path / "missing.sqlite")], "DL-LOG-MISSING"),
        (["history", "--log", str(tmp_path)], "DL-LOG-PATH"),
        (["history"], "DL-LOG-NO-PATH"),
        (["annotate", "abc", "--note", "x", "--status", "confirmed"], "DL-LOG-NO-PATH"),
        (["check", str(repo), "--record", str(garbage)], "DL-LOG-CORRUPT"),
        (["check", str(repo), "--record"], "DL-LOG-NO-PATH"),
    ]
    for args, code in cases:
        result = run(*args, env={"DECISIONLANG_LOG": ""})
        assert result.exit_code == cli.EXIT_INVALID, (args, result.output)
        assert code in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert garbage.read_bytes().startswith(b"not a database")  # left as it was
    assert not (tmp_path / "missing.sqlite").exists()


def test_record_options_that_cannot_work_are_usage_errors(repo: Path, log: Path) -> None:
    swallowed = run("check", "--record", str(repo))  # the directory taken for the log
    assert swallowed.exit_code == cli.EXIT_INVALID and "is a directory" in swallowed.stderr
    with_base = run("check", str(repo), "--base", "HEAD", "--record", str(log))
    assert with_base.exit_code == cli.EXIT_INVALID and "--base" in with_base.stderr
    assert not log.exists()


# ---------------------------------------------------------------- concurrent writers

WRITES = 40


def _append_many(path: str, worker: int, start: Any) -> None:
    start.wait()  # both processes open (and create, and migrate) the same new file at once
    with SqliteStore.open(path, create=True) as store:
        for index in range(WRITES):
            subjects = tuple(
                SubjectDecision(f"s{n}", "service", "go", json.dumps({"worker": worker, "n": n, "i": index}))
                for n in range(5)
            )
            store.append_decision(
                DecisionRecord(
                    decision_id=f"w{worker}-{index:03d}",
                    revision=None,
                    recorded_at=f"2026-11-26T10:00:{index % 60:02d}Z",
                    as_of="2026-11-26",
                    engine_version="test",
                    policies_digest="p",
                    states_digest="s",
                    verdict="go",
                    subjects=subjects,
                )
            )


def test_two_processes_recording_at_once_lose_no_entry(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_append_many, args=(path, worker, start)) for worker in (1, 2)]
    for process in workers:
        process.start()
    start.set()
    for process in workers:
        process.join(timeout=120)
        assert process.exitcode == 0
    with SqliteStore.open(path) as store:
        entries = store.entries_since(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert sorted(logged.entry for logged in entries) == list(range(1, 2 * WRITES + 1))
    ids = {logged.record.decision_id for logged in entries}
    assert ids == {f"w{worker}-{index:03d}" for worker in (1, 2) for index in range(WRITES)}
    assert all(len(logged.record.subjects) == 5 for logged in entries)
    per_worker = [
        [e.record.decision_id for e in entries if e.record.decision_id[1] == str(w)] for w in (1, 2)
    ]
    assert all(ids == sorted(ids) for ids in per_worker)  # each writer's entries in its own order


def test_a_writer_waits_for_another_to_finish(repo: Path, log: Path) -> None:
    record(repo, log, DAY1)
    holder = sqlite3.connect(log, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another CI job, in the middle of its append
    threading.Timer(0.5, lambda: holder.execute("COMMIT")).start()
    assert record(repo, log, DAY1).entry == 2
    holder.close()


def test_a_log_locked_for_too_long_is_a_clear_error(
    repo: Path, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(repo, log, DAY1)
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_SECONDS", 0.2)
    holder = sqlite3.connect(log, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DecisionlangError) as raised:
            record(repo, log, DAY1)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert raised.value.diagnostics[0].code == "DL-LOG-BUSY"
    with SqliteStore.open(log) as store:
        assert len(store.entries_for_subject("website")) == 1


def test_two_concurrent_check_record_runs_both_land(repo: Path, log: Path) -> None:
    command = [sys.executable, "-m", "decisionlang", "check", str(repo), "--as-of", "2026-11-26", "--record"]
    environment = {**os.environ, "DECISIONLANG_LOG": str(log)}
    for _ in range(3):
        runs = [
            subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for _ in range(2)
        ]
        for process in runs:
            _, errors = process.communicate(timeout=120)
            assert process.returncode == cli.EXIT_NO_GO, errors
            assert b"recorded decision" in errors
    with SqliteStore.open(log) as store:
        entries = store.entries_for_subject("website")
        assert [logged.entry for logged in entries] == [1, 2, 3, 4, 5, 6]
        assert len(set(store.recent_decision_ids())) == 1  # same inputs, same decision id


def test_logged_decision_is_returned_by_record_report(repo: Path, log: Path) -> None:
    logged = record(repo, log, DAY1)
    assert isinstance(logged, LoggedDecision)
    with pytest.raises(DecisionlangError):
        read_history(log, subject="nobody")


def test_a_note_alone_records_a_revisit(repo: Path, log: Path) -> None:
    recorded = record(repo, log, DAY1).record.decision_id
    result = run("annotate", recorded, "--note", "looked again with the CFO", "--log", str(log))
    assert result.exit_code == cli.EXIT_OK, result.output
    history = run("history", "legacy-crm", "--log", str(log)).stdout
    assert "revisited" in history and "looked again with the CFO" in history

"""A damaged decision log is refused before anything is written to it, and reading it says so.

The damage is real: bytes of a page overwritten in a copy of a log, a table or a trigger dropped
with sqlite3."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from decisionlang import cli
from decisionlang.governance.decisionlog.store import SCHEMA_VERSION, expected_schema, schema_problems

ROOT = Path(__file__).parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
AS_OF = ["--as-of", "2026-11-26"]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False, env={"DECISIONLANG_LOG": ""})


@pytest.fixture(scope="module")
def sound_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A log of two decisions with an annotation, and the decision id."""
    path = tmp_path_factory.mktemp("log") / "decisions.sqlite"
    for as_of in ("2026-11-26", "2026-11-27"):
        assert run("check", str(QUICKSTART), "--as-of", as_of, "--record", str(path)).exit_code == 1
    connection = sqlite3.connect(path)
    decision = connection.execute("SELECT decision_id FROM decisions ORDER BY entry").fetchone()[0]
    connection.close()
    assert run("annotate", decision, "--note", "looked again", "--log", str(path)).exit_code == 0
    return path, decision


def damaged_copy(sound: Path, tmp_path: Path, page: int) -> Path:
    """A copy with the b-tree header of `page` overwritten (a torn write, a bad disk block)."""
    copy = tmp_path / "damaged.sqlite"
    shutil.copy(sound, copy)
    connection = sqlite3.connect(copy)
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    with copy.open("r+b") as stream:
        stream.seek((page - 1) * page_size)
        stream.write(b"\x0d\xff\xff\xff\xff\x00\x10" * 20)
    return copy


def sqlite_finds_damage(path: Path) -> bool:
    connection = sqlite3.connect(path)
    try:
        return bool(connection.execute("PRAGMA quick_check").fetchall() != [("ok",)])
    except sqlite3.DatabaseError:
        return True
    finally:
        connection.close()


def root_page(sound: Path, table: str) -> int:
    connection = sqlite3.connect(sound)
    page = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    connection.close()
    return int(page)


def writes(path: Path, decision: str) -> list[tuple[list[str], str]]:
    return [
        (["annotate", decision, "--note", "again", "--log", str(path)], "nothing was annotated"),
        (
            ["check", str(QUICKSTART), *AS_OF, "--record", str(path)],
            "the decision was evaluated but not recorded",
        ),
    ]


def assert_refused(result: Result, code: str, path: Path) -> None:
    assert result.exit_code == cli.EXIT_INVALID, result.stderr
    assert f"error[{code}]" in result.stderr and f"the decision log `{path}` is damaged" in result.stderr
    assert "help: nothing was written to it; restore it from a backup" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("table", ["decisions", "traces", "verdicts", "annotations"])
def test_a_damaged_page_refuses_every_write(sound_log: tuple[Path, str], tmp_path: Path, table: str) -> None:
    sound, decision = sound_log
    path = damaged_copy(sound, tmp_path, root_page(sound, table))
    before = path.read_bytes()
    for arguments, outcome in writes(path, decision):
        result = run(*arguments)
        assert_refused(result, "DL-LOG-CORRUPT", path)
        assert outcome in result.stderr
    assert path.read_bytes() == before  # nothing was written, not even a migration or a header


def test_every_page_sqlite_finds_damaged_refuses_writes(sound_log: tuple[Path, str], tmp_path: Path) -> None:
    """Every page SQLite finds damaged refuses the writes, also a leaf page that the write itself
    would never read (the annotation and the record went through before the integrity check)."""
    sound, decision = sound_log
    connection = sqlite3.connect(sound)
    pages = connection.execute("PRAGMA page_count").fetchone()[0]
    connection.close()
    refused = 0
    for page in range(2, pages + 1):
        path = damaged_copy(sound, tmp_path, page)
        if not sqlite_finds_damage(path):
            continue  # this overwrite happened to damage nothing SQLite can see
        refused += 1
        for arguments, _ in writes(path, decision):
            assert run(*arguments).exit_code == cli.EXIT_INVALID, page
    assert refused > 0


@pytest.mark.parametrize(
    ("statement", "missing"),
    [
        ("DROP TABLE annotations", "the table `annotations` is missing"),
        ("DROP TRIGGER decisions_no_update", "the trigger `decisions_no_update` is missing"),
        ("DROP INDEX verdicts_by_subject", "the index `verdicts_by_subject` is missing"),
        ("CREATE TRIGGER sneaky AFTER INSERT ON decisions BEGIN SELECT 1; END", "`sneaky` is not one"),
    ],
)
def test_a_log_without_its_schema_refuses_writes_and_reads(
    sound_log: tuple[Path, str], tmp_path: Path, statement: str, missing: str
) -> None:
    sound, decision = sound_log
    path = tmp_path / "altered.sqlite"
    shutil.copy(sound, path)
    connection = sqlite3.connect(path)
    connection.execute(statement)
    connection.commit()
    connection.close()
    for arguments, _ in [*writes(path, decision), (["history", "--log", str(path)], "")]:
        result = run(*arguments)
        assert_refused(result, "DL-LOG-SCHEMA", path)
        assert missing in result.stderr


def test_reading_a_damaged_log_says_it_is_damaged(sound_log: tuple[Path, str], tmp_path: Path) -> None:
    sound, _ = sound_log
    path = damaged_copy(sound, tmp_path, root_page(sound, "verdicts"))
    result = run("history", "--log", str(path))
    assert_refused(result, "DL-LOG-CORRUPT", path)
    assert "no history was read" in result.stderr


def test_a_sound_log_has_the_schema_of_its_version(sound_log: tuple[Path, str]) -> None:
    sound, _ = sound_log
    connection = sqlite3.connect(sound)
    rows = connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
    connection.close()
    assert schema_problems(frozenset(rows), SCHEMA_VERSION) == []
    assert run("history", "--log", str(sound)).exit_code == cli.EXIT_OK
    assert len(expected_schema(SCHEMA_VERSION)) == len(rows)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_log_path_that_is_no_file_is_refused(tmp_path: Path, kind: str) -> None:
    if kind == "fifo":
        path = tmp_path / "pipe"
        import os

        os.mkfifo(path)
    else:
        path = Path("/dev/null")
    result = run("check", str(QUICKSTART), *AS_OF, "--record", str(path))
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-LOG-PATH" in result.stderr and "is not a regular file" in result.stderr
    assert not Path(f"{path}-wal").exists()

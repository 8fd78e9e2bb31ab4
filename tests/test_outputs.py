"""Where commands write: regular files replaced atomically, devices and pipes written into,
directories and missing directories refused, links planted in a project refused as default paths,
and no temporary file left behind by SIGINT or SIGTERM in the middle of a write."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from decisionlang import cli

ROOT = Path(__file__).parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
TESTING = ROOT / "tests" / "fixtures" / "testing" / "passing"
CATALOG = ROOT / "tests" / "fixtures" / "backstage"
AS_OF = ["--as-of", "2026-11-26"]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


def commands_writing(target: Path) -> list[list[str]]:
    """Every command with an --output, writing to `target`."""
    return [
        ["check", str(QUICKSTART), *AS_OF, "--output", str(target)],
        ["check", str(QUICKSTART), *AS_OF, "--format", "json", "--output", str(target)],
        ["test", str(TESTING), "--output", str(target)],
        ["report", str(QUICKSTART), *AS_OF, "--output", str(target)],
        ["report", str(QUICKSTART), *AS_OF, "--format", "markdown", "--kind", "service", "-o", str(target)],
    ]


def temporaries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(QUICKSTART, target)
    return target


# ---------------------------------------------------------------- what the path is


@pytest.mark.parametrize("index", range(5))
def test_a_regular_file_is_replaced_keeping_its_mode(tmp_path: Path, index: int) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    result = run(*commands_writing(target)[index])
    assert result.exit_code in (cli.EXIT_OK, cli.EXIT_NO_GO), result.stderr
    assert target.read_text(encoding="utf-8") not in ("", "old")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert temporaries(tmp_path) == []


def test_a_named_pipe_is_written_into_not_replaced(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()))
    reader.start()
    result = run("check", str(QUICKSTART), *AS_OF, "--output", str(pipe))
    reader.join(timeout=60)
    assert result.exit_code == cli.EXIT_NO_GO
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
    assert b"overall NO-GO" in received[0]
    assert temporaries(tmp_path) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_a_device_is_written_into_not_replaced(tmp_path: Path) -> None:
    """A null device of our own: were it replaced, only this copy would become a regular file."""
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    for arguments in commands_writing(device):
        result = run(*arguments)
        assert result.exit_code in (cli.EXIT_OK, cli.EXIT_NO_GO), result.stderr
        assert stat.S_ISCHR(device.lstat().st_mode)
    assert temporaries(tmp_path) == []


def test_dev_stdout_appends_to_what_the_shell_opened(tmp_path: Path) -> None:
    """`-o /dev/stdout >> log`: written into the log at its end, the log is never renamed over."""
    log = tmp_path / "log.txt"
    log.write_text("before\n", encoding="utf-8")
    inode = log.stat().st_ino
    command = [sys.executable, "-m", "decisionlang", "check", str(QUICKSTART), *AS_OF, "-o", "/dev/stdout"]
    with log.open("a", encoding="utf-8") as stream:
        completed = subprocess.run(command, stdout=stream, stderr=subprocess.PIPE, check=False, env=_env())
    assert completed.returncode == cli.EXIT_NO_GO, completed.stderr
    text = log.read_text(encoding="utf-8")
    assert text.startswith("before\n") and "overall NO-GO" in text
    assert log.stat().st_ino == inode


@pytest.mark.parametrize("index", range(5))
def test_a_missing_directory_is_refused(tmp_path: Path, index: int) -> None:
    target = tmp_path / "missing" / "out.txt"
    result = run(*commands_writing(target)[index])
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-CLI-OUTPUT" in result.stderr and f"`{tmp_path / 'missing'}` does not exist" in result.stderr
    assert not (tmp_path / "missing").exists()


def test_a_directory_is_refused(tmp_path: Path) -> None:
    result = run("report", str(QUICKSTART), *AS_OF, "--output", str(tmp_path))
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-CLI-OUTPUT" in result.stderr and "it is a directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_as_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    result = run("check", str(QUICKSTART), *AS_OF, "--output", str(tmp_path / "file" / "out.txt"))
    assert result.exit_code == cli.EXIT_INVALID and "DL-CLI-OUTPUT" in result.stderr
    assert (tmp_path / "file").read_text(encoding="utf-8") == "x"


def test_import_writes_by_the_same_rules(tmp_path: Path) -> None:
    catalog = CATALOG / "backstage-demo__catalog-info.yaml"
    result = run("import", "backstage", str(catalog), "--output", str(tmp_path / "no" / "state.yaml"))
    assert result.exit_code == cli.EXIT_INVALID and "DL-CLI-OUTPUT" in result.stderr


# ---------------------------------------------------------------- symbolic links


def test_an_explicit_link_replaces_its_target_and_keeps_the_link(tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "latest.txt"
    link.symlink_to(target)
    result = run("check", str(QUICKSTART), *AS_OF, "--output", str(link))
    assert result.exit_code == cli.EXIT_NO_GO
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert "overall NO-GO" in target.read_text(encoding="utf-8")
    assert temporaries(tmp_path) == []


def test_a_dangling_link_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "out.txt"
    link.symlink_to(tmp_path / "nowhere.txt")
    result = run("check", str(QUICKSTART), *AS_OF, "--output", str(link))
    assert result.exit_code == cli.EXIT_INVALID and "which does not exist" in result.stderr
    assert not (tmp_path / "nowhere.txt").exists()


@pytest.mark.parametrize(
    ("output_format", "default"), [("html", "report.html"), ("markdown", "decisions.md")]
)
def test_a_default_output_linked_out_of_the_project_is_refused(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output_format: str, default: str
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (repo / default).symlink_to(victim)
    monkeypatch.chdir(repo)
    result = run("report", ".", *AS_OF, "--format", output_format, "--kind", "service")
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-CLI-OUTPUT" in result.stderr and "is a symbolic link to" in result.stderr
    assert "outside `.`" in result.stderr
    assert "help: remove the link, or name the file to write with --output" in result.stderr
    assert victim.read_text(encoding="utf-8") == "precious"


def test_a_default_output_linked_inside_the_project_is_written_through(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "out").mkdir()
    (repo / "out" / "board.html").write_text("old", encoding="utf-8")
    (repo / "report.html").symlink_to(repo / "out" / "board.html")
    monkeypatch.chdir(repo)
    result = run("report", ".", *AS_OF)
    assert result.exit_code == cli.EXIT_OK, result.stderr
    assert (repo / "report.html").is_symlink()
    assert (repo / "out" / "board.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_record_file_linked_out_of_its_directory_is_refused(tmp_path: Path) -> None:
    """Decision records are named after subjects: a link planted under such a name is not followed."""
    records = tmp_path / "decisions"
    records.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    (records / "payments-api.md").symlink_to(victim)
    arguments = ["report", str(QUICKSTART), *AS_OF, "--format", "markdown", "--kind", "service"]
    result = run(*arguments, "--output", f"{records}/")
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-CLI-OUTPUT" in result.stderr and f"outside `{records}`" in result.stderr
    assert victim.read_text(encoding="utf-8") == "precious"


# ---------------------------------------------------------------- interrupted writes

# The child stops in the middle of the write (after the temporary file is written, before it is
# renamed), says so on stderr, and waits on stdin: the test then signals it from outside.
INTERRUPTED_CHILD = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
real_fsync = os.fsync
def fsync(descriptor):
    real_fsync(descriptor)
    sys.stderr.write("writing\\n")
    sys.stderr.flush()
    sys.stdin.readline()
os.fsync = fsync
from decisionlang.cli import main
main()
"""


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGTERM, cli.EXIT_TERMINATED), (signal.SIGINT, cli.EXIT_INTERRUPTED)]
)
def test_a_signal_in_the_middle_of_a_write_leaves_no_temporary_file(
    tmp_path: Path, signum: int, code: int
) -> None:
    target = tmp_path / "report.txt"
    target.write_text("previous report\n", encoding="utf-8")
    command = [sys.executable, "-c", INTERRUPTED_CHILD, "check", str(QUICKSTART), *AS_OF, "-o", str(target)]
    child = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()
    )
    assert child.stderr is not None
    assert child.stderr.readline() == b"writing\n"
    assert len(temporaries(tmp_path)) == 1  # the write is under way
    child.send_signal(signum)
    _, errors = child.communicate(timeout=120)
    assert child.returncode == code, errors
    assert b"Traceback" not in errors
    assert temporaries(tmp_path) == []
    assert target.read_text(encoding="utf-8") == "previous report\n"


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


# ---------------------------------------------------------------- numeric options

BAD_NUMBERS = ["nan", "NaN", "inf", "-inf", "1e400", "-1", "101", "abc", "", "1" * 5000]


@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_min_coverage_takes_only_a_finite_percentage(value: str) -> None:
    result = run("test", str(TESTING), "--min-coverage", value)
    assert result.exit_code == cli.EXIT_INVALID
    assert "Invalid value for '--min-coverage'" in result.stderr
    assert "give a number from 0 to 100" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1.5", "36501", "9" * 400, "1" * 5000])
def test_warn_days_takes_only_a_bounded_count(value: str) -> None:
    result = run("check", str(QUICKSTART), *AS_OF, "--warn-days", value)
    assert result.exit_code == cli.EXIT_INVALID
    assert "give a whole number from 0 to 36500" in result.stderr and "Traceback" not in result.stderr


def test_numeric_options_still_take_numbers() -> None:
    assert run("test", str(TESTING), "--min-coverage", " 50").exit_code == cli.EXIT_OK
    assert run("check", str(QUICKSTART), *AS_OF, "--warn-days", "36500").exit_code == cli.EXIT_NO_GO


def test_every_numeric_option_is_bounded() -> None:
    """A new float or int option must use Bounded, which refuses nan, inf and out-of-range values."""
    unbounded = [
        f"{command.name} {parameter.name}"
        for command in _commands(cli.main)
        for parameter in command.params
        if isinstance(parameter.type, click.types._NumberParamTypeBase | click.types.FloatParamType)
    ]
    assert unbounded == []


def _commands(group: click.Group) -> list[click.Command]:
    found: list[click.Command] = []
    for command in group.commands.values():
        found.extend(_commands(command) if isinstance(command, click.Group) else [command])
    return found

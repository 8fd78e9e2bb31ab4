"""Progress of long runs: the library reports stages and counts to a callback; the CLI draws them on
standard error only when it is a terminal (or with --progress), never on standard output, and the
outputs are the same bytes with and without it."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from support import write_project

from decisionlang import cli
from decisionlang.api import evaluate_project, load_project
from decisionlang.cli import progress as cli_progress
from decisionlang.cli.progress import TerminalProgress, describe
from decisionlang.core.progress import EVALUATING, LOADING_STATES, Ticker, counted

ROOT = Path(__file__).parent.parent
AS_OF = "2026-11-26"
FILES = 5
PER_FILE = 50  # 250 subjects: the evaluation reports at 0, 100, 200 and 250


def _services(index: int) -> str:
    entries = "".join(
        f"  - name: s{index:02d}-{number:03d}\n"
        "    owner: team-a\n"
        "    criticality: high\n"
        f"    risk: {number % 10}\n"
        "    note: fine\n"
        "    support_ends: 2028-01-01\n"
        for number in range(PER_FILE)
    )
    return "services:\n" + entries


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("progress")
    return write_project(root, {f"services/s{index}.yaml": _services(index) for index in range(FILES)})


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, int | None, str]] = []

    def __call__(self, stage: str, done: int, total: int | None, unit: str) -> None:
        self.calls.append((stage, done, total, unit))


def test_the_library_reports_each_stage_in_order_with_counts(repo: Path) -> None:
    recorder = Recorder()
    project = load_project(repo, progress=recorder)
    report = evaluate_project(project, progress=recorder)
    stages = list(dict.fromkeys(stage for stage, *_ in recorder.calls))
    assert stages == ["reading files", "loading policies", LOADING_STATES, EVALUATING]
    states = [call for call in recorder.calls if call[0] == LOADING_STATES]
    assert states == [
        (LOADING_STATES, 0, FILES + 1, "files"),
        (LOADING_STATES, FILES + 1, FILES + 1, "files"),
    ]
    evaluating = [done for stage, done, total, unit in recorder.calls if stage == EVALUATING]
    subjects = len(report.subjects)
    assert subjects == FILES * PER_FILE + 1
    assert evaluating == [0, 100, 200, subjects]
    assert {total for stage, _, total, _ in recorder.calls if stage == EVALUATING} == {subjects}


def test_named_subjects_are_the_total(repo: Path) -> None:
    recorder = Recorder()
    project = load_project(repo)
    evaluate_project(project, services=["alpha", "s00-001", "alpha"], progress=recorder)
    assert recorder.calls == [(EVALUATING, 0, 2, "subjects"), (EVALUATING, 2, 2, "subjects")]


def test_reports_are_the_same_with_and_without_progress(repo: Path) -> None:
    plain = evaluate_project(load_project(repo))
    watched = evaluate_project(load_project(repo, progress=Recorder()), progress=Recorder())
    assert watched == plain


@given(st.integers(0, 1_000), st.integers(1, 300))
def test_a_ticker_reports_the_start_every_n_and_the_end(count: int, every: int) -> None:
    recorder = Recorder()
    items = list(range(count))
    assert list(counted(items, recorder, "stage", "items", every)) == items
    expected = sorted({0, *range(every, count + 1, every), count})
    assert [done for _, done, _, _ in recorder.calls] == expected
    assert {total for _, _, total, _ in recorder.calls} == {count}


def test_a_ticker_done_twice_reports_once() -> None:
    recorder = Recorder()
    tick = Ticker(recorder, "stage", 3, "items", every=2)
    for _ in range(3):
        tick()
    tick.done()
    tick.done()
    assert [done for _, done, _, _ in recorder.calls] == [0, 2, 3]


def test_without_a_callback_the_items_are_given_back_as_they_are() -> None:
    items = (1, 2, 3)
    assert counted(items, None, "stage", "items") is items


def test_the_line_names_the_stage_and_counts() -> None:
    assert describe(LOADING_STATES, 3_200, 10_000, "files") == "loading states 3,200/10,000 files"
    assert describe(EVALUATING, 41_000, 100_000, "subjects") == "evaluating 41,000/100,000 subjects"
    assert describe("writing", 0, None, "") == "writing"


def test_the_terminal_line_is_redrawn_in_place_throttled_and_cleared() -> None:
    stream = io.StringIO()
    now = [0.0]
    shown = TerminalProgress(stream, columns=lambda: 30, clock=lambda: now[0])
    shown(EVALUATING, 0, 1_000, "subjects")
    now[0] = 0.05
    shown(EVALUATING, 100, 1_000, "subjects")  # within the interval: not drawn
    now[0] = 0.2
    shown(EVALUATING, 200, 1_000, "subjects")
    shown(EVALUATING, 1_000, 1_000, "subjects")  # the end of a stage is always drawn
    shown("writing", 0, None, "")  # so is a new stage, over the longer line
    shown.clear()
    shown.clear()
    first = "evaluating 0/1,000 subjects"
    assert stream.getvalue() == (
        f"\r{first}"
        "\revaluating 200/1,000 subjects"
        "\revaluating 1,000/1,000 subjec"  # cut to the terminal's width, less one column
        "\rwriting                      "
        "\r       \r"
    )


def _run(args: list[str], terminal: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[int, bytes, str]:
    # standard error is the terminal (or not); standard output is captured, not a terminal
    monkeypatch.setattr(cli_progress, "_on_terminal", lambda stream: terminal and stream is sys.stderr)
    result = CliRunner().invoke(cli.main, args, catch_exceptions=False)
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_check_shows_progress_on_a_terminals_stderr_only(
    repo: Path, output_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["check", str(repo), "--as-of", AS_OF, "--format", output_format, "--no-color"]
    code, out, err = _run(args, True, monkeypatch)
    plain_code, plain_out, plain_err = _run(args, False, monkeypatch)
    assert code == plain_code
    assert out == plain_out
    assert b"\r" not in out
    assert "\r" not in plain_err
    assert "evaluating 251/251 subjects" in err
    assert "loading states 6/6 files" in err
    assert ("writing" in err) is (output_format == "text")  # JSON is written as it is evaluated
    assert err.endswith(" \r" + plain_err) or err.endswith(" \r")
    assert _run([*args, "--no-progress"], True, monkeypatch)[2] == plain_err
    forced = _run([*args, "--progress"], False, monkeypatch)
    assert forced[1] == plain_out
    assert "evaluating 251/251 subjects" in forced[2]


def test_validate_shows_loading_progress(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = _run(["validate", str(repo)], True, monkeypatch)
    assert code == 0
    assert "loading states 6/6 files" in err
    assert b"\r" not in out
    assert _run(["validate", str(repo)], False, monkeypatch)[1] == out


def test_on_a_real_terminal_progress_goes_to_stderr_and_stdout_is_unchanged(repo: Path) -> None:
    """stderr on a pseudo-terminal, stdout to a pipe, as `decisionlang check --format json > x`."""
    command = [sys.executable, "-m", "decisionlang", "check", str(repo), "--as-of", AS_OF, "--format", "json"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    leader, follower = pty.openpty()
    try:
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL, env=environment
        ) as process:
            os.close(follower)
            follower = -1
            out = process.stdout.read() if process.stdout else b""
            terminal = b""
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the other end is closed
                    break
                if not chunk:
                    break
                terminal += chunk
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    piped = subprocess.run(command, capture_output=True, env=environment, check=False)
    assert process.returncode == piped.returncode == cli.EXIT_OK
    assert out == piped.stdout
    assert b"evaluating 251/251 subjects" in terminal
    assert piped.stderr == b""


def test_report_shows_progress_and_writes_the_same_file(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = []
    for terminal in (True, False):
        target = tmp_path / f"report-{terminal}.html"
        code, out, err = _run(
            ["report", str(repo), "--as-of", AS_OF, "--output", str(target)], terminal, monkeypatch
        )
        assert code == 0
        assert b"\r" not in out
        assert ("evaluating 251/251 subjects" in err) is terminal
        assert ("\rwriting" in err) is terminal
        written.append(target.read_bytes())
    assert written[0] == written[1]


def test_explain_shows_loading_progress(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["explain", "alpha", str(repo), "--as-of", AS_OF, "--no-color"]
    code, out, err = _run(args, True, monkeypatch)
    assert code == 0
    assert "loading states 6/6 files" in err
    assert _run(args, False, monkeypatch)[1:] == (out, "")


def test_json_streamed_to_a_terminal_hides_the_evaluation(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a terminal, the JSON report printed as it is evaluated would be interleaved with the line:
    the line shows the loading, then is cleared before the first byte of the report."""
    monkeypatch.setattr(cli_progress, "_on_terminal", lambda stream: True)
    result = CliRunner().invoke(cli.main, ["check", str(repo), "--as-of", AS_OF, "--format", "json"])
    assert "loading states 6/6 files" in result.stderr
    assert "evaluating" not in result.stderr
    assert result.stderr.endswith(" \r")
    assert b"\r" not in result.stdout_bytes

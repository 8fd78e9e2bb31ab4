"""Progress of long runs on standard error: one line, redrawn in place, cleared before anything
else is written. Shown only when standard error is a terminal (or with --progress), so logs, pipes
and the machine-readable outputs on standard output never see it.

The line is plain text (no colour, no escape sequence): it is redrawn with a carriage return and
cleared by overwriting it with spaces, which every terminal, `TERM=dumb` included, understands.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import TextIO

import click

INTERVAL = 0.1  # seconds between two redraws of the same stage
WRITING = "writing"

progress_option = click.option(
    "--progress/--no-progress",
    default=None,
    help="Show what a long run is doing (loading, evaluating, writing) on standard error "
    "(default: when standard error is a terminal).",
)


def describe(stage: str, done: int, total: int | None, unit: str) -> str:
    """`loading states 3,200/10,000 files`, `evaluating 41,000 subjects`, `writing`."""
    if total is not None and unit:
        return f"{stage} {done:,}/{total:,} {unit}"
    if done and unit:
        return f"{stage} {done:,} {unit}"
    return stage


class TerminalProgress:
    """A `ProgressCallback` drawing one line on `stream`: redrawn when the stage changes, when a
    stage completes, and otherwise at most every `interval` seconds."""

    def __init__(
        self,
        stream: TextIO,
        *,
        columns: Callable[[], int] | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = INTERVAL,
    ) -> None:
        self._stream = stream
        self._columns = columns or (lambda: _columns(stream))
        self._clock = clock
        self._interval = interval
        self._stage: str | None = None
        self._drawn_at = -float("inf")
        self._width = 0  # characters of the line now shown (0: none)

    def __call__(self, stage: str, done: int, total: int | None, unit: str) -> None:
        now = self._clock()
        if stage == self._stage and done != total and now - self._drawn_at < self._interval:
            return
        self._stage = stage
        self._drawn_at = now
        text = describe(stage, done, total, unit)[: max(self._columns() - 1, 0)]
        self._stream.write("\r" + text.ljust(self._width))
        self._stream.flush()
        self._width = len(text)

    def clear(self) -> None:
        """Remove the line (nothing when none is shown)."""
        if self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0
        self._stage = None


def _columns(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, OSError, ValueError):  # not a terminal (--progress into a file)
        return 80


def _on_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


@contextlib.contextmanager
def progress_shown(choice: bool | None) -> Iterator[TerminalProgress | None]:
    """The callback to give the library while the block runs: a `TerminalProgress` on standard
    error when `choice` (--progress/--no-progress) says so, or by default when standard error is
    a terminal; otherwise None. The line is cleared when the block ends, however it ends, so
    what is printed next (the report, a diagnostic) starts on a clean line."""
    stream = sys.stderr
    if not (choice if choice is not None else _on_terminal(stream)):
        yield None
        return
    shown = TerminalProgress(stream)
    try:
        yield shown
    finally:
        shown.clear()


def unless_streamed_to_terminal(shown: TerminalProgress | None, output: object) -> TerminalProgress | None:
    """`shown`, or None (its line cleared) when a report written as it is made goes to standard
    output (`output` None or `-`) and standard output is a terminal: the line would be interleaved
    with the report there."""
    if shown is None or (output is not None and str(output) != "-") or not _on_terminal(sys.stdout):
        return shown
    shown.clear()
    return None

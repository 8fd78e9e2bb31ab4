"""How far a long run is: the stages of loading and evaluating a project, with counts, reported to a
callback the caller gives (`load_project(..., progress=...)`, `evaluate_stream(..., progress=...)`).

The library only counts; showing is the caller's business (the CLI draws one line on a terminal's
standard error). Without a callback nothing is counted: the loops test one `None`.

A callback is called with the stage, how many of its items are done, their total (None when not
known) and the unit counted: at the start of a stage (done 0), after every `EVERY` items, and at
its end (done == total). The stages, in order:

- `reading files` (no count): finding and reading the repo's files;
- `loading policies` (no count): parsing, checking and compiling them;
- `loading states`, in `files`: reading and validating the state files;
- `evaluating`, in `subjects`.

A callback must not raise (what it raises goes up through the run).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, TypeVar, overload

T = TypeVar("T")

EVERY = 100  # items between two reports of a counted stage

READING = "reading files"
LOADING_POLICIES = "loading policies"
LOADING_STATES = "loading states"
EVALUATING = "evaluating"


class ProgressCallback(Protocol):
    def __call__(self, stage: str, done: int, total: int | None, unit: str) -> None: ...


class Ticker:
    """Counts one stage's items and reports to the callback every `every` of them; `done()` at the
    end reports the last count, however many came after the last report."""

    __slots__ = ("_callback", "_count", "_every", "_next", "stage", "total", "unit")

    def __init__(
        self, callback: ProgressCallback, stage: str, total: int | None, unit: str, every: int = EVERY
    ) -> None:
        self._callback = callback
        self.stage = stage
        self.total = total
        self.unit = unit
        self._every = max(1, every)
        self._count = 0
        self._next = self._every
        callback(stage, 0, total, unit)

    def __call__(self) -> None:
        self._count += 1
        if self._count >= self._next:
            self._next += self._every
            self._callback(self.stage, self._count, self.total, self.unit)

    def done(self) -> None:
        if self._count != self._next - self._every:  # not reported at this count yet
            self._callback(self.stage, self._count, self.total, self.unit)
            self._next = self._count + self._every


def ticker(
    callback: ProgressCallback | None, stage: str, total: int | None, unit: str, every: int = EVERY
) -> Ticker | None:
    """A `Ticker` for the stage, or None without a callback (the loop then counts nothing)."""
    return None if callback is None else Ticker(callback, stage, total, unit, every)


def announce(callback: ProgressCallback | None, stage: str) -> None:
    """The start of a stage that is not counted."""
    if callback is not None:
        callback(stage, 0, None, "")


class _Counted(Sequence[T]):
    """`items`, reporting to a ticker as each is taken by iteration (a stage's loop over them)."""

    def __init__(self, items: Sequence[T], tick: Ticker) -> None:
        self._items = items
        self._tick = tick

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...
    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        tick = self._tick
        for item in self._items:
            yield item
            tick()
        tick.done()


def counted(
    items: Sequence[T], callback: ProgressCallback | None, stage: str, unit: str, every: int = EVERY
) -> Sequence[T]:
    """`items` as they are, or (with a callback) a sequence of the same items whose iteration
    reports the stage's progress: for a loop that lives elsewhere and takes a sequence."""
    if callback is None:
        return items
    return _Counted(items, Ticker(callback, stage, len(items), unit, every))

"""What the board report shows besides the decision itself, as plain data.

The report draws trade-off charts with their acceptable zone, maturity on its axes and the revision
it was decided from. All of it comes from the checked program, the engine and git, none of which a
renderer may touch: `engine/board.py` builds a `BoardFacts` from them, the CLI adds the revision,
and `render/html.py` only draws. `Axis` is here because both sides need it: the engine evaluates the
zone on the grid of the chart's axes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from decisionlang.core.model import TradeoffTrace

DECLARED_RANGE_SHARE = 0.25  # draw a side's whole declared scale when the values cover this much of it
LOG_SCALE_RATIO = 1000.0  # values spanning three orders of magnitude get a logarithmic axis


@dataclass(frozen=True)
class Axis:
    """A chart axis: linear with round ticks, or logarithmic when values span orders of magnitude."""

    low: float
    high: float
    ticks: tuple[float, ...]
    log: bool = False

    @staticmethod
    def fit(values: Sequence[float], declared: tuple[float, float] | None) -> Axis:
        low, high = (min(values), max(values)) if values else (0.0, 1.0)
        if declared is not None and (high - low) >= DECLARED_RANGE_SHARE * (declared[1] - declared[0]):
            low, high = min(low, declared[0]), max(high, declared[1])  # the whole scale, when it is read
        if low > 0 and high / low >= LOG_SCALE_RATIO:
            first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
            return Axis(10.0**first, 10.0**last, tuple(10.0**power for power in range(first, last + 1)), True)
        if high - low < 1e-9:
            low, high = low - 1, high + 1
        step = nice_step((high - low) / 5)
        low, high = math.floor(low / step + 1e-9) * step, math.ceil(high / step - 1e-9) * step
        count = round((high - low) / step)
        return Axis(low, high, tuple(round(low + index * step, 10) for index in range(count + 1)))

    def position(self, value: float) -> float:
        if self.log:
            low = math.log10(self.low)
            return (math.log10(max(value, self.low)) - low) / (math.log10(self.high) - low)
        return (value - self.low) / (self.high - self.low)

    def value(self, position: float) -> float:
        if self.log:
            low = math.log10(self.low)
            return float(10.0 ** (low + position * (math.log10(self.high) - low)))
        return self.low + position * (self.high - self.low)


def nice_step(raw: float) -> float:
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 2.5, 5, 10):
        if raw <= multiple * magnitude:
            return multiple * magnitude
    return 10 * magnitude


def as_number(value: Any) -> float | None:
    """A traced value as a chart coordinate: a finite number, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class Point:
    """One subject on a trade-off chart: its two measures (None when not a number) and its trace."""

    subject: str
    x: float | None
    y: float | None
    trace: TradeoffTrace


@dataclass(frozen=True)
class Zone:
    """The acceptable condition evaluated by the engine on the chart's grid: `cells[row][column]` is
    True (acceptable), False (not) or None (undecided: it depends on other facts, `depends_on`).
    Row 0 is the top of the chart (the highest value of the second measure); a cell is sampled at
    its centre."""

    x: Axis
    y: Axis
    cells: tuple[tuple[bool | None, ...], ...]
    depends_on: tuple[str, ...]  # the fields the condition reads besides the two measures

    @property
    def rows(self) -> int:
        return len(self.cells)

    @property
    def columns(self) -> int:
        return len(self.cells[0]) if self.cells else 0


@dataclass(frozen=True)
class TradeoffChart:
    """A declared trade-off as its chart needs it."""

    name: str
    title: str | None
    first: str  # the sides' names
    second: str
    first_text: str  # the sides' expressions, as written
    second_text: str
    condition: str  # the acceptable condition, as written
    constants: tuple[tuple[str, Any], ...]  # the constants the condition reads, with their values
    points: tuple[Point, ...]  # every subject whose evaluation traced the trade-off
    zone: Zone | None  # None when no point can be plotted


@dataclass(frozen=True)
class MaturityAxis:
    """A numeric `maturity.*` field of the schema: a subject rates itself on it."""

    path: str
    name: str  # the path without `maturity.`
    low: float
    high: float
    description: str


@dataclass(frozen=True)
class Revision:
    """The commit the decision repo's work tree is at, and whether it has uncommitted changes."""

    commit: str
    dirty: bool

    @property
    def short(self) -> str:
        return self.commit[:12]


@dataclass(frozen=True)
class BoardFacts:
    tradeoffs: tuple[TradeoffChart, ...] = ()  # by name
    maturity_axes: tuple[MaturityAxis, ...] = ()
    maturity_models: tuple[str, ...] = ()  # every maturity model declared, by name
    scales: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # field path -> scale order
    revision: Revision | None = None

"""The last line every benchmark script prints: `RESULT ` and one JSON object of its figures.

`benchmarks/run_all.py` (`make bench`) reads that line from each script and builds one summary
table of the issue's targets; it fails when a memory or size figure is not met, never on speed.
The format is described in benchmarks/README.md ("The RESULT line"):

    RESULT {"figures": [{"name": ..., "value": ..., "unit": ..., "reference": ..., "ratio": ...,
                         "target": ..., "kind": "speed|memory|size", "met": true|false|null}]}

A script imports this module (`from benchresult import emit, figure`; the scripts' directory is on
`sys.path` when a script runs) or writes the same line itself.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any, Literal

Kind = Literal["speed", "memory", "size"]
Figure = dict[str, Any]
PREFIX = "RESULT "


def cpu(action: Callable[[], object]) -> float:
    """The CPU seconds (user + system) one call of `action` takes in this process."""
    start = time.process_time()
    action()
    return time.process_time() - start


def _number(value: float | None) -> float | None:
    """JSON has no NaN or infinity: a figure that could not be measured is null."""
    if value is None or not math.isfinite(value):
        return None
    return round(value, 6) if isinstance(value, float) else value


def figure(
    name: str,
    value: float | None,
    unit: str,
    *,
    kind: Kind,
    target: str,
    met: bool | None,
    reference: float | None = None,
    ratio: float | None = None,
) -> Figure:
    """One figure. `value` is the absolute figure in `unit`; `reference` the same-run reference in
    the same unit (or null); `ratio` is value / reference (or null); `target` says in words what
    `met` was decided against ("ratio <= 3", "< 2 GiB"); `met` is null when there is no target or
    the figure could not be measured."""
    if ratio is None and reference and value is not None:
        ratio = value / reference
    return {
        "name": name,
        "value": _number(value),
        "unit": unit,
        "reference": _number(reference),
        "ratio": _number(ratio),
        "target": target,
        "kind": kind,
        "met": met,
    }


def within_ratio(
    name: str, value: float, reference: float, unit: str, limit: float, kind: Kind = "speed"
) -> Figure:
    """A figure whose target is a ratio to its reference: met when value / reference <= limit."""
    ratio = value / reference if reference else None
    met = None if ratio is None else ratio <= limit
    return figure(
        name, value, unit, kind=kind, target=f"ratio <= {limit:g}", met=met, reference=reference, ratio=ratio
    )


def at_most(
    name: str,
    value: float | None,
    unit: str,
    limit: float,
    kind: Kind,
    *,
    strict: bool = False,
    reference: float | None = None,
) -> Figure:
    """A figure whose target is an absolute bound in its own unit: `value <= limit` (`<` if strict)."""
    met = None if value is None else (value < limit if strict else value <= limit)
    target = f"{'<' if strict else '<='} {limit:g} {unit}"
    return figure(name, value, unit, kind=kind, target=target, met=met, reference=reference)


def emit(figures: Iterable[Figure]) -> None:
    """Print the RESULT line; call it last, after every other line of output."""
    line = json.dumps({"figures": list(figures)}, ensure_ascii=False, allow_nan=False, sort_keys=False)
    print(PREFIX + line, flush=True)
    sys.stdout.flush()

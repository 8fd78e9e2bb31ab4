"""Runtime values that are not plain data: missing information and evaluation problems.

Both are values, not exceptions, so `and`/`or` can decide around them (see docs/semantics.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from decisionlang.core.spans import Span
from decisionlang.core.subjects import Duration, Subject


class Undetermined:
    """A value the evaluation could not establish."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Missing(Undetermined):
    """Unknown because state fields are absent: (subject name, file, dotted path) of each."""

    fields: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True, slots=True)
class Problem(Undetermined):
    """An evaluation problem (division by zero, a type clash in data), attributed to a span."""

    code: str
    message: str
    span: Span


def merge(first: Undetermined, second: Any) -> Undetermined:
    """Combine two undetermined operands: a problem wins; missing fields accumulate."""
    if isinstance(first, Problem):
        return first
    if isinstance(second, Problem):
        return second
    if isinstance(first, Missing) and isinstance(second, Missing):
        return Missing(tuple(dict.fromkeys(first.fields + second.fields)))
    return first


def json_value(value: Any) -> Any:
    """A runtime value as JSON-ready data (for traces)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return round(value, 6) if not value.is_integer() else int(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, Subject):
        return value.name
    if isinstance(value, (list, tuple)):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in sorted(value.items())}
    if isinstance(value, Missing):
        return None
    if isinstance(value, Problem):
        return None
    return str(value)


def display(value: Any) -> str:
    """A runtime value as a person reads it in a message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        if abs(value) >= 1e15:
            return f"{value:g}"
        digits = 4 if abs(value) >= 0.01 else 10  # small values keep their first digits
        return f"{value:.{digits}f}".rstrip("0").rstrip(".")
    if isinstance(value, Missing):
        return "unknown"
    if isinstance(value, Problem):
        return "error"
    if isinstance(value, (list, tuple)):
        return ", ".join(display(item) for item in value) if value else "none"
    if isinstance(value, Subject):
        return value.name
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)

"""Values an evaluation could not establish: missing information and evaluation problems.

Both are values, not exceptions, so `and`/`or` can decide around them (see docs/semantics.md).
They sit in core because the value formatters, used by the engine and the renderers, name them.
"""

from __future__ import annotations

from dataclasses import dataclass

from decisionlang.core.spans import Span


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

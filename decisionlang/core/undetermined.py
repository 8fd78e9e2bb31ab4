"""Values an evaluation could not establish: missing information and evaluation problems; and
the state value that cannot be computed with (a number beyond range), which becomes a problem when read.

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
    """Unknown because state fields are absent: (subject name, the file to add it to, dotted path) of
    each; that file is `Subject.add_to()`, an overlay of the subject rather than its definition."""

    fields: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True, slots=True)
class Problem(Undetermined):
    """An evaluation problem (division by zero, a type clash in data), attributed to a span."""

    code: str
    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class OutOfRange:
    """A number in a state file beyond what decisionlang computes with (see docs/semantics.md,
    S41): kept as written, in place of the value, so that reading it is an evaluation problem
    rather than a silent infinity. Data, not a runtime value: the engine turns a read into a
    `Problem`."""

    text: str  # the number as written in the state file

"""The static types of the language and the schema of state fields."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from decisionlang.core.spans import Span


@dataclass(frozen=True)
class Type:
    name: str

    def __str__(self) -> str:
        return self.name


NUMBER = Type("number")
TEXT = Type("text")
BOOL = Type("bool")
DATE = Type("date")
DATETIME = Type("datetime")  # an instant: a date and time with its time zone
DURATION = Type("duration")
SUBJECT = Type("subject")
ANY = Type("any")  # not known statically (e.g. after an error); accepted everywhere


@dataclass(frozen=True)
class ScaleType(Type):
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"scale {self.name}"

    @functools.cached_property
    def ranks(self) -> dict[str, int]:
        """Each value's 1-based position: `low` 1, `medium` 2, ..."""
        return {value: rank for rank, value in enumerate(self.values, 1)}

    def rank(self, value: str) -> int:
        return self.ranks[value]


@dataclass(frozen=True)
class ListType(Type):
    element: Type = ANY

    def __str__(self) -> str:
        return f"list of {self.element}"


@dataclass(frozen=True)
class TableType(Type):
    """A table `{key: value, ...}`: keys written as names (scale values) or texts, values of one type."""

    value: Type = ANY
    keys: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"table of {self.value}"


# `verdict(p)`: a policy's verdict, ordered by severity, compared with `go`, `not_yet`, `no_go`.
VERDICT = ScaleType("verdict", ("go", "not_yet", "no_go"))


def list_of(element: Type) -> ListType:
    return ListType("list", element)


@dataclass(frozen=True)
class RecordType(Type):
    """An object with typed fields, as an item of a list: `list of { status: text, age_days: integer }`.

    Each field is a `FieldSpec` whose `path` is the field's own name (ranges, units and
    descriptions apply as for state fields); a field may itself be a record."""

    fields: tuple[FieldSpec, ...] = ()

    def __str__(self) -> str:
        return "{" + ", ".join(f"{spec.path}: {spec.type_text()}" for spec in self.fields) + "}"

    @functools.cached_property
    def by_name(self) -> dict[str, FieldSpec]:
        return {spec.path: spec for spec in self.fields}


def record_of(fields: tuple[FieldSpec, ...]) -> RecordType:
    return RecordType("record", fields)


# `git` when `git.stars` and `git.pull_requests` are declared: only its presence can be tested.
GROUP = Type("group of fields")


PRIMITIVES: dict[str, Type] = {
    "number": NUMBER,
    "integer": NUMBER,
    "text": TEXT,
    "bool": BOOL,
    "date": DATE,
    "datetime": DATETIME,
    "duration": DURATION,
    "subject": SUBJECT,
}


def compatible(a: Type, b: Type) -> bool:
    """Whether values of the two types can be compared or combined."""
    if a is ANY or b is ANY or a == ANY or b == ANY:
        return True
    if isinstance(a, ListType) and isinstance(b, ListType):
        return compatible(a.element, b.element)
    if {a, b} == {DATE, DATETIME}:  # a date-time is compared with a date by its UTC day (S27)
        return True
    return a == b


@dataclass(frozen=True)
class FieldSpec:
    """One state field that policies read, as declared in a `schema` block."""

    path: str
    type: Type
    integer: bool = False
    minimum: float | None = None
    maximum: float | None = None
    unit: str | None = None
    description: str | None = None
    required: bool = False
    allowed: tuple[float, ...] | None = None  # `integer in {1, 2, 3, 5, 8}`: the only values accepted
    # `fixed`: a given of the subject (its tier, its criticality), not something a team changes to
    # reach GO; the smallest change to GO (`engine.to_go`) never proposes to change it.
    fixed: bool = False
    # `fresh for 90 days`: a fact observed longer ago than that (its `observed:` date) is stale, and
    # read as unknown; a fact that says no observation date is taken as it is.
    fresh_days: float | None = None
    fresh_text: str | None = None  # as written: `90 days`
    span: Span | None = field(default=None, compare=False)
    # Declared in a `schema strict` block: the mappings the field is written in (the subject's
    # top level down to its parent) accept no undeclared key. A property of the block, not of the
    # field's definition, so two declarations that differ only here are the same field.
    strict: bool = field(default=False, compare=False)

    def type_text(self) -> str:
        """The type as a schema writes it (`integer` rather than `number`)."""
        return "integer" if self.integer and self.type == NUMBER else str(self.type)


# Fields every subject has, whatever the schema says.
BUILTIN_FIELDS: dict[str, FieldSpec] = {
    spec.path: spec
    for spec in (
        FieldSpec("name", TEXT, description="unique name of the subject", required=True),
        FieldSpec("kind", TEXT, description="service (default), initiative, or any other kind"),
        FieldSpec("owner", TEXT, description="team or person accountable"),
        FieldSpec("tags", list_of(TEXT), description="free labels"),
        FieldSpec("depends_on", list_of(SUBJECT), description="direct dependencies (names of subjects)"),
        FieldSpec("targets", list_of(SUBJECT), description="services an initiative acts on"),
    )
}

# Graph views computed from depends_on, read like fields.
DERIVED_FIELDS: dict[str, FieldSpec] = {
    spec.path: spec
    for spec in (
        FieldSpec("dependents", list_of(SUBJECT), description="subjects that depend directly on this one"),
        FieldSpec("all_dependencies", list_of(SUBJECT), description="direct and transitive dependencies"),
        FieldSpec("all_dependents", list_of(SUBJECT), description="direct and transitive dependents"),
    )
}

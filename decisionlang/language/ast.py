"""The typed syntax tree. Every node carries a span that equality ignores."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from decisionlang.core.model import Enforcement as Enforcement
from decisionlang.core.model import RuleKind as RuleKind
from decisionlang.core.spans import Span


@dataclass(frozen=True, kw_only=True)
class Node:
    span: Span = field(compare=False, repr=False, hash=False)


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True)
class Expr(Node):
    pass


@dataclass(frozen=True)
class Number(Expr):
    value: float
    text: str


@dataclass(frozen=True)
class Text(Expr):
    value: str


@dataclass(frozen=True)
class Boolean(Expr):
    value: bool


@dataclass(frozen=True)
class DateLiteral(Expr):
    value: dt.date


@dataclass(frozen=True)
class DurationLiteral(Expr):
    days: float
    text: str


@dataclass(frozen=True)
class Today(Expr):
    pass


@dataclass(frozen=True)
class ListLiteral(Expr):
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Table(Expr):
    """`{massive: 3, high: 2}`: a table from keys (scale values or texts) to values of one kind."""

    keys: tuple[str, ...]
    values: tuple[Expr, ...]
    key_spans: tuple[Span, ...] = field(compare=False, repr=False)
    quoted: tuple[bool, ...] = ()  # each key written as a text ("high-risk") rather than a name


@dataclass(frozen=True)
class Index(Expr):
    """`impact[reach_level]`: the table's value for a key."""

    table: Expr
    key: Expr


@dataclass(frozen=True)
class Name(Expr):
    """A bare identifier: a field, a constant, a definition, a scale value, a bound variable."""

    name: str


@dataclass(frozen=True)
class Attribute(Expr):
    """`base.name`: a nested field, or a field of a subject reached through the graph."""

    base: Expr
    name: str


class UnaryOp(enum.Enum):
    NEG = "-"
    NOT = "not"


@dataclass(frozen=True)
class Unary(Expr):
    op: UnaryOp
    operand: Expr


class ArithOp(enum.Enum):
    ADD = "+"
    SUB = "-"
    MUL = "*"
    DIV = "/"


@dataclass(frozen=True)
class Arithmetic(Expr):
    op: ArithOp
    left: Expr
    right: Expr


class CompareOp(enum.Enum):
    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


@dataclass(frozen=True)
class Compare(Expr):
    op: CompareOp
    left: Expr
    right: Expr


class LogicOp(enum.Enum):
    AND = "and"
    OR = "or"


@dataclass(frozen=True)
class Logical(Expr):
    op: LogicOp
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Membership(Expr):
    item: Expr
    collection: Expr
    negated: bool = False


class TextTestOp(enum.Enum):
    STARTS_WITH = "starts with"
    ENDS_WITH = "ends with"
    CONTAINS = "contains"
    MATCHES = "matches"


@dataclass(frozen=True)
class TextTest(Expr):
    op: TextTestOp
    subject: Expr
    pattern: Expr


@dataclass(frozen=True)
class Presence(Expr):
    operand: Expr
    present: bool


@dataclass(frozen=True)
class Call(Expr):
    function: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Quantifier(Expr):
    """`all(d in depends_on: d.tier <= tier)` and its siblings any, none, count, sum, min, max."""

    function: str
    variable: str
    collection: Expr
    body: Expr


@dataclass(frozen=True)
class Conditional(Expr):
    condition: Expr
    then: Expr
    otherwise: Expr


@dataclass(frozen=True)
class Default(Expr):
    """`x ?? d`, or `missing as d` on a rule, requirement or criteria term: d when x is missing.

    `written` is the form the policy used (`??` or `missing as`), for the trace's wording."""

    operand: Expr
    fallback: Expr
    written: str = "??"


# ---------------------------------------------------------------- messages


@dataclass(frozen=True)
class Message(Node):
    """A `because` / `until` text; `{expr}` parts are interpolated at evaluation."""

    text: str
    parts: tuple[str | Expr, ...]


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True)
class Declaration(Node):
    pass


@dataclass(frozen=True)
class Import(Declaration):
    """`import "path.policy"` joins the importer's namespace; `import "..." as lib` loads the file
    into the namespace `lib`, whose names the importer writes `lib.name`."""

    path: str
    alias: str | None = None


@dataclass(frozen=True)
class ScaleDecl(Declaration):
    name: str
    title: str | None
    values: tuple[str, ...]
    value_spans: tuple[Span, ...] = field(compare=False, repr=False)


@dataclass(frozen=True)
class ConstDecl(Declaration):
    name: str
    value: Expr


@dataclass(frozen=True)
class DefineDecl(Declaration):
    name: str
    title: str | None
    value: Expr


@dataclass(frozen=True)
class TypeRef(Node):
    name: str  # number, integer, text, bool, date, duration, subject, list, record, or a scale name
    element: TypeRef | None = None
    fields: tuple[FieldDecl, ...] = ()  # a record's fields: `{ status: text, age_days: integer }`

    def __str__(self) -> str:
        if self.element is not None:
            return f"list of {self.element}"
        if self.name == "record":
            return "{" + ", ".join(f"{decl.path}: {decl.type}" for decl in self.fields) + "}"
        return self.name


@dataclass(frozen=True)
class FieldDecl(Node):
    path: str
    type: TypeRef
    minimum: float | None = None
    maximum: float | None = None
    unit: str | None = None
    description: str | None = None
    required: bool = False
    allowed: tuple[float, ...] | None = None  # `integer in {1, 2, 3, 5, 8}`
    fixed: bool = False  # `fixed`: a fact no change plan may propose to change (`to_go`)
    fresh: DurationLiteral | None = None  # `fresh for 90 days`: older than that, a fact is stale


@dataclass(frozen=True)
class SchemaDecl(Declaration):
    fields: tuple[FieldDecl, ...]
    strict: bool = False  # `schema strict`: the mappings its fields are in accept no other key


@dataclass(frozen=True)
class CriterionTerm(Node):
    expr: Expr
    weight: float
    low: float | None = None
    high: float | None = None
    weight_constant: str | None = None  # `weight w_value`: the weight is this constant's value
    name: str | None = None  # `effort: effort weight -1`: the term's id is `criteria.effort`


@dataclass(frozen=True)
class CriteriaDecl(Declaration):
    name: str
    title: str | None
    terms: tuple[CriterionTerm, ...]
    normalize_to: float | None = None


@dataclass(frozen=True)
class TradeoffSide(Node):
    name: str
    expr: Expr


@dataclass(frozen=True)
class TradeoffDecl(Declaration):
    name: str
    title: str | None
    first: TradeoffSide
    second: TradeoffSide
    acceptable: Expr


@dataclass(frozen=True)
class Requirement(Node):
    name: str | None
    condition: Expr
    because: Message | None


@dataclass(frozen=True)
class LevelDecl(Node):
    name: str
    title: str | None
    requirements: tuple[Requirement, ...]


@dataclass(frozen=True)
class MaturityDecl(Declaration):
    name: str
    title: str | None
    levels: tuple[LevelDecl, ...]


@dataclass(frozen=True)
class Selector(Node):
    """`applies to`: each clause must match, then `where` must hold.

    A `kind A, B` clause matches one of its kinds; a `tagged "x", "y"` clause one of its tags.
    """

    kinds: tuple[tuple[str, ...], ...] = ()
    tags: tuple[tuple[str, ...], ...] = ()
    where: Expr | None = None


@dataclass(frozen=True)
class RuleDecl(Node):
    kind: RuleKind
    name: str | None
    condition: Expr
    unless: bool
    because: Message | None
    until: Message | None


@dataclass(frozen=True)
class Otherwise(Node):
    kind: RuleKind
    message: Message | None
    until: Message | None = None


@dataclass(frozen=True)
class PolicyDecl(Declaration):
    name: str
    title: str | None
    selector: Selector | None
    enforcement: Enforcement | None
    rules: tuple[RuleDecl, ...]
    otherwise: Otherwise | None
    review: ReviewAfter | None = None  # `review after 6 months`: when a decision is looked at again


@dataclass(frozen=True)
class ReviewAfter(Node):
    """`review after 6 months`: a decision under the policy is due for review that long after it."""

    days: float
    text: str  # as written: "6 months"


@dataclass(frozen=True)
class Module(Node):
    path: str
    declarations: tuple[Declaration, ...]
    namespace: str = ""  # "" for the project's own names; `lib` for a file imported `as lib`

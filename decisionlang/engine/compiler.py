"""Checked program -> closures. Each expression compiles once into `fn(ctx) -> value`.

No user text is ever passed to `eval`; every operation is a Python closure chosen here.
Tracing is a recorder on the context: when it is None (verdicts only), closures skip it. Traced
numbers are recorded as JSON keeps them (`json_number`, `json_value`), so that a trace read back
from its JSON (the decision log, `Report.from_dict`) is the same trace.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, TypeVar

from decisionlang.core.format import json_number, json_value, show
from decisionlang.core.model import (
    AppliedExemption,
    AppliedWaiver,
    Comparison,
    DefaultUsed,
    Enforcement,
    Fact,
    Location,
    MaturityTrace,
    RequirementTrace,
    RuleKind,
    ScoreTerm,
    ScoreTrace,
    TradeoffTrace,
    VerdictRead,
)
from decisionlang.core.spans import Span
from decisionlang.core.subjects import Duration, Portfolio, Record, Subject
from decisionlang.engine import margins
from decisionlang.engine.values import (
    RANGE_WORDS,
    Missing,
    NumberOutOfRange,
    OutOfRange,
    Problem,
    Undetermined,
    finite,
    merge,
    written,
)
from decisionlang.language import ast
from decisionlang.language.checker import (
    ConstRef,
    DefineRef,
    FieldRef,
    GroupRef,
    ItemFieldRef,
    PortfolioRef,
    Program,
    ScaleValueRef,
    SideRef,
    TradeoffRef,
    VariableRef,
    dotted_path,
)
from decisionlang.language.patterns import BadPattern, compile_pattern, search
from decisionlang.language.types import DATE, DATETIME, DURATION, NUMBER, SUBJECT, ListType, ScaleType

Fn = Callable[["Context"], Any]


# ---------------------------------------------------------------- evaluation context


# What a recorder keeps, in the order it happened (`Recorder.events`): each event a tuple whose first
# item says what it is. Building the trace objects waits until a trace is read (`Recorder.parts`).
COMPARED = 0  # (COMPARED, site, left, right, result, bound variables or None)
SCORED = 1  # (SCORED, name, Deferred ScoreTrace): the latest account of a score
TRADED = 2  # (TRADED, name, Deferred TradeoffTrace)
LEVELLED = 3  # (LEVELLED, name, MaturityTrace)
DEFAULTED = 4  # (DEFAULTED, key, DefaultUsed): the first use of a default counts
READ_VERDICT = 5  # (READ_VERDICT, (policy, subject), VerdictRead)
EXEMPTED = 6  # (EXEMPTED, (subject, target), AppliedExemption)
ABSORBED = 7  # (ABSORBED, recorder, latest): what a memoised value read (see `absorb`)
_SUBJECT_FACT = 0  # known[key] = (_SUBJECT_FACT, subject, path, value) until it is built
_ITEM_FACT = 1  # known[key] = (_ITEM_FACT, record, name, value)


@dataclass(frozen=True, slots=True)
class CompareSite:
    """What a comparison is, fixed at compile time: its text, operator, scale ranks, place, unit."""

    text: str
    op: ast.CompareOp
    ranks: dict[str, int] | None
    location: Location
    unit: tuple[str | None, float]


class Parts:
    """A recorder's account, built: comparisons in order; scores, trade-offs, maturities, defaults,
    verdicts read and exemptions, each keyed as the trace keeps one per key."""

    __slots__ = ("comparisons", "defaults", "exemptions", "maturities", "scores", "tradeoffs", "verdicts")

    def __init__(self) -> None:
        self.comparisons: list[Comparison] = []
        self.scores: dict[str, ScoreTrace | Deferred] = {}
        self.tradeoffs: dict[str, TradeoffTrace | Deferred] = {}
        self.maturities: dict[str, MaturityTrace] = {}
        self.defaults: dict[tuple[Any, ...], DefaultUsed] = {}  # in the order used, each once
        self.verdicts: dict[tuple[str, str], VerdictRead] = {}  # (policy, subject) -> the verdict read
        self.exemptions: dict[tuple[str, str], AppliedExemption] = {}  # (subject, target) -> exemption


_NO_PARTS = Parts()


class Recorder:
    """Collects what one rule (or one memoised value) read and compared, for its trace.

    Recording is cheap: a fact read is its key added to `facts` (its value kept once per subject, in
    `known`), anything else a tuple appended to `events`. The trace objects (Fact, Comparison...)
    are built from them only when a trace is read: `fact_objects` and `parts`."""

    __slots__ = ("_parts", "absorbed", "events", "facts", "known", "read")

    def __init__(self, known: dict[tuple[str, str], Any] | None = None) -> None:
        # per subject's run: (subject, path) -> the first value read, then the Fact built from it
        self.known = known if known is not None else {}
        self.facts: dict[tuple[str, str], None] = {}  # the keys read, in the order first read
        self.read: tuple[tuple[str, str], ...] | None = None  # the same keys, once sealed
        self.events: list[tuple[Any, ...]] = []
        self.absorbed: set[int] | None = None  # the recorders of memoised values already taken in
        self._parts: Parts | None = None

    def fact(self, subject: Subject, path: str, value: Any) -> None:
        key = (subject.name, path)
        facts = self.facts
        if key in facts:
            return
        facts[key] = None
        known = self.known
        if key not in known:
            known[key] = (_SUBJECT_FACT, subject, path, value)

    def item_fact(self, record: Record, name: str, value: Any) -> None:
        """A field of a list item read (`git.pull_requests[2].age_days`), where it is written."""
        key = (record.subject, f"{record.path}.{name}")
        if key in self.facts:
            return
        self.facts[key] = None
        if key not in self.known:
            self.known[key] = (_ITEM_FACT, record, name, value)

    def absorb(self, other: Recorder, latest: bool = False) -> None:
        """Take in what a memoised value read, once: a definition used twice in a rule (or
        `e1 = e0 + e0`) is one account, so a trace grows with the policy, not with its uses.
        `latest`: inside an aggregate, the score, trade-off and maturity shown are those of the
        latest item, as when each item computed them anew."""
        absorbed = self.absorbed
        if absorbed is None:
            absorbed = self.absorbed = set()
        if id(other) in absorbed:
            if latest:
                self.events.append((ABSORBED, other, True))
            return
        absorbed.add(id(other))
        facts = self.facts
        for key in other.keys_read():  # keys not read yet are added, in other's order
            if key not in facts:
                facts[key] = None
        self.events.append((ABSORBED, other, latest))

    def seal(self) -> None:
        """Recording is over: what is kept until the trace is read takes no more room than it needs
        (the keys read as a tuple, not a dict; the events without a list's spare capacity)."""
        self.read = tuple(self.facts)
        self.facts = {}
        self.events = self.events.copy()
        self.absorbed = None

    def keys_read(self) -> tuple[tuple[str, str], ...] | dict[tuple[str, str], None]:
        return self.read if self.read is not None else self.facts

    def sealed(self) -> tuple[dict[tuple[str, str], Any], tuple[Any, ...], tuple[Any, ...]]:
        """A rule's account once its condition is decided, compact, for its trace to build from
        (`fact_objects` and `parts_of`): the subject's facts, the keys read, the events."""
        return self.known, tuple(self.facts), tuple(self.events)

    def fact_objects(self) -> tuple[Fact, ...]:
        """The facts read, each built once per subject: every rule that read it shares the object."""
        return fact_objects(self.known, self.keys_read())

    def parts(self) -> Parts:
        """The account of everything but the facts, built once (and the raw events let go)."""
        parts = self._parts
        if parts is None:
            parts = self._parts = parts_of(self.events)
            self.events = []
        return parts


def fact_objects(known: dict[tuple[str, str], Any], keys: Iterable[tuple[str, str]]) -> tuple[Fact, ...]:
    """The facts read (`keys`), each built once per subject (in `known`): every rule that read it
    shares the object."""
    built = []
    for key in keys:
        fact = known[key]
        if type(fact) is tuple:
            fact = known[key] = _built_fact(fact)
        built.append(fact)
    return tuple(built)


def parts_of(events: Sequence[tuple[Any, ...]]) -> Parts:
    """The account of a recorder's events, built: `Recorder.absorb` replayed as it was recorded."""
    if not events:
        return _NO_PARTS
    parts = Parts()
    comparisons = parts.comparisons
    seen: set[int] = set()
    for event in events:
        tag = event[0]
        if tag == COMPARED:
            comparisons.append(_built_comparison(*event[1:]))
        elif tag == SCORED:
            parts.scores[event[1]] = event[2]
        elif tag == TRADED:
            parts.tradeoffs[event[1]] = event[2]
        elif tag == LEVELLED:
            parts.maturities[event[1]] = event[2]
        elif tag == DEFAULTED:
            parts.defaults.setdefault(event[1], event[2])
        elif tag == READ_VERDICT:
            parts.verdicts.setdefault(event[1], event[2])
        elif tag == EXEMPTED:
            parts.exemptions.setdefault(event[1], event[2])
        else:
            _take_in(parts, event[1].parts(), event[2], seen, id(event[1]))
    return parts


def _take_in(parts: Parts, other: Parts, latest: bool, seen: set[int], key: int) -> None:
    """`Recorder.absorb` as it was recorded: the latest score, trade-off and maturity inside an
    aggregate; the rest once, what this account already has kept."""
    if latest:
        parts.scores.update(other.scores)
        parts.tradeoffs.update(other.tradeoffs)
        parts.maturities.update(other.maturities)
    if key in seen:
        return
    seen.add(key)
    parts.comparisons.extend(other.comparisons)
    _keep_first(parts.defaults, other.defaults)
    _keep_first(parts.verdicts, other.verdicts)
    _keep_first(parts.exemptions, other.exemptions)
    _keep_first(parts.scores, other.scores)
    _keep_first(parts.tradeoffs, other.tradeoffs)
    _keep_first(parts.maturities, other.maturities)


K = TypeVar("K")
V = TypeVar("V")


def _keep_first(mapping: dict[K, V], more: dict[K, V]) -> None:
    for key, item in more.items():
        mapping.setdefault(key, item)


class Deferred:
    """A trace object built when a trace is read (`build(*arguments)`), once, then shared."""

    __slots__ = ("arguments", "build", "value")

    def __init__(self, build: Callable[..., Any], *arguments: Any) -> None:
        self.build: Callable[..., Any] | None = build
        self.arguments = arguments
        self.value: Any = None

    def get(self) -> Any:
        if self.build is not None:
            self.value = self.build(*self.arguments)
            self.build, self.arguments = None, ()
        return self.value


def built(items: Iterable[Any]) -> tuple[Any, ...]:
    """Trace objects, those recorded as `Deferred` built."""
    return tuple(item.get() if type(item) is Deferred else item for item in items)


def _built_score(
    name: str,
    title: str | None,
    result: float | None,
    terms: list[tuple[Any, ...]],
    normalize_to: float | None,
    total: float | None,
    raw_range: tuple[float, float] | None,
) -> ScoreTrace:
    """A score's trace from what its computation recorded: numbers as JSON keeps them."""
    return ScoreTrace(
        name,
        title,
        json_number(result),
        tuple(
            ScoreTerm(
                text,
                json_value(value),
                None if normalized is None else json_number(_rounded(normalized)),
                weight,
                None if contribution is None else json_number(_rounded(contribution)),
                waiver,
            )
            for text, value, normalized, weight, contribution, waiver in terms
        ),
        json_number(normalize_to),
        None if total is None else json_number(_rounded(total)),
        raw_range,
    )


def _built_fact(raw: tuple[Any, ...]) -> Fact:
    kind, owner, name, value = raw
    missing = isinstance(value, Missing)
    if kind == _SUBJECT_FACT:
        file, line, column = owner.origin_of(name)  # an overlay's fact: the overlay's file
        evidence = owner.evidence.get(name)
        if evidence is None:
            return Fact(owner.name, name, json_value(value), Location(file, line, column), missing)
        stale = name in owner.stale
        return Fact(
            owner.name,
            name,
            json_value(owner.stale[name] if stale else value),
            Location(file, line, column),
            missing,
            None if evidence.observed is None else evidence.observed.isoformat(),
            evidence.source,
            None if owner.as_of is None else evidence.age_on(owner.as_of),
            evidence.fresh_text,
            stale,
        )
    line, column = owner.location_of(name)
    return Fact(
        owner.subject, f"{owner.path}.{name}", json_value(value), Location(owner.file, line, column), missing
    )


STEPS = 1_000_000  # default evaluation budget per subject (S42), `limits: evaluation_steps`


class EvaluationLimit(Exception):
    """A subject's evaluation spent its step budget (S42): the run stops with DL-EVAL-LIMIT."""

    def __init__(self, span: Span, budget: int) -> None:
        super().__init__(f"more than {budget} evaluation steps")
        self.span = span  # the expression whose work crossed the budget
        self.budget = budget
        self.define: str | None = None  # the innermost definition being computed, if any


class Context:
    """The state of one subject's evaluation: who, when, bound variables, memos, recorder, and
    the steps left of its budget (S42)."""

    __slots__ = (
        "budget", "exempted", "exemptions", "facts", "memo", "portfolio", "recorder", "steps", "subject",
        "today", "variables", "verdict_of",
    )  # fmt: skip

    def __init__(self, subject: Subject, portfolio: Portfolio, today: dt.date, budget: int = STEPS) -> None:
        self.subject = subject
        self.portfolio = portfolio
        self.today = today
        self.variables: dict[str, Any] = {}
        self.memo: dict[tuple[str, ...], tuple[Any, Recorder | None]] = {}
        self.recorder: Recorder | None = None
        self.budget = budget
        self.steps = budget
        self.facts: dict[tuple[str, str], Fact] = {}  # shared by the recorders of this subject
        # `verdict(p)`: another policy's verdict on ctx.subject, given by the evaluator (which
        # decides policies); None where no policy can be decided (a board chart's zone)
        self.verdict_of: Callable[[Context, str, Span], Any] | None = None
        # waivers in force that exempt a subject from a requirement or a term, and those used
        self.exemptions: Mapping[tuple[str, str], AppliedWaiver] = {}
        self.exempted: set[tuple[str, str]] = set()

    def new_recorder(self) -> Recorder:
        return Recorder(self.facts)

    def spend(self, steps: int, span: Span) -> None:
        """Count work that repeats (an aggregate's items, a definition computed): the budget
        bounds what a policy can cost on one subject, whatever its data."""
        self.steps -= steps
        if self.steps < 0:
            raise EvaluationLimit(span, self.budget)


# ---------------------------------------------------------------- compiled declarations


@dataclass(frozen=True)
class CompiledRule:
    id: str
    kind: RuleKind
    span: Span
    location: Location
    condition: Fn  # already negated for `unless`
    because: Callable[[Context], str] | None
    until: Callable[[Context], str] | None
    default_message: str
    polarity: Mapping[Location | str, int] = field(default_factory=dict)  # see engine/margins.py


@dataclass(frozen=True)
class CompiledPolicy:
    id: str
    title: str | None
    enforcement: Enforcement
    span: Span
    location: Location
    kinds: tuple[frozenset[str], ...]  # every clause must match one of its kinds
    tags: tuple[frozenset[str], ...]  # every clause must match one of its tags
    where: Fn | None
    where_span: Span | None
    rules: tuple[CompiledRule, ...]
    otherwise_kind: RuleKind
    otherwise_message: Callable[[Context], str] | None
    otherwise_until: Callable[[Context], str] | None
    otherwise_span: Span | None
    # rule indexes by role, fixed at compile time so deciding a verdict is a few list scans
    no_go_rules: tuple[int, ...] = field(default=())
    blocking_rules: tuple[int, ...] = field(default=())  # no_go and not_yet
    go_rules: tuple[int, ...] = field(default=())
    warn_rules: tuple[int, ...] = field(default=())
    review_after_days: float | None = None  # `review after 6 months`, in days


# ---------------------------------------------------------------- helpers


_NUMBERS = (int, float)
DECIMALS = 12  # arithmetic results are rounded to this many decimal places


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a condition"
    if isinstance(value, _NUMBERS):
        return "a number"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, dt.datetime):
        return "a date-time"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, Duration):
        return "a duration"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Subject):
        return "a subject"
    if isinstance(value, Record):
        return "an object"
    return type(value).__name__


def _days(value: Any) -> float:
    if isinstance(value, Duration):
        return value.days
    raise TypeError


_ON_NUMBERS: dict[ast.ArithOp, Callable[[Any, Any], Any]] = {
    ast.ArithOp.ADD: operator.add,
    ast.ArithOp.SUB: operator.sub,
    ast.ArithOp.MUL: operator.mul,
    ast.ArithOp.DIV: operator.truediv,
}


def _arith(op: ast.ArithOp, left: Any, right: Any) -> Any:
    """Arithmetic on numbers, dates and durations; raises TypeError / ZeroDivisionError, and
    OverflowError (NumberOutOfRange) for a result beyond range (S41)."""
    if type(left) in _NUMBERS and type(right) in _NUMBERS:
        if op is ast.ArithOp.ADD:
            result = left + right
        elif op is ast.ArithOp.SUB:
            result = left - right
        elif op is ast.ArithOp.MUL:
            result = left * right
        else:
            result = left / right
        return _tidy(result)
    if isinstance(left, dt.datetime) or isinstance(right, dt.datetime):
        return _instant_arith(op, left, right)
    if isinstance(left, dt.date) and isinstance(right, dt.date) and op is ast.ArithOp.SUB:
        return Duration((left - right).days)
    if isinstance(left, dt.date) and isinstance(right, Duration) and op in (ast.ArithOp.ADD, ast.ArithOp.SUB):
        delta = dt.timedelta(days=round(right.days))
        return left + delta if op is ast.ArithOp.ADD else left - delta
    if isinstance(left, Duration) and isinstance(right, dt.date) and op is ast.ArithOp.ADD:
        return right + dt.timedelta(days=round(left.days))
    if isinstance(left, Duration) and isinstance(right, Duration):
        if op is ast.ArithOp.ADD:
            return Duration(finite(left.days + right.days))
        if op is ast.ArithOp.SUB:
            return Duration(finite(left.days - right.days))
        if op is ast.ArithOp.DIV:
            return finite(left.days / right.days)
    if isinstance(left, Duration) and type(right) in _NUMBERS:
        if op is ast.ArithOp.MUL:
            return Duration(finite(left.days * right))
        if op is ast.ArithOp.DIV:
            return Duration(finite(left.days / right))
    if type(left) in _NUMBERS and isinstance(right, Duration) and op is ast.ArithOp.MUL:
        return Duration(finite(left * right.days))
    raise TypeError


def _instant(value: Any) -> dt.datetime:
    """A date-time as it is; a date as its start, 00:00 UTC (S27)."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    raise TypeError


def _instant_arith(op: ast.ArithOp, left: Any, right: Any) -> Any:
    """Date-time arithmetic (S27): the time between two instants, an instant moved by a duration."""
    if op is ast.ArithOp.SUB and not isinstance(right, Duration):
        delta = _instant(left) - _instant(right)
        exact = (
            Fraction(delta.days)
            + Fraction(delta.seconds, 86_400)
            + Fraction(delta.microseconds, 86_400_000_000)
        )
        return Duration(float(exact))
    if (
        isinstance(left, dt.datetime)
        and isinstance(right, Duration)
        and op in (ast.ArithOp.ADD, ast.ArithOp.SUB)
    ):
        delta = dt.timedelta(days=right.days)
        return left + delta if op is ast.ArithOp.ADD else left - delta
    if isinstance(left, Duration) and isinstance(right, dt.datetime) and op is ast.ArithOp.ADD:
        return right + dt.timedelta(days=left.days)
    raise TypeError


def _utc_day(value: Any) -> Any:
    """A date-time as the day it falls on in UTC, to compare it with a date (S27)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date()
    return value


def _on_days(fn: Fn) -> Fn:
    def day(ctx: Context) -> Any:
        return _utc_day(fn(ctx))

    return day


_COMPARE: dict[ast.CompareOp, Callable[[Any, Any], bool]] = {
    ast.CompareOp.EQ: operator.eq,
    ast.CompareOp.NE: operator.ne,
    ast.CompareOp.LT: operator.lt,
    ast.CompareOp.LE: operator.le,
    ast.CompareOp.GT: operator.gt,
    ast.CompareOp.GE: operator.ge,
}


def _magnitude(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if type(value) in _NUMBERS:
        return float(value)
    if isinstance(value, Duration):
        return value.days
    if isinstance(value, dt.datetime):  # in days, on the scale of dates' ordinals
        utc = value.astimezone(dt.UTC)
        midnight = utc.replace(hour=0, minute=0, second=0, microsecond=0)
        return utc.toordinal() + (utc - midnight).total_seconds() / 86_400
    if isinstance(value, dt.date):
        return float(value.toordinal())
    return None


def _scaled_margin(
    op: ast.CompareOp, left: float, right: float, scale: float, unit: str | None
) -> tuple[float, str | None] | None:
    """The margin in its unit; None when it is beyond range (the comparison itself is decided:
    a margin is only shown, so it never changes a verdict; S41)."""
    if scale == 1.0 and _is_whole(left) and _is_whole(right):
        return int(margin_of(op, left, right)), unit  # whole numbers (counts, days): exact as they are
    try:
        exact = margin_of(op, _decimal(left), _decimal(right)) * _decimal(scale)
        margin = finite(float(exact))
    except (OverflowError, decimal.InvalidOperation):
        return None
    return (int(margin) if margin.is_integer() and abs(margin) < 2**53 else margin), unit


def _decimal(number: float) -> decimal.Decimal:
    """A number as the decimal it is written as (`0.92`, not the binary float nearest to it), so
    that a margin is the exact difference of the values compared: 0 only on the threshold (S35)."""
    return decimal.Decimal(repr(number)) if type(number) is float else decimal.Decimal(number)


_WHOLE = 2.0**52  # whole numbers below this in magnitude, and their differences, are exact floats
Exact = TypeVar("Exact", decimal.Decimal, float)


def _is_whole(number: float) -> bool:
    kind = type(number)
    return (kind is int or (kind is float and number.is_integer())) and abs(number) < _WHOLE


def margin_of(op: ast.CompareOp, left: Exact, right: Exact) -> Exact:
    """Signed distance to the threshold: positive when the comparison holds, by how much."""
    if op in (ast.CompareOp.GT, ast.CompareOp.GE):
        return left - right
    if op in (ast.CompareOp.LT, ast.CompareOp.LE):
        return right - left
    if op is ast.CompareOp.EQ:
        return -abs(left - right)
    return abs(left - right)


# ---------------------------------------------------------------- the compiler


class Compiler:
    def __init__(self, program: Program) -> None:
        self.program = program
        self._defines: dict[str, Fn] = {}
        self._constants: dict[str, Fn] = {}
        self._criteria_fns: dict[str, Fn] = {}
        self._tradeoffs_fns: dict[str, Fn] = {}
        self._maturities_fns: dict[str, Fn] = {}
        self._levels: dict[str, list[tuple[str, list[tuple[str, Fn, Any, str]]]]] = {}
        self._nodes = 0  # expressions compiled so far: the weight of a body is the count it adds

    # -- policies
    def policies(self) -> tuple[CompiledPolicy, ...]:
        return tuple(self.policy(policy) for policy in self.program.policies.values())

    def policy(self, decl: ast.PolicyDecl) -> CompiledPolicy:
        selector = decl.selector
        rules = tuple(self.rule(rule) for rule in decl.rules)
        otherwise = decl.otherwise
        return CompiledPolicy(
            id=decl.name,
            title=decl.title,
            enforcement=decl.enforcement or Enforcement.HARD,
            span=decl.span,
            location=Location(decl.span.path, decl.span.line, decl.span.column),
            kinds=tuple(frozenset(group) for group in selector.kinds) if selector else (),
            tags=tuple(frozenset(group) for group in selector.tags) if selector else (),
            where=self.expr(selector.where) if selector and selector.where else None,
            where_span=selector.where.span if selector and selector.where else None,
            rules=rules,
            otherwise_kind=otherwise.kind if otherwise else RuleKind.NOT_YET,
            otherwise_message=self.message(otherwise.message) if otherwise and otherwise.message else None,
            otherwise_until=self.message(otherwise.until) if otherwise and otherwise.until else None,
            otherwise_span=otherwise.span if otherwise else None,
            no_go_rules=tuple(i for i, rule in enumerate(rules) if rule.kind is RuleKind.NO_GO),
            blocking_rules=tuple(i for i, rule in enumerate(rules) if rule.kind.blocks),
            go_rules=tuple(i for i, rule in enumerate(rules) if rule.kind is RuleKind.GO),
            warn_rules=tuple(i for i, rule in enumerate(rules) if rule.kind is RuleKind.WARN),
            review_after_days=decl.review.days if decl.review is not None else None,
        )

    def rule(self, decl: ast.RuleDecl) -> CompiledRule:
        condition = self.expr(decl.condition)
        if decl.unless:
            condition = _negate(condition)
        return CompiledRule(
            id=self.program.rule_ids[id(decl)],
            kind=decl.kind,
            span=decl.span,
            location=Location(decl.span.path, decl.span.line, decl.span.column),
            condition=condition,
            because=self.message(decl.because) if decl.because else None,
            until=self.message(decl.until) if decl.until else None,
            default_message=self._default_message(decl),
            polarity=margins.polarities(self.program, decl),
        )

    def _default_message(self, decl: ast.RuleDecl) -> str:
        resolution = self.program.resolutions.get(id(decl.condition))
        if isinstance(resolution, TradeoffRef):
            name = resolution.name
            return f"trade-off `{name}` is {'outside' if decl.unless else 'inside'} its acceptable zone"
        text = decl.condition.span.text()
        return f"not ({text})" if decl.unless else text

    def message(self, message: ast.Message) -> Callable[[Context], str]:
        parts: list[str | Fn] = [part if isinstance(part, str) else self.expr(part) for part in message.parts]
        if all(isinstance(part, str) for part in parts):
            text = "".join(part for part in parts if isinstance(part, str))
            return lambda ctx: text  # nothing to interpolate

        def render(ctx: Context) -> str:
            recorder, ctx.recorder = ctx.recorder, None
            try:
                return "".join([part if isinstance(part, str) else show(part(ctx)) for part in parts])
            finally:
                ctx.recorder = recorder

        return render

    # -- expressions
    def expr(self, node: ast.Expr) -> Fn:
        self._nodes += 1
        match node:
            case ast.Number() | ast.Text() | ast.Boolean():
                value = _literal_in_range(node.value, node.span)
                return lambda ctx: value
            case ast.DateLiteral():
                date = node.value
                return lambda ctx: date
            case ast.DurationLiteral():
                days = _literal_in_range(node.days, node.span)
                duration = Duration(days) if not isinstance(days, Problem) else days
                return lambda ctx: duration
            case ast.Today():
                return lambda ctx: ctx.today
            case ast.ListLiteral():
                items = [self.expr(item) for item in node.items]
                return lambda ctx: _gather([item(ctx) for item in items])
            case ast.Name() | ast.Attribute():
                return self._reference(node)
            case ast.Unary():
                return self._unary(node)
            case ast.Arithmetic():
                return self._arithmetic(node)
            case ast.Compare():
                return self._compare(node)
            case ast.Logical():
                return self._logical(node)
            case ast.Membership():
                return self._membership(node)
            case ast.TextTest():
                return self._text_test(node)
            case ast.Presence():
                return self._presence(node)
            case ast.Call():
                return self._call(node)
            case ast.Quantifier():
                return self._quantifier(node)
            case ast.Conditional():
                return self._conditional(node)
            case ast.Default():
                return self._default(node)
            case ast.Table():
                return self._table(node)
            case ast.Index():
                return self._index(node)
        raise AssertionError(f"unhandled expression {node!r}")

    # -- references
    def _reference(self, node: ast.Name | ast.Attribute) -> Fn:
        resolution = self.program.resolutions.get(id(node))
        match resolution:
            case FieldRef():
                return self._field(resolution, node.span)
            case ConstRef(name=name):
                return self._constant(name)
            case DefineRef(name=name, variable=None):
                return self._define(name)
            case DefineRef(name=name, variable=str(variable)):
                return _for_subject(variable, self._define(name))
            case TradeoffRef(name=name):
                return self._tradeoff(name)
            case SideRef(tradeoff=tradeoff, side=side):
                return self._side(tradeoff, side)
            case ScaleValueRef(value=value):
                return lambda ctx: value
            case VariableRef(name=name):
                return lambda ctx: ctx.variables[name]
            case ItemFieldRef(then=None):
                return _item_field(resolution, node.span)
            case ItemFieldRef(then=FieldRef() as then):
                return _of_subject(_item_field(resolution, node.span), self._field(then, node.span))
            case GroupRef():
                return _group(resolution, node.span)
            case PortfolioRef():
                return lambda ctx: list(ctx.portfolio.subjects)
        if isinstance(node, ast.Attribute) and dotted_path(node) is None:
            return self._attribute_of_expression(node)
        raise AssertionError(f"unresolved reference at {node.span}")

    def _attribute_of_expression(self, node: ast.Attribute) -> Fn:
        base = self.expr(node.base)
        spec = self.program.all_fields()[node.name]
        return _of_subject(base, self._field(FieldRef(node.name, spec), node.span))

    def _field(self, ref: FieldRef, span: Span) -> Fn:
        path, variable = ref.path, ref.variable
        is_subject_list = isinstance(ref.spec.type, ListType) and ref.spec.type.element is SUBJECT
        is_subject = ref.spec.type is SUBJECT
        graph = path in ("dependents", "all_dependencies", "all_dependents")
        via = (
            self._field(FieldRef(ref.via, self.program.all_fields()[ref.via], variable), span)
            if ref.via is not None
            else None
        )
        numeric = _may_be_out_of_range(ref.spec.type)
        if variable is None and via is None and not (graph or is_subject_list or is_subject):
            # the hot path: a value of the subject being decided
            return _numeric_field(path, span) if numeric else _plain_field(path)

        def read(ctx: Context) -> Any:
            if via is not None:
                subject = via(ctx)
            else:
                subject = ctx.subject if variable is None else ctx.variables[variable]
            if isinstance(subject, Undetermined):
                return subject
            if not isinstance(subject, Subject):
                return Problem(
                    "DL-EVAL-TYPE",
                    f"`{span.text()}` reads a field of {_type_name(subject)}, not a subject",
                    span,
                )
            if graph:
                value: Any = _graph_view(ctx.portfolio, subject, path)
                ctx.spend(len(value), span)
            else:
                value = subject.fields.get(path, _ABSENT)
                if value is _ABSENT:
                    value = Missing(((subject.name, subject.add_to(), path),))
                elif numeric:
                    value = _out_of_range_read(subject, path, value, span)
                elif is_subject_list:
                    by_name = ctx.portfolio.by_name
                    value = [
                        by_name[name]
                        for name in dict.fromkeys(value)
                        if name in by_name and name != subject.name
                    ]
                elif is_subject:
                    named = ctx.portfolio.by_name.get(value)
                    value = (
                        named
                        if named is not None
                        else Problem(
                            "DL-EVAL-DANGLING",
                            f"`{path}` of `{subject.name}` names no known subject: `{value}`",
                            span,
                        )
                    )
            if ctx.recorder is not None:
                ctx.recorder.fact(subject, path, value)
            return value

        return read

    def _constant(self, name: str) -> Fn:
        if name not in self._constants:
            self._constants[name] = self.expr(self.program.constants[name].value)
        compiled = self._constants
        return lambda ctx: compiled[name](ctx)

    def _define(self, name: str) -> Fn:
        if name not in self._defines:
            self._defines[name] = lambda ctx: None  # placeholder; the checker rejected cycles
            decl = self.program.defines[name]
            self._defines[name] = self._memoised("define", name, *self._weighed(decl.value), decl.span)
        compiled = self._defines
        return lambda ctx: compiled[name](ctx)

    def _weighed(self, node: ast.Expr) -> tuple[Fn, int]:
        """The closure of an expression, and how many expressions it holds (its cost per run)."""
        before = self._nodes
        fn = self.expr(node)
        return fn, self._nodes - before

    # -- memoised declarations (define, score, trade-off, maturity): evaluated once per subject
    @staticmethod
    def _memoised(kind: str, name: str, compute: Fn, weight: int, span: Span) -> Fn:
        """`compute` run once per subject (S42), the value shared by every use. A traced use takes
        in the trace recorded with the value; inside an aggregate the items bound so far are part
        of that trace (`t = billing`), so traced values are shared per binding."""
        definition = name if kind == "define" else None

        def run(ctx: Context) -> Any:
            outer = ctx.recorder
            key: tuple[str, ...] = (kind, name, ctx.subject.name)
            if outer is None:  # verdicts only: a value computed before is all there is to share
                hit = ctx.memo.get(key)
                if hit is not None:
                    return hit[0]
            else:
                key = (*key, _bound(ctx.variables) if ctx.variables else "")
                hit = ctx.memo.get(key)
            if hit is None:
                inner = Recorder(outer.known) if outer is not None else None
                ctx.recorder = inner
                try:
                    ctx.spend(weight, span)
                    value = compute(ctx)
                except EvaluationLimit as limit:
                    if limit.define is None:
                        limit.define = definition
                    raise
                finally:
                    ctx.recorder = outer
                if inner is not None:
                    inner.seal()
                hit = (value, inner)
                ctx.memo[key] = hit
                if outer is not None:
                    ctx.memo.setdefault(key[:3], hit)
            value, recorded = hit
            if outer is not None and recorded is not None:
                outer.absorb(recorded, latest=bool(ctx.variables))
            return value

        return run

    def _tradeoff(self, name: str) -> Fn:
        if name not in self._tradeoffs_fns:
            span = self.program.tradeoffs[name].span
            self._tradeoffs_fns[name] = self._memoised(
                "tradeoff", name, *self._weigh(self._tradeoff_body, name), span
            )
        return self._tradeoffs_fns[name]

    def _weigh(self, body: Callable[[str], Fn], name: str) -> tuple[Fn, int]:
        before = self._nodes
        fn = body(name)
        return fn, self._nodes - before + 1

    def _tradeoff_body(self, name: str) -> Fn:
        decl = self.program.tradeoffs[name]
        first, second = self.expr(decl.first.expr), self.expr(decl.second.expr)
        acceptable = self.expr(decl.acceptable)
        margin = self._margin(decl.acceptable)

        def compute(ctx: Context) -> Any:
            result = acceptable(ctx)
            if ctx.recorder is not None:
                first_value, second_value = first(ctx), second(ctx)
                ctx.recorder.events.append(
                    (
                        TRADED,
                        name,
                        Deferred(
                            _built_tradeoff,
                            name,
                            decl.title,
                            decl.first.name,
                            first_value,
                            decl.second.name,
                            second_value,
                            None if isinstance(result, Undetermined) else bool(result),
                            margin(ctx),
                        ),
                    )
                )
            return result

        return compute

    def _side(self, tradeoff: str, side: str) -> Fn:
        decl = self.program.tradeoffs[tradeoff]
        return self.expr(decl.first.expr if decl.first.name == side else decl.second.expr)

    def _margin(self, node: ast.Expr) -> Callable[[Context], Any]:
        """What the distance of a condition to its edge is computed from (`_margin_of` computes
        it): the magnitudes a comparison compares, the margins `and`, `or` and `not` combine."""
        if isinstance(node, ast.Compare):
            left, right, op = self.expr(node.left), self.expr(node.right), node.op
            ranks = self._ranks(node)
            unit, scale = margins.unit_of(self.program, node)

            def compare_margin(ctx: Context) -> Any:
                recorder, ctx.recorder = ctx.recorder, None
                try:
                    a, b = left(ctx), right(ctx)
                finally:
                    ctx.recorder = recorder
                if ranks is not None:
                    a, b = ranks.get(a, a), ranks.get(b, b)
                x, y = _magnitude(a), _magnitude(b)
                return None if x is None or y is None else (_COMPARED_MARGIN, op, x, y, scale, unit)

            return compare_margin
        if isinstance(node, ast.Logical):
            left_margin, right_margin = self._margin(node.left), self._margin(node.right)
            conjunction = node.op is ast.LogicOp.AND

            def combined(ctx: Context) -> Any:
                return (_COMBINED_MARGIN, conjunction, left_margin(ctx), right_margin(ctx))

            return combined
        if isinstance(node, ast.Unary) and node.op is ast.UnaryOp.NOT:
            inner = self._margin(node.operand)

            def negated(ctx: Context) -> Any:
                return (_NEGATED_MARGIN, inner(ctx))

            return negated
        return lambda ctx: None

    def _criteria(self, name: str) -> Fn:
        if name not in self._criteria_fns:
            span = self.program.criteria[name].span
            self._criteria_fns[name] = self._memoised(
                "score", name, *self._weigh(self._criteria_body, name), span
            )
        return self._criteria_fns[name]

    def _criteria_body(self, name: str) -> Fn:
        decl = self.program.criteria[name]
        normalize_to = decl.normalize_to
        terms = []
        for term in decl.terms:
            type_ = self.program.type_of(term.expr)
            ranks = type_.ranks if isinstance(type_, ScaleType) else None
            explicit = term.low is not None
            bounds = self.program.term_ranges.get(id(term)) if explicit or normalize_to is not None else None
            weight = self.program.weight_of(term)
            terms.append((term.expr.span.text(), self.expr(term.expr), weight, ranks, bounds, term.expr.span))
        term_ids = [self.program.rule_ids[id(term)] for term in decl.terms]
        lowest = sum(term[2] for term in terms if term[2] < 0)
        highest = sum(term[2] for term in terms if term[2] > 0)

        def compute(ctx: Context) -> Any:
            total = 0.0
            undetermined: Undetermined | None = None
            tracing = ctx.recorder is not None
            traced: list[tuple[Any, ...]] = []  # (text, value, normalized, weight, contribution, waiver)
            low_sum, high_sum = lowest, highest  # without the terms a waiver leaves out (S52)
            for term_id, (text, fn, weight, ranks, bounds, span) in zip(term_ids, terms, strict=True):
                raw = fn(ctx)
                waiver = _exempt_term(ctx, term_id, raw) if ctx.exemptions else None
                if waiver is not None:
                    low_sum -= min(weight, 0)
                    high_sum -= max(weight, 0)
                    if tracing:
                        traced.append((text, raw, None, weight, None, waiver.id))
                    continue
                if isinstance(raw, Undetermined):
                    undetermined = raw if undetermined is None else merge(undetermined, raw)
                    if tracing:
                        traced.append((text, None, None, weight, None, None))
                    continue
                value = (
                    ranks[raw] if ranks is not None else (1 if raw is True else 0 if raw is False else raw)
                )
                try:
                    if bounds is not None:
                        low, high = bounds
                        normalized = min(1.0, max(0.0, finite((value - low) / (high - low))))
                    else:
                        normalized = value
                    contribution = finite(weight * normalized)
                    total = finite(total + contribution)
                except OverflowError:
                    weighted = f"its weighted value {show(weight)} × {show(value)}"
                    problem = _range_problem(span, weighted, value)
                    undetermined = problem if undetermined is None else merge(undetermined, problem)
                    if tracing:
                        traced.append((text, raw, None, weight, None, None))
                    continue
                if tracing:
                    traced.append((text, raw, normalized if bounds else None, weight, contribution, None))
            result: Any = undetermined if undetermined is not None else total
            if undetermined is None and normalize_to is not None and high_sum > low_sum:
                try:
                    result = finite((total - low_sum) / (high_sum - low_sum) * normalize_to)
                except OverflowError:
                    result = _range_problem(decl.span, f"score `{name}` rescaled to {show(normalize_to)}")
            if not isinstance(result, Undetermined):
                result = _rounded(result)
            if ctx.recorder is not None:
                rescaled = normalize_to is not None and high_sum > low_sum
                ctx.recorder.events.append(
                    (
                        SCORED,
                        name,
                        Deferred(
                            _built_score,
                            name,
                            decl.title,
                            None if isinstance(result, Undetermined) else result,
                            traced,
                            normalize_to,
                            total if rescaled and undetermined is None else None,
                            (_rounded(low_sum), _rounded(high_sum)) if rescaled else None,
                        ),
                    )
                )
            return result

        return compute

    def _maturity(self, name: str) -> Fn:
        if name not in self._maturities_fns:
            span = self.program.maturities[name].span
            self._maturities_fns[name] = self._memoised(
                "level", name, *self._weigh(self._maturity_body, name), span
            )
        return self._maturities_fns[name]

    def _maturity_levels(self, name: str) -> list[tuple[str, list[tuple[str, Fn, Any, str]]]]:
        """Each level's name and requirements (id, condition, message, text), compiled once and
        shared by `level`, `level_name` and `at_least`."""
        if name not in self._levels:
            decl = self.program.maturities[name]
            self._levels[name] = [
                (
                    level.name,
                    [
                        (
                            self.program.rule_ids[id(requirement)],
                            self.expr(requirement.condition),
                            self.message(requirement.because) if requirement.because else None,
                            requirement.condition.span.text(),
                        )
                        for requirement in level.requirements
                    ],
                )
                for level in decl.levels
            ]
        return self._levels[name]

    def _level_name(self, name: str) -> Fn:
        """The name of the highest level reached, `none` when none is."""
        level, names = self._maturity(name), [level.name for level in self.program.maturities[name].levels]

        def level_name(ctx: Context) -> Any:
            reached = level(ctx)
            if isinstance(reached, Undetermined):
                return reached
            return names[reached - 1] if reached else "none"

        return level_name

    def _at_least(self, name: str, wanted: str) -> Fn:
        """Whether every requirement up to level `wanted` holds (levels are cumulative, S36): decided
        even when a level above it cannot be (S50). The levels `level(name)` already evaluated are
        in its trace; those it did not reach are traced here."""
        level, levels = self._maturity(name), self._maturity_levels(name)
        rank = next(i for i, (level_name, _) in enumerate(levels, start=1) if level_name == wanted)

        def at_least(ctx: Context) -> Any:
            reached = level(ctx)
            if not isinstance(reached, Undetermined):
                return reached >= rank
            recorder, ctx.recorder = ctx.recorder, None
            results: list[Any] = []
            try:
                for level_name, requirements in levels[:rank]:
                    values = [
                        _exempt(ctx, rid, fn(ctx), level_name, because, text, [])
                        for rid, fn, because, text in requirements
                    ]
                    results.extend(values)
                    if not all(value is True for value in values):
                        ctx.recorder = recorder  # the levels after this one were not traced by `level`
            finally:
                ctx.recorder = recorder
            return _aggregate("all", results, self.program.maturities[name].span, None)

        return at_least

    def _maturity_body(self, name: str) -> Fn:
        decl = self.program.maturities[name]
        levels = self._maturity_levels(name)

        def compute(ctx: Context) -> Any:
            reached = 0
            outcome: Any = None
            gaps: list[RequirementTrace] = []
            exempted: list[RequirementTrace] = []
            for index, (level_name, requirements) in enumerate(levels):
                results = [(rid, fn(ctx), because, text) for rid, fn, because, text in requirements]
                if ctx.exemptions:
                    results = [
                        (rid, _exempt(ctx, rid, value, level_name, because, text, exempted), because, text)
                        for rid, value, because, text in results
                    ]
                if all(value is True for _, value, _, _ in results):
                    reached = index + 1
                    continue
                if ctx.recorder is not None:
                    gaps = [
                        RequirementTrace(
                            rid,
                            level_name,
                            None if isinstance(value, Undetermined) else False,
                            because(ctx) if because else text,
                        )
                        for rid, value, because, text in results
                        if value is not True
                    ]
                if not any(value is False for _, value, _, _ in results):
                    outcome = _merged(
                        [value for _, value, _, _ in results if isinstance(value, Undetermined)]
                    )
                break
            result = outcome if outcome is not None else reached
            if ctx.recorder is not None:
                next_level = levels[reached][0] if reached < len(levels) else None
                ctx.recorder.events.append(
                    (
                        LEVELLED,
                        name,
                        MaturityTrace(
                            name,
                            decl.title,
                            levels[reached - 1][0] if reached else None,
                            reached,
                            next_level,
                            tuple(gaps),
                            tuple(exempted),
                        ),
                    )
                )
            return result

        return compute

    # -- operators
    def _unary(self, node: ast.Unary) -> Fn:
        operand = self.expr(node.operand)
        if node.op is ast.UnaryOp.NOT:
            return _negate(operand)
        span = node.span

        def negative(ctx: Context) -> Any:
            value = operand(ctx)
            if isinstance(value, Undetermined):
                return value
            if isinstance(value, Duration):
                return Duration(-value.days)
            if type(value) in _NUMBERS:
                return -value
            return Problem("DL-EVAL-TYPE", f"cannot negate {_type_name(value)}", span)

        return negative

    def _arithmetic(self, node: ast.Arithmetic) -> Fn:
        left, right, op, span = self.expr(node.left), self.expr(node.right), node.op, node.span
        on_numbers = _ON_NUMBERS[op]

        def compute(ctx: Context) -> Any:
            a, b = left(ctx), right(ctx)
            if isinstance(a, Undetermined):
                return merge(a, b) if isinstance(b, Undetermined) else a
            if isinstance(b, Undetermined):
                return b
            try:
                if type(a) in _NUMBERS and type(b) in _NUMBERS:  # `_arith` on two numbers, inlined
                    return _tidy(on_numbers(a, b))
                return _arith(op, a, b)
            except ZeroDivisionError:
                return Problem("DL-EVAL-DIV-ZERO", f"division by zero in `{span.text()}`", span)
            except OverflowError:
                return _range_problem(span, f"{show(a)} {op.value} {show(b)}", a, b)
            except (TypeError, ValueError):
                return Problem(
                    "DL-EVAL-TYPE",
                    f"cannot compute {_type_name(a)} {op.value} {_type_name(b)} in `{span.text()}`",
                    span,
                )

        return compute

    def _ranks(self, node: ast.Compare) -> dict[str, int] | None:
        for side in (node.left, node.right):
            type_ = self.program.type_of(side)
            if isinstance(type_, ScaleType):
                return type_.ranks
        return None

    def _compare(self, node: ast.Compare) -> Fn:
        left, right, op, span = self.expr(node.left), self.expr(node.right), node.op, node.span
        test = _COMPARE[op]
        ranks = self._ranks(node)
        types = {self.program.type_of(node.left), self.program.type_of(node.right)}
        if SUBJECT in types:
            left, right = _by_name(left), _by_name(right)
        if types == {DATE, DATETIME}:  # a date-time against a date: by the UTC day it falls on (S27)
            left, right = _on_days(left), _on_days(right)
        text = span.text()
        location = Location(span.path, span.line, span.column)
        site = CompareSite(text, op, ranks, location, margins.unit_of(self.program, node))
        threshold = self._literal(node.right)
        if threshold is not _ABSENT and (ranks is None or threshold in ranks):
            return _compare_to_literal(left, threshold, test, ranks, site, span)

        def compare(ctx: Context) -> Any:
            a, b = left(ctx), right(ctx)
            if isinstance(a, Undetermined):
                result: Any = merge(a, b) if isinstance(b, Undetermined) else a
            elif isinstance(b, Undetermined):
                result = b
            else:
                x, y = (ranks.get(a, a), ranks.get(b, b)) if ranks is not None else (a, b)
                try:
                    result = test(x, y)
                except TypeError:
                    result = Problem(
                        "DL-EVAL-TYPE",
                        f"cannot compare {_type_name(a)} with {_type_name(b)} in `{text}`",
                        span,
                    )
            if ctx.recorder is not None:
                bound = tuple(ctx.variables.items()) if ctx.variables else None
                ctx.recorder.events.append((COMPARED, site, a, b, result, bound))
            return result

        return compare

    def _literal(self, node: ast.Expr) -> Any:
        """The value of a literal threshold (number, text, boolean, scale value), else _ABSENT."""
        if isinstance(node, (ast.Number, ast.Text, ast.Boolean)):
            value = _literal_in_range(node.value, node.span)
            return _ABSENT if isinstance(value, Problem) else value
        resolution = self.program.resolutions.get(id(node))
        if isinstance(resolution, ScaleValueRef):
            return resolution.value
        return _ABSENT

    def _logical(self, node: ast.Logical) -> Fn:
        left, right = self.expr(node.left), self.expr(node.right)
        deciding = node.op is ast.LogicOp.OR  # `or` is settled by True, `and` by False
        other = not deciding

        def combine(ctx: Context) -> Any:
            a = left(ctx)
            if a is deciding:
                return deciding
            b = right(ctx)
            if b is deciding:
                return deciding
            if a is other and b is other:
                return other
            if isinstance(a, Undetermined):
                return merge(a, b) if isinstance(b, Undetermined) else a
            if isinstance(b, Undetermined):
                return b
            return not deciding

        return combine

    def _membership(self, node: ast.Membership) -> Fn:
        item, collection, negated, span = (
            self.expr(node.item),
            self.expr(node.collection),
            node.negated,
            node.span,
        )

        def member(ctx: Context) -> Any:
            needle, haystack = item(ctx), collection(ctx)
            for value in (needle, haystack):
                if isinstance(value, Undetermined):
                    return value
            if isinstance(haystack, str):
                if not isinstance(needle, str):
                    return Problem("DL-EVAL-TYPE", f"cannot look for {_type_name(needle)} in a text", span)
                found = needle in haystack
            elif isinstance(needle, str) and haystack and isinstance(haystack[0], Subject):
                found = any(subject.name == needle for subject in haystack)
            else:
                found = needle in haystack
            return found != negated

        return member

    def _text_test(self, node: ast.TextTest) -> Fn:
        subject, pattern, op, span = self.expr(node.subject), self.expr(node.pattern), node.op, node.span

        def test(ctx: Context) -> Any:
            text, needle = subject(ctx), pattern(ctx)
            for value in (text, needle):
                if isinstance(value, Undetermined):
                    return value
            if op is ast.TextTestOp.CONTAINS and isinstance(text, list):
                if isinstance(needle, str) and text and isinstance(text[0], Subject):
                    return any(item.name == needle for item in text)
                return needle in text
            if not isinstance(text, str) or not isinstance(needle, str):
                return Problem("DL-EVAL-TYPE", f"`{op.value}` needs texts in `{span.text()}`", span)
            if op is ast.TextTestOp.STARTS_WITH:
                return text.startswith(needle)
            if op is ast.TextTestOp.ENDS_WITH:
                return text.endswith(needle)
            if op is ast.TextTestOp.CONTAINS:
                return needle in text
            regex = compile_pattern(needle)  # RE2: linear in the text, whatever the pattern
            if isinstance(regex, BadPattern):  # the checker refuses these; kept for library callers
                return Problem("DL-EVAL-REGEX", regex.message, span)
            found = search(regex, text)
            if found is None:
                return Problem(
                    "DL-EVAL-REGEX", f"`{span.text()}` tests a text that is not valid Unicode", span
                )
            return found

        return test

    def _presence(self, node: ast.Presence) -> Fn:
        operand, wanted = self.expr(node.operand), node.present

        def present(ctx: Context) -> Any:
            value = operand(ctx)
            if isinstance(value, Problem):
                return value
            return (not isinstance(value, Missing)) == wanted

        return present

    def _default(self, node: ast.Default) -> Fn:
        """`x ?? d`: x, or d when x is missing (never when x failed: a default is not an error
        handler). The trace records each default used, with the fields it stood in for."""
        operand, fallback = self.expr(node.operand), self.expr(node.fallback)
        text, written = node.operand.span.text(), node.written
        location = Location(node.fallback.span.path, node.fallback.span.line, node.fallback.span.column)

        def choose(ctx: Context) -> Any:
            value = operand(ctx)
            if not isinstance(value, Missing):
                return value
            used = fallback(ctx)
            if isinstance(used, Undetermined):
                return merge(value, used)
            if ctx.recorder is not None:
                default = DefaultUsed(text, json_value(used), location, value.fields, written)
                ctx.recorder.events.append((DEFAULTED, (location, value.fields), default))
            return used

        return choose

    def _table(self, node: ast.Table) -> Fn:
        keys, values = node.keys, [self.expr(value) for value in node.values]

        def build(ctx: Context) -> Any:
            built: dict[str, Any] = {}
            for key, value in zip(keys, values, strict=True):
                item = value(ctx)
                if isinstance(item, Undetermined):
                    return item
                built.setdefault(key, item)
            return built

        return build

    def _index(self, node: ast.Index) -> Fn:
        table, key, span = self.expr(node.table), self.expr(node.key), node.span
        name = node.table.span.text()

        def look_up(ctx: Context) -> Any:
            entries, wanted = table(ctx), key(ctx)
            for value in (entries, wanted):
                if isinstance(value, Undetermined):
                    return value
            if not isinstance(entries, dict):
                return Problem("DL-EVAL-TYPE", f"`{name}` is {_type_name(entries)}, not a table", span)
            if wanted in entries:
                return entries[wanted]
            known = ", ".join(f"`{entry}`" for entry in entries)
            return Problem(
                "DL-EVAL-KEY",
                f"the table `{name}` has no entry for `{show(wanted)}` (its keys: {known})",
                span,
            )

        return look_up

    def _conditional(self, node: ast.Conditional) -> Fn:
        condition, then, otherwise = (
            self.expr(node.condition),
            self.expr(node.then),
            self.expr(node.otherwise),
        )

        def choose(ctx: Context) -> Any:
            test = condition(ctx)
            if isinstance(test, Undetermined):
                return test
            return then(ctx) if test else otherwise(ctx)

        return choose

    # -- calls
    def _call(self, node: ast.Call) -> Fn:
        name, span = node.function, node.span
        if name == "score":
            assert isinstance(node.args[0], ast.Name)
            return self._criteria(node.args[0].name)
        if name == "level":
            assert isinstance(node.args[0], ast.Name)
            return self._maturity(node.args[0].name)
        if name == "referrers":
            link = self.program.resolutions[id(node.args[0])]
            assert isinstance(link, FieldRef)
            return _referrers(link.path, span)
        if name == "level_name":
            assert isinstance(node.args[0], ast.Name)
            return self._level_name(node.args[0].name)
        if name == "verdict":
            assert isinstance(node.args[0], ast.Name)
            return _verdict(node.args[0].name, span)
        if name == "at_least":
            model, wanted = node.args
            assert isinstance(model, ast.Name) and isinstance(wanted, ast.Name)
            return self._at_least(model.name, wanted.name)
        args = [self.expr(arg) for arg in node.args]
        if name == "rank":
            type_ = self.program.type_of(node.args[0])
            ranks = type_.ranks if isinstance(type_, ScaleType) else {}
            return _unary_function(args[0], lambda value: ranks[value], span, "rank")
        if name in ("max", "min"):
            pick = max if name == "max" else min
            key = _order_key(self.program.type_of(node))
            if len(args) == 1:
                return _unary_function(args[0], lambda values: _pick(pick, values, name, key), span, name)
            return _nary_function(args, lambda values: pick(values, key=key), span, name)
        function = SIMPLE_FUNCTIONS[name]
        return (
            _unary_function(args[0], function, span, name)
            if len(args) == 1
            else _nary_function(args, lambda values: function(*values), span, name)
        )

    def _quantifier(self, node: ast.Quantifier) -> Fn:
        collection, (body, weight), variable, kind, span = (
            self.expr(node.collection),
            self._weighed(node.body),
            node.variable,
            node.function,
            node.span,
        )

        key = _order_key(self.program.type_of(node.body))

        def aggregate(ctx: Context) -> Any:
            items = collection(ctx)
            if isinstance(items, Undetermined):
                return items
            ctx.spend(len(items) * weight, span)
            variables = ctx.variables
            saved = variables.get(variable, _ABSENT)
            results = []
            try:
                for item in items:
                    variables[variable] = item
                    results.append(body(ctx))
            finally:
                if saved is _ABSENT:
                    variables.pop(variable, None)
                else:
                    variables[variable] = saved
            if kind == "filter":
                pending = [value for value in results if isinstance(value, Undetermined)]
                if pending:
                    return _merged(pending)
                return [item for item, keep in zip(items, results, strict=True) if keep is True]
            try:
                return _aggregate(kind, results, span, key)
            except OverflowError:
                return _range_problem(span, f"the {kind} of {len(results)} values")

        return aggregate


# ---------------------------------------------------------------- small runtime helpers


def _range_problem(span: Span, detail: str, *operands: Any) -> Problem:
    """DL-EVAL-RANGE at the expression that overflowed, saying on which values, in words (S41)."""
    if any(isinstance(value, dt.date) for value in operands):
        limit = "beyond the dates decisionlang computes with (years 1 to 9999)"
    else:
        limit = RANGE_WORDS
    return Problem("DL-EVAL-RANGE", f"`{span.text()}` is out of range: {detail} is {limit}", span)


def _literal_in_range(value: Any, span: Span) -> Any:
    """A number written in a policy that is beyond range is a problem wherever it is used (the
    checker reports it first; this keeps the runtime free of infinities whatever reaches it)."""
    if isinstance(value, bool) or not isinstance(value, _NUMBERS):
        return value
    try:
        return finite(value)
    except OverflowError:
        return Problem("DL-EVAL-RANGE", f"the number `{span.text()}` is {RANGE_WORDS}", span)


def _out_of_range_read(subject: Subject, path: str, value: Any, span: Span) -> Any:
    """A state number the loader could not hold (an `OutOfRange`, alone or in a list) read by a
    policy: a DL-EVAL-RANGE problem naming the state value's place; else the value itself."""
    marker = value if type(value) is OutOfRange else None
    if marker is None and type(value) is list:
        marker = next((item for item in value if type(item) is OutOfRange), None)
    if marker is None:
        return value
    file, line, column = subject.origin_of(path)
    where = f"{file}:{line}:{column}"
    return Problem(
        "DL-EVAL-RANGE",
        f"`{path}` of `{subject.name}` ({where}) is {written(marker)}, {RANGE_WORDS}",
        span,
    )


_ABSENT = object()


def _compare_to_literal(
    left: Fn,
    threshold: Any,
    test: Callable[[Any, Any], bool],
    ranks: dict[str, int] | None,
    site: CompareSite,
    span: Span,
) -> Fn:
    """`field >= 8`, `criticality == critical`: the most common comparison, with its threshold fixed."""
    ranked = ranks[threshold] if ranks is not None else threshold
    rank = ranks.get if ranks is not None else None

    def compare(ctx: Context) -> Any:
        a = left(ctx)
        if isinstance(a, Undetermined):
            result: Any = a
        else:
            try:
                result = test(a if rank is None else rank(a, a), ranked)
            except TypeError:
                clash = f"cannot compare {_type_name(a)} with {_type_name(threshold)} in `{site.text}`"
                result = Problem("DL-EVAL-TYPE", clash, span)
        if ctx.recorder is not None:
            bound = tuple(ctx.variables.items()) if ctx.variables else None
            ctx.recorder.events.append((COMPARED, site, a, threshold, result, bound))
        return result

    field_read: tuple[str, Span | None] | None = getattr(left, _FIELD_READ, None)
    if field_read is None:
        return compare
    path, numeric = field_read

    def compare_field(ctx: Context) -> Any:
        """The same comparison with the subject's field read in place (what `_plain_field` and
        `_numeric_field` do, recording included): one call instead of two for the commonest
        condition of all."""
        subject = ctx.subject
        recorder = ctx.recorder
        a = subject.fields.get(path, _ABSENT)
        if a is _ABSENT:
            a = Missing(((subject.name, subject.add_to(), path),))
            if recorder is None:
                return a
        elif numeric is not None and (type(a) is OutOfRange or type(a) is list):
            a = _out_of_range_read(subject, path, a, numeric)
        if recorder is not None:  # Recorder.fact, inlined
            key = (subject.name, path)
            if key not in recorder.facts:
                recorder.facts[key] = None
                if key not in recorder.known:
                    recorder.known[key] = (_SUBJECT_FACT, subject, path, a)
        if isinstance(a, Undetermined):
            result: Any = a
        else:
            try:
                result = test(a if rank is None else rank(a, a), ranked)
            except TypeError:
                clash = f"cannot compare {_type_name(a)} with {_type_name(threshold)} in `{site.text}`"
                result = Problem("DL-EVAL-TYPE", clash, span)
        if recorder is not None:
            bound = tuple(ctx.variables.items()) if ctx.variables else None
            recorder.events.append((COMPARED, site, a, threshold, result, bound))
        return result

    return compare_field


# The attribute naming the field a `_plain_field` or `_numeric_field` closure reads: (dotted path,
# the span of a numeric read or None), so a comparison can read it in place.
_FIELD_READ = "_decisionlang_field"


def _plain_field(path: str) -> Fn:
    def read(ctx: Context) -> Any:
        subject = ctx.subject
        value = subject.fields.get(path, _ABSENT)
        if value is _ABSENT:
            value = Missing(((subject.name, subject.add_to(), path),))
        recorder = ctx.recorder
        if recorder is not None:  # Recorder.fact, inlined: the hottest recording of all
            key = (subject.name, path)
            if key not in recorder.facts:
                recorder.facts[key] = None
                if key not in recorder.known:
                    recorder.known[key] = (_SUBJECT_FACT, subject, path, value)
        return value

    setattr(read, _FIELD_READ, (path, None))
    return read


def _may_be_out_of_range(type_: Any) -> bool:
    """Fields whose state values the loader may have kept as `OutOfRange` (numbers, durations)."""
    if isinstance(type_, ListType):
        type_ = type_.element
    return type_ is NUMBER or type_ is DURATION


def _numeric_field(path: str, span: Span) -> Fn:
    """`_plain_field` for a number or duration field: a value beyond range is a problem (S41)."""

    def read(ctx: Context) -> Any:
        subject = ctx.subject
        value = subject.fields.get(path, _ABSENT)
        if value is _ABSENT:
            value = Missing(((subject.name, subject.add_to(), path),))
        elif type(value) is OutOfRange or type(value) is list:
            value = _out_of_range_read(subject, path, value, span)
        recorder = ctx.recorder
        if recorder is not None:  # Recorder.fact, inlined
            key = (subject.name, path)
            if key not in recorder.facts:
                recorder.facts[key] = None
                if key not in recorder.known:
                    recorder.known[key] = (_SUBJECT_FACT, subject, path, value)
        return value

    setattr(read, _FIELD_READ, (path, span))
    return read


def _item_field(ref: ItemFieldRef, span: Span) -> Fn:
    """`pr.age_days`: a field of the list item bound to `pr` (S45). An absent field is unknown,
    named by the item's place (`git.pull_requests[2].age_days`) and its subject's file."""
    variable, names = ref.variable, ref.names
    is_subject = ref.spec.type is SUBJECT

    def read(ctx: Context) -> Any:
        value = ctx.variables[variable]
        record: Record | None = None
        name = names[0]
        for name in names:
            if isinstance(value, Undetermined):
                return value
            if not isinstance(value, Record):
                return Problem(
                    "DL-EVAL-TYPE",
                    f"`{span.text()}` reads a field of {_type_name(value)}, not an object",
                    span,
                )
            record = value
            value = record.fields.get(name, _ABSENT)
            if value is _ABSENT:
                value = Missing(((record.subject, record.file, f"{record.path}.{name}"),))
                break
        assert record is not None
        if type(value) is OutOfRange:
            line, column = record.location_of(name)
            value = Problem(
                "DL-EVAL-RANGE",
                f"`{record.path}.{name}` of `{record.subject}` ({record.file}:{line}:{column}) is "
                f"{written(value)}, {RANGE_WORDS}",
                span,
            )
        elif is_subject and isinstance(value, str):
            named = ctx.portfolio.by_name.get(value)
            value = named or Problem(
                "DL-EVAL-DANGLING",
                f"`{record.path}.{name}` of `{record.subject}` names no known subject: `{value}`",
                span,
            )
        if ctx.recorder is not None:
            ctx.recorder.item_fact(record, name, value)
        return value

    return read


def _of_subject(base: Fn, reader: Fn) -> Fn:
    """`reader` run on the subject `base` gives (a subject an object names: `l.target.tier`)."""

    def read(ctx: Context) -> Any:
        return _as_subject(ctx, base(ctx), reader)

    return read


def _as_subject(ctx: Context, subject: Any, fn: Fn) -> Any:
    """`fn` evaluated as if deciding `subject`; an undetermined subject is the result as it is."""
    if isinstance(subject, Undetermined):
        return subject
    saved, ctx.subject = ctx.subject, subject
    try:
        return fn(ctx)
    finally:
        ctx.subject = saved


def _referrers(path: str, span: Span) -> Fn:
    """`referrers(system)`: the subjects whose `system` names the subject decided (S45), from the
    portfolio's reverse index of that field; the trace records them as a fact of the subject."""
    fact = f"referrers({path})"

    def referrers(ctx: Context) -> Any:
        subject, portfolio = ctx.subject, ctx.portfolio
        names = portfolio.referrers(path).get(subject.name, ())
        ctx.spend(len(names), span)
        value = [portfolio.by_name[name] for name in names]
        if ctx.recorder is not None:
            ctx.recorder.fact(subject, fact, value)
        return value

    return referrers


def _exempt(
    ctx: Context,
    rid: str,
    value: Any,
    level: str,
    because: Callable[[Context], str] | None,
    text: str,
    exempted: list[RequirementTrace],
) -> Any:
    """A requirement that does not hold (or cannot be decided), from which a waiver in force
    exempts the subject, counts as met (S52); the trace names the waiver."""
    if value is True or not ctx.exemptions:
        return value
    key = (ctx.subject.name, rid)
    waiver = ctx.exemptions.get(key)
    if waiver is None:
        return value
    ctx.exempted.add(key)
    if ctx.recorder is not None:
        holds = None if isinstance(value, Undetermined) else False
        ctx.recorder.events.append((EXEMPTED, key, AppliedExemption(waiver, rid, "requirement", holds)))
        exempted.append(RequirementTrace(rid, level, holds, because(ctx) if because else text, waiver.id))
    return True


def _exempt_term(ctx: Context, term_id: str, value: Any) -> AppliedWaiver | None:
    """The waiver in force that leaves a criteria term out of the subject's score (S52), if any."""
    key = (ctx.subject.name, term_id)
    waiver = ctx.exemptions.get(key)
    if waiver is None:
        return None
    ctx.exempted.add(key)
    if ctx.recorder is not None:
        ctx.recorder.events.append((EXEMPTED, key, AppliedExemption(waiver, term_id, "term")))
    return waiver


def _verdict(policy: str, span: Span) -> Fn:
    """`verdict(p)`: p's verdict on the subject being decided, as the evaluator decides it (once
    per subject, shared with the report), as a value of the `verdict` scale."""

    def verdict(ctx: Context) -> Any:
        decide = ctx.verdict_of
        if decide is None:
            return Problem(
                "DL-EVAL-VERDICT", f"`{span.text()}` is only known when policies are decided", span
            )
        return decide(ctx, policy, span)

    return verdict


def _group(ref: GroupRef, span: Span) -> Fn:
    """`git` for `git is present` (S46): present when the state writes the mapping."""
    path, variable = ref.path, ref.variable

    def read(ctx: Context) -> Any:
        subject = ctx.subject if variable is None else ctx.variables[variable]
        if isinstance(subject, Undetermined):
            return subject
        if not isinstance(subject, Subject):
            return Problem("DL-EVAL-TYPE", f"`{span.text()}` reads a field of {_type_name(subject)}", span)
        if subject.has_group(path):
            return True
        value = Missing(((subject.name, subject.add_to(), path),))
        if ctx.recorder is not None:
            ctx.recorder.fact(subject, path, value)
        return value

    return read


def _for_subject(variable: str, fn: Fn) -> Fn:
    """Evaluate `fn` as if deciding the subject bound to `variable` (`t.h1_secured`)."""

    def evaluate(ctx: Context) -> Any:
        return _as_subject(ctx, ctx.variables[variable], fn)

    return evaluate


def _by_name(fn: Fn) -> Fn:
    """Subjects compare by name."""

    def name(ctx: Context) -> Any:
        value = fn(ctx)
        return value.name if isinstance(value, Subject) else value

    return name


def _negate(fn: Fn) -> Fn:
    def negate(ctx: Context) -> Any:
        value = fn(ctx)
        if value is True:
            return False
        if value is False:
            return True
        return value  # undetermined stays so

    return negate


def _deciding_margin(
    found: list[tuple[float, str | None]], conjunction: bool
) -> tuple[float, str | None] | None:
    """Of the operands' margins, the one that decides `and` (smallest) or `or` (largest); margins in
    different units do not compare, so then the first operand that decides (fails an `and`, holds an
    `or`) gives it, else the first."""
    if not found:
        return None
    pick = min if conjunction else max
    if len({unit for _, unit in found}) == 1:
        return pick(found, key=lambda margin: margin[0])
    deciding = [margin for margin in found if (margin[0] < 0) == conjunction]
    return (deciding or found)[0]


def _gather(values: list[Any]) -> Any:
    for value in values:
        if isinstance(value, Undetermined):
            return value
    return values


def _rounded(value: float) -> float:
    rounded = round(value, 6)
    return int(rounded) if float(rounded).is_integer() else rounded


class EmptyList(ValueError):
    """`min`, `max` or `average` of nothing: an evaluation problem of its own (DL-EVAL-EMPTY)."""


def _order_key(type_: Any) -> Callable[[Any], Any] | None:
    """Scale values order by rank, not alphabetically; everything else by its natural order."""
    if isinstance(type_, ScaleType):
        ranks = type_.ranks
        return lambda value: ranks.get(value, 0)
    return None


def _pick(pick: Callable[..., Any], values: Any, name: str, key: Callable[[Any], Any] | None) -> Any:
    if not values:
        raise EmptyList(f"`{name}` of an empty list")
    return pick(values, key=key)


def _unary_function(arg: Fn, function: Callable[[Any], Any], span: Span, name: str) -> Fn:
    def call(ctx: Context) -> Any:
        value = arg(ctx)
        if isinstance(value, Undetermined):
            return value
        try:
            return finite(function(value))
        except EmptyList as error:
            return Problem("DL-EVAL-EMPTY", str(error), span)
        except OverflowError:
            return _range_problem(span, f"`{name}` of {show(value)}", value)
        except (TypeError, KeyError, ValueError, ArithmeticError) as error:
            return Problem("DL-EVAL-CALL", f"`{name}` failed on {show(value)}: {error}", span)

    return call


def _nary_function(args: list[Fn], function: Callable[[list[Any]], Any], span: Span, name: str) -> Fn:
    def call(ctx: Context) -> Any:
        values = [arg(ctx) for arg in args]
        pending = [value for value in values if isinstance(value, Undetermined)]
        if pending:
            return _merged(pending)
        try:
            return finite(function(values))
        except OverflowError:
            return _range_problem(span, f"`{name}` of {show(values)}", *values)
        except (TypeError, ValueError, ArithmeticError) as error:
            return Problem("DL-EVAL-CALL", f"`{name}` failed: {error}", span)

    return call


_COMPARED_MARGIN, _COMBINED_MARGIN, _NEGATED_MARGIN = 0, 1, 2


def _margin_of(recorded: Any) -> tuple[float, str | None] | None:
    """The distance of a condition to its edge, in one unit, from what `Compiler._margin` recorded:
    a comparison's own margin; over `and` the smallest (the first failing one when the units
    differ), over `or` the largest (the first holding one when they differ); negated by `not`."""
    if recorded is None:
        return None
    if recorded[0] == _COMPARED_MARGIN:
        _, op, x, y, scale, unit = recorded
        return _scaled_margin(op, x, y, scale, unit)
    if recorded[0] == _COMBINED_MARGIN:
        _, conjunction, left, right = recorded
        found = [m for m in (_margin_of(left), _margin_of(right)) if m is not None]
        return _deciding_margin(found, conjunction)
    value = _margin_of(recorded[1])
    return None if value is None else (-value[0], value[1])


def _built_tradeoff(
    name: str,
    title: str | None,
    first: str,
    first_value: Any,
    second: str,
    second_value: Any,
    acceptable: bool | None,
    margin: Any,
) -> TradeoffTrace:
    """A trade-off's trace from the values its evaluation recorded."""
    return TradeoffTrace(
        name,
        title,
        first,
        json_value(first_value),
        second,
        json_value(second_value),
        acceptable,
        *_traced_margin(_margin_of(margin)),
    )


def _traced_margin(found: tuple[float, str | None] | None) -> tuple[float | None, str | None]:
    """A trade-off's margin and unit as the trace keeps them (the number as JSON writes it)."""
    return (json_number(found[0]), found[1]) if found is not None else (None, None)


def _tidy(result: Any) -> Any:
    """Decimal-looking results: 0.7 + 0.1 is 0.8, not 0.7999999999999999 (see S25). The range
    gate too (S41): raises NumberOutOfRange for a result that is not a finite number in range."""
    if type(result) is float:
        if not math.isfinite(result):
            raise NumberOutOfRange
        result = round(result, DECIMALS)
        return int(result) if result.is_integer() and abs(result) < 2**53 else result
    return finite(result)


_ROUNDING = decimal.Context(prec=800, Emax=999, Emin=-999)  # exact for any number in range
_DIGITS = 340  # no number in range has a digit this far from the decimal point


def _round_half_up(value: float, digits: int = 0) -> float:
    """Rounding as people do it: 2.5 gives 3, not Python's 2 (ties to even). Any number of
    digits: beyond the digits a number in range can have, rounding changes nothing."""
    digits = max(-_DIGITS, min(_DIGITS, digits))
    quantum = decimal.Decimal(1).scaleb(-digits, _ROUNDING)
    rounded = decimal.Decimal(str(value)).quantize(quantum, rounding=decimal.ROUND_HALF_UP, context=_ROUNDING)
    return finite(int(rounded) if digits <= 0 else float(rounded))


def _whole(number: float) -> int:
    """A count of digits, as written (`round(x, 2)`), whatever its size."""
    return int(max(-_DIGITS, min(_DIGITS, number)))


def _average(values: list[Any]) -> float:
    if not values:
        raise EmptyList("`average` of an empty list")
    return float(_tidy(float(sum(values)) / len(values)))


SIMPLE_FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "count": len,
    "length": len,
    "sum": lambda values: _tidy(sum(values)),
    "average": _average,
    "abs": abs,
    "round": lambda value, digits=0: _round_half_up(value, _whole(digits)),
    "floor": math.floor,
    "ceil": math.ceil,
    "days": _days,
    "lower": str.lower,
    "upper": str.upper,
}


def _aggregate(kind: str, results: list[Any], span: Span, key: Callable[[Any], Any] | None) -> Any:
    """Three-valued aggregates: a decided answer wins over unknown items where it can."""
    pending = [value for value in results if isinstance(value, Undetermined)]
    if kind == "all":
        if any(value is False for value in results):
            return False
        return _merged(pending) if pending else True
    if kind == "any":
        if any(value is True for value in results):
            return True
        return _merged(pending) if pending else False
    if kind == "none":
        if any(value is True for value in results):
            return False
        return _merged(pending) if pending else True
    if pending:
        return _merged(pending)
    if kind == "count":
        return sum(1 for value in results if value is True)
    if kind == "sum":
        return _tidy(sum(results))
    if kind == "average":
        return (
            _tidy(sum(results) / len(results))
            if results
            else Problem("DL-EVAL-EMPTY", "`average` of an empty list", span)
        )
    if not results:
        return Problem("DL-EVAL-EMPTY", f"`{kind}` of an empty list", span)
    return max(results, key=key) if kind == "max" else min(results, key=key)


def _merged(pending: list[Undetermined]) -> Undetermined:
    result = pending[0]
    for other in pending[1:]:
        result = merge(result, other)
    return result


def _graph_view(portfolio: Portfolio, subject: Subject, path: str) -> list[Subject]:
    if path == "dependents":
        names: tuple[str, ...] = portfolio.dependents.get(subject.name, ())
    elif path == "all_dependencies":
        names = portfolio.closure(subject.name, "depends_on")
    else:
        names = portfolio.closure(subject.name, "dependents")
    return [portfolio.by_name[name] for name in names]


def _built_comparison(
    site: CompareSite, left: Any, right: Any, result: Any, bound: tuple[tuple[str, Any], ...] | None
) -> Comparison:
    """The trace of a comparison as recorded: both sides as JSON keeps them, and the margin."""
    op, ranks, unit = site.op, site.ranks, site.unit
    margin = None
    # an equality has no distance that says how far it is from passing: it is the value or it is not
    if op not in _EQUALITIES and not isinstance(left, Undetermined) and not isinstance(right, Undetermined):
        x, y = (ranks.get(left, left), ranks.get(right, right)) if ranks is not None else (left, right)
        a, b = _magnitude(x), _magnitude(y)
        found = _scaled_margin(op, a, b, unit[1], unit[0]) if a is not None and b is not None else None
        if found is not None:
            margin = json_number(found[0])
    return Comparison(
        site.text,
        json_value(left),
        op.value,
        json_value(right),
        None if isinstance(result, Undetermined) else bool(result),
        margin,
        site.location,
        _bound(dict(bound)) if bound else None,
        unit[0] if margin is not None else None,
    )


_EQUALITIES = frozenset({ast.CompareOp.EQ, ast.CompareOp.NE})


def _bound(variables: dict[str, Any]) -> str:
    """`t = billing`: the items an aggregate was at when a comparison inside it was made."""
    return ", ".join(
        f"{name} = {value.path if isinstance(value, Record) else show(value)}"
        for name, value in sorted(variables.items())
    )


def compile_program(program: Program) -> tuple[CompiledPolicy, ...]:
    return Compiler(program).policies()

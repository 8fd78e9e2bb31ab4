"""What a margin means: its unit, and whether it is in favour of GO or against it.

Both are settled at compile time from the checked program, so every output words a margin the same
way ("blocks by 63 days", "passes by 0.05") without knowing the policy:

- the unit of a comparison: days when a side is a date or a duration, % when the threshold is a
  percentage (the margin is then scaled by 100), else the schema `unit` of a field it compares;
- the polarity of a comparison in a rule: +1 when its holding pushes the rule to fire, -1 when it
  pushes it not to (under `not`, `unless`), 0 when its place does not say (inside a `count`, a
  function, the test of an `if`, or reached both ways). The rule's kind then gives the direction:
  a firing `go` rule is in favour of GO, any other firing rule against it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from decisionlang.core.model import Comparison, Direction, Location, RuleKind, TradeoffTrace
from decisionlang.language import ast
from decisionlang.language.checker import (
    ConstRef,
    DefineRef,
    FieldRef,
    ItemFieldRef,
    Program,
    SideRef,
    TradeoffRef,
)
from decisionlang.language.types import DATE, DURATION

DAYS = "days"
PERCENT = "%"

# a comparison is keyed by its location, a trade-off by its name
Polarity = Mapping[Location | str, int]
_SAME_SIGN_QUANTIFIERS = frozenset({"all", "any"})


def unit_of(program: Program, node: ast.Compare) -> tuple[str | None, float]:
    """The unit a comparison's margin is counted in, and the factor that brings it there."""
    sides = (node.left, node.right)
    if any(program.type_of(side) in (DATE, DURATION) for side in sides):
        return DAYS, 1.0
    if any(_is_percent(program, side) for side in sides):
        return PERCENT, 100.0
    for side in sides:
        unit = _field_unit(program, side, frozenset())
        if unit:
            return unit, 1.0
    return None, 1.0


def _field_unit(program: Program, node: ast.Expr, seen: frozenset[str]) -> str | None:
    """The schema unit of a field, read directly or through a trade-off's side or a definition."""
    resolution = program.resolutions.get(id(node))
    if isinstance(resolution, FieldRef | ItemFieldRef):
        return resolution.spec.unit
    if isinstance(resolution, SideRef) and resolution.tradeoff not in seen:
        decl = program.tradeoffs[resolution.tradeoff]
        side = decl.first if decl.first.name == resolution.side else decl.second
        return _field_unit(program, side.expr, seen | {resolution.tradeoff})
    if isinstance(resolution, DefineRef) and resolution.name not in seen:
        return _field_unit(program, program.defines[resolution.name].value, seen | {resolution.name})
    return None


def _is_percent(program: Program, node: ast.Expr) -> bool:
    if isinstance(node, ast.Number):
        return node.text.endswith("%")
    resolution = program.resolutions.get(id(node))
    if isinstance(resolution, ConstRef):
        return _is_percent(program, program.constants[resolution.name].value)
    return False


def location_of(node: ast.Node) -> Location:
    return Location(node.span.path, node.span.line, node.span.column)


def polarities(program: Program, decl: ast.RuleDecl) -> dict[Location | str, int]:
    """The polarity of every comparison (and trade-off) a rule's condition reaches."""
    found: dict[Location | str, int] = {}
    _walk(program, decl.condition, -1 if decl.unless else 1, found, set())
    return found


def _note(found: dict[Location | str, int], key: Location | str, sign: int) -> None:
    found[key] = sign if found.get(key, sign) == sign else 0


def _walk(
    program: Program, node: ast.Expr, sign: int, found: dict[Location | str, int], seen: set[tuple[str, int]]
) -> None:
    """Note the polarity of what `node` reaches. A definition or trade-off is walked once per sign
    (noting the same polarity twice changes nothing), so `e1 = e0 + e0` chains stay linear."""
    match node:
        case ast.Compare(left=left, right=right):
            _note(found, location_of(node), sign)
            _walk(program, left, 0, found, seen)
            _walk(program, right, 0, found, seen)
            return
        case ast.Unary(op=ast.UnaryOp.NOT, operand=operand):
            _walk(program, operand, -sign, found, seen)
            return
        case ast.Logical(left=left, right=right):
            _walk(program, left, sign, found, seen)
            _walk(program, right, sign, found, seen)
            return
        case ast.Quantifier(function=function, collection=collection, body=body):
            _walk(program, collection, 0, found, seen)
            _walk(program, body, sign if function in _SAME_SIGN_QUANTIFIERS else 0, found, seen)
            return
        case ast.Conditional(condition=condition, then=then, otherwise=otherwise):
            _walk(program, condition, 0, found, seen)
            _walk(program, then, sign, found, seen)
            _walk(program, otherwise, sign, found, seen)
            return
        case ast.Name() | ast.Attribute():
            resolution = program.resolutions.get(id(node))
            if isinstance(resolution, DefineRef) and (resolution.name, sign) not in seen:
                seen.add((resolution.name, sign))
                _walk(program, program.defines[resolution.name].value, sign, found, seen)
            elif isinstance(resolution, TradeoffRef) and (resolution.name, sign) not in seen:
                seen.add((resolution.name, sign))
                _note(found, resolution.name, sign)
                _walk(program, program.tradeoffs[resolution.name].acceptable, sign, found, seen)
    for child in _children(node):
        _walk(program, child, 0, found, seen)


def _children(node: ast.Expr) -> Iterable[ast.Expr]:
    for value in vars(node).values():
        if isinstance(value, ast.Expr):
            yield value
        elif isinstance(value, tuple):
            yield from (item for item in value if isinstance(item, ast.Expr))


def direction(polarity: int, kind: RuleKind, holds: bool | None) -> Direction | None:
    """For GO or against it: a check that holds pushes its rule the way of its polarity."""
    if holds is None or polarity == 0 or kind in (RuleKind.OTHERWISE, RuleKind.APPLIES):
        return None
    fires_for_go = kind is RuleKind.GO
    towards_firing = holds == (polarity > 0)
    return Direction.FOR_GO if towards_firing == fires_for_go else Direction.AGAINST_GO


def directed_comparisons(
    comparisons: tuple[Comparison, ...], polarity: Polarity, kind: RuleKind
) -> tuple[Comparison, ...]:
    """The comparisons a rule recorded, each with the direction of its margin for this rule.

    On the traced hot path: a plain loop, the recorded object kept when nothing changes, and a new
    one built directly (dataclasses.replace is several times slower)."""
    if not comparisons or not polarity or kind in (RuleKind.OTHERWISE, RuleKind.APPLIES):
        return comparisons
    fires_for_go = kind is RuleKind.GO
    directed = []
    for c in comparisons:
        sign = polarity.get(c.location, 0) if c.margin is not None and c.holds is not None else 0
        if sign == 0:
            directed.append(c)
            continue
        way = Direction.FOR_GO if (c.holds == (sign > 0)) == fires_for_go else Direction.AGAINST_GO
        if way is c.direction:
            directed.append(c)
            continue
        directed.append(
            Comparison(
                c.expression, c.left, c.operator, c.right, c.holds, c.margin, c.location, c.bound, c.unit, way
            )
        )
    return tuple(directed)


def directed_tradeoffs(
    tradeoffs: tuple[TradeoffTrace, ...], polarity: Polarity, kind: RuleKind
) -> tuple[TradeoffTrace, ...]:
    return tuple(
        dataclasses.replace(
            trace, direction=direction(polarity.get(trace.tradeoff, 0), kind, trace.acceptable)
        )
        if trace.margin is not None
        else trace
        for trace in tradeoffs
    )

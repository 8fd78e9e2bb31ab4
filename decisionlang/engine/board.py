"""The board report's facts from the checked program and a report (see core/board.py).

The acceptable zone of a trade-off is evaluated here by the engine itself: the condition compiles
with the same closures and operator semantics as rules, its two sides read from the grid instead of
a subject, and everything else it reads (a subject's own target, say) is missing, so three-valued
logic tells, cell by cell, acceptable, not acceptable, or undecided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from decisionlang.core.board import (
    Axis,
    BoardFacts,
    MaturityAxis,
    Point,
    Revision,
    TradeoffChart,
    Zone,
    as_number,
)
from decisionlang.core.model import Report
from decisionlang.core.subjects import Portfolio, Subject
from decisionlang.core.undetermined import Missing, Undetermined
from decisionlang.engine.compiler import Compiler, Context, Fn
from decisionlang.language import ast
from decisionlang.language.checker import ConstRef, FieldRef, Program
from decisionlang.language.types import ScaleType

ZONE_COLUMNS, ZONE_ROWS = 96, 60  # the acceptable zone is sampled on this grid
_FIRST, _SECOND = "\0first", "\0second"  # the grid's values, as variables no policy can name
_NOWHERE = Subject("", "", "", 0, 0, {}, {})  # the zone is nobody's: every field of it is missing
_NOBODY = Portfolio.of(())


def board_facts(program: Program, report: Report, *, revision: Revision | None = None) -> BoardFacts:
    """Everything the board report needs from the program, with the zones evaluated."""
    today = report.as_of or dt.date.today()
    points = tradeoff_points(report)
    charts = tuple(
        tradeoff_chart(program, program.tradeoffs[name], points.get(name, ()), today)
        for name in sorted(program.tradeoffs)
    )
    return BoardFacts(
        tradeoffs=charts,
        maturity_axes=maturity_axes(program),
        maturity_models=tuple(sorted(program.maturities)),
        scales={
            path: spec.type.values
            for path, spec in program.all_fields().items()
            if isinstance(spec.type, ScaleType)
        },
        revision=revision,
    )


def tradeoff_points(report: Report) -> dict[str, tuple[Point, ...]]:
    """Per trade-off, one point per subject whose evaluation traced it."""
    points: dict[str, dict[str, Point]] = {}
    for result in report.subjects:
        for policy in result.policies:
            for rule in policy.rules:
                for trace in rule.tradeoffs:
                    per_subject = points.setdefault(trace.tradeoff, {})
                    if result.subject not in per_subject:
                        x, y = as_number(trace.first_value), as_number(trace.second_value)
                        per_subject[result.subject] = Point(result.subject, x, y, trace)
    return {name: tuple(found.values()) for name, found in points.items()}


def tradeoff_chart(
    program: Program, decl: ast.TradeoffDecl, points: tuple[Point, ...], today: dt.date
) -> TradeoffChart:
    xs = [point.x for point in points if point.x is not None and point.y is not None]
    ys = [point.y for point in points if point.x is not None and point.y is not None]
    zone = None
    if xs:
        x_axis = Axis.fit(xs, side_range(program, decl.first.expr))
        y_axis = Axis.fit(ys, side_range(program, decl.second.expr))
        zone = evaluate_zone(program, decl, x_axis, y_axis, today)
    compiler = Compiler(program)
    context = Context(_NOWHERE, _NOBODY, today)
    constants = tuple(
        (name, compiler.expr(program.constants[name].value)(context))
        for name in sorted(constants_in(program, decl.acceptable))
    )
    return TradeoffChart(
        name=decl.name,
        title=decl.title,
        first=decl.first.name,
        second=decl.second.name,
        first_text=decl.first.expr.span.text(),
        second_text=decl.second.expr.span.text(),
        condition=decl.acceptable.span.text(),
        constants=constants,
        points=points,
        zone=zone,
    )


class _ZoneCompiler(Compiler):
    """The compiler, with this trade-off's two sides read from the grid."""

    def __init__(self, program: Program, decl: ast.TradeoffDecl) -> None:
        super().__init__(program)
        self.decl = decl

    def _side(self, tradeoff: str, side: str) -> Fn:
        if tradeoff != self.decl.name:
            return super()._side(tradeoff, side)
        key = _FIRST if side == self.decl.first.name else _SECOND
        return lambda ctx: ctx.variables[key]


def evaluate_zone(program: Program, decl: ast.TradeoffDecl, x: Axis, y: Axis, today: dt.date) -> Zone:
    condition = _ZoneCompiler(program, decl).expr(decl.acceptable)
    depends_on: dict[str, None] = {}
    firsts = [x.value((column + 0.5) / ZONE_COLUMNS) for column in range(ZONE_COLUMNS)]
    context = Context(_NOWHERE, _NOBODY, today)
    variables, memo = context.variables, context.memo
    rows = []
    for row in range(ZONE_ROWS):
        variables[_SECOND] = y.value(1 - (row + 0.5) / ZONE_ROWS)
        cells: list[bool | None] = []
        for first in firsts:
            variables[_FIRST] = first
            memo.clear()  # definitions and trade-offs are memoised per subject: here, per cell
            context.steps = context.budget  # and each cell has a subject's budget
            value = condition(context)
            if isinstance(value, Missing):
                depends_on.update(dict.fromkeys(path for _, _, path in value.fields))
            cells.append(None if isinstance(value, Undetermined) else value is True)
        rows.append(tuple(cells))
    return Zone(x, y, tuple(rows), tuple(depends_on))


def side_range(program: Program, expr: ast.Expr) -> tuple[float, float] | None:
    """The declared range of a side that is a plain field (`integer 0..5`), to draw the whole scale."""
    resolution = program.resolutions.get(id(expr))
    if isinstance(resolution, FieldRef) and resolution.variable is None:
        spec = resolution.spec
        if spec.minimum is not None and spec.maximum is not None and spec.maximum > spec.minimum:
            return float(spec.minimum), float(spec.maximum)
    return None


def constants_in(program: Program, node: ast.Expr) -> set[str]:
    return {
        resolution.name
        for child in walk(node)
        if isinstance(resolution := program.resolutions.get(id(child)), ConstRef)
    }


def walk(node: ast.Expr) -> Iterable[ast.Expr]:
    yield node
    for value in vars(node).values():
        if isinstance(value, ast.Expr):
            yield from walk(value)
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, ast.Expr):
                    yield from walk(item)


def maturity_axes(program: Program) -> tuple[MaturityAxis, ...]:
    """The numeric `maturity.*` fields of the schema, with their range."""
    return tuple(
        MaturityAxis(
            path,
            path.removeprefix("maturity."),
            float(spec.minimum),
            float(spec.maximum),
            spec.description or "",
        )
        for path, spec in program.fields.items()
        if path.startswith("maturity.") and spec.minimum is not None and spec.maximum is not None
    )

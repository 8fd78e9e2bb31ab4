"""Where a checked program's expressions are, and what they hold: the traversals the lint rules share."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from decisionlang.language import ast
from decisionlang.language.checker import (
    ConstRef,
    FieldRef,
    ItemFieldRef,
    Program,
    ScaleValueRef,
)
from decisionlang.language.types import FieldSpec

MAX_CONST_DEPTH = 32  # constants naming constants deeper than this are a cycle, reported by the checker


@dataclass(frozen=True)
class Root:
    """One expression written in a declaration, and what it is for (`rule`, `because`, `where`...)."""

    expr: ast.Expr
    role: str
    owner: str  # the declaration it belongs to: `const x`, `policy p`...


def children(node: ast.Expr) -> Iterator[ast.Expr]:
    """The expressions directly inside `node`, in field order."""
    for item in dataclasses.fields(node):
        if item.name == "span":
            continue
        value = getattr(node, item.name)
        if isinstance(value, ast.Expr):
            yield value
        elif isinstance(value, tuple):
            yield from (part for part in value if isinstance(part, ast.Expr))


def nodes(expr: ast.Expr) -> Iterator[ast.Expr]:
    """`expr` and every expression inside it, depth first (without recursion: trees can be deep)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(list(children(node))))


def message_exprs(message: ast.Message | None) -> tuple[ast.Expr, ...]:
    return tuple(part for part in message.parts if isinstance(part, ast.Expr)) if message else ()


def roots(program: Program) -> Iterator[Root]:
    """Every expression the program's declarations write, messages included."""
    for const in program.constants.values():
        yield Root(const.value, "const", f"const {const.name}")
    for define in program.defines.values():
        yield Root(define.value, "define", f"define {define.name}")
    for criteria in program.criteria.values():
        for term in criteria.terms:
            yield Root(term.expr, "term", f"criteria {criteria.name}")
    for tradeoff in program.tradeoffs.values():
        owner = f"tradeoff {tradeoff.name}"
        yield Root(tradeoff.first.expr, "side", owner)
        yield Root(tradeoff.second.expr, "side", owner)
        yield Root(tradeoff.acceptable, "acceptable", owner)
    for maturity in program.maturities.values():
        owner = f"maturity {maturity.name}"
        for level in maturity.levels:
            for requirement in level.requirements:
                yield Root(requirement.condition, "requirement", owner)
                for part in message_exprs(requirement.because):
                    yield Root(part, "because", owner)
    for policy in program.policies.values():
        owner = f"policy {policy.name}"
        if policy.selector is not None and policy.selector.where is not None:
            yield Root(policy.selector.where, "where", owner)
        for rule in policy.rules:
            yield Root(rule.condition, "rule", owner)
            for message, role in ((rule.because, "because"), (rule.until, "until")):
                for part in message_exprs(message):
                    yield Root(part, role, owner)
        if policy.otherwise is not None:
            for message in (policy.otherwise.message, policy.otherwise.until):
                for part in message_exprs(message):
                    yield Root(part, "otherwise", owner)


def field_of(node: ast.Expr, program: Program) -> FieldSpec | None:
    """The declared field a name or dotted path reads, or None."""
    resolution = program.resolutions.get(id(node))
    if isinstance(resolution, FieldRef | ItemFieldRef):
        return resolution.spec
    return None


def constant_value(node: ast.Expr, program: Program, depth: int = 0) -> ast.Expr:
    """The literal a constant stands for (following constants that name constants), else `node`."""
    resolution = program.resolutions.get(id(node))
    if isinstance(resolution, ConstRef) and depth < MAX_CONST_DEPTH:
        const = program.constants.get(resolution.name)
        if const is not None:
            return constant_value(const.value, program, depth + 1)
    return node


def number_of(node: ast.Expr, program: Program) -> float | None:
    """The number a literal, a constant, a duration (in days) or a scale value (its rank) stands for."""
    value = constant_value(node, program)
    if isinstance(value, ast.Number):
        return value.value
    if isinstance(value, ast.DurationLiteral):
        return value.days
    if isinstance(value, ast.Unary) and value.op is ast.UnaryOp.NEG:
        inner = number_of(value.operand, program)
        return None if inner is None else -inner
    resolution = program.resolutions.get(id(value))
    if isinstance(resolution, ScaleValueRef) and resolution.value in resolution.scale.values:
        return float(resolution.scale.rank(resolution.value))
    return None


def is_literal(node: ast.Expr) -> bool:
    return isinstance(node, ast.Number | ast.DurationLiteral | ast.Text | ast.Boolean | ast.DateLiteral)

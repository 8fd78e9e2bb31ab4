"""How deep an expression goes once the definitions it uses are counted: bounded before any stage
recurses over it.

The parser refuses one expression nested too deeply (`parser.MAX_NESTING`), but an expression that
names a definition is evaluated through that definition's expression, which may name another: 200
chained `define e{i} = e{i-1} + 1` are each shallow and together 400 levels deep, beyond what the
checker, the compiler and the evaluator (all recursive over expressions) can follow. This module
measures that depth without recursing (explicit stacks, one pass per declaration) and reports the
declarations that go too deep, with the chain of definitions that makes them so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from decisionlang.core.diagnostics import Diagnostic
from decisionlang.core.spans import Span
from decisionlang.language import ast

MAX_DEPTH = 100  # levels of expression an evaluation may go through, definitions included
VERDICT_HOP = 10  # `verdict(p)` decides p first: counted as this many levels, plus p's own depth

Key = tuple[str, str]  # ("definition", name), ("constant", name), ("criteria", name), ...


@dataclass(frozen=True)
class _Local:
    """One declaration's own expressions: their depth, and where they name other declarations."""

    depth: int
    references: tuple[tuple[Key, int], ...]  # (declaration named, depth of the naming node)


@dataclass(frozen=True)
class Declared:
    """A declaration whose expressions are evaluated when it is named."""

    key: Key
    span: Span
    expressions: tuple[ast.Expr, ...]


def _children(node: ast.Expr) -> Iterator[ast.Expr]:
    for item in dataclasses.fields(node):
        value = getattr(node, item.name)
        if isinstance(value, ast.Expr):
            yield value
        elif isinstance(value, tuple):
            yield from (part for part in value if isinstance(part, ast.Expr))


def _named(node: ast.Expr, names: Mapping[str, Key]) -> Key | None:
    """The declaration a node may stand for (a bound variable of the same name counts too: the
    depth is then over-estimated, never under-estimated)."""
    if isinstance(node, ast.Name):
        key = names.get(node.name)
        return key if key is not None and key[0] != "policy" else None  # a policy is named by `verdict`
    if isinstance(node, ast.Call) and node.function == "verdict" and node.args:
        argument = node.args[0]
        key = names.get(argument.name) if isinstance(argument, ast.Name) else None
        return key if key is not None and key[0] == "policy" else None
    if isinstance(node, ast.Attribute):  # `t.high_risk`: a definition for a bound subject; `tradeoff.side`
        if isinstance(node.base, ast.Name) and names.get(node.base.name, ("", ""))[0] == "trade-off":
            return names[node.base.name]
        key = names.get(node.name)
        return key if key is not None and key[0] == "definition" else None
    if (
        isinstance(node, ast.Call)
        and node.function in ("score", "level", "level_name", "at_least")
        and node.args
    ):
        argument = node.args[0]
        if isinstance(argument, ast.Name):
            key = names.get(argument.name)
            wanted = "criteria" if node.function == "score" else "maturity model"
            return key if key is not None and key[0] == wanted else None
    return None


def _local(expressions: Iterable[ast.Expr], names: Mapping[str, Key]) -> _Local:
    deepest, references = 0, []
    stack = [(expr, 1) for expr in expressions]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        key = _named(node, names)
        if key is not None:
            references.append((key, depth + (VERDICT_HOP if key[0] == "policy" else 0)))
        stack.extend((child, depth + 1) for child in _children(node))
    return _Local(deepest, tuple(references))


def _depths(locals_: Mapping[Key, _Local]) -> tuple[dict[Key, int], dict[Key, Key]]:
    """Each declaration's depth through the ones it names (post-order, explicit stack; a cycle, which
    the checker reports, counts as a dead end), and the named declaration that makes it deepest."""
    depth: dict[Key, int] = {}
    through: dict[Key, Key] = {}
    for root in locals_:
        if root in depth:
            continue
        path = {root}
        stack = [(root, iter(locals_[root].references))]
        while stack:
            key, references = stack[-1]
            for named, _ in references:
                if named in locals_ and named not in depth and named not in path:
                    path.add(named)
                    stack.append((named, iter(locals_[named].references)))
                    break
            else:
                stack.pop()
                path.discard(key)
                best = locals_[key].depth
                for named, at in locals_[key].references:
                    if at + depth.get(named, 0) > best:
                        best, through[key] = at + depth.get(named, 0), named
                depth[key] = best
    return depth, through


def _chain(key: Key, through: Mapping[Key, Key]) -> list[str]:
    names, seen = [key[1]], {key}
    while key in through and through[key] not in seen:
        key = through[key]
        seen.add(key)
        names.append(key[1])
    return names


def _reads_policies(key: Key, through: Mapping[Key, Key]) -> bool:
    """Whether the chain from `key` goes through a policy's verdict (`verdict(p)`)."""
    seen = {key}
    while True:
        if key[0] == "policy":
            return True
        if key not in through or through[key] in seen:
            return False
        key = through[key]
        seen.add(key)


def _shown(chain: list[str]) -> str:
    parts = [f"`{name}`" for name in chain]
    if len(parts) > 6:
        parts = [*parts[:3], f"… {len(parts) - 5} more …", *parts[-2:]]
    return " → ".join(parts)


def nesting_problems(
    declared: Iterable[Declared], uses: Iterable[tuple[Span, tuple[ast.Expr, ...]]]
) -> list[Diagnostic]:
    """DL-CHECK-LIMIT for each declaration, and each use (a rule, a `where`), that goes deeper than
    MAX_DEPTH through the definitions it names, when what it names does not already go too deep."""
    declarations = {item.key: item for item in declared}
    names = {key[1]: key for key in declarations}
    locals_ = {key: _local(item.expressions, names) for key, item in declarations.items()}
    depth, through = _depths(locals_)
    problems = []
    for key, item in declarations.items():
        named = through.get(key)
        if key[0] == "policy":  # reported at its rules, as uses
            continue
        if depth[key] > MAX_DEPTH and (named is None or depth[named] <= MAX_DEPTH):
            problems.append(_too_deep(f"{key[0]} `{key[1]}`", depth[key], item.span, _chain(key, through)))
    for span, expressions in uses:
        local = _local(expressions, names)
        total, deepest = local.depth, None
        for named, at in local.references:
            if at + depth.get(named, 0) > total:
                total, deepest = at + depth.get(named, 0), named
        if total > MAX_DEPTH and (deepest is None or depth[deepest] <= MAX_DEPTH):
            chain = _chain(deepest, through) if deepest is not None else []
            policies = deepest is not None and _reads_policies(deepest, through)
            noun = "declaration" if policies else "definition"
            problems.append(_too_deep("this expression", total, span, chain, noun))
    return problems


def _too_deep(what: str, depth: int, span: Span, chain: list[str], noun: str = "definition") -> Diagnostic:
    if len(chain) == 1:
        through = f" through the {noun} `{chain[0]}`"
    else:
        through = f" through {len(chain)} {noun}s ({_shown(chain)})" if chain else ""
    return Diagnostic(
        "DL-CHECK-LIMIT",
        f"{what} nests {depth} levels deep{through}, more than the {MAX_DEPTH} allowed",
        span=span,
        help="shorten the chain: one definition can combine several terms (`a + b + c`)",
    )

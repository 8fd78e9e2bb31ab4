"""Where each name of a decision repo is declared and where it is read: the table behind hover, go
to definition, find references and document symbols.

Declarations are read from each policy file as parsed (`parse_module`); references from the
checked program (`Program.resolutions`: what the checker resolved each name to), so a name means
here exactly what it means to the engine.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from decisionlang.core.spans import SourceFile as LinedSource
from decisionlang.core.spans import Span
from decisionlang.language import ast
from decisionlang.language.checker import (
    ConstRef,
    DefineRef,
    FieldRef,
    ItemFieldRef,
    Program,
    ScaleValueRef,
    SideRef,
    TradeoffRef,
)
from decisionlang.language.parser import parse_module

# What a name stands for: ("field", path), ("const", name), ("define", name), ("scale", name),
# ("value", scale, value), ("criteria", name), ("tradeoff", name), ("maturity", name),
# ("policy", name), ("rule", policy, rule), ("import", path).
Key = tuple[str, ...]


@dataclass(frozen=True)
class Declared:
    """One declaration: what it is, where its name stands, and the node that declares it."""

    key: Key
    span: Span  # the name itself
    node: ast.Node
    whole: Span  # the whole declaration (for document symbols)
    children: tuple[Declared, ...] = ()


@dataclass
class Index:
    """Every declaration and every reference of the project's policy files."""

    declarations: dict[Key, Declared] = field(default_factory=dict)
    by_file: dict[str, list[Declared]] = field(default_factory=dict)  # top-level, in file order
    references: list[tuple[Span, Key]] = field(default_factory=list)

    def at(self, path: str, line: int, column: int) -> tuple[Span, Key] | None:
        """The name at a 1-based (line, column) of PATH: a reference, or a declaration's name.
        The innermost wins (`risk.security` over `risk`)."""
        found: list[tuple[Span, Key]] = [
            (span, key) for span, key in self.references if span.path == path and _inside(span, line, column)
        ]
        found += [
            (declared.span, declared.key)
            for declared in self.declarations.values()
            if declared.span.path == path and _inside(declared.span, line, column)
        ]
        if not found:
            return None
        return min(found, key=lambda item: _size(item[0]))

    def uses(self, key: Key) -> list[Span]:
        return sorted((span for span, used in self.references if used == key), key=_order)


def _inside(span: Span, line: int, column: int) -> bool:
    if (line, column) < (span.line, span.column):
        return False
    return (line, column) <= (span.end_line, span.end_column)  # the end too: the cursor after a name


def _size(span: Span) -> tuple[int, int]:
    return (span.end_line - span.line, span.end_column - span.column)


def _order(span: Span) -> tuple[str, int, int]:
    return (span.path, span.line, span.column)


# ---------------------------------------------------------------- building


def build_index(texts: Mapping[str, str], program: Program) -> Index:
    """The index of the policy files among TEXTS (root-relative path -> text) and PROGRAM."""
    index = Index()
    for path in sorted(texts):
        if not path.endswith(".policy"):
            continue
        top = declarations_of(path, texts[path])
        index.by_file[path] = top
        for declared in top:
            for each in (declared, *declared.children):
                index.declarations.setdefault(each.key, each)
    for node in program.declarations():
        _collect(node, program, index.references)
    return index


_RULE_NAME = re.compile(r"\s*(?:go|no_go|not_yet|warn)\s+([A-Za-z_][A-Za-z0-9_]*)")


def name_span(whole: Span, name: str) -> Span:
    """The span of NAME as written first in a declaration spanning WHOLE (the whole span when it is
    the name itself)."""
    if whole.line == whole.end_line and whole.text() == name:
        return whole
    text = whole.source.line_text(whole.line)
    match = re.compile(rf"(?<![\w.]){re.escape(name)}(?![\w])").search(text, whole.column - 1)
    if match is None:
        return whole
    return Span(whole.source, whole.line, match.start() + 1, whole.line, match.end() + 1)


def _declared(declaration: ast.Declaration) -> list[Declared]:
    span = declaration.span
    if isinstance(declaration, ast.ScaleDecl):
        values = tuple(
            Declared(("value", declaration.name, value), value_span, declaration, value_span)
            for value, value_span in zip(declaration.values, declaration.value_spans, strict=False)
        )
        scale = name_span(span, declaration.name)
        return [Declared(("scale", declaration.name), scale, declaration, span, values)]
    if isinstance(declaration, ast.SchemaDecl):
        return [
            Declared(("field", decl.path), _field_name(decl), decl, decl.span) for decl in declaration.fields
        ]
    if isinstance(declaration, ast.ConstDecl):
        return [Declared(("const", declaration.name), name_span(span, declaration.name), declaration, span)]
    if isinstance(declaration, ast.DefineDecl):
        return [Declared(("define", declaration.name), name_span(span, declaration.name), declaration, span)]
    if isinstance(declaration, ast.CriteriaDecl):
        return [
            Declared(("criteria", declaration.name), name_span(span, declaration.name), declaration, span)
        ]
    if isinstance(declaration, ast.TradeoffDecl):
        return [
            Declared(("tradeoff", declaration.name), name_span(span, declaration.name), declaration, span)
        ]
    if isinstance(declaration, ast.MaturityDecl):
        return [
            Declared(("maturity", declaration.name), name_span(span, declaration.name), declaration, span)
        ]
    if isinstance(declaration, ast.PolicyDecl):
        rules = tuple(
            Declared(("rule", declaration.name, rule.name), _rule_name(rule), rule, rule.span)
            for rule in declaration.rules
            if rule.name
        )
        whole = _policy_extent(declaration)
        return [
            Declared(
                ("policy", declaration.name), name_span(span, declaration.name), declaration, whole, rules
            )
        ]
    if isinstance(declaration, ast.Import):
        return [Declared(("import", declaration.path), span, declaration, span)]
    return []


def declarations_of(path: str, text: str) -> list[Declared]:
    """The top-level declarations of one policy file as it stands (none when it does not parse)."""
    module, _ = parse_module(LinedSource(path, text))
    if module is None:
        return []
    return [declared for declaration in module.declarations for declared in _declared(declaration)]


def _field_name(decl: ast.FieldDecl) -> Span:
    span = decl.span
    return Span(span.source, span.line, span.column, span.line, span.column + len(decl.path))


def _rule_name(rule: ast.RuleDecl) -> Span:
    span = rule.span
    match = _RULE_NAME.match(span.source.line_text(span.line), span.column - 1)
    if match is None or rule.name is None:
        return span
    return Span(span.source, span.line, match.start(1) + 1, span.line, match.end(1) + 1)


def _policy_extent(policy: ast.PolicyDecl) -> Span:
    """From `policy` to its last rule (a policy's own span is its name)."""
    last = policy.span
    for node in (policy.selector, *policy.rules, policy.otherwise):
        if node is not None and (node.span.end_line, node.span.end_column) > (last.end_line, last.end_column):
            last = node.span
    return Span(policy.span.source, policy.span.line, 1, last.end_line, last.end_column + 1)


def _collect(root: ast.Node, program: Program, found: list[tuple[Span, Key]]) -> None:
    stack: list[object] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            stack.extend(node)
            continue
        if not isinstance(node, ast.Node):
            continue
        key = _reference(node, program)
        if key is not None:
            found.append((node.span, key))
            if isinstance(node, ast.Attribute):
                continue  # `risk.security` is one field: `risk` alone names nothing
        if isinstance(node, ast.Call):
            target = call_target(node)
            if target is not None:
                found.append((node.args[0].span, target))
        stack.extend(getattr(node, item.name) for item in dataclasses.fields(node) if item.name != "span")


def _reference(node: ast.Node, program: Program) -> Key | None:
    resolution = program.resolutions.get(id(node))
    if isinstance(resolution, FieldRef) and resolution.variable is None and resolution.via is None:
        return ("field", resolution.path)
    if isinstance(resolution, ItemFieldRef):
        return None
    if isinstance(resolution, ConstRef):
        return ("const", resolution.name)
    if isinstance(resolution, DefineRef):
        return ("define", resolution.name)
    if isinstance(resolution, TradeoffRef):
        return ("tradeoff", resolution.name)
    if isinstance(resolution, SideRef):
        return ("tradeoff", resolution.tradeoff)
    if isinstance(resolution, ScaleValueRef):
        return ("value", resolution.scale.name, resolution.value)
    return None


def call_target(node: ast.Call) -> Key | None:
    """What a call names by its first argument: `score(value_case)` a criteria."""
    if not node.args or not isinstance(node.args[0], ast.Name):
        return None
    if node.function == "score":
        return ("criteria", node.args[0].name)
    if node.function in ("level", "level_name", "at_least"):
        return ("maturity", node.args[0].name)
    return None

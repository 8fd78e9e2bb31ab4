"""Namespaces: what `import "..." as lib` means, settled before the checker runs.

The project's own files share one namespace, named "". A file imported `as lib` is loaded into the
namespace `lib`, together with the files it imports plainly; inside it, bare names mean that
namespace's declarations, and elsewhere they are written `lib.name`. This pass gives every
declaration of a namespace its qualified name (`lib.name`) and rewrites every reference to it, so
the checker, the compiler and every report see one flat table of unique names, and policy and rule
ids say where they come from (`lib.dora_delivery.meets_expected_class`). State fields are not
names of a namespace: every namespace reads the same facts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass, replace
from typing import Any, TypeVar

from decisionlang.core.diagnostics import Diagnostic
from decisionlang.language import ast

__all__ = ["local_name", "namespace_of", "qualify", "resolve"]

_N = TypeVar("_N")

# Names that take a path after them (`speed_vs_robustness.speed`, `criticality.high`): the others are
# only ever read bare, so a path that starts with them is a state field (`cost.monthly_eur`).
_PATH_HEADS = (ast.TradeoffDecl, ast.ScaleDecl)
# Names read bare: a scale's name alone is never a value (`criticality` alone is the state field).
_BARE = (ast.ConstDecl, ast.DefineDecl, ast.CriteriaDecl, ast.TradeoffDecl, ast.MaturityDecl, ast.PolicyDecl)


def qualify(namespace: str, name: str) -> str:
    return f"{namespace}.{name}" if namespace else name


def namespace_of(name: str) -> str:
    """The namespace of a qualified declaration name: "" for the project's own."""
    return name.rpartition(".")[0]


def local_name(name: str) -> str:
    return name.rpartition(".")[2]


def resolve(modules: list[ast.Module]) -> tuple[list[ast.Module], list[Diagnostic]]:
    """The modules with qualified names, and the aliases that clash with a declaration."""
    if all(not module.namespace and not _aliases_of(module) for module in modules):
        return modules, []  # no namespace at all: the tree is already what the checker reads
    declared: dict[str, dict[str, ast.Declaration]] = {}
    for module in modules:
        table = declared.setdefault(module.namespace, {})
        for decl in module.declarations:
            name = getattr(decl, "name", None)
            if isinstance(name, str) and not isinstance(decl, ast.Import):
                table.setdefault(name, decl)
    aliases: dict[str, dict[str, str]] = {}
    diagnostics: list[Diagnostic] = []
    for module in modules:
        for alias, span in _aliases_of(module):
            aliases.setdefault(module.namespace, {})[alias] = qualify(module.namespace, alias)
            clash = declared.get(module.namespace, {}).get(alias)
            if clash is not None:
                diagnostics.append(
                    Diagnostic(
                        "DL-CHECK-DUPLICATE",
                        f"the import alias `{alias}` is also the name of a declaration",
                        span=span,
                        help=f"`{alias}` is declared at {clash.span}; choose another alias",
                    )
                )
    resolved = [_Qualifier(module.namespace, declared, aliases).module(module) for module in modules]
    return resolved, diagnostics


def _aliases_of(module: ast.Module) -> list[tuple[str, Any]]:
    return [
        (decl.alias, decl.span)
        for decl in module.declarations
        if isinstance(decl, ast.Import) and decl.alias is not None
    ]


class _Qualifier:
    """Rewrites one module of a namespace: its declarations' names and every reference to a name."""

    def __init__(
        self,
        namespace: str,
        declared: Mapping[str, Mapping[str, ast.Declaration]],
        aliases: Mapping[str, Mapping[str, str]],
    ) -> None:
        self.namespace = namespace
        self.own = declared.get(namespace, {})
        self.declared = declared
        self.aliases = aliases.get(namespace, {})

    def module(self, module: ast.Module) -> ast.Module:
        return replace(module, declarations=tuple(self.declaration(decl) for decl in module.declarations))

    def declaration(self, decl: ast.Declaration) -> ast.Declaration:
        if isinstance(decl, ast.Import):
            return decl
        changes: dict[str, Any] = {}
        name = getattr(decl, "name", None)
        if isinstance(name, str) and self.namespace:
            changes["name"] = qualify(self.namespace, name)
        bound: frozenset[str] = frozenset()
        if isinstance(decl, ast.TradeoffDecl):
            bound = frozenset((decl.first.name, decl.second.name))  # the sides, inside `acceptable`
        for item in fields(decl):
            if item.name in ("name", "span") or item.name in changes:
                continue
            value = getattr(decl, item.name)
            rewritten = self.value(value, bound if item.name == "acceptable" else frozenset())
            if rewritten is not value:
                changes[item.name] = rewritten
        return replace(decl, **changes) if changes else decl

    # -- any part of a declaration

    def value(self, value: _N, bound: frozenset[str]) -> _N:
        result: Any
        if isinstance(value, ast.Expr):
            result = self.expr(value, bound)
        elif isinstance(value, tuple):
            items = tuple(self.value(item, bound) for item in value)
            result = value if all(a is b for a, b in zip(items, value, strict=True)) else items
        elif isinstance(value, ast.TypeRef):
            result = self.type_ref(value)
        elif isinstance(value, ast.CriterionTerm):
            result = self.node(value, bound)
            if value.weight_constant is not None and self._own(value.weight_constant):
                result = replace(result, weight_constant=qualify(self.namespace, value.weight_constant))
        elif isinstance(value, ast.Node) and is_dataclass(value):
            result = self.node(value, bound)
        else:
            result = value
        return result  # type: ignore[no-any-return]

    def node(self, node: _N, bound: frozenset[str]) -> _N:
        """Any other node (a rule, a level, a message, a field of the schema): its parts rewritten."""
        assert is_dataclass(node)
        changes: dict[str, Any] = {}
        for item in fields(node):
            if item.name == "span":
                continue
            value = getattr(node, item.name)
            rewritten = self.value(value, bound)
            if rewritten is not value:
                changes[item.name] = rewritten
        return replace(node, **changes) if changes else node  # type: ignore[type-var]

    def type_ref(self, ref: ast.TypeRef) -> ast.TypeRef:
        element = self.type_ref(ref.element) if ref.element is not None else None
        name = qualify(self.namespace, ref.name) if self._own(ref.name, ast.ScaleDecl) else ref.name
        if name == ref.name and element is ref.element:
            return ref
        return replace(ref, name=name, element=element)

    # -- expressions

    def expr(self, node: ast.Expr, bound: frozenset[str]) -> ast.Expr:
        if isinstance(node, ast.Name | ast.Attribute):
            path = _path(node)
            if path is not None:
                return self.path(node, path, bound)
        variable = getattr(node, "variable", None)
        if isinstance(variable, str):  # a binding (`d in depends_on: ...`): `d` is local in the body
            changes: dict[str, Any] = {}
            for item in fields(node):
                if item.name == "span":
                    continue
                value = getattr(node, item.name)
                inner = bound if item.name == "collection" else bound | {variable}
                rewritten = self.value(value, inner)
                if rewritten is not value:
                    changes[item.name] = rewritten
            return replace(node, **changes) if changes else node
        return self.node(node, bound)

    def path(self, node: ast.Expr, path: list[str], bound: frozenset[str]) -> ast.Expr:
        head, rest = path[0], path[1:]
        if head in bound:
            # `t.h1_secured`: a definition evaluated for the bound subject `t`
            if len(rest) == 1 and self._own(rest[0], ast.DefineDecl):
                assert isinstance(node, ast.Attribute)
                return replace(node, name=qualify(self.namespace, rest[0]))
            return node
        if head in self.aliases and rest:
            target = self.aliases[head]
            if rest[0] in self.declared.get(target, {}):
                return _rebuild(node, [qualify(target, rest[0]), *rest[1:]], skip=1)
            return node  # a state field whose first part is spelt like the alias (`dora.lead_time_hours`)
        if self.namespace and (
            (not rest and self._own(head, *_BARE)) or (rest and self._own(head, *_PATH_HEADS))
        ):
            return _rebuild(node, [qualify(self.namespace, head), *rest])
        return node

    def _own(self, name: str, *kinds: type[ast.Declaration]) -> bool:
        """Whether `name` is declared in this namespace (of one of `kinds`, when given)."""
        if not self.namespace:
            return False  # the project's own names keep their spelling
        decl = self.own.get(name)
        return decl is not None and (not kinds or isinstance(decl, kinds))


def _path(node: ast.Expr) -> list[str] | None:
    if isinstance(node, ast.Name):
        return [node.name]
    if isinstance(node, ast.Attribute):
        base = _path(node.base)
        return None if base is None else [*base, node.name]
    return None


def _rebuild(node: ast.Expr, path: Iterable[str], skip: int = 0) -> ast.Expr:
    """`a.b.c` as nodes again, each with the span of the part of the text it stands for; `skip`
    parts of the original were folded into the first one (`lib.name`, written `lib` `.name`)."""
    prefixes: list[ast.Expr] = []
    current: ast.Expr = node
    while isinstance(current, ast.Attribute):
        prefixes.append(current)
        current = current.base
    prefixes.append(current)
    prefixes.reverse()  # the node of `a`, of `a.b`, of `a.b.c`
    parts = list(path)
    spans = [prefix.span for prefix in prefixes[skip:]]
    result: ast.Expr = ast.Name(parts[0], span=spans[0])
    for part, span in zip(parts[1:], spans[1:], strict=True):
        result = ast.Attribute(result, part, span=span)
    return result

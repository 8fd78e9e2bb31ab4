"""Static checks: names, fields, types, scales, duplicates, dead rules. Produces the checked program.

The checker resolves every name once and records, per expression node, what it refers to
(`Resolution`) and its static type. The compiler reads those tables; it never resolves names again.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from decisionlang.core.diagnostics import Diagnostic, Severity
from decisionlang.core.format import show_number
from decisionlang.core.hints import did_you_mean
from decisionlang.core.spans import Span
from decisionlang.language import ast
from decisionlang.language.namespaces import local_name, namespace_of
from decisionlang.language.nesting import Declared, nesting_problems
from decisionlang.language.patterns import BadPattern, compile_pattern
from decisionlang.language.types import (
    ANY,
    BOOL,
    BUILTIN_FIELDS,
    DATE,
    DATETIME,
    DERIVED_FIELDS,
    DURATION,
    GROUP,
    NUMBER,
    PRIMITIVES,
    SUBJECT,
    TEXT,
    VERDICT,
    FieldSpec,
    ListType,
    RecordType,
    ScaleType,
    TableType,
    Type,
    compatible,
    list_of,
    record_of,
)

MAX_ERRORS_PER_FILE = 50


# ---------------------------------------------------------------- resolutions


@dataclass(frozen=True)
class FieldRef:
    """A state field, of the subject being evaluated (`variable` None) or of a bound subject."""

    path: str
    spec: FieldSpec
    variable: str | None = None
    via: str | None = None  # a `subject` field to go through first: `primary.tier` with `primary: subject`


@dataclass(frozen=True)
class ConstRef:
    name: str


@dataclass(frozen=True)
class DefineRef:
    name: str
    variable: str | None = None  # `t.h1_secured`: the definition evaluated for the bound subject `t`


@dataclass(frozen=True)
class TradeoffRef:
    name: str


@dataclass(frozen=True)
class SideRef:
    tradeoff: str
    side: str


@dataclass(frozen=True)
class ScaleValueRef:
    scale: ScaleType
    value: str


@dataclass(frozen=True)
class VariableRef:
    name: str


@dataclass(frozen=True)
class ItemFieldRef:
    """A field of a list item bound by an aggregate: `pr.age_days`, `c.after.size` (S45)."""

    variable: str
    names: tuple[str, ...]  # the fields followed from the item, outermost first
    spec: FieldSpec  # the last one's
    then: FieldRef | None = None  # `l.target.tier`: a field of the subject the last one names


@dataclass(frozen=True)
class GroupRef:
    """`git` when fields below it are declared (`git.stars`): only its presence is tested (S46)."""

    path: str
    variable: str | None = None  # a bound subject's group: `d.git is present`


@dataclass(frozen=True)
class PortfolioRef:
    """`subjects`: every subject of the portfolio, in name order (S46)."""


PORTFOLIO = "subjects"

Resolution = (
    FieldRef
    | ConstRef
    | DefineRef
    | TradeoffRef
    | SideRef
    | ScaleValueRef
    | VariableRef
    | ItemFieldRef
    | GroupRef
    | PortfolioRef
)


# ---------------------------------------------------------------- checked program


@dataclass
class Program:
    """Declarations of every loaded file, with the checker's tables of resolutions and types."""

    scales: dict[str, ScaleType] = field(default_factory=dict)
    scale_decls: dict[str, ast.ScaleDecl] = field(default_factory=dict)  # where each scale is written
    fields: dict[str, FieldSpec] = field(default_factory=dict)  # declared schema (no builtins)
    constants: dict[str, ast.ConstDecl] = field(default_factory=dict)
    defines: dict[str, ast.DefineDecl] = field(default_factory=dict)
    criteria: dict[str, ast.CriteriaDecl] = field(default_factory=dict)
    tradeoffs: dict[str, ast.TradeoffDecl] = field(default_factory=dict)
    maturities: dict[str, ast.MaturityDecl] = field(default_factory=dict)
    policies: dict[str, ast.PolicyDecl] = field(default_factory=dict)
    rule_ids: dict[int, str] = field(default_factory=dict)  # id(RuleDecl | Requirement | term) -> stable id
    resolutions: dict[int, Resolution] = field(default_factory=dict)
    types: dict[int, Type] = field(default_factory=dict)
    term_ranges: dict[int, tuple[float, float]] = field(default_factory=dict)  # id(CriterionTerm) -> range
    term_weights: dict[int, float] = field(default_factory=dict)  # id(CriterionTerm) -> weight from a const

    def weight_of(self, term: ast.CriterionTerm) -> float:
        return self.term_weights.get(id(term), term.weight)

    def declarations(self) -> Iterator[ast.Node]:
        """Every declaration that holds expressions or names (policies, defines, consts, criteria,
        trade-offs, maturity models); the scales, which hold neither, are in `scale_decls`."""
        yield from self.policies.values()
        yield from self.defines.values()
        yield from self.constants.values()
        yield from self.criteria.values()
        yield from self.tradeoffs.values()
        yield from self.maturities.values()

    def all_fields(self) -> dict[str, FieldSpec]:
        return {**BUILTIN_FIELDS, **DERIVED_FIELDS, **self.fields}

    def type_of(self, node: ast.Expr) -> Type:
        return self.types.get(id(node), ANY)


def rule_id(policy: str, rule: ast.RuleDecl, ordinal: int) -> str:
    return f"{policy}.{rule.name}" if rule.name else f"{policy}.{rule.kind.value}#{ordinal}"


# ---------------------------------------------------------------- the checker


@dataclass
class _Scope:
    """What bare names mean where an expression stands."""

    variables: Mapping[str, Type] = field(default_factory=dict)
    sides: tuple[str, Mapping[str, ast.Expr]] | None = None  # inside a trade-off's `acceptable`
    constant_only: bool = False  # inside `const`: no state fields
    description: str = "expression"
    namespace: str = ""  # whose declarations bare scale values are read from (see language.namespaces)


class Checker:
    def __init__(self, modules: list[ast.Module]) -> None:
        self.modules = modules
        self.program = Program()
        self.diagnostics: list[Diagnostic] = []
        self._declared_at: dict[str, Span] = {}
        self._in_progress: list[str] = []
        self._declared_types: dict[str, Type] = {}
        self._collisions: list[_Collision] = []
        self._group_paths: frozenset[str] | None = None
        self._strict_block = False  # declaring the fields of a `schema strict` block

    # -- reporting
    def error(self, code: str, message: str, span: Span | None, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span=span, help=help))

    def warning(self, code: str, message: str, span: Span | None, help: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span=span, help=help, severity=Severity.WARNING))

    # -- entry
    def check(self) -> tuple[Program, list[Diagnostic]]:
        self._collect()
        self._check_schema()
        if self._report_collisions():
            return self.program, _cap_per_file(self.diagnostics)
        too_deep = self._nesting_problems()
        if too_deep:  # the checks below recurse through definitions: they would not get to the end
            self.diagnostics += too_deep
            return self.program, _cap_per_file(self.diagnostics)
        for const in self.program.constants.values():
            self._check_const(const)
        for define in self.program.defines.values():
            self._define_type(define.name)
        for criteria in self.program.criteria.values():
            self._check_criteria(criteria)
        for tradeoff in self.program.tradeoffs.values():
            self._check_tradeoff(tradeoff)
        for maturity in self.program.maturities.values():
            self._check_maturity(maturity)
        for policy in self.program.policies.values():
            self._check_policy(policy)
        self._check_verdict_cycles()
        return self.program, _cap_per_file(self.diagnostics)

    def _nesting_problems(self) -> list[Diagnostic]:
        program = self.program
        declared = [
            *(Declared(("constant", c.name), c.span, (c.value,)) for c in program.constants.values()),
            *(Declared(("definition", d.name), d.span, (d.value,)) for d in program.defines.values()),
            *(
                Declared(("criteria", c.name), c.span, tuple(term.expr for term in c.terms))
                for c in program.criteria.values()
            ),
            *(
                Declared(("trade-off", t.name), t.span, (t.first.expr, t.second.expr, t.acceptable))
                for t in program.tradeoffs.values()
            ),
            *(
                Declared(
                    ("maturity model", m.name),
                    m.span,
                    tuple(
                        expr
                        for level in m.levels
                        for requirement in level.requirements
                        for expr in (requirement.condition, *_parts(requirement.because))
                    ),
                )
                for m in program.maturities.values()
            ),
        ]
        declared += [  # a policy is named by `verdict(p)`, which decides it first
            Declared(("policy", policy.name), policy.span, tuple(_policy_exprs(policy)))
            for policy in program.policies.values()
        ]
        uses: list[tuple[Span, tuple[ast.Expr, ...]]] = []
        for policy in program.policies.values():
            if policy.selector is not None and policy.selector.where is not None:
                uses.append((policy.selector.where.span, (policy.selector.where,)))
            for rule in policy.rules:
                uses.append((rule.span, (rule.condition, *_parts(rule.because), *_parts(rule.until))))
            if policy.otherwise is not None:
                otherwise = policy.otherwise
                uses.append((otherwise.span, (*_parts(otherwise.message), *_parts(otherwise.until))))
        return nesting_problems(declared, uses)

    # -- declarations
    def _declare(self, name: str, what: str, span: Span) -> bool:
        previous = self._declared_at.get(name)
        if previous is not None:
            self._collide(
                _Collision(
                    f"{what} `{name}`",
                    span,
                    previous,
                    Diagnostic(
                        "DL-CHECK-DUPLICATE",
                        f"{what} `{name}` is declared twice",
                        span=span,
                        help=f"first declared at {previous}; rename one of them",
                    ),
                )
            )
            return False
        self._declared_at[name] = span
        return True

    def _collide(self, collision: _Collision) -> None:
        self._collisions.append(collision)

    def _report_collisions(self) -> bool:
        """Report the names declared twice. When two files share many (a file copied twice into a
        repo, two vocabularies of the same facts), the pair is reported once, with its root cause,
        and the copies of several files of one folder in another are one report; True then, as
        every later error would only follow from it."""
        pairs: dict[tuple[str, str], list[_Collision]] = {}
        for collision in self._collisions:
            pairs.setdefault((collision.previous.path, collision.span.path), []).append(collision)
        copies: dict[tuple[str, str], list[tuple[str, list[_Collision]]]] = {}
        grouped = False
        for (first, second), collisions in pairs.items():
            names = [c for c in collisions if c.diagnostic.code == "DL-CHECK-DUPLICATE"]
            if first == second or (
                len(names) < COPY_THRESHOLD and len(collisions) - len(names) < COPY_THRESHOLD
            ):
                self.diagnostics.extend(collision.diagnostic for collision in collisions)
                continue
            grouped = True
            if len(names) >= COPY_THRESHOLD:
                folders = sorted((posixpath.dirname(first), posixpath.dirname(second)))
                if posixpath.basename(first) == posixpath.basename(second):
                    key = (folders[0], folders[1])
                    copies.setdefault(key, []).append((posixpath.basename(first), collisions))
                    continue
                self._report_copy(first, second, collisions)
            else:
                shown = _listing_of(collisions)
                message = f"`{second}` and `{first}` describe {len(collisions)} state fields differently"
                help = (
                    "a state field has one type, range and unit for every policy that reads it, whichever "
                    "file declares it: align the declarations, or keep your own facts under other names"
                )
                self.error("DL-CHECK-SCHEMA", f"{message}: {shown}", collisions[0].span, help=help)
        for (first, second), files in copies.items():
            if len(files) == 1:
                name, collisions = files[0]
                self._report_copy(posixpath.join(first, name), posixpath.join(second, name), collisions)
                continue
            files.sort(key=lambda file: file[0])
            shown = ", ".join(name for name, _ in files)
            count = sum(len(collisions) for _, collisions in files)
            message = (
                f"`{first or '.'}/` and `{second or '.'}/` hold the same {len(files)} files ({shown}): "
                f"{count} names declared twice"
            )
            self.error("DL-CHECK-DUPLICATE", message, files[0][1][0].span, help=_COPY_HELP)
        return grouped

    def _report_copy(self, first: str, second: str, collisions: list[_Collision]) -> None:
        message = f"`{second}` declares {len(collisions)} names that `{first}` declares already"
        self.error(
            "DL-CHECK-DUPLICATE", f"{message}: {_listing_of(collisions)}", collisions[0].span, _COPY_HELP
        )

    def _collect(self) -> None:
        program = self.program
        tables: list[tuple[type[ast.Declaration], str, dict[str, Any]]] = [
            (ast.ConstDecl, "constant", program.constants),
            (ast.DefineDecl, "definition", program.defines),
            (ast.CriteriaDecl, "criteria", program.criteria),
            (ast.TradeoffDecl, "trade-off", program.tradeoffs),
            (ast.MaturityDecl, "maturity model", program.maturities),
            (ast.PolicyDecl, "policy", program.policies),
        ]
        for module in self.modules:
            for decl in module.declarations:
                if isinstance(decl, ast.ScaleDecl):
                    if self._declare(decl.name, "scale", decl.span):
                        self._collect_scale(decl)
                    continue
                for kind, what, table in tables:
                    name = getattr(decl, "name", None)
                    if isinstance(decl, kind) and name is not None and self._declare(name, what, decl.span):
                        table[name] = decl

    def _no_duplicates(
        self, names: Sequence[str], spans: Sequence[Span], where: str, rule: str, what: str
    ) -> None:
        """Report each name of `names` met a second time (DL-CHECK-DUPLICATE), pointing at the first."""
        seen: dict[str, Span] = {}
        for name, span in zip(names, spans, strict=True):
            if name in seen:
                self.error(
                    "DL-CHECK-DUPLICATE",
                    f"{what} `{name}` appears twice {where}",
                    span,
                    help=f"first at {seen[name]}; {rule}",
                )
            seen.setdefault(name, span)

    def _collect_scale(self, decl: ast.ScaleDecl) -> None:
        self._no_duplicates(
            decl.values,
            decl.value_spans,
            f"in scale `{decl.name}`",
            "each value of a scale has one rank",
            "value",
        )
        # Named without its namespace: `lib.criticality` and the project's `criticality`, with the same
        # values in the same order, are one type, so a field both declare is one field.
        scale = ScaleType(local_name(decl.name), tuple(dict.fromkeys(decl.values)))
        self.program.scales[decl.name] = scale
        self.program.scale_decls[decl.name] = decl

    # -- schema
    def _resolve_type(self, ref: ast.TypeRef) -> Type:
        if ref.element is not None:
            return list_of(self._resolve_type(ref.element))
        if ref.name == "record" and ref.fields:
            return self._record_type(ref)
        if ref.name in PRIMITIVES:
            return PRIMITIVES[ref.name]
        if ref.name in self.program.scales:
            return self.program.scales[ref.name]
        hint = did_you_mean(ref.name, [*PRIMITIVES, *self.program.scales])
        self.error(
            "DL-CHECK-UNKNOWN-TYPE",
            f"unknown type `{ref.name}`",
            ref.span,
            help=hint or f"use one of {', '.join(PRIMITIVES)}, `list of T`, or the name of a declared scale",
        )
        return ANY

    def _check_schema(self) -> None:
        reserved = {**BUILTIN_FIELDS, **DERIVED_FIELDS}
        for module in self.modules:
            for decl in module.declarations:
                if not isinstance(decl, ast.SchemaDecl):
                    continue
                self._strict_block = decl.strict
                for field_decl in decl.fields:
                    self._declare_field(field_decl, reserved)
        self._strict_block = False
        fields = self.program.fields
        for path, spec in fields.items():
            prefix = path
            while "." in prefix:
                prefix = prefix.rsplit(".", 1)[0]
                if prefix in fields:
                    problem = Diagnostic(
                        "DL-CHECK-SCHEMA",
                        f"`{path}` is nested under `{prefix}`, which is declared as a value",
                        span=spec.span,
                        help=f"declare either `{prefix}` or fields below it, not both"
                        + (
                            f" (`{prefix}` is declared at {fields[prefix].span})"
                            if fields[prefix].span
                            else ""
                        ),
                    )
                    previous = fields[prefix].span
                    if previous is not None and spec.span is not None:
                        self._collide(
                            _Collision(f"field `{path}` under `{prefix}`", spec.span, previous, problem)
                        )
                    else:
                        self.diagnostics.append(problem)

    def _record_type(self, ref: ast.TypeRef) -> RecordType:
        """`{ status: text, age_days: integer >= 0 }`: each field checked as a schema field is."""
        specs: dict[str, FieldSpec] = {}
        for decl in ref.fields:
            spec = self._field_spec(decl, self._resolve_type(decl.type))
            if decl.path in specs:
                self.error(
                    "DL-CHECK-DUPLICATE",
                    f"field `{decl.path}` appears twice in `{ref.span.text()}`",
                    decl.span,
                    help=f"first at {specs[decl.path].span}; each field of an object is declared once",
                )
                continue
            specs[decl.path] = spec
        return record_of(tuple(specs.values()))

    def _field_spec(self, decl: ast.FieldDecl, type_: Type) -> FieldSpec:
        """The spec of a declared field (a state field, or a field of a record), its options checked."""
        spec = FieldSpec(
            decl.path,
            type_,
            integer=decl.type.name == "integer",
            minimum=decl.minimum,
            maximum=decl.maximum,
            unit=decl.unit,
            description=decl.description,
            required=decl.required,
            allowed=decl.allowed,
            fixed=decl.fixed,
            fresh_days=None if decl.fresh is None else decl.fresh.days,
            fresh_text=None if decl.fresh is None else decl.fresh.text,
            span=decl.span,
        )
        if decl.allowed is not None:
            self._check_allowed(decl, type_)
        if decl.fresh is not None and decl.fresh.days <= 0:
            self.error(
                "DL-CHECK-SCHEMA",
                f"`{decl.path}` is fresh for {decl.fresh.text}: a freshness period must be longer than zero",
                decl.fresh.span,
                help="give how long such a fact stays true, e.g. `fresh for 90 days`",
            )
        if (decl.minimum is not None or decl.maximum is not None) and type_ not in (NUMBER, DURATION, ANY):
            self.error(
                "DL-CHECK-SCHEMA",
                f"a range only applies to numbers and durations, and `{decl.path}` is {type_}",
                decl.span,
                help="remove the range, or declare the field as `number`, `integer` or `duration` (in days)",
            )
        if decl.minimum is not None and decl.maximum is not None and decl.minimum > decl.maximum:
            self.error(
                "DL-CHECK-SCHEMA",
                f"the range of `{decl.path}` is empty ({decl.minimum}..{decl.maximum})",
                decl.span,
                help="write the lower bound first",
            )
        return spec

    def _declare_field(self, decl: ast.FieldDecl, reserved: Mapping[str, FieldSpec]) -> None:
        type_ = self._resolve_type(decl.type)
        if isinstance(type_, RecordType):  # `git: { stars: integer }` is `git.stars: integer`
            self._declare_record(decl.path, decl.type, type_, reserved)
            return
        self._declare_spec(decl, None, reserved, type_)

    def _declare_record(
        self, prefix: str, ref: ast.TypeRef, record: RecordType, reserved: Mapping[str, FieldSpec]
    ) -> None:
        for inner in ref.fields:
            spec = record.by_name.get(inner.path)
            if spec is None or spec.span is not inner.span:  # a duplicate, already reported
                continue
            path = f"{prefix}.{inner.path}"
            if isinstance(spec.type, RecordType):
                self._declare_record(path, inner.type, spec.type, reserved)
            else:
                self._declare_spec(
                    dataclasses.replace(inner, path=path), dataclasses.replace(spec, path=path), reserved
                )

    def _declare_spec(
        self,
        decl: ast.FieldDecl,
        checked: FieldSpec | None,
        reserved: Mapping[str, FieldSpec],
        type_: Type | None = None,
    ) -> None:
        if checked is not None:
            type_ = checked.type
        assert type_ is not None
        builtin = reserved.get(decl.path)
        if builtin is not None and (builtin.type != type_ or decl.path not in BUILTIN_FIELDS):
            self.error(
                "DL-CHECK-SCHEMA",
                f"`{decl.path}` is built in and cannot be redeclared",
                decl.span,
                help=f"every subject already has `{decl.path}` ({builtin.type}); "
                + (
                    "a schema may only mark it `required`"
                    if decl.path in BUILTIN_FIELDS
                    else "it is computed from `depends_on`"
                ),
            )
            return
        if builtin is not None and decl.fresh is not None:
            self.error(
                "DL-CHECK-SCHEMA",
                f"`{decl.path}` is built in: it cannot be `fresh for` a period",
                decl.fresh.span,
                help="built-in fields say what a subject is, not an observation that ages; give the "
                "freshness to the declared fields its policies read",
            )
            return
        spec = checked if checked is not None else self._field_spec(decl, type_)
        # Declared in a `schema strict` block: the mappings it is written in are closed.
        spec = dataclasses.replace(spec, strict=self._strict_block)
        existing = self.program.fields.get(decl.path)
        if existing is not None:
            if _same_field(existing, spec):  # another file's words for the same fact: one field
                self.program.fields[decl.path] = _merged_field(existing, spec)
                return
            difference = _field_difference(existing, spec)
            problem = Diagnostic(
                "DL-CHECK-SCHEMA",
                f"`{decl.path}` is declared twice with different definitions ({difference})",
                span=decl.span,
                help=f"first declared at {existing.span}; a state field has one type, range and unit "
                "for every policy that reads it: keep one declaration",
            )
            if existing.span is not None:
                self._collide(_Collision(f"field `{decl.path}`", decl.span, existing.span, problem))
            else:
                self.diagnostics.append(problem)
            return
        self.program.fields[decl.path] = spec

    def _check_allowed(self, decl: ast.FieldDecl, type_: Type) -> None:
        """`integer in {1, 2, 3, 5, 8}`: a set of numbers, whole ones for an integer, inside any range."""
        assert decl.allowed is not None
        if type_ not in (NUMBER, ANY):
            self.error(
                "DL-CHECK-SCHEMA",
                f"a set of allowed values applies to numbers, and `{decl.path}` is {type_}",
                decl.span,
                help="for named values, declare a scale: `scale size { s < m < l }`",
            )
            return
        if decl.type.name == "integer" and any(not float(value).is_integer() for value in decl.allowed):
            self.error(
                "DL-CHECK-SCHEMA",
                f"`{decl.path}` is an integer, but its allowed values are not all whole numbers",
                decl.span,
                help="declare it `number in {...}`, or list whole numbers only",
            )
        low, high = decl.minimum, decl.maximum
        outside = [
            value
            for value in decl.allowed
            if (low is not None and value < low) or (high is not None and value > high)
        ]
        if outside:
            self.error(
                "DL-CHECK-SCHEMA",
                f"the allowed value {show_number(outside[0])} of `{decl.path}` is outside its range",
                decl.span,
                help="remove the range (the set says it all), or the values outside it",
            )

    # -- constants, definitions
    def _check_const(self, const: ast.ConstDecl) -> None:
        self._declared_type("constant", const.name)

    def _define_type(self, name: str) -> Type:
        return self._declared_type("definition", name)

    def _declared_type(self, what: str, name: str) -> Type:
        """The type of a constant or definition, checked once; cycles between them are errors."""
        if name in self._declared_types:
            return self._declared_types[name]
        decl: ast.ConstDecl | ast.DefineDecl = (
            self.program.constants[name] if what == "constant" else self.program.defines[name]
        )
        if name in self._in_progress:
            cycle = " -> ".join([*self._in_progress[self._in_progress.index(name) :], name])
            self.error(
                "DL-CHECK-CYCLE",
                f"{what} `{name}` refers to itself ({cycle})",
                decl.span,
                help=f"a {what} cannot depend on itself, directly or through others",
            )
            self._declared_types[name] = ANY
            return ANY
        self._in_progress.append(name)
        scope = _Scope(
            constant_only=what == "constant", description=f"{what} `{name}`", namespace=namespace_of(name)
        )
        type_ = self.expr(decl.value, scope)
        self._in_progress.pop()
        self._declared_types[name] = type_
        return type_

    # -- criteria, trade-offs, maturity
    def _check_criteria(self, criteria: ast.CriteriaDecl) -> None:
        if not criteria.terms:
            self.error(
                "DL-CHECK-CRITERIA", f"criteria `{criteria.name}` has no term", criteria.span, help=None
            )
        names: dict[str, Span] = {}
        for ordinal, term in enumerate(criteria.terms, start=1):
            label = term.name or f"term#{ordinal}"
            if label in names:
                self.error(
                    "DL-CHECK-DUPLICATE",
                    f"term `{label}` appears twice in criteria `{criteria.name}`",
                    term.span,
                    help=f"first at {names[label]}; name each term once",
                )
            names.setdefault(label, term.span)
            self.program.rule_ids[id(term)] = f"{criteria.name}.{label}"  # what a waiver names
            scope = _Scope(description=f"criteria `{criteria.name}`", namespace=namespace_of(criteria.name))
            type_ = self.expr(term.expr, scope)
            if not (type_ in (NUMBER, BOOL, ANY) or isinstance(type_, ScaleType)):
                self.error(
                    "DL-CHECK-TYPE",
                    f"a criteria term must be a number, a scale or a condition, not {type_}",
                    term.expr.span,
                    help="score numbers (or scale ranks); compare texts or dates to get a condition",
                )
            if term.weight_constant is not None:
                self._resolve_weight(term)
            elif term.weight == 0:
                self.warning(
                    "DL-CHECK-CRITERIA", "a term with weight 0 never counts", term.span, help="remove it"
                )
            term_range = self._term_range(term, type_)
            if term_range is not None:
                self.program.term_ranges[id(term)] = term_range
            elif criteria.normalize_to is not None:
                self.error(
                    "DL-CHECK-CRITERIA",
                    f"`normalize to` needs a range for every term of `{criteria.name}`",
                    term.expr.span,
                    help="add `over LOW..HIGH` after the weight, or declare a range for the field",
                )

    def _resolve_weight(self, term: ast.CriterionTerm) -> None:
        """`weight w_value`: a constant holding a number, so boards tune weights at the top of a file."""
        name = term.weight_constant
        assert name is not None
        const = self.program.constants.get(name)
        value = const.value if const is not None else None
        if isinstance(value, ast.Number):
            self.program.term_weights[id(term)] = value.value
            return
        if const is not None:
            hint = f"`{name}` is `{const.value.span.text()}`; a weight constant holds a plain number"
        else:
            hint = did_you_mean(name, self.program.constants) or f"declare it: `const {name} = 2`"
        message = f"the weight `{name}` must be a constant holding a number"
        self.error("DL-CHECK-CRITERIA", message, term.span, help=hint)

    def _term_range(self, term: ast.CriterionTerm, type_: Type) -> tuple[float, float] | None:
        if term.low is not None and term.high is not None:
            if term.low >= term.high:
                self.error(
                    "DL-CHECK-CRITERIA",
                    f"the range {term.low}..{term.high} is empty",
                    term.span,
                    help="write `over LOW..HIGH` with LOW < HIGH",
                )
                return None
            return (term.low, term.high)
        if isinstance(type_, ScaleType):
            return (1, len(type_.values))
        if type_ is BOOL:
            return (0, 1)
        resolution = self.program.resolutions.get(id(term.expr))
        if isinstance(resolution, FieldRef):
            spec = resolution.spec
            if spec.minimum is not None and spec.maximum is not None and spec.minimum < spec.maximum:
                return (spec.minimum, spec.maximum)
            if spec.allowed and min(spec.allowed) < max(spec.allowed):
                return (min(spec.allowed), max(spec.allowed))
        return None

    def _check_tradeoff(self, tradeoff: ast.TradeoffDecl) -> None:
        sides: dict[str, ast.Expr] = {}
        for side in (tradeoff.first, tradeoff.second):
            side_scope = _Scope(
                description=f"trade-off `{tradeoff.name}`", namespace=namespace_of(tradeoff.name)
            )
            type_ = self.expr(side.expr, side_scope)
            if type_ not in (NUMBER, DURATION, ANY):
                self.error(
                    "DL-CHECK-TYPE",
                    f"the side `{side.name}` of a trade-off must be a number, not {type_}",
                    side.expr.span,
                    help="a trade-off weighs two measures; use a number (or a duration)",
                )
            sides[side.name] = side.expr
        if tradeoff.first.name == tradeoff.second.name:
            self.error(
                "DL-CHECK-DUPLICATE",
                f"both sides of `{tradeoff.name}` are named `{tradeoff.first.name}`",
                tradeoff.second.span,
                help="name the two opposing measures differently, e.g. speed and robustness",
            )
        scope = _Scope(
            sides=(tradeoff.name, sides),
            description=f"trade-off `{tradeoff.name}`",
            namespace=namespace_of(tradeoff.name),
        )
        self.condition(tradeoff.acceptable, scope, "the acceptable zone")

    def _check_maturity(self, maturity: ast.MaturityDecl) -> None:
        seen: dict[str, Span] = {}
        for level in maturity.levels:
            if level.name in seen:
                self.error(
                    "DL-CHECK-DUPLICATE",
                    f"level `{level.name}` appears twice in `{maturity.name}`",
                    level.span,
                    help=f"first at {seen[level.name]}",
                )
            seen.setdefault(level.name, level.span)
            names: set[str] = set()
            for ordinal, requirement in enumerate(level.requirements, start=1):
                label = requirement.name or f"require#{ordinal}"
                if requirement.name and requirement.name in names:
                    self.error(
                        "DL-CHECK-DUPLICATE",
                        f"requirement `{requirement.name}` appears twice in level `{level.name}`",
                        requirement.span,
                    )
                names.add(label)
                self.program.rule_ids[id(requirement)] = f"{maturity.name}.{level.name}.{label}"
                scope = _Scope(
                    description=f"maturity `{maturity.name}`", namespace=namespace_of(maturity.name)
                )
                self.condition(requirement.condition, scope, "a requirement")
                if requirement.because:
                    self.message(requirement.because, scope)

    # -- policies
    def _check_policy(self, policy: ast.PolicyDecl) -> None:
        scope = _Scope(description=f"policy `{policy.name}`", namespace=namespace_of(policy.name))
        if policy.selector is not None and policy.selector.where is not None:
            self.condition(policy.selector.where, scope, "`where`")
        if policy.review is not None and policy.review.days <= 0:
            self.error(
                "DL-CHECK-REVIEW",
                f"policy `{policy.name}` asks for a review after {policy.review.text}: never due",
                policy.review.span,
                help="give a positive duration, e.g. `review after 6 months`",
            )
        if not policy.rules and policy.otherwise is None:
            self.warning(
                "DL-CHECK-EMPTY-POLICY",
                f"policy `{policy.name}` has no rule, so it always says GO",
                policy.span,
                help="add `no_go`, `not_yet`, `go` or `warn` rules",
            )
        ordinals: dict[ast.RuleKind, int] = {}
        ids: dict[str, Span] = {}
        for rule in policy.rules:
            ordinals[rule.kind] = ordinals.get(rule.kind, 0) + 1
            identifier = rule_id(policy.name, rule, ordinals[rule.kind])
            if identifier in ids:
                self.error(
                    "DL-CHECK-DUPLICATE",
                    f"rule id `{identifier}` is used twice",
                    rule.span,
                    help=f"first at {ids[identifier]}; give each rule its own name",
                )
            ids.setdefault(identifier, rule.span)
            self.program.rule_ids[id(rule)] = identifier
            errors_before = sum(1 for d in self.diagnostics if d.is_error)
            self.condition(rule.condition, scope, "a rule condition")
            condition_is_sound = errors_before == sum(1 for d in self.diagnostics if d.is_error)
            for message in (rule.because, rule.until):
                if message is not None:
                    self.message(message, scope)
            if rule.until is not None and rule.kind in (ast.RuleKind.GO,):
                self.warning(
                    "DL-CHECK-UNTIL",
                    "`until` says what must hold before GO; a `go` rule does not need one",
                    rule.until.span,
                    help="move the remediation to the `not_yet` rule it answers",
                )
            if condition_is_sound:  # a wrong condition already has its error; no guess about firing
                self._check_reachable(rule)
        if policy.otherwise is not None:
            if policy.otherwise.kind is ast.RuleKind.WARN:
                self.error(
                    "DL-CHECK-OTHERWISE",
                    "`otherwise` gives a verdict: go, no_go or not_yet, not warn",
                    policy.otherwise.span,
                    help='use `otherwise not_yet "..."`, or a `warn ... when` rule',
                )
            for text in (policy.otherwise.message, policy.otherwise.until):
                if text is not None:
                    self.message(text, scope)
            if not any(rule.kind is ast.RuleKind.GO for rule in policy.rules):
                self.warning(
                    "DL-CHECK-NEVER-FIRES",
                    f"`otherwise` in `{policy.name}` never applies: the policy has no `go` rule",
                    policy.otherwise.span,
                    help="without `go` rules a policy says GO when no blocking rule fires",
                )

    def _check_reachable(self, rule: ast.RuleDecl) -> None:
        truth = static_truth(rule.condition, self.program)
        if truth is None:
            return
        fires = truth != rule.unless
        if not fires:
            always = "always holds, so `unless` never fires" if rule.unless else "is always false"
            self.warning(
                "DL-CHECK-NEVER-FIRES",
                f"rule `{self.program.rule_ids[id(rule)]}` can never fire",
                rule.condition.span,
                help=f"its condition {always} for the declared schema ranges and scales",
            )

    def message(self, message: ast.Message, scope: _Scope) -> None:
        for part in message.parts:
            if isinstance(part, ast.Expr):
                self.expr(part, scope)

    def condition(self, expr: ast.Expr, scope: _Scope, what: str) -> None:
        type_ = self.expr(expr, scope)
        if type_ not in (BOOL, ANY):
            self.error(
                "DL-CHECK-TYPE",
                f"{what} must be a condition (true or false), but this is {type_}",
                expr.span,
                help=self._group_help(expr)
                if type_ == GROUP
                else "compare it, e.g. `x >= 3`, or test it with `is present`",
            )

    def _group_help(self, node: ast.Expr) -> str:
        resolution = self.program.resolutions.get(id(node))
        path = resolution.path if isinstance(resolution, GroupRef) else node.span.text()
        below = sorted(field for field in self.program.fields if field.startswith(path + "."))
        example = f"read one of its fields, e.g. `{below[0]}`, or " if below else ""
        return f"{example}test the group with `{node.span.text()} is present`"

    # ---------------------------------------------------------------- expressions

    def expr(self, node: ast.Expr, scope: _Scope, expected: Type | None = None) -> Type:
        type_ = self._infer(node, scope, expected)
        self.program.types[id(node)] = type_
        return type_

    def _infer(self, node: ast.Expr, scope: _Scope, expected: Type | None) -> Type:
        match node:
            case ast.Number():
                return NUMBER
            case ast.Text():
                return TEXT
            case ast.Boolean():
                return BOOL
            case ast.DateLiteral() | ast.Today():
                return DATE
            case ast.DurationLiteral():
                return DURATION
            case ast.ListLiteral():
                return self._list(node, scope, expected)
            case ast.Name() | ast.Attribute():
                return self._reference(node, scope, expected)
            case ast.Unary():
                return self._unary(node, scope)
            case ast.Arithmetic():
                return self._arithmetic(node, scope)
            case ast.Compare():
                return self._compare(node, scope)
            case ast.Logical():
                self.condition(node.left, scope, f"each side of `{node.op.value}`")
                self.condition(node.right, scope, f"each side of `{node.op.value}`")
                return BOOL
            case ast.Membership():
                return self._membership(node, scope)
            case ast.TextTest():
                return self._text_test(node, scope)
            case ast.Presence():
                self.expr(node.operand, scope)
                return BOOL
            case ast.Call():
                return self._call(node, scope)
            case ast.Quantifier():
                return self._quantifier(node, scope)
            case ast.Default():
                return self._default(node, scope, expected)
            case ast.Table():
                return self._table(node, scope, expected)
            case ast.Index():
                return self._index(node, scope)
            case ast.Conditional():
                self.condition(node.condition, scope, "the `if` condition")
                then = self.expr(node.then, scope, expected)
                otherwise = self.expr(node.otherwise, scope, then if then is not ANY else expected)
                if not compatible(then, otherwise):
                    self.error(
                        "DL-CHECK-TYPE",
                        f"the two branches of `if` differ: {then} and {otherwise}",
                        node.span,
                        help="both branches must give the same kind of value",
                    )
                return then if then is not ANY else otherwise
        raise AssertionError(f"unhandled expression {node!r}")

    def _default(self, node: ast.Default, scope: _Scope, expected: Type | None) -> Type:
        """`x ?? d` is x, or d when x is missing: d must be a value of x's type."""
        operand = self.expr(node.operand, scope, expected)
        fallback = self.expr(node.fallback, scope, operand if operand is not ANY else expected)
        counted_as_bool = (  # `condition weight 2 missing as 0`: a condition counts 0 or 1 in a score
            operand is BOOL and isinstance(node.fallback, ast.Number) and node.fallback.value in (0, 1)
        )
        if not compatible(operand, fallback) and not (node.written == "missing as" and counted_as_bool):
            self.error(
                "DL-CHECK-TYPE",
                f"the default of `{node.operand.span.text()}` must be {operand}, not {fallback}",
                node.fallback.span,
                help=f"a default stands for the missing value: give a {operand}"
                + (" (a scale value without quotes)" if isinstance(operand, ScaleType) else ""),
            )
            return operand
        if _never_missing(node.operand, self.program):
            self.warning(
                "DL-CHECK-DEFAULT",
                f"`{node.operand.span.text()}` is never missing, so its default is never used",
                node.fallback.span,
                help="a default is for a state field a subject may leave out; remove it",
            )
        return operand if operand is not ANY else fallback

    def _table(self, node: ast.Table, scope: _Scope, expected: Type | None) -> Type:
        value_expected = expected.value if isinstance(expected, TableType) else None
        self._no_duplicates(node.keys, node.key_spans, "in the table", "each key has one value", "key")
        types = [self.expr(value, scope, value_expected) for value in node.values]
        known = [type_ for type_ in types if type_ is not ANY]
        for value, type_ in zip(node.values, types, strict=True):
            if known and not compatible(type_, known[0]):
                self.error(
                    "DL-CHECK-TYPE",
                    f"a table mixes {known[0]} and {type_}",
                    value.span,
                    help="all values of a table must be of one kind",
                )
                break
        if not node.keys:
            self.error(
                "DL-CHECK-TABLE", "a table needs at least one entry", node.span, help="`{high: 2, low: 1}`"
            )
        return TableType(
            "table", known[0] if known else (value_expected or ANY), tuple(dict.fromkeys(node.keys))
        )

    def _table_literal(self, node: ast.Expr, depth: int = 0) -> ast.Table | None:
        """The table written in the policy behind an expression (itself, or a constant's value)."""
        if isinstance(node, ast.Table):
            return node
        resolution = self.program.resolutions.get(id(node))
        if isinstance(resolution, ConstRef) and depth < 32:  # deeper is a cycle, reported elsewhere
            return self._table_literal(self.program.constants[resolution.name].value, depth + 1)
        return None

    def _index(self, node: ast.Index, scope: _Scope) -> Type:
        """`impact[reach_level]`: by a scale, every value of the scale must be a key (known now);
        by a text, a key not in the table is an evaluation problem."""
        table = self.expr(node.table, scope)
        if not isinstance(table, TableType):
            self.expr(node.key, scope)
            if table is not ANY:
                self.error(
                    "DL-CHECK-TYPE",
                    f"`[...]` looks a key up in a table, and this is {table}",
                    node.table.span,
                    help="declare a table: `const impact = {high: 2, medium: 1, low: 0.5}`",
                )
            return ANY
        key = self.expr(node.key, scope)
        literal = self._table_literal(node.table)
        if isinstance(key, ScaleType):
            if literal is not None:
                self._table_keys_of_scale(node, literal, key)
        elif key is TEXT:
            if isinstance(node.key, ast.Text) and node.key.value not in table.keys:
                self._no_entry(node, [node.key.value], table.keys)
        elif key is not ANY:
            self.error(
                "DL-CHECK-TYPE",
                f"a table is looked up by a scale value or a text, not {key}",
                node.key.span,
                help="index it with a field whose type is a scale, or a text",
            )
        return table.value

    def _table_keys_of_scale(self, node: ast.Index, literal: ast.Table, scale: ScaleType) -> None:
        for key, span in zip(literal.keys, literal.key_spans, strict=True):
            if key not in scale.values:
                self.error(
                    "DL-CHECK-SCALE-VALUE",
                    f"`{key}` is not a value of scale `{scale.name}`, by which the table is looked up",
                    span,
                    help=did_you_mean(key, scale.values) or f"its values are {' < '.join(scale.values)}",
                )
        resolution = self.program.resolutions.get(id(node.key))
        wanted = [resolution.value] if isinstance(resolution, ScaleValueRef) else list(scale.values)
        absent = [value for value in wanted if value not in literal.keys]
        if absent:
            self._no_entry(node, absent, literal.keys, scale)

    def _no_entry(
        self, node: ast.Index, absent: list[str], keys: tuple[str, ...], scale: ScaleType | None = None
    ) -> None:
        names = ", ".join(f"`{value}`" for value in absent)
        of = f" (values of scale `{scale.name}`)" if scale is not None and len(absent) > 1 else ""
        of = of or (f" (a value of scale `{scale.name}`)" if scale is not None else "")
        self.error(
            "DL-CHECK-TABLE",
            f"the table `{node.table.span.text()}` has no entry for {names}{of}",
            node.span,
            help=(
                f"add {'them' if len(absent) > 1 else 'it'} to the table; its keys are "
                + ", ".join(f"`{key}`" for key in keys)
            ),
        )

    def _list(self, node: ast.ListLiteral, scope: _Scope, expected: Type | None) -> Type:
        element_expected = expected.element if isinstance(expected, ListType) else None
        types = [self.expr(item, scope, element_expected) for item in node.items]
        known = [type_ for type_ in types if type_ is not ANY]
        for item, type_ in zip(node.items, types, strict=True):
            if known and not compatible(type_, known[0]):
                self.error(
                    "DL-CHECK-TYPE",
                    f"a list mixes {known[0]} and {type_}",
                    item.span,
                    help="all items of a list must be of one kind",
                )
                break
        return list_of(known[0] if known else (element_expected or ANY))

    # -- names and fields
    def _reference(self, node: ast.Name | ast.Attribute, scope: _Scope, expected: Type | None) -> Type:
        path = dotted_path(node)
        if path is not None:
            resolved = self._resolve_path(path, node, scope, expected)
            if resolved is not None:
                return resolved
            return ANY
        assert isinstance(node, ast.Attribute)
        base = self.expr(node.base, scope)
        if base is SUBJECT:
            return self._subject_field(node.name, node, None)
        if base is not ANY:
            self.error(
                "DL-CHECK-TYPE",
                f"`.{node.name}` reads a field of a subject, but this is {base}",
                node.span,
                help="fields belong to subjects: the one evaluated, or `d` in `all(d in depends_on: ...)`",
            )
        return ANY

    def _resolve_path(
        self, path: list[str], node: ast.Name | ast.Attribute, scope: _Scope, expected: Type | None
    ) -> Type | None:
        head, rest = path[0], path[1:]
        program = self.program
        if head in scope.variables:
            variable_type = scope.variables[head]
            if not rest:
                program.resolutions[id(node)] = VariableRef(head)
                return variable_type
            if isinstance(variable_type, RecordType):
                return self._item_field(head, variable_type, rest, node)
            if variable_type in (SUBJECT, ANY) and len(rest) == 1 and rest[0] in program.defines:
                program.resolutions[id(node)] = DefineRef(rest[0], head)
                return self._define_type(rest[0])
            if variable_type in (SUBJECT, ANY):
                return self._subject_field(".".join(rest), node, head)
            self.error(
                "DL-CHECK-TYPE",
                f"`{head}` is {variable_type}, it has no field `{rest[0]}`",
                node.span,
                help="only subjects have fields",
            )
            return ANY
        if scope.sides is not None and head in scope.sides[1] and not rest:
            program.resolutions[id(node)] = SideRef(scope.sides[0], head)
            return program.type_of(scope.sides[1][head])
        if not rest and head in program.constants:
            program.resolutions[id(node)] = ConstRef(head)
            return self._declared_type("constant", head)
        if not rest and head in program.defines:
            if scope.constant_only:
                return self._not_constant(node, head)
            program.resolutions[id(node)] = DefineRef(head)
            return self._define_type(head)
        if head in program.tradeoffs:
            return self._tradeoff_reference(head, rest, node, scope)
        if head in program.scales and len(rest) == 1:
            return self._scale_value(program.scales[head], rest[0], node)
        joined = ".".join(path)
        all_fields = program.all_fields()
        if joined in all_fields:
            if scope.constant_only:
                return self._not_constant(node, joined)
            return self._subject_field(joined, node, None)
        if self._through_subject_field(joined):
            if scope.constant_only:
                return self._not_constant(node, joined)
            return self._subject_field(joined, node, None)
        if joined in self._groups():
            if scope.constant_only:
                return self._not_constant(node, joined)
            program.resolutions[id(node)] = GroupRef(joined)
            return GROUP
        if joined == PORTFOLIO:
            if scope.constant_only:
                return self._not_constant(node, joined)
            program.resolutions[id(node)] = PortfolioRef()
            return list_of(SUBJECT)
        if not rest:
            scale_type = self._scale_for_value(head, expected, scope.namespace)
            if scale_type is not None:
                program.resolutions[id(node)] = ScaleValueRef(scale_type, head)
                return scale_type
        self._undefined(joined, node, scope, expected)
        return None

    def _groups(self) -> frozenset[str]:
        """The proper prefixes of declared paths: `git` for `git.stars`."""
        if self._group_paths is None:
            self._group_paths = frozenset(
                ".".join(parts[:end])
                for parts in (path.split(".") for path in self.program.fields)
                for end in range(1, len(parts))
            )
        return self._group_paths

    def _through_item(
        self, variable: str, names: tuple[str, ...], spec: FieldSpec, rest: list[str], node: ast.Expr
    ) -> Type:
        path = ".".join(rest)
        target = self.program.all_fields().get(path)
        if target is None:
            self._undefined(path, node, _Scope(), None, of_subject=".".join([variable, *names]))
            return ANY
        self.program.resolutions[id(node)] = ItemFieldRef(variable, names, spec, FieldRef(path, target))
        return target.type

    def _item_field(self, variable: str, record: RecordType, names: list[str], node: ast.Expr) -> Type:
        """`pr.age_days`, `c.after.size`: fields of a list item, followed through nested objects."""
        current: Type = record
        spec: FieldSpec | None = None
        for index, name in enumerate(names):
            read = ".".join([variable, *names[:index]])
            if current is SUBJECT and spec is not None:  # `l.target.tier`: on to the subject named
                return self._through_item(variable, tuple(names[:index]), spec, names[index:], node)
            if not isinstance(current, RecordType):
                self.error(
                    "DL-CHECK-TYPE",
                    f"`{read}` is {current}, it has no field `{name}`",
                    node.span,
                    help="only objects (`{ ... }` in the schema) and subjects have fields",
                )
                return ANY
            spec = current.by_name.get(name)
            if spec is None:
                self.error(
                    "DL-CHECK-UNDEFINED",
                    f"`{read}` has no field `{name}`",
                    node.span,
                    help=did_you_mean(name, current.by_name)
                    or f"its fields are {', '.join(f'`{field}`' for field in current.by_name)}",
                )
                return ANY
            current = spec.type
        assert spec is not None  # names is never empty
        self.program.resolutions[id(node)] = ItemFieldRef(variable, tuple(names), spec)
        return spec.type

    def _through_subject_field(self, path: str) -> bool:
        fields = self.program.all_fields()
        parts = path.split(".")
        return any(
            ".".join(parts[:cut]) in fields and fields[".".join(parts[:cut])].type is SUBJECT
            for cut in range(1, len(parts))
        )

    def _not_constant(self, node: ast.Expr, name: str) -> Type:
        self.error(
            "DL-CHECK-CONSTANT",
            f"a constant cannot read `{name}`, which depends on the subject",
            node.span,
            help="use `define` for values computed from a subject's state",
        )
        return ANY

    def _tradeoff_reference(self, head: str, rest: list[str], node: ast.Expr, scope: _Scope) -> Type:
        tradeoff = self.program.tradeoffs[head]
        if scope.constant_only:
            return self._not_constant(node, head)
        if not rest:
            self.program.resolutions[id(node)] = TradeoffRef(head)
            return BOOL
        sides = {tradeoff.first.name: tradeoff.first, tradeoff.second.name: tradeoff.second}
        if len(rest) == 1 and rest[0] in sides:
            self.program.resolutions[id(node)] = SideRef(head, rest[0])
            return self.program.types.get(id(sides[rest[0]].expr), NUMBER)
        self.error(
            "DL-CHECK-UNDEFINED",
            f"trade-off `{head}` has no side `{'.'.join(rest)}`",
            node.span,
            help=did_you_mean(rest[0], sides) or f"its sides are {' and '.join(f'`{s}`' for s in sides)}",
        )
        return ANY

    def _scale_value(self, scale: ScaleType, value: str, node: ast.Expr) -> Type:
        if value not in scale.values:
            self._unknown_scale_value(scale, value, node)
            return scale
        self.program.resolutions[id(node)] = ScaleValueRef(scale, value)
        return scale

    def _unknown_scale_value(self, scale: ScaleType, value: str, node: ast.Expr) -> None:
        self.error(
            "DL-CHECK-SCALE-VALUE",
            f"`{value}` is not a value of scale `{scale.name}`",
            node.span,
            help=did_you_mean(value, scale.values) or f"its values are {' < '.join(scale.values)}",
        )

    def _scale_for_value(self, value: str, expected: Type | None, namespace: str = "") -> ScaleType | None:
        if isinstance(expected, ScaleType):
            return expected if value in expected.values else None
        owners = {
            scale
            for name, scale in self.program.scales.items()
            if value in scale.values and namespace_of(name) == namespace
        }
        return next(iter(owners)) if len(owners) == 1 else None

    def _subject_field(self, path: str, node: ast.Expr, variable: str | None) -> Type:
        fields = self.program.all_fields()
        spec = fields.get(path)
        if spec is not None:
            self.program.resolutions[id(node)] = FieldRef(path, spec, variable)
            return spec.type
        parts = path.split(".")
        for cut in range(len(parts) - 1, 0, -1):  # `primary.tier`: a field of the subject `primary` names
            via, rest = ".".join(parts[:cut]), ".".join(parts[cut:])
            if via in fields and fields[via].type is SUBJECT and rest in fields:
                self.program.resolutions[id(node)] = FieldRef(rest, fields[rest], variable, via)
                return fields[rest].type
        if path in self._groups():
            self.program.resolutions[id(node)] = GroupRef(path, variable)
            return GROUP
        self._undefined(path, node, _Scope(), None, of_subject=variable)
        return ANY

    def _undefined(
        self, name: str, node: ast.Expr, scope: _Scope, expected: Type | None, of_subject: str | None = None
    ) -> None:
        program = self.program
        if isinstance(expected, ScaleType) and "." not in name:
            self._unknown_scale_value(expected, name, node)
            return
        candidates = [
            *program.all_fields(),
            *program.constants,
            *program.defines,
            *program.tradeoffs,
            *scope.variables,
            *(value for scale in program.scales.values() for value in scale.values),
        ]
        hint = _elsewhere(name, scope.namespace, candidates) or did_you_mean(name, candidates)
        if hint is None and expected == TEXT and "." not in name:  # `kind == component`
            hint = f'texts are quoted: write "{name}" to compare with the text {name}'
        if of_subject is not None:
            message = f"`{of_subject}` has no field `{name}`"
        elif "." in name:
            message = f"unknown field `{name}`"
        else:
            message = f"unknown name `{name}`"
        self.error(
            "DL-CHECK-UNDEFINED",
            message,
            node.span,
            help=hint or f"declare it in a `schema` block, e.g. `{name}: number`, or define it with `define`",
        )

    # -- operators
    def _unary(self, node: ast.Unary, scope: _Scope) -> Type:
        if node.op is ast.UnaryOp.NOT:
            self.condition(node.operand, scope, "the operand of `not`")
            return BOOL
        type_ = self.expr(node.operand, scope)
        if type_ not in (NUMBER, DURATION, ANY):
            self.error(
                "DL-CHECK-TYPE", f"cannot negate {type_}", node.span, help="only numbers can be negated"
            )
            return ANY
        return type_

    def _arithmetic(self, node: ast.Arithmetic, scope: _Scope) -> Type:
        left = self.expr(node.left, scope)
        right = self.expr(node.right, scope)
        if left is ANY or right is ANY:
            return NUMBER if NUMBER in (left, right) else ANY
        result = ARITHMETIC.get((node.op, left, right))
        if result is None:
            help = "arithmetic works on numbers, and on dates and durations (`eol - today > 90 days`)"
            if TEXT in (left, right):
                help = "texts cannot be computed with; interpolate them in a message instead"
            elif isinstance(left, ScaleType) or isinstance(right, ScaleType):
                help = "scale values are ordered, not numbers; use `rank(x)` to get a number"
            self.error(
                "DL-CHECK-TYPE",
                f"cannot compute {left} {node.op.value} {right}",
                node.span,
                help=help,
            )
            return ANY
        return result

    def _compare(self, node: ast.Compare, scope: _Scope) -> Type:
        left = self.expr(node.left, scope)
        right = self.expr(node.right, scope, expected=left)
        if (
            isinstance(right, ScaleType)
            and left is ANY
            and isinstance(node.left, ast.Name)
            and node.left.name in right.values
        ):
            self.diagnostics = [d for d in self.diagnostics if d.span is not node.left.span]
            left = self.expr(node.left, scope, expected=right)
        if {left, right} == {SUBJECT, TEXT}:
            return BOOL  # a subject equals the text of its name
        if GROUP in (left, right):
            group = node.left if left == GROUP else node.right
            self.error(
                "DL-CHECK-TYPE",
                f"`{group.span.text()}` is a group of fields, not a value",
                group.span,
                help=self._group_help(group),
            )
            return BOOL
        if not compatible(left, right):
            help = "compare values of the same kind"
            if isinstance(left, ScaleType) or isinstance(right, ScaleType):
                scale = left if isinstance(left, ScaleType) else right
                assert isinstance(scale, ScaleType)
                help = f"compare `{scale.name}` with one of its values: {' < '.join(scale.values)}"
                if TEXT in (left, right):
                    help += " (written without quotes)"
            self.error("DL-CHECK-TYPE", f"cannot compare {left} with {right}", node.span, help=help)
            return BOOL
        ordered = node.op not in (ast.CompareOp.EQ, ast.CompareOp.NE)
        concrete = left if left is not ANY else right
        if ordered and not (
            concrete in (NUMBER, DATE, DATETIME, DURATION, ANY) or isinstance(concrete, ScaleType)
        ):
            self.error(
                "DL-CHECK-TYPE",
                f"`{node.op.value}` needs ordered values, and {concrete} is not ordered",
                node.span,
                help="order numbers, dates, date-times, durations and scale values; "
                "test texts with == or `starts with`",
            )
        return BOOL

    def _membership(self, node: ast.Membership, scope: _Scope) -> Type:
        if isinstance(node.collection, ast.ListLiteral):  # `criticality in [high, critical]`: item first
            item = self.expr(node.item, scope)
            collection = self.expr(
                node.collection, scope, expected=list_of(item) if item is not ANY else None
            )
        else:
            collection = self.expr(node.collection, scope)
            element_hint = collection.element if isinstance(collection, ListType) else None
            item = self.expr(node.item, scope, expected=element_hint)
        if isinstance(collection, ListType):
            if collection.element is SUBJECT and item is TEXT:
                return BOOL  # `"payments" in depends_on`: by name
            if not compatible(item, collection.element):
                self.error(
                    "DL-CHECK-TYPE",
                    f"cannot look for {item} in a {collection}",
                    node.span,
                    help="the item and the list's elements must be of one kind",
                )
        elif collection is TEXT:
            if item not in (TEXT, ANY):
                self.error("DL-CHECK-TYPE", f"cannot look for {item} in a text", node.span)
        elif collection is not ANY:
            self.error(
                "DL-CHECK-TYPE",
                f"`in` needs a list or a text on its right, not {collection}",
                node.collection.span,
                help='for example `"ai" in tags` or `criticality in [high, critical]`',
            )
        return BOOL

    def _text_test(self, node: ast.TextTest, scope: _Scope) -> Type:
        subject = self.expr(node.subject, scope)
        pattern = self.expr(node.pattern, scope)
        if node.op is ast.TextTestOp.CONTAINS and isinstance(subject, ListType):
            if not compatible(pattern, subject.element) and not (
                subject.element is SUBJECT and pattern is TEXT
            ):
                self.error("DL-CHECK-TYPE", f"a {subject} cannot contain {pattern}", node.span)
            return BOOL
        for side, type_ in (("left", subject), ("right", pattern)):
            if type_ not in (TEXT, ANY):
                self.error(
                    "DL-CHECK-TYPE",
                    f"`{node.op.value}` tests texts, and its {side} side is {type_}",
                    node.span,
                    help="compare numbers, dates and scales with ==, <, >",
                )
        if node.op is ast.TextTestOp.MATCHES:
            self._check_pattern(node.pattern)
        return BOOL

    def _check_pattern(self, pattern: ast.Expr) -> None:
        """`matches` patterns are written in policies, and compiled when the policy is checked: an
        invalid pattern is the policy author's error, reported here rather than at each evaluation."""
        literal = pattern
        resolution = self.program.resolutions.get(id(pattern))
        if isinstance(resolution, ConstRef):
            literal = self.program.constants[resolution.name].value
        if not isinstance(literal, ast.Text):
            self.error(
                "DL-CHECK-REGEX",
                "the pattern of `matches` must be written in the policy",
                pattern.span,
                help='write the pattern as a text, e.g. `name matches "^pay"`, or as a `const`',
            )
            return
        _check_regex(literal, pattern.span, self)

    # -- calls
    def _call(self, node: ast.Call, scope: _Scope) -> Type:
        name, args = node.function, node.args
        if name in ("score", "level", "level_name"):
            return self._declaration_call(node, scope)
        if name == "at_least":
            return self._at_least(node, scope)
        if name == "verdict":
            return self._verdict(node, scope)
        if name == "rank":
            types = self._args(node, scope, 1)
            if types and not isinstance(types[0], ScaleType) and types[0] is not ANY:
                self.error("DL-CHECK-TYPE", f"`rank` takes a scale value, not {types[0]}", node.span)
            return NUMBER
        if name in ("max", "min"):
            return self._extremum(node, scope)
        if name == "referrers":
            return self._referrers(node, scope)
        if name in ("count", "length"):
            types = self._args(node, scope, 1)
            if types and not (isinstance(types[0], ListType) or types[0] in (TEXT, ANY)):
                self.error("DL-CHECK-TYPE", f"`{name}` takes a list, not {types[0]}", node.span)
            return NUMBER
        if name in ("sum", "average"):
            types = self._args(node, scope, 1)
            if types and not (
                (isinstance(types[0], ListType) and types[0].element in (NUMBER, ANY)) or types[0] is ANY
            ):
                self.error("DL-CHECK-TYPE", f"`{name}` takes a list of numbers, not {types[0]}", node.span)
            return NUMBER
        if name in ("abs", "round", "floor", "ceil"):
            types = self._args(node, scope, 1 if name != "round" else (1, 2))
            for type_, arg in zip(types, args, strict=False):
                if type_ not in (NUMBER, ANY):
                    self.error("DL-CHECK-TYPE", f"`{name}` takes a number, not {type_}", arg.span)
            return NUMBER
        if name == "days":
            types = self._args(node, scope, 1)
            if types and types[0] not in (DURATION, ANY):
                self.error("DL-CHECK-TYPE", f"`days` takes a duration, not {types[0]}", node.span)
            return NUMBER
        if name in ("lower", "upper"):
            types = self._args(node, scope, 1)
            if types and types[0] not in (TEXT, ANY):
                self.error("DL-CHECK-TYPE", f"`{name}` takes a text, not {types[0]}", node.span)
            return TEXT
        if name in QUANTIFIERS:
            self.error(
                "DL-CHECK-CALL",
                f"`{name}` needs a binding and a condition",
                node.span,
                help=f"write `{name}(d in depends_on: d.tier <= tier)`",
            )
            return ANY
        self.error(  # arguments are not checked: their meaning depends on the intended function
            "DL-CHECK-UNDEFINED",
            f"unknown function `{name}`",
            node.span,
            help=did_you_mean(name, FUNCTIONS) or f"the functions are {', '.join(sorted(FUNCTIONS))}",
        )
        return ANY

    def _referrers(self, node: ast.Call, scope: _Scope) -> Type:
        """`referrers(system)`: the subjects whose `system` field names this one (S45)."""
        links = sorted(
            path
            for path, spec in self.program.all_fields().items()
            if (spec.type is SUBJECT or spec.type == list_of(SUBJECT)) and path not in DERIVED_FIELDS
        )
        path = dotted_path(node.args[0]) if len(node.args) == 1 else None
        spec = self.program.all_fields().get(".".join(path)) if path is not None else None
        if path is None or spec is None or ".".join(path) in DERIVED_FIELDS:
            wanted = ".".join(path) if path is not None else None
            self.error(
                "DL-CHECK-CALL",
                "`referrers` takes the name of a field that names subjects"
                + (f", and `{wanted}` is not one" if wanted else ""),
                node.span,
                help=(did_you_mean(wanted, links) if wanted else None)
                or f"the fields that name subjects are {', '.join(f'`{link}`' for link in links)}",
            )
            return list_of(SUBJECT)
        if not (spec.type is SUBJECT or spec.type == list_of(SUBJECT)):
            self.error(
                "DL-CHECK-TYPE",
                f"`referrers` follows a field that names subjects, and `{spec.path}` is {spec.type}",
                node.args[0].span,
                help="declare it as `subject` or `list of subject`",
            )
        elif scope.constant_only:
            return self._not_constant(node, node.span.text())
        self.program.resolutions[id(node.args[0])] = FieldRef(spec.path, spec)
        self.program.types[id(node.args[0])] = spec.type
        return list_of(SUBJECT)

    def _args(self, node: ast.Call, scope: _Scope, arity: int | tuple[int, int]) -> list[Type]:
        low, high = (arity, arity) if isinstance(arity, int) else arity
        types = [self.expr(arg, scope) for arg in node.args]
        if not low <= len(types) <= high:
            wanted = str(low) if low == high else f"{low} or {high}"
            self.error(
                "DL-CHECK-CALL",
                f"`{node.function}` takes {wanted} argument{'s' if high > 1 else ''}, got {len(types)}",
                node.span,
            )
            return []
        return types

    def _extremum(self, node: ast.Call, scope: _Scope) -> Type:
        types = [self.expr(arg, scope) for arg in node.args]
        if not types:
            self.error("DL-CHECK-CALL", f"`{node.function}` needs arguments", node.span)
            return ANY
        if len(types) == 1:
            if isinstance(types[0], ListType):
                return types[0].element
            if types[0] is ANY:
                return ANY
            self.error(
                "DL-CHECK-TYPE",
                f"`{node.function}` of one value needs a list, not {types[0]}",
                node.span,
                help=f"write `{node.function}(a, b)` or `{node.function}(list)`",
            )
            return ANY
        known = [type_ for type_ in types if type_ is not ANY]
        for type_, arg in zip(types, node.args, strict=True):
            if known and not compatible(type_, known[0]):
                self.error("DL-CHECK-TYPE", f"`{node.function}` mixes {known[0]} and {type_}", arg.span)
                return ANY
        result = known[0] if known else ANY
        if result not in (NUMBER, DATE, DATETIME, DURATION, ANY) and not isinstance(result, ScaleType):
            self.error("DL-CHECK-TYPE", f"`{node.function}` needs ordered values, not {result}", node.span)
        return result

    def _declaration_call(self, node: ast.Call, scope: _Scope) -> Type:
        table: Mapping[str, object]
        table, what = (
            (self.program.criteria, "criteria")
            if node.function == "score"
            else (self.program.maturities, "maturity model")
        )
        result = TEXT if node.function == "level_name" else NUMBER
        example = f"{node.function}({next(iter(table), 'name')})"
        declare = "criteria" if what == "criteria" else "maturity"
        argument = self._declared_argument(node, scope, table, what, result, example, declare)
        if isinstance(argument, Type):
            return argument
        self.program.types[id(argument)] = NUMBER
        return result

    def _verdict(self, node: ast.Call, scope: _Scope) -> Type:
        """`verdict(h1_foundations)`: that policy's verdict on the same subject, `go`, `not_yet` or
        `no_go` (ordered by severity)."""
        policies = self.program.policies
        example = f"verdict({next(iter(policies), 'h1_foundations')}) == go"
        argument = self._declared_argument(node, scope, policies, "policy", VERDICT, example, "policy")
        return argument if isinstance(argument, Type) else VERDICT

    def _declared_argument(
        self,
        node: ast.Call,
        scope: _Scope,
        table: Mapping[str, object],
        what: str,
        result: Type,
        example: str,
        declare: str,
    ) -> ast.Name | Type:
        """The one name a call such as `score(security)` or `verdict(h1_foundations)` takes, or the
        type of the call when it is reported instead (`result` when it does not take one name, any
        when a constant reads it). A name `table` does not declare is reported, and returned:
        the call still has its type."""
        if len(node.args) != 1 or not isinstance(node.args[0], ast.Name):
            self.error(
                "DL-CHECK-CALL",
                f"`{node.function}` takes the name of a {what}",
                node.span,
                help=f"for example `{example}`",
            )
            return result
        argument = node.args[0]
        if scope.constant_only:
            return self._not_constant(node, f"{node.function}({argument.name})")
        if argument.name not in table:
            self.error(
                "DL-CHECK-UNDEFINED",
                f"unknown {what} `{argument.name}`",
                argument.span,
                help=did_you_mean(argument.name, table)
                or f"declare it with `{declare} {argument.name} {{ ... }}`",
            )
        return argument

    def _check_verdict_cycles(self) -> None:
        """A policy that reads its own verdict, through other policies or not, is DL-CHECK-CYCLE:
        its verdict would depend on itself."""
        reads = {name: _verdict_reads(policy, self.program) for name, policy in self.program.policies.items()}
        reported: set[frozenset[str]] = set()
        for start in reads:
            path: list[tuple[str, Span | None]] = [(start, None)]
            stack = [iter(reads[start])]
            on_path = {start}
            while stack:
                step = next(stack[-1], None)
                if step is None:
                    stack.pop()
                    on_path.discard(path.pop()[0])
                    continue
                target, span = step
                if target == start:
                    cycle = [name for name, _ in path] + [start]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        self.error(
                            "DL-CHECK-CYCLE",
                            f"policy `{start}` depends on its own verdict ({' -> '.join(cycle)})",
                            path[1][1] if len(path) > 1 else span,
                            help="a policy can read the verdict of another only if that one does not read "
                            "it back; move the shared condition into a `define`",
                        )
                elif target not in on_path and target in reads:
                    path.append((target, span))
                    on_path.add(target)
                    stack.append(iter(reads[target]))

    def _at_least(self, node: ast.Call, scope: _Scope) -> Type:
        """`at_least(readiness, governed)`: the subject reaches that level (or a higher one)."""
        models = self.program.maturities
        example = next(iter(models.values()), None)
        sample = (
            f"at_least({example.name}, {example.levels[0].name})" if example else "at_least(model, level)"
        )
        if len(node.args) != 2 or not all(isinstance(arg, ast.Name) for arg in node.args):
            self.error(
                "DL-CHECK-CALL",
                "`at_least` takes the name of a maturity model and the name of one of its levels",
                node.span,
                help=f"for example `{sample}`",
            )
            return BOOL
        model_arg, level_arg = node.args
        assert isinstance(model_arg, ast.Name) and isinstance(level_arg, ast.Name)
        if scope.constant_only:
            return self._not_constant(node, f"at_least({model_arg.name}, ...)")
        model = models.get(model_arg.name)
        if model is None:
            self.error(
                "DL-CHECK-UNDEFINED",
                f"unknown maturity model `{model_arg.name}`",
                model_arg.span,
                help=did_you_mean(model_arg.name, models)
                or f"declare it with `maturity {model_arg.name} {{ ... }}`",
            )
            return BOOL
        levels = [level.name for level in model.levels]
        if level_arg.name not in levels:
            self.error(
                "DL-CHECK-UNDEFINED",
                f"maturity model `{model.name}` has no level `{level_arg.name}`",
                level_arg.span,
                help=did_you_mean(level_arg.name, levels) or f"its levels are {', '.join(levels)}",
            )
        return BOOL

    def _quantifier(self, node: ast.Quantifier, scope: _Scope) -> Type:
        if node.function not in QUANTIFIERS:
            self.error(
                "DL-CHECK-UNDEFINED",
                f"`{node.function}(x in list: ...)` is not an aggregate",
                node.span,
                help=did_you_mean(node.function, QUANTIFIERS) or f"use one of {', '.join(QUANTIFIERS)}",
            )
            return ANY
        collection = self.expr(node.collection, scope)
        if not isinstance(collection, ListType) and collection is not ANY:
            self.error(
                "DL-CHECK-TYPE",
                f"`{node.function}` goes over a list, and this is {collection}",
                node.collection.span,
                help="for example `depends_on`, `dependents`, `all_dependencies`, `targets` or `tags`",
            )
        element = collection.element if isinstance(collection, ListType) else ANY
        inner = replace(scope, variables={**scope.variables, node.variable: element})
        if node.function in ("all", "any", "none", "count", "filter"):
            self.condition(node.body, inner, f"the condition of `{node.function}`")
            if node.function == "filter":
                return collection if isinstance(collection, ListType) else ANY
            return BOOL if node.function != "count" else NUMBER
        body = self.expr(node.body, inner)
        if node.function in ("sum", "average") and body not in (NUMBER, ANY):
            self.error("DL-CHECK-TYPE", f"`{node.function}` adds numbers, not {body}", node.body.span)
            return NUMBER
        if node.function in ("min", "max") and not (
            body in (NUMBER, DATE, DATETIME, DURATION, ANY) or isinstance(body, ScaleType)
        ):
            self.error("DL-CHECK-TYPE", f"`{node.function}` needs ordered values, not {body}", node.body.span)
        return body if node.function in ("min", "max") else NUMBER


QUANTIFIERS = ("all", "any", "none", "count", "filter", "sum", "average", "min", "max")
FUNCTIONS = (
    "score", "level", "level_name", "at_least", "verdict", "rank", "max", "min", "count", "length", "sum",
    "average", "abs", "round", "floor", "ceil", "days", "lower", "upper", "referrers", *QUANTIFIERS,
)  # fmt: skip

ARITHMETIC: dict[tuple[ast.ArithOp, Type, Type], Type] = {
    (ast.ArithOp.ADD, NUMBER, NUMBER): NUMBER,
    (ast.ArithOp.SUB, NUMBER, NUMBER): NUMBER,
    (ast.ArithOp.MUL, NUMBER, NUMBER): NUMBER,
    (ast.ArithOp.DIV, NUMBER, NUMBER): NUMBER,
    (ast.ArithOp.SUB, DATE, DATE): DURATION,
    # date-times (S27): instants; a date in their arithmetic is its start, 00:00 UTC
    (ast.ArithOp.SUB, DATETIME, DATETIME): DURATION,
    (ast.ArithOp.SUB, DATETIME, DATE): DURATION,
    (ast.ArithOp.SUB, DATE, DATETIME): DURATION,
    (ast.ArithOp.ADD, DATETIME, DURATION): DATETIME,
    (ast.ArithOp.SUB, DATETIME, DURATION): DATETIME,
    (ast.ArithOp.ADD, DURATION, DATETIME): DATETIME,
    (ast.ArithOp.ADD, DATE, DURATION): DATE,
    (ast.ArithOp.SUB, DATE, DURATION): DATE,
    (ast.ArithOp.ADD, DURATION, DATE): DATE,
    (ast.ArithOp.ADD, DURATION, DURATION): DURATION,
    (ast.ArithOp.SUB, DURATION, DURATION): DURATION,
    (ast.ArithOp.MUL, DURATION, NUMBER): DURATION,
    (ast.ArithOp.MUL, NUMBER, DURATION): DURATION,
    (ast.ArithOp.DIV, DURATION, NUMBER): DURATION,
    (ast.ArithOp.DIV, DURATION, DURATION): NUMBER,
}


def _check_regex(pattern: ast.Text, span: Span, checker: Checker) -> None:
    """Compiled with RE2 now, so that an unsupported pattern is an error of the policy, located."""
    compiled = compile_pattern(pattern.value)
    if isinstance(compiled, BadPattern):
        checker.error("DL-CHECK-REGEX", compiled.message, span, help=compiled.help)


def _policy_exprs(policy: ast.PolicyDecl) -> list[ast.Expr]:
    """Every expression a policy evaluates: its `where`, its rules and its messages."""
    roots: list[ast.Expr] = []
    if policy.selector is not None and policy.selector.where is not None:
        roots.append(policy.selector.where)
    for rule in policy.rules:
        roots += [rule.condition, *_parts(rule.because), *_parts(rule.until)]
    if policy.otherwise is not None:
        roots += [*_parts(policy.otherwise.message), *_parts(policy.otherwise.until)]
    return roots


def _verdict_reads(policy: ast.PolicyDecl, program: Program) -> list[tuple[str, Span]]:
    """The policies whose verdict `policy` reads (`verdict(p)`), through its definitions, scores,
    levels and trade-offs too, each with the place of its first read."""
    roots = _policy_exprs(policy)
    found: dict[str, Span] = {}
    seen: set[tuple[str, str]] = set()
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Call) and node.function == "verdict" and node.args:
            target = node.args[0]
            if isinstance(target, ast.Name):
                found.setdefault(target.name, node.span)
        stack.extend(_declaration_exprs(node, program, seen))
        stack.extend(reversed(list(_expr_children(node))))
    return list(found.items())


def _declaration_exprs(node: ast.Expr, program: Program, seen: set[tuple[str, str]]) -> list[ast.Expr]:
    """The expressions of the declaration a node names (a definition, a trade-off, a criteria, a
    maturity model), once each."""
    key: tuple[str, str] | None = None
    resolution = program.resolutions.get(id(node))
    if isinstance(resolution, DefineRef):
        key = ("define", resolution.name)
    elif isinstance(resolution, TradeoffRef | SideRef):
        key = ("tradeoff", resolution.name if isinstance(resolution, TradeoffRef) else resolution.tradeoff)
    elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name):
        if node.function == "score":
            key = ("criteria", node.args[0].name)
        elif node.function in ("level", "level_name", "at_least"):
            key = ("maturity", node.args[0].name)
    if key is None or key in seen:
        return []
    seen.add(key)
    kind, name = key
    if kind == "define" and name in program.defines:
        return [program.defines[name].value]
    if kind == "tradeoff" and name in program.tradeoffs:
        decl = program.tradeoffs[name]
        return [decl.first.expr, decl.second.expr, decl.acceptable]
    if kind == "criteria" and name in program.criteria:
        return [term.expr for term in program.criteria[name].terms]
    if kind == "maturity" and name in program.maturities:
        return [
            expr
            for level in program.maturities[name].levels
            for requirement in level.requirements
            for expr in (requirement.condition, *_parts(requirement.because))
        ]
    return []


def _expr_children(node: ast.Expr) -> list[ast.Expr]:
    children: list[ast.Expr] = []
    for value in vars(node).values():
        if isinstance(value, ast.Expr):
            children.append(value)
        elif isinstance(value, tuple):
            children.extend(item for item in value if isinstance(item, ast.Expr))
    return children


def _never_missing(node: ast.Expr, program: Program) -> bool:
    """A literal, or a field every subject must give (`required`, or a list that defaults to empty)."""
    if isinstance(node, (ast.Number, ast.Text, ast.Boolean, ast.DateLiteral, ast.DurationLiteral, ast.Today)):
        return True
    resolution = program.resolutions.get(id(node))
    if isinstance(resolution, FieldRef) and resolution.via is None:
        spec = resolution.spec
        return spec.required or spec.path in ("name", "tags", "depends_on", "targets", *DERIVED_FIELDS)
    return False


COPY_THRESHOLD = 3  # names two files both declare, from which one is taken for a copy of the other
_COPY_HELP = (
    "the files hold the same declarations, as when files are copied twice into a repo: keep one copy. "
    "To use the library shipped with decisionlang beside names of your own, import it by name instead "
    'of copying it (`import "decisionlang:<file>" as lib`, then `lib.<name>`)'
)


def _listing_of(collisions: list[_Collision]) -> str:
    shown = ", ".join(collision.what for collision in collisions[:6])
    return shown + (f" and {len(collisions) - 6} more" if len(collisions) > 6 else "")


@dataclass(frozen=True)
class _Collision:
    """A name declared where another file (or the same) declares it already."""

    what: str  # "scale `criticality`", "field `tier`"
    span: Span
    previous: Span
    diagnostic: Diagnostic  # how it is reported alone


def _same_field(a: FieldSpec, b: FieldSpec) -> bool:
    """Two declarations of one state field that agree on what a state may hold: the same type, and
    the same range and unit where both give one (descriptions may differ)."""

    def agree(x: object, y: object) -> bool:
        return x is None or y is None or x == y

    return (
        (a.type, a.integer) == (b.type, b.integer)
        and agree(a.minimum, b.minimum)
        and agree(a.maximum, b.maximum)
        and agree(a.unit, b.unit)
    )


def _merged_field(a: FieldSpec, b: FieldSpec) -> FieldSpec:
    """One field from two agreeing declarations: the first's words, what either one adds."""
    return replace(
        a,
        minimum=a.minimum if a.minimum is not None else b.minimum,
        maximum=a.maximum if a.maximum is not None else b.maximum,
        unit=a.unit or b.unit,
        description=a.description or b.description,
        required=a.required or b.required,
        fixed=a.fixed or b.fixed,
        fresh_days=a.fresh_days if a.fresh_days is not None else b.fresh_days,
        fresh_text=a.fresh_text if a.fresh_days is not None else b.fresh_text,
        strict=a.strict or b.strict,
    )


def _field_difference(a: FieldSpec, b: FieldSpec) -> str:
    def kind(spec: FieldSpec) -> str:
        return "integer" if spec.integer else str(spec.type)

    def bounds(spec: FieldSpec) -> str:
        low = "" if spec.minimum is None else f"{spec.minimum:g}"
        high = "" if spec.maximum is None else f"{spec.maximum:g}"
        return f"{low}..{high}" if low or high else "no range"

    if (a.type, a.integer) != (b.type, b.integer):
        return f"{kind(a)}, then {kind(b)}"
    if (a.minimum, a.maximum) != (b.minimum, b.maximum):
        return f"{bounds(a)}, then {bounds(b)}"
    return f"unit {a.unit or 'none'}, then {b.unit or 'none'}"


def _elsewhere(name: str, namespace: str, declared: list[str]) -> str | None:
    """The hint for a name declared only in another namespace: how to write it from here."""
    if "." in name:
        return None
    owners = sorted(
        {namespace_of(other) for other in declared if local_name(other) == name and namespace_of(other)}
    )
    spelled = [f"`{owner}.{name}`" for owner in owners if owner != namespace]
    if not spelled:
        return None
    return f"`{name}` is a name of a file imported with an alias: write {' or '.join(spelled)}"


def _parts(message: ast.Message | None) -> tuple[ast.Expr, ...]:
    return tuple(part for part in message.parts if isinstance(part, ast.Expr)) if message else ()


def dotted_path(node: ast.Expr) -> list[str] | None:
    """`a.b.c` as ["a", "b", "c"] when the expression is only names and dots."""
    if isinstance(node, ast.Name):
        return [node.name]
    if isinstance(node, ast.Attribute):
        base = dotted_path(node.base)
        return None if base is None else [*base, node.name]
    return None


# ---------------------------------------------------------------- dead rules


def static_truth(expr: ast.Expr, program: Program) -> bool | None:
    """True/False when a condition is decided by the schema alone (ranges, scales, literals)."""
    match expr:
        case ast.Boolean():
            return expr.value
        case ast.Logical():
            left, right = static_truth(expr.left, program), static_truth(expr.right, program)
            if expr.op is ast.LogicOp.AND:
                if left is False or right is False:
                    return False
                return True if left is True and right is True else None
            if left is True or right is True:
                return True
            return False if left is False and right is False else None
        case ast.Unary(op=ast.UnaryOp.NOT):
            inner = static_truth(expr.operand, program)
            return None if inner is None else not inner
        case ast.Compare():
            return _compare_truth(expr, program)
    return None


def _interval(expr: ast.Expr, program: Program, depth: int = 0) -> tuple[float, float] | None:
    if isinstance(expr, ast.Number):
        return (expr.value, expr.value)
    resolution = program.resolutions.get(id(expr))
    if isinstance(resolution, ScaleValueRef):
        rank = (
            resolution.scale.rank(resolution.value) if resolution.value in resolution.scale.values else None
        )
        return None if rank is None else (rank, rank)
    if isinstance(resolution, ConstRef) and depth < 32:  # deeper means a cycle, reported elsewhere
        value = program.constants[resolution.name].value
        return _interval(value, program, depth + 1)
    if isinstance(resolution, FieldRef | ItemFieldRef):
        spec = resolution.spec
        if isinstance(spec.type, ScaleType):
            return (1, len(spec.type.values))
        if spec.allowed:
            return (min(spec.allowed), max(spec.allowed))
        low = spec.minimum if spec.minimum is not None else float("-inf")
        high = spec.maximum if spec.maximum is not None else float("inf")
        return (low, high)
    return None


def _compare_truth(expr: ast.Compare, program: Program) -> bool | None:
    left, right = _interval(expr.left, program), _interval(expr.right, program)
    if left is None or right is None:
        return None
    (a_low, a_high), (b_low, b_high) = left, right
    match expr.op:
        case ast.CompareOp.LT:
            return True if a_high < b_low else False if a_low >= b_high else None
        case ast.CompareOp.LE:
            return True if a_high <= b_low else False if a_low > b_high else None
        case ast.CompareOp.GT:
            return True if a_low > b_high else False if a_high <= b_low else None
        case ast.CompareOp.GE:
            return True if a_low >= b_high else False if a_high < b_low else None
        case ast.CompareOp.EQ:
            if a_high < b_low or b_high < a_low:
                return False
            return True if a_low == a_high == b_low == b_high else None
        case ast.CompareOp.NE:
            if a_high < b_low or b_high < a_low:
                return True
            return False if a_low == a_high == b_low == b_high else None
    return None


def _cap_per_file(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """At most MAX_ERRORS_PER_FILE errors (and as many warnings) per file, to stop cascades."""
    counts: dict[tuple[str, bool], int] = {}
    kept = []
    for diagnostic in diagnostics:
        key = (diagnostic.span.path if diagnostic.span else "", diagnostic.is_error)
        counts[key] = counts.get(key, 0) + 1
        if counts[key] <= MAX_ERRORS_PER_FILE:
            kept.append(diagnostic)
    return kept


def check_program(modules: list[ast.Module]) -> tuple[Program, list[Diagnostic]]:
    """Check every module together (one namespace); return the program and all diagnostics."""
    return Checker(modules).check()


def check_expression(program: Program, node: ast.Expr) -> tuple[Type, list[Diagnostic]]:
    """Check one standalone expression (`decisionlang eval`) in the scope of a rule of the checked
    `program`: its fields, consts, defines, scales and functions. Its types and resolutions are
    added to the program, so the engine's compiler compiles it; the diagnostics are those located
    in the expression's own text (a definition it reads was checked with the program)."""
    checker = Checker([])
    checker.program = program
    type_ = checker.expr(node, _Scope(description="expression"))
    path = node.span.path
    return type_, [d for d in checker.diagnostics if d.span is None or d.span.path == path]


__all__ = [
    "BOOL", "DATE", "DURATION", "NUMBER", "SUBJECT", "TEXT",
    "ConstRef", "DefineRef", "FieldRef", "GroupRef", "ItemFieldRef", "PortfolioRef", "Program", "Resolution",
    "ScaleValueRef", "SideRef", "TradeoffRef", "VariableRef",
    "check_expression", "check_program", "did_you_mean", "dotted_path", "rule_id",
]  # fmt: skip

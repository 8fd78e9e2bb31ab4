"""The lint rules: each a stable code, a short name, a category, a default severity and a check.

A check reads a `Context` (the checked program, the project's own policy files, the tests that
name each policy, the subjects) and yields `Hit`s; `decisionlang.lint` turns them into
diagnostics at the configured severity. Every rule is documented in docs/lint.md, one section per
rule under its code (the anchor `#l201`); keep the two in step.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from decisionlang.core.diagnostics import Severity
from decisionlang.core.spans import Span
from decisionlang.language import ast
from decisionlang.language.checker import (
    ConstRef,
    DefineRef,
    FieldRef,
    GroupRef,
    ItemFieldRef,
    Program,
    ScaleValueRef,
    SideRef,
    TradeoffRef,
    dotted_path,
    static_truth,
)
from decisionlang.language.types import FieldSpec
from decisionlang.lint.walk import constant_value, field_of, message_exprs, nodes, number_of, roots

DOCS_URI = "https://github.com/decisionlang/decisionlang/blob/main/docs/lint.md"  # docs/lint.md, published


@dataclass(frozen=True)
class Hit:
    """One place a rule found something: where, what, and how to fix it."""

    span: Span
    message: str
    help: str | None = None


@dataclass
class Context:
    """What the rules read. `own` are the project's policy files (a library file is read, never
    linted); `tested` the policies some test case names; `has_tests` whether any test file exists."""

    program: Program
    own: frozenset[str]
    tested: frozenset[str] = frozenset()
    tests_all: bool = False  # a test file says `policies: all`
    has_tests: bool = False
    values_held: Mapping[str, frozenset[str]] = field(default_factory=dict)  # scale -> values subjects hold
    has_subjects: bool = True

    def mine(self, span: Span | None) -> bool:
        return span is not None and span.path in self.own


Check = Callable[[Context], Iterator[Hit]]


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    category: str
    severity: Severity
    summary: str
    check: Check = field(repr=False, compare=False)

    @property
    def help_uri(self) -> str:
        return f"{DOCS_URI}#{self.code.lower()}-{self.name}"  # the heading `## L201 missing-because`


CATEGORIES = ("bugs", "clarity", "maintainability", "style", "testing", "directives")


# ---------------------------------------------------------------- helpers


def _policies(ctx: Context) -> Iterator[ast.PolicyDecl]:
    return (policy for policy in ctx.program.policies.values() if ctx.mine(policy.span))


def _rule_name(ctx: Context, rule: ast.RuleDecl) -> str:
    return ctx.program.rule_ids.get(id(rule), rule.name or rule.kind.value)


def _effective(rule: ast.RuleDecl) -> ast.Expr:
    """The condition under which the rule fires: `unless c` fires when `not c`."""
    if rule.unless:
        return ast.Unary(ast.UnaryOp.NOT, rule.condition, span=rule.condition.span)
    return rule.condition


# ---------------------------------------------------------------- L101 shadowed-go


_FLIPPED = {
    ast.CompareOp.LT: ast.CompareOp.GT,
    ast.CompareOp.LE: ast.CompareOp.GE,
    ast.CompareOp.GT: ast.CompareOp.LT,
    ast.CompareOp.GE: ast.CompareOp.LE,
    ast.CompareOp.EQ: ast.CompareOp.EQ,
    ast.CompareOp.NE: ast.CompareOp.NE,
}

Bound = tuple[float, bool]  # a value, and whether it belongs to the interval
_IMPLICATION_BUDGET = 2_000  # steps of one proof: conditions are small; a huge one is not proved


def _field_bound(expr: ast.Compare, program: Program) -> tuple[ast.Expr, ast.CompareOp, float] | None:
    """`x >= 5` (or `5 <= x`) as (x, >=, 5) when one side is a number the program fixes."""
    right = number_of(expr.right, program)
    if right is not None and number_of(expr.left, program) is None:
        return expr.left, expr.op, right
    left = number_of(expr.left, program)
    if left is not None and number_of(expr.right, program) is None:
        return expr.right, _FLIPPED[expr.op], left
    return None


def _interval(op: ast.CompareOp, value: float) -> tuple[Bound, Bound] | None:
    inf = float("inf")
    match op:
        case ast.CompareOp.LT:
            return (-inf, False), (value, False)
        case ast.CompareOp.LE:
            return (-inf, False), (value, True)
        case ast.CompareOp.GT:
            return (value, False), (inf, False)
        case ast.CompareOp.GE:
            return (value, True), (inf, False)
        case ast.CompareOp.EQ:
            return (value, True), (value, True)
    return None


def _within(inner: tuple[Bound, Bound], outer: tuple[Bound, Bound]) -> bool:
    (low, low_in), (high, high_in) = inner
    (o_low, o_low_in), (o_high, o_high_in) = outer
    above = low > o_low or (low == o_low and (o_low_in or not low_in))
    below = high < o_high or (high == o_high and (o_high_in or not high_in))
    return above and below


def _compare_implies(a: ast.Compare, b: ast.Compare, program: Program) -> bool:
    first, second = _field_bound(a, program), _field_bound(b, program)
    if first is None or second is None or first[0] != second[0]:
        return False
    (_, a_op, a_value), (_, b_op, b_value) = first, second
    if b_op is ast.CompareOp.NE:
        excluded = _interval(ast.CompareOp.EQ, b_value)
        inner = _interval(a_op, a_value)
        if inner is None or excluded is None:
            return False
        (low, _), (high, _) = inner
        return (a_op is ast.CompareOp.EQ and a_value != b_value) or high < b_value or low > b_value
    inner, outer = _interval(a_op, a_value), _interval(b_op, b_value)
    return inner is not None and outer is not None and _within(inner, outer)


def implies(a: ast.Expr, b: ast.Expr, program: Program) -> bool:
    """Whether `a` holding proves `b` holds, from the conditions' shape alone: the same
    condition; `and`/`or` taken apart; comparisons of one field with numbers, constants, durations
    or scale values (intervals). False means "not proved", never "disproved"."""
    budget = [_IMPLICATION_BUDGET]

    def go(a: ast.Expr, b: ast.Expr) -> bool:
        budget[0] -= 1
        if budget[0] < 0:
            return False
        if a == b:
            return True
        if isinstance(b, ast.Logical) and b.op is ast.LogicOp.AND:
            return go(a, b.left) and go(a, b.right)
        if isinstance(a, ast.Logical) and a.op is ast.LogicOp.OR:
            return go(a.left, b) and go(a.right, b)
        if isinstance(b, ast.Logical) and b.op is ast.LogicOp.OR and (go(a, b.left) or go(a, b.right)):
            return True
        if isinstance(a, ast.Logical) and a.op is ast.LogicOp.AND and (go(a.left, b) or go(a.right, b)):
            return True
        if isinstance(a, ast.Compare) and isinstance(b, ast.Compare):
            return _compare_implies(a, b, program)
        return False

    return go(a, b)


def shadowed_go(ctx: Context) -> Iterator[Hit]:
    blocking = (ast.RuleKind.NO_GO, ast.RuleKind.NOT_YET)
    for policy in _policies(ctx):
        blockers = [rule for rule in policy.rules if rule.kind in blocking]
        for rule in policy.rules:
            if rule.kind is not ast.RuleKind.GO:
                continue
            for blocker in blockers:
                if implies(_effective(rule), _effective(blocker), ctx.program):
                    verdict = "NO-GO" if blocker.kind is ast.RuleKind.NO_GO else "NOT YET"
                    yield Hit(
                        rule.span,
                        f"go rule `{_rule_name(ctx, rule)}` can never give GO: whenever it holds, "
                        f"{blocker.kind.value} rule `{_rule_name(ctx, blocker)}` holds too and gives "
                        f"{verdict}",
                        f"narrow the go rule's condition, or remove it (the {blocker.kind.value} rule is at "
                        f"{blocker.span})",
                    )
                    break


# ---------------------------------------------------------------- L102 constant-condition


def constant_condition(ctx: Context) -> Iterator[Hit]:
    program = ctx.program
    for policy in _policies(ctx):
        where = policy.selector.where if policy.selector is not None else None
        if where is not None and static_truth(where, program) is True:
            yield Hit(
                where.span,
                f"the `where` of policy `{policy.name}` always holds",
                "remove it, or write the condition meant",
            )
        for rule in policy.rules:
            truth = static_truth(rule.condition, program)
            if truth is None or truth == rule.unless:  # never firing is the checker's DL-CHECK-NEVER-FIRES
                continue
            yield Hit(
                rule.condition.span,
                f"rule `{_rule_name(ctx, rule)}` always fires: its condition "
                f"{'never holds' if rule.unless else 'always holds'}",
                "for the declared schema ranges and scales; write the condition meant, or drop the rule",
            )
    for maturity in program.maturities.values():
        if not ctx.mine(maturity.span):
            continue
        for level in maturity.levels:
            for requirement in level.requirements:
                if static_truth(requirement.condition, program) is True:
                    name = f"{maturity.name}.{level.name}" + (
                        f".{requirement.name}" if requirement.name else ""
                    )
                    yield Hit(
                        requirement.condition.span,
                        f"requirement `{name}` always holds",
                        "for the declared schema ranges and scales; write the condition meant",
                    )


# ---------------------------------------------------------------- L103 unmatchable-selector


def unmatchable_selector(ctx: Context) -> Iterator[Hit]:
    for policy in _policies(ctx):
        selector = policy.selector
        if selector is None:
            continue
        if len(selector.kinds) > 1:
            common = set(selector.kinds[0]).intersection(*map(set, selector.kinds[1:]))
            if not common:
                clauses = " and ".join("`kind " + ", ".join(kinds) + "`" for kinds in selector.kinds)
                yield Hit(
                    selector.span,
                    f"policy `{policy.name}` applies to nothing: a subject has one kind, and {clauses} "
                    "share none",
                    "write the kinds in one clause (`kind service, initiative`) to select either",
                )
                continue
        if selector.where is not None and static_truth(selector.where, ctx.program) is False:
            yield Hit(
                selector.where.span,
                f"policy `{policy.name}` applies to nothing: its `where` never holds",
                "for the declared schema ranges and scales; write the condition meant",
            )


# ---------------------------------------------------------------- L104 percent-scale


def _is_share(spec: FieldSpec) -> bool:
    return spec.minimum is not None and spec.maximum == 1 and spec.minimum >= 0 and not spec.integer


def _in_percent(spec: FieldSpec) -> bool:
    return spec.unit is not None and spec.unit.strip().lower() in ("%", "percent", "per cent")


def percent_scale(ctx: Context) -> Iterator[Hit]:
    program = ctx.program
    for root in roots(program):
        if root.owner.startswith("const") or not _root_mine(ctx, root.expr):
            continue
        for node in nodes(root.expr):
            if not isinstance(node, ast.Compare):
                continue
            for side, other in ((node.left, node.right), (node.right, node.left)):
                spec = field_of(side, program)
                if spec is None or not isinstance(other, ast.Number):
                    continue
                percent = other.text.endswith("%")
                if _is_share(spec) and not percent and other.value > 1:
                    yield Hit(
                        other.span,
                        f"`{other.text}` compared with `{spec.path}`, a share from 0 to 1: it never "
                        "reaches it",
                        f"write `{other.text}%` for a percentage",
                    )
                elif _in_percent(spec) and percent:
                    yield Hit(
                        other.span,
                        f"`{other.text}` is {other.value:g}, but `{spec.path}` is in percent "
                        f"(unit {spec.unit!r})",
                        f"write `{other.text.removesuffix('%')}`",
                    )


def _root_mine(ctx: Context, expr: ast.Expr) -> bool:
    return ctx.mine(expr.span)


# ---------------------------------------------------------------- L201 missing-because


def missing_because(ctx: Context) -> Iterator[Hit]:
    for policy in _policies(ctx):
        for rule in policy.rules:
            if rule.because is None:
                yield Hit(
                    rule.span,
                    f"{rule.kind.value} rule `{_rule_name(ctx, rule)}` has no `because`",
                    'say why in the words of the decision: `because "support ended on {support_ends}"`',
                )


# ---------------------------------------------------------------- L202 until-without-field


def _field_words(program: Program) -> list[tuple[str, re.Pattern[str]]]:
    """For each field, a pattern of how a text names it: its path, or its last part with the
    words joined by `_`, `-`, a space or nothing, in any case (`time_window`, `time window`,
    `timeWindow` as the source file writes it)."""
    words = []
    for path in sorted(program.all_fields()):
        parts = [word for word in path.rsplit(".", 1)[-1].split("_") if word]
        last = r"[\s_-]?".join(re.escape(word) for word in parts)
        pattern = f"{re.escape(path)}|{last}" if last else re.escape(path)
        words.append((path, re.compile(rf"(?<![\w.])(?:{pattern})(?!\w)", re.IGNORECASE)))
    return words


_SUBJECT_CALLS = ("score", "level", "verdict")  # a criteria score, a maturity level, a policy's verdict


def _reads_field(expr: ast.Expr, program: Program) -> bool:
    """Whether an interpolated expression shows something of the subject: a field, a group, a
    definition, a trade-off, a score, a level or a verdict."""
    for node in nodes(expr):
        if isinstance(node, ast.Call) and node.function in _SUBJECT_CALLS:
            return True
        resolution = program.resolutions.get(id(node))
        if isinstance(resolution, FieldRef | ItemFieldRef | GroupRef | DefineRef | TradeoffRef | SideRef):
            return True
    return False


def until_without_field(ctx: Context) -> Iterator[Hit]:
    program = ctx.program
    words = _field_words(program)
    for policy in _policies(ctx):
        untils = [(rule.until, _rule_name(ctx, rule)) for rule in policy.rules]
        if policy.otherwise is not None:
            untils.append((policy.otherwise.until, f"{policy.name}.otherwise"))
        for until, name in untils:
            if until is None:
                continue
            if any(_reads_field(part, program) for part in message_exprs(until)):
                continue
            text = "".join(part for part in until.parts if isinstance(part, str))
            if any(pattern.search(text) for _, pattern in words):
                continue
            yield Hit(
                until.span,
                f"the `until` of `{name}` names no field: it does not say which fact must change",
                'name the field to change and its target: `until "risk.security below 8"`',
            )


# ---------------------------------------------------------------- L203 duplicate-because


def duplicate_because(ctx: Context) -> Iterator[Hit]:
    for policy in _policies(ctx):
        seen: dict[str, ast.RuleDecl] = {}
        for rule in policy.rules:
            if rule.because is None:
                continue
            first = seen.setdefault(rule.because.text, rule)
            if first is not rule:
                yield Hit(
                    rule.because.span,
                    f"rule `{_rule_name(ctx, rule)}` gives the same reason as `{_rule_name(ctx, first)}`",
                    "a reader of the report cannot tell which rule decided: say what differs",
                )


# ---------------------------------------------------------------- L301 literal-threshold


def _threshold_key(node: ast.Expr, program: Program) -> tuple[str, float] | None:
    value = constant_value(node, program)
    if isinstance(value, ast.Number):
        return ("number", value.value)
    if isinstance(value, ast.DurationLiteral):
        return ("duration", value.days)
    return None


def _comparisons(ctx: Context, *, own: bool) -> Iterator[tuple[ast.Expr, ast.Expr]]:
    """(quantity, threshold) for each side of each comparison outside constants and messages."""
    for root in roots(ctx.program):
        if root.role in ("const", "because", "until", "otherwise") or (own and not ctx.mine(root.expr.span)):
            continue
        for node in nodes(root.expr):
            if isinstance(node, ast.Compare):
                yield node.left, node.right
                yield node.right, node.left


def literal_threshold(ctx: Context) -> Iterator[Hit]:
    """A literal compared with a quantity that a constant of the same value is compared with
    elsewhere, or whose name the constant's name contains (`max_change_failure_rate` for
    `dora.change_failure_rate`). Any constant of the same value would flag every `== 1`."""
    program = ctx.program
    by_value: dict[tuple[str, float], list[str]] = {}
    for const in program.constants.values():
        key = _threshold_key(const.value, program)
        if key is not None and isinstance(const.value, ast.Number | ast.DurationLiteral):
            by_value.setdefault(key, []).append(const.name)
    if not by_value:
        return
    used_for: dict[tuple[ast.Expr, tuple[str, float]], set[str]] = {}
    for quantity, threshold in _comparisons(ctx, own=False):
        resolution = program.resolutions.get(id(threshold))
        key = _threshold_key(threshold, program)
        if isinstance(resolution, ConstRef) and key is not None:
            used_for.setdefault((quantity, key), set()).add(resolution.name)
    for quantity, side in _comparisons(ctx, own=True):
        if not isinstance(side, ast.Number | ast.DurationLiteral):
            continue
        key = _threshold_key(side, program)
        assert key is not None
        names = used_for.get((quantity, key))
        if not names:
            path = dotted_path(quantity)
            local = path[-1].lower() if path else ""
            names = {name for name in by_value.get(key, []) if len(local) >= 4 and local in name.lower()}
        if names:
            listed = " or ".join(f"`{name}`" for name in sorted(names))
            yield Hit(
                side.span,
                f"threshold `{side.text}` is written as a literal, but {listed} holds that value "
                f"for `{quantity.span.text()}`",
                f"write {listed}, so the threshold is tuned in one place",
            )


# ---------------------------------------------------------------- L302-L304 unused declarations


def _used(program: Program) -> tuple[set[str], set[str], set[tuple[str, str]]]:
    consts: set[str] = set()
    defines: set[str] = set()
    values: set[tuple[str, str]] = set()
    for resolution in program.resolutions.values():
        if isinstance(resolution, ConstRef):
            consts.add(resolution.name)
        elif isinstance(resolution, DefineRef):
            defines.add(resolution.name)
        elif isinstance(resolution, ScaleValueRef):
            values.add((resolution.scale.name, resolution.value))
    for criteria in program.criteria.values():
        consts.update(term.weight_constant for term in criteria.terms if term.weight_constant)
    return consts, defines, values


def unused_const(ctx: Context) -> Iterator[Hit]:
    used, _, _ = _used(ctx.program)
    for const in ctx.program.constants.values():
        if const.name not in used and ctx.mine(const.span):
            yield Hit(const.span, f"const `{const.name}` is never used", "remove it, or use it")


def unused_define(ctx: Context) -> Iterator[Hit]:
    _, used, _ = _used(ctx.program)
    for define in ctx.program.defines.values():
        if define.name not in used and ctx.mine(define.span):
            yield Hit(define.span, f"define `{define.name}` is never used", "remove it, or use it")


def _table_keys(program: Program) -> set[str]:
    keys: set[str] = set()
    for root in roots(program):
        for node in nodes(root.expr):
            if isinstance(node, ast.Table):
                keys.update(node.keys)
            elif isinstance(node, ast.Name | ast.Text):
                keys.add(node.name if isinstance(node, ast.Name) else node.value)
    return keys


def unused_scale_value(ctx: Context) -> Iterator[Hit]:
    program = ctx.program
    if not ctx.has_subjects:  # a library alone: no data to say what is held
        return
    _, _, named = _used(program)
    written = _table_keys(program)
    for qualified, scale in program.scales.items():
        declaration = _scale_decl(ctx, qualified)
        if declaration is None:
            continue
        held = ctx.values_held.get(scale.name, frozenset())
        for value, span in zip(declaration.values, declaration.value_spans, strict=False):
            if (scale.name, value) in named or value in written or value in held:
                continue
            yield Hit(
                span,
                f"value `{value}` of scale `{scale.name}` is named by no policy and held by no subject",
                "remove it, or keep it with `# lint: ignore L304 <why>` if states will hold it",
            )


def _scale_decl(ctx: Context, name: str) -> ast.ScaleDecl | None:
    declaration = ctx.program.scale_decls.get(name)
    return declaration if declaration is not None and ctx.mine(declaration.span) else None


# ---------------------------------------------------------------- L401 naming-style

_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def _local(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def naming_style(ctx: Context) -> Iterator[Hit]:
    program = ctx.program
    named: list[tuple[str, str, Span]] = []
    named += [("policy", p.name, p.span) for p in program.policies.values()]
    named += [("const", c.name, c.span) for c in program.constants.values()]
    named += [("define", d.name, d.span) for d in program.defines.values()]
    named += [("criteria", c.name, c.span) for c in program.criteria.values()]
    named += [("tradeoff", t.name, t.span) for t in program.tradeoffs.values()]
    named += [("maturity", m.name, m.span) for m in program.maturities.values()]
    for policy in program.policies.values():
        named += [(f"{r.kind.value} rule", r.name, r.span) for r in policy.rules if r.name]
    for kind, name, span in named:
        local = _local(name)
        if ctx.mine(span) and not _SNAKE.fullmatch(local):
            yield Hit(
                span,
                f"{kind} name `{local}` is not snake_case",
                f"write `{_snake(local)}`: names are lower case words joined by `_`",
            )


def _snake(name: str) -> str:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"_+", "_", re.sub(r"\W", "_", spaced)).strip("_").lower() or name


# ---------------------------------------------------------------- L501 policy-without-test


def policy_without_test(ctx: Context) -> Iterator[Hit]:
    if ctx.tests_all:
        return
    for policy in _policies(ctx):
        if policy.name not in ctx.tested:
            yield Hit(
                policy.span,
                f"policy `{policy.name}` has no test: no case of a `*.test.yaml` file names it",
                f"add a case with `expect: {{policies: {{{_local(policy.name)}: go}}}}` next to the policies",
            )


# ---------------------------------------------------------------- the table

# The directives' own rules (decisionlang.lint.directives): their checks run with the ignores.
IGNORE_WITHOUT_REASON = "L901"
UNUSED_IGNORE = "L902"
UNKNOWN_IGNORE = "L903"


def _none(ctx: Context) -> Iterator[Hit]:
    return iter(())


RULES: tuple[Rule, ...] = (
    Rule(
        "L101",
        "shadowed-go",
        "bugs",
        Severity.ERROR,
        "a go rule that a blocking rule always overrides",
        shadowed_go,
    ),
    Rule(
        "L102",
        "constant-condition",
        "bugs",
        Severity.WARNING,
        "a condition that always holds",
        constant_condition,
    ),
    Rule(
        "L103",
        "unmatchable-selector",
        "bugs",
        Severity.ERROR,
        "an `applies to` no subject can match",
        unmatchable_selector,
    ),
    Rule(
        "L104",
        "percent-scale",
        "bugs",
        Severity.WARNING,
        "a share compared with a number out of its scale",
        percent_scale,
    ),
    Rule("L201", "missing-because", "clarity", Severity.WARNING, "a rule with no `because`", missing_because),
    Rule(
        "L202",
        "until-without-field",
        "clarity",
        Severity.WARNING,
        "an `until` that names no field",
        until_without_field,
    ),
    Rule(
        "L203",
        "duplicate-because",
        "clarity",
        Severity.WARNING,
        "two rules of a policy with one reason",
        duplicate_because,
    ),
    Rule(
        "L301",
        "literal-threshold",
        "maintainability",
        Severity.WARNING,
        "a literal threshold a `const` holds",
        literal_threshold,
    ),
    Rule("L302", "unused-const", "maintainability", Severity.WARNING, "a `const` nothing uses", unused_const),
    Rule(
        "L303", "unused-define", "maintainability", Severity.WARNING, "a `define` nothing uses", unused_define
    ),
    Rule(
        "L304",
        "unused-scale-value",
        "maintainability",
        Severity.INFO,
        "a scale value nothing names or holds",
        unused_scale_value,
    ),
    Rule("L401", "naming-style", "style", Severity.WARNING, "a name that is not snake_case", naming_style),
    Rule(
        "L501",
        "policy-without-test",
        "testing",
        Severity.WARNING,
        "a policy no test case names",
        policy_without_test,
    ),
    Rule(
        IGNORE_WITHOUT_REASON,
        "ignore-without-reason",
        "directives",
        Severity.ERROR,
        "a `# lint: ignore` without a reason",
        _none,
    ),
    Rule(
        UNUSED_IGNORE,
        "unused-ignore",
        "directives",
        Severity.WARNING,
        "a `# lint: ignore` that suppresses nothing",
        _none,
    ),
    Rule(
        UNKNOWN_IGNORE,
        "unknown-rule-in-ignore",
        "directives",
        Severity.ERROR,
        "a `# lint: ignore` naming no rule",
        _none,
    ),
)

BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def find_rule(key: str) -> Rule | None:
    """The rule a code (`L201`, any case) or a name (`missing-because`) designates."""
    return BY_CODE.get(key.upper()) or BY_NAME.get(key.lower())

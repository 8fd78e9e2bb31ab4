"""What hovering a name shows: its declaration, type, unit, range and description; for a rule, what
it decides on the current portfolio ("fires for 3 subjects: a, b, c")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from decisionlang.core.format import show_number
from decisionlang.core.model import Outcome, Report
from decisionlang.core.spans import Span
from decisionlang.language import ast
from decisionlang.language.checker import Program
from decisionlang.language.types import FieldSpec
from decisionlang.lsp.symbols import Declared, Index, Key

SHOWN_SUBJECTS = 10  # subjects named in a rule's hover; the rest are counted


@dataclass(frozen=True)
class RuleOutcomes:
    """Which subjects each rule fired for, and which it could not decide (missing information)."""

    fired: Mapping[str, tuple[str, ...]]
    unknown: Mapping[str, tuple[str, ...]]
    subjects: int
    applies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # by policy: its subjects

    @staticmethod
    def of(report: Report) -> RuleOutcomes:
        fired: dict[str, list[str]] = {}
        unknown: dict[str, list[str]] = {}
        applies: dict[str, list[str]] = {}
        for subject in report.subjects:
            for policy in subject.policies:
                applies.setdefault(policy.policy, []).append(subject.subject)
                for rule in policy.rules:
                    if rule.outcome is Outcome.FIRED:
                        fired.setdefault(rule.rule, []).append(subject.subject)
                    elif rule.outcome is Outcome.UNKNOWN:
                        unknown.setdefault(rule.rule, []).append(subject.subject)
        return RuleOutcomes(
            {rule: tuple(sorted(names)) for rule, names in fired.items()},
            {rule: tuple(sorted(names)) for rule, names in unknown.items()},
            len(report.subjects),
            {policy: tuple(sorted(names)) for policy, names in applies.items()},
        )


def hover_markdown(
    key: Key, index: Index, program: Program, outcomes: RuleOutcomes | None = None
) -> str | None:
    """The Markdown shown for the name KEY, or None when nothing is known of it."""
    declared = index.declarations.get(key)
    kind = key[0]
    if kind == "field":
        spec = program.all_fields().get(key[1])
        return _field(spec, declared) if spec is not None else None
    if declared is None:
        return None
    node = declared.node
    if kind == "scale" and isinstance(node, ast.ScaleDecl):
        return _block(
            f"scale {node.name}", node.title, f"values: {' < '.join(node.values)}", where=declared.span
        )
    if kind == "value" and isinstance(node, ast.ScaleDecl):
        value = key[2]
        rank = node.values.index(value) + 1 if value in node.values else 0
        ordered = " < ".join(f"**{each}**" if each == value else each for each in node.values)
        return _block(
            f"{value}  (scale {node.name})",
            f"value {rank} of {len(node.values)}: {ordered}",
            where=declared.span,
        )
    if kind == "const" and isinstance(node, ast.ConstDecl):
        return _block(
            f"const {node.name} = {node.value.span.text()}", _typed(program, node.value), where=declared.span
        )
    if kind == "define" and isinstance(node, ast.DefineDecl):
        return _block(
            f"define {node.name} = {node.value.span.text()}",
            node.title,
            _typed(program, node.value),
            where=declared.span,
        )
    if kind == "criteria" and isinstance(node, ast.CriteriaDecl):
        terms = [f"- `{term.expr.span.text()}` weight {show_number(term.weight)}" for term in node.terms]
        return _block(f"criteria {node.name}", node.title, "\n".join(terms), where=declared.span)
    if kind == "tradeoff" and isinstance(node, ast.TradeoffDecl):
        sides = (
            f"- {node.first.name} = `{node.first.expr.span.text()}`\n"
            f"- {node.second.name} = `{node.second.expr.span.text()}`\n"
            f"- acceptable when `{node.acceptable.span.text()}`"
        )
        return _block(f"tradeoff {node.name}", node.title, sides, where=declared.span)
    if kind == "maturity" and isinstance(node, ast.MaturityDecl):
        levels = " < ".join(level.name for level in node.levels)
        return _block(f"maturity {node.name}", node.title, f"levels: {levels}", where=declared.span)
    if kind == "policy" and isinstance(node, ast.PolicyDecl):
        return _policy(node, declared)
    if kind == "rule" and isinstance(node, ast.RuleDecl):
        return _rule(key, node, declared, outcomes)
    if kind == "import" and isinstance(node, ast.Import):
        return _block(
            f'import "{node.path}"' + (f" as {node.alias}" if node.alias else ""), where=declared.span
        )
    return None


def state_hover(name: str, spec: FieldSpec | None, index: Index, program: Program) -> str:
    """A key of a state file: the field it writes, or the group of fields under it."""
    if spec is not None:
        return _field(spec, index.declarations.get(("field", name)))
    under = sorted(path for path in program.all_fields() if path.startswith(name + "."))
    listed = "\n".join(f"- `{path}`: {program.all_fields()[path].type_text()}" for path in under)
    return _block(f"{name}  (group of {len(under)} fields)", listed)


def _field(spec: FieldSpec, declared: Declared | None) -> str:
    facts = [spec.type_text()]
    if spec.allowed is not None:
        facts.append("in {" + ", ".join(show_number(value) for value in spec.allowed) + "}")
    if spec.minimum is not None and spec.maximum is not None:
        facts.append(f"{show_number(spec.minimum)}..{show_number(spec.maximum)}")
    elif spec.minimum is not None:
        facts.append(f">= {show_number(spec.minimum)}")
    elif spec.maximum is not None:
        facts.append(f"<= {show_number(spec.maximum)}")
    if spec.unit:
        facts.append(f'unit "{spec.unit}"')
    if spec.required:
        facts.append("required")
    where = declared.span if declared is not None else spec.span
    builtin = None if where is not None else "a field every subject has"
    return _block(f"{spec.path}: {' '.join(facts)}", spec.description, builtin, where=where)


def _typed(program: Program, node: ast.Expr) -> str | None:
    kind = program.type_of(node)
    return f"type: {kind}" if str(kind) != "any" else None


def _policy(node: ast.PolicyDecl, declared: Declared) -> str:
    lines = []
    if node.selector is not None:
        lines.append(f"applies to `{node.selector.span.text()}`")
    if node.enforcement is not None:
        lines.append(f"enforcement {node.enforcement.value}")
    named = sum(1 for rule in node.rules if rule.name)
    lines.append(
        f"{len(node.rules)} rules ({named} named)" + (", and an `otherwise`" if node.otherwise else "")
    )
    return _block(f"policy {node.name}", node.title, "\n\n".join(lines), where=declared.span)


def _rule(key: Key, node: ast.RuleDecl, declared: Declared, outcomes: RuleOutcomes | None) -> str:
    rule_id = f"{key[1]}.{key[2]}"
    condition = f"{'unless' if node.unless else 'when'} `{node.condition.span.text()}`"
    lines = [condition]
    if node.because is not None:
        lines.append(f"because `{node.because.span.text()}`")
    if node.until is not None:
        lines.append(f"until `{node.until.span.text()}`")
    if outcomes is not None:
        lines.append(_decides(rule_id, outcomes))
    return _block(f"{node.kind.value} {rule_id}", "\n\n".join(lines), where=declared.span)


def _decides(rule_id: str, outcomes: RuleOutcomes) -> str:
    fired = outcomes.fired.get(rule_id, ())
    unknown = outcomes.unknown.get(rule_id, ())
    text = f"On the current portfolio ({_count(outcomes.subjects, 'subject')}): "
    text += f"fires for {_count(len(fired), 'subject')}" + (f": {_names(fired)}" if fired else "")
    if unknown:
        text += f"; undecided (missing information) for {len(unknown)}: {_names(unknown)}"
    return text


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:SHOWN_SUBJECTS])
    return shown + (f" and {len(names) - SHOWN_SUBJECTS} more" if len(names) > SHOWN_SUBJECTS else "")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


def _block(head: str, *parts: str | None, where: Span | None = None) -> str:
    """A code line for the declaration, then its paragraphs, then where it is declared."""
    text = [f"```decisionlang\n{head}\n```"]
    text += [part for part in parts if part]
    if where is not None:
        text.append(f"*declared in {where.path}:{where.line}*")
    return "\n\n".join(text)

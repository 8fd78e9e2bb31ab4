"""How fragile a GO is: the smallest relative change of one parameter that flips it.

The parameters are the policies' numeric `const`s and the criteria's literal weights (a weight
written as a constant is that constant). For each one and each direction, the policies are
compiled again with the parameter moved to the edge of the window (`within`, 10 % by default)
and every GO subject is evaluated: those still GO are not fragile on it that way (within the
window, a verdict is taken to move once at most). For each one that flips, the change is narrowed
down by bisection to the smallest that flips it: on whole steps for a constant written as a whole
number (a maturity floor of 3 moves to 4, never to 3.0001), else to a hundred-thousandth of its
value, then the roundest value of that last interval that flips (1.4999 rather than 1.49970703).

Every figure reported was evaluated: the subject, evaluated with the parameter at `to`, has the
verdict `becomes`; at the step before (a whole number for an integer parameter, a
hundred-thousandth of its value closer for a real one) it is still GO.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.core.format import json_number
from decisionlang.core.model import Fragility, Report, Verdict
from decisionlang.engine.compiler import STEPS, CompiledPolicy, Compiler
from decisionlang.engine.evaluator import EvaluationOptions, evaluate_subject
from decisionlang.engine.project import Project
from decisionlang.language import ast
from decisionlang.language.checker import Program

__all__ = [
    "DEFAULT_WITHIN",
    "RESOLUTION",
    "Parameter",
    "fragility",
    "parameters",
    "with_fragility",
    "with_parameter",
]

DEFAULT_WITHIN = 0.10
BISECTIONS = 40  # at most, to narrow a real parameter's change down to RESOLUTION of its value
RESOLUTION = 1e-5


@dataclass(frozen=True)
class Parameter:
    """One tunable figure of the policies: `const NAME` or `weight CRITERIA.TERM`."""

    id: str  # "const value_bar", "weight value_case.term#1"
    description: str  # "the constant value_bar", "the weight of business_value in value_case"
    value: float
    integer: bool  # written as a whole number: it moves in whole steps
    const: str | None = None
    term: ast.CriterionTerm | None = None


def parameters(program: Program) -> list[Parameter]:
    """The numeric constants and the literal criteria weights, in name order."""
    found: list[Parameter] = []
    for name in sorted(program.constants):
        value = program.constants[name].value
        if isinstance(value, ast.Number) and value.value != 0:
            whole = value.text.isdigit()
            found.append(Parameter(f"const {name}", f"the constant {name}", value.value, whole, const=name))
    for name in sorted(program.criteria):
        for term in program.criteria[name].terms:
            if term.weight_constant is not None or term.weight == 0:
                continue
            term_id = program.rule_ids[id(term)]
            description = f"the weight of {term.name or term.expr.span.text()} in {name}"
            found.append(Parameter(f"weight {term_id}", description, term.weight, False, term=term))
    return found


def with_parameter(program: Program, parameter: Parameter, value: float) -> Program:
    """The program with the parameter set to `value` (its types and ids kept for the new node)."""
    if parameter.const is not None:
        decl = program.constants[parameter.const]
        old = decl.value
        assert isinstance(old, ast.Number)
        new = dataclasses.replace(old, value=value, text=str(json_number(value)))
        types = {**program.types, id(new): program.type_of(old)}
        weights = dict(program.term_weights)
        for criteria in program.criteria.values():
            for term in criteria.terms:
                if term.weight_constant == parameter.const:
                    weights[id(term)] = value
        constants = {**program.constants, parameter.const: dataclasses.replace(decl, value=new)}
        return dataclasses.replace(program, constants=constants, types=types, term_weights=weights)
    assert parameter.term is not None
    return dataclasses.replace(program, term_weights={**program.term_weights, id(parameter.term): value})


def with_fragility(
    project: Project, report: Report, *, within: float = DEFAULT_WITHIN, names: Iterable[str] | None = None
) -> Report:
    """The report with `fragile` set on every GO subject (of `names`, when given) that a change of
    one parameter within `within` (relative) flips."""
    found = fragility(project, report, within=within, names=names)
    chosen = None if names is None else set(names)
    subjects = tuple(
        dataclasses.replace(subject, fragile=found.get(subject.subject, ()))
        if subject.verdict is Verdict.GO and (chosen is None or subject.subject in chosen)
        else subject
        for subject in report.subjects
    )
    return dataclasses.replace(report, subjects=subjects)


def fragility(
    project: Project, report: Report, *, within: float = DEFAULT_WITHIN, names: Iterable[str] | None = None
) -> dict[str, tuple[Fragility, ...]]:
    """For each GO subject (of `names`, when given) that one parameter flips within `within`: every
    such parameter, the smallest relative change first."""
    chosen = None if names is None else set(names)
    go = [
        subject.subject
        for subject in report.subjects
        if subject.verdict is Verdict.GO and (chosen is None or subject.subject in chosen)
    ]
    if not go or within <= 0:
        return {}
    probe = _Probe(project, report.as_of or dt.date.today())
    found: dict[str, list[Fragility]] = {}
    for parameter in parameters(project.program):
        if not probe.reading(parameter):  # read by no policy: it decides nothing
            continue
        for direction in (1.0, -1.0):
            edge = _edge(parameter, direction, within)
            if edge is None:
                continue
            at_edge = probe.verdicts(parameter, edge, go)
            for name, verdict in at_edge.items():
                if verdict is not Verdict.GO and verdict is not None:  # None: its budget spent, no answer
                    found.setdefault(name, []).append(probe.narrow(parameter, direction, edge, name))
    return {
        name: tuple(sorted(items, key=lambda item: (abs(item.relative), item.parameter, item.after)))
        for name, items in sorted(found.items())
    }


class _Probe:
    """Evaluations of subjects under a moved parameter, the compiled policies kept per value."""

    def __init__(self, project: Project, as_of: dt.date) -> None:
        self.project = project
        self.options = EvaluationOptions(
            today=as_of,
            trace=False,
            waivers=project.waivers,
            steps=project.sources.settings.evaluation_steps or STEPS,
        )
        self.compiled: dict[tuple[str, float], Sequence[CompiledPolicy]] = {}
        self.readers: dict[str, frozenset[str]] = {}
        self.named = _declaration_names(project.program)  # what each declaration names, read once

    def policies(self, parameter: Parameter, value: float) -> Sequence[CompiledPolicy]:
        """The project's policies with the parameter at `value`: those that read it (through
        definitions, scores, other constants) compiled again, the others as they are."""
        key = (parameter.id, value)
        if key not in self.compiled:
            if len(self.compiled) > 64:
                self.compiled.clear()
            program = with_parameter(self.project.program, parameter, value)
            reading = self.reading(parameter)
            compiler = Compiler(program)
            self.compiled[key] = tuple(
                compiler.policy(program.policies[policy.id]) if policy.id in reading else policy
                for policy in self.project.policies
            )
        return self.compiled[key]

    def reading(self, parameter: Parameter) -> frozenset[str]:
        """The policies that read the parameter."""
        if parameter.id not in self.readers:
            self.readers[parameter.id] = _readers(self.project.program, self.named, parameter)
        return self.readers[parameter.id]

    def verdict(self, parameter: Parameter, value: float, name: str) -> Verdict | None:
        portfolio = self.project.portfolio
        try:
            result, _ = evaluate_subject(
                self.policies(parameter, value), portfolio.by_name[name], portfolio, self.options
            )
        except DecisionlangError:
            return None
        return result.verdict

    def verdicts(self, parameter: Parameter, value: float, names: list[str]) -> dict[str, Verdict | None]:
        return {name: self.verdict(parameter, value, name) for name in names}

    def narrow(self, parameter: Parameter, direction: float, edge: float, name: str) -> Fragility:
        """The smallest change of the parameter, that way, that still flips the subject."""
        start = parameter.value
        flipped = edge
        if parameter.integer:
            low, high = 0, round(abs(edge - start))  # whole steps: `low` keeps GO, `high` flips
            while high - low > 1:
                step = (low + high) // 2
                if self.verdict(parameter, start + direction * step, name) is Verdict.GO:
                    low = step
                else:
                    high = step
            flipped = start + direction * high
        else:
            kept = start
            for _ in range(BISECTIONS):
                if abs(flipped - kept) <= abs(start) * RESOLUTION:
                    break
                middle = (kept + flipped) / 2
                if self.verdict(parameter, middle, name) is Verdict.GO:
                    kept = middle
                else:
                    flipped = middle
            flipped = _roundest(kept, flipped, lambda value: self.verdict(parameter, value, name))
        becomes = self.verdict(parameter, flipped, name) or Verdict.NOT_YET
        relative = (flipped - start) / abs(start)
        return Fragility(
            parameter.id,
            parameter.description,
            start,
            float(json_number(flipped) or 0),
            round(relative, 6),
            becomes,
        )


def _declaration_names(program: Program) -> dict[str, set[str]]:
    """The identifiers each declaration (constant, definition, criteria, trade-off, maturity model,
    policy) writes, by its name; a policy's name is prefixed `policy ` (names may coincide)."""
    declarations: dict[str, object] = {
        **program.constants,
        **program.defines,
        **program.criteria,
        **program.tradeoffs,
        **program.maturities,
    }
    named = {name: _names(decl) for name, decl in declarations.items()}
    named.update({f"policy {name}": _names(policy) for name, policy in program.policies.items()})
    return named


def _readers(program: Program, named: dict[str, set[str]], parameter: Parameter) -> frozenset[str]:
    """The policies that read the parameter, directly or through the declarations they name (a
    name written anywhere in a declaration counts: a field of the same name only costs a compile)."""
    reaching = {parameter.const or _criteria_of(program, parameter)}
    grew = True
    while grew:  # the declarations that read the target, transitively
        grew = False
        for name, names in named.items():
            if not name.startswith("policy ") and name not in reaching and names & reaching:
                reaching.add(name)
                grew = True
    return frozenset(
        name.removeprefix("policy ")
        for name, names in named.items()
        if name.startswith("policy ") and names & reaching
    )


def _criteria_of(program: Program, parameter: Parameter) -> str:
    return next(name for name, decl in program.criteria.items() if parameter.term in decl.terms)


def _names(root: object) -> set[str]:
    """Every identifier a declaration writes: names, attributes, called functions."""
    found: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple | list):
            stack.extend(node)
            continue
        if not dataclasses.is_dataclass(node) or isinstance(node, type):
            continue
        if isinstance(node, ast.Name | ast.Attribute):
            found.add(node.name)
        elif isinstance(node, ast.Call):
            found.add(node.function)
        for item in dataclasses.fields(node):
            if item.name != "span":
                stack.append(getattr(node, item.name))
    return found


def _edge(parameter: Parameter, direction: float, within: float) -> float | None:
    """The parameter at the edge of the window that way (None when a whole step is wider)."""
    change = abs(parameter.value) * within
    if parameter.integer:
        steps = math.floor(change + 1e-9)
        return parameter.value + direction * steps if steps >= 1 else None
    return parameter.value + direction * change


def _roundest(kept: float, flipped: float, verdict: Callable[[float], Verdict | None]) -> float:
    """The roundest value past `kept` (still GO), up to `flipped`, that flips too: 0.65001 rather
    than 0.650039062 when the boundary is just above 0.65; `flipped` when none of few digits does."""
    rising = flipped > kept
    for digits in range(10):
        step = 10.0**-digits
        if rising:
            multiples = range(math.floor(kept / step) + 1, math.floor(flipped / step) + 1)
        else:
            multiples = range(math.ceil(kept / step) - 1, math.ceil(flipped / step) - 1, -1)
        if len(multiples) > 50:
            break
        for multiple in multiples:
            candidate = round(multiple * step, digits)
            if verdict(candidate) not in (Verdict.GO, None):
                return candidate
    return flipped

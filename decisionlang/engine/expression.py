"""One expression evaluated for one subject (`decisionlang eval`): parsed by the parser, checked
in the scope of a rule of the project, compiled by the engine's compiler and evaluated with a
trace as a rule's is recorded. There is no second evaluator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from decisionlang.core.diagnostics import Diagnostic
from decisionlang.core.hints import did_you_mean
from decisionlang.core.model import RuleTrace
from decisionlang.core.spans import Span
from decisionlang.engine.compiler import STEPS, Compiler
from decisionlang.engine.evaluator import EvaluationOptions, evaluate_expression
from decisionlang.engine.project import Project

__all__ = ["EXPRESSION_PATH", "ExpressionResult", "evaluate_for_each", "evaluate_text"]

# What the expression's diagnostics name as its file: columns count in the expression as given.
EXPRESSION_PATH = "<expression>"


@dataclass(frozen=True)
class ExpressionResult:
    expression: str
    subject: str
    kind: str
    as_of: dt.date
    type: str  # the checker's type of the expression: `number`, `bool`, `scale criticality`...
    value: Any  # the value, or an Undetermined (missing information, an evaluation problem)
    trace: RuleTrace


def evaluate_text(
    project: Project, text: str, subject: str, *, as_of: dt.date | None = None
) -> tuple[ExpressionResult | None, list[Diagnostic]]:
    """The value and trace of the expression `text` for the subject named `subject`, or the
    diagnostics that stop it: the project's errors, an unknown subject (with a suggestion), or the
    expression's own syntax and type errors, located at their column in `text`."""
    if project.errors:
        return None, list(project.errors)
    found = project.portfolio.by_name.get(subject)
    if found is None:
        hint = did_you_mean(subject, project.portfolio.by_name)
        problem = Diagnostic(
            "DL-CLI-UNKNOWN-SUBJECT",
            f"no subject named `{subject}`",
            file=".",
            help=hint or "run `decisionlang check` to list the subjects",
        )
        return None, [problem]
    compiled, problems = _compiled(project, text, EXPRESSION_PATH)
    if compiled is None:
        return None, problems
    options = _options(project, as_of)
    value, trace = evaluate_expression(
        compiled.condition, compiled.span, project.policies, found, project.portfolio, options
    )
    result = ExpressionResult(text, found.name, found.kind, options.today, compiled.type, value, trace)
    return result, problems


def evaluate_for_each(
    project: Project,
    text: str,
    subjects: Sequence[str],
    *,
    as_of: dt.date | None = None,
    path: str = EXPRESSION_PATH,
    facts: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[dict[str, object] | None, str | None, list[Diagnostic]]:
    """The value of the expression `text` for each subject named in `subjects` (a number, a scale
    value..., or an `Undetermined` for missing information or an evaluation problem), parsed,
    checked and compiled once; and the checker's type of it. None and the diagnostics (located at
    their column in `text`, in a file named `path`) when it does not parse or check. `facts`: for
    a subject, facts to read in place of its own (what it would be once they are changed)."""
    if project.errors:
        return None, None, list(project.errors)
    compiled, problems = _compiled(project, text, path)
    if compiled is None:
        return None, None, problems
    options = _options(project, as_of)
    values: dict[str, object] = {}
    for name in subjects:
        portfolio = project.portfolio
        if facts and facts.get(name):
            portfolio = portfolio.with_facts(name, facts[name])
        values[name], _trace = evaluate_expression(
            compiled.condition, compiled.span, project.policies, portfolio.by_name[name], portfolio, options
        )
    return values, compiled.type, problems


@dataclass(frozen=True)
class _Compiled:
    condition: Any  # the compiled closure
    span: Span
    type: str  # the checker's type of the expression


def _compiled(project: Project, text: str, path: str) -> tuple[_Compiled | None, list[Diagnostic]]:
    """The expression parsed, checked and compiled against the project's program, with the
    parser's and checker's diagnostics; None when one of them is an error."""
    from decisionlang.language.checker import check_expression
    from decisionlang.language.parser import parse_expression

    node, problems = parse_expression(text, path)
    if node is None or any(problem.is_error for problem in problems):
        return None, problems
    type_, checked = check_expression(project.program, node)
    problems = [*problems, *checked]
    if any(problem.is_error for problem in problems):
        return None, problems
    return _Compiled(Compiler(project.program).expr(node), node.span, str(type_)), problems


def _options(project: Project, as_of: dt.date | None) -> EvaluationOptions:
    return EvaluationOptions(
        today=as_of or dt.date.today(),
        waivers=project.waivers,
        steps=project.sources.settings.evaluation_steps or STEPS,
    )

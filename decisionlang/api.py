"""The library's front door: load a decision repo, check it, evaluate it. The CLI wraps this."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from decisionlang.core.diagnostics import Diagnostic
from decisionlang.core.model import Report, SubjectResult
from decisionlang.core.plan import DEFAULT_COST, DEFAULT_VALUE, FundingPlan
from decisionlang.core.progress import ProgressCallback
from decisionlang.engine.project import Evaluation, Project, evaluate_project, evaluate_stream, load_project
from decisionlang.engine.sensitivity import DEFAULT_WITHIN, fragility, with_fragility
from decisionlang.engine.to_go import ToGoLimits, path_to_go, with_path_to_go, with_paths_to_go
from decisionlang.inputs.sources import POLICY_SUFFIX, SourceFile, SourceSet
from decisionlang.inputs.walk import files_under

if TYPE_CHECKING:
    from decisionlang.engine.expression import ExpressionResult
    from decisionlang.engine.schemas import Target
    from decisionlang.language.formatter import FormatResult

__all__ = [
    "Evaluation",
    "ProgressCallback",
    "Project",
    "SourceFile",
    "SourceSet",
    "ToGoLimits",
    "check",
    "evaluate_expression",
    "evaluate_project",
    "evaluate_stream",
    "explain",
    "format_policy",
    "fragility",
    "json_schema",
    "load_project",
    "new_decision_repo",
    "path_to_go",
    "plan",
    "policy_files",
    "validate",
    "what_it_takes",
    "with_fragility",
    "with_path_to_go",
    "with_paths_to_go",
]


def check(
    root: str | Path | SourceSet,
    *,
    as_of: dt.date | None = None,
    services: Iterable[str] | None = None,
    strict: bool = False,
    trace: bool = True,
) -> Report:
    """Load and evaluate the decision repo at `root` (a directory, or a `SourceSet`) in one call."""
    return evaluate_project(load_project(root), as_of=as_of, services=services, strict=strict, trace=trace)


def explain(
    root: str | Path | SourceSet, subject: str, *, as_of: dt.date | None = None, strict: bool = False
) -> SubjectResult:
    """One subject's result, with what it would take to reach GO when it is not GO (`to_go`)."""
    project = load_project(root)
    report = evaluate_project(project, as_of=as_of, services=[subject], strict=strict)
    return what_it_takes(project, report, strict=strict).subjects[0]


def what_it_takes(
    project: Project,
    report: Report,
    *,
    to_go: bool = True,
    fragile: bool = True,
    within: float = DEFAULT_WITHIN,
    strict: bool = False,
) -> Report:
    """The report with what it would take: for each subject not GO, the smallest change of its facts
    to GO (`to_go`); for each GO, the parameters that flip it within `within` (`fragile`). What
    `explain` shows, and `check` and `report` with `--to-go`, `--fragile`."""
    if to_go:
        report = with_paths_to_go(project, report, strict=strict)
    if fragile:
        report = with_fragility(project, report, within=within)
    return report


def validate(root: str | Path) -> list[Diagnostic]:
    """Static checks of policies and states, without evaluating anything."""
    return list(load_project(root).diagnostics)


def json_schema(
    root: str | Path | SourceSet, target: Target = "states", *, cache: bool = True
) -> tuple[str | None, list[Diagnostic]]:
    """The JSON Schema (draft 2020-12) of the decision repo's state files, waiver files or policy
    tests, as deterministic JSON text, from its policies alone; None when they have errors (the
    diagnostics say which)."""
    from decisionlang.engine.schemas import project_schema, render_schema  # the state loader: only here

    schema, diagnostics = project_schema(root, target, cache=cache)
    return (None if schema is None else render_schema(schema)), list(diagnostics)


def new_decision_repo() -> dict[str, str]:
    """The files of a new decision repo (`decisionlang init`), by root-relative path: a vocabulary, a
    policy with tests, a service, a waiver template, JSON Schemas, editor, CI and pre-commit settings."""
    from decisionlang.engine.scaffold import new_repo

    return new_repo()


def evaluate_expression(
    project: Project, expression: str, subject: str, *, as_of: dt.date | None = None
) -> tuple[ExpressionResult | None, list[Diagnostic]]:
    """Evaluate one expression for one subject of a loaded project, with its trace (`decisionlang
    eval`): its value and type, or the diagnostics that stop it (located in the expression)."""
    from decisionlang.engine.expression import evaluate_text

    return evaluate_text(project, expression, subject, as_of=as_of)


def format_policy(text: str, file: str = "<text>", *, width: int = 100) -> FormatResult:
    """The canonical layout of a policy file's text (`decisionlang fmt`): a `FormatResult` with the
    text, or None and the parser's diagnostics when it does not parse. The formatter (and the
    parser) are imported on first use: loading a project from the cache needs neither."""
    from decisionlang.language.formatter import format_policy as formatted

    return formatted(text, file, width=width)


def policy_files(paths: Iterable[Path]) -> list[Path]:
    """The policy files PATHS name: a file as given, a directory's `*.policy` files (walked as a
    project's policy folders are, within the same bounds; hidden directories such as `.git` or
    `.venv` are left out), each once, in the order given (a directory's sorted by path).

    Raises DecisionlangError (DL-FMT-LIMIT) for a directory deeper or larger than a walk allows."""
    found: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            listed = [
                file
                for file in files_under(path, code="DL-FMT-LIMIT", skip=lambda name: name.startswith("."))
                if file.name.endswith(POLICY_SUFFIX)
            ]
        else:
            listed = [path]
        for file in listed:
            if file not in seen:
                seen.add(file)
                found.append(file)
    return found


def plan(
    project: Project,
    report: Report,
    *,
    budget: float,
    capacities: Mapping[str, int] | None = None,
    value: str = DEFAULT_VALUE,
    cost: str = DEFAULT_COST,
) -> FundingPlan:
    """What to fund (`decisionlang plan`): among the report's initiatives that are GO, or NOT YET with
    a known path to GO, the set of the highest total `value` whose total `cost` is within `budget`,
    with at most `capacities[owner]` funded initiatives per owner, every dependency on an initiative
    funded and every eligible H1 initiative funded; why each other initiative is left out, which
    constraints bind and what the next step of budget buys (see engine/plan.py). Solved exactly by
    HiGHS: needs the extra `decisionlang[plan]` (DecisionlangError DL-PLAN-SOLVER without it)."""
    from decisionlang.engine.plan import funding_plan

    return funding_plan(project, report, budget=budget, capacities=capacities, value=value, cost=cost)

"""`decisionlang plan`: what to fund within a budget and the teams' capacities."""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from decisionlang.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    Bounded,
    as_of_option,
    cache_option,
    directory_argument,
    emit,
    flag_limits,
    guarded,
    limit_options,
    text_markdown_json_option,
)
from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.core.escapes import visible
from decisionlang.core.plan import DEFAULT_COST, DEFAULT_VALUE

if TYPE_CHECKING:
    from decisionlang.engine.project import Project

F = TypeVar("F", bound=Callable[..., Any])

EXIT_NO_PLAN = 1  # the mandatory H1 initiatives break the budget or a capacity: no plan exists
MAX_BUDGET = 1e15
MAX_CAPACITY = 1_000_000


class Capacity(click.ParamType):  # type: ignore[type-arg]
    """`OWNER=N`: the owner can carry at most N funded initiatives at once."""

    name = "OWNER=N"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, int]:
        if isinstance(value, tuple):
            return value
        match = re.fullmatch(r"\s*([^=\s][^=]*?)\s*=\s*(\d{1,7})\s*", str(value))
        if match is None or int(match.group(2)) > MAX_CAPACITY:
            self.fail(
                f"`{visible(str(value)[:60])}` is not OWNER=N: give an owner and the most initiatives "
                f"it can carry at once, a whole number from 0 to {MAX_CAPACITY:,}, e.g. "
                "--capacity team-platform=2",
                param,
                ctx,
            )
        return match.group(1), int(match.group(2))


def budget_option(*, required: bool, help: str) -> Callable[[F], F]:
    return click.option("--budget", type=Bounded(float, 0, MAX_BUDGET), required=required, help=help)


capacity_option = click.option(
    "--capacity",
    "capacities",
    type=Capacity(),
    multiple=True,
    help="OWNER=N: the owner can carry at most N funded initiatives at once (repeat for each owner; "
    "an owner not named has no limit).",
)
value_option = click.option(
    "--value",
    default=DEFAULT_VALUE,
    show_default=True,
    metavar="EXPR",
    help="What each initiative is worth: an expression of the policy language (`wsjf_score`, "
    "`rice_score`, `score(shared_value)`...).",
)
cost_option = click.option(
    "--cost",
    default=DEFAULT_COST,
    show_default=True,
    metavar="EXPR",
    help="What each initiative costs: an expression of the policy language.",
)


def capacity_map(pairs: tuple[tuple[str, int], ...]) -> dict[str, int]:
    """The --capacity flags by owner; an owner given twice is a usage error (which one is meant?)."""
    found: dict[str, int] = {}
    for owner, limit in pairs:
        if owner in found and found[owner] != limit:
            raise click.UsageError(
                f"--capacity gives {owner} twice ({found[owner]} and {limit}): give each owner once",
                ctx=click.get_current_context(silent=True),
            )
        found[owner] = limit
    return found


def require_solver(command: str) -> None:
    """Exit 2 with one line when the `plan` extra (highspy) is not installed: the engine's
    DL-PLAN-SOLVER, its message and its help on one line."""
    from decisionlang.engine import solver

    try:
        solver.require_solver()
    except DecisionlangError as error:
        said = "; ".join(f"{problem.message}; {problem.help}" for problem in error.diagnostics)
        click.echo(f"decisionlang {command}: {said}", err=True)
        sys.exit(EXIT_INVALID)


@click.command()
@directory_argument
@budget_option(
    required=True, help="The budget to fund initiatives within, in the unit of --cost (€ for the default)."
)
@capacity_option
@value_option
@cost_option
@as_of_option
@text_markdown_json_option("a pull-request comment or a board paper", "decisionlang/plan/v1")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write to this file (default: stdout).")
@cache_option
@limit_options
@guarded
def plan(
    directory: Path,
    budget: float,
    capacities: tuple[tuple[str, int], ...],
    value: str,
    cost: str,
    as_of: dt.date | None,
    output_format: str,
    output: Path | None,
) -> None:
    """What to fund within --budget: among the initiatives that are GO or NOT YET with a known path
    to GO, the set of the highest value within the budget and the owners' capacities, with the
    initiatives they depend on and every H1 initiative funded; why each other one is left out, which
    constraint binds and what the next step of budget would buy.

    Solved exactly as an integer program by HiGHS: needs the extra decisionlang[plan]. Exit codes:
    0 a plan, 1 no plan (the mandatory H1 initiatives break the budget or a capacity), 2 invalid
    input or the extra not installed."""
    require_solver("plan")
    from decisionlang.api import evaluate_project, load_project
    from decisionlang.api import plan as funding_plan
    from decisionlang.render.plan import render_plan_json, render_plan_markdown, render_plan_text

    project = load_project(directory, limits=flag_limits())
    report = evaluate_project(project, as_of=as_of, services=None)
    limits = capacity_map(capacities)
    warn_of_unknown_owners(project, limits)
    found = funding_plan(project, report, budget=budget, capacities=limits, value=value, cost=cost)
    render = {"markdown": render_plan_markdown, "json": render_plan_json}.get(output_format, render_plan_text)
    emit(render(found), output)
    sys.exit(EXIT_OK if found.feasible else EXIT_NO_PLAN)


def warn_of_unknown_owners(project: Project, limits: Mapping[str, int]) -> None:
    """A warning on standard error for each --capacity whose owner no initiative has."""
    from decisionlang.engine.plan import unknown_owners

    for owner, near in unknown_owners(project, limits):
        hint = f"did you mean `{near}`?" if near is not None else "it limits nothing"
        click.echo(
            f"decisionlang: warning: --capacity {owner}: no initiative has this owner; {hint}", err=True
        )

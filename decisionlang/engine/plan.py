"""What to fund: the funding plan of a portfolio's initiatives within a budget and capacities.

- **Who may be funded.** The subjects of kind `initiative` that are GO, or NOT YET with a known
  path to GO (`engine.to_go`; the plan funds them "once" that change is made). A NO-GO, a NOT YET
  with no path, an initiative whose cost or value gives no number, or one that depends on such an
  initiative is left out, with the rules that decided its verdict (`core.views.deciding_rules`).
- **Value and cost.** Two expressions of the policy language, evaluated for each initiative by the
  engine's own evaluator (`engine.expression.evaluate_for_each`): by default the library's
  `value_score` and the schema field `cost.delivery_eur`.
- **The program.** A 0-1 integer program solved exactly (`engine.solver`): the highest total value
  within the budget, at most N funded initiatives per owner given a capacity, an initiative funded
  only with the initiatives it depends on, every eligible H1 initiative funded. Ties go to the
  lower total cost, then to the earlier names. When the mandatory initiatives alone break the budget
  or a capacity, there is no plan: `infeasible` says which constraint and by how much.
- **Why.** For each eligible initiative left out, the reason (a dependency left out, its owner at
  capacity, it does not fit, or it would displace initiatives worth more), from solves with it
  forced in; for each capacity used up, what one more would gain; and the smallest budget increase
  that raises the plan's value (the value is a step function of the budget: that step is the
  cheapest selection worth more than the plan, found by one more solve), with the plan it buys.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic
from decisionlang.core.hints import closest
from decisionlang.core.model import ChangeOption, Report, SubjectResult, Verdict
from decisionlang.core.plan import (
    DEFAULT_COST,
    DEFAULT_VALUE,
    MANDATORY_HORIZON,
    BudgetStep,
    BudgetUse,
    CapacityUse,
    DecidingRule,
    Funded,
    FundingPlan,
    Infeasible,
    LeftOut,
    LeftOutReason,
)
from decisionlang.core.subjects import Subject, stale_sentence
from decisionlang.core.views import deciding_rules
from decisionlang.engine.expression import evaluate_for_each
from decisionlang.engine.project import Project
from decisionlang.engine.solver import Problem, require_solver, within
from decisionlang.engine.to_go import option_facts, path_to_go
from decisionlang.engine.values import Missing
from decisionlang.engine.values import Problem as EvaluationProblem

__all__ = ["INITIATIVE", "funding_plan", "unknown_owners"]

INITIATIVE = "initiative"


@dataclass(frozen=True)
class _Candidate:
    name: str
    owner: str | None
    result: SubjectResult
    cost: float
    value: float
    mandatory: bool
    depends_on: tuple[str, ...]  # the initiatives it depends on
    once: ChangeOption | None  # a NOT YET: the change it is funded once made (its path to GO)


def _once(result: SubjectResult) -> ChangeOption | None:
    """The change a NOT YET initiative is funded once made: the first option of its path to GO."""
    if result.verdict is not Verdict.NOT_YET or result.to_go is None or not result.to_go.reachable:
        return None
    return result.to_go.options[0]


def _mandatory(subject: Subject) -> bool:
    """An H1 initiative: securing the existing is not optional."""
    return subject.fields.get("horizon") == MANDATORY_HORIZON


def funding_plan(
    project: Project,
    report: Report,
    *,
    budget: float,
    capacities: Mapping[str, int] | None = None,
    value: str = DEFAULT_VALUE,
    cost: str = DEFAULT_COST,
) -> FundingPlan:
    """The funding plan of `report`'s initiatives (see the module). Raises DecisionlangError for a
    budget or capacity out of range, or a value or cost expression that does not parse, does not
    check or is not a number (located in the expression), and DL-PLAN-SOLVER without highspy."""
    limits = dict(sorted((capacities or {}).items()))
    require_solver()
    _check_limits(budget, limits)
    budget = float(budget)
    today = report.as_of or dt.date.today()
    results = [
        dataclasses.replace(result, to_go=path_to_go(project, result, as_of=today))
        if result.verdict is Verdict.NOT_YET and result.to_go is None
        else result
        for result in sorted(report.subjects, key=lambda item: item.subject)
        if result.kind == INITIATIVE
    ]
    names = [result.subject for result in results]
    # A NOT YET initiative is funded once its path to GO is taken: its value and cost are read on
    # the facts it will then have (the path may change the very facts they are computed from).
    once = {
        result.subject: option_facts(project, result.subject, option)
        for result in results
        if (option := _once(result)) is not None
    }
    values = _evaluate(project, value, names, today, "--value", once)
    costs = _evaluate(project, cost, names, today, "--cost", once)
    left: dict[str, LeftOut] = {}
    candidates: dict[str, _Candidate] = {}
    for result in results:
        outcome = _candidate(project, result, values[result.subject], costs[result.subject], today)
        if isinstance(outcome, LeftOut):
            left[result.subject] = outcome
        else:
            candidates[result.subject] = outcome
    _drop_unfundable_dependents(candidates, left)
    order = sorted(candidates)
    index = {name: position for position, name in enumerate(order)}
    groups: dict[str, list[int]] = {}
    for name in order:
        owner = candidates[name].owner
        if owner is not None:
            groups.setdefault(owner, []).append(index[name])
    problem = Problem(
        values=[candidates[name].value for name in order],
        costs=[candidates[name].cost for name in order],
        groups={owner: tuple(items) for owner, items in groups.items()},
        requires=tuple(
            (index[name], index[other]) for name in order for other in candidates[name].depends_on
        ),
        forced=frozenset(index[name] for name in order if candidates[name].mandatory),
    )
    unit = _unit(project, cost)
    base = {
        "budget": budget,
        "capacities": limits,
        "value_expression": value,
        "cost_expression": cost,
        "unit": unit,
        "as_of": report.as_of,
        "candidates": len(results),
    }
    infeasible = _unfundable_mandatory(project, left) + _infeasibility(
        problem, order, candidates, budget, limits
    )
    if infeasible:
        return FundingPlan(
            **base,  # type: ignore[arg-type]
            funded=(),
            left_out=tuple(left[name] for name in sorted(left)),
            budget_use=BudgetUse(budget, 0.0, True),
            capacity_use=tuple(CapacityUse(owner, limit, 0) for owner, limit in limits.items()),
            next_step=None,
            infeasible=infeasible,
        )
    chosen = problem.best(budget, limits)
    assert chosen is not None  # the mandatory initiatives fit: a plan exists
    plan_value = problem.value_of(chosen)
    funded_names = {order[i] for i in chosen}
    used = {owner: sum(1 for i in items if i in chosen) for owner, items in groups.items()}
    for name in order:
        if name not in funded_names:
            left[name] = _why_left_out(
                problem, order, index, candidates[name], chosen, budget, limits, used, candidates
            )
    capacity_use = []
    for owner, limit in limits.items():
        gain = None
        if used.get(owner, 0) >= limit:
            raised = problem.best(budget, {**limits, owner: limit + 1}, value_only=True)
            if raised is not None and problem.value_of(raised) > plan_value + problem.value_tolerance:
                gain = problem.value_of(raised) - plan_value
        capacity_use.append(CapacityUse(owner, limit, used.get(owner, 0), gain))
    step = _next_step(problem, order, chosen, budget, limits)
    funded = tuple(
        _funded(candidates[name])
        for name in sorted(funded_names, key=lambda item: _funded_order(candidates[item]))
    )
    return FundingPlan(
        **base,  # type: ignore[arg-type]
        funded=funded,
        left_out=tuple(
            left[name] for name in sorted(left, key=lambda item: (not left[item].reason.eligible, item))
        ),
        budget_use=BudgetUse(budget, problem.cost_of(chosen), step is not None),
        capacity_use=tuple(capacity_use),
        next_step=step,
    )


# ---------------------------------------------------------------- inputs


def unknown_owners(project: Project, limits: Mapping[str, int]) -> list[tuple[str, str | None]]:
    """The owners given a capacity that no initiative has (a capacity that limits nothing: a typo,
    most likely), each with the closest owner that exists, when one is close."""
    owners = sorted(
        {
            str(subject.fields["owner"])
            for subject in project.portfolio.subjects
            if subject.kind == INITIATIVE and subject.fields.get("owner")
        }
    )
    return [(owner, closest(owner, owners)) for owner in limits if owner not in owners]


def _check_limits(budget: float, limits: Mapping[str, int]) -> None:
    problems = []
    if not (isinstance(budget, int | float) and math.isfinite(budget) and budget >= 0):
        problems.append(
            Diagnostic("DL-PLAN-INPUT", f"the budget must be a finite number of at least 0, not {budget!r}")
        )
    for owner, limit in limits.items():
        if not (isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0):
            problems.append(
                Diagnostic(
                    "DL-PLAN-INPUT",
                    f"the capacity of `{owner}` must be a whole number of at least 0, not {limit!r}",
                )
            )
    if problems:
        raise DecisionlangError(problems)


def _evaluate(
    project: Project,
    expression: str,
    names: list[str],
    today: dt.date,
    flag: str,
    facts: Mapping[str, Mapping[str, Any]],
) -> dict[str, object]:
    found, type_, problems = evaluate_for_each(
        project, expression, names, as_of=today, path=flag, facts=facts
    )
    errors = [problem for problem in problems if problem.is_error]
    if found is None or errors:
        raise DecisionlangError(errors or problems)
    if type_ != "number":
        raise DecisionlangError(
            [
                Diagnostic(
                    "DL-PLAN-TYPE",
                    f"{flag} must be a number for each initiative; `{expression}` is a {type_}",
                    file=flag,
                    line=1,
                    column=1,
                    help=f"give a numeric expression, e.g. `{DEFAULT_VALUE}`, `wsjf_score` or "
                    f"`{DEFAULT_COST}`",
                )
            ]
        )
    return found


def _unit(project: Project, cost: str) -> str | None:
    spec = project.program.fields.get(cost.strip())
    return spec.unit if spec is not None else None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _candidate(
    project: Project, result: SubjectResult, value: object, cost: object, today: dt.date
) -> _Candidate | LeftOut:
    portfolio = project.portfolio
    subject = portfolio.by_name[result.subject]
    viewed = portfolio.observed_on(today)  # the facts as of the day: which are stale
    owner = subject.fields.get("owner")
    owner = owner if isinstance(owner, str) and owner else None
    common = {"name": result.subject, "owner": owner, "verdict": result.verdict, "location": result.location}
    once = _once(result)
    if result.verdict is Verdict.NO_GO or (result.verdict is Verdict.NOT_YET and once is None):
        rules = tuple(DecidingRule(rule.rule, rule.message, rule.location) for rule in deciding_rules(result))
        reason = LeftOutReason.NO_GO if result.verdict is Verdict.NO_GO else LeftOutReason.NOT_YET
        return LeftOut(**common, reason=reason, rules=rules, cost=_number(cost), value=_number(value))  # type: ignore[arg-type]
    mandatory = _mandatory(subject)
    if mandatory and _number(value) is None:
        value = 0.0  # funded whatever its value: securing the existing is not optional
    for figure, reason in ((cost, LeftOutReason.NO_COST), (value, LeftOutReason.NO_VALUE)):
        if _number(figure) is None:
            missing = figure.fields if isinstance(figure, Missing) else ()
            problem = figure.message if isinstance(figure, EvaluationProblem) else None
            whys = [viewed.staleness(whose, path) for whose, _, path in missing]
            stale = tuple(
                stale_sentence(item[2], why) for item, why in zip(missing, whys, strict=True) if why
            )
            missing = tuple(item for item, why in zip(missing, whys, strict=True) if why is None)
            if not missing and not stale and problem is None:
                problem = "it is not a finite number"
            return LeftOut(
                **common,  # type: ignore[arg-type]
                reason=reason,
                missing=missing,
                problem=problem,
                stale=stale,
                once=once,
                cost=_number(cost),
                value=_number(value),
            )
    number_cost, number_value = _number(cost), _number(value)
    assert number_cost is not None and number_value is not None
    if number_cost < 0:
        return LeftOut(**common, reason=LeftOutReason.NEGATIVE_COST, cost=number_cost, value=number_value)  # type: ignore[arg-type]
    initiatives = tuple(  # services it depends on are not funded: left to their own verdicts
        sorted(
            name
            for name in dict.fromkeys(portfolio.dependencies_of(result.subject))
            if portfolio.by_name[name].kind == INITIATIVE
        )
    )
    return _Candidate(
        name=result.subject,
        owner=owner,
        result=result,
        cost=number_cost,
        value=number_value,
        mandatory=mandatory,
        depends_on=initiatives,
        once=once,
    )


def _drop_unfundable_dependents(candidates: dict[str, _Candidate], left: dict[str, LeftOut]) -> None:
    """An initiative that depends on one the plan cannot fund cannot be funded either (to a fixpoint)."""
    changed = True
    while changed:
        changed = False
        for name in sorted(candidates):
            item = candidates[name]
            blocked = tuple(other for other in item.depends_on if other not in candidates)
            if blocked:
                result = item.result
                left[name] = LeftOut(
                    name=name,
                    owner=item.owner,
                    verdict=result.verdict,
                    reason=LeftOutReason.DEPENDS_ON_INELIGIBLE,
                    location=result.location,
                    cost=item.cost,
                    value=item.value,
                    others=blocked,
                    once=item.once,
                )
                del candidates[name]
                changed = True


def _closure(name: str, candidates: Mapping[str, _Candidate]) -> set[str]:
    """`name` and every initiative it depends on, directly or further down."""
    seen = {name}
    stack = [name]
    while stack:
        for other in candidates[stack.pop()].depends_on:
            if other not in seen:
                seen.add(other)
                stack.append(other)
    return seen


def _mandatory_set(candidates: Mapping[str, _Candidate]) -> set[str]:
    needed: set[str] = set()
    for name, item in candidates.items():
        if item.mandatory:
            needed |= _closure(name, candidates)
    return needed


def _unfundable_mandatory(project: Project, left: Mapping[str, LeftOut]) -> tuple[Infeasible, ...]:
    """The mandatory (H1) initiatives that are GO, or NOT YET with a path to GO, and still cannot be
    funded (no cost, a negative one, a dependency that cannot be): no plan leaves them out."""
    stuck = tuple(
        name
        for name, item in sorted(left.items())
        if item.reason.eligible is False
        and item.reason not in (LeftOutReason.NO_GO, LeftOutReason.NOT_YET)
        and _mandatory(project.portfolio.by_name[name])
    )
    return (Infeasible("unfundable", len(stuck), 0, stuck),) if stuck else ()


def _infeasibility(
    problem: Problem,
    order: list[str],
    candidates: Mapping[str, _Candidate],
    budget: float,
    limits: Mapping[str, int],
) -> tuple[Infeasible, ...]:
    """The constraints the mandatory initiatives (and what they depend on) break on their own:
    exactly the cases where no plan exists, since that set satisfies every other constraint."""
    needed = sorted(_mandatory_set(candidates))
    found = []
    spent = sum(candidates[name].cost for name in needed)
    if not within(spent, budget):
        found.append(Infeasible("budget", spent, budget, tuple(needed)))
    for owner, limit in limits.items():
        mine = tuple(name for name in needed if candidates[name].owner == owner)
        if len(mine) > limit:
            found.append(Infeasible("capacity", len(mine), limit, mine, owner=owner))
    return tuple(found)


# ---------------------------------------------------------------- explanations


def _why_left_out(
    problem: Problem,
    order: list[str],
    index: Mapping[str, int],
    item: _Candidate,
    chosen: frozenset[int],
    budget: float,
    limits: Mapping[str, int],
    used: Mapping[str, int],
    candidates: Mapping[str, _Candidate],
) -> LeftOut:
    result = item.result
    common = {
        "name": item.name,
        "owner": item.owner,
        "verdict": result.verdict,
        "location": result.location,
        "cost": item.cost,
        "value": item.value,
        "once": item.once,
    }
    unfunded = tuple(other for other in item.depends_on if index[other] not in chosen)
    if unfunded:
        return LeftOut(**common, reason=LeftOutReason.DEPENDS_ON_LEFT_OUT, others=unfunded)  # type: ignore[arg-type]
    forced = problem.best(budget, limits, also_forced=frozenset({index[item.name]}), value_only=True)
    owner = item.owner or ""
    at_capacity = owner in limits and used.get(owner, 0) >= limits[owner]
    capacity = {"used": used.get(item.owner or "", 0), "limit": limits.get(item.owner or "")}
    if forced is None:
        closure = {index[name] for name in _closure(item.name, candidates)}
        needs = problem.cost_of(frozenset(closure))
        room = budget - problem.cost_of(problem.forced - closure)
        if not within(needs, room) or not at_capacity:
            return LeftOut(**common, reason=LeftOutReason.DOES_NOT_FIT, needs=needs, room=room)  # type: ignore[arg-type]
        return LeftOut(**common, reason=LeftOutReason.AT_CAPACITY, **capacity)  # type: ignore[arg-type]
    displaced = tuple(sorted(order[i] for i in chosen - forced))
    gained = problem.value_of(forced - chosen)
    worth = problem.value_of(chosen - forced)
    if problem.value_of(forced) >= problem.value_of(chosen) - problem.value_tolerance:
        return LeftOut(**common, reason=LeftOutReason.NO_GAIN, others=displaced)  # type: ignore[arg-type]
    extra = {"others": displaced, "others_value": worth, "gained_value": gained}
    if at_capacity:
        return LeftOut(**common, reason=LeftOutReason.AT_CAPACITY, **capacity, **extra)  # type: ignore[arg-type]
    left = budget - problem.cost_of(chosen)
    return LeftOut(**common, reason=LeftOutReason.DISPLACED, needs=item.cost, room=left, **extra)  # type: ignore[arg-type]


def _next_step(
    problem: Problem, order: list[str], chosen: frozenset[int], budget: float, limits: Mapping[str, int]
) -> BudgetStep | None:
    """The smallest budget increase that raises the plan's value, and the plan at that budget."""
    value = problem.value_of(chosen)
    cheapest = problem.cheapest_above(value, limits)
    if cheapest is None:
        return None
    target = max(problem.cost_of(cheapest), budget)
    better = problem.best(target, limits)
    assert better is not None
    return BudgetStep(
        increase=target - budget,
        budget=target,
        value=problem.value_of(better),
        gained=problem.value_of(better) - value,
        added=tuple(sorted(order[i] for i in better - chosen)),
        removed=tuple(sorted(order[i] for i in chosen - better)),
    )


def _funded_order(item: _Candidate) -> tuple[bool, float, str]:
    return (not item.mandatory, -item.value, item.name)


def _funded(item: _Candidate) -> Funded:
    result = item.result
    return Funded(
        name=item.name,
        owner=item.owner,
        verdict=result.verdict,
        cost=item.cost,
        value=item.value,
        mandatory=item.mandatory,
        location=result.location,
        once=item.once,
        depends_on=item.depends_on,
    )

"""`decisionlang plan`: the funding plan as text, Markdown (a pull-request comment, a board paper)
and JSON (`decisionlang/plan/v1`). The sentences are written here once; the board report
(render/html.py) shows the same ones."""

from __future__ import annotations

import json
import math
from typing import Any

from decisionlang.core.codec import to_data
from decisionlang.core.escapes import inert_json, safe_text
from decisionlang.core.format import show_number
from decisionlang.core.plan import (
    MANDATORY_HORIZON,
    PLAN_SCHEMA,
    BudgetStep,
    CapacityUse,
    Funded,
    FundingPlan,
    Infeasible,
    LeftOut,
    LeftOutReason,
)
from decisionlang.render.markdown import md_code, md_text
from decisionlang.render.text import format_option, plural

__all__ = [
    "amount",
    "budget_sentence",
    "capacity_sentence",
    "infeasible_sentence",
    "left_out_sentence",
    "next_step_sentence",
    "plan_to_dict",
    "render_plan_json",
    "render_plan_markdown",
    "render_plan_text",
]


# ---------------------------------------------------------------- the sentences


def amount(number: float, unit: str | None) -> str:
    """`120 000 €`, `600 000.50 €`: an amount grouped by thousands, with its cents when it has some
    (as a budget is written); beyond 1e15, as a person reads a number."""
    if abs(number) >= 1e15 or not math.isfinite(number):
        text = show_number(number)
    elif float(number).is_integer():
        text = f"{int(number):,}".replace(",", " ")
    else:
        text = f"{number:,.2f}".replace(",", " ")
    return f"{text} {unit}" if unit else text


def value_text(number: float | None) -> str:
    return "unknown" if number is None else show_number(round(number, 6))


def names(items: tuple[str, ...]) -> str:
    return ", ".join(items)


def once_text(item: Funded | LeftOut) -> str | None:
    """`decided_on 2027-01-19 → 2026-11-26 (initiatives/infrastructure.yaml:53:17)`: the change that
    makes a NOT YET GO, as `check --to-go` words it."""
    return format_option(item.once, item.name) if item.once is not None else None


def funded_notes(item: Funded) -> list[str]:
    notes = []
    if item.mandatory:
        notes.append(f"mandatory ({MANDATORY_HORIZON})")
    if item.depends_on:
        notes.append(f"needs {names(item.depends_on)}")
    once = once_text(item)
    if once is not None:
        notes.append(f"once: {once}")
    return notes


def left_out_sentence(item: LeftOut, plan: FundingPlan) -> str:
    """Why the plan leaves the initiative out, in a sentence a board reads."""
    unit = plan.unit
    reason = item.reason
    if reason in (LeftOutReason.NO_GO, LeftOutReason.NOT_YET):
        lead = (
            "decided by"
            if reason is LeftOutReason.NO_GO
            else "no change of its own facts reaches GO; held back by"
        )
        if not item.rules:
            return f"{item.verdict.label}, with no known change of its facts to GO"
        decided = "; ".join(
            f"{rule.rule}: {rule.message}" if rule.message else rule.rule for rule in item.rules
        )
        return f"{lead} {decided}"
    if reason in (LeftOutReason.NO_COST, LeftOutReason.NO_VALUE):
        what, expression = (
            ("no cost given", plan.cost_expression)
            if reason is LeftOutReason.NO_COST
            else ("no value given", plan.value_expression)
        )
        if item.missing or item.stale:
            said = [f"add {field} to {file}" for _, file, field in item.missing]
            said += [f"{why}: observe it again" for why in item.stale]
            return f"{what}: `{expression}` is unknown: {'; '.join(said)}"
        return f"{what}: `{expression}` gives no number: {item.problem}"
    if reason is LeftOutReason.NEGATIVE_COST:
        return f"its cost is negative ({amount(item.cost or 0.0, unit)}): correct `{plan.cost_expression}`"
    if reason is LeftOutReason.DEPENDS_ON_INELIGIBLE:
        return f"depends on {names(item.others)}, which the plan cannot fund (see there)"
    if reason is LeftOutReason.DEPENDS_ON_LEFT_OUT:
        return f"depends on {names(item.others)}, left out"
    if reason is LeftOutReason.DOES_NOT_FIT:
        needs = amount(item.needs or 0.0, unit)
        room = amount(max(item.room or 0.0, 0.0), unit)
        return f"does not fit: needs {needs}, at most {room} left once the mandatory initiatives are funded"
    displaces = (
        f"funding it would displace {names(item.others)}, worth more "
        f"(value {value_text(item.others_value)} against {value_text(item.gained_value)})"
        if item.others
        else None
    )
    if reason is LeftOutReason.AT_CAPACITY:
        full = f"owner {item.owner} at capacity ({item.used} of {item.limit})"
        return f"{full}: {displaces}" if displaces else full
    if reason is LeftOutReason.DISPLACED:
        room = amount(max(item.room or 0.0, 0.0), unit)
        fits = f"needs {amount(item.needs or 0.0, unit)}, {room} left"
        return f"{fits}: {displaces}"
    return (
        "funding it adds no value to the plan (a plan of the same value costs less, or comes first by name)"
    )


def budget_sentence(plan: FundingPlan) -> str:
    use = plan.budget_use
    unit = plan.unit
    spent = f"{amount(use.used, unit)} of {amount(use.limit, unit)}, {amount(use.left, unit)} left"
    if use.binds:
        return f"{spent}: binds (more budget buys more value)"
    return f"{spent}: does not bind (no more budget buys more value)"


def capacity_sentence(use: CapacityUse) -> str:
    used = f"{use.used} of {use.limit} {'initiative' if use.limit == 1 else 'initiatives'}"
    if use.binds:
        return f"{used}: binds (one more would raise the value by {value_text(use.gain)})"
    if use.used >= use.limit:
        return f"{used}: full, but one more would not raise the value"
    return f"{used}: does not bind"


def next_step_sentence(step: BudgetStep | None, plan: FundingPlan) -> str:
    if step is None:
        return "no budget buys more value: every initiative left out is held back by something else"
    unit = plan.unit
    change = f"funds {names(step.added)}" if step.added else "funds the same initiatives"
    if step.removed:
        change += f" in place of {names(step.removed)}"
    return (
        f"+{amount(step.increase, unit)} (a budget of {amount(step.budget, unit)}) {change}: "
        f"value {value_text(step.value)} (+{value_text(step.gained)})"
    )


def infeasible_sentence(problem: Infeasible, plan: FundingPlan) -> str:
    mandatory = names(problem.mandatory)
    if problem.constraint == "unfundable":
        why = {item.name: left_out_sentence(item, plan) for item in plan.left_out}
        return "; ".join(
            f"the mandatory initiative {name} cannot be funded as it stands: {why.get(name, 'left out')}"
            for name in problem.mandatory
        )
    if problem.constraint == "budget":
        return (
            f"the mandatory initiatives ({mandatory}) need {amount(problem.needed, plan.unit)}, "
            f"over the budget of {amount(problem.limit, plan.unit)} by {amount(problem.over, plan.unit)}"
        )
    return (
        f"owner {problem.owner} must carry {show_number(problem.needed)} mandatory initiatives "
        f"({mandatory}), over its capacity of {show_number(problem.limit)} by {show_number(problem.over)}"
    )


def headline(plan: FundingPlan) -> str:
    as_of = f" — as of {plan.as_of.isoformat()}" if plan.as_of else ""
    return (
        f"What to fund: a budget of {amount(plan.budget, plan.unit)}, value `{plan.value_expression}`, "
        f"cost `{plan.cost_expression}`{as_of}"
    )


def funded_summary(plan: FundingPlan) -> str:
    return (
        f"{plural(len(plan.funded), 'initiative')} funded of {plan.candidates}: "
        f"{amount(plan.total_cost, plan.unit)}, value {value_text(plan.total_value)}"
    )


# ---------------------------------------------------------------- text


def render_plan_text(plan: FundingPlan) -> str:
    lines = [headline(plan), ""]
    if not plan.feasible:
        lines.append("No plan: the mandatory H1 initiatives do not fit.")
        lines.extend(f"  {infeasible_sentence(problem, plan)}" for problem in plan.infeasible)
        lines.append("")
        lines.append(
            "Raise the budget or the capacity, give what a mandatory initiative lacks, or move it off H1."
        )
        return safe_text(lines)
    lines.append(funded_summary(plan))
    width = max((len(item.name) for item in plan.funded), default=0)
    for item in plan.funded:
        cost = amount(item.cost, plan.unit)
        owner = item.owner or "no owner"
        notes = "".join(f"; {note}" for note in funded_notes(item))
        lines.append(
            f"  ✓ {item.name.ljust(width)}  {cost:>12}  value {value_text(item.value)}  {owner}{notes}"
        )
    lines.append("")
    if plan.left_out:
        lines.append(f"Left out: {plural(len(plan.left_out), 'initiative')}")
        for left in plan.left_out:
            lines.append(f"  ✗ {left.name} ({left.verdict.label}): {left_out_sentence(left, plan)}")
        lines.append("")
    lines.append("Constraints:")
    lines.append(f"  budget: {budget_sentence(plan)}")
    for use in plan.capacity_use:
        lines.append(f"  capacity of {use.owner}: {capacity_sentence(use)}")
    lines.append("")
    lines.append(f"Next budget step: {next_step_sentence(plan.next_step, plan)}")
    return safe_text(lines)


# ---------------------------------------------------------------- markdown


def cell(text: str) -> str:
    """Data as literal text in a table cell (markdown's own escaping, `|` included)."""
    return md_text(text)


def render_plan_markdown(plan: FundingPlan) -> str:
    lines = [f"## {headline(plan)}", ""]
    if not plan.feasible:
        lines.append("**No plan**: the mandatory H1 initiatives do not fit.")
        lines.append("")
        lines.extend(f"- {cell(infeasible_sentence(problem, plan))}" for problem in plan.infeasible)
        return safe_text(lines)
    lines.append(f"**{funded_summary(plan)}**")
    lines.append("")
    lines.append("| Funded | Owner | Cost | Value | Note |")
    lines.append("|---|---|--:|--:|---|")
    for item in plan.funded:
        lines.append(
            f"| {md_code(item.name, table=True)} | {cell(item.owner or '—')} | "
            f"{amount(item.cost, plan.unit)} | "
            f"{value_text(item.value)} | {cell('; '.join(funded_notes(item)) or '—')} |"
        )
    lines.append("")
    if plan.left_out:
        lines.append("| Left out | Verdict | Why |")
        lines.append("|---|---|---|")
        for left in plan.left_out:
            name = md_code(left.name, table=True)
            lines.append(f"| {name} | {left.verdict.label} | {cell(left_out_sentence(left, plan))} |")
        lines.append("")
    lines.append(f"- **Budget**: {budget_sentence(plan)}")
    for use in plan.capacity_use:
        lines.append(f"- **Capacity of {use.owner}**: {capacity_sentence(use)}")
    lines.append(f"- **Next budget step**: {next_step_sentence(plan.next_step, plan)}")
    return safe_text(lines)


# ---------------------------------------------------------------- json


def plan_to_dict(plan: FundingPlan) -> dict[str, Any]:
    def once(item: Funded | LeftOut) -> Any:
        return to_data(item.once) if item.once is not None else None

    return {
        "schema": PLAN_SCHEMA,
        "as_of": plan.as_of.isoformat() if plan.as_of else None,
        "budget": plan.budget,
        "capacities": dict(plan.capacities),
        "value": plan.value_expression,
        "cost": plan.cost_expression,
        "unit": plan.unit,
        "initiatives": plan.candidates,
        "feasible": plan.feasible,
        "infeasible": [
            {
                "constraint": problem.constraint,
                "owner": problem.owner,
                "needed": problem.needed,
                "limit": problem.limit,
                "over": problem.over,
                "mandatory": list(problem.mandatory),
                "why": infeasible_sentence(problem, plan),
            }
            for problem in plan.infeasible
        ],
        "total_cost": plan.total_cost,
        "total_value": plan.total_value,
        "funded": [
            {
                "name": item.name,
                "owner": item.owner,
                "verdict": item.verdict.value,
                "cost": item.cost,
                "value": item.value,
                "mandatory": item.mandatory,
                "depends_on": list(item.depends_on),
                "once": once(item),
                "location": to_data(item.location),
            }
            for item in plan.funded
        ],
        "left_out": [
            {
                "name": item.name,
                "owner": item.owner,
                "verdict": item.verdict.value,
                "reason": item.reason.value,
                "eligible": item.reason.eligible,
                "why": left_out_sentence(item, plan),
                "cost": item.cost,
                "value": item.value,
                "rules": [rule.rule for rule in item.rules],
                "others": list(item.others),
                "once": once(item),
                "location": to_data(item.location),
            }
            for item in plan.left_out
        ],
        "budget_use": {
            "limit": plan.budget_use.limit,
            "used": plan.budget_use.used,
            "left": plan.budget_use.left,
            "binds": plan.budget_use.binds,
        },
        "capacity_use": [
            {"owner": use.owner, "limit": use.limit, "used": use.used, "binds": use.binds, "gain": use.gain}
            for use in plan.capacity_use
        ],
        "next_step": None
        if plan.next_step is None
        else {
            "increase": plan.next_step.increase,
            "budget": plan.next_step.budget,
            "value": plan.next_step.value,
            "gained": plan.next_step.gained,
            "added": list(plan.next_step.added),
            "removed": list(plan.next_step.removed),
        },
    }


def render_plan_json(plan: FundingPlan) -> str:
    text = json.dumps(plan_to_dict(plan), indent=2, sort_keys=True, ensure_ascii=False)
    return inert_json(text) + "\n"

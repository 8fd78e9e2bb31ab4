"""What to fund (`decisionlang plan`): the funding plan a budget and the teams' capacities allow, as
typed data. The engine builds it (engine/plan.py); renderers put it into words. Nothing here prints.

A plan funds, among the initiatives that are GO or NOT YET with a known path to GO, the set of the
highest total value within the budget and the owners' capacities, with every funded initiative's
initiative dependencies funded too and every eligible H1 initiative funded (mandatory). Every
initiative it does not fund is `left_out` with the reason, and the plan says which constraints bind
and what the next step of budget would buy.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass

from decisionlang.core.model import ChangeOption, Location, Verdict

PLAN_SCHEMA = "decisionlang/plan/v1"
DEFAULT_COST = "cost.delivery_eur"
DEFAULT_VALUE = "value_score"
MANDATORY_HORIZON = "H1"


class LeftOutReason(enum.Enum):
    """Why an initiative is not funded. The first five make it ineligible (the solver never sees
    it); the others are the solver's: it was eligible, and the best plan leaves it out."""

    NO_GO = "no-go"  # its verdict is NO-GO: `rules` decided it
    NOT_YET = "not-yet"  # NOT YET with no known path to GO: `rules` hold it back
    NO_COST = "no-cost"  # the cost expression gives no number for it (`missing`, or `problem`)
    NO_VALUE = "no-value"  # the value expression gives no number for it
    NEGATIVE_COST = "negative-cost"  # a cost below zero: a plan cannot spend it
    DEPENDS_ON_INELIGIBLE = "depends-on-ineligible"  # `others`: the ineligible initiatives it needs
    DEPENDS_ON_LEFT_OUT = "depends-on-left-out"  # `others`: the eligible ones the plan leaves out
    AT_CAPACITY = "at-capacity"  # its owner's capacity is used up (`used` of `limit`)
    DOES_NOT_FIT = "does-not-fit"  # its cost (with what it needs) exceeds what the budget can free
    DISPLACED = "displaced"  # it fits only in place of `others`, worth more together
    NO_GAIN = "no-gain"  # funding it adds no value (or ties with the plan chosen)

    @property
    def eligible(self) -> bool:
        return self not in _INELIGIBLE


_INELIGIBLE = frozenset(
    {
        LeftOutReason.NO_GO,
        LeftOutReason.NOT_YET,
        LeftOutReason.NO_COST,
        LeftOutReason.NO_VALUE,
        LeftOutReason.NEGATIVE_COST,
        LeftOutReason.DEPENDS_ON_INELIGIBLE,
    }
)


@dataclass(frozen=True)
class DecidingRule:
    """A rule that decided an initiative's verdict (from `core.views.deciding_rules`)."""

    rule: str
    message: str | None
    location: Location


@dataclass(frozen=True)
class Funded:
    """An initiative the plan funds; `once`: the change of its facts that makes it GO (a NOT YET
    funded on its path to GO), None when it is GO already."""

    name: str
    owner: str | None
    verdict: Verdict
    cost: float
    value: float
    mandatory: bool
    location: Location
    once: ChangeOption | None = None
    depends_on: tuple[str, ...] = ()  # the initiatives it needs (funded too)


@dataclass(frozen=True)
class LeftOut:
    """An initiative the plan does not fund, and why (`reason`; the other fields say more, each
    where the reason uses it)."""

    name: str
    owner: str | None
    verdict: Verdict
    reason: LeftOutReason
    location: Location
    cost: float | None = None
    value: float | None = None
    rules: tuple[DecidingRule, ...] = ()  # NO_GO, NOT_YET: what decided its verdict
    others: tuple[str, ...] = ()  # the initiatives it depends on, or those it would displace
    others_value: float | None = None  # DISPLACED: what the displaced are worth together
    gained_value: float | None = None  # DISPLACED: what funding it (with what it needs) brings
    room: float | None = None  # DOES_NOT_FIT: the most of the budget it could have
    needs: float | None = None  # DOES_NOT_FIT: its cost with the dependencies it needs
    used: int | None = None  # AT_CAPACITY: the owner's funded initiatives
    limit: int | None = None  # AT_CAPACITY: the owner's capacity
    missing: tuple[tuple[str, str, str], ...] = ()  # NO_COST, NO_VALUE: (subject, file, field) missing
    problem: str | None = None  # NO_COST, NO_VALUE: the evaluation problem, when not missing facts
    # NO_COST, NO_VALUE: the facts it reads that are written but stale, each with why
    # (`dora.cfr is stale (observed 2026-05-01 by dora-exporter, older than 90 days)`)
    stale: tuple[str, ...] = ()
    once: ChangeOption | None = None  # a NOT YET eligible on its path to GO


@dataclass(frozen=True)
class BudgetUse:
    """The budget: how much the plan spends, and whether it binds (more would buy more value)."""

    limit: float
    used: float
    binds: bool

    @property
    def left(self) -> float:
        return self.limit - self.used


@dataclass(frozen=True)
class CapacityUse:
    """One owner's capacity (funded initiatives at once): used, limit, and whether one more would
    raise the plan's value (`gain`: by how much; None when it would not)."""

    owner: str
    limit: int
    used: int
    gain: float | None = None

    @property
    def binds(self) -> bool:
        return self.gain is not None


@dataclass(frozen=True)
class BudgetStep:
    """The smallest increase of the budget that raises the plan's value, and the plan it buys."""

    increase: float
    budget: float
    value: float  # the plan's value at that budget
    gained: float
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class Infeasible:
    """A constraint the mandatory initiatives break on their own: `needed` against `limit`."""

    constraint: (
        str  # "budget", "capacity" with `owner`, or "unfundable" (`mandatory`: left out as they stand)
    )
    needed: float
    limit: float
    mandatory: tuple[str, ...]  # the mandatory initiatives (with what they need) that it counts
    owner: str | None = None

    @property
    def over(self) -> float:
        return self.needed - self.limit


@dataclass(frozen=True)
class FundingPlan:
    budget: float
    capacities: Mapping[str, int]
    value_expression: str
    cost_expression: str
    unit: str | None  # the cost's unit (`€`), None when the expression has none
    as_of: dt.date | None
    funded: tuple[Funded, ...]
    left_out: tuple[LeftOut, ...]
    budget_use: BudgetUse
    capacity_use: tuple[CapacityUse, ...]
    next_step: BudgetStep | None
    infeasible: tuple[Infeasible, ...] = ()
    candidates: int = 0  # the initiatives considered (every subject of kind initiative)

    @property
    def feasible(self) -> bool:
        return not self.infeasible

    @property
    def total_cost(self) -> float:
        return sum(item.cost for item in self.funded)

    @property
    def total_value(self) -> float:
        return sum(item.value for item in self.funded)

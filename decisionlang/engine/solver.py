"""The 0-1 integer program behind `decisionlang plan`, solved exactly by HiGHS (the optional extra
`decisionlang[plan]`, imported on first use).

Items have a value and a cost; a selection keeps the total cost within a budget, at most a limit of
items per group (an owner's capacity), every dependency of a selected item selected (x_i <= x_j),
and every forced item selected. `Problem.best` gives the selection of the highest value; among the
selections of that value, the lowest cost; among those, the one that keeps the earliest items (the
caller orders them by name): the answer is unique, whatever the solver's own path.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic

__all__ = ["PLAN_EXTRA", "Problem", "require_solver"]

PLAN_EXTRA = "decisionlang[plan]"
_loaded: list[Any] = []  # the highspy module, once imported


def require_solver() -> None:
    """Raise DecisionlangError (DL-PLAN-SOLVER, with the install hint) when highspy is missing."""
    _highspy()


def _highspy() -> Any:
    if _loaded:
        return _loaded[0]
    try:
        module = importlib.import_module("highspy")
    except ImportError:
        raise DecisionlangError(
            [
                Diagnostic(
                    "DL-PLAN-SOLVER",
                    "planning what to fund needs the HiGHS solver (highspy), which is not installed",
                    help=f"install the optional extra: pip install '{PLAN_EXTRA}'",
                )
            ]
        ) from None
    _loaded.append(module)
    return module


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS prints its banner on standard output when the first solver of a process is made:
    send that file descriptor to /dev/null meanwhile, so that the command's output stays its own."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no standard output to protect
        yield
        return
    try:
        with open(os.devnull, "w", encoding="utf-8") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def slack(magnitude: float) -> float:
    """How far a float sum may be off `magnitude`: a billionth of it, and never under a millionth,
    well above the solver's own feasibility tolerance (1e-9): a row `value >= v + slack` must not
    be met by a selection worth just `v`."""
    return max(1e-6, 1e-9 * abs(magnitude))


def within(amount: float, limit: float) -> bool:
    """Whether `amount` is at most `limit`, up to the float arithmetic's error on `limit`: a budget
    is a hard limit, never stretched by the size of other figures."""
    return amount <= limit + slack(limit)


@dataclass(frozen=True)
class Problem:
    values: Sequence[float]
    costs: Sequence[float]
    groups: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # group -> its items
    requires: tuple[tuple[int, int], ...] = ()  # (i, j): selecting i selects j
    forced: frozenset[int] = frozenset()

    @property
    def size(self) -> int:
        return len(self.values)

    @property
    def value_tolerance(self) -> float:
        """What the solver's arithmetic may blur in a value: a billionth of the largest single one
        (a tolerance on a sum of many would let a small item's value disappear in it)."""
        return slack(max((abs(value) for value in self.values), default=0.0))

    @property
    def cost_tolerance(self) -> float:
        return slack(max((abs(cost) for cost in self.costs), default=0.0))

    def value_of(self, chosen: frozenset[int]) -> float:
        return sum(self.values[i] for i in sorted(chosen))

    def cost_of(self, chosen: frozenset[int]) -> float:
        return sum(self.costs[i] for i in sorted(chosen))

    def best(
        self,
        budget: float | None,
        limits: Mapping[str, int],
        *,
        also_forced: frozenset[int] = frozenset(),
        value_only: bool = False,
    ) -> frozenset[int] | None:
        """The best selection (see the module), None when none satisfies the constraints;
        `value_only`: any selection of the highest value (one solve, no tie-breaking)."""
        forced = self.forced | also_forced
        top = self._solve(budget, limits, forced, maximise=True)
        if top is None or value_only:
            return top
        best = self.value_of(top)
        floor = best - min(self.value_tolerance, slack(best))
        cheapest = self._solve(budget, limits, forced, maximise=False, value_at_least=floor)
        assert cheapest is not None  # `top` satisfies it
        least = self.cost_of(cheapest)
        ceiling = least + min(self.cost_tolerance, slack(least))
        unique = self._solve(
            budget,
            limits,
            forced,
            maximise=False,
            value_at_least=floor,
            cost_at_most=ceiling,
            differ_from=cheapest,
        )
        if unique is None:
            return cheapest  # the only selection of that value at that cost
        kept = set(forced)
        dropped: set[int] = set()
        for item in range(self.size):  # the earliest items first, one at a time
            if item in kept:
                continue
            trial = self._solve(
                budget,
                limits,
                frozenset(kept | {item}),
                maximise=False,
                value_at_least=floor,
                cost_at_most=ceiling,
                excluded=frozenset(dropped),
            )
            (kept if trial is not None else dropped).add(item)
        return frozenset(kept)

    def cheapest_above(self, value: float, limits: Mapping[str, int]) -> frozenset[int] | None:
        """The selection of the lowest cost (no budget) whose value exceeds `value`."""
        found = self._solve(
            None, limits, self.forced, maximise=False, value_at_least=value + self.value_tolerance
        )
        if found is None or self.value_of(found) <= value + self.value_tolerance / 2:
            return None  # within the solver's tolerance only: not worth more
        return found

    def _solve(
        self,
        budget: float | None,
        limits: Mapping[str, int],
        forced: frozenset[int],
        *,
        maximise: bool,
        value_at_least: float | None = None,
        cost_at_most: float | None = None,
        differ_from: frozenset[int] | None = None,
        excluded: frozenset[int] = frozenset(),
    ) -> frozenset[int] | None:
        """One solve: the highest value (`maximise`) or the lowest cost, under the constraints."""
        n = self.size
        if n == 0:
            empty: frozenset[int] = frozenset()
            return empty if value_at_least is None or value_at_least <= 0 else None
        highspy = _highspy()
        np = importlib.import_module("numpy")  # highspy's own dependency
        with _quiet_stdout():
            solver = highspy.Highs()
        for option, setting in (
            ("output_flag", False),
            ("threads", 1),
            ("mip_rel_gap", 0.0),
            ("mip_abs_gap", 0.0),
            ("mip_feasibility_tolerance", 1e-9),
            ("primal_feasibility_tolerance", 1e-9),
        ):
            solver.setOptionValue(option, setting)
        lower = np.array([1.0 if i in forced else 0.0 for i in range(n)])
        upper = np.array([0.0 if i in excluded else 1.0 for i in range(n)])
        if any(i in excluded for i in forced):
            return None
        indices = np.arange(n, dtype=np.int32)
        solver.addVars(n, lower, upper)
        solver.changeColsIntegrality(n, indices, np.array([highspy.HighsVarType.kInteger] * n))
        objective = self.values if maximise else self.costs
        solver.changeColsCost(n, indices, np.array(objective, dtype=float))
        solver.changeObjectiveSense(highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize)
        infinity = highspy.kHighsInf
        costs = np.array(self.costs, dtype=float)
        values = np.array(self.values, dtype=float)
        if budget is not None:
            solver.addRow(-infinity, budget + slack(budget), n, indices, costs)
        if cost_at_most is not None:
            solver.addRow(-infinity, cost_at_most, n, indices, costs)
        if value_at_least is not None:
            solver.addRow(value_at_least, infinity, n, indices, values)
        for group, members in sorted(self.groups.items()):
            if group in limits:
                chosen = np.array(members, dtype=np.int32)
                solver.addRow(-infinity, float(limits[group]), len(members), chosen, np.ones(len(members)))
        for i, j in self.requires:
            solver.addRow(-infinity, 0.0, 2, np.array([i, j], dtype=np.int32), np.array([1.0, -1.0]))
        if differ_from is not None:  # sum over S of (1 - x) + sum outside S of x >= 1
            signs = np.array([-1.0 if i in differ_from else 1.0 for i in range(n)])
            solver.addRow(1.0 - len(differ_from), infinity, n, indices, signs)
        solver.run()
        status = solver.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            if status == highspy.HighsModelStatus.kInfeasible:
                return None
            raise RuntimeError(f"the solver stopped: {solver.modelStatusToString(status)}")
        chosen_items = frozenset(i for i, x in enumerate(solver.getSolution().col_value) if x > 0.5)
        return chosen_items

"""What evidence and funding cost: a check on facts that say when they were observed, and `plan`.

    .venv/bin/python benchmarks/bench_evidence_plan.py [--services N] [--items M] [--seed S] [--repeat R]

In one run, alternating, the median CPU time of `--repeat` runs of:

- evidence: `evaluate_project` (traced, what `check` does) of N generated services (the portfolio
  of `bench_evaluate.py`), once as generated and once with `observed:` and `source:` on every
  service (every fact dated: each evaluation first counts their ages): the ratio is what dated
  states cost a check;
- plan, on examples/scaleup: `plan` with a budget and a capacity (the path-to-GO searches of its
  NOT YET initiatives, about fifteen exact solves, the explanations), against `evaluate_project`
  of the same repo;
- the solver alone: the exact 0-1 selection of M random initiatives within a budget
  (`engine.solver.Problem.best`: three solves and the tie-break), against a plain-Python exact
  reference of the same problem (dynamic programming over whole thousands of euros), which must
  find the same value.

The last line is `RESULT {json}`. The script reports; it does not gate (exit 0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchresult import cpu, emit, figure
from portfolio import generate_repo

from decisionlang.api import evaluate_project, load_project, plan
from decisionlang.engine.solver import Problem

SCALEUP = Path(__file__).resolve().parents[1] / "examples" / "scaleup"
AS_OF = dt.date(2026, 11, 26)


def dated_copy(root: Path) -> None:
    """Every service of the generated repo says when and by what its facts were observed."""
    for file in sorted((root / "services").glob("*.yaml")):
        lines = file.read_text(encoding="utf-8").splitlines()
        dated = []
        for line in lines:
            dated.append(line)
            if line.startswith("  - name: "):
                dated += ["    observed: 2026-10-01", "    source: bench-exporter"]
        file.write_text("\n".join(dated) + "\n", encoding="utf-8")


def evidence(services: int, seed: int, repeat: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as directory:
        plain_root, dated_root = Path(directory) / "plain", Path(directory) / "dated"
        generate_repo(plain_root, services, seed)
        generate_repo(dated_root, services, seed)
        dated_copy(dated_root)
        plain, dated = load_project(plain_root, cache=False), load_project(dated_root, cache=False)
        assert not plain.errors and not dated.errors, (plain.errors, dated.errors)
        assert dated.portfolio.dated and not plain.portfolio.dated
        plain_times: list[float] = []
        dated_times: list[float] = []
        for _ in range(repeat):
            plain_times.append(cpu(lambda: evaluate_project(plain, as_of=AS_OF)))
            dated_times.append(cpu(lambda: evaluate_project(dated, as_of=AS_OF)))
    return statistics.median(dated_times), statistics.median(plain_times)


def scaleup_plan(repeat: int) -> tuple[float, float]:
    project = load_project(SCALEUP, cache=False)
    report = evaluate_project(project, as_of=AS_OF)
    planned: list[float] = []
    checked: list[float] = []
    for _ in range(repeat):
        checked.append(cpu(lambda: evaluate_project(project, as_of=AS_OF)))
        planned.append(cpu(lambda: plan(project, report, budget=600_000, capacities={"team-platform": 1})))
    return statistics.median(planned), statistics.median(checked)


def knapsack(values: list[float], costs: list[int], budget: int) -> float:
    """The plain-Python exact reference: the best value within the budget, by dynamic programming."""
    best = [0.0] * (budget + 1)
    for value, cost in zip(values, costs, strict=True):
        for room in range(budget, cost - 1, -1):
            candidate = best[room - cost] + value
            if candidate > best[room]:
                best[room] = candidate
    return best[budget]


def solver(items: int, seed: int, repeat: int) -> tuple[float, float]:
    rng = random.Random(seed)
    values = [float(rng.randint(10, 100)) for _ in range(items)]
    costs = [rng.randint(20, 400) for _ in range(items)]  # thousands of euros
    budget = sum(costs) // 3
    problem = Problem(values, [float(cost) for cost in costs])
    solved: list[float] = []
    reference: list[float] = []
    chosen: frozenset[int] | None = None
    for _ in range(repeat):
        start = time.process_time()
        chosen = problem.best(float(budget), {})
        solved.append(time.process_time() - start)
        reference.append(cpu(lambda: knapsack(values, costs, budget)))
    assert chosen is not None
    assert abs(problem.value_of(chosen) - knapsack(values, costs, budget)) < 1e-6, "the solver is not exact"
    return statistics.median(solved), statistics.median(reference)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    dated, plain = evidence(args.services, args.seed, args.repeat)
    planned, checked = scaleup_plan(args.repeat)
    solved, reference = solver(args.items, args.seed, args.repeat)
    print(f"{args.repeat} runs each, median CPU time")
    print(
        f"  check of {args.services:,} services, every fact dated  {dated * 1000:8.1f} ms"
        f"   undated {plain * 1000:8.1f} ms   ratio {dated / plain:.2f}"
    )
    print(
        f"  plan on examples/scaleup               {planned * 1000:8.1f} ms   check {checked * 1000:8.1f} ms"
    )
    print(
        f"  exact selection of {args.items} initiatives   {solved * 1000:8.1f} ms"
        f"   plain-Python dynamic programming {reference * 1000:8.1f} ms (same value)"
    )
    figures = [
        figure(
            f"check, {args.services:,} services with dated facts", dated * 1000, "ms",
            kind="speed", target="", met=None, reference=plain * 1000,
        ),
        figure("plan, examples/scaleup", planned * 1000, "ms", kind="speed", target="", met=None,
               reference=checked * 1000),
        figure(f"plan solver, {args.items} initiatives", solved * 1000, "ms", kind="speed", target="",
               met=None, reference=reference * 1000),
    ]  # fmt: skip
    emit(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What hostile policies and states cost: the evaluation bounds of docs/semantics.md (S41, S42).

    .venv/bin/python benchmarks/bench_bounds.py [--levels N] [--items N]

Times, in this process (CPU seconds from `resource`; peak Python memory from `tracemalloc`, in a second run):
- `define e{i} = e{i-1} + e{i-1}` chained N levels deep (30 by default): each definition is computed
  once per subject, so this is N + 1 computations (2^N without the memo: days at 30 levels);
- `count(a in xs: all(b in xs: a + b > 0))` over N items (3,000 by default: 9,000,000 inner items),
  traced and not: the evaluation budget (1,000,000 steps per subject) stops it with DL-EVAL-LIMIT;
- `x * 10 > 5` with `x = 1e308`: a number beyond range is a DL-EVAL-RANGE problem (NOT YET).

The script reports; it does not gate (exit 0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import tracemalloc
from collections.abc import Callable
from typing import Any

from decisionlang.api import evaluate_project, load_project
from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.inputs.sources import SourceSet

AS_OF = dt.date(2026, 11, 26)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(run: Callable[[], str]) -> tuple[str, float, float]:
    """CPU seconds of one run, then the peak Python memory of another (tracemalloc slows it)."""
    start = cpu()
    outcome = run()
    seconds = cpu() - start
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return outcome, seconds, peak


def decide(files: dict[str, str], trace: bool = True) -> Callable[[], str]:
    def run() -> str:
        project = load_project(SourceSet.from_memory(files))
        try:
            report = evaluate_project(project, as_of=AS_OF, trace=trace)
        except DecisionlangError as error:
            return ", ".join(sorted({d.code for d in error.diagnostics}))
        codes = sorted({d.code for d in report.diagnostics})
        return f"{report.verdict.label}" + (f" ({', '.join(codes)})" if codes else "")

    return run


def doubling(levels: int) -> dict[str, str]:
    lines = ["schema { x: number }", "define e0 = x"]
    lines += [f"define e{i} = e{i - 1} + e{i - 1}" for i in range(1, levels + 1)]
    lines += ["policy gate {", f"  no_go big when e{levels} > 5", "}"]
    return {"policies/p.policy": "\n".join(lines) + "\n", "services/a.yaml": "name: a\nx: 1\n"}


def nested(items: int) -> dict[str, str]:
    policy = (
        "schema { xs: list of number }\ndefine pairs = count(a in xs: all(b in xs: a + b > 0))\n"
        "policy gate {\n  no_go quadratic when pairs > 5\n}\n"
    )
    state = "name: a\nxs: [" + ", ".join(str(i) for i in range(items)) + "]\n"
    return {"policies/p.policy": policy, "services/a.yaml": state}


def overflow() -> dict[str, str]:
    policy = "schema { x: number }\npolicy gate {\n  no_go big when x * 10 > 5\n}\n"
    return {"policies/p.policy": policy, "services/a.yaml": "name: a\nx: 1e308\n"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=30)
    parser.add_argument("--items", type=int, default=3000)
    options = parser.parse_args()
    cases: list[tuple[str, Any]] = [
        (f"{options.levels} doubling defines, traced", decide(doubling(options.levels))),
        (f"nested aggregates over {options.items:,} items, traced", decide(nested(options.items))),
        (
            f"nested aggregates over {options.items:,} items, verdicts only",
            decide(nested(options.items), False),
        ),
        ("1e308 * 10 > 5", decide(overflow())),
    ]
    print(f"{'case':<58} {'outcome':<26} {'CPU s':>7} {'peak MiB':>9}")
    for name, run in cases:
        outcome, seconds, peak = measure(run)
        print(f"{name:<58} {outcome:<26} {seconds:>7.2f} {peak:>9.1f}")


if __name__ == "__main__":
    main()

"""What one named subject costs in a small and in a large portfolio.

    .venv/bin/python benchmarks/bench_named_subject.py [--small N] [--large N] [--calls C]

Generates the benchmark portfolio of `bench_evaluate.py` at two sizes (1,000 and 100,000 services
by default, same seed), loads each once, then times `evaluate_project(project, services=[name])`
with a full trace for the same few services (present in both portfolios, with their dependency
chains), C calls each. Prints the median time per call at each size and their ratio: evaluating
a named subject walks only that subject and what its rules read, so the ratio stays near 1.

The script reports; it does not gate (exit 0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_evaluate import generate_repo, progress

from decisionlang.api import Project, evaluate_project, load_project

AS_OF = dt.date(2026, 11, 26)
SEED = 20261126
SAMPLED = 5  # services timed, the same in both portfolios (the first ones generated)


def per_call(project: Project, names: Sequence[str], calls: int) -> float:
    """Median seconds of one `evaluate_project` call naming one service."""
    times = []
    for _ in range(calls):
        for name in names:
            start = time.perf_counter()
            evaluate_project(project, as_of=AS_OF, services=[name], trace=True)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(count: int, calls: int) -> tuple[float, list[str]]:
    with tempfile.TemporaryDirectory(prefix="decisionlang-named-") as temporary:
        root = Path(temporary)
        progress(f"generating {count:,} services")
        generate_repo(root, count, SEED)
        progress(f"loading {count:,} services")
        project = load_project(root)
    names = [
        subject.name
        for subject in project.portfolio.subjects
        if subject.name.endswith(tuple(f"-{index:05d}" for index in range(SAMPLED)))
    ]
    progress(f"timing {len(names)} services x {calls} calls")
    return per_call(project, names, calls), names


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=50)
    options = parser.parse_args(argv)
    small, small_names = measure(options.small, options.calls)
    large, large_names = measure(options.large, options.calls)
    if small_names != large_names:
        print("the two portfolios do not share the sampled services", file=sys.stderr)
    print(f"one named service, {options.small:>9,} services: {small * 1e3:8.3f} ms per call")
    print(f"one named service, {options.large:>9,} services: {large * 1e3:8.3f} ms per call")
    print(f"ratio (large / small): {large / small:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

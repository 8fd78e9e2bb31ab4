"""What one named subject costs in a small and in a large portfolio.

    .venv/bin/python benchmarks/bench_named_subject.py [--small N] [--large N] [--calls C]

Generates the benchmark portfolio of `bench_evaluate.py` at two sizes (1,000 and 100,000 services
by default, same seed), loads each once, then times `evaluate_project(project, services=[name])`
with a full trace for services spread over each portfolio, C calls each, alternating between the
two portfolios. Prints the median time per call at each size and their ratio: evaluating a named
subject walks only that subject and what its rules read, so the ratio stays near 1 (what remains
is the memory a hundred times larger portfolio occupies, not work).

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
SAMPLED = 20  # services timed in each portfolio


def load(count: int) -> Project:
    with tempfile.TemporaryDirectory(prefix="decisionlang-named-") as temporary:
        root = Path(temporary)
        progress(f"generating {count:,} services")
        generate_repo(root, count, SEED)
        progress(f"loading {count:,} services")
        return load_project(root)


def sample(project: Project) -> list[str]:
    """Services spread over the portfolio (the generator gives every one the same kind of
    neighbourhood: its rules read its direct dependencies only)."""
    subjects = project.portfolio.subjects
    step = max(1, len(subjects) // SAMPLED)
    return [subject.name for subject in subjects[::step][:SAMPLED]]


def one_call(project: Project, name: str) -> float:
    start = time.perf_counter()
    evaluate_project(project, as_of=AS_OF, services=[name], trace=True)
    return time.perf_counter() - start


def timings(projects: Sequence[Project], calls: int) -> list[float]:
    """Median seconds per call for each project; the calls alternate between the projects, so
    the load of a shared machine weighs on both alike."""
    names = [sample(project) for project in projects]
    times: list[list[float]] = [[] for _ in projects]
    for _ in range(calls):
        for index, project in enumerate(projects):
            times[index].extend(one_call(project, name) for name in names[index])
    return [statistics.median(each) for each in times]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=20)
    options = parser.parse_args(argv)
    projects = [load(options.small), load(options.large)]
    progress(f"timing {SAMPLED} services x {options.calls} calls in each portfolio")
    small, large = timings(projects, options.calls)
    print(f"one named service, {options.small:>9,} services: {small * 1e3:8.3f} ms per call")
    print(f"one named service, {options.large:>9,} services: {large * 1e3:8.3f} ms per call")
    print(f"ratio (large / small): {large / small:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

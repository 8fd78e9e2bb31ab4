"""Lint benchmark: what `decisionlang lint` adds to loading a project.

    .venv/bin/python benchmarks/bench_lint.py [--services N] [--seed S] [--repeat R]

On N generated services (the portfolio of `bench_evaluate.py`: `portfolio.py`, same seed), and on
the shipped library (`policies/`, with its tests), it measures in one run, alternating (a busy
machine slows both alike), each the median CPU time (`time.process_time`) of `--repeat` runs:

- the subject: `decisionlang.lint.lint_project` on the loaded project (every rule, the inline
  ignores, the test files read for `policy-without-test`);
- the reference: `load_project` of the same files, cache off (what `decisionlang validate` does,
  and what `decisionlang lint` does before its rules): the ratio is what lint adds.

The last line is `RESULT {json}`. The script reports; it does not gate (exit 0).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchresult import cpu, emit, figure
from portfolio import generate_repo

from decisionlang.api import SourceSet, load_project
from decisionlang.lint import lint_project

LIBRARY = Path(__file__).resolve().parents[1] / "policies"


def measure(root: Path, repeat: int) -> tuple[float, float, int]:
    """(lint rules, load_project, findings): median CPU seconds, alternating."""
    project = load_project(SourceSet.from_disk(root, tests=True), cache=False)
    assert not project.errors, project.errors
    rules: list[float] = []
    load: list[float] = []
    for _ in range(repeat):
        load.append(cpu(lambda: load_project(SourceSet.from_disk(root, tests=True), cache=False)))
        rules.append(cpu(lambda: lint_project(project)))
    return statistics.median(rules), statistics.median(load), len(lint_project(project).findings)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-lint-") as directory:
        root = Path(directory) / "repo"
        generate_repo(root, args.services, args.seed)
        generated = measure(root, args.repeat)
    library = measure(LIBRARY, args.repeat)
    print(f"{args.repeat} runs each, median CPU time")
    for what, (rules, load, found) in ((f"{args.services:,} services", generated), ("policies/", library)):
        print(
            f"  {what:<16} lint rules {rules * 1000:8.1f} ms   load_project {load * 1000:8.1f} ms   "
            f"ratio {rules / load:.3f}   ({found} findings)"
        )
    n = f"{args.services:,} services"
    emit(
        [
            figure(
                f"lint rules, {n}",
                generated[0] * 1000,
                "ms",
                kind="speed",
                target="",
                met=None,
                reference=generated[1] * 1000,
            ),
            figure(
                "lint rules, the shipped library",
                library[0] * 1000,
                "ms",
                kind="speed",
                target="",
                met=None,
                reference=library[1] * 1000,
            ),
        ]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

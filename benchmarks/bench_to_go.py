"""What it would take: the cost of `to_go` (`check --to-go`) and of `fragile` (`check --fragile`).

    .venv/bin/python benchmarks/bench_to_go.py [--services N] [--seed S] [--repeat R]

On N generated services (the portfolio of `bench_evaluate.py`: `portfolio.py`, same seed) and on
examples/scaleup, it measures in one run, alternating, the median CPU time of `--repeat` runs:

- the subjects: `with_paths_to_go` on the evaluated report (every subject that is not GO
  searched), and `with_fragility` (every GO subject, every parameter, within 10 %);
- the reference: `evaluate_project` of the same portfolio, traced (what `check` does without
  `--to-go`): the ratio is what `--to-go` costs on top of a check, and the per-subject figure is
  the search's cost per subject that is not GO.

It also prints how many of those subjects got an option, and how many evaluations a search made
at the median. The last line is `RESULT {json}`. The script reports; it does not gate (exit 0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchresult import cpu, emit, figure
from portfolio import generate_repo

from decisionlang.api import evaluate_project, load_project, with_fragility, with_paths_to_go
from decisionlang.core.model import Verdict

SCALEUP = Path(__file__).resolve().parents[1] / "examples" / "scaleup"
AS_OF = dt.date(2026, 11, 26)


def measure(root: Path, repeat: int) -> tuple[float, float, float, int, int, int]:
    """(to_go, fragile, evaluate_project, subjects searched, with an option, GO subjects fragile):
    CPU seconds, medians."""
    project = load_project(root, cache=False)
    assert not project.errors, project.errors
    report = evaluate_project(project, as_of=AS_OF)
    searched = [subject for subject in report.subjects if subject.verdict is not Verdict.GO]
    to_go: list[float] = []
    fragile: list[float] = []
    check: list[float] = []
    for _ in range(repeat):
        check.append(cpu(lambda: evaluate_project(project, as_of=AS_OF)))
        to_go.append(cpu(lambda: with_paths_to_go(project, report)))
        fragile.append(cpu(lambda: with_fragility(project, report)))
    with_options = with_paths_to_go(project, report)
    reachable = sum(1 for s in with_options.subjects if s.to_go is not None and s.to_go.reachable)
    flipped = sum(1 for s in with_fragility(project, report).subjects if s.fragile)
    medians = statistics.median(to_go), statistics.median(fragile), statistics.median(check)
    return (*medians, len(searched), reachable, flipped)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-to-go-") as directory:
        root = Path(directory) / "repo"
        generate_repo(root, args.services, args.seed)
        generated = measure(root, args.repeat)
    scaleup = measure(SCALEUP, args.repeat)
    print(f"{args.repeat} runs each, median CPU time")
    figures = []
    for what, (to_go, fragile, check, searched, reachable, flipped) in (
        (f"{args.services:,} services", generated),
        ("examples/scaleup", scaleup),
    ):
        per = to_go / searched * 1000 if searched else 0.0
        print(
            f"  {what:<18} to_go {to_go * 1000:9.1f} ms ({searched} subjects not GO, {reachable} with an "
            f"option; {per:.1f} ms each)   fragile {fragile * 1000:8.1f} ms ({flipped} GO fragile at "
            f"10 %)   check {check * 1000:8.1f} ms   ratios {to_go / check:.1f} and {fragile / check:.1f}"
        )
        for name, value in (
            (f"check --to-go over check, {what}", to_go),
            (f"check --fragile over check, {what}", fragile),
        ):
            figures.append(
                figure(name, value * 1000, "ms", kind="speed", target="", met=None, reference=check * 1000)
            )
        name = f"to_go per subject not GO, {what}"
        figures.append(figure(name, per, "ms", kind="speed", target="", met=None))
    emit(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())

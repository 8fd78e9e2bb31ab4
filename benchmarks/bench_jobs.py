"""Partitioned evaluation benchmark: `--jobs 1`, `--jobs 2` and a local Dask cluster of 2 workers.

    .venv/bin/python benchmarks/bench_jobs.py [--services N] [--seed S] [--repeat R] [--no-dask]
        [--no-cli] [--sweep] [--keep DIR]

It generates N services (default 10,000; `--services 100000` for the large run) with
benchmarks/portfolio.py's generator, loads the project once, then measures in one run, each the
median of R repetitions, with the garbage collector tuned as the CLI tunes it:

- the wall time of `evaluate_project` with `jobs=1` (the same-run reference), `jobs=2` (worker
  processes of this machine, started for each evaluation: their start is in the time) and on a
  `dask.distributed.LocalCluster` of 2 worker processes (started once, before: its start-up is
  reported on its own), verdicts only and traced;
- the speed-up of each against `jobs=1` (reference / time);
- `decisionlang check DIR --format json -o FILE` end to end in a fresh process, `--jobs 1` and
  `--jobs 2` (traced, the default; the JSON report is written while the workers evaluate);
- with `--sweep`: `jobs=2`, verdicts only, for 1 to 16 partitions per worker (the chunking).

Every report must be the same bytes as `jobs=1`'s (render_json), and each CLI output the same file:
the run exits 1 otherwise. Speed is reported, never asserted. On a machine of C cores the speed-up
cannot exceed C, and stays well below it: the main process takes each result back (unpickles it)
and writes it. On 2 cores a speed-up above 1.6x is not possible. The last line is the RESULT line
(benchmarks/benchresult.py). See benchmarks/README.md and docs/scaling.md.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchresult import Figure, emit, figure
from portfolio import AS_OF, generate_repo

from decisionlang.api import Project, evaluate_project, load_project
from decisionlang.cli.common import collector_tuned
from decisionlang.core.model import Report
from decisionlang.engine import partition
from decisionlang.render.json import render_json

REPO = Path(__file__).resolve().parents[1]


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


def cpu_seconds() -> tuple[float, float]:
    """CPU time (user + system) of this process, and of its children that ended (pool workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@dataclass
class Timing:
    wall: float  # median over the repetitions, s
    main_cpu: float  # this process's CPU time, median, s
    workers_cpu: float  # the pool workers' CPU time, all of them, median, s (0 for Dask's)


def timed(action: Callable[[], Report], repeat: int) -> tuple[Timing, Report]:
    """The median wall and CPU times of `action` over `repeat` runs, and its last report."""
    walls, mains, workers = [], [], []
    report: Report | None = None
    for _ in range(repeat):
        gc.collect()
        with collector_tuned():
            own, children = cpu_seconds()
            start = time.perf_counter()
            report = action()
            walls.append(time.perf_counter() - start)
            own_after, children_after = cpu_seconds()
        mains.append(own_after - own)
        workers.append(children_after - children)
    assert report is not None
    return Timing(statistics.median(walls), statistics.median(mains), statistics.median(workers)), report


def cli_check(root: Path, target: Path, jobs: int) -> tuple[float, bytes]:
    environment = {**os.environ, "PYTHONPATH": str(REPO), "DECISIONLANG_NO_CACHE": "1"}
    command = [sys.executable, "-m", "decisionlang", "check", str(root), "--format", "json"]
    command += ["--as-of", AS_OF.isoformat(), "-o", str(target), "--jobs", str(jobs)]
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, env=environment, check=False)
    elapsed = time.perf_counter() - start
    if run.returncode not in (0, 1, 3):
        raise SystemExit(f"check --jobs {jobs} failed ({run.returncode}): {run.stderr.decode()[-2000:]}")
    return elapsed, target.read_bytes()


def speedup(name: str, value: float, reference: float) -> Figure:
    """A wall time against the `jobs=1` reference of the same run; the ratio is time / reference
    (below 1 is faster). No target: the speed-up depends on the cores."""
    return figure(
        name,
        value,
        "s",
        kind="speed",
        target="reported (speed-up = 1 / ratio)",
        met=None,
        reference=reference,
    )


def measure(project: Project, count: int, args: argparse.Namespace) -> tuple[list[Figure], bool]:
    """jobs=1 and jobs=2 first, then the Dask cluster: a process running Dask's threads spawns its
    pool workers instead of forking them (engine/partition.py), which the CLI never does."""
    figures: list[Figure] = []
    same = True
    references: dict[bool, tuple[Timing, str]] = {}

    def compare(how: str, trace: bool, action: Callable[[], Report]) -> None:
        nonlocal same
        label = "traced" if trace else "verdicts only"
        alone, expected = references[trace]
        progress(f"evaluating {count:,} services, {label}, {how}")
        timing, report = timed(action, args.repeat)
        identical = render_json(report) == expected
        same = same and identical
        workers = f", workers {timing.workers_cpu:.2f} s" if timing.workers_cpu else ""
        print(
            f"evaluate, {label}: {how} {timing.wall:.2f} s, speed-up {alone.wall / timing.wall:.2f}x "
            f"(CPU: main {timing.main_cpu:.2f} s{workers})" + ("" if identical else "  OUTPUT DIFFERS")
        )
        figures.append(speedup(f"evaluate {count:,} services {how}, {label}", timing.wall, alone.wall))
        if timing.workers_cpu:
            figures.append(
                figure(
                    f"evaluate {count:,} services {how}, {label}: CPU time, all processes",
                    timing.main_cpu + timing.workers_cpu,
                    "s",
                    kind="speed",
                    target="reported (the cost of partitioning: ratio - 1)",
                    met=None,
                    reference=alone.main_cpu,
                )
            )

    for trace in (False, True):
        label = "traced" if trace else "verdicts only"
        progress(f"evaluating {count:,} services, {label}, jobs=1")
        alone_time, alone = timed(
            lambda trace=trace: evaluate_project(project, as_of=AS_OF, trace=trace), args.repeat
        )
        references[trace] = alone_time, render_json(alone)
        print(f"evaluate, {label}: jobs=1 {alone_time.wall:.2f} s (CPU {alone_time.main_cpu:.2f} s)")
        compare(
            "--jobs 2", trace, lambda trace=trace: evaluate_project(project, as_of=AS_OF, trace=trace, jobs=2)
        )
    if args.sweep:
        default = partition.PARTITIONS_PER_WORKER
        try:
            for per_worker in (1, 2, 4, 8, 16):
                partition.PARTITIONS_PER_WORKER = per_worker
                timing, _ = timed(lambda: evaluate_project(project, as_of=AS_OF, trace=False, jobs=2), 1)
                print(
                    f"  --jobs 2, verdicts only, {per_worker:2d} partitions per worker: {timing.wall:.2f} s "
                    f"(CPU: main {timing.main_cpu:.2f} s, workers {timing.workers_cpu:.2f} s)"
                )
        finally:
            partition.PARTITIONS_PER_WORKER = default
    if args.no_dask:
        return figures, same
    try:
        start = time.perf_counter()
        cluster = partition.DaskExecutor(None, 2)
    except Exception as error:  # the extra is optional: report without it
        print(f"dask not measured: {error}")
        return figures, same
    started = time.perf_counter() - start
    figures.append(
        figure("dask LocalCluster of 2 workers, start-up", started, "s", kind="speed", target="", met=None)
    )
    print(f"dask LocalCluster (2 worker processes) started in {started:.2f} s")
    try:
        for trace in (False, True):
            compare(
                "dask, 2 workers",
                trace,
                lambda trace=trace: evaluate_project(project, as_of=AS_OF, trace=trace, executor=cluster),
            )
    finally:
        cluster.close()
    return figures, same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster")
    parser.add_argument("--no-cli", action="store_true", help="skip the end-to-end check runs")
    parser.add_argument("--sweep", action="store_true", help="also time 1 to 16 partitions per worker")
    parser.add_argument("--keep", type=Path, help="generate the portfolio here and keep it")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1
    print(f"bench_jobs: {args.services:,} services, {cores} CPU(s) on this machine")
    if cores <= 2:
        print("  (2 cores: the main process needs a share too; a speed-up above 1.6x is not possible)")
    with tempfile.TemporaryDirectory(prefix="decisionlang-jobs-") as temporary:
        root = args.keep or Path(temporary) / "repo"
        if not (root / "policies").exists():
            progress(f"generating {args.services:,} services")
            generate_repo(root, args.services, args.seed)
        progress("loading")
        project = load_project(root, cache=False)
        if project.errors:
            raise SystemExit(f"the generated portfolio does not load: {project.errors[0].message}")
        figures, same = measure(project, len(project.portfolio.subjects), args)
        if not args.no_cli:
            seconds: dict[int, float] = {}
            outputs: dict[int, bytes] = {}
            for jobs in (1, 2):
                progress(f"check --format json --jobs {jobs}")
                seconds[jobs], outputs[jobs] = cli_check(root, Path(temporary) / f"report-{jobs}.json", jobs)
                print(f"check --format json (traced), --jobs {jobs}: {seconds[jobs]:.2f} s")
            same = same and outputs[1] == outputs[2]
            print(
                f"  speed-up {seconds[1] / seconds[2]:.2f}x"
                + ("" if outputs[1] == outputs[2] else "  OUTPUT DIFFERS")
            )
            figures.append(
                speedup(f"check {args.services:,} services --format json --jobs 2", seconds[2], seconds[1])
            )
    if not same:
        print("bench_jobs: a partitioned evaluation wrote other bytes than --jobs 1", file=sys.stderr)
    emit(figures)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

"""Loading benchmark: decisionlang's state loading against PyYAML's C loader on the same files.

    .venv/bin/python benchmarks/bench_load.py [--services N] [--seed S] [--repeat R] [--keep DIR]
        [--profile]

It generates N services (the portfolio of `bench_evaluate.py`: `portfolio.py`, same seed) in two
layouts: 100 services per file (as `bench_evaluate.py` writes them) and one file per service (a
top-level mapping each). For
each layout it measures, in one run:

- decisionlang: `load_states` on the files `load_project` finds (read + parse with positions +
  validate + build the subjects), i.e. what `load_project` spends on states;
- the reference: `yaml.load(text, Loader=yaml.CSafeLoader)` of the same texts (plain dicts, no
  positions, no validation);
- the ratio, µs per subject, and the tracemalloc peak and retained memory of the loaded portfolio
  against the list of plain dicts.

Timings are CPU time (`time.process_time`), the best of `--repeat` runs, the two loaders
alternating so that a busy machine slows both alike. The last line is `RESULT {json}`. The script
reports; it does not gate (exit 0).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import shutil
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchresult import Figure, emit, figure, within_ratio
from portfolio import generate_repo

from decisionlang.core.subjects import Portfolio
from decisionlang.inputs.layout import load_modules
from decisionlang.inputs.sources import SourceFile, SourceSet
from decisionlang.inputs.states import load_states
from decisionlang.language.checker import check_program
from decisionlang.language.types import FieldSpec

TARGET_RATIO = 1.5  # issue 11: within 1.5x of PyYAML's C loader (reported, never enforced)
MIB = 1024 * 1024


def project_inputs(root: Path) -> tuple[tuple[SourceFile, ...], dict[str, FieldSpec]]:
    """The state files `load_project` finds, and the schema its policies declare."""
    files = SourceSet.from_disk(root)
    modules, problems = load_modules(files)
    program, check_problems = check_program(modules)
    errors = [d for d in [*files.diagnostics, *problems, *check_problems] if d.is_error]
    if errors:
        raise SystemExit(f"the generated repo has errors: {errors[0]}")
    return files.states, dict(program.fields)


def decisionlang_load(states: Sequence[SourceFile], fields: dict[str, FieldSpec]) -> Portfolio:
    portfolio, diagnostics = load_states(states, fields)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        raise SystemExit(f"the generated states have errors: {errors[0]}")
    return portfolio


def pyyaml_load(states: Sequence[SourceFile]) -> list[Any]:
    return [yaml.load(file.text, Loader=yaml.CSafeLoader) for file in states]


def cpu_time(action: Callable[[], Any]) -> float:
    gc.collect()
    start = time.process_time()
    action()
    return time.process_time() - start


def memory(action: Callable[[], Any]) -> tuple[float, float]:
    """Peak and retained (what the result keeps alive) tracemalloc MiB of one call."""
    gc.collect()
    tracemalloc.start()
    try:
        result = action()
        gc.collect()
        retained, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak / MIB, retained / MIB


def measure_layout(name: str, root: Path, count: int, repeat: int) -> dict[str, Any]:
    states, fields = project_inputs(root)
    ours: list[float] = []
    reference: list[float] = []
    for run in range(repeat):
        reference.append(cpu_time(lambda: pyyaml_load(states)))
        ours.append(cpu_time(lambda: decisionlang_load(states, fields)))
        print(f"  {name} run {run + 1}: {ours[-1]:.3f} s vs {reference[-1]:.3f} s", file=sys.stderr)
    best, best_reference = min(ours), min(reference)
    peak, retained = memory(lambda: decisionlang_load(states, fields))
    reference_peak, reference_retained = memory(lambda: pyyaml_load(states))
    return {
        "layout": name,
        "files": len(states),
        "subjects": count,
        "seconds": round(best, 4),
        "reference_seconds": round(best_reference, 4),
        "ratio": round(best / best_reference, 3),
        "us_per_subject": round(best / count * 1e6, 1),
        "reference_us_per_subject": round(best_reference / count * 1e6, 1),
        "peak_mib": round(peak, 1),
        "retained_mib": round(retained, 1),
        "reference_peak_mib": round(reference_peak, 1),
        "reference_retained_mib": round(reference_retained, 1),
    }


def profile(root: Path, top: int = 30) -> str:
    states, fields = project_inputs(root)
    profiler = cProfile.Profile()
    profiler.runcall(decisionlang_load, states, fields)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def report(results: Sequence[dict[str, Any]]) -> str:
    lines = [
        f"{'layout':<18} {'files':>6} {'decisionlang':>13} {'PyYAML C':>10} {'ratio':>6} "
        f"{'µs/subject':>11} {'peak MiB':>14} {'kept MiB':>14}",
    ]
    for r in results:
        status = "" if r["ratio"] <= TARGET_RATIO else f"  (target {TARGET_RATIO}x: MISSED)"
        lines.append(
            f"{r['layout']:<18} {r['files']:>6} {r['seconds']:>11.3f} s {r['reference_seconds']:>8.3f} s "
            f"{r['ratio']:>5.2f}x {r['us_per_subject']:>5.0f} vs {r['reference_us_per_subject']:<4.0f} "
            f"{r['peak_mib']:>6.1f} vs {r['reference_peak_mib']:<6.1f}"
            f"{r['retained_mib']:>6.1f} vs {r['reference_retained_mib']:<6.1f}{status}"
        )
    return "\n".join(lines)


FIGURE_NAMES = {"100 per file": "load, 100 services per file", "one per file": "load, one file per service"}


def figures(results: Sequence[dict[str, Any]]) -> list[Figure]:
    """The RESULT figures: per layout the time against PyYAML's (the target), µs per subject, and
    the peak and retained memory against the plain dicts' (reported, no target)."""
    out: list[Figure] = []
    for r in results:
        name = FIGURE_NAMES[r["layout"]]
        count = f"({r['subjects']:,} services)"
        out.append(within_ratio(f"{name} {count}", r["seconds"], r["reference_seconds"], "s", TARGET_RATIO))
        for label, key, unit in (
            ("µs per subject", "us_per_subject", "µs"),
            ("peak memory", "peak_mib", "MiB"),
            ("retained memory", "retained_mib", "MiB"),
        ):
            out.append(
                figure(
                    f"{name}, {label} {count}",
                    r[key],
                    unit,
                    kind="speed" if unit == "µs" else "memory",
                    target="",
                    met=None,
                    reference=r["reference_" + key],
                )
            )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--services", type=int, default=10_000, help="services to generate (10000)")
    parser.add_argument("--seed", type=int, default=20261126, help="random seed of the portfolio")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timing; the best is kept (3)")
    parser.add_argument("--keep", type=Path, help="generate the two repos into this directory and keep them")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of each layout's load")
    args = parser.parse_args(argv)
    base = args.keep or Path(tempfile.mkdtemp(prefix="decisionlang-bench-load-"))
    try:
        layouts = {"100 per file": base / "batched", "one per file": base / "per-service"}
        for path in layouts.values():
            if path.exists():
                shutil.rmtree(path)
        print(f"generating {args.services} services in two layouts under {base}", file=sys.stderr)
        generate_repo(layouts["100 per file"], args.services, args.seed)
        generate_repo(layouts["one per file"], args.services, args.seed, per_file=1)
        results = [measure_layout(name, root, args.services, args.repeat) for name, root in layouts.items()]
        print(f"state loading, {args.services} services (CPU, best of {args.repeat}):")
        print(report(results))
        if args.profile:
            for name, root in layouts.items():
                print(f"\nprofile, {name}:\n{profile(root)}")
        emit(figures(results))
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

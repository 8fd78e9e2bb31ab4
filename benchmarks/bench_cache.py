"""Cache benchmark: what the cache of checked policies and loaded states saves, cold against warm.

    .venv/bin/python benchmarks/bench_cache.py [--services N] [--seed S] [--runs R] [--keep DIR]

It generates N services with benchmarks/portfolio.py's generator (the same portfolio and policies), then
measures in one run, each in a fresh process:

- `decisionlang check DIR --format json` with `--no-cache` (the reference), with an empty cache
  (cold: loads, and writes the entries) and with the entries written (warm), the median of R runs
  each; the three outputs must be the same bytes (exit 1 otherwise);
- `load_project(DIR)` alone in-process: without the cache, cold and warm, to show the load's share;
- the entries' count and size.

The last line is the `RESULT` line of benchmarks/benchresult.py. The script reports; it does not
gate (exit 0), except when the outputs differ (exit 1). See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchresult import at_most, emit, figure
from portfolio import AS_OF, generate_repo

REPO = Path(__file__).resolve().parents[1]

_LOAD = """
import sys, time
from decisionlang.api import load_project
start = time.perf_counter()
project = load_project(sys.argv[1])
print(time.perf_counter() - start, len(project.portfolio.subjects))
"""


def _environment(cache: Path) -> dict[str, str]:
    environment = {**os.environ, "DECISIONLANG_CACHE_DIR": str(cache), "PYTHONPATH": str(REPO)}
    environment.pop("DECISIONLANG_NO_CACHE", None)
    return environment


def _check(root: Path, cache: Path, *extra: str) -> tuple[float, bytes]:
    command = [sys.executable, "-m", "decisionlang", "check", str(root), "--format", "json"]
    command += ["--as-of", AS_OF.isoformat(), *extra]
    start = time.perf_counter()
    run = subprocess.run(command, capture_output=True, env=_environment(cache), check=False)
    elapsed = time.perf_counter() - start
    if run.returncode not in (0, 1, 3):
        raise SystemExit(f"check failed ({run.returncode}): {run.stderr.decode()[-2000:]}")
    return elapsed, run.stdout


def _load(root: Path, cache: Path, *, cached: bool) -> float:
    environment = _environment(cache)
    if not cached:
        environment["DECISIONLANG_NO_CACHE"] = "1"
    run = subprocess.run(
        [sys.executable, "-c", _LOAD, str(root)], capture_output=True, env=environment, check=True
    )
    return float(run.stdout.split()[0])


def _entries(cache: Path) -> tuple[int, int]:
    found = list((cache / "entries").glob("*.entry"))
    return len(found), sum(path.stat().st_size for path in found)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--runs", type=int, default=3, help="runs of each timing (median)")
    parser.add_argument("--keep", type=Path, help="write the generated repo here and keep it")
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="decisionlang-bench-cache-") as scratch:
        root = options.keep or Path(scratch) / "repo"
        if not (root / "policies").is_dir():
            generate_repo(root, options.services, options.seed)
        caches = Path(scratch) / "caches"
        numbers = itertools.count(1)

        def fresh() -> Path:
            return caches / str(next(numbers))

        reference, cold, warm = [], [], []
        outputs: set[bytes] = set()
        for run in range(options.runs):
            cache = fresh()
            seconds, output = _check(root, cache, "--no-cache")
            reference.append(seconds)
            outputs.add(output)
            seconds, output = _check(root, cache)
            cold.append(seconds)
            outputs.add(output)
            seconds, output = _check(root, cache)
            warm.append(seconds)
            outputs.add(output)
            _progress(
                f"run {run + 1}: no cache {reference[-1]:.2f} s, cold {cold[-1]:.2f} s, warm {warm[-1]:.2f} s"
            )
        entries, size = _entries(cache)

        load_cache = fresh()
        load_none = statistics.median(_load(root, load_cache, cached=False) for _ in range(options.runs))
        load_cold = _load(root, load_cache, cached=True)
        load_warm = statistics.median(_load(root, load_cache, cached=True) for _ in range(options.runs))

    same = len(outputs) == 1
    no_cache, cold_check, warm_check = (statistics.median(times) for times in (reference, cold, warm))
    speedup = load_none / load_warm if load_warm else None
    rows = [
        ("check --format json, --no-cache (reference)", f"{no_cache:.2f} s"),
        ("check --format json, cold (empty cache)", f"{cold_check:.2f} s ({cold_check / no_cache:.2f}x)"),
        ("check --format json, warm", f"{warm_check:.2f} s ({warm_check / no_cache:.2f}x)"),
        ("load_project, no cache (reference)", f"{load_none:.2f} s"),
        ("load_project, cold", f"{load_cold:.2f} s"),
        ("load_project, warm", f"{load_warm:.3f} s ({speedup:.1f}x faster)" if speedup else "-"),
        ("entries", f"{entries}, {size / 1e6:.1f} MB"),
        ("outputs identical", "yes" if same else "NO"),
    ]
    print(
        f"cache benchmark: {options.services:,} services, median of {options.runs} runs, each a fresh process"
    )
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label.ljust(width)}  {value}")
    count = f"{options.services // 1000}k" if options.services % 1000 == 0 else str(options.services)
    emit(
        [
            figure(
                f"check json cold cache ({count})",
                cold_check,
                "s",
                kind="speed",
                target="",
                met=None,
                reference=no_cache,
            ),
            at_most(f"check json warm cache ({count})", warm_check, "s", 1.0, "speed", reference=no_cache),
            figure(
                f"load_project warm cache ({count})",
                load_warm,
                "s",
                kind="speed",
                target="",
                met=None,
                reference=load_none,
            ),
            figure(f"cache entries ({count})", size, "B", kind="size", target="", met=None),
        ]
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

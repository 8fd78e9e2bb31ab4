"""What the board report costs at portfolio scale: render time, file size, peak memory.

    .venv/bin/python benchmarks/bench_report.py [--services N] [--repeat R] [--keep FILE]

Generates the benchmark portfolio of `bench_evaluate.py` (N services, 10,000 by default, fixed
seed), loads it (without the cache: `bench_cache.py` measures that) and evaluates it with traces,
with the garbage collector tuned as `decisionlang report` tunes it, builds the board facts (the
trade-off zones evaluated by the engine) and renders the HTML report R times (1 by default).
Prints the median time of each step, the report's size in MB and in bytes per subject, and the
peak memory of one render (tracemalloc).

The reference, measured in the same run: writing the same report as JSON (`render_json`, what
`check --format json` writes), the plain serialisation of the same model. `render / reference` says
how far the HTML renderer is from it; `report / reference` does the same for the whole command
(load, evaluate, board facts, render).

Gate: the report may weigh at most 1,500 bytes per subject (15 MB at 10,000 subjects, issue 11);
over that, the script exits 1. Times are reported, never gated. The last line is
the RESULT line (benchmarks/README.md) with its figures, for `make bench`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_evaluate import generate_repo, progress
from benchresult import at_most, emit, figure

from decisionlang.api import evaluate_project, load_project
from decisionlang.cli.common import collector_tuned
from decisionlang.engine.board import board_facts
from decisionlang.render.html import render_html
from decisionlang.render.json import render_json

AS_OF = dt.date(2026, 11, 26)
SEED = 20261126
LIMIT_BYTES_PER_SUBJECT = 1_500  # 15 MB at 10,000 subjects
TARGET_SECONDS_10K = 10.0  # `report` at 10,000 subjects (reported, not gated)
T = TypeVar("T")


def median_time(action: Callable[[], T], repeat: int) -> tuple[float, T]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    assert result is not None
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=10_000, help="services to generate (10000)")
    parser.add_argument("--repeat", type=int, default=1, help="repetitions of each render (1)")
    parser.add_argument("--keep", type=Path, help="also write the HTML report to this file")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="decisionlang-bench-report-") as temporary:
        root = Path(temporary) / "repo"
        progress(f"generating {options.services} services")
        generate_repo(root, options.services, SEED)
        progress("loading and evaluating (traced)")
        os.environ["DECISIONLANG_NO_CACHE"] = "1"  # a cold load: bench_cache.py measures the cache
        tuned = collector_tuned()  # the collector as `decisionlang report` tunes it
        tuned.__enter__()
        start = time.perf_counter()
        project = load_project(root)
        load_time = time.perf_counter() - start
        start = time.perf_counter()
        report = evaluate_project(project, as_of=AS_OF)
        evaluate_time = time.perf_counter() - start
        gc.freeze()  # as `decisionlang report` does once the results are made
        progress("board facts and the HTML report")
        facts_time, facts = median_time(lambda: board_facts(project.program, report), options.repeat)
        render_time, text = median_time(
            lambda: render_html(report, project.portfolio, facts, title="bench"), options.repeat
        )
        progress("reference: the same report as JSON")
        json_time, json_text = median_time(lambda: render_json(report), options.repeat)
        progress("peak memory of one render")
        tracemalloc.start()
        render_html(report, project.portfolio, facts, title="bench")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        tuned.__exit__(None, None, None)
    if options.keep:
        options.keep.write_text(text, encoding="utf-8")
    size = len(text.encode("utf-8"))
    json_size = len(json_text.encode("utf-8"))
    count = len(report.subjects)
    limit = LIMIT_BYTES_PER_SUBJECT * count
    whole = load_time + evaluate_time + facts_time + render_time
    reference_whole = load_time + evaluate_time + json_time
    print(f"board report, {count} subjects (median of {options.repeat})")
    print(f"  load (parse, check, compile; read states)     {load_time:8.2f} s")
    print(f"  evaluate, traced                              {evaluate_time:8.2f} s")
    print(f"  board facts (zones evaluated by the engine)   {facts_time:8.2f} s")
    print(f"  render HTML                                   {render_time:8.2f} s")
    print(f"  reference: the same report as JSON            {json_time:8.2f} s")
    print(f"  render / reference                            {render_time / json_time:8.1f}x")
    print(f"  report end to end (load .. render)            {whole:8.2f} s")
    print(f"  reference end to end (load .. JSON)           {reference_whole:8.2f} s")
    print(f"  report / reference, end to end                {whole / reference_whole:8.2f}x")
    print(
        f"  size                                          {size / 1e6:8.2f} MB ({size / count:,.0f} B per"
        f" subject; limit {LIMIT_BYTES_PER_SUBJECT:,})"
    )
    print(f"  reference size (JSON)                         {json_size / 1e6:8.2f} MB")
    print(f"  peak memory of one render                     {peak / 2**20:8.1f} MiB")
    over = size > limit
    if over:
        print(
            f"  FAIL: {size / 1e6:.2f} MB is over {limit / 1e6:.2f} MB"
            f" ({LIMIT_BYTES_PER_SUBJECT} B per subject)"
        )
    scale = count / 10_000
    emit(
        [
            at_most(
                f"report end to end, load .. render ({count:,} subjects)",
                whole,
                "s",
                TARGET_SECONDS_10K * scale,
                "speed",
                reference=reference_whole,
            ),
            figure(
                f"render HTML ({count:,} subjects)",
                render_time,
                "s",
                kind="speed",
                target="",
                met=None,
                reference=json_time,
            ),
            figure(
                f"report size ({count:,} subjects)",
                size / 1e6,
                "MB",
                kind="size",
                target=f"<= {limit / 1e6:g} MB ({LIMIT_BYTES_PER_SUBJECT:,} B per subject)",
                met=not over,
                reference=json_size / 1e6,
            ),
            figure(
                f"report peak memory of one render ({count:,} subjects)",
                peak / 2**20,
                "MiB",
                kind="memory",
                target="",
                met=None,
            ),
        ]
    )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())

"""What the board report costs at portfolio scale: render time, file size, peak memory.

    .venv/bin/python benchmarks/bench_report.py [--services N] [--repeat R]

Generates the benchmark portfolio of `bench_evaluate.py` (N services, 1,000 by default, fixed
seed), evaluates it with traces, builds the board facts (the trade-off zones evaluated by the
engine) and renders the HTML report R times. Prints the median time of each step, the report's
size in MB and per subject, and the peak memory of the render (tracemalloc). As a reference in the
same run, the time `json.dumps` takes to write the same report's JSON data (one pass over the same
model with the C encoder): the ratio says how far the HTML renderer is from a plain serialisation.

The script reports; it does not gate (exit 0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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

from decisionlang.api import evaluate_project, load_project
from decisionlang.engine.board import board_facts
from decisionlang.render.html import render_html
from decisionlang.render.json import report_to_dict

AS_OF = dt.date(2026, 11, 26)
SEED = 20261126
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
    parser.add_argument("--services", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="decisionlang-bench-report-") as temporary:
        root = Path(temporary) / "repo"
        progress(f"generating {options.services} services")
        generate_repo(root, options.services, SEED)
        project = load_project(root)
        report = evaluate_project(project, as_of=AS_OF)
        facts_time, facts = median_time(lambda: board_facts(project.program, report), options.repeat)
        render_time, text = median_time(
            lambda: render_html(report, project.portfolio, facts, title="bench"), options.repeat
        )
        json_time, _ = median_time(
            lambda: json.dumps(report_to_dict(report), sort_keys=True, ensure_ascii=False), options.repeat
        )
        tracemalloc.start()
        render_html(report, project.portfolio, facts, title="bench")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    size = len(text.encode("utf-8"))
    count = len(report.subjects)
    print(f"board report, {count} subjects (median of {options.repeat})")
    print(f"  board facts (zones evaluated by the engine)  {facts_time * 1000:8.0f} ms")
    print(f"  render HTML                                   {render_time * 1000:8.0f} ms")
    print(f"  reference: the same report as JSON            {json_time * 1000:8.0f} ms")
    print(f"  render / reference                            {render_time / json_time:8.1f}x")
    per_subject = f"{size / count / 1000:.1f} KB per subject"
    print(f"  size                                          {size / 1e6:8.2f} MB ({per_subject})")
    print(f"  peak memory of one render                     {peak / 2**20:8.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

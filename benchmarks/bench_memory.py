"""Memory benchmark: peak RSS of `decisionlang check --format json` on a large portfolio.

    .venv/bin/python benchmarks/bench_memory.py [--services N] [--seed S] [--per-file K]
        [--repo DIR] [--keep DIR]

It generates N services (default 100,000; `benchmarks/portfolio.py`, the policies of
`benchmarks/policies/bench.policy`) into a temporary decision repo, or uses the repo at `--repo DIR`
(one generated before with `--keep DIR`), then runs, each in its own process, with the cache off
(`DECISIONLANG_NO_CACHE=1`, so that every run loads the same way):

- `decisionlang check DIR --format json --as-of 2026-11-26 -o OUT` (traced, the default): its peak
  RSS, and the bytes per subject of the report it writes;
- `decisionlang check DIR --format json --no-trace --as-of 2026-11-26 -o /dev/null`: its peak RSS;
- the reference: a plain Python process that reads the same state files with PyYAML's C loader
  (`yaml.load(..., CSafeLoader)`) and keeps them all: the memory of the inputs alone, parsed.

Peak RSS is the child's own `ru_maxrss` (`os.wait4`). The script asserts the targets of issue 11:
it exits 1 when the traced run peaks at 2 GiB or more, the `--no-trace` run at 1 GiB or more, or
the traced JSON exceeds 10,000 bytes per subject (2 when a command fails); it ends with a
`RESULT {json}` line (benchmarks/README.md). See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchresult import Figure, at_most, emit, figure
from portfolio import AS_OF, SERVICES_PER_FILE, generate_repo

REPO = Path(__file__).resolve().parents[1]
TRACED_LIMIT_MIB = 2048  # < 2 GiB
UNTRACED_LIMIT_MIB = 1024  # < 1 GiB
BYTES_PER_SUBJECT_LIMIT = 10_000  # <= 10 KB

READ_STATES = """
import sys
from pathlib import Path
import yaml
kept = [
    yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    for path in sorted(Path(sys.argv[1]).rglob("*.yaml"))
]
print(len(kept))
"""


def progress(message: str) -> None:
    print(f"[bench_memory] {message}", file=sys.stderr, flush=True)


def peak_rss(command: list[str], *, env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Run `command` (stdout discarded); its peak resident set size in MiB, wall seconds, exit code."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    kib = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss / 1024  # macOS: bytes
    return kib / 1024, seconds, process.returncode


def check_command(root: Path, output: str, *, trace: bool) -> list[str]:
    command = [sys.executable, "-m", "decisionlang", "check", str(root), "--format", "json"]
    command += ["--as-of", AS_OF.isoformat(), "-o", output]
    return command + ([] if trace else ["--no-trace"])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--per-file", type=int, default=SERVICES_PER_FILE)
    parser.add_argument("--repo", type=Path, help="use this generated repo instead of generating one")
    parser.add_argument("--keep", type=Path, help="write the generated repo here and keep it")
    arguments = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="decisionlang-bench-memory-"))
    try:
        if arguments.repo is not None:
            root = arguments.repo
            services = sum(1 for _ in (root / "services").rglob("*.yaml"))  # files, for the log only
            progress(f"using {root} ({services} state files)")
        else:
            root = arguments.keep or scratch / "repo"
            if root.exists():
                shutil.rmtree(root)
            progress(f"generating {arguments.services:,} services into {root}")
            generate_repo(root, arguments.services, arguments.seed, arguments.per_file)
        env = {**os.environ, "DECISIONLANG_NO_CACHE": "1", "PYTHONPATH": str(REPO)}
        report = scratch / "report.json"

        progress("reference: PyYAML's C loader reading every state file")
        reference, reference_seconds, code = peak_rss([sys.executable, "-c", READ_STATES, str(root)], env=env)
        if code != 0:
            progress(f"the reference failed (exit {code})")
            return 2
        progress(f"  {reference:,.0f} MiB in {reference_seconds:.1f} s")

        progress("check --format json (traced)")
        traced, traced_seconds, traced_code = peak_rss(check_command(root, str(report), trace=True), env=env)
        progress(f"  {traced:,.0f} MiB in {traced_seconds:.1f} s, exit {traced_code}")
        progress("check --format json --no-trace")
        untraced, untraced_seconds, untraced_code = peak_rss(
            check_command(root, os.devnull, trace=False), env=env
        )
        progress(f"  {untraced:,.0f} MiB in {untraced_seconds:.1f} s, exit {untraced_code}")
        if traced_code not in (0, 1) or untraced_code not in (0, 1) or not report.exists():
            progress("a check failed (exit 2 or more): its figures cannot be trusted")
            return 2
        subjects = _subjects(report)
        size = report.stat().st_size
        per_subject = size / subjects if subjects else None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    count = f"{subjects:,} services"
    figures: list[Figure] = [
        at_most(
            f"{count}, traced check --format json, peak RSS",
            traced,
            "MiB",
            TRACED_LIMIT_MIB,
            "memory",
            strict=True,
            reference=reference,
        ),
        at_most(
            f"{count}, check --no-trace, peak RSS",
            untraced,
            "MiB",
            UNTRACED_LIMIT_MIB,
            "memory",
            strict=True,
            reference=reference,
        ),
        at_most(
            f"traced JSON, bytes per subject ({count})",
            per_subject,
            "B/subject",
            BYTES_PER_SUBJECT_LIMIT,
            "size",
        ),
        figure(
            f"{count}, traced check --format json, wall time",
            traced_seconds,
            "s",
            kind="speed",
            target="",
            met=None,
        ),
        figure(
            f"{count}, check --no-trace, wall time", untraced_seconds, "s", kind="speed", target="", met=None
        ),
    ]
    print(f"decisionlang bench_memory: {count}, as of {AS_OF} (run {dt.date.today()})")
    print(f"  reference (PyYAML CSafeLoader, every state kept)  {reference:10,.0f} MiB")
    for item in figures:
        status = {True: "ok", False: "MISSED", None: ""}[item["met"]]
        ratio = f"  {item['ratio']:.2f}x reference" if item["ratio"] is not None else ""
        value = "n/a" if item["value"] is None else f"{item['value']:,.1f}"
        print(f"  {item['name']:<58} {value:>10} {item['unit']:<9} {item['target']:<16} {status}{ratio}")
    emit(figures)
    asserted = [item for item in figures if item["kind"] in ("memory", "size")]
    return 0 if all(item["met"] for item in asserted) else 1


def _subjects(report: Path) -> int:
    """The subjects of a report: its lines between `"services":[` and `]` (one subject per line)."""
    count = 0
    inside = False
    with report.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith('"services":['):
                inside = True
            elif inside and line.startswith("]"):
                break
            elif inside:
                count += 1
    return count


if __name__ == "__main__":
    sys.exit(main())

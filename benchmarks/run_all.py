"""`make bench`: every benchmark script in turn, then one summary table of the scale targets.

    .venv/bin/python benchmarks/run_all.py [--only NAME ...] [--skip NAME ...] [--json FILE]

Runs each script of SCRIPTS (its default sizes) as `python benchmarks/NAME.py`, printing its output
as it comes, and reads the `RESULT {json}` line it ends with (benchmarks/README.md, "The RESULT
line"). A script that does not exist yet is listed as "not run: missing" with the targets it is to
measure, and the run goes on. Then one table of every figure: value, same-run reference, ratio,
target, status.

Exit codes:
  0  every memory and size target measured is met (speed targets are reported, never asserted);
  1  a memory or size target is missed (the table marks it MISSED);
  2  no target missed, but a benchmark script failed (non-zero exit) or wrote a malformed RESULT
     line: its figures could not be trusted.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PREFIX = "RESULT "
KEYS = ("name", "value", "unit", "reference", "ratio", "target", "kind", "met")
KINDS = ("speed", "memory", "size")
ASSERTED = ("memory", "size")
FIGURE_WIDTH = 76  # longer figure names are cut in the table (--json keeps them whole)

# The scripts `make bench` runs, in order, with the targets each is to report (for a script that
# does not exist yet, the table lists these). A script of benchmarks/ not named here is listed
# as "not run" (run it with --only).
SCRIPTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "bench_evaluate": (
        ("evaluate 10,000 services, verdicts only", "ratio <= 3 (plain Python)", "speed"),
        ("evaluate 10,000 services, traced", "ratio <= 10 (plain Python)", "speed"),
        ("traced JSON report", "<= 10000 B/subject", "size"),
        ("check examples/quickstart", "<= 200 ms", "speed"),
    ),
    "bench_load": (
        ("load, 100 services per file", "ratio <= 1.5 (CSafeLoader)", "speed"),
        ("load, one file per service", "ratio <= 1.5 (CSafeLoader)", "speed"),
    ),
    "bench_scale": (
        ("10,000 services end to end, cold", "<= 3 s", "speed"),
        ("10,000 services end to end, warm", "<= 1 s", "speed"),
    ),
    "bench_cache": (("10,000 services, check --format json, warm cache", "<= 1 s", "speed"),),
    "bench_memory": (
        ("100,000 services, traced check --format json, peak RSS", "< 2048 MiB", "memory"),
        ("100,000 services, check --no-trace, peak RSS", "< 1024 MiB", "memory"),
    ),
    "bench_report": (
        ("report, 10,000 services", "<= 10 s", "speed"),
        ("report, 10,000 services", "<= 15 MB", "size"),
    ),
    "bench_jobs": (("check --jobs N", "", "speed"),),
    "bench_bounds": (),
    "bench_hostile_policies": (),
    "bench_lsp": (("analysis after a keystroke, 1,000 services", "", "speed"),),
    "bench_lint": (("lint rules, 1,000 services", "", "speed"),),
    "bench_to_go": (("check --to-go over check, 300 services", "", "speed"),),
    "bench_evidence_plan": (("check, 2,000 services with dated facts", "", "speed"),),
}
# Not in the default run: too slow for it (a 100,000-service portfolio); `--only` runs it.
SLOW = {"bench_named_subject": "builds a 100,000-service portfolio; run it with --only"}


@dataclass
class Outcome:
    script: str
    status: str  # "ok", "missing", "failed", "no RESULT line", "bad RESULT line", "skipped"
    seconds: float = 0.0
    code: int | None = None
    figures: list[dict[str, Any]] = field(default_factory=list)
    detail: str = ""
    commit: str = ""  # the repo's commit when the script started (merges may land during a run)


def parse_result(line: str) -> list[dict[str, Any]]:
    """The figures of a RESULT line; ValueError when it does not follow the format."""
    data = json.loads(line[len(PREFIX) :])
    if not isinstance(data, dict) or not isinstance(data.get("figures"), list):
        raise ValueError('expected {"figures": [...]}')
    figures: list[dict[str, Any]] = data["figures"]
    for item in figures:
        if not isinstance(item, dict):
            raise ValueError("a figure is not an object")
        missing = [key for key in KEYS if key not in item]
        if missing:
            raise ValueError(f"figure {item.get('name')!r} lacks {', '.join(missing)}")
        if item["kind"] not in KINDS:
            raise ValueError(f"figure {item['name']!r}: kind {item['kind']!r} is not one of {KINDS}")
        if item["met"] not in (True, False, None):
            raise ValueError(f"figure {item['name']!r}: met is {item['met']!r}")
    return figures


def commit() -> str:
    """The repo's current commit, short; empty when git cannot tell."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
        )
    except OSError:
        return ""
    return found.stdout.strip() if found.returncode == 0 else ""


def run_script(script: str, arguments: Sequence[str] = ()) -> Outcome:
    path = HERE / f"{script}.py"
    if not path.exists():
        return Outcome(script, "missing")
    at = commit()
    print(f"\n=== {script}.py {shlex.join(arguments)}".rstrip() + (f" (at {at})" if at else ""), flush=True)
    start = time.perf_counter()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # its output shows as it comes
    process = subprocess.Popen(
        [sys.executable, str(path), *arguments],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    assert process.stdout is not None
    result_line = None
    for line in process.stdout:
        if line.startswith(PREFIX):
            result_line = line.rstrip("\n")
        else:
            result_line = None if line.strip() else result_line  # RESULT must be the last line
            sys.stdout.write(line)
            sys.stdout.flush()
    code = process.wait()
    seconds = time.perf_counter() - start
    print(f"=== {script}.py: exit {code} in {seconds:.0f} s", flush=True)
    outcome = Outcome(script, "ok", seconds, code, commit=at)
    if result_line is None:
        outcome.status = "no RESULT line"
    else:
        try:
            outcome.figures = parse_result(result_line)
        except ValueError as error:  # json.JSONDecodeError is a ValueError
            outcome.status, outcome.detail = "bad RESULT line", str(error)
    gated = any(item["kind"] in ASSERTED and item["met"] is False for item in outcome.figures)
    if code != 0 and gated and outcome.status == "ok":
        outcome.detail = f"exit {code}: a memory or size target it asserts is missed"
    elif code != 0:
        outcome.status = "failed"
        outcome.detail = f"exit {code}" + (f"; {outcome.detail}" if outcome.detail else "")
    return outcome


# ---------------------------------------------------------------- the summary


def number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def status_of(item: dict[str, Any]) -> str:
    if item["met"] is None:
        return "n/a" if item["value"] is None else "—"
    if item["met"]:
        return "ok"
    return "MISSED" if item["kind"] in ASSERTED else "missed"


def summary_rows(outcomes: Sequence[Outcome]) -> list[list[str]]:
    rows = []
    for outcome in outcomes:
        if outcome.figures:
            for item in outcome.figures:
                value = f"{number(item['value'])} {item['unit']}"
                reference = f"{number(item['reference'])}" if item["reference"] is not None else "—"
                ratio = f"{item['ratio']:.2f}x" if isinstance(item["ratio"], int | float) else "—"
                target = item["target"] or "—"
                rows.append([outcome.script, item["name"], value, reference, ratio, target, item["kind"]])
                rows[-1].append(status_of(item))
            if outcome.status == "failed":
                partial = "(the script failed: its figures may be partial)"
                rows.append([outcome.script, partial, "", "", "", "", "", outcome.detail])
            continue
        label = {
            "missing": "not run: missing",
            "skipped": "not run: " + (outcome.detail or "skipped"),
            "no RESULT line": "ran; no RESULT line (its figures are above)",
        }.get(outcome.status, f"{outcome.status}: {outcome.detail}")
        expected = SCRIPTS.get(outcome.script, ())
        if not expected:
            rows.append([outcome.script, "", "", "", "", "", "", label])
        for name, target, kind in expected:
            rows.append([outcome.script, name, "", "", "", target or "—", kind, label])
    return rows


def format_table(rows: Sequence[Sequence[str]]) -> str:
    header = ["script", "figure", "value", "reference", "ratio", "target", "kind", "status"]
    widths = [max(len(str(row[column])) for row in [header, *rows]) for column in range(len(header))]
    widths[1] = min(widths[1], FIGURE_WIDTH)

    def line(row: Sequence[str]) -> str:
        cells = []
        for column, cell in enumerate(row):
            text = str(cell)
            if len(text) > widths[column]:
                text = text[: widths[column] - 1] + "…"
            if column in (2, 3, 4):
                cells.append(text.rjust(widths[column]))
            else:
                cells.append(text.ljust(widths[column]))
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def markdown_table(rows: Sequence[Sequence[str]]) -> str:
    """The summary as a Markdown table (for a changelog or a closing note)."""
    header = ["script", "figure", "value", "reference", "ratio", "target", "kind", "status"]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(str(cell).replace("|", "\\|") for cell in row) + " |"

    return "\n".join([line(header), "|" + " --- |" * len(header), *(line(row) for row in rows)]) + "\n"


def write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def load(average: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.1f}" for value in average)


def exit_code(outcomes: Sequence[Outcome]) -> int:
    missed = any(
        item["kind"] in ASSERTED and item["met"] is False for outcome in outcomes for item in outcome.figures
    )
    if missed:
        return 1
    if any(outcome.status in ("failed", "bad RESULT line") for outcome in outcomes):
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="Exit codes: 0 memory and size targets met; 1 one missed; 2 a benchmark failed.",
    )
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these scripts (bench_scale ...)")
    parser.add_argument("--skip", nargs="+", metavar="NAME", default=[], help="do not run these scripts")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every outcome here as JSON")
    parser.add_argument("--markdown", type=Path, metavar="FILE", help="also write the summary as Markdown")
    parser.add_argument(
        "--script-args",
        action="append",
        default=[],
        metavar="NAME=ARGS",
        help='arguments for one script instead of its defaults: "bench_scale=--services 2000 --runs 1"',
    )
    args = parser.parse_args(argv)
    script_args: dict[str, list[str]] = {}
    for item in args.script_args:
        name, _, rest = item.partition("=")
        script_args[name.removesuffix(".py")] = shlex.split(rest)
    strip = [name.removesuffix(".py") for name in args.only or []]
    skip = {name.removesuffix(".py") for name in args.skip}
    present = sorted(path.stem for path in HERE.glob("bench_*.py"))
    order = strip or [*SCRIPTS, *(name for name in present if name not in SCRIPTS)]

    started = time.perf_counter()
    load_before = os.getloadavg()
    first_commit = commit()
    outcomes = []
    for script in order:
        if script in skip:
            outcomes.append(Outcome(script, "skipped", detail="--skip"))
        elif not strip and script not in SCRIPTS:
            reason = SLOW.get(script, "not in the default list; run it with --only")
            outcomes.append(Outcome(script, "skipped", detail=reason))
        else:
            outcomes.append(run_script(script, script_args.get(script, ())))
    elapsed = time.perf_counter() - started

    code = exit_code(outcomes)
    print(f"\n=== summary: every figure of the scale targets ({elapsed / 60:.1f} min)")
    load_after = os.getloadavg()
    print(
        f"{os.cpu_count()} CPUs; load average {load(load_before)} at the start, {load(load_after)} at the end"
    )
    last_commit = commit()
    if first_commit != last_commit:
        print(f"the code changed during the run: {first_commit} at the start, {last_commit} at the end")
    elif first_commit:
        print(f"code at {first_commit}")
    rows = summary_rows(outcomes)
    print(format_table(rows))
    print(
        "\nstatus: ok / missed (speed: reported only) / MISSED (memory or size: fails `make bench`);"
        " n/a: not measured; —: reported, no target"
    )
    verdict = ("memory and size targets met", "a memory or size target is MISSED", "a benchmark failed")[code]
    print(f"make bench: {verdict} (exit {code})")
    if args.json:
        data = [outcome.__dict__ for outcome in outcomes]
        write_atomically(args.json, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    if args.markdown:
        write_atomically(args.markdown, markdown_table(rows))
    return code


if __name__ == "__main__":
    sys.exit(main())

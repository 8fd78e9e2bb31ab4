"""Evaluation benchmark: how fast decisionlang loads and decides a large generated portfolio.

    .venv/bin/python benchmarks/bench_evaluate.py [--services N] [--seed S] [--repeat R]
        [--load-repeat R] [--cli-runs R] [--keep DIR] [--profile]

It generates N services (deterministically, from the seed) into a temporary decision repo, with the
policy set of `benchmarks/policies/bench.policy`, then measures in one run:

- load: parse + check + compile the policies, read + validate the YAML states (`load_project`, without
  the cache: what a first run costs; `bench_cache.py` measures the cache);
- evaluation of every service with `trace=False` (verdicts only) and `trace=True` (full traces);
- a hand-written plain-Python reference (`reference_decide`) that makes the same decisions from the
  same `Subject.fields`; the run exits 1 if it disagrees with the engine on any service;
- the traced JSON report (`check --format json`): bytes per subject and render time, against the
  same data written with `indent=2` (the pure-Python encoder) for comparison;
- peak memory (tracemalloc) of load + evaluation;
- CLI latency on examples/quickstart (as the environment runs it, and with a warm bytecode cache),
  and for context the import time of `decisionlang.cli` and `decisionlang.api`.

Timings are the median of several repetitions. The script reports; it does not gate (exit 0),
except when the reference and the engine disagree (exit 1).
See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchresult import Figure, at_most, emit, figure, within_ratio
from portfolio import (  # re-exported: the other scripts import the portfolio from here
    AS_OF,
    POLICY_FILE,
    SERVICES_PER_FILE,
    generate_repo,
    generate_service,
    reference_decide,
    run_reference,
    service_names,
)

from decisionlang.api import Project, evaluate_project, load_project
from decisionlang.cli.common import collector_tuned
from decisionlang.core.model import Report
from decisionlang.core.subjects import Subject
from decisionlang.render.json import render_json

REPO = Path(__file__).resolve().parents[1]

# Targets (reported, never enforced here; `make bench` asserts only memory and size targets).
TARGET_SERVICES_PER_SECOND = 10_000  # 10,000 services in under 1 s, verdicts only
TARGET_REFERENCE_RATIO = 3.0  # engine (verdicts only) within 3x of the plain-Python reference
TARGET_TRACED_RATIO = 10.0  # engine (traced) within 10x of the plain-Python reference
TARGET_CLI_SECONDS = 0.200  # `decisionlang check examples/quickstart`, wall
TARGET_JSON_BYTES_PER_SUBJECT = 10_000  # traced JSON report, 10 KB per subject

T = TypeVar("T")

__all__ = [
    "AS_OF",
    "POLICY_FILE",
    "SERVICES_PER_FILE",
    "generate_repo",
    "generate_service",
    "progress",
    "reference_decide",
    "run_reference",
    "service_names",
]


def engine_decisions(report: Report) -> list[tuple[str, tuple[str, ...]]]:
    return [
        (result.verdict.value, tuple(warning.rule for warning in result.warnings))
        for result in report.subjects
    ]


# ---------------------------------------------------------------- measuring


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


def timed(label: str, action: Callable[[], T], repeat: int, *, collect: bool = True) -> tuple[float, T]:
    """Median wall time of `repeat` runs and the last result. The garbage collector runs as usual
    during each run (it is part of the real cost); with `collect=False` it is switched off."""
    times: list[float] = []
    result: Any = None
    for run in range(repeat):
        result = None
        gc.collect()
        if not collect:
            gc.disable()
        try:
            start = time.perf_counter()
            result = action()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
        progress(f"{label} {run + 1}/{repeat}: {times[-1]:.3f} s")
    return statistics.median(times), result


def command_latency(
    command: Sequence[str], runs: int, env: Mapping[str, str] | None = None
) -> tuple[float, int]:
    """Median wall time of a subprocess (after one warm-up run), and its exit code."""
    code = subprocess.run(command, cwd=REPO, capture_output=True, check=False, env=env).returncode
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        code = subprocess.run(command, cwd=REPO, capture_output=True, check=False, env=env).returncode
        times.append(time.perf_counter() - start)
    return statistics.median(times), code


def peak_memory(root: Path) -> dict[str, float]:
    """Traced allocations (MiB): peak of load, what the project keeps, and the peaks of load followed
    by an evaluation without and with traces (the report is kept until the peak is read)."""
    gc.collect()
    tracemalloc.start()
    try:
        project = load_project(root, cache=False)
        retained, load_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        report = evaluate_project(project, as_of=AS_OF, trace=False)
        verdicts_peak = tracemalloc.get_traced_memory()[1]
        del report
        gc.collect()
        tracemalloc.reset_peak()
        report = evaluate_project(project, as_of=AS_OF, trace=True)
        traced_peak = tracemalloc.get_traced_memory()[1]
        del report
    finally:
        tracemalloc.stop()
    mib = 1024 * 1024
    return {
        "retained": retained / mib,
        "load": load_peak / mib,
        "verdicts": max(load_peak, verdicts_peak) / mib,
        "traced": max(load_peak, traced_peak) / mib,
    }


Decisions = list[tuple[str, tuple[str, ...]]]


def measure_evaluation(
    project: Project, repeat: int, profile: bool
) -> tuple[dict[str, float], Decisions, list[str], int, str]:
    """Times (median seconds) of the engine and the reference, the engine's decisions, where the
    reference (or the traced run) disagrees, how many subjects lack information, and a profile."""
    subjects = project.portfolio.subjects
    times: dict[str, float] = {}

    # Timed as `decisionlang check` runs it: the CLI tunes the collector around its evaluation
    # (the library leaves process-wide state alone).
    def verdicts_only() -> Report:
        with collector_tuned():
            return evaluate_project(project, as_of=AS_OF, trace=False)

    def traced() -> Report:
        with collector_tuned():
            return evaluate_project(project, as_of=AS_OF, trace=True)

    def reference() -> Decisions:
        return run_reference(project.portfolio, AS_OF)

    times["verdicts"], plain_report = timed("evaluate, verdicts only", verdicts_only, repeat)
    times["traced"], traced_report = timed("evaluate, with traces", traced, repeat)

    def json_report(report: Report = traced_report) -> str:
        return render_json(report)

    def json_indented(report: Report = traced_report) -> str:
        return indented_json(report)

    times["json"], text = timed("render the traced JSON report", json_report, repeat)
    times["json-indent"], indented = timed("the same data with indent=2", json_indented, repeat)
    times["json-bytes"], times["json-indent-bytes"] = len(text.encode()), len(indented.encode())
    del text, indented
    times["reference"], decisions = timed("reference", reference, repeat)
    engine = engine_decisions(plain_report)
    disagreements = _disagreements(subjects, engine, decisions)
    disagreements += _disagreements(subjects, engine, engine_decisions(traced_report))
    unknown = sum(1 for result in plain_report.subjects if result.missing)
    del plain_report, traced_report, decisions
    times["verdicts-nogc"], _ = timed("evaluate, verdicts only, GC off", verdicts_only, repeat, collect=False)
    times["reference-nogc"], _ = timed("reference, GC off", reference, repeat, collect=False)
    return times, engine, disagreements, unknown, profile_evaluation(project, False, 30) if profile else ""


def indented_json(report: Report) -> str:
    """The report's data as `json.dumps(indent=2)` writes it: the pure-Python encoder, for comparison."""
    return json.dumps(report.to_dict(), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def profile_evaluation(project: Project, trace: bool, top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    evaluate_project(project, as_of=AS_OF, trace=trace)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats(pstats.SortKey.TIME).print_stats(top)
    return out.getvalue()


def cli_command() -> list[str]:
    script = Path(sys.executable).with_name("decisionlang")
    if not script.exists():
        script = REPO / ".venv" / "bin" / "decisionlang"
    prefix = [str(script)] if script.exists() else [sys.executable, "-m", "decisionlang.cli"]
    return [*prefix, "check", "examples/quickstart", "--as-of", AS_OF.isoformat()]


def bytecode_env(cache: Path) -> dict[str, str]:
    """The environment with a warm bytecode cache kept outside the repo (as after `pip install`)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


# ---------------------------------------------------------------- report


def _row(label: str, value: str, target: str = "", status: str = "") -> str:
    return f"  {label:<48} {value:>14}   {target:<20} {status}".rstrip()


def _status(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def _disagreements(
    subjects: Sequence[Subject],
    engine: Sequence[tuple[str, tuple[str, ...]]],
    reference: Sequence[tuple[str, tuple[str, ...]]],
) -> list[str]:
    return [
        f"  {subject.name} ({subject.file}): engine {mine}, reference {theirs}"
        for subject, mine, theirs in zip(subjects, engine, reference, strict=True)
        if mine != theirs
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--services", type=int, default=10_000, help="services to generate (10000)")
    parser.add_argument("--seed", type=int, default=20261126, help="random seed of the portfolio")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of each evaluation timing (5)")
    parser.add_argument("--load-repeat", type=int, default=3, help="repetitions of the load timing (3)")
    parser.add_argument("--cli-runs", type=int, default=10, help="runs of each CLI command (10)")
    parser.add_argument("--keep", type=Path, help="generate the repo into this directory and keep it")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of evaluation")
    args = parser.parse_args(argv)
    count, repeat, load_repeat = max(1, args.services), max(1, args.repeat), max(1, args.load_repeat)

    with tempfile.TemporaryDirectory(prefix="decisionlang-bench-") as scratch:
        work = Path(scratch)
        root = args.keep.resolve() if args.keep else work / "repo"
        if root.exists():
            shutil.rmtree(root)
        start = time.perf_counter()
        files = generate_repo(root, count, args.seed)
        generated = time.perf_counter() - start
        size = sum(path.stat().st_size for path in (root / "services").iterdir())
        policies_only = work / "policies-only"
        (policies_only / "policies").mkdir(parents=True)
        shutil.copyfile(POLICY_FILE, policies_only / "policies" / POLICY_FILE.name)
        print(f"decisionlang evaluation benchmark — Python {sys.version.split()[0]}, as of {AS_OF}")
        print(
            f"generated {count} services in {files} state files ({size / 1e6:.1f} MB, seed {args.seed}) "
            f"in {generated:.2f} s; policies: {POLICY_FILE.relative_to(REPO)}"
        )

        # -- load
        load_time, project = timed("load", lambda: load_project(root, cache=False), load_repeat)
        if project.errors:
            for diagnostic in project.errors[:20]:
                print(f"  {diagnostic}", file=sys.stderr)
            raise SystemExit("the generated repo does not load cleanly: the benchmark itself is broken")
        policy_time, _ = timed("load policies only", lambda: load_project(policies_only, cache=False), repeat)
        subjects = project.portfolio.subjects
        rule_count = sum(len(policy.rules) for policy in project.policies)
        print(
            f"loaded {len(subjects)} subjects, {len(project.policies)} policies, {rule_count} rules "
            f"(+ otherwise clauses), {len(project.diagnostics)} load diagnostics; "
            f"median of {repeat} runs ({load_repeat} for load)\n"
        )

        # -- evaluation and the reference
        times, engine, disagreements, unknown_subjects, profile = measure_evaluation(
            project, repeat, args.profile
        )
        verdict_time, traced_time, reference_time = times["verdicts"], times["traced"], times["reference"]
        verdict_nogc, reference_nogc = times["verdicts-nogc"], times["reference-nogc"]
        tally = Counter(verdict for verdict, _ in engine)
        warning_count = sum(len(warnings) for _, warnings in engine)
        digest = hashlib.sha256(repr(engine).encode()).hexdigest()[:16]
        del project

        # -- memory, then the CLI
        progress("peak memory (tracemalloc: load and evaluate again, slower)")
        memory = peak_memory(root)
        progress("CLI latency")
        cli_time, cli_code = command_latency(cli_command(), args.cli_runs)
        cached_env = bytecode_env(work / "pycache")
        cli_cached, _ = command_latency(cli_command(), args.cli_runs, cached_env)
        import_time, _ = command_latency([sys.executable, "-c", "import decisionlang.cli"], args.cli_runs)
        api_time, _ = command_latency([sys.executable, "-c", "import decisionlang.api"], args.cli_runs)
        python_time, _ = command_latency([sys.executable, "-c", "pass"], args.cli_runs)

    verdict_rate = count / verdict_time
    ratio = verdict_time / reference_time
    target_time = count / TARGET_SERVICES_PER_SECOND
    no_bytecode = os.environ.get("PYTHONDONTWRITEBYTECODE")
    rows = [
        _row("figure", "measured", "target", "status"),
        "  " + "-" * 96,
        _row("load: parse+check+compile policies, read+validate YAML", ""),
        _row("  total", f"{load_time:.3f} s"),
        _row("  of which policies (parse, check, compile)", f"{policy_time * 1000:.1f} ms"),
        _row("  of which states, per service", f"{(load_time - policy_time) / count * 1e6:.0f} µs"),
        _row("evaluate all services, verdicts only (trace=False)", ""),
        _row(
            "  seconds",
            f"{verdict_time:.3f} s",
            f"< {target_time:g} s",
            _status(verdict_time < target_time),
        ),
        _row("  services/second", f"{verdict_rate:,.0f}", f">= {TARGET_SERVICES_PER_SECOND:,}"),
        _row("  seconds with the garbage collector off", f"{verdict_nogc:.3f} s"),
        _row("evaluate all services, with traces (trace=True)", ""),
        _row("  seconds", f"{traced_time:.3f} s"),
        _row("  services/second", f"{count / traced_time:,.0f}"),
        _row("  cost of tracing (traced / verdicts only)", f"{traced_time / verdict_time:.2f}x"),
        _row("traced JSON report (check --format json)", ""),
        _row(
            "  bytes per subject",
            f"{times['json-bytes'] / count:,.0f} B",
            f"<= {TARGET_JSON_BYTES_PER_SUBJECT:,} B",
            _status(times["json-bytes"] / count <= TARGET_JSON_BYTES_PER_SUBJECT),
        ),
        _row("  render seconds (C encoder, one subject per line)", f"{times['json']:.3f} s"),
        _row(
            "  the same data with indent=2: bytes per subject", f"{times['json-indent-bytes'] / count:,.0f} B"
        ),
        _row("  the same data with indent=2: render seconds", f"{times['json-indent']:.3f} s"),
        _row("plain-Python reference, same decisions", ""),
        _row("  seconds", f"{reference_time:.3f} s"),
        _row("  services/second", f"{count / reference_time:,.0f}"),
        _row("  seconds with the garbage collector off", f"{reference_nogc:.3f} s"),
        _row(
            "  engine (verdicts only) / reference",
            f"{ratio:.1f}x",
            f"<= {TARGET_REFERENCE_RATIO:g}x",
            _status(ratio <= TARGET_REFERENCE_RATIO),
        ),
        _row("  the same, garbage collector off", f"{verdict_nogc / reference_nogc:.1f}x"),
        _row(
            "  engine (traced) / reference",
            f"{traced_time / reference_time:.1f}x",
            f"<= {TARGET_TRACED_RATIO:g}x",
            _status(traced_time / reference_time <= TARGET_TRACED_RATIO),
        ),
        _row("peak memory (tracemalloc)", ""),
        _row("  load", f"{memory['load']:.1f} MiB"),
        _row("  kept by the loaded project", f"{memory['retained']:.1f} MiB"),
        _row("  load + evaluate, verdicts only", f"{memory['verdicts']:.1f} MiB"),
        _row("  load + evaluate, with traces", f"{memory['traced']:.1f} MiB"),
        _row("CLI: decisionlang check examples/quickstart", ""),
        _row(
            "  as this environment runs it" + (" (no .pyc)" if no_bytecode else ""),
            f"{cli_time * 1000:.0f} ms",
            f"<= {TARGET_CLI_SECONDS * 1000:g} ms",
            _status(cli_time <= TARGET_CLI_SECONDS),
        ),
        _row(
            "  with a warm bytecode cache",
            f"{cli_cached * 1000:.0f} ms",
            f"<= {TARGET_CLI_SECONDS * 1000:g} ms",
            _status(cli_cached <= TARGET_CLI_SECONDS),
        ),
        _row("  python -c 'import decisionlang.cli'", f"{import_time * 1000:.0f} ms"),
        _row("  python -c 'import decisionlang.api'", f"{api_time * 1000:.0f} ms"),
        _row("  python -c 'pass' (interpreter start)", f"{python_time * 1000:.0f} ms"),
    ]
    print("\n".join(rows))
    print()
    print(
        f"verdicts: {tally['go']} GO, {tally['not-yet']} NOT YET, {tally['no-go']} NO-GO; "
        f"{warning_count} warnings; {unknown_subjects} subjects lack information a verdict needed"
    )
    print(f"verdict digest {digest}; CLI exit code {cli_code} (1: the quickstart has a NO-GO)")
    if profile:
        print("\ncProfile of one evaluation, verdicts only (trace=False):")
        print(profile)
    if disagreements:
        emit(result_figures(count, load_time, times, memory, (cli_time, cli_cached, python_time)))
        print(f"\nthe reference disagrees with the engine on {len(disagreements)} services:", file=sys.stderr)
        print("\n".join(disagreements[:20]), file=sys.stderr)
        return 1
    print(f"the reference agrees with the engine on all {count} services (verdicts and warnings)")
    emit(result_figures(count, load_time, times, memory, (cli_time, cli_cached, python_time)))
    return 0


def result_figures(
    count: int,
    load_time: float,
    times: Mapping[str, float],
    memory: Mapping[str, float],
    cli: tuple[float, float, float],
) -> list[Figure]:
    """The figures of the RESULT line (benchmarks/README.md) that `make bench` summarises."""
    cli_time, cli_cached, python_time = cli
    size = f"{count:,} services"
    reference = times["reference"]
    return [
        within_ratio(
            f"evaluate, verdicts only ({size})", times["verdicts"], reference, "s", TARGET_REFERENCE_RATIO
        ),
        within_ratio(f"evaluate, traced ({size})", times["traced"], reference, "s", TARGET_TRACED_RATIO),
        at_most(
            f"traced JSON report ({size})",
            times["json-bytes"] / count,
            "B/subject",
            TARGET_JSON_BYTES_PER_SUBJECT,
            "size",
        ),
        at_most(
            "check examples/quickstart, warm bytecode cache",
            cli_cached * 1000,
            "ms",
            TARGET_CLI_SECONDS * 1000,
            "speed",
            reference=python_time * 1000,
        ),
        figure(
            "check examples/quickstart, as the environment runs it",
            cli_time * 1000,
            "ms",
            kind="speed",
            target="",
            met=None,
            reference=python_time * 1000,
        ),
        figure(f"load_project ({size})", load_time, "s", kind="speed", target="", met=None),
        figure(
            f"tracemalloc peak, load + traced evaluation ({size})",
            memory["traced"],
            "MiB",
            kind="memory",
            target="",
            met=None,
        ),
    ]


if __name__ == "__main__":
    sys.exit(main())

"""End-to-end benchmark: `decisionlang check DIR --format json` on a generated portfolio, as a user runs it.

    .venv/bin/python benchmarks/bench_scale.py [--services N] [--runs R] [--seed S]
        [--layout batch|single|both] [--keep DIR]

Generates N services (10,000 by default; `portfolio.generate_repo`, the portfolio of
bench_evaluate.py) in both layouts, 100 services per file and one file per service, then times
as subprocesses, R runs each (3), median wall time and peak RSS of each command:

- `decisionlang check DIR --format json --as-of 2026-11-26 -o OUT`, traced (the default) and with
  `--no-trace`, each **cold** (a fresh, empty cache directory: `DECISIONLANG_CACHE_DIR` and
  `XDG_CACHE_HOME` point into a new temporary directory) and then **warm** (the same command again
  with the cache the cold run left). Without a cache in the build, the warm run is simply a
  second run, and the script says "cache: not available";
- the same-run reference, `plain_reference.py`: PyYAML's C loader reads the same files, the
  hand-written decisions of `portfolio.reference_decide` decide, and a JSON of the verdicts is
  written. Each repetition runs the reference, then cold and warm of each mode, so that a busy
  machine slows them alike.

Both run with a warm bytecode cache (`PYTHONPYCACHEPREFIX` in a temporary directory, filled by
one untimed run first), as after a normal `pip install`. The JSON report's verdicts and warnings
are checked against the reference's for every service; the run exits 1 if they disagree (the
comparison would be dishonest), 2 if a command fails, else 0 whatever the figures: targets are
reported (the RESULT line), `make bench` decides. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchresult import Figure, at_most, emit, figure
from portfolio import AS_OF, generate_repo

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SEED = 20261126
TARGET_COLD_SECONDS = 3.0  # 10,000 services end to end, first run
TARGET_WARM_SECONDS = 1.0  # the same again, with the cache of the first run
TARGET_JSON_BYTES_PER_SUBJECT = 10_000  # traced JSON report
TARGET_SERVICES = 10_000  # the targets are for this size; they scale with N
LAYOUTS = {"batch": (100, "100 per file"), "single": (1, "one file each")}
MODES = {"traced": [], "no-trace": ["--no-trace"]}
OK_EXIT_CODES = (0, 1, 3)  # GO, NO-GO, NOT YET (docs/cli.md); 2 is an error


@dataclass(frozen=True)
class Run:
    seconds: float  # wall
    cpu: float  # user + system of the process and its children
    peak_mib: float  # peak resident set size
    code: int
    stderr: str


def run(command: Sequence[str], env: Mapping[str, str]) -> Run:
    """Run a command; its wall time, CPU time and peak RSS from wait4 (this command alone)."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        text = errors.read().decode("utf-8", "replace")
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, cpu, usage.ru_maxrss / 1024, process.returncode, text[-3000:])


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


def cli_prefix() -> list[str]:
    script = Path(sys.executable).with_name("decisionlang")
    return [str(script)] if script.exists() else [sys.executable, "-m", "decisionlang"]


def environment(pycache: Path, cache: Path | None) -> dict[str, str]:
    """This environment with a warm bytecode cache, and the engine's cache in `cache`."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    if cache is not None:
        env["DECISIONLANG_CACHE_DIR"] = str(cache / "decisionlang")
        env["XDG_CACHE_HOME"] = str(cache / "xdg")
    return env


def has_cache_files(directory: Path) -> bool:
    """Files in the cache directory besides the grammar's parser cache (`parser-*.lark`)."""
    if not directory.exists():
        return False
    return any(path.is_file() and not path.name.endswith(".lark") for path in directory.rglob("*"))


def decisions(path: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each service's verdict and warning rule ids, from a JSON report (or the reference's).

    The report writes each subject on a line of its own, so it is read a line at a time (the
    whole traced report as Python objects would take a gigabyte at 10,000 subjects); a report
    written otherwise is read whole."""
    result: dict[str, tuple[str, tuple[str, ...]]] = {}
    with path.open(encoding="utf-8") as stream:
        for line in stream:
            text = line.strip().rstrip(",")
            if text.startswith("{") and text.endswith("}") and '"verdict"' in text:
                try:
                    item = json.loads(text)
                except ValueError:
                    continue
                if isinstance(item, dict) and ("service" in item or "name" in item):
                    _add_decision(result, item)
    if not result:
        data = json.loads(path.read_text(encoding="utf-8"))
        for item in data.get("services", data.get("subjects", [])):
            _add_decision(result, item)
    return result


def _add_decision(result: dict[str, tuple[str, tuple[str, ...]]], item: Mapping[str, Any]) -> None:
    name = item.get("service", item.get("name"))
    warnings = tuple(w["rule"] if isinstance(w, dict) else w for w in item.get("warnings", ()))
    result[str(name)] = (str(item["verdict"]), warnings)


def disagreements(engine: Mapping[str, Any], reference: Mapping[str, Any]) -> list[str]:
    names = sorted(set(engine) | set(reference))
    return [
        f"  {name}: engine {engine.get(name)}, reference {reference.get(name)}"
        for name in names
        if engine.get(name) != reference.get(name)
    ]


@dataclass
class LayoutResult:
    label: str
    files: int
    megabytes: float
    runs: dict[str, list[Run]]  # "reference", "traced cold", "traced warm", "no-trace cold", ...
    json_bytes: int | None
    problems: list[str]
    failure: str | None

    def median(self, key: str) -> Run | None:
        runs = self.runs.get(key)
        if not runs:
            return None
        return Run(
            statistics.median(r.seconds for r in runs),
            statistics.median(r.cpu for r in runs),
            statistics.median(r.peak_mib for r in runs),
            runs[-1].code,
            "",
        )


@dataclass
class CacheState:
    """Whether the build has the cache of parsed sources and compiled policies: `check --help`
    offers `--no-cache`, and the first cold run left files in the empty cache directory (other
    than the grammar's parser cache, which every build writes there). `None` until that run."""

    flag: bool
    available: bool | None = None


def measure_layout(
    layout: str,
    root: Path,
    work: Path,
    count: int,
    runs: int,
    modes: Mapping[str, list[str]],
    cache: CacheState,
) -> LayoutResult:
    per_file, label = LAYOUTS[layout]
    files = generate_repo(root, count, SEED, per_file=per_file)
    size = sum(path.stat().st_size for path in (root / "services").iterdir()) / 1e6
    progress(f"{layout}: {count} services in {files} files ({size:.1f} MB)")
    pycache = work / "pycache"
    result = LayoutResult(label, files, size, {}, None, [], None)
    reference_out = work / f"reference-{layout}.json"
    reference = [sys.executable, str(HERE / "plain_reference.py"), str(root)]
    reference += ["-o", str(reference_out), "--as-of", AS_OF.isoformat()]
    checked: set[str] = set()
    for repetition in range(runs):
        measured = run(reference, environment(pycache, None))
        if measured.code != 0:
            result.failure = f"the plain reference failed (exit {measured.code}):\n{measured.stderr}"
            return result
        result.runs.setdefault("reference", []).append(measured)
        progress(f"{layout} {repetition + 1}/{runs} reference: {measured.seconds:.2f} s")
        for mode, flags in modes.items():
            out = work / f"report-{layout}-{mode}.json"
            cache_dir = work / f"cache-{layout}-{mode}-{repetition}"
            command = [*cli_prefix(), "check", str(root), "--format", "json"]
            command += ["--as-of", AS_OF.isoformat(), "-o", str(out), *flags]
            cache_dir.mkdir()
            env = environment(pycache, cache_dir)
            for temperature in ("cold", "warm"):
                measured = run(command, env)
                if measured.code not in OK_EXIT_CODES:
                    result.failure = f"{' '.join(command)} exited {measured.code}:\n{measured.stderr}"
                    return result
                result.runs.setdefault(f"{mode} {temperature}", []).append(measured)
                progress(f"{layout} {repetition + 1}/{runs} {mode} {temperature}: {measured.seconds:.2f} s")
                if temperature == "cold" and cache.available is None:
                    cache.available = cache.flag and has_cache_files(cache_dir)
            shutil.rmtree(cache_dir, ignore_errors=True)
            if mode not in checked:
                checked.add(mode)
                found = disagreements(decisions(out), decisions(reference_out))
                result.problems += [f"{mode}: {line}" for line in found]
                if mode == "traced":
                    result.json_bytes = out.stat().st_size
    return result


def warmup(work: Path) -> None:
    """One untimed run on examples/quickstart fills the bytecode cache of the modules check uses."""
    out = work / "warmup.json"
    command = [*cli_prefix(), "check", "examples/quickstart", "--format", "json", "-o", str(out)]
    run(command, environment(work / "pycache", work / "cache-warmup"))
    reference = [sys.executable, "-c", "import yaml, json"]
    run(reference, environment(work / "pycache", None))


# ---------------------------------------------------------------- report


def table(results: Mapping[str, LayoutResult], count: int) -> list[str]:
    lines = []
    for result in results.values():
        lines.append(f"layout: services {result.label} ({result.files} files, {result.megabytes:.1f} MB)")
        if result.failure:
            lines.append(f"  FAILED: {result.failure}")
            continue
        reference = result.median("reference")
        assert reference is not None
        lines.append(f"  {'command':<44} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9} {'/ ref':>7}  target")
        for key in ("reference", "traced cold", "traced warm", "no-trace cold", "no-trace warm"):
            measured = result.median(key)
            if measured is None:
                continue
            ratio = f"{measured.seconds / reference.seconds:.1f}x" if key != "reference" else ""
            target = ""
            if key == "traced cold":
                limit = TARGET_COLD_SECONDS * count / TARGET_SERVICES
                target = f"<= {limit:g} s " + _status(measured.seconds <= limit)
            elif key == "traced warm":
                limit = TARGET_WARM_SECONDS * count / TARGET_SERVICES
                target = f"<= {limit:g} s " + _status(measured.seconds <= limit)
            name = "plain reference (CSafeLoader, Python, JSON)" if key == "reference" else f"check, {key}"
            lines.append(
                f"  {name:<44} {measured.seconds:>8.2f} {measured.cpu:>8.2f} {measured.peak_mib:>9.0f}"
                f" {ratio:>7}  {target}".rstrip()
            )
        if result.json_bytes is not None:
            per_subject = result.json_bytes / count
            status = _status(per_subject <= TARGET_JSON_BYTES_PER_SUBJECT)
            lines.append(
                f"  traced JSON report: {result.json_bytes / 1e6:.1f} MB, {per_subject:,.0f} B per subject"
                f"  (<= {TARGET_JSON_BYTES_PER_SUBJECT:,} B {status})"
            )
        if result.problems:
            lines.append(f"  the reference disagrees with the report on {len(result.problems)} services")
        else:
            lines.append(f"  the reports agree with the reference on all {count} services")
    return lines


def _status(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def result_figures(results: Mapping[str, LayoutResult], count: int, cache: CacheState) -> list[Figure]:
    figures: list[Figure] = []
    size = f"{count:,} services"
    no_cache = "" if cache.available else " [no cache]"
    for result in results.values():
        where = f"{size}, {result.label}"
        reference = result.median("reference")
        traced_cold, traced_warm = result.median("traced cold"), result.median("traced warm")
        plain_cold, plain_warm = result.median("no-trace cold"), result.median("no-trace warm")
        ref_seconds = reference.seconds if reference else None
        ref_peak = reference.peak_mib if reference else None
        cold_limit = TARGET_COLD_SECONDS * count / TARGET_SERVICES
        warm_limit = TARGET_WARM_SECONDS * count / TARGET_SERVICES
        figures += [
            at_most(
                f"end to end, traced, cold ({where})",
                traced_cold.seconds if traced_cold else None,
                "s",
                cold_limit,
                "speed",
                reference=ref_seconds,
            ),
            at_most(
                f"end to end, traced, warm ({where}){no_cache}",
                traced_warm.seconds if traced_warm else None,
                "s",
                warm_limit,
                "speed",
                reference=ref_seconds,
            ),
        ]
        for name, measured in (("cold", plain_cold), ("warm", plain_warm)):
            if measured is not None:
                figures.append(
                    figure(
                        f"end to end, --no-trace, {name} ({where}){no_cache if name == 'warm' else ''}",
                        measured.seconds,
                        "s",
                        kind="speed",
                        target="",
                        met=None,
                        reference=ref_seconds,
                    )
                )
        for name, measured in (("cold", traced_cold), ("warm", traced_warm)):
            if measured is not None:
                figures.append(
                    figure(
                        f"CPU time, traced, {name} ({where}){no_cache if name == 'warm' else ''}",
                        measured.cpu,
                        "s",
                        kind="speed",
                        target="",
                        met=None,
                        reference=reference.cpu if reference else None,
                    )
                )
        for name, measured in (("traced", traced_cold), ("--no-trace", plain_cold)):
            if measured is not None:
                figures.append(
                    figure(
                        f"peak RSS, {name}, cold ({where})",
                        measured.peak_mib,
                        "MiB",
                        kind="memory",
                        target="",
                        met=None,
                        reference=ref_peak,
                    )
                )
        figures.append(
            at_most(
                f"traced JSON report, check -o ({where})",
                result.json_bytes / count if result.json_bytes is not None else None,
                "B/subject",
                TARGET_JSON_BYTES_PER_SUBJECT,
                "size",
            )
        )
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="See benchmarks/README.md for what each figure means.",
    )
    parser.add_argument("--services", type=int, default=TARGET_SERVICES, help="services (10000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command; the median is kept (3)")
    parser.add_argument("--layout", choices=("batch", "single", "both"), default="both")
    parser.add_argument("--keep", type=Path, help="generate the repos under this directory and keep them")
    args = parser.parse_args(argv)
    count, runs = max(1, args.services), max(1, args.runs)
    layouts = ("batch", "single") if args.layout == "both" else (args.layout,)

    help_text = subprocess.run(
        [*cli_prefix(), "check", "--help"], capture_output=True, text=True, check=False, cwd=REPO
    ).stdout
    modes = {mode: flags for mode, flags in MODES.items() if all(flag in help_text for flag in flags)}
    cache = CacheState(flag="--no-cache" in help_text)
    load_before = os.getloadavg()
    results: dict[str, LayoutResult] = {}
    with tempfile.TemporaryDirectory(prefix="decisionlang-bench-scale-") as scratch:
        work = Path(scratch)
        repos = args.keep.resolve() if args.keep else work
        warmup(work)
        for layout in layouts:
            root = repos / f"repo-{layout}"
            if root.exists():
                shutil.rmtree(root)
            results[layout] = measure_layout(layout, root, work, count, runs, modes, cache)

    print(f"decisionlang end-to-end benchmark — Python {sys.version.split()[0]}, as of {AS_OF}")
    print(
        f"{count:,} services (seed {SEED}); `decisionlang check DIR --format json -o OUT`, "
        f"median of {runs} runs, warm bytecode cache; cold: an empty cache directory"
    )
    after = os.getloadavg()
    print(
        f"{os.cpu_count()} CPUs; load average {load_before[0]:.1f} at the start, {after[0]:.1f} at the end "
        "(above the CPU count, wall times are inflated: compare CPU times)"
    )
    if cache.available:
        print("cache: available (the cold run filled DECISIONLANG_CACHE_DIR; warm runs read it)")
    else:
        print("cache: not available in this build (a warm run is a second identical run)")
    missing = [flags[0] for mode, flags in MODES.items() if mode not in modes]
    if missing:
        print(f"not measured: {', '.join(missing)} (not in `check --help` of this build)")
    print()
    print("\n".join(table(results, count)))
    problems = [line for result in results.values() for line in result.problems]
    failed = [result.failure for result in results.values() if result.failure]
    emit(result_figures(results, count, cache))
    if problems:
        print(f"the reference disagrees with the report on {len(problems)} services:", file=sys.stderr)
        print("\n".join(problems[:20]), file=sys.stderr)
        return 1
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

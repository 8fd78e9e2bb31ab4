"""Evaluation benchmark: how fast decisionlang loads and decides a large generated portfolio.

    .venv/bin/python benchmarks/bench_evaluate.py [--services N] [--seed S] [--repeat R]
        [--load-repeat R] [--cli-runs R] [--keep DIR] [--profile]

It generates N services (deterministically, from the seed) into a temporary decision repo, with the
policy set of `benchmarks/policies/bench.policy`, then measures in one run:

- load: parse + check + compile the policies, read + validate the YAML states (`load_project`);
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
import datetime as dt
import gc
import hashlib
import io
import json
import os
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchresult import Figure, at_most, emit, figure, within_ratio

from decisionlang.api import Project, evaluate_project, load_project
from decisionlang.cli.common import collector_tuned
from decisionlang.core.model import Report
from decisionlang.core.subjects import Portfolio, Subject
from decisionlang.render.json import render_json

REPO = Path(__file__).resolve().parents[1]
POLICY_FILE = Path(__file__).resolve().parent / "policies" / "bench.policy"
AS_OF = dt.date(2026, 11, 26)
SERVICES_PER_FILE = 100

# Targets (reported, never enforced here; `make bench` asserts only memory and size targets).
TARGET_SERVICES_PER_SECOND = 10_000  # 10,000 services in under 1 s, verdicts only
TARGET_REFERENCE_RATIO = 3.0  # engine (verdicts only) within 3x of the plain-Python reference
TARGET_TRACED_RATIO = 10.0  # engine (traced) within 10x of the plain-Python reference
TARGET_CLI_SECONDS = 0.200  # `decisionlang check examples/quickstart`, wall
TARGET_JSON_BYTES_PER_SUBJECT = 10_000  # traced JSON report, 10 KB per subject

T = TypeVar("T")


# ---------------------------------------------------------------- the generated portfolio

DOMAINS = ("pay", "ledger", "crm", "web", "data", "auth", "search", "mail", "ml", "legacy")
TAGS = ("pci", "customer-facing", "strategic", "cost-center", "internal", "analytics", "gdpr")
REVIEW_INTERVALS = ("90 days", "6 months", "1 year", "12 weeks")


def _maybe(rng: random.Random, probability_missing: float) -> bool:
    """True when a field is written; False leaves it out (the engine sees it as unknown)."""
    return rng.random() >= probability_missing


def _date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def generate_service(rng: random.Random, index: int, names: Sequence[str]) -> list[str]:
    """One service as the lines of a `services:` list item (YAML)."""
    name = names[index]
    domain = name.split("-", 1)[0]
    criticality = rng.choices(("low", "medium", "high", "critical"), (25, 35, 28, 12))[0]
    lines = [f"  - name: {name}"]
    out = lines.append

    def flow(key: str, items: list[str]) -> None:
        """`    risk: { security: 3, compliance: 2 }`, when any item was drawn."""
        if items:
            out(f"    {key}: {{ {', '.join(items)} }}")

    if _maybe(rng, 0.02):
        out(f"    owner: team-{domain}")
    tags = sorted(tag for tag in TAGS if rng.random() < 0.18)
    if tags:
        out(f"    tags: [{', '.join(tags)}]")
    if _maybe(rng, 0.01):
        out(f"    criticality: {criticality}")
    if _maybe(rng, 0.03):
        classification = rng.choices(("public", "internal", "confidential", "restricted"), (20, 45, 25, 10))
        out(f"    classification: {classification[0]}")
    if _maybe(rng, 0.02):
        tier = 1 if criticality == "critical" else rng.choices((1, 2, 3), (6, 44, 50))[0]
        out(f"    tier: {tier}")
    if _maybe(rng, 0.02):
        out(f"    business_value: {rng.randint(3, 10)}")
    if _maybe(rng, 0.02):
        out(f"    effort: {rng.randint(1, 5)}")
    risk = []
    if _maybe(rng, 0.01):
        risk.append(f"security: {min(10, int(rng.expovariate(1 / 3)))}")
    if _maybe(rng, 0.06):
        risk.append(f"compliance: {min(10, int(rng.expovariate(1 / 2.5)))}")
    flow("risk", risk)
    maturity = []
    if _maybe(rng, 0.02):
        maturity.append(f"readability: {rng.choices(range(6), (3, 5, 20, 30, 27, 15))[0]}")
    if _maybe(rng, 0.05):
        maturity.append(f"governance: {rng.choices(range(1, 6), (5, 15, 35, 30, 15))[0]}")
    if _maybe(rng, 0.08):
        maturity.append(f"automation: {rng.randint(0, 5)}")
    if maturity:
        out("    maturity:")
        lines.extend(f"      {item}" for item in maturity)
    cost = []
    if _maybe(rng, 0.03):
        cost.append(f"monthly_eur: {round(rng.lognormvariate(8, 1.1), 2)}")
    if "cost-center" in tags and _maybe(rng, 0.1):
        cost.append(f"budget_eur: {rng.randrange(1_000, 30_000, 500)}")
    flow("cost", cost)
    dora = []
    if _maybe(rng, 0.02):
        dora.append(f"deploys_per_week: {round(rng.expovariate(1 / 5), 1)}")
    if _maybe(rng, 0.03):
        dora.append(f"change_failure_rate: {round(rng.betavariate(1, 18), 3)}")
    if _maybe(rng, 0.2):
        dora.append(f"lead_time_days: {round(rng.uniform(0.1, 30), 1)}")
    flow("dora", dora)
    if _maybe(rng, 0.08):
        out(f"    slo: {{ availability: {round(max(0.9, 1 - rng.expovariate(1 / 0.01)), 5)} }}")
    if _maybe(rng, 0.03):
        out(f"    incidents_90d: {min(30, int(rng.expovariate(1 / 2)))}")
    if _maybe(rng, 0.02):
        out(f"    support_ends: {_date(rng, dt.date(2026, 3, 1), dt.date(2031, 12, 31))}")
    if _maybe(rng, 0.04):
        out(f"    last_review: {AS_OF - dt.timedelta(days=min(700, int(rng.expovariate(1 / 70))))}")
    if rng.random() < 0.35:
        out(f'    review_every: "{rng.choice(REVIEW_INTERVALS)}"')
    if _maybe(rng, 0.05):
        out(f"    launched: {_date(rng, dt.date(2015, 1, 1), AS_OF)}")
    backup = []
    if _maybe(rng, 0.03):
        backup.append(f"enabled: {'true' if rng.random() < 0.93 else 'false'}")
    if _maybe(rng, 0.1):
        backup.append(f"rpo_hours: {rng.choices((1, 4, 12, 24, 48), (20, 30, 25, 20, 5))[0]}")
    flow("backup", backup)
    if _maybe(rng, 0.04):
        on_call = rng.random() < (0.9 if criticality in ("high", "critical") else 0.5)
        out(f"    on_call: {'true' if on_call else 'false'}")
    if _maybe(rng, 0.04):
        out(f"    runbook: {'true' if rng.random() < 0.8 else 'false'}")
    dependencies = _dependencies(rng, index, names)
    if dependencies:
        out(f"    depends_on: [{', '.join(dependencies)}]")
    return lines


def _dependencies(rng: random.Random, index: int, names: Sequence[str]) -> list[str]:
    """Chains: most services depend on the one generated before them (a chain of ~7 on average),
    some also on a random earlier one, so `depends_on` forms chains joined by cross edges."""
    if index == 0 or rng.random() < 0.15:
        return []
    chosen = [names[index - 1]]
    if index > 2 and rng.random() < 0.3:
        other = names[rng.randrange(max(0, index - 300), index - 1)]
        if other not in chosen:
            chosen.append(other)
    return chosen


def service_names(rng: random.Random, count: int) -> list[str]:
    return [f"{rng.choice(DOMAINS)}-{index:05d}" for index in range(count)]


def generate_repo(root: Path, count: int, seed: int) -> int:
    """Write the decision repo; returns the number of state files."""
    rng = random.Random(seed)
    (root / "policies").mkdir(parents=True)
    (root / "services").mkdir()
    shutil.copyfile(POLICY_FILE, root / "policies" / POLICY_FILE.name)
    names = service_names(rng, count)
    files = 0
    for start in range(0, count, SERVICES_PER_FILE):
        lines = [f"# generated by benchmarks/bench_evaluate.py (seed {seed})", "services:"]
        for index in range(start, min(count, start + SERVICES_PER_FILE)):
            lines.extend(generate_service(rng, index, names))
        (root / "services" / f"batch-{files:04d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        files += 1
    return files


# ---------------------------------------------------------------- the plain-Python reference
#
# The same decisions as benchmarks/policies/bench.policy, written by hand with three-valued logic:
# None is "unknown" (an absent field), and it travels the way docs/semantics.md says (S16-S21).

GO, NOT_YET, NO_GO = 0, 1, 2
VERDICT_NAMES = ("go", "not-yet", "no-go")
CRITICALITY = {"low": 1, "medium": 2, "high": 3, "critical": 4}
CLASSIFICATION = {"public": 1, "internal": 2, "confidential": 3, "restricted": 4}
REVIEW_INTERVAL_DAYS = 180
COST_CEILING = 40_000


def _and(*values: bool | None) -> bool | None:
    unknown = False
    for value in values:
        if value is False:
            return False
        if value is None:
            unknown = True
    return None if unknown else True


def _or(*values: bool | None) -> bool | None:
    unknown = False
    for value in values:
        if value is True:
            return True
        if value is None:
            unknown = True
    return None if unknown else False


def _not(value: bool | None) -> bool | None:
    return None if value is None else not value


def _lt(a: Any, b: Any) -> bool | None:
    return None if a is None or b is None else a < b


def _le(a: Any, b: Any) -> bool | None:
    return None if a is None or b is None else a <= b


def _gt(a: Any, b: Any) -> bool | None:
    return None if a is None or b is None else a > b


def _ge(a: Any, b: Any) -> bool | None:
    return None if a is None or b is None else a >= b


def _any(values: Iterable[bool | None]) -> bool | None:
    unknown = False
    for value in values:
        if value is True:
            return True
        if value is None:
            unknown = True
    return None if unknown else False


def _known(values: list[T | None]) -> list[T] | None:
    """The values when all are known, else None (count/sum/max over an unknown item is unknown)."""
    return None if any(value is None for value in values) else values  # type: ignore[return-value]


def _decide(no_go: Sequence[bool | None], not_yet: Sequence[bool | None], go: Sequence[bool | None]) -> int:
    """docs/semantics.md S4, with `otherwise not_yet`."""
    if any(value is True for value in no_go):
        return NO_GO
    if any(value is not False for value in no_go) or any(value is not False for value in not_yet):
        return NOT_YET
    if not go or any(value is True for value in go):
        return GO
    return NOT_YET  # a `go` rule undecided (step 5), or `otherwise not_yet` (step 6)


def _arith(value: float) -> float:
    """Arithmetic results are rounded to 12 decimal places (docs/semantics.md S25)."""
    return round(value, 12) if type(value) is float else value


def _rounded(value: float) -> float:
    rounded = round(value, 6)
    return int(rounded) if float(rounded).is_integer() else rounded


def _clip(value: float) -> float:
    return min(1.0, max(0.0, value))


def _readiness(get: Callable[[str], Any]) -> int | None:
    """maturity readiness: levels are cumulative; unknown when the first level missed is undecided."""
    step = _and(get("owner") is not None, _ge(get("maturity.readability"), 2))
    if step is not True:
        return 0 if step is False else None
    step = _and(_ge(get("maturity.governance"), 3), get("last_review") is not None)
    if step is not True:
        return 1 if step is False else None
    step = _and(_ge(get("maturity.automation"), 3), get("backup.enabled"))
    if step is not True:
        return 2 if step is False else None
    return 3


def reference_decide(subject: Subject, portfolio: Portfolio, today: dt.date) -> tuple[str, tuple[str, ...]]:
    """The subject's verdict and the rule ids of its warnings, in the engine's order."""
    fields = subject.fields
    get = fields.get
    by_name = portfolio.by_name
    warnings: list[str] = []

    criticality = get("criticality")
    crit = CRITICALITY.get(criticality) if criticality is not None else None
    classification = get("classification")
    data_class = CLASSIFICATION.get(classification) if classification is not None else None
    tier = get("tier")
    security, compliance = get("risk.security"), get("risk.compliance")
    readability = get("maturity.readability")
    support_ends = get("support_ends")
    last_review = get("last_review")
    on_call = get("on_call")
    deps = [by_name[name] for name in fields["depends_on"] if name in by_name]

    # criteria value_case: 3*business_value + 2*rank(criticality) - effort - 2*max(risks)
    business_value, effort = get("business_value"), get("effort")
    if business_value is None or crit is None or effort is None or security is None or compliance is None:
        value_case: float | None = None
    else:
        value_case = _rounded(0.0 + 3 * business_value + 2 * crit - effort - 2 * max(security, compliance))

    # ---- policy change_readiness (hard)
    unsupported = _and(_lt(support_ends, today), _ge(crit, 3))
    exposed = _and(criticality == "critical" if crit is not None else None, _ge(security, 8))
    backup_enabled = get("backup.enabled")
    unprotected = _and(_ge(data_class, 3), _or(_not(backup_enabled), _gt(get("backup.rpo_hours"), 24)))
    unmapped = _lt(readability, 2)
    review_every = get("review_every")
    interval = review_every.days if review_every is not None else REVIEW_INTERVAL_DAYS
    stale = None if last_review is None else (today - last_review).days > interval
    fragile = _and(tier == 1 if tier is not None else None, _any(_gt(d.fields.get("tier"), 1) for d in deps))
    failure_rate = get("dora.change_failure_rate")
    robust = None if failure_rate is None else _arith(1 - failure_rate) >= 0.85
    unstable = _not(_or(robust, _le(get("dora.deploys_per_week"), 1)))
    if _and(_ge(support_ends, today), support_ends and (support_ends - today).days < 90) is not False:
        warnings.append("change_readiness.support_ending")
    if subject.name.startswith("legacy-"):
        warnings.append("change_readiness.legacy_name")
    worth_it = _ge(value_case, 10)
    if worth_it is not False:
        worth_it = _and(worth_it, _ge(_readiness(get), 2))
    high_risk = _or(_ge(security, 7), _ge(compliance, 7))
    strategic = _and("strategic" in fields["tags"], _ge(value_case, 4), _not(high_risk))
    verdict = _decide(
        (unsupported, exposed, unprotected), (unmapped, stale, fragile, unstable), (worth_it, strategic)
    )

    # ---- policy dependency_health (soft): applies where tier <= 2
    if tier is None:
        verdict = max(verdict, NOT_YET)  # cannot tell whether the policy applies
    elif tier <= 2:
        dead = _and(
            criticality == "critical" if crit is not None else None,
            _any(_lt(d.fields.get("support_ends"), today) for d in deps),
        )
        unmapped_deps = _known([_lt(d.fields.get("maturity.readability"), 2) for d in deps])
        immature = None if unmapped_deps is None else sum(1 for item in unmapped_deps if item) >= 2
        risks = _known([d.fields.get("risk.security") for d in deps])
        risky = _and(len(deps) > 0, None if risks is None or not risks else max(risks) >= 9)
        verdict = max(verdict, _decide((dead,), (immature, risky), ()))
        cost = get("cost.monthly_eur")
        dep_costs = _known([d.fields.get("cost.monthly_eur") for d in deps])
        if cost is None or dep_costs is None or _arith(cost + sum(dep_costs)) > COST_CEILING:
            warnings.append("dependency_health.expensive_stack")
        if _and(len(portfolio.dependents.get(subject.name, ())) >= 3, _not(on_call)) is not False:
            warnings.append("dependency_health.hub_without_on_call")

    # ---- policy cost_control (hard): applies to services tagged "cost-center"
    if "cost-center" in fields["tags"]:
        cost, budget = get("cost.monthly_eur"), get("cost.budget_eur")
        runaway = None if cost is None or budget is None else cost > _arith(budget * 1.5)
        verdict = max(verdict, _decide((runaway,), (), (_le(cost, budget),)))

    # ---- policy operations (advisory): applies where criticality >= high; only warns
    if crit is None:
        warnings.append("operations.applies")
    elif crit >= 3:
        if _not(on_call) is not False:
            warnings.append("operations.no_on_call")
        runbook = get("runbook")
        no_runbook = _not(runbook)
        # criteria ops_health, normalised to 0..100: every term scaled to 0..1 over its range
        availability, deploys, incidents = (
            get("slo.availability"),
            get("dora.deploys_per_week"),
            get("incidents_90d"),
        )
        if availability is None or deploys is None or incidents is None or runbook is None:
            ops_health: float | None = None
        else:
            total = 0.0
            total += 4 * _clip((availability - 0.95) / (1 - 0.95))
            total += 2 * _clip((deploys - 0) / (20 - 0))
            total += -3 * _clip((incidents - 0) / (10 - 0))
            total += 1 * _clip((1 if runbook else 0) / 1)
            ops_health = _rounded((total - -3) / (7 - -3) * 100)
        launched = get("launched")
        healthy = _and(_ge(ops_health, 50), _lt(launched, today - dt.timedelta(days=28)))
        if no_runbook is not False:
            warnings.append("operations.no_runbook")
        elif healthy is None:
            warnings.append("operations.healthy")
        elif healthy is False:
            warnings.append("operations.otherwise")

    return VERDICT_NAMES[verdict], tuple(warnings)


def run_reference(portfolio: Portfolio, today: dt.date) -> list[tuple[str, tuple[str, ...]]]:
    return [reference_decide(subject, portfolio, today) for subject in portfolio.subjects]


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
        project = load_project(root)
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
        load_time, project = timed("load", lambda: load_project(root), load_repeat)
        if project.errors:
            for diagnostic in project.errors[:20]:
                print(f"  {diagnostic}", file=sys.stderr)
            raise SystemExit("the generated repo does not load cleanly: the benchmark itself is broken")
        policy_time, _ = timed("load policies only", lambda: load_project(policies_only), repeat)
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

"""The benchmark portfolio and its plain-Python reference, shared by the benchmark scripts.

- `generate_repo(root, count, seed, per_file=100)` writes a decision repo of `count` generated
  services (deterministic from the seed) with `benchmarks/policies/bench.policy`: 100 services per
  YAML file under `services/` by default, or one file per service with `per_file=1`. The same seed
  gives the same services whatever the layout.
- `reference_decide(subject, portfolio, today)` makes the same decisions as `bench.policy` by hand in
  plain Python, from a subject's flat `fields` (dotted names, `None` for unknown).

This module imports nothing of decisionlang, so that a reference run in its own process
(`bench_scale.py`) pays for no import of the engine.
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

POLICY_FILE = Path(__file__).resolve().parent / "policies" / "bench.policy"
AS_OF = dt.date(2026, 11, 26)
SERVICES_PER_FILE = 100

T = TypeVar("T")


class SubjectLike(Protocol):
    """What the reference reads of a subject (decisionlang.core.subjects.Subject has it)."""

    @property
    def name(self) -> str: ...

    @property
    def fields(self) -> Mapping[str, Any]: ...


class PortfolioLike(Protocol):
    """What the reference reads of a portfolio (decisionlang.core.subjects.Portfolio has it)."""

    @property
    def subjects(self) -> Sequence[Any]: ...

    @property
    def by_name(self) -> Mapping[str, Any]: ...

    @property
    def dependents(self) -> Mapping[str, Any]: ...


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


def generate_repo(root: Path, count: int, seed: int, per_file: int = SERVICES_PER_FILE) -> int:
    """Write the decision repo; returns the number of state files. With `per_file=1` every service
    is its own file (`services/<name>.yaml`, a top-level mapping), else `per_file` services are
    listed under `services:` in each `services/batch-NNNN.yaml`."""
    rng = random.Random(seed)
    (root / "policies").mkdir(parents=True)
    (root / "services").mkdir()
    shutil.copyfile(POLICY_FILE, root / "policies" / POLICY_FILE.name)
    names = service_names(rng, count)
    files = 0
    if per_file == 1:
        for index in range(count):
            item = generate_service(rng, index, names)
            lines = [f"# generated by benchmarks/portfolio.py (seed {seed})", *_top_level(item)]
            (root / "services" / f"{names[index]}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
            files += 1
        return files
    for start in range(0, count, per_file):
        lines = [f"# generated by benchmarks/portfolio.py (seed {seed})", "services:"]
        for index in range(start, min(count, start + per_file)):
            lines.extend(generate_service(rng, index, names))
        (root / "services" / f"batch-{files:04d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        files += 1
    return files


def _top_level(item: list[str]) -> list[str]:
    """A `services:` list item (`  - name: x`, `    key: v`) as a top-level mapping (`name: x`)."""
    return [line[4:] for line in item]


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


def reference_decide(
    subject: SubjectLike, portfolio: PortfolioLike, today: dt.date
) -> tuple[str, tuple[str, ...]]:
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


def run_reference(portfolio: PortfolioLike, today: dt.date) -> list[tuple[str, tuple[str, ...]]]:
    return [reference_decide(subject, portfolio, today) for subject in portfolio.subjects]

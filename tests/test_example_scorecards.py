"""examples/scorecards: the six Cortex scorecards of cortex/*.yaml, levels and points checked against
what Cortex's documented semantics give.

Cortex's semantics, as documented:
- a scorecard's ladder lists levels by rank, and each rule belongs to one level; an entity reaches a
  level when it passes the rules of that level, and it progresses level by level ("If you use
  levels, an exempt rule allows an entity to progress to the next level",
  https://docs.cortex.io/scorecards/rule-exemptions), so a level counts only on top of every
  level ranked below it; below the first level an entity has none;
- the score is the points of the rules passed, out of the points of all the rules that apply,
  shown as a percentage ("If you use point-based rules instead of levels, the exempted rule will
  not be included in the average for a component's percentage score", same page; point
  calculations such as "34/50", https://docs.cortex.io/improve/reports/all-scorecards), a rule's
  points being its `weight` (https://docs.cortex.io/docs/reference/basics/scorecards);
- a rule whose data is absent does not pass (a CQL comparison with null is not true);
- an exempt rule "simply does not apply": it is left out of the percentage, and it lets the entity
  progress to the next level (https://docs.cortex.io/scorecards/rule-exemptions). Here one
  exemption is two waivers (waivers/exemptions.yaml): of the rule's requirement and of its term.

The oracle below evaluates each Cortex rule on a service's facts in Python (one function per rule,
keyed by the rule's title in the Cortex file), then applies those semantics; decisionlang's
`level_name` and `score` must agree for every service and every scorecard.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from decisionlang.api import evaluate_project, load_project
from decisionlang.core.model import Report

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "scorecards"
AS_OF = dt.date(2026, 12, 2)
_yaml = YAML(typ="safe", pure=True)

# scorecard tag -> the maturity model of its ladder (None without one) and the criteria of its points
SCORECARDS = {
    "code-quality-metrics": ("code_quality", "code_quality_points"),
    "incident-preparedness-metrics": ("incident_preparedness", "incident_preparedness_points"),
    "serv-sec-comp": (None, "production_readiness_points"),
    "secrets-management-metrics": (None, "secrets_management_points"),
    "onboarding-metrics": ("service_onboarding", "service_onboarding_points"),
    "vulnerability-management-metrics": (None, "vulnerability_management_points"),
}

Facts = dict[str, Any]


def _get(facts: Facts, path: str) -> Any:
    value: Any = facts
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _compare(value: Any, test: Callable[[Any], bool]) -> bool:
    return value is not None and test(value)


def _at(path: str, test: Callable[[Any], bool]) -> Callable[[Facts], bool]:
    """A rule comparing one fact: it fails when the fact is absent."""
    return lambda facts: _compare(_get(facts, path), test)


def _links(facts: Facts, kind: str) -> list[dict[str, Any]]:
    return [link for link in facts.get("links") or [] if link.get("type") == kind]


def _mean_last_week(facts: Facts, key: str) -> float | None:
    """oncall.analysis(lookback = duration("P1W")).meanSecondsTo...: the incidents of the last 7 days."""
    start = AS_OF - dt.timedelta(days=7)
    recent = [
        incident[key]
        for incident in _get(facts, "oncall.incidents") or []
        if dt.date.fromisoformat(str(incident["triggered_on"])) > start
    ]
    return sum(recent) / len(recent) if recent else None


def _vulnerabilities(facts: Facts, severities: set[str] | None = None) -> int | None:
    found = _get(facts, "git.vulnerabilities")
    if found is None:
        return None
    return sum(1 for v in found if severities is None or v["severity"] in severities)


def _java_full_match(pattern: str, text: Any) -> bool:
    """CQL's `matches` is Java's String.matches: the whole text matches."""
    return isinstance(text, str) and re.fullmatch(pattern, text) is not None


_SEMVER = re.compile(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?")


def _stable_semver(text: Any) -> bool:
    """semver(...).isStable(): a version 1.0.0 or above without a pre-release."""
    match = _SEMVER.fullmatch(text) if isinstance(text, str) else None
    return match is not None and int(match.group(1)) >= 1 and match.group(4) is None


DYNATRACE = "https://.*.live.dynatrace.com/.*"

RULES: dict[str, Callable[[Facts], bool]] = {
    # Code Quality
    "High Code Coverage": _at("sonarqube.coverage", lambda v: v >= 90),
    "Low Code Complexity": _at("sonarqube.complexity", lambda v: v < 4),
    "High Test Coverage (Branch)": lambda f: _compare(
        _get(f, "custom.test_coverage.branch"), lambda v: v > 75
    ),
    "Low Code Duplication": lambda f: _compare(
        _get(f, "sonarqube.duplicated_lines_density"), lambda v: v < 10
    ),
    "High Test Coverage (Line)": _at("custom.test_coverage.line", lambda v: v > 85),
    "High Maintainability Rating": _at("sonarqube.sqale_rating", lambda v: v >= 0.95),
    "No Critical or High severity vulnerabilities": lambda f: _vulnerabilities(f, {"CRITICAL", "HIGH"}) == 0,
    "Minimal Open Pull Requests": lambda f: (
        _get(f, "git.pull_requests") is not None
        and sum(1 for pr in _get(f, "git.pull_requests") if pr["status"] == "OPEN") <= 5
    ),
    # Incident Preparedness: the placeholders read the metric the template asks for
    "Recent Chaos Engineering Experiments": lambda f: _get(f, "incident.chaos_experiment_recent") is True,
    "Runbooks Available": lambda f: len(_links(f, "runbook")) > 0,
    "Up-to-date Disaster Recovery Plan": lambda f: _get(f, "incident.dr_plan_up_to_date") is True,
    "Post-Incident Reviews Conducted": lambda f: _get(f, "incident.post_incident_reviews") is True,
    "Service Level Objectives (SLOs) Defined": lambda f: _get(f, "custom.slos") is not None,
    "On-Call Rotations Defined": lambda f: _get(f, "oncall") is not None,
    "Incident Response Training": lambda f: _get(f, "incident.response_training") is True,
    # Production Readiness
    "Zero vulnerabilities in Snyk": lambda f: _get(f, "snyk.open_issues") == 0,
    "MTTA for vulnerabilities is less than 5 mins": lambda f: _compare(
        _mean_last_week(f, "seconds_to_first_ack"), lambda v: v < 300
    ),
    "Zero vulnerabilities in GitHub": lambda f: _vulnerabilities(f) == 0,
    "SonarQube coverage over 90%": _at("sonarqube.coverage", lambda v: v >= 90),
    "Zero unresolved Jira Issues": lambda f: _get(f, "jira.unresolved_issues") == 0,
    "MTTR for Vulnerabilities is less than 1 hour": lambda f: _compare(
        _mean_last_week(f, "seconds_to_resolve"), lambda v: v < 3600
    ),
    "Service has a Slack channel": lambda f: _get(f, "slack") is not None,
    # Secrets Management: the code search's matches, counted by the exporting job
    "No Hardcoded Secrets": lambda f: _get(f, "code_search.secrets_matches") == 0,
    # Service Onboarding
    "README.md File Exists": lambda f: "README.md" in (_get(f, "git.files") or []),
    "Git Repository Exists": lambda f: _get(f, "git") is not None,
    "Docs Folder Exists": lambda f: "docs" in (_get(f, "git.files") or []),
    "SLOs Defined": lambda f: _get(f, "custom.slos") is not None,
    "Default Branch is Master": lambda f: _java_full_match("master", _get(f, "git.default_branch")),
    "Dynatrace Dashboard Linked": lambda f: any(
        _java_full_match("https://.*.live.dynatrace.com/.*", link.get("url"))
        for link in _links(f, "dynatrace")
    ),
    "Test Coverage Reported": lambda f: _get(f, "custom.test_coverage") is not None,
    "Semantic Versioning for App Version": lambda f: _stable_semver(
        _get(f, "custom.runtime_info.app_version")
    ),
    "Slack Channel Connected": lambda f: _get(f, "slack") is not None,
    "Project Identifier Defined": lambda f: _get(f, "custom.project_id") is not None,
    "Data Received from Datadog": lambda f: len(_get(f, "datadog.monitors") or []) > 0,
    "SonarQube Project Set": lambda f: _get(f, "sonarqube") is not None,
    # Vulnerability Management
    "No Critical Vulnerabilities": lambda f: _vulnerabilities(f, {"CRITICAL"}) == 0,
    "No Known Vulnerable Libraries": lambda f: _get(f, "code_search.vulnerable_libraries") == 0,
}


def _scorecards() -> list[dict[str, Any]]:
    return [
        _yaml.load(path.read_text(encoding="utf-8")) for path in sorted((EXAMPLE / "cortex").glob("*.yaml"))
    ]


def _services() -> dict[str, Facts]:
    services: dict[str, Facts] = {}
    for path in sorted((EXAMPLE / "services").glob("*.yaml")):
        for service in _yaml.load(path.read_text(encoding="utf-8"))["services"]:
            services[service["name"]] = service
    return services


SHARED = {  # rules of two scorecards read one definition: the other scorecard's title -> it
    "SonarQube coverage over 90%": "high_code_coverage",
    "SLOs Defined": "slos_defined",
    "Slack Channel Connected": "slack_channel",
}


def _definitions() -> dict[str, str]:
    """Cortex rule title -> the name of the definition that expresses it (policies/rules.policy)."""
    text = (EXAMPLE / "policies" / "rules.policy").read_text(encoding="utf-8")
    return {
        title: name for name, title in re.findall(r'^define (\w+) "([^"]+)"', text, re.MULTILINE)
    } | SHARED


def _exemptions() -> dict[str, set[str]]:
    """Subject -> the requirement and term ids its waivers exempt it from."""
    exempt: dict[str, set[str]] = {}
    for waiver in _yaml.load((EXAMPLE / "waivers" / "exemptions.yaml").read_text(encoding="utf-8"))[
        "waivers"
    ]:
        exempt.setdefault(waiver["subject"], set()).add(waiver.get("requirement") or waiver["term"])
    return exempt


def cortex_level(
    scorecard: dict[str, Any], facts: Facts, exempt: AbstractSet[str] = frozenset()
) -> str | None:
    """The highest level whose rules, and those of every level ranked below, all pass (or are exempt)."""
    model = SCORECARDS[scorecard["tag"]][0]
    definitions = _definitions()
    levels = sorted(scorecard["ladder"]["levels"], key=lambda level: level["rank"])
    reached = None
    for level in levels:
        rules = [rule for rule in scorecard["rules"] if rule["level"] == level["name"]]
        if not all(
            RULES[rule["title"]](facts) or f"{model}.{level['name']}.{definitions[rule['title']]}" in exempt
            for rule in rules
        ):
            break
        reached = level["name"]
    return reached


def cortex_percentage(
    scorecard: dict[str, Any], facts: Facts, exempt: AbstractSet[str] = frozenset()
) -> float:
    """The points passed out of the points of the rules that apply (exempt ones do not)."""
    criteria = SCORECARDS[scorecard["tag"]][1]
    definitions = _definitions()
    rules = [r for r in scorecard["rules"] if f"{criteria}.{definitions[r['title']]}" not in exempt]
    total = sum(rule["weight"] for rule in rules)
    passed = sum(rule["weight"] for rule in rules if RULES[rule["title"]](facts))
    return 100 * passed / total


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The example's report, with one more advisory policy that reads every level and every score,
    so that each is in the traces (the example's own rules read some in messages only)."""
    root = tmp_path_factory.mktemp("scorecards") / "scorecards"
    shutil.copytree(EXAMPLE, root)
    probes = [f'  warn {m} when level_name({m}) != "?"\n' for m, _ in SCORECARDS.values() if m]
    probes += [f"  warn {c} when score({c}) >= 0\n" for _, c in SCORECARDS.values()]
    (root / "policies" / "probe.policy").write_text(
        "policy probe {\n  applies to kind service\n  enforcement advisory\n" + "".join(probes) + "}\n",
        encoding="utf-8",
    )
    project = load_project(root)
    assert not project.errors, project.errors
    return evaluate_project(project, as_of=AS_OF)


def _decided(report: Report) -> dict[str, tuple[dict[str, str | None], dict[str, float | None]]]:
    found: dict[str, tuple[dict[str, str | None], dict[str, float | None]]] = {}
    for subject in report.subjects:
        levels: dict[str, str | None] = {}
        scores: dict[str, float | None] = {}
        for policy in subject.policies:
            for rule in policy.rules:
                levels.update((m.maturity, m.level) for m in rule.maturities)
                scores.update((s.criteria, s.total) for s in rule.scores)
        found[subject.subject] = (levels, scores)
    return found


def test_every_cortex_rule_has_an_oracle_and_a_definition() -> None:
    titles = [rule["title"] for scorecard in _scorecards() for rule in scorecard["rules"]]
    assert len(titles) == 37
    assert sorted(set(titles)) == sorted(RULES)
    definitions = (EXAMPLE / "policies" / "rules.policy").read_text(encoding="utf-8")
    defined = set(re.findall(r'^define \w+ "([^"]+)"', definitions, re.MULTILINE))
    shared = {"SonarQube coverage over 90%", "SLOs Defined", "Slack Channel Connected"}  # read another's
    assert defined == set(titles) - shared
    assert set(SHARED) == shared


def test_the_exemptions_move_what_cortex_s_would() -> None:
    """Without them ledger-db has no Service Onboarding level (no docs folder) and 5 of 12 points;
    with them it is Bronze with 5 of 11; checkout-web's slow acknowledgement leaves its points."""
    facts, exempt = _services(), _exemptions()
    onboarding = next(s for s in _scorecards() if s["tag"] == "onboarding-metrics")
    readiness = next(s for s in _scorecards() if s["tag"] == "serv-sec-comp")
    assert cortex_level(onboarding, facts["ledger-db"]) is None
    assert cortex_level(onboarding, facts["ledger-db"], exempt["ledger-db"]) == "Bronze"
    assert cortex_percentage(onboarding, facts["ledger-db"], exempt["ledger-db"]) == pytest.approx(500 / 11)
    assert cortex_percentage(readiness, facts["checkout-web"]) == pytest.approx(500 / 7)
    assert cortex_percentage(readiness, facts["checkout-web"], exempt["checkout-web"]) == pytest.approx(
        500 / 6
    )


@pytest.mark.parametrize("service", sorted(_services()))
def test_levels_and_points_are_cortex_s(report: Report, service: str) -> None:
    facts = _services()[service]
    exempt = _exemptions().get(service, set())
    levels, scores = _decided(report)[service]
    for scorecard in _scorecards():
        maturity, criteria = SCORECARDS[scorecard["tag"]]
        if maturity is not None:
            assert levels[maturity] == cortex_level(scorecard, facts, exempt), (scorecard["name"], service)
        assert scores[criteria] == pytest.approx(cortex_percentage(scorecard, facts, exempt), abs=1e-6), (
            scorecard["name"],
            service,
        )


def test_the_services_span_the_ladders() -> None:
    """The example's services reach different levels, so the comparison above can tell them apart."""
    facts = _services()
    reached = {
        scorecard["tag"]: {cortex_level(scorecard, f) for f in facts.values()}
        for scorecard in _scorecards()
        if "ladder" in scorecard
    }
    assert reached == {
        "code-quality-metrics": {None, "Bronze", "Gold"},
        "incident-preparedness-metrics": {None, "Bronze", "Silver", "Platinum"},
        "onboarding-metrics": {None, "Silver", "Gold"},
    }


def test_the_verdicts(report: Report) -> None:
    verdicts = {subject.subject: subject.verdict.value for subject in report.subjects}
    assert verdicts == {
        "checkout-web": "go",
        "fax-gateway": "no-go",
        "ledger-db": "not-yet",
        "payments-api": "go",
        "search-api": "go",
    }


def test_the_readme_counts_the_rules_as_the_definitions_do() -> None:
    """README.md's table: one row per Cortex rule, with how closely it is expressed."""
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (.+?) \| (.+?) \| (exact|approximate|stand-in) \|", readme, re.MULTILINE)
    titles = [rule["title"] for scorecard in _scorecards() for rule in scorecard["rules"]]
    assert sorted(title for _, title, _ in rows) == sorted(titles)
    counts = {kind: sum(1 for *_, k in rows if k == kind) for kind in ("exact", "approximate", "stand-in")}
    assert counts == {"exact": 23, "approximate": 8, "stand-in": 6}


def _shown(level: str | None, points: float | None) -> str:
    return f"{level or 'none'}, {round(points or 0, 2):g} %"


def test_the_readme_shows_the_decided_levels_and_points(report: Report) -> None:
    readme = (EXAMPLE / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## What the policies decide") :]
    verdicts = {subject.subject: subject.verdict.label for subject in report.subjects}
    for service, (levels, scores) in _decided(report).items():
        row = next(line for line in table.splitlines() if line.startswith(f"| {service} |"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[1].split(":")[0] == verdicts[service], service
        assert cells[2:] == [
            _shown(levels["code_quality"], scores["code_quality_points"]),
            _shown(levels["incident_preparedness"], scores["incident_preparedness_points"]),
            _shown(levels["service_onboarding"], scores["service_onboarding_points"]),
            f"{round(scores['production_readiness_points'] or 0, 2):g} %",
        ], service

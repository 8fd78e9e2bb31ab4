"""Evidence freshness and provenance: `observed:` / `source:` on a fact, its block or its subject;
the schema's `fresh for`; a stale fact is unknown (NOT YET), and every output says each fact's
origin and age."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from support import check_golden

from decisionlang import cli
from decisionlang.api import check, format_policy, json_schema, load_project, validate, what_it_takes
from decisionlang.core.model import Verdict
from decisionlang.core.subjects import Evidence
from decisionlang.engine.project import evaluate_project

POLICY = """schema {
  dora.change_failure_rate: number 0..1 fresh for 90 days "Change failure rate"
  dora.deploys_per_week:    number >= 0 fresh for 3 months "Deployments a week"
  tier:                     integer 1..3 "Tier"
}

policy delivery "Delivery is measured and safe" {
  applies to kind service
  not_yet risky when dora.change_failure_rate > 0.15
      because "a change failure rate of {dora.change_failure_rate}"
  go delivering when dora.deploys_per_week >= 1 because "deploys {dora.deploys_per_week} a week"
}
"""

STATES = """services:
  - name: alpha
    source: inventory
    tier: 2
    dora:
      observed: 2026-05-01
      source: dora-exporter
      change_failure_rate: 0.12
      deploys_per_week: {value: 3, observed: 2026-11-20}
  - name: beta
    dora:
      change_failure_rate: {value: 0.1, observed: "2026-11-01", source: ci}
      deploys_per_week: 2
  - name: gamma
    observed: 2026-11-01
    dora: {change_failure_rate: 0.05, deploys_per_week: 4}
  - name: delta
    dora: {change_failure_rate: 0.05, deploys_per_week: 4}
"""
TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "policies").mkdir(parents=True)
    (root / "services").mkdir()
    (root / "policies" / "p.policy").write_text(POLICY, encoding="utf-8")
    (root / "services" / "a.yaml").write_text(STATES, encoding="utf-8")
    return root


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


def _facts(result: Any) -> dict[str, Any]:
    return {fact.path: fact for policy in result.policies for rule in policy.rules for fact in rule.facts}


def test_a_stale_fact_is_unknown_and_says_why(repo: Path) -> None:
    report = check(repo, as_of=TODAY)
    verdicts = {subject.subject: subject.verdict for subject in report.subjects}
    # alpha's change failure rate was observed 209 days ago (block `observed:`): stale, NOT YET
    assert verdicts == {
        "alpha": Verdict.NOT_YET,
        "beta": Verdict.GO,
        "delta": Verdict.GO,
        "gamma": Verdict.GO,
    }
    alpha = next(subject for subject in report.subjects if subject.subject == "alpha")
    [missing] = alpha.missing
    assert missing.path == "dora.change_failure_rate"
    assert missing.stale == "observed 2026-05-01 by dora-exporter, older than 90 days"
    rule = next(rule for policy in alpha.policies for rule in policy.rules if rule.rule == "delivery.risky")
    assert rule.message == (
        "dora.change_failure_rate is stale (observed 2026-05-01 by dora-exporter, older than 90 days)"
    )


def test_each_fact_carries_its_origin_and_age(repo: Path) -> None:
    report = check(repo, as_of=TODAY)
    by_name = {subject.subject: subject for subject in report.subjects}
    alpha = _facts(by_name["alpha"])
    stale = alpha["dora.change_failure_rate"]
    assert (stale.value, stale.missing, stale.stale) == (0.12, True, True)
    assert (stale.observed, stale.source, stale.age_days, stale.fresh_for) == (
        "2026-05-01",
        "dora-exporter",
        209,
        "90 days",
    )
    # the field's own `observed:` wins over its block's; the block's `source:` still applies
    fresh = alpha["dora.deploys_per_week"]
    assert (fresh.value, fresh.stale, fresh.observed, fresh.source, fresh.age_days, fresh.fresh_for) == (
        3,
        False,
        "2026-11-20",
        "dora-exporter",
        6,
        "3 months",
    )
    beta = _facts(by_name["beta"])
    assert (beta["dora.change_failure_rate"].observed, beta["dora.change_failure_rate"].source) == (
        "2026-11-01",
        "ci",
    )
    assert beta["dora.deploys_per_week"].observed is None  # no evidence: taken as it is
    gamma = _facts(by_name["gamma"])  # the subject's `observed:` covers every fact
    assert gamma["dora.change_failure_rate"].age_days == 25
    delta = _facts(by_name["delta"])
    assert delta["dora.change_failure_rate"].observed is None and not delta["dora.change_failure_rate"].stale


def test_the_day_of_the_decision_decides_what_is_stale(repo: Path) -> None:
    earlier = {s.subject: s.verdict for s in check(repo, as_of=dt.date(2026, 7, 30)).subjects}
    assert earlier["alpha"] is Verdict.GO  # 90 days after 2026-05-01: still fresh
    later = {s.subject: s.verdict for s in check(repo, as_of=dt.date(2026, 7, 31)).subjects}
    assert later["alpha"] is Verdict.NOT_YET  # 91 days: older than 90 days
    # gamma's facts, observed 2026-11-01, are stale 90 days later; its deploys (3 months) as well
    months = {s.subject: s for s in check(repo, as_of=dt.date(2027, 2, 1)).subjects}
    assert months["gamma"].verdict is Verdict.NOT_YET
    assert {m.path for m in months["gamma"].missing} == {"dora.change_failure_rate"}


def test_json_shows_origin_and_age(repo: Path, tmp_path: Path) -> None:
    result = _run("check", str(repo), "--as-of", "2026-11-26", "--format", "json")
    data = json.loads(result.output)
    alpha = next(subject for subject in data["services"] if subject["service"] == "alpha")
    text = json.dumps(alpha)
    assert '"stale": true' in text and '"age_days": 209' in text and '"source": "dora-exporter"' in text
    assert '"observed": "2026-05-01"' in text and '"fresh_for": "90 days"' in text
    assert result.exit_code == 3  # NOT YET


def test_explain_golden(repo: Path) -> None:
    result = _run("explain", "alpha", str(repo), "--as-of", "2026-11-26")
    check_golden("evidence/explain_alpha.txt", result.output)


def test_to_go_proposes_to_observe_a_stale_fact_again(repo: Path) -> None:
    project = load_project(repo, cache=False)
    report = what_it_takes(project, evaluate_project(project, as_of=TODAY), fragile=False)
    alpha = next(subject for subject in report.subjects if subject.subject == "alpha")
    assert alpha.to_go is not None and alpha.to_go.reachable
    change = alpha.to_go.options[0].changes[0]
    assert (change.path, change.before, change.bound) == ("dora.change_failure_rate", None, "at-most")
    assert change.location.line == 8  # where the stale value is written: observed again there
    # applying it (a new value, observed now) gives GO
    fresh = project.portfolio.with_facts("alpha", {"dora.change_failure_rate": change.after})
    assert "dora.change_failure_rate" not in fresh.by_name["alpha"].evidence


def test_overlay_evidence_is_the_overlays(repo: Path) -> None:
    (repo / "services" / "b.yaml").write_text(
        "overlays:\n  - name: delta\n    source: sre-review\n    observed: 2026-01-10\n    tier: 1\n",
        encoding="utf-8",
    )
    project = load_project(repo, cache=False)
    delta = project.portfolio.by_name["delta"]
    assert delta.evidence == {"tier": Evidence(dt.date(2026, 1, 10), "sre-review")}


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (
            "services:\n  - name: a\n    observed: last week\n    tier: 1\n",
            "services/a.yaml:3:15: error[DL-STATE-TYPE]: `observed` (on the subject) must be a date, "
            'got "last week"',
        ),
        (
            "services:\n  - name: a\n    dora: {source: 12, change_failure_rate: 0.1}\n",
            "services/a.yaml:3:20: error[DL-STATE-TYPE]: `source` (on `dora`) must be a text, got 12",
        ),
        (
            "services:\n  - name: a\n    tier: {value: 1, observd: 2026-01-01}\n",
            "services/a.yaml:3:11: error[DL-STATE-TYPE]",
        ),
    ],
)
def test_bad_evidence_is_located(repo: Path, state: str, message: str) -> None:
    (repo / "services" / "a.yaml").write_text(state, encoding="utf-8")
    shown = [str(diagnostic) for diagnostic in validate(repo)]
    assert any(message in line or line.startswith(message) for line in _rendered(repo)), (shown, message)


def _rendered(repo: Path) -> list[str]:
    result = _run("validate", str(repo))
    assert result.exit_code == 2
    return result.output.splitlines()


def test_a_declared_field_named_source_stays_a_field(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "services").mkdir()
    (tmp_path / "policies" / "p.policy").write_text(
        'schema { source: text "Where it is built from" }\n'
        'policy p { go built when source == "git" because "built from {source}" }\n',
        encoding="utf-8",
    )
    (tmp_path / "services" / "a.yaml").write_text("services:\n  - {name: a, source: git}\n", encoding="utf-8")
    [subject] = check(tmp_path, as_of=TODAY).subjects
    assert (
        subject.verdict is Verdict.GO
        and not load_project(tmp_path, cache=False).portfolio.by_name["a"].evidence
    )


def test_fresh_for_formats_and_reads_as_one_keyword() -> None:
    text = 'schema {\n  fresh:  bool\n  for:    integer\n  x: number   fresh   for 90 days "X"\n}\n'
    formatted = format_policy(text).text
    assert formatted is not None and "x:     number fresh for 90 days" in formatted
    assert format_policy(formatted).text == formatted


def test_the_states_json_schema_accepts_evidence(repo: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from ruamel.yaml import YAML

    schema_text, problems = json_schema(repo, cache=False)
    assert schema_text is not None, problems
    schema = json.loads(schema_text)
    document = json.loads(json.dumps(YAML(typ="safe").load(STATES), default=str))
    jsonschema.validate(document, schema)
    document["services"][0]["dora"]["deploys_per_week"] = {"value": 3, "observd": "2026-11-20"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


def test_importers_say_where_the_facts_come_from(tmp_path: Path) -> None:
    plan = Path(__file__).parent.parent.parent / "shared" / "realworld" / "tfplan"
    plans = sorted(plan.glob("*.json")) if plan.is_dir() else []
    stamped = next((path for path in plans if '"timestamp"' in path.read_text(encoding="utf-8")), None)
    if stamped is None:
        pytest.skip("no Terraform plan with a timestamp at hand")
    result = CliRunner().invoke(cli.main, ["import", "terraform-plan", str(stamped)])
    assert "    source: terraform-plan\n    observed: 20" in result.stdout
    given = CliRunner().invoke(
        cli.main, ["import", "terraform-plan", "--observed", "2026-11-02", str(stamped)]
    )
    assert "    observed: 2026-11-02\n" in given.stdout and "&id" not in given.stdout


@settings(max_examples=60, deadline=None)
@given(
    age=st.integers(min_value=-30, max_value=400),
    fresh=st.integers(min_value=1, max_value=365),
)
def test_stale_exactly_when_older_than_fresh_for(age: int, fresh: int) -> None:
    observed = dt.date(2026, 1, 1)
    evidence = Evidence(observed, "x", float(fresh), f"{fresh} days")
    today = observed + dt.timedelta(days=age)
    assert evidence.stale_on(today) is (age > fresh)
    assert evidence.age_on(today) == age


SCALEUP = Path(__file__).parent.parent / "examples" / "scaleup"


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ("eval dora.change_failure_rate<=0.15 -s k8s-platform examples/scaleup --as-of 2026-11-26", 0),
        ("eval dora.change_failure_rate<=0.15 -s k8s-platform examples/scaleup --as-of 2027-02-15", 0),
        ("check examples/scaleup --as-of 2027-02-15 --no-trace -s k8s-platform", 3),
    ],
)
def test_governance_docs_show_real_output(command: str, code: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from support import docs_sample

    monkeypatch.chdir(SCALEUP.parent.parent)
    sample = docs_sample("governance.md", command)
    result = CliRunner().invoke(cli.main, command.split())
    assert (result.exit_code, result.stdout) == (code, sample)


def test_the_scaleup_says_where_its_dora_keys_come_from() -> None:
    project = load_project(SCALEUP, cache=False)
    platform = project.portfolio.by_name["k8s-platform"]
    assert platform.evidence["dora.change_failure_rate"] == Evidence(
        dt.date(2026, 11, 2), "dora-exporter", 90.0, "90 days"
    )
    erp = project.portfolio.by_name["erp"]  # a survey without a date: freshness cannot be judged
    assert erp.evidence["dora.change_failure_rate"].observed is None
    later = {s.subject: s for s in evaluate_project(project, as_of=dt.date(2027, 2, 15)).subjects}
    assert later["k8s-platform"].verdict is Verdict.NOT_YET
    assert {m.stale for m in later["k8s-platform"].missing} == {
        "observed 2026-11-02 by dora-exporter, older than 90 days"
    }


def test_a_zero_freshness_is_refused(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.policy").write_text(
        "schema { x: number fresh for 0 days }\n", encoding="utf-8"
    )
    [error] = [d for d in validate(tmp_path) if d.is_error]
    assert error.code == "DL-CHECK-SCHEMA" and "must be longer than zero" in error.message
    assert (error.span.line, error.span.column) == (1, 20)


def test_strict_makes_a_stale_fact_an_error_where_it_is_written(repo: Path) -> None:
    result = _run("check", str(repo), "--as-of", "2026-11-26", "--strict")
    assert result.exit_code == 2
    assert (
        "services/a.yaml:8:28: error[DL-EVAL-MISSING]: stale information: dora.change_failure_rate "
        "(observed 2026-05-01 by dora-exporter, older than 90 days) needed by rule `delivery.risky` "
        "for `alpha`"
    ) in result.output
    assert "help: observe `dora.change_failure_rate` of `alpha` again" in result.output


def test_policy_tests_read_evidence_in_their_subjects(repo: Path) -> None:
    (repo / "policies" / "tests").mkdir()
    (repo / "policies" / "tests" / "p.test.yaml").write_text(
        "as_of: 2026-11-26\n"
        "cases:\n"
        "  - name: a stale rate waits\n"
        "    subjects:\n"
        "      - name: s\n"
        "        dora: {observed: 2026-01-01, change_failure_rate: 0.01, deploys_per_week: 3}\n"
        "    expect: {verdict: not-yet}\n"
        "  - name: a fresh one goes\n"
        "    subjects:\n"
        "      - name: s\n"
        "        dora: {observed: 2026-11-01, change_failure_rate: 0.01, deploys_per_week: 3}\n"
        "    expect: {verdict: go}\n",
        encoding="utf-8",
    )
    result = _run("test", str(repo))
    assert result.exit_code == 0, result.output


def test_the_latest_observation_of_one_fact_counts_and_a_stale_one_is_updated_where_written(
    tmp_path: Path,
) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "services").mkdir()
    (tmp_path / "policies" / "p.policy").write_text(
        'schema { risk: integer 0..10 fresh for 30 days }\npolicy p { go low when risk < 5 because "low" }\n',
        encoding="utf-8",
    )
    (tmp_path / "services" / "s.yaml").write_text(
        "services:\n"
        "  - {name: a, risk: {value: 2, observed: 2026-01-01}}\n"
        "  - {name: b, risk: {value: 2, observed: 2026-11-20}}\n"
        "  - {name: c, risk: {value: 2, observed: 2026-01-01}}\n",
        encoding="utf-8",
    )
    (tmp_path / "services" / "z.overlay.yaml").write_text(
        "overlays:\n"
        "  - {name: a, risk: {value: 2, observed: 2026-11-20}}\n"
        "  - {name: b, risk: {value: 2, observed: 2026-01-01}}\n"
        "  - {name: c, owner: team-c}\n",
        encoding="utf-8",
    )
    report = check(tmp_path, as_of=TODAY)
    verdicts = {subject.subject: subject.verdict for subject in report.subjects}
    assert verdicts == {"a": Verdict.GO, "b": Verdict.GO, "c": Verdict.NOT_YET}
    [stale] = next(subject for subject in report.subjects if subject.subject == "c").missing
    assert stale.file == "services/s.yaml"  # where it is written, not the overlay it would be added to


def test_dotted_evidence_keys_are_the_blocks(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "services").mkdir()
    (tmp_path / "policies" / "p.policy").write_text(
        "schema { dora.cfr: number 0..1 fresh for 30 days }\n"
        'policy p { go ok when dora.cfr < 0.2 because "ok" }\n',
        encoding="utf-8",
    )
    (tmp_path / "services" / "s.yaml").write_text(
        "services:\n  - {name: a, dora.observed: 2026-01-01, dora.cfr: 0.1}\n", encoding="utf-8"
    )
    [subject] = check(tmp_path, as_of=TODAY).subjects
    assert subject.verdict is Verdict.NOT_YET and subject.missing[0].stale is not None


def test_built_in_fields_cannot_be_fresh_for(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.policy").write_text(
        "schema { tags: list of text fresh for 10 days }\n", encoding="utf-8"
    )
    [error] = [d for d in validate(tmp_path) if d.is_error]
    assert error.code == "DL-CHECK-SCHEMA" and "`tags` is built in" in error.message

"""Renderers: text, explain and JSON against golden files; JSON against its schema; determinism.

Set DECISIONLANG_UPDATE_GOLDEN=1 to rewrite the golden files instead of comparing with them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisionlang.core.diagnostics import Diagnostic, Severity
from decisionlang.core.model import (
    Comparison,
    Enforcement,
    Fact,
    Location,
    MaturityTrace,
    MissingInformation,
    Outcome,
    PolicyResult,
    Report,
    RequirementTrace,
    RuleKind,
    RuleTrace,
    ScoreTerm,
    ScoreTrace,
    SubjectResult,
    TradeoffTrace,
    Verdict,
    Warning,
)
from decisionlang.core.spans import SourceFile, point
from decisionlang.core.subjects import Duration
from decisionlang.render import render_explain, render_json, render_text, report_to_dict
from decisionlang.render.text import format_comparison, paint

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "render"
SCHEMA = json.loads((ROOT / "schemas" / "report-v3.schema.json").read_text(encoding="utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")

UPDATE = os.environ.get("DECISIONLANG_UPDATE_GOLDEN") == "1"


def check_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(actual)
        return
    assert path.exists(), f"missing golden file {path}; run with DECISIONLANG_UPDATE_GOLDEN=1"
    with path.open(encoding="utf-8", newline="") as handle:
        expected = handle.read()
    assert actual == expected, f"{name} differs from its golden file; run with DECISIONLANG_UPDATE_GOLDEN=1"


def validate(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    VALIDATOR.validate(data)
    return data


# ---------------------------------------------------------------- fixtures


def loc(file: str, line: int | None = None, column: int | None = None) -> Location:
    return Location(file, line, column)


SECURITY_DL = "policies/security.dl"
COST_DL = "policies/coût.dl"
READINESS_DL = "policies/readiness.dl"
READINESS_SOURCE = SourceFile(
    READINESS_DL,
    'policy readiness "Prêt pour la production" {\n'
    "  enforcement hard\n"
    '  no_go mismatch when criticité > 3 because "criticité is too high"\n'
    "}\n",
)


def payments_api() -> SubjectResult:
    """NO-GO from a hard policy, NOT YET from a soft one, a score and an advisory warning."""
    critical = RuleTrace(
        rule="security.critical_risk",
        kind=RuleKind.NO_GO,
        outcome=Outcome.FIRED,
        message="the security risk score 9 is at or above the limit of 8",
        until="the security risk score is below 8",
        location=loc(SECURITY_DL, 4, 3),
        facts=(Fact("payments-api", "risk.security", 9, loc("services/payments.yaml", 7, 5)),),
        comparisons=(Comparison("risk.security >= 8", 9, ">=", 8, True, 1.0, loc(SECURITY_DL, 4, 22)),),
        decisive=True,
    )
    pentest = RuleTrace(
        rule="security.pentest",
        kind=RuleKind.NOT_YET,
        outcome=Outcome.NOT_FIRED,
        message=None,
        until="a penetration test is done",
        location=loc(SECURITY_DL, 6, 3),
        facts=(Fact("payments-api", "pentest.last", "2026-03-01", loc("services/payments.yaml", 9, 5)),),
        comparisons=(
            Comparison(
                "pentest.last < today - 365 days",
                "2026-03-01",
                "<",
                "2025-11-26",
                False,
                None,
                loc(SECURITY_DL, 6, 25),
            ),
        ),
    )
    security = PolicyResult(
        "security",
        "Security baseline",
        Enforcement.HARD,
        Verdict.NO_GO,
        loc(SECURITY_DL, 1, 1),
        (critical, pentest),
    )
    budget = RuleTrace(
        rule="coût.budget",
        kind=RuleKind.NOT_YET,
        outcome=Outcome.FIRED,
        message="the monthly cost of 12 000 € is over the budget of 10 000 €",
        until="the monthly cost is at most 10 000 €",
        location=loc(COST_DL, 5, 3),
        facts=(
            Fact("payments-api", "cost.monthly", 12000, loc("services/payments.yaml", 11, 5)),
            Fact("payments-api", "cost.currency", "€", loc("services/payments.yaml", 12, 5)),
        ),
        comparisons=(
            Comparison(
                "cost.monthly > budget.monthly",
                12000,
                ">",
                10000,
                True,
                2000.0000000001,
                loc(COST_DL, 5, 20),
            ),
            Comparison(
                "value_for_money < 7",
                6.533333333333333,
                "<",
                7,
                True,
                0.46666666666666634,
                loc(COST_DL, 6, 20),
            ),
        ),
        scores=(
            ScoreTrace(
                criteria="value_for_money",
                title="Value for money",
                total=6.533333333333333,
                normalized_to=10.0,
                terms=(
                    ScoreTerm("business.value", 8, 0.8, 3.0, 2.4000000000000004),
                    ScoreTerm("cost.monthly", 12000, 0.4, 2.0, 0.8),
                    ScoreTerm("team.skills", None, None, 1.0, None),
                ),
            ),
        ),
        decisive=True,
    )
    cost = PolicyResult(
        "coût", "Coût maîtrisé", Enforcement.SOFT, Verdict.NOT_YET, loc(COST_DL, 1, 1), (budget,)
    )
    oncall = RuleTrace(
        rule="ops.warn#1",
        kind=RuleKind.WARN,
        outcome=Outcome.FIRED,
        message="no on-call rotation is declared",
        until=None,
        location=loc("policies/ops.dl", 3, 3),
        facts=(Fact("payments-api", "ops.oncall", None, loc("services/payments.yaml", 2, 1), missing=True),),
        decisive=False,
    )
    ops = PolicyResult("ops", None, Enforcement.ADVISORY, Verdict.GO, loc("policies/ops.dl", 1, 1), (oncall,))
    return SubjectResult(
        subject="payments-api",
        kind="service",
        verdict=Verdict.NO_GO,
        location=loc("services/payments.yaml", 2, 1),
        policies=(security, cost, ops),
        warnings=(
            Warning("ops", "ops.warn#1", "no on-call rotation is declared", loc("policies/ops.dl", 3, 3)),
        ),
        missing=(),
    )


def data_lake() -> SubjectResult:
    """NOT YET: missing information, a maturity gap, an evaluation error and a trade-off."""
    criticite = RuleTrace(
        rule="readiness.criticité",
        kind=RuleKind.NOT_YET,
        outcome=Outcome.UNKNOWN,
        message=None,
        until=None,
        location=loc(READINESS_DL, 3, 3),
        facts=(Fact("data-lake", "criticité", None, loc("initiatives/data-lake.yaml", 1, 1), missing=True),),
        comparisons=(Comparison("criticité > 3", None, ">", 3, None, None, loc(READINESS_DL, 3, 30)),),
        decisive=True,
    )
    maturity = RuleTrace(
        rule="readiness.ops_maturity",
        kind=RuleKind.NOT_YET,
        outcome=Outcome.FIRED,
        message="operational maturity is below managed",
        until="operational maturity reaches managed",
        location=loc(READINESS_DL, 5, 3),
        maturities=(
            MaturityTrace(
                maturity="ops",
                title="Operational maturity",
                level="basic",
                rank=1,
                next_level="managed",
                missing=(
                    RequirementTrace("runbook", "managed", False, "a runbook is written"),
                    RequirementTrace("oncall", "managed", None, None),
                ),
            ),
        ),
        decisive=True,
    )
    speed = RuleTrace(
        rule="readiness.speed",
        kind=RuleKind.NO_GO,
        outcome=Outcome.NOT_FIRED,
        message="delivery speed outweighs safety too much",
        until=None,
        location=loc(READINESS_DL, 7, 3),
        tradeoffs=(
            TradeoffTrace("speed_vs_safety", "Speed versus safety", "speed", 8, "safety", 6, True, 0.5),
        ),
    )
    error = Diagnostic(
        code="E0412",
        message="cannot compare text with a number",
        span=point(READINESS_SOURCE, 3, 20, 12),
        help="declare `criticité` as a number in the schema",
    )
    broken = RuleTrace(
        rule="readiness.mismatch",
        kind=RuleKind.NO_GO,
        outcome=Outcome.ERROR,
        message=None,
        until=None,
        location=loc(READINESS_DL, 3, 3),
        error=error,
        decisive=True,
    )
    readiness = PolicyResult(
        "readiness",
        "Prêt pour la production",
        Enforcement.HARD,
        Verdict.NOT_YET,
        loc(READINESS_DL, 1, 1),
        (criticite, maturity, speed, broken),
    )
    return SubjectResult(
        subject="data-lake",
        kind="initiative",
        verdict=Verdict.NOT_YET,
        location=loc("initiatives/data-lake.yaml", 1, 1),
        policies=(readiness,),
        warnings=(),
        missing=(
            MissingInformation(
                "criticité", "data-lake", "initiatives/data-lake.yaml", "readiness", "readiness.criticité"
            ),
        ),
    )


def legacy_crm() -> SubjectResult:
    """NO-GO from an `otherwise` fallback, reading a dependency's field."""
    go_rule = RuleTrace(
        rule="migration.go#1",
        kind=RuleKind.GO,
        outcome=Outcome.NOT_FIRED,
        message=None,
        until=None,
        location=loc("policies/migration.dl", 3, 3),
        facts=(
            Fact("legacy-crm", "migration.plan", False, loc("services/crm.yaml", 6, 3)),
            Fact("payments-api", "tier", "critical", loc("services/payments.yaml", 3, 7)),
        ),
        comparisons=(
            Comparison(
                "migration.plan == true", False, "==", True, False, None, loc("policies/migration.dl", 3, 11)
            ),
        ),
    )
    fallback = RuleTrace(
        rule="migration.otherwise",
        kind=RuleKind.OTHERWISE,
        outcome=Outcome.APPLIED,
        message="there is no approved migration plan",
        until=None,
        location=loc("policies/migration.dl", 4, 3),
        decisive=True,
    )
    migration = PolicyResult(
        "migration",
        None,
        Enforcement.HARD,
        Verdict.NO_GO,
        loc("policies/migration.dl", 1, 1),
        (go_rule, fallback),
    )
    return SubjectResult(
        subject="legacy-crm",
        kind="service",
        verdict=Verdict.NO_GO,
        location=loc("services/crm.yaml", 1, 1),
        policies=(migration,),
        warnings=(),
        missing=(),
    )


def website() -> SubjectResult:
    """GO, with a warning."""
    rule = RuleTrace(
        rule="security.critical_risk",
        kind=RuleKind.NO_GO,
        outcome=Outcome.NOT_FIRED,
        message=None,
        until="the security risk score is below 8",
        location=loc(SECURITY_DL, 4, 3),
        facts=(Fact("website", "risk.security", 2.5, loc("services/website.yaml", 5, 5)),),
        comparisons=(Comparison("risk.security >= 8", 2.5, ">=", 8, False, -5.5, loc(SECURITY_DL, 4, 22)),),
    )
    cert = RuleTrace(
        rule="security.certificate",
        kind=RuleKind.WARN,
        outcome=Outcome.FIRED,
        message="the TLS certificate expires in 20 days",
        until=None,
        location=loc(SECURITY_DL, 8, 3),
        facts=(Fact("website", "tls.expires", Duration(20), loc("services/website.yaml", 8, 5)),),
    )
    security = PolicyResult(
        "security", "Security baseline", Enforcement.HARD, Verdict.GO, loc(SECURITY_DL, 1, 1), (rule, cert)
    )
    return SubjectResult(
        subject="website",
        kind="service",
        verdict=Verdict.GO,
        location=loc("services/website.yaml", 1, 1),
        policies=(security,),
        warnings=(
            Warning(
                "security",
                "security.certificate",
                "the TLS certificate expires in 20 days",
                loc(SECURITY_DL, 8, 3),
            ),
        ),
        missing=(),
    )


def full_report() -> Report:
    subjects = (payments_api(), data_lake(), legacy_crm(), website())
    diagnostics = (
        Diagnostic(
            code="W0201",
            message="field `owner` is not declared in any schema",
            severity=Severity.WARNING,
            file="services/website.yaml",
        ),
        Diagnostic(
            code="E0412",
            message="cannot compare text with a number",
            span=point(READINESS_SOURCE, 3, 20, 12),
            help="declare `criticité` as a number in the schema",
        ),
    )
    return Report(
        verdict=Verdict.worst([subject.verdict for subject in subjects]),
        subjects=subjects,
        diagnostics=diagnostics,
        as_of=dt.date(2026, 11, 26),
    )


def go_report() -> Report:
    return Report(verdict=Verdict.GO, subjects=(website(),))


def three_verdicts_report() -> Report:
    subjects = (website(), data_lake(), payments_api())
    return Report(verdict=Verdict.NO_GO, subjects=subjects, as_of=dt.date(2026, 1, 2))


REPORTS = {"full": full_report, "go": go_report, "three": three_verdicts_report}
SUBJECTS = {
    "payments-api": payments_api,
    "data-lake": data_lake,
    "legacy-crm": legacy_crm,
    "website": website,
}


# ---------------------------------------------------------------- golden files


@pytest.mark.parametrize("name", sorted(REPORTS))
@pytest.mark.parametrize("color", [False, True], ids=["plain", "color"])
def test_text_golden(name: str, color: bool) -> None:
    suffix = ".color" if color else ""
    check_golden(f"check-{name}{suffix}.txt", render_text(REPORTS[name](), color=color))


@pytest.mark.parametrize("name", sorted(SUBJECTS))
def test_explain_golden(name: str) -> None:
    check_golden(f"explain-{name}.txt", render_explain(SUBJECTS[name](), color=False))


def test_explain_color_golden() -> None:
    check_golden("explain-data-lake.color.txt", render_explain(data_lake(), color=True))


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_json_golden(name: str) -> None:
    text = render_json(REPORTS[name]())
    validate(text)
    check_golden(f"report-{name}.json", text)


# ---------------------------------------------------------------- JSON


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_json_is_one_sorted_object_with_trailing_newline(name: str) -> None:
    text = render_json(REPORTS[name]())
    assert text.endswith("}\n") and not text.endswith("\n\n")
    data = json.loads(text)
    lines = text.splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    assert lines[1:-1] == [line for line in lines[1:-1] if not line.startswith(" ")]  # no indentation
    keys = [line.split('":', 1)[0].strip('"') for line in lines[1:-1] if line.startswith('"')]
    order = ["schema", "as_of", "services", "diagnostics", "summary", "verdict"]
    assert keys == [key for key in order if key in data]  # each top-level key on its own line, in order
    subjects = lines[lines.index('"services":[') + 1 :][: len(data["services"])]
    assert [json.loads(line.rstrip(","))["service"] for line in subjects] == [
        subject["service"] for subject in data["services"]
    ]  # one subject per line
    lists = [value for value in data.values() if isinstance(value, list) and value]
    assert text.count("\n") == 2 + len(data) + sum(len(value) + 1 for value in lists)
    assert data["schema"] == "decisionlang/report/v3"


def test_json_content() -> None:
    data = validate(render_json(full_report()))
    assert data["as_of"] == "2026-11-26"
    assert data["verdict"] == "no-go"
    assert data["summary"] == {"go": 1, "no-go": 2, "not-yet": 1}
    assert [service["service"] for service in data["services"]] == [
        "payments-api",
        "data-lake",
        "legacy-crm",
        "website",
    ]
    payments = data["services"][0]
    assert payments["kind"] == "service"
    assert payments["files"][0] == "services/payments.yaml"  # the files its locations name, once
    assert payments["location"] == [0, 2, 1]
    security = payments["policies"][0]
    assert security["reasons"] == ["security.critical_risk"]
    assert [rule["rule"] for rule in security["rules"]] == ["security.critical_risk", "security.pentest"]
    assert [rule.get("decisive", False) for rule in security["rules"]] == [True, False]
    assert security["rules"][0]["facts"] == [0]  # a position in the subject's facts
    assert payments["facts"][0] == {  # its own fact: no `subject`
        "field": "risk.security",
        "value": 9,
        "location": [0, 7, 5],
    }
    assert payments["must_hold"] == [
        "the security risk score is below 8",
        "the monthly cost is at most 10 000 €",
    ]
    assert payments["warnings"][0]["message"] == "no on-call rotation is declared"
    budget = payments["policies"][1]["rules"][0]
    assert budget["comparisons"][0]["margin"] == 2000.0
    assert budget["scores"][0]["terms"][0]["contribution"] == 2.4
    assert budget["scores"][0]["total"] == 6.53333333
    lake = data["services"][1]
    assert lake["missing"] == [
        {
            "field": "criticité",
            "subject": "data-lake",
            "file": "initiatives/data-lake.yaml",
            "policy": "readiness",
            "rule": "readiness.criticité",
        }
    ]
    error = lake["policies"][0]["rules"][3]["error"]
    assert error["code"] == "E0412"
    assert error["span"] == {"file": READINESS_DL, "line": 3, "column": 20, "end_line": 3, "end_column": 32}
    assert data["diagnostics"][0] == {
        "code": "W0201",
        "message": "field `owner` is not declared in any schema",
        "severity": "warning",
        "file": "services/website.yaml",
    }
    website = data["services"][3]
    website_fact = website["facts"][website["policies"][0]["rules"][1]["facts"][0]]
    assert website_fact["value"] == "20 days"


def test_json_keeps_unicode_unescaped() -> None:
    text = render_json(full_report())
    assert "criticité" in text and "12 000 €" in text and "\\u" not in text


def test_report_to_dict_is_plain_json_data() -> None:
    data = report_to_dict(full_report())
    assert json.loads(json.dumps(data)) == data


def test_schema_rejects_bad_reports() -> None:
    data = report_to_dict(full_report())
    VALIDATOR.validate(data)
    bad_verdict = json.loads(json.dumps(data))
    bad_verdict["services"][0]["verdict"] = "maybe"
    extra_key = json.loads(json.dumps(data))
    extra_key["services"][0]["policies"][0]["rules"][0]["extra"] = 1
    bad_outcome = json.loads(json.dumps(data))
    bad_outcome["services"][0]["policies"][0]["rules"][0]["outcome"] = "maybe"
    missing_summary = json.loads(json.dumps(data))
    del missing_summary["summary"]["not-yet"]
    for bad in (bad_verdict, extra_key, bad_outcome, missing_summary):
        assert not VALIDATOR.is_valid(bad)


# ---------------------------------------------------------------- text


def test_text_plain_has_no_ansi_and_color_only_adds_ansi() -> None:
    report = full_report()
    plain = render_text(report, color=False)
    colored = render_text(report, color=True)
    assert "\x1b" not in plain
    assert "\x1b[1;31m" in colored and "\x1b[1;33m" in colored and "\x1b[1;32m" in colored
    assert ANSI.sub("", colored) == plain


def test_text_headlines_and_summary() -> None:
    text = render_text(three_verdicts_report(), color=False)
    lines = text.splitlines()
    assert lines[0] == "✓ GO       website (service)  services/website.yaml:1"
    assert "… NOT YET  data-lake (initiative)  initiatives/data-lake.yaml:1" in lines
    assert "✗ NO-GO    payments-api (service)  services/payments.yaml:2" in lines
    assert lines[-1] == "3 subjects: 1 GO, 1 NOT YET, 1 NO-GO — overall NO-GO"


def test_text_shows_reasons_facts_comparisons_and_until() -> None:
    text = render_text(full_report(), color=False)
    assert 'blocked by policy security "Security baseline" (hard enforcement): NO-GO' in text
    assert "because   the security risk score 9 is at or above the limit of 8" in text
    assert "read      risk.security = 9  (services/payments.yaml:7:5)" in text
    assert "check     risk.security = 9 >= 8  (holds, margin +1)" in text
    assert "until     the security risk score is below 8" in text
    assert "cost.monthly = 12000 > budget.monthly (10000)  (holds, margin +2000)" in text
    assert "missing information: criticité — add it to initiatives/data-lake.yaml" in text
    assert "warning: no on-call rotation is declared" in text
    assert "there is no approved migration plan" in text
    assert "tier of payments-api = critical" in render_explain(legacy_crm(), color=False)
    # rules that did not decide are not in the check output
    assert "security.pentest" not in text
    # diagnostics come last, rendered by diagnostics.render_text
    assert "policies/readiness.dl:3:20: error[E0412]: cannot compare text with a number" in text
    assert "services/website.yaml: warning[W0201]" in text


def test_text_go_subject_is_headline_plus_warnings() -> None:
    text = render_text(go_report(), color=False)
    assert text == (
        "✓ GO       website (service)  services/website.yaml:1\n"
        "    warning: the TLS certificate expires in 20 days"
        "  [security.certificate, policies/security.dl:8:3]\n"
        "\n"
        "1 subject: 1 GO, 0 NOT YET, 0 NO-GO — overall GO\n"
    )


def test_text_empty_report() -> None:
    assert (
        render_text(Report(Verdict.GO, ()), color=False)
        == "0 subjects: 0 GO, 0 NOT YET, 0 NO-GO — overall GO\n"
    )


# ---------------------------------------------------------------- explain


def test_explain_outcomes_in_words() -> None:
    text = render_explain(data_lake(), color=False)
    assert "could not be decided: missing information" in text
    assert "evaluation problem: cannot compare text with a number" in text
    assert "did not fire" in text
    assert "fired — this decided the policy's verdict" in text
    assert "to reach managed, still missing:" in text
    assert "speed = 8" in text and "acceptable (margin +0.5 to the zone's edge)" in text
    assert text.rstrip().endswith("2. missing information: criticité (initiatives/data-lake.yaml)")


def test_explain_score_breakdown() -> None:
    text = render_explain(payments_api(), color=False)
    assert 'score value_for_money "Value for money": 6.533 out of 10' in text
    assert re.search(r"business\.value\s+8\s+0\.8\s+3\s+2\.4\n", text)
    assert re.search(r"team\.skills\s+missing\s+-\s+1\s+-\n", text)
    assert re.search(r"total\s+6\.533\n", text)


def test_explain_go_subject() -> None:
    text = render_explain(website(), color=False)
    assert "website is GO: every policy that applies to it allows it to go ahead." in text
    assert "There is 1 warning to consider" in text
    assert "Nothing: it is already GO." in text
    assert "Why:" not in text


def test_explain_color_only_adds_ansi() -> None:
    for make in SUBJECTS.values():
        subject = make()
        plain = render_explain(subject, color=False)
        assert "\x1b" not in plain
        assert ANSI.sub("", render_explain(subject, color=True)) == plain


# ---------------------------------------------------------------- helpers


def test_format_comparison_shapes() -> None:
    here = loc("p.dl", 1, 1)
    assert (
        format_comparison(Comparison("a >= 8", 9, ">=", 8, True, 1, here)) == "a = 9 >= 8  (holds, margin +1)"
    )
    assert (
        format_comparison(Comparison('tier == "gold"', "silver", "==", "gold", False, None, here))
        == 'tier = silver == "gold"  (does not hold)'
    )
    assert format_comparison(
        Comparison("runbook is present", None, "is present", None, False, None, here)
    ) == ("runbook = unknown is present  (does not hold)")
    assert format_comparison(Comparison("f(x)", 1, "<", 2, None, None, here)) == "f(x): 1 < 2  (unknown)"


def test_paint() -> None:
    assert paint("x", "red", color=False) == "x"
    assert paint("x", "bold", "red", color=True) == "\x1b[1;31mx\x1b[0m"
    assert paint("", "red", color=True) == ""


# ---------------------------------------------------------------- determinism and robustness


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_rendering_is_deterministic(name: str) -> None:
    first, second = REPORTS[name](), REPORTS[name]()
    assert render_json(first).encode() == render_json(second).encode()
    assert render_json(first) == render_json(first)
    for color in (False, True):
        assert render_text(first, color=color).encode() == render_text(second, color=color).encode()
    for one, two in zip(first.subjects, second.subjects, strict=True):
        assert render_explain(one, color=False) == render_explain(two, color=False)


names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12)
maybe_names = st.none() | names
numbers = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**6), 10**6)
maybe_numbers = st.none() | numbers
scalars = st.none() | st.booleans() | numbers | names | st.dates().map(dt.date.isoformat)
values = scalars | st.lists(scalars, max_size=3)
locations = st.builds(Location, names, st.none() | st.integers(1, 500), st.none() | st.integers(1, 120))
verdicts = st.sampled_from(Verdict)
diagnostics_ = st.builds(
    Diagnostic,
    code=names,
    message=names,
    span=st.none(),
    help=maybe_names,
    severity=st.sampled_from([Severity.ERROR, Severity.WARNING]),  # a report carries no info (lint only)
    file=maybe_names,
)
rules = st.builds(
    RuleTrace,
    rule=names,
    kind=st.sampled_from([RuleKind.NO_GO, RuleKind.NOT_YET, RuleKind.GO, RuleKind.WARN, RuleKind.OTHERWISE]),
    outcome=st.sampled_from(Outcome),
    message=maybe_names,
    until=maybe_names,
    location=locations,
    facts=st.lists(st.builds(Fact, names, names, values, locations, st.booleans()), max_size=2).map(tuple),
    comparisons=st.lists(
        st.builds(
            Comparison,
            names,
            values,
            st.sampled_from(["<", ">=", "=="]),
            values,
            st.none() | st.booleans(),
            maybe_numbers,
            locations,
        ),
        max_size=2,
    ).map(tuple),
    scores=st.lists(
        st.builds(
            ScoreTrace,
            names,
            maybe_names,
            maybe_numbers,
            st.lists(
                st.builds(ScoreTerm, names, values, maybe_numbers, numbers, maybe_numbers), max_size=2
            ).map(tuple),
            maybe_numbers,
        ),
        max_size=1,
    ).map(tuple),
    tradeoffs=st.lists(
        st.builds(
            TradeoffTrace,
            names,
            maybe_names,
            names,
            values,
            names,
            values,
            st.none() | st.booleans(),
            maybe_numbers,
        ),
        max_size=1,
    ).map(tuple),
    maturities=st.lists(
        st.builds(
            MaturityTrace,
            names,
            maybe_names,
            maybe_names,
            st.integers(0, 5),
            maybe_names,
            st.lists(
                st.builds(RequirementTrace, names, names, st.none() | st.booleans(), maybe_names), max_size=2
            ).map(tuple),
        ),
        max_size=1,
    ).map(tuple),
    error=st.none() | diagnostics_,
    decisive=st.booleans(),
)
policies = st.builds(
    PolicyResult,
    names,
    maybe_names,
    st.sampled_from(list(Enforcement)),
    verdicts,
    locations,
    st.lists(rules, max_size=3).map(tuple),
)
subjects = st.builds(
    SubjectResult,
    names,
    names,
    verdicts,
    locations,
    st.lists(policies, max_size=2).map(tuple),
    st.lists(st.builds(Warning, names, names, names, locations), max_size=2).map(tuple),
    st.lists(st.builds(MissingInformation, names, names, names, names, names), max_size=2).map(tuple),
)
reports = st.builds(
    Report,
    verdicts,
    st.lists(subjects, max_size=3).map(tuple),
    st.lists(diagnostics_, max_size=2).map(tuple),
    st.none() | st.dates(),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reports)
def test_any_report_renders_valid_deterministic_output(report: Report) -> None:
    text = render_json(report)
    validate(text)
    assert render_json(report) == text
    for color in (False, True):
        rendered = render_text(report, color=color)
        assert rendered.endswith("\n") and rendered == render_text(report, color=color)
    for subject in report.subjects:
        explained = render_explain(subject, color=False)
        assert explained.endswith("\n") and ANSI.sub("", render_explain(subject, color=True)) == explained


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_json_written_one_subject_at_a_time_is_the_same_bytes(name: str) -> None:
    """`JsonWriter` (what `check --format json` streams) writes exactly `render_json`'s text."""
    from decisionlang.render.json import JsonWriter

    report = REPORTS[name]()
    pieces: list[str] = []
    writer = JsonWriter(pieces.append, report.as_of)
    for subject in report.subjects:
        writer.add(subject)
    writer.finish(report.verdict, report.diagnostics)
    assert "".join(pieces) == render_json(report)
    empty: list[str] = []
    JsonWriter(empty.append, None).finish(Verdict.GO, ())
    assert "".join(empty) == render_json(Report(Verdict.GO, ()))

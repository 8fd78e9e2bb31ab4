"""The CI output formats (markdown, SARIF, JUnit, GitHub workflow commands), each read back by its
real consumer's rules: golden files with and without a verdict diff, SARIF against the official
schema, JUnit through junitparser and ElementTree, markdown through a GFM table parser
(markdown-it-py), workflow commands through a parser written from GitHub's documented rules.

The diff is `compare` of two reports evaluated here: no git is involved.
Set DECISIONLANG_UPDATE_GOLDEN=1 (`make golden`) to rewrite the golden files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from junitparser import Failure, JUnitXml, Skipped
from markdown_it import MarkdownIt
from markdown_it.token import Token
from support import check_golden

from decisionlang import __version__, api
from decisionlang.compare.changes import ChangeKind, VerdictDiff, compare
from decisionlang.core.model import (
    AppliedWaiver,
    Enforcement,
    Fact,
    FailOn,
    Location,
    Outcome,
    PolicyResult,
    Report,
    RuleKind,
    RuleTrace,
    SubjectResult,
    Verdict,
    Warning,
)
from decisionlang.core.views import Finding, findings
from decisionlang.render.github import annotation, escape_data, escape_property, render_github
from decisionlang.render.gitlab import render_gitlab
from decisionlang.render.junit import render_junit, xml_text
from decisionlang.render.markdown import MARKER, MAX_CHARS, html_text, md_code, md_text, render_markdown
from decisionlang.render.sarif import FINGERPRINT_KEY, render_sarif

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
AS_OF = dt.date(2026, 11, 26)
SARIF_SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "sarif-schema-2.1.0.json").read_text("utf-8"))
SARIF_VALIDATOR = jsonschema.Draft4Validator(SARIF_SCHEMA)
BASE_COMMIT = "0123456789abcdef0123456789abcdef01234567"

Renderer = Callable[..., str]
RENDERERS: dict[str, tuple[Renderer, str]] = {
    "markdown": (render_markdown, "md"),
    "sarif": (render_sarif, "sarif.json"),
    "junit": (render_junit, "junit.xml"),
    "github": (render_github, "github.txt"),
    "gitlab": (render_gitlab, "gitlab.json"),
}


# ---------------------------------------------------------------- reports and a diff


def check(root: Path) -> Report:
    return api.check(root, as_of=AS_OF)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def changed_quickstart(tmp: Path) -> Path:
    """The quickstart after a pull request: website's readability drops (GO -> NOT YET), payments-api's
    change failure rate rises (still NOT YET, one more reason), data-lake is removed, search added."""
    root = tmp / "quickstart"
    shutil.copytree(QUICKSTART, root)
    services = root / "services"
    edit(services / "analytics.yaml", "maturity: { readability: 4 }", "maturity: { readability: 2 }")
    text = (services / "analytics.yaml").read_text("utf-8")
    (services / "analytics.yaml").write_text(text[text.index("name: website") :], "utf-8")
    edit(services / "payments.yaml", "change_failure_rate: 0.08", "change_failure_rate: 0.3")
    (services / "search.yaml").write_text(
        "name: search\nowner: team-web\ncriticality: critical\ntier: 2\nbusiness_value: 5\neffort: 2\n"
        "risk: { security: 9, compliance: 2 }\nmaturity: { readability: 3 }\n"
        "dora: { deploys_per_week: 2, change_failure_rate: 0.1 }\nsupport_ends: 2029-01-31\non_call: true\n",
        "utf-8",
    )
    return root


def build_diff(before: Report, head: Report, base: str = "origin/main") -> VerdictDiff:
    return VerdictDiff(base, BASE_COMMIT, compare(before, head))


@pytest.fixture(scope="module")
def quickstart() -> Report:
    return check(QUICKSTART)


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Report:
    return check(changed_quickstart(tmp_path_factory.mktemp("head")))


@pytest.fixture(scope="module")
def diff(quickstart: Report, changed: Report) -> VerdictDiff:
    return build_diff(quickstart, changed)


def test_the_diff_has_every_kind_of_change(diff: VerdictDiff) -> None:
    kinds = {change.subject: change.kind for change in diff.changes}
    assert kinds == {
        "data-lake": ChangeKind.REMOVED,
        "payments-api": ChangeKind.CHANGED,
        "search": ChangeKind.ADDED,
        "website": ChangeKind.MOVED,
    }
    assert diff.unchanged == 3
    website = next(change for change in diff.changes if change.subject == "website")
    assert (website.before, website.after) == (Verdict.GO, Verdict.NOT_YET)
    assert website.rules_now == ("change_readiness.unmapped",)


# ---------------------------------------------------------------- a report full of hostile text

NASTY = "a|b <i>c</i> `d` ``e`` *f* _g_ [h](i) %0A 100% x:y, z \\ &amp; @team #1"
NASTY_FILE = "services/we ird, file: 100%.yaml"
NASTY_POLICY_FILE = "policies/odd|name <1>.policy"


def loc(file: str, line: int | None = None, column: int | None = None) -> Location:
    return Location(file, line, column)


def hostile_report() -> Report:
    """Names, messages, values and paths with every character a CI format must escape."""
    no_go = RuleTrace(
        rule="odd|policy.`tick`",
        kind=RuleKind.NO_GO,
        outcome=Outcome.FIRED,
        message=f"first line\r\nsecond line\rthird\nfourth: {NASTY}",
        until="until <b>%25</b>, then: done,",
        location=loc(NASTY_POLICY_FILE, 3, 3),
        facts=(
            Fact("svc|`x`", "risk.security", "9 | <9> `9`", loc(NASTY_FILE, 7, 5)),
            Fact("dep,endency", "tier", 2, loc("services/dep.yaml", 3, 1)),
        ),
        decisive=True,
    )
    unknown = RuleTrace(
        rule="odd|policy.missing",
        kind=RuleKind.NOT_YET,
        outcome=Outcome.UNKNOWN,
        message="missing information: ops.owner",
        until=None,
        location=loc(NASTY_POLICY_FILE, 5, 3),
        facts=(Fact("svc|`x`", "ops.owner", None, loc(NASTY_FILE, 1, 1), missing=True),),
        decisive=True,
    )
    warn = RuleTrace(
        rule="advice.warn#1",
        kind=RuleKind.WARN,
        outcome=Outcome.FIRED,
        message="control \x1b[31m red \x00 nul \x7f del \x0c form feed",
        until=None,
        location=loc("policies/advice.policy", 2, 3),
        decisive=False,
    )
    hard = PolicyResult(
        "odd|policy",
        'Title "quoted" <&>',
        Enforcement.HARD,
        Verdict.NO_GO,
        loc(NASTY_POLICY_FILE, 1, 1),
        (no_go,),
    )
    soft = PolicyResult(
        "soft", None, Enforcement.SOFT, Verdict.NOT_YET, loc(NASTY_POLICY_FILE, 1, 1), (unknown,)
    )
    advice = PolicyResult(
        "advice", None, Enforcement.ADVISORY, Verdict.GO, loc("policies/advice.policy", 1, 1), (warn,)
    )
    subject = SubjectResult(
        subject="svc|`x`",
        kind="service <web>",
        verdict=Verdict.NO_GO,
        location=loc(NASTY_FILE, 1, 1),
        policies=(hard, soft, advice),
        warnings=(Warning("advice", "advice.warn#1", warn.message or "", warn.location),),
        missing=(),
    )
    plain = SubjectResult(
        "# heading? - list? 1. item?", "service", Verdict.GO, loc("services/ok.yaml", 1, 1), (), (), ()
    )
    return Report(Verdict.NO_GO, (subject, plain), (), AS_OF)


WAIVER = AppliedWaiver(
    id="W-2026-040",
    expires=dt.date(2027, 3, 31),
    owner="team-payments",
    approver="architecture board",
    rationale="the fax gateway is retired in Q1; moving it to tier 1 now is wasted work",
    compensating_measure="daily reconciliation of fax-gateway traffic",
    location=Location("waivers/payments.yaml", 4, 5),
)


def waived(report: Report) -> Report:
    """The quickstart as if payments-api's policy were soft and a waiver lifted its NOT YET, as the
    evaluator records it: verdict GO, the lifted rules kept as the policy's reasons."""
    subjects = []
    for subject in report.subjects:
        if subject.subject == "payments-api":
            policies = tuple(
                dataclasses.replace(
                    policy,
                    enforcement=Enforcement.SOFT,
                    verdict=Verdict.GO,
                    waived_by=(WAIVER,),
                    unwaived=policy.verdict,
                    waived_rules=tuple(rule.rule for rule in policy.reasons),
                )
                if policy.policy == "change_readiness"
                else policy
                for policy in subject.policies
            )
            subject = dataclasses.replace(subject, verdict=Verdict.GO, policies=policies)
        subjects.append(subject)
    return dataclasses.replace(report, subjects=tuple(subjects))


# ---------------------------------------------------------------- golden files and determinism


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_golden_without_diff(name: str, quickstart: Report) -> None:
    render, extension = RENDERERS[name]
    check_golden(f"ci_formats/quickstart.{extension}", render(quickstart, None, fail_on=FailOn.NO_GO))


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_golden_with_diff(name: str, changed: Report, diff: VerdictDiff) -> None:
    render, extension = RENDERERS[name]
    check_golden(f"ci_formats/quickstart-diff.{extension}", render(changed, diff, fail_on=FailOn.NO_GO))


@pytest.mark.parametrize("name", ["markdown", "junit", "github"])
def test_golden_failing_on_not_yet(name: str, quickstart: Report) -> None:
    render, extension = RENDERERS[name]
    check_golden(
        f"ci_formats/quickstart-not-yet.{extension}", render(quickstart, None, fail_on=FailOn.NOT_YET)
    )


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_golden_hostile_text(name: str) -> None:
    render, extension = RENDERERS[name]
    check_golden(f"ci_formats/hostile.{extension}", render(hostile_report(), None, fail_on=FailOn.NO_GO))


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_golden_with_a_waiver(name: str, quickstart: Report) -> None:
    render, extension = RENDERERS[name]
    head = waived(quickstart)
    check_golden(f"ci_formats/waiver.{extension}", render(head, None, fail_on=FailOn.NO_GO))
    check_golden(
        f"ci_formats/waiver-diff.{extension}",
        render(head, build_diff(quickstart, head), fail_on=FailOn.NO_GO),
    )


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_same_input_same_bytes(name: str, tmp_path: Path) -> None:
    """Two evaluations of the same repos, rendered separately, give identical bytes."""
    render, _ = RENDERERS[name]
    outputs = set()
    for attempt in ["one", "two"]:
        before, head = check(QUICKSTART), check(changed_quickstart(tmp_path / attempt))
        outputs.add(render(head, build_diff(before, head), fail_on=FailOn.NO_GO))
        outputs.add(render(head, build_diff(before, head), fail_on=FailOn.NO_GO))
    assert len(outputs) == 1


def test_an_empty_report_renders() -> None:
    empty = Report(Verdict.GO, ())
    for diff in [None, VerdictDiff("main", BASE_COMMIT, compare(empty, empty))]:
        assert render_markdown(empty, diff, fail_on=FailOn.NO_GO).startswith(
            MARKER + "\n**decisionlang: 🟢 GO** — "
        )
        assert sarif(empty, diff)["runs"][0]["results"] == []
        assert junit_cases(render_junit(empty, diff, fail_on=FailOn.NO_GO)) == {}
        assert render_github(empty, diff, fail_on=FailOn.NO_GO) == ""


# ---------------------------------------------------------------- SARIF


def sarif(report: Report, diff: VerdictDiff | None = None, fail_on: FailOn = FailOn.NO_GO) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(render_sarif(report, diff, fail_on=fail_on))
    SARIF_VALIDATOR.validate(log)
    return log


def test_sarif_validates_against_the_official_schema(
    quickstart: Report, changed: Report, diff: VerdictDiff
) -> None:
    sarif(quickstart)
    sarif(changed, diff)
    sarif(hostile_report())
    sarif(Report(Verdict.GO, ()))


def test_the_schema_fixture_catches_invalid_sarif(quickstart: Report) -> None:
    log = sarif(quickstart)
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        SARIF_VALIDATOR.validate(log)


def test_sarif_tool_and_rules(quickstart: Report) -> None:
    run = sarif(quickstart)["runs"][0]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("decisionlang", __version__)
    assert driver["informationUri"].startswith("https://")
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == sorted(ids) == sorted({finding.rule for finding in findings(quickstart)})
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
    levels = {rule["id"]: rule["defaultConfiguration"]["level"] for rule in driver["rules"]}
    assert levels["change_readiness.unsupported"] == "error"
    assert levels["change_readiness.fragile_dependency"] == "warning"
    assert levels["on_call.no_on_call"] == "note"
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_one_result_per_deciding_rule_per_subject(quickstart: Report) -> None:
    results = sarif(quickstart)["runs"][0]["results"]
    keys = [(result["properties"]["subject"], result["ruleId"], result["level"]) for result in results]
    assert keys == [
        ("data-lake", "change_readiness.worth_it", "warning"),
        ("fax-gateway", "change_readiness.otherwise", "warning"),
        ("legacy-crm", "change_readiness.unsupported", "error"),
        ("legacy-crm", "on_call.no_on_call", "note"),
        ("payments-api", "change_readiness.fragile_dependency", "warning"),
    ]
    crm = results[2]
    assert crm["properties"] == {
        "subject": "legacy-crm",
        "subjectKind": "service",
        "verdict": "no-go",
        "policy": "change_readiness",
        "policyVerdict": "no-go",
        "enforcement": "hard",
        "waived": False,
    }
    primary = crm["locations"][0]["physicalLocation"]
    assert primary["artifactLocation"] == {"uri": "services/crm.yaml", "uriBaseId": "PROJECTROOT"}
    assert primary["region"] == {"startLine": 15, "startColumn": 15}  # support_ends, the deciding fact
    rule = crm["relatedLocations"][0]["physicalLocation"]
    assert rule["artifactLocation"]["uri"] == "policies/production.policy"
    assert rule["region"] == {"startLine": 7, "startColumn": 3}
    assert "vendor support ended on 2025-12-31" in crm["message"]["text"]
    fax = results[1]["locations"][0]["physicalLocation"]  # no fact read: the subject's location
    assert (fax["artifactLocation"]["uri"], fax["region"]["startLine"]) == ("services/payments.yaml", 30)


def test_sarif_fingerprints_survive_moved_lines(quickstart: Report, tmp_path: Path) -> None:
    root = tmp_path / "moved"
    shutil.copytree(QUICKSTART, root)
    for path in [root / "services" / "crm.yaml", root / "policies" / "production.policy"]:
        path.write_text("# a comment\n\n" + path.read_text("utf-8"), "utf-8")

    def prints(report: Report) -> dict[str, tuple[str, int]]:
        return {
            result["partialFingerprints"][FINGERPRINT_KEY]: (
                result["ruleId"],
                result["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for result in sarif(report)["runs"][0]["results"]
        }

    before, after = prints(quickstart), prints(check(root))
    assert before.keys() == after.keys()
    assert len(set(before)) == len(sarif(quickstart)["runs"][0]["results"])
    moved = [key for key in before if before[key] != after[key]]
    assert moved  # the lines did move, the fingerprints did not


def test_sarif_marks_the_baseline_state_in_diff_mode(changed: Report, diff: VerdictDiff) -> None:
    run = sarif(changed, diff)["runs"][0]
    states = {(r["properties"]["subject"], r["ruleId"]): r["baselineState"] for r in run["results"]}
    assert states[("website", "change_readiness.unmapped")] == "new"
    assert states[("payments-api", "change_readiness.unstable")] == "new"
    assert states[("payments-api", "change_readiness.fragile_dependency")] == "unchanged"
    assert states[("legacy-crm", "change_readiness.unsupported")] == "unchanged"
    assert run["properties"]["base"] == "origin/main"
    assert run["properties"]["changedSubjects"] == ["payments-api", "search", "website"]
    assert "baselineState" not in sarif(changed)["runs"][0]["results"][0]


def test_sarif_uris_are_relative_and_encoded() -> None:
    run = sarif(hostile_report())["runs"][0]
    uris = {
        location["physicalLocation"]["artifactLocation"]["uri"]
        for result in run["results"]
        for location in [*result["locations"], *result["relatedLocations"]]
    }
    assert "services/we%20ird%2C%20file%3A%20100%25.yaml" in uris
    assert all(not uri.startswith("/") and " " not in uri for uri in uris)


# ---------------------------------------------------------------- JUnit


def junit_cases(text: str) -> dict[tuple[str, str], str]:
    """(suite, case) -> passed / failure / skipped, read by junitparser, counts checked on the way."""
    xml = JUnitXml.fromstring(text)
    outcomes: dict[tuple[str, str], str] = {}
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for suite in xml:
        counted = {"tests": 0, "failures": 0, "skipped": 0}
        for case in suite:
            counted["tests"] += 1
            result = case.result
            kind = "passed"
            if any(isinstance(item, Failure) for item in result):
                kind = "failure"
            elif any(isinstance(item, Skipped) for item in result):
                kind = "skipped"
            if kind != "passed":
                counted[kind if kind == "skipped" else "failures"] += 1
            assert case.classname == suite.name
            outcomes[(str(suite.name), str(case.name))] = kind
        assert (suite.tests, suite.failures, suite.skipped, suite.errors) == (
            counted["tests"],
            counted["failures"],
            counted["skipped"],
            0,
        )
        for name in totals:
            totals[name] += counted[name]
    assert (xml.tests, xml.failures, xml.skipped, xml.errors) == (
        totals["tests"],
        totals["failures"],
        totals["skipped"],
        0,
    )
    return outcomes


def test_junit_loads_in_junitparser_with_right_counts(quickstart: Report) -> None:
    outcomes = junit_cases(render_junit(quickstart, None, fail_on=FailOn.NO_GO))
    assert outcomes == {
        ("change_readiness", "data-lake"): "skipped",
        ("change_readiness", "fax-gateway"): "skipped",
        ("change_readiness", "ledger-db"): "passed",
        ("change_readiness", "legacy-crm"): "failure",
        ("change_readiness", "payments-api"): "skipped",
        ("change_readiness", "website"): "passed",
        ("on_call", "ledger-db"): "passed",
        ("on_call", "legacy-crm"): "passed",
        ("on_call", "payments-api"): "passed",
        ("on_call", "website"): "passed",
    }


def test_junit_not_yet_fails_under_fail_on_not_yet(quickstart: Report) -> None:
    outcomes = junit_cases(render_junit(quickstart, None, fail_on=FailOn.NOT_YET))
    assert outcomes[("change_readiness", "data-lake")] == "failure"
    assert outcomes[("change_readiness", "legacy-crm")] == "failure"
    assert list(outcomes.values()).count("failure") == 4


def test_junit_failure_carries_message_type_and_trace(quickstart: Report) -> None:
    xml = JUnitXml.fromstring(render_junit(quickstart, None, fail_on=FailOn.NO_GO))
    suite = next(suite for suite in xml if suite.name == "change_readiness")
    case = next(case for case in suite if case.name == "legacy-crm")
    (failure,) = case.result
    assert failure.type == "no-go"
    assert failure.message == (
        "legacy-crm is NO-GO under policy change_readiness: vendor support ended on 2025-12-31"
    )
    assert "support_ends = 2025-12-31  (services/crm.yaml:15:15)" in (failure.text or "")
    assert "until     migrate to a supported version" in (failure.text or "")


def test_junit_is_well_formed_xml_for_elementtree(
    quickstart: Report, changed: Report, diff: VerdictDiff
) -> None:
    for text in [
        render_junit(quickstart, None, fail_on=FailOn.NO_GO),
        render_junit(changed, diff, fail_on=FailOn.NOT_YET),
        render_junit(hostile_report(), None, fail_on=FailOn.NO_GO),
    ]:
        root = ET.fromstring(text.encode("utf-8"))
        assert root.tag == "testsuites"
        cases = root.findall("./testsuite/testcase")
        assert int(root.get("tests", "-1")) == len(cases)
        assert int(root.get("failures", "-1")) == len(root.findall("./testsuite/testcase/failure"))
        assert int(root.get("skipped", "-1")) == len(root.findall("./testsuite/testcase/skipped"))


def test_junit_in_diff_mode_covers_the_changed_subjects(changed: Report, diff: VerdictDiff) -> None:
    text = render_junit(changed, diff, fail_on=FailOn.NO_GO)
    outcomes = junit_cases(text)
    assert {case for _, case in outcomes} == {"payments-api", "search", "website"}
    assert outcomes[("change_readiness", "search")] == "failure"
    assert outcomes[("change_readiness", "website")] == "skipped"
    root = ET.fromstring(text)
    website = root.find("./testsuite[@name='change_readiness']/testcase[@name='website']/system-out")
    assert website is not None and website.text == "at origin/main (0123456789ab): GO"


def test_junit_keeps_hostile_text_readable() -> None:
    xml = JUnitXml.fromstring(render_junit(hostile_report(), None, fail_on=FailOn.NO_GO))
    suite = next(suite for suite in xml if suite.name == "odd|policy")
    (case,) = list(suite)
    assert case.name == "svc|`x`"
    (failure,) = case.result
    assert "a|b <i>c</i> `d`" in (failure.message or "")
    advice = next(suite for suite in xml if suite.name == "advice")
    (case,) = list(advice)
    assert "\\u001b[31m red \\u0000 nul \x7f del \\u000c form feed" in (case.system_out or "")


def test_junit_spells_out_what_xml_cannot_carry() -> None:
    assert (
        xml_text("a\x00b\x1bc\ud800d\ufffee\tf\ng\rh\x7f\r\n")
        == "a\\u0000b\\u001bc\\ud800d\\ufffee\tf\ng\nh\x7f\n"
    )


# ---------------------------------------------------------------- GitHub workflow commands

# actions/runner ActionCommand.cs: unescape in this order, `%25` last, so `%250A` stays `%0A`.
_DATA_UNESCAPES = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_PROPERTY_UNESCAPES = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))


def unescape(text: str, mappings: tuple[tuple[str, str], ...]) -> str:
    for escaped, raw in mappings:
        text = text.replace(escaped, raw)
    return text


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the runner reads it: `::name k=v,k=v::data`, the first `::` after the
    name ending the properties, properties split on `,` then on the first `=`."""
    line = line.lstrip()
    assert line.startswith("::")
    end = line.index("::", 2)
    info, data = line[2:end], line[end + 2 :]
    name, _, rest = info.partition(" ")
    properties = {}
    for item in rest.strip().split(","):
        if item:
            key, _, value = item.partition("=")
            properties[key] = unescape(value, _PROPERTY_UNESCAPES)
    return name, properties, unescape(data, _DATA_UNESCAPES)


@settings(max_examples=500)
@given(st.text())
def test_github_data_round_trips(text: str) -> None:
    escaped = escape_data(text)
    assert "\r" not in escaped and "\n" not in escaped
    assert unescape(escaped, _DATA_UNESCAPES) == text


@settings(max_examples=500)
@given(st.text())
def test_github_property_round_trips(text: str) -> None:
    escaped = escape_property(text)
    assert not set(escaped) & set("\r\n:,")
    assert unescape(escaped, _PROPERTY_UNESCAPES) == text


@settings(max_examples=300)
@given(st.text(alphabet="%:,=\r\n\\ ab0A2CD5:", max_size=30))
def test_github_round_trips_text_made_of_escape_sequences(text: str) -> None:
    assert unescape(escape_data(text), _DATA_UNESCAPES) == text
    assert unescape(escape_property(text), _PROPERTY_UNESCAPES) == text


def test_github_escapes_are_the_documented_ones() -> None:
    assert escape_data("100%\r\n: ,") == "100%25%0D%0A: ,"
    assert escape_property("100%\r\n: ,") == "100%25%0D%0A%3A %2C"
    assert escape_data("%0A") == "%250A"


def finding_with(subject: str, message: str, file: str, until: str | None) -> Finding:
    result = SubjectResult(subject, "service", Verdict.NO_GO, Location(file, 4, 2), (), (), ())
    return Finding(
        subject=result,
        policy="p",
        policy_title=None,
        enforcement=Enforcement.HARD,
        rule="p.r",
        kind=RuleKind.NO_GO,
        verdict=Verdict.NO_GO,
        message=message,
        until=until,
        rule_location=Location("policies/p.policy", 1, 1),
        facts=(),
    )


@settings(max_examples=300)
@given(st.text(min_size=1), st.text(), st.text(min_size=1), st.none() | st.text(min_size=1))
def test_github_annotations_parse_back_to_their_values(
    subject: str, message: str, file: str, until: str | None
) -> None:
    line = annotation(finding_with(subject, message, file, until), fail_on=FailOn.NO_GO)
    assert "\n" not in line and "\r" not in line
    name, properties, data = parse_command(line)
    assert name == "error"
    assert properties["file"] == file
    assert (properties["line"], properties["col"]) == ("4", "2")
    assert properties["title"] == f"{subject}: NO-GO (p.r)"
    assert data == "\n".join(
        [f"{subject} is NO-GO under policy p: {message}"]
        + ([f"until: {until}"] if until else [])
        + ["rule p.r at policies/p.policy:1:1"]
    )


def test_github_commands_follow_what_fails_the_job(quickstart: Report) -> None:
    def commands(fail_on: FailOn) -> list[tuple[str, str]]:
        parsed = [
            parse_command(line) for line in render_github(quickstart, None, fail_on=fail_on).splitlines()
        ]
        return [(name, properties["title"]) for name, properties, _ in parsed]

    assert commands(FailOn.NO_GO) == [
        ("warning", "data-lake: NOT YET (change_readiness.worth_it)"),
        ("warning", "fax-gateway: NOT YET (change_readiness.otherwise)"),
        ("error", "legacy-crm: NO-GO (change_readiness.unsupported)"),
        ("notice", "legacy-crm: warning (on_call.no_on_call)"),
        ("warning", "payments-api: NOT YET (change_readiness.fragile_dependency)"),
    ]
    assert [name for name, _ in commands(FailOn.NOT_YET)] == ["error", "error", "error", "notice", "error"]


def test_github_annotations_point_at_the_deciding_fact(quickstart: Report) -> None:
    lines = render_github(quickstart, None, fail_on=FailOn.NO_GO).splitlines()
    _, properties, data = parse_command(lines[2])
    assert properties == {
        "file": "services/crm.yaml",
        "line": "15",
        "col": "15",
        "title": "legacy-crm: NO-GO (change_readiness.unsupported)",
    }
    assert data.splitlines() == [
        "legacy-crm is NO-GO under policy change_readiness: vendor support ended on 2025-12-31",
        "until: migrate to a supported version",
        "rule change_readiness.unsupported at policies/production.policy:7:3",
    ]


def test_github_in_diff_mode_annotates_the_changed_subjects(changed: Report, diff: VerdictDiff) -> None:
    lines = render_github(changed, diff, fail_on=FailOn.NO_GO).splitlines()
    subjects = {parse_command(line)[1]["title"].split(":")[0] for line in lines}
    assert subjects == {"payments-api", "search", "website"}


def test_github_hostile_lines_parse_back() -> None:
    for line in render_github(hostile_report(), None, fail_on=FailOn.NO_GO).split("\n")[:-1]:
        name, properties, data = parse_command(line)
        assert name in {"error", "warning", "notice"}
        assert properties["file"] in {NASTY_FILE, "policies/advice.policy"}
        if name == "error":
            assert data.startswith(
                "svc|`x` is NO-GO under policy odd|policy: first line\r\nsecond line\rthird\n"
            )
            assert "until: until <b>%25</b>, then: done," in data


# ---------------------------------------------------------------- markdown


GFM = MarkdownIt("commonmark").enable("table")


def tokens(text: str) -> list[Token]:
    return GFM.parse(text)


def inline_text(token: Token) -> str:
    """The text a reader sees in an inline token: text and code, entities decoded."""
    parts = []
    for child in token.children or []:
        if child.type in {"text", "code_inline"}:
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append("\n")
    return "".join(parts)


def table_cells(text: str) -> list[list[str]]:
    rows: list[list[str]] = []
    for token in tokens(text):
        if token.type == "table_close":
            break
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows and token.level >= 3:
            rows[-1].append(inline_text(token))
    return rows


def test_markdown_starts_with_the_marker_and_a_one_line_headline(
    quickstart: Report, diff: VerdictDiff
) -> None:
    for text in [
        render_markdown(quickstart, None, fail_on=FailOn.NO_GO),
        render_markdown(diff.head, diff, fail_on=FailOn.NO_GO),
    ]:
        lines = text.splitlines()
        assert lines[0] == MARKER == "<!-- decisionlang:report -->"
        assert lines[1].startswith("**decisionlang: ") and lines[2] == ""
        first = tokens(text)[0]
        assert first.type == "html_block" and first.content.strip() == MARKER
    headline = render_markdown(diff.head, diff, fail_on=FailOn.NO_GO).splitlines()[1]
    assert "4 subjects changed against `origin/main`" in headline


def test_markdown_table_of_changes(changed: Report, diff: VerdictDiff) -> None:
    rows = table_cells(render_markdown(changed, diff, fail_on=FailOn.NO_GO))
    assert rows[0] == ["Subject", "Before", "After", "Why"]
    table = {row[0]: row[1:] for row in rows[1:]}
    assert list(table) == ["data-lake", "payments-api", "search", "website"]
    assert table["data-lake"] == ["🟡 NOT YET", "—", "subject removed"]
    assert table["search"][:2] == ["—", "🔴 NO-GO"]
    assert table["website"][:2] == ["🟢 GO", "🟡 NOT YET"]
    assert (
        "now: flows and dependencies are mapped at level 2/5 only (change_readiness.unmapped)"
        in table["website"][2]
    )
    assert "maturity.readability 4 → 2 (services/analytics.yaml:" in table["website"][2]


def test_markdown_lists_non_go_subjects_without_a_diff(quickstart: Report) -> None:
    text = render_markdown(quickstart, None, fail_on=FailOn.NO_GO)
    rows = table_cells(text)
    assert rows[0] == ["Subject", "Verdict", "Why"]
    assert [row[0] for row in rows[1:]] == ["data-lake", "fax-gateway", "legacy-crm", "payments-api"]
    assert "2 GO subjects not listed." in text
    assert text.count("<details>") == text.count("</details>") == 4


def test_markdown_summarises_the_unchanged(changed: Report, diff: VerdictDiff) -> None:
    text = render_markdown(changed, diff, fail_on=FailOn.NO_GO)
    assert "3 subjects unchanged." in text
    assert text.count("<details>") == 3  # the removed subject has no trace in the head
    assert "<b>ledger-db</b>" not in text


def test_markdown_when_nothing_changed(quickstart: Report) -> None:
    text = render_markdown(quickstart, build_diff(quickstart, quickstart), fail_on=FailOn.NO_GO)
    assert "**decisionlang: 🟢 GO** — 0 subjects changed against `origin/main`" in text.splitlines()[1]
    assert "No subject's decision changes. 6 subjects unchanged." in text
    assert "<details>" not in text and not table_cells(text)
    assert render_github(quickstart, build_diff(quickstart, quickstart), fail_on=FailOn.NO_GO) == ""


def test_markdown_when_all_is_go(quickstart: Report) -> None:
    go = Report(Verdict.GO, tuple(s for s in quickstart.subjects if s.verdict is Verdict.GO), (), AS_OF)
    text = render_markdown(go, None, fail_on=FailOn.NOT_YET)
    assert text.splitlines()[1] == "**decisionlang: 🟢 GO** — 2 subjects: 2 GO, 0 NOT YET, 0 NO-GO"
    assert "All 2 subjects are GO." in text and "<details>" not in text


def test_markdown_traces_show_rules_facts_and_until(quickstart: Report) -> None:
    text = render_markdown(quickstart, None, fail_on=FailOn.NO_GO)
    assert "<summary><b>legacy-crm</b> (service): 🔴 NO-GO</summary>" in text
    assert (
        "- `change_readiness.unsupported` (no-go rule, `policies/production.policy:7:3`): vendor support"
        in text
    )
    assert "  - read `support_ends` = `2025-12-31` (`services/crm.yaml:15`)" in text
    assert "  - until: migrate to a supported version" in text


def test_markdown_hostile_text_stays_in_its_cell() -> None:
    report = hostile_report()
    text = render_markdown(report, None, fail_on=FailOn.NO_GO)
    rows = table_cells(text)
    assert rows[1][0] == "svc|`x`"
    assert len(rows[1]) == 3
    assert "first line second line third fourth: " + NASTY.replace("@team", "@\u200bteam") in rows[1][2]
    assert "(odd|policy.`tick`)" in rows[1][2]
    html_tokens = [
        child.content
        for token in tokens(text)
        for child in [token, *(token.children or [])]
        if child.type in {"html_inline", "html_block"}
    ]
    for content in html_tokens:
        assert "<i>" not in content and "<b>%25</b>" not in content


def test_markdown_stays_within_a_comment(tmp_path: Path) -> None:
    subjects = tuple(
        SubjectResult(
            f"service-{index:05d}",
            "service",
            Verdict.NO_GO,
            Location("services/many.yaml", index + 1, 1),
            (
                PolicyResult(
                    "p",
                    None,
                    Enforcement.HARD,
                    Verdict.NO_GO,
                    Location("policies/p.policy", 1, 1),
                    (
                        RuleTrace(
                            "p.r",
                            RuleKind.NO_GO,
                            Outcome.FIRED,
                            "a long reason " * 10,
                            None,
                            Location("p", 2, 3),
                            decisive=True,
                        ),
                    ),
                ),
            ),
            (),
            (),
        )
        for index in range(2000)
    )
    report = Report(Verdict.NO_GO, subjects)
    text = render_markdown(report, None, fail_on=FailOn.NO_GO)
    assert len(text) <= MAX_CHARS
    assert "left out to fit in one comment" in text
    assert text.count("<details>") == text.count("</details>")
    assert table_cells(text)[0] == ["Subject", "Verdict", "Why"]


PRINTABLE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029")
    | st.sampled_from(list("\r\n\t|<>`*_[]()#!&\\~-+=.:;1 ")),
    max_size=40,
)


# The bidirectional controls are spelled out (`\u202e`) in every output (docs/security.md): a
# reader sees the escape, never a control that reorders the text around it.
BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def spelled_out(text: str) -> str:
    return re.sub(f"[{BIDI}]", lambda match: f"\\u{ord(match[0]):04x}", text)


def expected_text(text: str) -> str:
    """The text as a reader sees it: line breaks folded, an @mention defused by a zero-width space,
    bidirectional controls spelled out."""
    folded = spelled_out(re.sub(r"\r\n|\r|\n", " ", text))
    return re.sub(r"@(?=[A-Za-z0-9])", "@\u200b", folded.strip())


@settings(max_examples=400)
@given(PRINTABLE)
@example("\u061c")  # an Arabic letter mark: a bidi control, spelled out
@example("a\u202eb")
def test_markdown_text_renders_as_itself(text: str) -> None:
    """As a paragraph, a list item and a table cell: the reader sees the text, and no structure."""
    expected = expected_text(text)
    for prefix, suffix in [("", ""), ("- ", ""), ("| a |\n| --- |\n| ", " |")]:
        parsed = tokens(prefix + md_text(text) + suffix + "\n")
        assert not {token.type for token in parsed} & {
            "heading_open",
            "code_block",
            "fence",
            "hr",
            "html_block",
        }
        inlines = [token for token in parsed if token.type == "inline"]
        if prefix.startswith("|"):
            shown = inline_text(inlines[-1]).strip() if len(inlines) > 1 else ""
            assert shown == expected.strip()  # GFM trims a cell (markdown-it: any Unicode space)
        else:
            assert "".join(inline_text(token) for token in inlines) == expected
        assert all(child.type in {"text"} for token in inlines for child in token.children or [])


@settings(max_examples=400)
@given(PRINTABLE)
@example("\u061c")  # an Arabic letter mark: a bidi control, spelled out
@example("a\u202eb")
def test_markdown_code_renders_as_itself(text: str) -> None:
    one_line = spelled_out(re.sub(r"\r\n|\r|\n", " ", text))
    cell = table_cells(f"| a |\n| --- |\n| {md_code(text, table=True)} |\n")
    assert cell[1] == [one_line or " "]
    item = [token for token in tokens(f"- x {md_code(text)}\n") if token.type == "inline"]
    assert inline_text(item[0]) == "x " + (one_line or " ")


@settings(max_examples=200)
@given(PRINTABLE)
def test_markdown_summary_text_is_inert_html(text: str) -> None:
    escaped = html_text(text)
    assert "<" not in escaped and ">" not in escaped and "\n" not in escaped


# ---------------------------------------------------------------- waivers


def test_a_waived_rule_stays_visible_in_every_format(quickstart: Report) -> None:
    head = waived(quickstart)
    diff = build_diff(quickstart, head)
    (result,) = [r for r in sarif(head)["runs"][0]["results"] if r["properties"]["subject"] == "payments-api"]
    assert result["level"] == "warning" and result["properties"]["waived"] is True
    (suppression,) = result["suppressions"]
    assert (suppression["kind"], suppression["status"]) == ("external", "accepted")
    assert suppression["properties"]["waiver"] == "W-2026-040"
    assert WAIVER.rationale in suppression["justification"]
    baseline = [
        r for r in sarif(head, diff)["runs"][0]["results"] if r["properties"]["subject"] == "payments-api"
    ]
    assert baseline[0]["baselineState"] == "updated"

    lines = [parse_command(line) for line in render_github(head, None, fail_on=FailOn.NOT_YET).splitlines()]
    (notice,) = [
        (name, props, data) for name, props, data in lines if props["title"].startswith("payments-api")
    ]
    assert notice[0] == "notice"
    assert notice[1]["title"] == "payments-api: NOT YET waived (change_readiness.fragile_dependency)"
    assert "waived by W-2026-040 (expires 2027-03-31)" in notice[2]

    outcomes = junit_cases(render_junit(head, None, fail_on=FailOn.NOT_YET))
    assert outcomes[("change_readiness", "payments-api")] == "passed"
    out = ET.fromstring(render_junit(head, None, fail_on=FailOn.NOT_YET)).find(
        "./testsuite[@name='change_readiness']/testcase[@name='payments-api']/system-out"
    )
    assert out is not None and "waiver W-2026-040" in (out.text or "")

    text = render_markdown(head, diff, fail_on=FailOn.NO_GO)
    row = next(row for row in table_cells(text) if row[0] == "payments-api")
    assert row[1:3] == ["🟡 NOT YET", "🟢 GO"]
    assert "waived: W-2026-040, expires 2027-03-31" in row[3]
    assert "lifted from 🟡 NOT YET by a waiver" in text
    assert "- waiver `W-2026-040` (`waivers/payments.yaml:4:5`): accepted by team-payments" in text
    snapshot = render_markdown(head, None, fail_on=FailOn.NO_GO)
    assert "3 GO subjects not listed, 1 of them through a waiver: **payments-api** (`W-2026-040`" in snapshot


# ---------------------------------------------------------------- GitLab Code Quality


def test_gitlab_paths_are_the_files_own_names_not_uris() -> None:
    """SARIF percent-encodes (`we%20ird`); GitLab matches the repository path itself."""
    (issue, *_) = json.loads(
        render_gitlab(hostile_report(), None, fail_on=FailOn.NO_GO, path_prefix="infra/")
    )
    assert issue["location"]["path"] == "infra/services/we ird, file: 100%.yaml"


def test_gitlab_severity_follows_the_verdict_and_waivers(quickstart: Report) -> None:
    severities = {
        (issue["check_name"], issue["description"].split()[0]): issue["severity"]
        for issue in json.loads(render_gitlab(waived(quickstart), None, fail_on=FailOn.NO_GO))
    }
    assert severities[("change_readiness.unsupported", "legacy-crm")] == "blocker"
    assert severities[("change_readiness.otherwise", "fax-gateway")] == "major"
    assert severities[("change_readiness.fragile_dependency", "payments-api")] == "info"  # waived
    assert severities[("on_call.no_on_call", "legacy-crm:")] == "info"  # a warning


def test_the_repository_prefix_of_a_decision_repo(tmp_path: Path) -> None:
    from decisionlang.cli.check import repository_prefix

    repository = tmp_path / "platform"
    (repository / ".git").mkdir(parents=True)
    (repository / "deploy" / "decisions").mkdir(parents=True)
    assert repository_prefix(repository / "deploy" / "decisions", {}) == "deploy/decisions/"
    assert repository_prefix(repository, {}) == ""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert repository_prefix(elsewhere, {}) == ""  # no repository: paths stay the decision repo's
    gitlab = {"CI_PROJECT_DIR": str(tmp_path)}
    assert repository_prefix(repository / "deploy" / "decisions", gitlab) == "platform/deploy/decisions/"
    assert repository_prefix(elsewhere, {"CI_PROJECT_DIR": str(repository)}) == ""  # not inside it

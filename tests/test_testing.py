"""`decisionlang test`: policy unit tests, their diagnostics, rule coverage, outputs and exit codes.

The fixtures under tests/fixtures/testing/ share one policy set (shared/release.policy); the
directories passing/, failing/ and low_coverage/ each import it and hold a test file. The bad test
files of invalid/ are copied one at a time into a copy of that project.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support import check_golden

from decisionlang import cli
from decisionlang.core.diagnostics import render_text
from decisionlang.engine import testing
from decisionlang.engine.testing import Mismatch, TestReport, run_tests
from decisionlang.render.testreport import format_percent, render_test_text

FIXTURES = Path(__file__).parent / "fixtures" / "testing"
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, ["test", *args], catch_exceptions=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the fixture project, with an empty `bad/` test directory importing its policies."""
    root = tmp_path / "testing"
    shutil.copytree(FIXTURES, root, ignore=shutil.ignore_patterns("invalid"))
    (root / "bad").mkdir()
    (root / "bad" / "release.policy").write_text('import "../shared/release.policy"\n', encoding="utf-8")
    return root


def run_bad(project: Path, fixture: Path) -> TestReport:
    shutil.copy(fixture, project / "bad" / f"{fixture.stem}.test.yaml")
    return run_tests(project / "bad")


def codes(report: TestReport) -> list[str]:
    return [diagnostic.code for diagnostic in report.diagnostics]


# ---------------------------------------------------------------- passing, failing, coverage


def test_passing_run_text_golden() -> None:
    result = run(str(FIXTURES / "passing"), "--no-color")
    assert result.exit_code == cli.EXIT_OK
    assert "\x1b[" not in result.stdout
    assert result.stdout.splitlines()[-1] == "10 passed, 0 failed"
    check_golden("testing/passing.txt", result.stdout)


def test_passing_run_json_golden() -> None:
    result = run(str(FIXTURES / "passing"), "--format", "json")
    assert result.exit_code == cli.EXIT_OK
    payload = json.loads(result.stdout)
    assert payload["valid"] is True
    assert payload["summary"] == {"passed": 10, "failed": 0, "total": 10}
    assert (payload["coverage"]["covered"], payload["coverage"]["total"]) == (14, 14)
    assert payload["coverage"]["percent"] == 100.0
    assert payload["coverage"]["never_fired"] == payload["coverage"]["never_failed"] == []
    check_golden("testing/passing.json", result.stdout)


def test_every_rule_outcome_of_the_passing_run_is_covered() -> None:
    report = run_tests(FIXTURES / "passing")
    assert not report.diagnostics
    coverage = report.coverage
    assert [rule.rule for rule in coverage.rules] == [
        "release.exposed",
        "release.unmapped",
        "release.fragile",
        "release.worth_it",
        "release.otherwise",
        "on_call.no_on_call",
        "initiative_gate.weak_targets",
    ]
    assert all(rule.fired and rule.not_fired for rule in coverage.rules)
    assert (coverage.covered, coverage.total, coverage.percent) == (14, 14, 100.0)


def test_cases_carry_their_place_subject_and_date() -> None:
    cases = {result.case.name: result.case for result in run_tests(FIXTURES / "passing").cases}
    dependency = cases["a tier-1 service on a tier-2 dependency is NOT YET"]
    assert (dependency.file, dependency.line, dependency.subject) == (
        "passing/release.test.yaml",
        50,
        "checkout",
    )
    assert cases["a valuable, well-mapped service is GO"].subject == "billing"  # the only subject
    assert cases["an initiative on mapped services is GO"].as_of.isoformat() == "2027-01-15"  # the case's
    assert dependency.as_of.isoformat() == "2026-11-26"  # the file's


def test_failing_run_text_golden() -> None:
    result = run(str(FIXTURES / "failing"), "--no-color")
    assert result.exit_code == cli.EXIT_NO_GO  # 1: a case failed
    assert result.stdout.splitlines()[-1] == "1 passed, 3 failed"
    check_golden("testing/failing.txt", result.stdout)


def test_failing_run_json_golden() -> None:
    result = run(str(FIXTURES / "failing"), "--format", "json")
    assert result.exit_code == cli.EXIT_NO_GO
    payload = json.loads(result.stdout)
    assert payload["summary"] == {"passed": 1, "failed": 3, "total": 4}
    assert "trace" not in payload["cases"][0]
    assert payload["cases"][1]["trace"]["service"] == "vault"
    check_golden("testing/failing.json", result.stdout)


def test_failing_run_mismatches() -> None:
    report = run_tests(FIXTURES / "failing")
    mismatches = {result.case.name: result.mismatches for result in report.cases}
    assert mismatches == {
        "a valuable, well-mapped service is GO": (),
        "the wrong verdict": (Mismatch("verdict", "go", "no-go"),),
        "the right verdict for the wrong reason": (
            Mismatch("rules", ("release.fragile",), ("release.unmapped",)),
            Mismatch("message_contains", ("tier-1",), ("flows are mapped at level 1/5 only",)),
        ),
        "policy verdicts, missing fields and warnings": (
            Mismatch("policy on_call", "no-go", "go"),
            Mismatch("policy initiative_gate", "go", "does not apply"),
            Mismatch("missing", ("tier",), ("maturity.readability",)),
            Mismatch("warnings", (), ("on_call.no_on_call",)),
        ),
    }
    assert (report.passed, report.failed) == (1, 3)
    assert (report.coverage.covered, report.coverage.total) == (9, 14)


def junit_outcomes(xml: str) -> dict[tuple[str, str], str]:
    """(suite, case) -> passed / failure / error, read by junitparser, its counts checked on the way."""
    from junitparser import Error, Failure, JUnitXml

    document = JUnitXml.fromstring(xml)
    outcomes: dict[tuple[str, str], str] = {}
    for suite in document:
        for case in suite:
            kinds = {type(result) for result in case.result}
            outcomes[(suite.name, case.name)] = (
                "failure" if Failure in kinds else "error" if Error in kinds else "passed"
            )
        assert suite.tests == len(list(suite))
    assert document.tests == len(outcomes)
    assert document.failures == sum(1 for outcome in outcomes.values() if outcome == "failure")
    return outcomes


def test_failing_run_junit_golden() -> None:
    result = run(str(FIXTURES / "failing"), "--format", "junit")
    assert result.exit_code == cli.EXIT_NO_GO
    outcomes = junit_outcomes(result.stdout)
    assert outcomes == {
        ("failing/release.test.yaml", "a valuable, well-mapped service is GO"): "passed",
        ("failing/release.test.yaml", "the wrong verdict"): "failure",
        ("failing/release.test.yaml", "the right verdict for the wrong reason"): "failure",
        ("failing/release.test.yaml", "policy verdicts, missing fields and warnings"): "failure",
    }
    assert 'message="subject vault as of 2026-11-26: expected verdict go, got no-go"' in result.stdout
    assert '<property name="percent" value="64.3" />' in result.stdout  # 9 of 14 outcomes
    check_golden("testing/failing.junit.xml", result.stdout)


def test_invalid_run_junit_has_an_error_per_diagnostic(project: Path) -> None:
    shutil.copy(FIXTURES / "invalid" / "bad_verdict.yaml", project / "bad" / "bad_verdict.test.yaml")
    result = run(str(project / "bad"), "--format", "junit")
    assert result.exit_code == cli.EXIT_INVALID
    outcomes = junit_outcomes(result.stdout)
    assert list(outcomes.values()) == ["error"] * 3
    assert {suite for suite, _ in outcomes} == {"decisionlang"}
    assert "error[DL-TEST-VERDICT]" in result.stderr  # the diagnostics are still on standard error


def test_low_coverage_run_text_golden() -> None:
    result = run(str(FIXTURES / "low_coverage"), "--no-color")
    assert result.exit_code == cli.EXIT_OK  # no --min-coverage: coverage alone never fails a run
    assert "Rule coverage: 50.0% (7 of 14 outcomes)" in result.stdout
    check_golden("testing/low_coverage.txt", result.stdout)


def test_low_coverage_run_json_golden() -> None:
    result = run(str(FIXTURES / "low_coverage"), "--format", "json")
    coverage = json.loads(result.stdout)["coverage"]
    assert (coverage["covered"], coverage["total"], coverage["percent"]) == (7, 14, 50.0)
    assert coverage["never_fired"] == [
        "release.exposed",
        "release.fragile",
        "release.otherwise",
        "on_call.no_on_call",
        "initiative_gate.weak_targets",
    ]
    assert coverage["never_failed"] == ["release.worth_it", "initiative_gate.weak_targets"]
    check_golden("testing/low_coverage.json", result.stdout)


@pytest.mark.parametrize(
    ("directory", "minimum", "code"),
    [
        ("low_coverage", "50", cli.EXIT_OK),
        ("low_coverage", "50.1", cli.EXIT_LOW_COVERAGE),
        ("low_coverage", "100", cli.EXIT_LOW_COVERAGE),
        ("passing", "100", cli.EXIT_OK),
        ("failing", "100", cli.EXIT_NO_GO),  # a failed case outranks low coverage
        ("failing", "0", cli.EXIT_NO_GO),
    ],
)
def test_exit_codes(directory: str, minimum: str, code: int) -> None:
    result = run(str(FIXTURES / directory), "--min-coverage", minimum)
    assert result.exit_code == code


def test_min_coverage_is_a_percentage() -> None:
    result = run(str(FIXTURES / "passing"), "--min-coverage", "101")
    assert result.exit_code == cli.EXIT_INVALID
    assert "101" in result.stderr


@pytest.mark.parametrize(
    ("percent", "shown"), [(100.0, "100.0"), (99.96, "99.9"), (0.04, "0.1"), (0.0, "0.0"), (64.2857, "64.3")]
)
def test_coverage_percent_is_never_rounded_to_full_or_empty(percent: float, shown: str) -> None:
    assert format_percent(percent) == shown


def test_color_output_is_the_plain_output_painted() -> None:
    plain = run(str(FIXTURES / "failing"), "--no-color").stdout
    painted = run(str(FIXTURES / "failing"), "--color").stdout
    assert "\x1b[" in painted
    assert ANSI.sub("", painted) == plain


def test_output_file_and_determinism(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    result = run(str(FIXTURES / "failing"), "--format", "json", "--output", str(target))
    assert result.exit_code == cli.EXIT_NO_GO
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == run(str(FIXTURES / "failing"), "--format", "json").stdout
    assert [path.name for path in tmp_path.iterdir()] == ["report.json"]  # no temporary file left


def test_the_run_date_applies_when_neither_file_nor_case_gives_one(project: Path) -> None:
    text = (FIXTURES / "low_coverage" / "release.test.yaml").read_text(encoding="utf-8")
    (project / "bad" / "dated.test.yaml").write_text(
        text.replace("as_of: 2026-11-26\n", ""), encoding="utf-8"
    )
    result = run(str(project / "bad"), "--as-of", "2030-01-02", "--format", "json")
    assert {case["as_of"] for case in json.loads(result.stdout)["cases"]} == {"2030-01-02"}


# ---------------------------------------------------------------- diagnostics

EXPECTED_CODES = {
    "bad_date": ["DL-TEST-DATE", "DL-TEST-DATE"],
    "bad_shapes": ["DL-TEST-SHAPE"] * 5,
    "bad_verdict": ["DL-TEST-VERDICT"] * 3,
    "duplicate_case": ["DL-TEST-DUPLICATE"],
    "inline_subjects": [
        "DL-STATE-SCALE",
        "DL-STATE-RANGE",
        "DL-STATE-UNKNOWN-FIELD",
        "DL-STATE-DANGLING",
        "DL-STATE-TYPE",
        "DL-STATE-DANGLING",
        "DL-STATE-REQUIRED",
        "DL-STATE-DUPLICATE",
        "DL-STATE-SHAPE",
    ],
    "missing_verdict": ["DL-TEST-REQUIRED"] * 3,
    "no_cases": ["DL-TEST-REQUIRED"],
    "repeated_key": ["DL-TEST-YAML"],  # refused by the YAML reader, like a key repeated in a state file
    "state_files": ["DL-TEST-STATE-OUTSIDE", "DL-TEST-STATE-OUTSIDE", "DL-TEST-STATE-NOT-FOUND"],
    "unknown_case_key": ["DL-TEST-KEY"],
    "unknown_expect_key": ["DL-TEST-KEY"],
    "unknown_file_key": ["DL-TEST-KEY", "DL-TEST-EMPTY"],
    "unknown_references": [
        "DL-TEST-POLICY",
        "DL-TEST-RULE",
        "DL-TEST-RULE",
        "DL-TEST-RULE",
        "DL-TEST-FIELD",
        "DL-TEST-FIELD",
    ],
    "unknown_subject": ["DL-TEST-SUBJECT"] * 3,
    "yaml_syntax": ["DL-TEST-YAML"],
}


def test_every_invalid_fixture_has_expected_codes() -> None:
    assert sorted(EXPECTED_CODES) == [path.stem for path in INVALID]


@pytest.mark.parametrize("fixture", INVALID, ids=lambda path: path.stem)
def test_invalid_test_file_diagnostics(project: Path, fixture: Path) -> None:
    report = run_bad(project, fixture)
    assert codes(report) == EXPECTED_CODES[fixture.stem]
    assert report.errors and not report.cases
    rendered = "\n".join(render_text(diagnostic) for diagnostic in report.diagnostics) + "\n"
    check_golden(f"testing/invalid/{fixture.stem}.txt", rendered)


def test_unknown_keys_suggest_the_key_meant(project: Path) -> None:
    report = run_bad(project, FIXTURES / "invalid" / "unknown_expect_key.yaml")
    (diagnostic,) = report.diagnostics
    assert str(diagnostic.span) == "bad/unknown_expect_key.test.yaml:7:7"
    assert diagnostic.help is not None and diagnostic.help.startswith("did you mean `verdict`?")


def test_bad_verdict_spellings_suggest_the_verdict_meant(project: Path) -> None:
    report = run_bad(project, FIXTURES / "invalid" / "bad_verdict.yaml")
    helps = [diagnostic.help or "" for diagnostic in report.diagnostics]
    assert [help.split("?")[0] for help in helps] == [
        "did you mean `no-go`",
        "did you mean `not-yet`",
        helps[2],
    ]


def test_inline_subject_errors_point_into_the_test_file(project: Path) -> None:
    report = run_bad(project, FIXTURES / "invalid" / "inline_subjects.yaml")
    lines = (FIXTURES / "invalid" / "inline_subjects.yaml").read_text(encoding="utf-8").splitlines()
    located = [(d.code, d.span) for d in report.diagnostics if d.span is not None]
    assert len(located) == len(report.diagnostics)
    for code, span in located:
        assert span is not None
        assert span.path == "bad/inline_subjects.test.yaml", code
        assert span.source.line_text(span.line) == lines[span.line - 1]  # the excerpt is the test file's
    where = {code: (span.line, span.column) for code, span in reversed(located) if span is not None}
    assert where["DL-STATE-SCALE"] == (7, 22)
    assert where["DL-STATE-UNKNOWN-FIELD"] == (9, 9)
    assert where["DL-STATE-DUPLICATE"] == (23, 15)  # the inline copy, not the state file
    shape = next(d for d in report.diagnostics if d.code == "DL-STATE-SHAPE")
    assert "`subjects`" in shape.message  # named as the test file names it


def test_not_utf8_test_file(project: Path) -> None:
    (project / "bad" / "latin1.test.yaml").write_bytes("cases: [{name: caf\xe9}]\n".encode("latin-1"))
    assert codes(run_tests(project / "bad")) == ["DL-TEST-READ"]


def test_no_test_file(project: Path) -> None:
    report = run_tests(project / "bad")
    assert codes(report) == ["DL-TEST-NO-TESTS"]
    result = run(str(project / "bad"))
    assert result.exit_code == cli.EXIT_INVALID
    assert "error[DL-TEST-NO-TESTS]: no `*.test.yaml` file under `bad`" in result.stderr


def test_no_policy_file(project: Path) -> None:
    (project / "bad" / "release.policy").unlink()
    shutil.copy(FIXTURES / "passing" / "release.test.yaml", project / "bad" / "release.test.yaml")
    assert codes(run_tests(project / "bad")) == ["DL-TEST-NO-POLICIES"]


def test_not_a_directory(tmp_path: Path) -> None:
    assert codes(run_tests(tmp_path / "nowhere")) == ["DL-TEST-NO-TESTS"]


def test_a_folder_too_deep_to_walk(tmp_path: Path) -> None:
    deep = tmp_path
    for _ in range(40):
        deep = deep / "d"
    deep.mkdir(parents=True)
    report = run_tests(tmp_path)
    assert codes(report) == ["DL-TEST-LIMIT"]
    assert report.diagnostics[0].file == "d/" * 32 + "d"


def test_every_test_diagnostic_code_is_exercised() -> None:
    declared = {
        value
        for name, value in vars(testing).items()
        if isinstance(value, str) and value.startswith("DL-TEST-")
    }
    exercised = {code for found in EXPECTED_CODES.values() for code in found if code.startswith("DL-TEST-")}
    exercised |= {"DL-TEST-READ", "DL-TEST-NO-TESTS", "DL-TEST-NO-POLICIES", "DL-TEST-LIMIT"}  # tests above
    assert declared == exercised


def test_invalid_run_exits_2_with_diagnostics_on_stderr(project: Path) -> None:
    shutil.copy(FIXTURES / "invalid" / "unknown_subject.yaml", project / "bad" / "unknown_subject.test.yaml")
    result = run(str(project / "bad"))
    assert result.exit_code == cli.EXIT_INVALID
    assert result.stdout == ""
    assert "bad/unknown_subject.test.yaml:6:14: error[DL-TEST-SUBJECT]" in result.stderr
    assert result.stderr.splitlines()[-1] == "decisionlang: 3 errors; no test was run"
    assert "Traceback" not in result.stderr


def test_invalid_run_json_is_one_object_without_coverage(project: Path) -> None:
    shutil.copy(FIXTURES / "invalid" / "bad_verdict.yaml", project / "bad" / "bad_verdict.test.yaml")
    result = run(str(project / "bad"), "--format", "json")
    assert result.exit_code == cli.EXIT_INVALID
    payload = json.loads(result.stdout)
    assert (payload["valid"], payload["coverage"], payload["cases"]) == (False, None, [])
    assert [d["code"] for d in payload["diagnostics"]] == ["DL-TEST-VERDICT"] * 3


def test_policy_errors_stop_the_run(project: Path) -> None:
    shutil.copy(FIXTURES / "passing" / "release.test.yaml", project / "bad" / "release.test.yaml")
    (project / "bad" / "broken.policy").write_text("policy broken {\n  go when tier >\n}\n", encoding="utf-8")
    report = run_tests(project / "bad")
    assert report.errors and not report.cases
    assert all(d.code.startswith("DL-PARSE-") for d in report.errors)
    assert run(str(project / "bad")).exit_code == cli.EXIT_INVALID


def test_text_of_an_invalid_report_shows_no_coverage(project: Path) -> None:
    report = run_bad(project, FIXTURES / "invalid" / "duplicate_case.yaml")
    text = render_test_text(report, color=False)
    assert "Rule coverage" not in text
    assert text.splitlines()[-1] == "0 passed, 0 failed"


def test_root_is_the_nearest_directory_with_a_configuration(project: Path) -> None:
    assert testing.find_root(project / "passing") == project.resolve()
    (project / "decisionlang.yaml").unlink()
    assert testing.find_root(project / "passing") == (project / "passing").resolve()


def test_coverage_does_not_depend_on_the_order_of_the_cases(project: Path) -> None:
    (project / "bad" / "order.test.yaml").write_text(
        """cases:
  - name: the fallback decides first
    subjects: [{ name: a, criticality: low, tier: 3, business_value: 2, risk: { security: 1 },
                 maturity: { readability: 3 } }]
    expect: { verdict: not-yet, rules: [release.otherwise] }
  - name: then a go rule decides
    subjects: [{ name: b, criticality: low, tier: 3, business_value: 9, risk: { security: 1 },
                 maturity: { readability: 3 } }]
    expect: { verdict: go, rules: [release.worth_it] }
""",
        encoding="utf-8",
    )
    report = run_tests(project / "bad")
    assert (report.passed, report.failed) == (2, 0)
    otherwise = next(rule for rule in report.coverage.rules if rule.rule == "release.otherwise")
    assert (otherwise.fired, otherwise.not_fired) == (True, True)


def test_warnings_are_shown_and_do_not_fail_the_run(project: Path) -> None:
    (project / "bad" / "unread.test.yaml").write_text(
        """cases:
  - name: a number beyond float range is a warning; an undeclared field is ignored
    subjects:
      - { name: a, criticality: low, tier: 3, business_value: 1e999, maturity: {readability: 3}, colour: x }
    expect: { verdict: not-yet }
""",
        encoding="utf-8",
    )
    result = run(str(project / "bad"), "--no-color")
    assert result.exit_code == cli.EXIT_OK
    lines = result.stdout.splitlines()
    assert "bad/unread.test.yaml:4:63: warning[DL-STATE-NUMBER]: `business_value` is 1e999" in result.stdout
    assert "DL-STATE-UNKNOWN-FIELD" not in result.stdout
    assert lines[-1] == "1 passed, 0 failed"

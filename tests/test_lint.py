"""`decisionlang lint`: every rule with a firing case (golden: the findings as text) and a case
that does not fire; the configuration, the inline ignores, and the output formats."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from support import check_golden

from decisionlang.cli import main
from decisionlang.core.diagnostics import Severity, render_text
from decisionlang.core.spans import SourceFile
from decisionlang.engine.project import load_project
from decisionlang.inputs.sources import SourceSet
from decisionlang.lint import RULES, LintConfig, LintReport, lint_config, lint_project
from decisionlang.lint.directives import comment_start, directives

VOCABULARY = """\
scale criticality "Impact" { low < medium < high < critical }

schema {
  criticality:       criticality    "Impact of an outage"
  tier:              integer 1..3   "Tier"
  risk:              integer 0..10  "Security risk"
  failure_rate:      number 0..1    "Share of changes that fail"
  availability:      number 0..100 unit "%" "Measured availability"
  on_call:           bool           "Someone is on call"
  support_ends:      date           "End of vendor support"
}
"""

SERVICES = """\
services:
  - name: alpha
    criticality: critical
    tier: 1
    risk: 3
    failure_rate: 0.1
    availability: 99.5
    on_call: true
    support_ends: 2030-01-01
  - name: beta
    criticality: low
    tier: 2
    risk: 9
    failure_rate: 0.3
    availability: 97
    on_call: false
    support_ends: 2030-01-01
  - name: gamma
    criticality: medium
    tier: 3
    risk: 1
    failure_rate: 0.0
    availability: 99
    on_call: true
    support_ends: 2030-01-01
  - name: delta
    criticality: high
    tier: 3
    risk: 1
    failure_rate: 0.0
    availability: 99
    on_call: true
    support_ends: 2030-01-01
"""

TESTS = """\
cases:
  - name: a case naming the policy
    subject: alpha
    states: [services/all.yaml]
    expect: {verdict: go, policies: {gate: go}}
"""

_GOOD_GATE = """\
policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risk >= 8 because "risk {risk}/10" until "risk below 8"
}
"""

# rule code -> (a policy file where it fires, one where it does not)
CASES: dict[str, tuple[str, str]] = {
    "L101": (
        """\
policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risk >= 5 because "risk {risk}/10" until "risk below 5"
  go safe when risk >= 7 and on_call because "on call"
}
""",
        """\
policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risk >= 5 because "risk {risk}/10" until "risk below 5"
  go safe when risk < 5 and on_call because "on call"
}
""",
    ),
    "L102": (
        """\
policy gate "Risky services wait" {
  applies to kind service where tier >= 1
  no_go risky when risk >= 0 because "risk {risk}/10" until "risk below 0"
}
""",
        _GOOD_GATE,
    ),
    "L103": (
        """\
policy gate "Risky services wait" {
  applies to kind service kind initiative
  no_go risky when risk >= 8 because "risk {risk}/10" until "risk below 8"
}

policy other "Never" {
  applies to kind service where tier > 3
  no_go risky when risk >= 8 because "risk {risk}/10" until "risk below 8"
}
""",
        _GOOD_GATE,
    ),
    "L104": (
        """\
policy gate "Risky services wait" {
  applies to kind service
  no_go flaky when failure_rate >= 15 because "failures" until "failure_rate below 15%"
  no_go down when availability < 99% because "availability" until "availability above 99"
}
""",
        """\
policy gate "Risky services wait" {
  applies to kind service
  no_go flaky when failure_rate >= 15% because "failures" until "failure_rate below 15%"
  no_go down when availability < 99 because "availability" until "availability above 99"
}
""",
    ),
    "L201": (
        """\
policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risk >= 8 until "risk below 8"
}
""",
        _GOOD_GATE,
    ),
    "L202": (
        """\
policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risk >= 8 because "risk {risk}/10" until "fix it"
  not_yet unsupported when support_ends < today because "unsupported" until "upgrade"
}
""",
        """\
policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risk >= 8 because "risk {risk}/10" until "bring the security risk below 8"
  not_yet unsupported when support_ends < today because "unsupported" until "support ends after {today}"
}
""",
    ),
    "L203": (
        """\
policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risk >= 8 because "too risky" until "risk below 8"
  not_yet fragile when tier == 1 and not on_call because "too risky" until "on_call is true"
}
""",
        """\
policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risk >= 8 because "risk {risk}/10" until "risk below 8"
  not_yet fragile when tier == 1 and not on_call because "tier 1 with nobody on call" until "on_call is true"
}
""",
    ),
    "L301": (
        """\
const max_risk = 8

policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risk >= max_risk because "risk {risk}/10" until "risk below {max_risk}"
  not_yet risky_critical when criticality == critical and risk >= 8 because "critical" until "risk below 8"
}
""",
        """\
const max_risk = 8

policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risk >= max_risk because "risk {risk}/10" until "risk below {max_risk}"
  not_yet low_tier when tier >= 8 - 6 because "tier {tier}" until "tier 1"
}
""",
    ),
    "L302": (
        """\
const max_risk = 8
const forgotten = 3

policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risk >= max_risk because "risk {risk}/10" until "risk below {max_risk}"
}
""",
        """\
const max_risk = 8

policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risk >= max_risk because "risk {risk}/10" until "risk below {max_risk}"
}
""",
    ),
    "L303": (
        """\
define risky_one "Risky" = risk >= 8
define unused_one "Nobody reads it" = tier == 1

policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risky_one because "risk {risk}/10" until "risk below 8"
}
""",
        """\
define risky_one "Risky" = risk >= 8

policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risky_one because "risk {risk}/10" until "risk below 8"
}
""",
    ),
    "L304": (
        """\
scale effort "Effort" { tiny < small < large }

schema {
  effort: effort "Effort of the change"
}

policy gate "Risky services wait" {
  applies to kind service
  no_go risky when effort == large because "effort {effort}" until "effort below large"
}
""",
        """\
scale effort "Effort" { small < large }

schema {
  effort: effort "Effort of the change"
}

policy gate "Risky services wait" {
  applies to kind service
  no_go risky when effort == large or effort == small because "effort {effort}" until "effort below large"
}
""",
    ),
    "L401": (
        """\
const MaxRisk = 8

policy riskGate "Risky services wait" {
  applies to kind service
  no_go Risky when risk >= MaxRisk because "risk {risk}/10" until "risk below {MaxRisk}"
}
""",
        _GOOD_GATE,
    ),
    "L501": (
        """\
policy untested "Nobody tests this" {
  applies to kind service
  no_go risky when risk >= 8 because "risk {risk}/10" until "risk below 8"
}
""",
        _GOOD_GATE,
    ),
    "L901": (
        """\
policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risk >= 8 until "risk below 8"  # lint: ignore L201
}
""",
        """\
policy gate "Risky services wait" {
  applies to kind service
  # lint: ignore L201 the rule's name says it all
  no_go risky when risk >= 8 until "risk below 8"
}
""",
    ),
    "L902": (
        """\
policy gate "Risky services wait" {
  applies to kind service
  # lint: ignore L201 kept for later
  no_go risky when risk >= 8 because "risk {risk}/10" until "risk below 8"
}
""",
        _GOOD_GATE,
    ),
    "L903": (
        """\
policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risk >= 8 until "risk below 8"  # lint: ignore missing-becaus no reason needed
  # lint: ignor L201 typo
}
""",
        _GOOD_GATE,
    ),
}


def project_of(policy: str, *, config: str | None = None, tests: str | None = TESTS) -> SourceSet:
    files = {
        "policies/vocabulary.policy": VOCABULARY,
        "policies/gate.policy": policy,
        "services/all.yaml": SERVICES,
    }
    if tests is not None:
        files["policies/gate.test.yaml"] = tests
    if config is not None:
        files["decisionlang.yaml"] = config
    return SourceSet.from_memory(files, tests=True)


def lint_of(policy: str, *, config: str | None = None, tests: str | None = TESTS) -> LintReport:
    project = load_project(project_of(policy, config=config, tests=tests), cache=False)
    assert not project.errors, [render_text(d) for d in project.errors]
    configured, problems = lint_config(project)
    assert not problems
    return lint_project(project, configured)


def test_every_rule_has_a_case_and_a_section_in_the_docs() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "lint.md").read_text("utf-8")
    for rule in RULES:
        assert rule.code in CASES, rule.code
        assert f"## {rule.code} {rule.name}" in docs, rule.code
        assert f"| [{rule.code}](#{rule.code.lower()}-{rule.name}) |" in docs, rule.code


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_fires_on_its_case(code: str) -> None:
    fires, _ = CASES[code]
    report = lint_of(fires)
    found = [d for d in report.findings if d.code == code]
    assert found, [render_text(d) for d in report.findings]
    check_golden(f"lint/{code}.txt", "".join(render_text(d) + "\n" for d in found))


@pytest.mark.parametrize("code", sorted(CASES))
def test_rule_is_quiet_on_the_good_case(code: str) -> None:
    _, quiet = CASES[code]
    report = lint_of(quiet)
    assert report.findings == (), [render_text(d) for d in report.findings]


def test_findings_are_sorted_and_the_same_each_run() -> None:
    text = CASES["L101"][0] + CASES["L302"][0].replace('policy gate "Risky services wait"', 'policy g2 "x"')
    first, second = lint_of(text), lint_of(text)
    assert first.findings == second.findings
    keys = [d.sort_key() for d in first.findings]
    assert keys == sorted(keys)


def test_configuration_sets_levels_by_code_name_and_category() -> None:
    config = "lint:\n  rules:\n    L201: error\n    clarity: off\n    unused-const: info\n"
    report = lint_of(CASES["L201"][0] + "const forgotten = 3\n", config=config)
    levels = {d.code: d.severity for d in report.findings}
    assert levels == {"L201": Severity.ERROR, "L302": Severity.INFO}  # the rule's entry wins over clarity


def test_unknown_rule_in_configuration_is_an_error_with_a_hint() -> None:
    project = load_project(
        project_of(_GOOD_GATE, config="lint:\n  rules:\n    missing-becaus: off\n"), cache=False
    )
    _, problems = lint_config(project)
    assert [(p.code, p.help) for p in problems] == [("DL-CONFIG", "did you mean `missing-because`?")]
    assert str(problems[0].span) == "decisionlang.yaml:3:5"


def test_bad_level_is_a_configuration_error_for_every_command() -> None:
    project = load_project(project_of(_GOOD_GATE, config="lint:\n  rules:\n    L201: loud\n"), cache=False)
    assert [d.message for d in project.errors] == [
        "the level of `L201` must be one of `error`, `warning`, `info`, `off`"
    ]


def test_config_in_code() -> None:
    assert LintConfig.of({"L201": "off"}).levels == {"L201": None}
    with pytest.raises(ValueError, match="names no lint rule"):
        LintConfig.of({"nothing": "off"})


def test_an_ignore_applies_to_its_line_or_the_next_code_line() -> None:
    report = lint_of(CASES["L901"][1])
    assert report.findings == () and report.suppressed == 1


def test_a_hash_in_a_string_starts_no_comment() -> None:
    assert comment_start('no_go x when name == "a # b" because "c"  # real') == 42
    assert comment_start('because "say \\"#1\\""') is None


def test_an_invalid_project_is_not_linted() -> None:
    project = load_project(project_of("policy broken {"), cache=False)
    report = lint_project(project)
    assert not report.valid and report.findings == ()


# ---------------------------------------------------------------- the command


def write_project(root: Path, policy: str, config: str | None = None) -> Path:
    for relative, text in {
        "policies/vocabulary.policy": VOCABULARY,
        "policies/gate.policy": policy,
        "policies/gate.test.yaml": TESTS,
        "services/all.yaml": SERVICES,
        **({"decisionlang.yaml": config} if config else {}),
    }.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    return root


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["lint", *args, "--no-cache"])
    return result.exit_code, result.output


def test_exit_codes(tmp_path: Path) -> None:
    clean = write_project(tmp_path / "clean", _GOOD_GATE)
    assert run(str(clean)) == (0, "lint: 2 policy files, 0 errors, 0 warnings, 0 infos\n")
    warned = write_project(tmp_path / "warned", CASES["L201"][0])
    assert run(str(warned))[0] == 0
    assert run(str(warned), "--fail-on", "warning")[0] == 1
    failed = write_project(tmp_path / "failed", CASES["L101"][0])
    assert run(str(failed))[0] == 1
    broken = write_project(tmp_path / "broken", "policy broken {")
    assert run(str(broken))[0] == 2
    unknown = write_project(tmp_path / "unknown", _GOOD_GATE, "lint:\n  rules:\n    L999: off\n")
    code, output = run(str(unknown))
    assert code == 2 and "`L999` in `lint: rules` names no lint rule" in output


def test_text_output_golden(tmp_path: Path) -> None:
    root = write_project(tmp_path, CASES["L101"][0] + "const forgotten = 3\n")
    code, output = run(str(root))
    assert code == 1
    check_golden("lint/text-output.txt", output)


def test_json_output(tmp_path: Path) -> None:
    root = write_project(tmp_path, CASES["L201"][0])
    code, output = run(str(root), "--format", "json")
    data = json.loads(output)
    assert code == 0 and data["schema"] == "decisionlang/lint/v1"
    assert [(f["code"], f["rule"], f["category"]) for f in data["findings"]] == [
        ("L201", "missing-because", "clarity")
    ]
    assert data["summary"] == {"errors": 0, "warnings": 1, "infos": 0, "suppressed": 0}


def test_sarif_output_validates_against_the_schema(tmp_path: Path) -> None:
    schema = json.loads((Path(__file__).parent / "fixtures" / "sarif-schema-2.1.0.json").read_text("utf-8"))
    root = write_project(tmp_path, CASES["L101"][0] + "const forgotten = 3\n")
    code, output = run(str(root), "--format", "sarif")
    log = json.loads(output)
    jsonschema.Draft4Validator(schema).validate(log)
    run_ = log["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [rule.code for rule in RULES]
    assert all(rule["helpUri"].endswith(f"#{rule['id'].lower()}-{rule['name']}") for rule in rules)
    assert [(r["ruleId"], r["level"]) for r in run_["results"]] == [("L101", "error"), ("L302", "warning")]
    region = run_["results"][0]["locations"][0]["physicalLocation"]
    assert region == {
        "artifactLocation": {"uri": "policies/gate.policy", "uriBaseId": "PROJECTROOT"},
        "region": {"startLine": 4, "startColumn": 3},
    }
    assert code == 1


def test_github_output(tmp_path: Path) -> None:
    root = write_project(tmp_path, CASES["L201"][0])
    code, output = run(str(root), "--format", "github")
    assert output.startswith("::warning file=policies/gate.policy,line=3,col=3,title=L201::")
    assert code == 0


def test_an_until_names_a_field_by_path_words_or_source_spelling() -> None:
    policy = """\
policy gate "Risky services wait" {
  applies to kind service
  no_go risky when risk >= 8 because "risk {risk}/10" until "name an owner who lowers it"
  not_yet unsupported when support_ends < today because "unsupported" until "a `supportEnds` after today"
  not_yet flaky when failure_rate > 20% because "flaky" until "the Failure Rate at most 20%"
}
"""
    assert [d.code for d in lint_of(policy).findings] == []


def test_unused_scale_values_need_subjects_to_compare_with() -> None:
    files = {"policies/vocabulary.policy": VOCABULARY, "policies/gate.policy": _GOOD_GATE}
    project = load_project(SourceSet.from_memory(files, tests=True), cache=False)
    codes = {d.code for d in lint_project(project).findings}
    assert "L304" not in codes and "L501" in codes


def test_the_quickstart_sample_in_the_docs_is_the_output() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "cli.md").read_text("utf-8")
    prompt = "$ decisionlang lint examples/quickstart\n"
    sample = docs[docs.index(prompt) + len(prompt) :].split("```", 1)[0]
    quickstart = Path(__file__).parents[1] / "examples" / "quickstart"
    assert run(str(quickstart)) == (0, sample)


_CODE = st.text("ab _=<>(){}.,'é\t", max_size=12)  # no `"`, `#` or line break
_STRING = st.text("ab #_'é\t", max_size=8)


@settings(derandomize=True, max_examples=25, deadline=None)
@given(st.lists(st.one_of(_CODE, _STRING.map(lambda text: f'"{text}"')), max_size=6), _CODE)
def test_a_comment_starts_at_the_first_hash_outside_strings(parts: list[str], comment: str) -> None:
    line = "".join(parts)
    assert comment_start(line) is None
    assert comment_start(f"{line}#{comment}") == len(line)


@settings(derandomize=True, max_examples=25, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=120))
def test_reading_directives_never_fails(text: str) -> None:
    source = SourceFile("x.policy", "# lint: ignore " + text)
    for directive in directives(source):
        assert directive.span.line >= 1 and directive.target_line >= 1

"""`decisionlang schema`: the JSON Schemas of state files, waiver files and policy tests accept what
the loaders accept (every shipped example) and refuse what they refuse, as far as JSON Schema can
say it; a property test has the state loader and the schema agree on generated documents."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisionlang import cli
from decisionlang.engine.loadcache import checked_policies
from decisionlang.engine.schemas import json_schema, project_schema, render_schema
from decisionlang.inputs.sources import SourceSet
from decisionlang.inputs.states import load_states, read_state_file
from decisionlang.inputs.waivers import load_waivers
from decisionlang.inputs.yamlreader import read_yaml
from decisionlang.language.checker import Program

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(path for path in (REPO / "examples").iterdir() if (path / "policies").is_dir())

POLICY = """
scale criticality { low < medium < high < critical }

schema {
  criticality: criticality "Impact of an outage"
  tier: integer 1..3 required "1 = the business stops without it"
  risk.security: integer 0..10 "Security risk"
  cost.monthly_eur: number >= 0 unit "€" "Monthly run cost"
  availability: number
  size: integer in {1, 2, 3, 5, 8}
  support_ends: date
  changed_at: datetime
  backup_retention: duration
  encrypted: bool
  team: text
  failover: subject
  regions: list of text
  pull_requests: list of { status: text, age_days: integer >= 0 required }
}

schema strict {
  ops.on_call: bool
  ops.runbook: text
}

policy gate "A gate" {
  applies to kind service, database
  no_go risky when risk.security > 7 because "risky"
}
"""


def program_of(policy: str = POLICY) -> Program:
    checked = checked_policies(SourceSet.from_memory({"policies/p.policy": policy}), None)
    assert not [d for d in (*checked.parse_problems, *checked.check_problems) if d.is_error]
    return checked.program


PROGRAM = program_of()
VALIDATOR = jsonschema.Draft202012Validator(
    json_schema(PROGRAM, "states"), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)


def plain(value: Any) -> Any:
    """A loaded YAML value as an editor's YAML language server sees it (YAML 1.2: dates are text)."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def schema_errors(check: jsonschema.Draft202012Validator, path: str, text: str) -> list[str]:
    read = read_yaml((path, text), prefix="DL-STATE")
    assert not read.diagnostics
    return [
        error.message for document in read.documents for error in check.iter_errors(plain(document.value))
    ]


def loader_errors(text: str, path: str = "services/a.yaml") -> list[str]:
    _, diagnostics = load_states([(path, text)], PROGRAM.fields)
    return [d.code for d in diagnostics if d.is_error]


# ---------------------------------------------------------------------------------------------
# the shipped files


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_every_example_state_file_is_valid_against_its_generated_schema(example: Path) -> None:
    schema, diagnostics = project_schema(example, "states", cache=False)
    assert schema is not None, diagnostics
    check = validator(schema)
    files = SourceSet.from_disk(example).states
    assert files
    for file in files:
        for document in read_state_file(file).documents:
            assert [e.message for e in check.iter_errors(plain(document.value))] == [], file.path


@pytest.mark.parametrize("example", ["scaleup", "scorecards"])
def test_the_example_waiver_files_are_valid(example: Path) -> None:
    schema, _ = project_schema(REPO / "examples" / example, "waivers", cache=False)
    assert schema is not None
    check = validator(schema)
    paths = sorted((REPO / "examples" / example / "waivers").glob("*.yaml"))
    assert paths
    for path in paths:
        assert schema_errors(check, path.name, path.read_text(encoding="utf-8")) == [], path


def test_the_shipped_policy_tests_are_valid() -> None:
    schema, _ = project_schema(REPO / "policies", "tests", cache=False)
    assert schema is not None
    check = validator(schema)
    paths = sorted((REPO / "policies" / "tests").glob("*.test.yaml"))
    assert paths
    for path in paths:
        assert schema_errors(check, path.name, path.read_text(encoding="utf-8")) == [], path


# ---------------------------------------------------------------------------------------------
# what the loader refuses, the schema refuses


VALID = """\
services:
  - name: a
    tier: 1
    criticality: high
    risk: {security: 3}
    cost.monthly_eur: 1200.5
    availability: 99.9%
    size: 5
    support_ends: 2027-03-31
    changed_at: 2026-05-01T10:00:00+02:00
    backup_retention: 2 weeks
    encrypted: true
    team: payments
    regions: [eu-west-1]
    pull_requests: [{status: OPEN, age_days: 3, labels: [x]}]
    ops: {on_call: true}
  - name: b
    kind: database
    tier: 2
    team: null
    failover: a
overlays:
  - name: b
    criticality: low
x-shared: {anything: 1}
"""


def test_a_valid_file_passes_both() -> None:
    assert loader_errors(VALID) == []
    assert schema_errors(VALIDATOR, "a.yaml", VALID) == []


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ("tier: 4", "DL-STATE-RANGE"),  # out of range
        ("tier: 1\nrisk.security: 11", "DL-STATE-RANGE"),
        ("tier: 1\ncriticality: urgent", "DL-STATE-SCALE"),  # a wrong scale value
        ("tier: 1\ncriticality: High", "DL-STATE-SCALE"),
        ('tier: "1"', "DL-STATE-TYPE"),  # a wrong type
        ("tier: true", "DL-STATE-TYPE"),
        ("tier: 1.5", "DL-STATE-TYPE"),
        ("tier: 1\nteam: 42", "DL-STATE-TYPE"),
        ("tier: 1\nencrypted: yes please", "DL-STATE-TYPE"),
        ("tier: 1\nsupport_ends: 2027-02-30", "DL-STATE-TYPE"),
        ("tier: 1\nsupport_ends: 31/03/2027", "DL-STATE-TYPE"),
        ("tier: 1\nchanged_at: 2026-05-01T10:00:00", "DL-STATE-TYPE"),  # no time zone
        ("tier: 1\nbackup_retention: -3", "DL-STATE-RANGE"),
        ("tier: 1\nbackup_retention: a fortnight", "DL-STATE-TYPE"),
        ("tier: 1\navailability: lots", "DL-STATE-TYPE"),
        ("tier: 1\nsize: 4", "DL-STATE-RANGE"),  # not an allowed value
        ("tier: 1\nregions: eu-west-1", "DL-STATE-TYPE"),
        ("tier: 1\nregions: [1]", "DL-STATE-TYPE"),
        ("tier: 1\nrisk: 3", "DL-STATE-TYPE"),  # a mapping expected
        ("tier: 1\ntier.level: 2", "DL-STATE-TYPE"),  # below a single value
        ("tier: 1\npull_requests: [{status: OPEN}]", "DL-STATE-REQUIRED"),
        ("tier: 1\npull_requests: [{status: OPEN, age_days: -1}]", "DL-STATE-RANGE"),
        ("tier: 1\nops: {on_call: true, pager: 1}", "DL-STATE-UNKNOWN-FIELD"),  # `schema strict`
        ("tier: 1\nops.pager: 1", "DL-STATE-UNKNOWN-FIELD"),
        ("tier: 1\nextra: 1", "DL-STATE-UNKNOWN-FIELD"),  # the top level is closed too
        ("tier: 1\ndependents: [b]", "DL-STATE-UNKNOWN-FIELD"),  # computed
        ("criticality: low", "DL-STATE-REQUIRED"),  # `tier` is required
        ("tier: null", "DL-STATE-REQUIRED"),
        ('tier: 1\nteam: "a\\u0007b"', "DL-STATE-TYPE"),  # a control character
    ],
)
def test_what_the_loader_refuses_the_schema_refuses(fields: str, code: str) -> None:
    text = "name: a\n" + fields + "\n"
    assert code in loader_errors(text)
    assert schema_errors(VALIDATOR, "a.yaml", text) != []


@pytest.mark.parametrize(
    "text",
    [
        "tier: 1\n",  # no name
        "name: ''\ntier: 1\n",
        "services: {name: a}\n",
        "services:\n  - name: a\n    tier: 1\nother: 1\n",
        "- name: a\n",
        "overlays:\n  - tier: 1\n",
    ],
)
def test_a_wrong_layout_is_refused_by_both(text: str) -> None:
    assert loader_errors(text)
    assert schema_errors(VALIDATOR, "a.yaml", text) != []


def test_a_required_field_may_be_written_nested_or_dotted_and_an_overlay_needs_none() -> None:
    policy = "schema {\n  risk.security: integer 0..10 required\n}\n"
    program = program_of(policy)
    check = validator(json_schema(program, "states"))
    for text in ("name: a\nrisk: {security: 1}\n", "name: a\nrisk.security: 1\n"):
        assert schema_errors(check, "a.yaml", text) == []
    for text in ("name: a\n", "name: a\nrisk: {}\n", "name: a\nrisk.security: null\n"):
        assert schema_errors(check, "a.yaml", text) != []
    assert schema_errors(check, "a.yaml", "overlays:\n  - name: a\n") == []


def test_a_closed_top_level_accepts_dotted_keys_into_an_open_mapping() -> None:
    program = program_of("schema strict {\n  tier: integer\n}\nschema {\n  risk.security: integer\n}\n")
    check = validator(json_schema(program, "states"))
    text = "name: a\nrisk.other: 1\nrisk: {security: 2, more: 3}\n"
    assert load_states([("a.yaml", text)], program.fields)[1] == []
    assert schema_errors(check, "a.yaml", text) == []
    assert schema_errors(check, "a.yaml", "name: a\nother: 1\n") != []


def test_descriptions_units_enums_and_kinds_are_in_the_schema() -> None:
    fields = json_schema(PROGRAM, "states")["$defs"]["fields"]["properties"]
    assert fields["cost.monthly_eur"]["description"] == "Monthly run cost; unit: €"
    # a declared field's value, or `{value: ..., observed: ..., source: ...}` around it
    criticality, evidenced = fields["criticality"]["anyOf"]
    assert criticality["enum"] == ["low", "medium", "high", "critical", None]
    assert evidenced["properties"]["value"] == criticality and evidenced["required"] == ["value"]
    assert fields["kind"]["examples"] == ["database", "initiative", "service"]
    assert fields["size"]["anyOf"][0]["enum"] == [1, 2, 3, 5, 8, None]
    assert fields["observed"] == {"$ref": "#/$defs/evidence.observed"}


# ---------------------------------------------------------------------------------------------
# waivers and tests


WAIVER = """\
waivers:
  - id: W-1
    subject: a
    rule: gate.risky
    owner: team-a
    approver: CIO
    rationale: replaced next quarter
    compensating_measure: weekly review
    granted: 2026-10-01
    expires: 2027-03-31
"""


@pytest.mark.parametrize(
    "change",
    [
        ("    rule: gate.risky\n", ""),  # no target
        ("    rule: gate.risky\n", "    rule: gate.risky\n    policy: gate\n"),  # two targets
        ("    owner: team-a\n", ""),  # a required field
        ("    owner: team-a\n", "    owner: ''\n"),
        ("    owner: team-a\n", "    owner: team-a\n    owners: x\n"),  # an unknown field
        ("2027-03-31", "31 March"),
        ("waivers:\n", "waiver:\n"),
    ],
)
def test_a_waiver_the_loader_refuses_the_schema_refuses(change: tuple[str, str]) -> None:
    check = validator(json_schema(PROGRAM, "waivers"))
    assert schema_errors(check, "w.yaml", WAIVER) == []
    assert load_waivers([("w.yaml", WAIVER)])[1] == []
    text = WAIVER.replace(*change)
    assert [d for d in load_waivers([("w.yaml", text)])[1] if d.is_error]
    assert schema_errors(check, "w.yaml", text) != []


def test_a_test_file_names_known_policies_rules_and_verdicts() -> None:
    check = validator(json_schema(PROGRAM, "tests"))
    case = (
        "cases:\n  - name: risky\n    subjects:\n      - {name: a, tier: 1, risk: {security: 9}}\n"
        "    expect: {verdict: no-go, rules: [gate.risky], policies: {gate: no-go}}\n"
    )
    assert schema_errors(check, "t.test.yaml", case) == []
    for wrong in (
        case.replace("no-go,", "nogo,"),
        case.replace("[gate.risky]", "[gate.risk]"),
        case.replace("{gate: no-go}", "{gat: no-go}"),
        case.replace("tier: 1", "tier: 9"),
        case.replace("    expect", "    expected"),
        "cases: []\nextra: 1\n",
    ):
        assert schema_errors(check, "t.test.yaml", wrong) != [], wrong


# ---------------------------------------------------------------------------------------------
# the loader and the schema agree on generated documents


# Each field: values both accept, and values both refuse.
_VALUES: dict[str, tuple[list[Any], list[Any]]] = {
    "tier": ([1, 2, 3], [0, 4, -1, 2.5, "2", True, None]),
    "criticality": (["low", "critical", None], ["urgent", "Low", 1]),
    "availability": ([0.999, 12, -3.5, "99.9%", "12.5 %", None], ["99.9", "%", False]),
    "size": ([1, 8, None], [4, 0, "1"]),
    "support_ends": (["2027-03-31", None], ["2027-02-30", "2027-3-31", "soon", 20270331]),
    "changed_at": (
        ["2026-05-01T10:00:00+02:00", "2026-05-01T08:00Z"],
        ["2026-05-01T10:00:00", "2026-05-01", 5],
    ),
    "backup_retention": ([90, 0.5, "90 days", "4 HOURS", "P1W", "PT1H"], [-1, "P", "ages", True]),
    "encrypted": ([True, False, None], ["true", 0]),
    "team": (["payments", "é", "a\tb", None], ["a\u0007b", 42, 4.5]),
    "regions": ([[], ["eu"], None], ["eu", [1], [None]]),
    "pull_requests": (
        [
            [],
            [{"status": "OPEN", "age_days": 1}],
            [{"age_days": 1, "x": 2}],
            [{"status": None, "age_days": 0}],
        ],
        [[{"status": "OPEN"}], [{"age_days": -1}], [3], [{"age_days": None}]],
    ),
    "failover": ([None], [3]),
    "depends_on": ([[]], [[5]]),
    "zz_extra": ([], [1, "x", None]),  # the top level is closed by `schema strict`
    "tier.level": ([], [1]),
    "dependents": ([], [[]]),
}
_RISK = ([0, 10, None], [11, -1, "3"])
_OPS = (
    ({"on_call": True}, {"on_call": None}, {}, {"runbook": "r"}, None),
    ({"on_call": "no"}, {"pager": 1}, 3),
)


def _pick(draw: st.DrawFn, choices: tuple[Any, Any]) -> Any:
    valid, invalid = choices
    wrong = not valid or (bool(invalid) and draw(st.integers(0, 9)) == 0)
    return draw(st.sampled_from(list(invalid if wrong else valid)))


@st.composite
def documents(draw: st.DrawFn) -> Any:
    subject: dict[str, Any] = {"name": _pick(draw, (["a", "é"], ["", 3, None]))}
    if draw(st.integers(0, 19)) == 0:
        del subject["name"]
    keys = draw(st.lists(st.sampled_from(sorted(_VALUES)), unique=True, max_size=6))
    if "tier" not in keys and draw(st.integers(0, 9)) > 0:
        keys.append("tier")
    for key in keys:
        if key in ("zz_extra", "tier.level", "dependents") and draw(st.integers(0, 3)) > 0:
            continue
        subject[key] = _pick(draw, _VALUES[key])
    if draw(st.booleans()):
        risk = _pick(draw, _RISK)
        if draw(st.booleans()):
            subject["risk.security"] = risk
        else:
            subject["risk"] = {"security": risk}
    if draw(st.booleans()):
        subject["ops"] = _pick(draw, _OPS)
    shape = draw(st.sampled_from(["subject", "services", "both"]))
    if shape == "subject":
        return subject
    second = {"name": "other", "tier": 1}
    document: dict[str, Any] = {"services": [subject, second] if shape == "both" else [subject]}
    if draw(st.booleans()):
        document["x-anchors"] = {"a": 1}
    return document


@settings(max_examples=150, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_the_loader_and_the_schema_agree_on_generated_documents(document: Any) -> None:
    """Integral decimals for integer fields (JSON Schema counts 1.0 as an integer), percentages
    and texts beyond a declared range, and misspelt keys are left out: JSON Schema cannot tell."""
    text = json.dumps(document, ensure_ascii=False)
    loader = loader_errors(text, "services/a.json")
    schema = list(VALIDATOR.iter_errors(document))
    assert (loader == []) == (schema == []), (loader, [e.message for e in schema])


# ---------------------------------------------------------------------------------------------
# the command


def test_the_command_prints_deterministic_sorted_json(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(cli.main, ["schema", str(REPO / "examples" / "quickstart")])
    second = runner.invoke(cli.main, ["schema", str(REPO / "examples" / "quickstart")])
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    schema = json.loads(first.stdout)
    assert render_schema(schema) == first.stdout
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_the_command_writes_and_checks_a_file(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "states.schema.json"
    root = str(REPO / "examples" / "quickstart")
    written = runner.invoke(cli.main, ["schema", root, "-o", str(target)])
    assert written.exit_code == 0 and target.read_text(encoding="utf-8").startswith("{")
    assert runner.invoke(cli.main, ["schema", root, "-o", str(target), "--check"]).exit_code == 0
    target.write_text("{}\n", encoding="utf-8")
    stale = runner.invoke(cli.main, ["schema", root, "-o", str(target), "--check"])
    assert stale.exit_code == 1 and "out of date" in stale.stderr
    assert target.read_text(encoding="utf-8") == "{}\n"


def test_policies_in_error_give_no_schema_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.policy").write_text("schema {\n  tier: integr\n}\n", encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["schema", str(tmp_path), "--for", "tests"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "error[" in result.stderr

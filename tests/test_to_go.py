"""The smallest change to GO (`check --to-go`, `explain`): every option reported, written into the
state files at the location it names and checked again, gives GO; no option with fewer facts
exists; `fixed` fields and other subjects' facts are never proposed."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import check_golden, docs_sample

from decisionlang import cli
from decisionlang.api import SourceSet, evaluate_project, load_project, path_to_go
from decisionlang.core.model import ChangeOption, SubjectResult, Verdict
from decisionlang.core.subjects import Portfolio
from decisionlang.engine.to_go import ToGoLimits

ROOT = Path(__file__).parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
SCALEUP = ROOT / "examples" / "scaleup"
AS_OF = dt.date(2026, 11, 26)
SCHEMA = json.loads((ROOT / "schemas" / "report-v3.schema.json").read_text(encoding="utf-8"))


def repo_files(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.suffix in {".policy", ".yaml", ".yml"} and ".test." not in path.name
    }


def yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def apply_option(files: dict[str, str], option: ChangeOption) -> dict[str, str]:
    """The state files with the option written in: each value replaced at the line and column the
    option names (so the locations are checked too); a missing fact added under its subject."""
    edited = dict(files)
    for change in option.changes:
        location = change.location
        if location.line is None:  # a missing fact: added as a dotted key under the subject's name
            text = edited[location.file]
            match = re.search(rf"^(\s*)(- )?name: {re.escape(change.subject)}\n", text, re.M)
            assert match, (change.subject, location.file)
            indent = match.group(1) + ("  " if match.group(2) else "")
            added = f"{indent}{change.path}: {yaml_scalar(change.after)}\n"
            edited[location.file] = text[: match.end()] + added + text[match.end() :]
            continue
        lines = edited[location.file].split("\n")
        line = lines[location.line - 1]
        start = (location.column or 1) - 1
        written = re.match(r"[^,}\]\s#]+", line[start:])
        assert written, (line, start)
        assert written.group(0) == yaml_scalar(change.before) or str(change.before) in written.group(0), (
            line,
            change,
        )
        lines[location.line - 1] = line[:start] + yaml_scalar(change.after) + line[start + written.end() :]
        edited[location.file] = "\n".join(lines)
    return edited


def verdict_of(files: dict[str, str], subject: str) -> Verdict:
    project = load_project(SourceSet.from_memory(files), cache=False)
    assert not project.errors, project.errors
    return evaluate_project(project, as_of=AS_OF, services=[subject]).subjects[0].verdict


def non_go(root: Path) -> tuple[Any, list[SubjectResult]]:
    project = load_project(root, cache=False)
    report = evaluate_project(project, as_of=AS_OF)
    return project, [subject for subject in report.subjects if subject.verdict is not Verdict.GO]


@pytest.mark.parametrize("root", [QUICKSTART, SCALEUP], ids=["quickstart", "scaleup"])
def test_every_option_written_into_the_files_gives_go(root: Path) -> None:
    project, subjects = non_go(root)
    files = repo_files(root)
    fields = project.program.all_fields()
    reached = 0
    for subject in subjects:
        path = path_to_go(project, subject, as_of=AS_OF)
        assert path.reachable == bool(path.options)
        for option in path.options:
            for change in option.changes:
                assert change.subject == subject.subject  # never another subject's fact
                assert not fields[change.path].fixed, change
            assert verdict_of(apply_option(files, option), subject.subject) is Verdict.GO, (
                subject.subject,
                option,
            )
            reached += 1
        counts = {len(option.changes) for option in path.options}
        assert len(counts) <= 1  # every option has the fewest facts
    assert reached >= 3


def test_the_quickstart_answers() -> None:
    project, subjects = non_go(QUICKSTART)
    paths = {subject.subject: path_to_go(project, subject, as_of=AS_OF) for subject in subjects}
    # tier and criticality are `fixed`; the dependency's tier is another subject's fact
    assert not paths["payments-api"].reachable
    assert paths["payments-api"].blocked_by == ("change_readiness.fragile_dependency",)
    # the value case: 3*3 + 2 (medium) - 2 - 2*3 = 3... below 10; business_value 5 gives 10
    (option,) = paths["fax-gateway"].options
    ((change),) = option.changes
    assert (change.path, change.before, change.after) == ("business_value", 3, 5)
    # a missing compliance risk: the highest value that still reaches GO, where the bar is
    (option,) = paths["data-lake"].options
    ((change),) = option.changes
    assert (change.path, change.before, change.after, change.bound) == ("risk.compliance", None, 6, "at-most")
    assert change.location.file == "services/analytics.yaml"
    # NO-GO on an ended support, NOT YET on readability, and a value case below the bar: three facts
    crm = paths["legacy-crm"].options[0]
    assert [(c.path, c.before, c.after) for c in crm.changes] == [
        ("business_value", 6, 8),
        ("maturity.readability", 2, 3),
        ("support_ends", "2025-12-31", "2026-11-26"),
    ]


def test_no_single_fact_reaches_go_where_three_are_reported() -> None:
    """Minimal in the number of facts: every value of every changeable fact of legacy-crm, alone,
    leaves it short of GO (brute force over the schema's ranges)."""
    project, subjects = non_go(QUICKSTART)
    crm = next(subject for subject in subjects if subject.subject == "legacy-crm")
    state = project.portfolio.by_name["legacy-crm"]
    candidates: dict[str, list[Any]] = {
        "business_value": list(range(11)),
        "effort": list(range(1, 6)),
        "risk.security": list(range(11)),
        "risk.compliance": list(range(11)),
        "maturity.readability": list(range(6)),
        "support_ends": [AS_OF, dt.date(2030, 1, 1)],
        "on_call": [True, False],
    }
    for field, values in candidates.items():
        for value in values:
            changed = type(state)(**{**state.__dict__, "fields": {**state.fields, field: value}})
            subjects_now = [changed if s.name == "legacy-crm" else s for s in project.portfolio.subjects]
            moved = type(project)(**{**project.__dict__, "portfolio": Portfolio.of(subjects_now)})
            verdict = evaluate_project(moved, as_of=AS_OF, services=["legacy-crm"]).subjects[0].verdict
            assert verdict is not Verdict.GO, (field, value)
    assert len(path_to_go(project, crm, as_of=AS_OF).options[0].changes) == 3


SERVICE = """services:
  - name: probe
    criticality: {criticality}
    tier: 2
    business_value: {business_value}
    effort: {effort}
    risk: {{ security: {security}, compliance: {compliance} }}
    maturity: {{ readability: {readability} }}
    dora: {{ deploys_per_week: {deploys}, change_failure_rate: {cfr} }}
    support_ends: {support}
    on_call: {on_call}
"""


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    criticality=st.sampled_from(["low", "medium", "high", "critical"]),
    business_value=st.integers(0, 10),
    effort=st.integers(1, 5),
    security=st.integers(0, 10),
    compliance=st.integers(0, 10),
    readability=st.integers(0, 5),
    deploys=st.sampled_from(["0.5", "1", "3", "12"]),
    cfr=st.sampled_from(["0.05", "0.2", "0.4"]),
    support=st.sampled_from(["2025-06-30", "2028-12-31"]),
    on_call=st.booleans(),
)
def test_generated_services_reach_go_as_reported(**values: Any) -> None:
    files = {path: text for path, text in repo_files(QUICKSTART).items() if not path.startswith("services/")}
    files["services/probe.yaml"] = SERVICE.format(
        **{key: yaml_scalar(value) for key, value in values.items()}
    )
    project = load_project(SourceSet.from_memory(files), cache=False)
    assert not project.errors, project.errors
    result = evaluate_project(project, as_of=AS_OF).subjects[0]
    if result.verdict is Verdict.GO:
        return
    path = path_to_go(project, result, as_of=AS_OF, limits=ToGoLimits(max_changes=4))
    for option in path.options:
        assert verdict_of(apply_option(files, option), "probe") is Verdict.GO, (values, option)
    if not path.reachable:
        assert path.blocked_by or path.note


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.main, list(arguments), catch_exceptions=False)
    return result.exit_code, result.output


def test_check_to_go_text_golden() -> None:
    code, output = run("check", str(QUICKSTART), "--as-of", "2026-11-26", "--to-go", "--no-trace")
    assert code == cli.EXIT_NO_GO
    check_golden("to_go/quickstart-check.txt", output)


def test_check_to_go_json_golden() -> None:
    code, output = run("check", str(QUICKSTART), "--as-of", "2026-11-26", "--to-go", "--format", "json")
    assert code == cli.EXIT_NO_GO
    payload = json.loads(output)
    jsonschema.validate(payload, SCHEMA)
    services = {service["service"]: service for service in payload["services"]}
    assert "to_go" not in services["website"]  # GO: nothing to search
    assert services["payments-api"]["to_go"] == {
        "reachable": False,
        "blocked_by": ["change_readiness.fragile_dependency"],
    }
    to_go = {name: service["to_go"] for name, service in sorted(services.items()) if "to_go" in service}
    check_golden("to_go/quickstart-to-go.json", json.dumps(to_go, indent=2, sort_keys=True) + "\n")


def test_explain_ends_with_what_it_would_take() -> None:
    code, output = run("explain", "legacy-crm", str(QUICKSTART), "--as-of", "2026-11-26")
    assert code == cli.EXIT_OK
    check_golden("to_go/legacy-crm-explain-tail.txt", output[output.index("What must hold for GO") :])


def test_to_go_is_refused_with_base() -> None:
    code, output = run("check", str(QUICKSTART), "--to-go", "--base", "HEAD")
    assert code == 2
    assert "--to-go" in output and "--base" in output


def test_the_docs_sample_is_the_output() -> None:
    command = "check examples/quickstart --as-of 2026-11-26 --to-go --no-trace -s fax-gateway -s payments-api"
    sample = docs_sample("cli.md", command)
    arguments = command.replace("examples/quickstart", str(QUICKSTART)).split()
    code, output = run(*arguments)
    assert code == cli.EXIT_NOT_YET
    assert output == sample


def test_the_board_report_and_the_markdown_show_it(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    code, _ = run("report", str(QUICKSTART), "--as-of", "2026-11-26", "--to-go", "-o", str(target))
    assert code == cli.EXIT_OK
    html = target.read_text(encoding="utf-8")
    assert "To reach GO" in html
    assert "business_value 3 → 5 (services/payments.yaml:34:21)" in html
    code, _ = run("report", str(QUICKSTART), "--as-of", "2026-11-26", "-o", str(target))
    assert "To reach GO" not in target.read_text(encoding="utf-8")  # on demand only
    code, markdown = run("check", str(QUICKSTART), "--as-of", "2026-11-26", "--to-go", "--format", "markdown")
    expected = "- risk.compliance (missing) → at most 6 (add it to services/analytics.yaml)\n"
    assert f"**To reach GO**\n\n{expected}" in markdown
    code, markdown = run("check", str(QUICKSTART), "--as-of", "2026-11-26", "--format", "markdown")
    assert "To reach GO" not in markdown


def test_a_fixed_field_is_never_proposed_and_its_rule_is_named() -> None:
    """A hard rule on a `fixed` field: nothing but that field could lift it."""
    files = {
        "policies/gate.policy": """scale criticality "Impact" { low < medium < high < critical }
schema {
  criticality: criticality fixed "Impact of an outage"
  readability: integer 0..5 "Flows mapped"
}
policy gate "Critical services wait" {
  not_yet critical when criticality == critical because "critical services wait"
  not_yet unmapped when readability < 3 because "unmapped"
}
""",
        "services/a.yaml": "name: a\ncriticality: critical\nreadability: 1\n",
    }
    project = load_project(SourceSet.from_memory(files), cache=False)
    result = evaluate_project(project, as_of=AS_OF).subjects[0]
    path = path_to_go(project, result, as_of=AS_OF)
    assert not path.reachable
    assert path.blocked_by == ("gate.critical",)
    assert path.options == ()
    # the same field, not fixed: one change reaches GO (with the other rule's fix)
    files["policies/gate.policy"] = files["policies/gate.policy"].replace("criticality fixed", "criticality")
    project = load_project(SourceSet.from_memory(files), cache=False)
    result = evaluate_project(project, as_of=AS_OF).subjects[0]
    path = path_to_go(project, result, as_of=AS_OF)
    assert path.reachable
    assert [(c.path, c.after) for c in path.options[0].changes] == [
        ("criticality", "high"),
        ("readability", 3),
    ]


def test_the_governance_sample_is_the_output() -> None:
    command = (
        "check examples/scaleup --as-of 2026-11-26 --to-go --no-trace"
        " -s observability-platform -s warehouse-cost-cut -s billing-engine"
    )
    sample = docs_sample("governance.md", command)
    code, output = run(*command.replace("examples/scaleup", str(SCALEUP)).split())
    assert code == cli.EXIT_NO_GO
    assert output == sample

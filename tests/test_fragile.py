"""How fragile a GO is (`check --fragile`, `explain`, `report --fragile`): the reported parameter
value flips the verdict, and no smaller change of it does."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import check_golden, docs_sample

from decisionlang import cli
from decisionlang.api import SourceSet, evaluate_project, fragility, load_project
from decisionlang.core.model import Fragility, Verdict
from decisionlang.core.views import deciding_parameters
from decisionlang.engine.compiler import compile_program
from decisionlang.engine.project import Project
from decisionlang.engine.sensitivity import RESOLUTION, Parameter, parameters, with_parameter

ROOT = Path(__file__).parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
SCALEUP = ROOT / "examples" / "scaleup"
AS_OF = dt.date(2026, 11, 26)
SCHEMA = json.loads((ROOT / "schemas" / "report-v3.schema.json").read_text(encoding="utf-8"))


def verdict_with(project: Project, parameter: Parameter, value: float, subject: str) -> Verdict:
    """The subject's verdict with the whole program compiled again at that value (not the search's
    partial recompilation: an independent check)."""
    import dataclasses

    moved = dataclasses.replace(
        project, policies=compile_program(with_parameter(project.program, parameter, value))
    )
    return evaluate_project(moved, as_of=AS_OF, services=[subject]).subjects[0].verdict


def check_fragility(project: Project, subject: str, item: Fragility) -> None:
    (parameter,) = [p for p in parameters(project.program) if p.id == item.parameter]
    assert parameter.value == item.before
    assert verdict_with(project, parameter, item.after, subject) is item.becomes
    assert item.becomes is not Verdict.GO
    whole = parameter.integer
    if not whole and abs(item.after - item.before) <= abs(item.before) * RESOLUTION * 1.5:
        return  # at the threshold: any change that way flips it, down to the search's resolution
    if whole:
        closer = item.after - (1 if item.after > item.before else -1)
    else:  # the search's resolution closer (a hundred-thousandth of the value)
        closer = item.after - math.copysign(abs(item.before) * RESOLUTION, item.after - item.before)
    assert verdict_with(project, parameter, closer, subject) is Verdict.GO, (item, closer)
    halfway = item.before + (item.after - item.before) / 2
    if not whole or float(halfway).is_integer():
        assert verdict_with(project, parameter, halfway, subject) is Verdict.GO, (item, halfway)
    assert item.relative == pytest.approx((item.after - item.before) / abs(item.before), abs=1e-6)


@pytest.mark.parametrize(
    ("root", "within"),
    [(QUICKSTART, 0.6), (SCALEUP, 0.1), (SCALEUP, 0.3)],
    ids=["quickstart", "scaleup", "scaleup-30"],
)
def test_every_reported_change_flips_and_no_smaller_one_does(root: Path, within: float) -> None:
    project = load_project(root, cache=False)
    report = evaluate_project(project, as_of=AS_OF)
    found = fragility(project, report, within=within)
    assert found  # something is fragile at these windows
    for subject, items in found.items():
        assert report.subjects[[s.subject for s in report.subjects].index(subject)].verdict is Verdict.GO
        for item in items:
            assert abs(item.relative) <= within + 1e-9
            check_fragility(project, subject, item)
        assert [abs(i.relative) for i in items] == sorted(abs(i.relative) for i in items)


def test_the_quickstart_weight() -> None:
    project = load_project(QUICKSTART, cache=False)
    report = evaluate_project(project, as_of=AS_OF)
    found = fragility(project, report, within=0.6)
    (item,) = found["website"]
    assert item.parameter == "weight value_case.term#1"
    assert item.description == "the weight of business_value in value_case"
    assert (item.before, item.becomes) == (3, Verdict.NOT_YET)
    assert item.after == pytest.approx(1.5, abs=1e-4)
    assert fragility(project, report, within=0.1) == {}  # nothing flips within 10 %


def test_a_whole_constant_moves_in_whole_steps() -> None:
    files = {
        "policies/gate.policy": """schema {
  readability: integer 0..5 "Flows mapped"
  share: number 0..1 "Share on the standard"
}
const floor = 3
const min_share = 60%
policy gate "Mapped enough" {
  not_yet unmapped when readability < floor because "unmapped"
  not_yet off_standard when share < min_share because "off the standard"
}
""",
        "services/a.yaml": "name: a\nreadability: 3\nshare: 0.62\n",
    }
    project = load_project(SourceSet.from_memory(files), cache=False)
    report = evaluate_project(project, as_of=AS_OF)
    assert report.subjects[0].verdict is Verdict.GO
    found = fragility(project, report, within=0.4)
    by_parameter = {item.parameter: item for item in found["a"]}
    assert by_parameter["const floor"].after == 4  # 3 -> 4, never 3.0001
    assert by_parameter["const floor"].relative == pytest.approx(1 / 3, abs=1e-6)
    assert by_parameter["const min_share"].after == pytest.approx(0.62, abs=1e-5)
    assert by_parameter["const min_share"].after > 0.62
    assert list(by_parameter) == ["const min_share", "const floor"]  # the smallest change first
    assert fragility(project, report, within=0.2).get("a", ()) and "const floor" not in {
        item.parameter for item in fragility(project, report, within=0.2)["a"]
    }  # one whole step is 33 %: outside a 20 % window
    for item in found["a"]:
        check_fragility(project, "a", item)


POLICY = """schema {{
  value: number 0..10 "Value"
  effort: number 1..5 "Effort"
}}
criteria case "The case" {{
  value weight {w_value}
  effort weight {w_effort}
}}
const bar = {bar}
policy gate "Worth it" {{
  go worth when score(case) >= bar because "worth it"
  otherwise not_yet "not worth it"
}}
"""


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    w_value=st.sampled_from([1, 2, 2.5, 3, 4]),
    w_effort=st.sampled_from([-1, -0.5, -2]),
    bar=st.sampled_from([5, 8, 10, 12.5]),
    value=st.integers(0, 10),
    effort=st.integers(1, 5),
)
def test_generated_cases(**values: Any) -> None:
    files = {
        "policies/gate.policy": POLICY.format(**values),
        "services/a.yaml": f"name: a\nvalue: {values['value']}\neffort: {values['effort']}\n",
    }
    project = load_project(SourceSet.from_memory(files), cache=False)
    assert not project.errors, project.errors
    report = evaluate_project(project, as_of=AS_OF)
    if report.subjects[0].verdict is not Verdict.GO:
        return
    for item in fragility(project, report, within=0.25).get("a", ()):
        check_fragility(project, "a", item)


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.main, list(arguments), catch_exceptions=False)
    return result.exit_code, result.output


def test_check_fragile_text_and_json() -> None:
    arguments = ["check", str(SCALEUP), "--as-of", "2026-11-26", "--fragile", "--no-trace", "-s", "erp"]
    code, text = run(*arguments)
    assert code == cli.EXIT_OK
    check_golden("fragile/scaleup-erp.txt", text)
    code, output = run(*arguments[:-3], "-s", "erp", "--format", "json")
    payload = json.loads(output)
    jsonschema.validate(payload, SCHEMA)
    (erp,) = payload["services"]
    check_golden("fragile/scaleup-erp.json", json.dumps(erp["fragile"], indent=2, sort_keys=True) + "\n")
    assert set(erp["fragile"][0]) == {"parameter", "description", "from", "to", "relative", "becomes"}


def test_fragile_within_takes_a_percentage() -> None:
    base = ["check", str(QUICKSTART), "--as-of", "2026-11-26", "--fragile", "--no-trace", "-s", "website"]
    _, ten = run(*base)
    assert "fragile GO" not in ten
    _, sixty = run(*base, "--fragile-within", "60%")
    assert sixty == run(*base, "--fragile-within", "60")[1]
    assert (
        "fragile GO: flips to NOT YET if the weight of business_value in value_case drops below 1.5" in sixty
    )
    code, output = run(*base, "--fragile-within", "ten")
    assert code == 2
    assert "`ten` is not a number: give a number from 0 to 100" in output


def test_the_board_report_lists_the_parameters_that_decide_most(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    code, _ = run("report", str(SCALEUP), "--as-of", "2026-11-26", "--fragile", "-o", str(target))
    assert code == cli.EXIT_OK
    html = target.read_text(encoding="utf-8")
    assert "Parameters that decide the most GO verdicts" in html
    assert '<a href="#what-it-takes">What it would take</a>' in html
    code, _ = run("report", str(SCALEUP), "--as-of", "2026-11-26", "-o", str(target))
    assert "what-it-takes" not in target.read_text(encoding="utf-8")


def test_deciding_parameters_count_the_subjects() -> None:
    project = load_project(QUICKSTART, cache=False)
    report = evaluate_project(project, as_of=AS_OF)
    from decisionlang.api import with_fragility

    (entry,) = deciding_parameters(with_fragility(project, report, within=0.6))
    assert entry.parameter == "weight value_case.term#1"
    assert entry.subjects == ("ledger-db", "website")


@pytest.mark.parametrize("page", ["cli.md", "governance.md"])
def test_the_docs_sample_is_the_output(page: str) -> None:
    command = "check examples/scaleup --as-of 2026-11-26 --fragile --no-trace -s erp"
    sample = docs_sample(page, command)
    code, output = run(*command.replace("examples/scaleup", str(SCALEUP)).split())
    assert code == cli.EXIT_OK
    assert output == sample

"""`decisionlang import openslo`: every real OpenSLO file in tests/fixtures/openslo/ (copies of the
shared real-world files), what each contains, the golden import, loading it, and malformed files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from support import check_golden

from decisionlang import cli
from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.core.subjects import Duration
from decisionlang.inputs.importers.common import input_files, plain_value
from decisionlang.inputs.importers.openslo import import_openslo
from decisionlang.inputs.yamlreader import YAML_SUFFIXES

ROOT = Path(__file__).parent.parent
FIXTURES = Path("tests/fixtures/openslo")
DOCS = ROOT / "docs" / "inputs.md"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, ["import", "openslo", *args], catch_exceptions=False)


def subjects_of(*names: str) -> dict[str, dict[str, Any]]:
    files = [(str(FIXTURES / name), FIXTURES / name) for name in names]
    result = import_openslo(files)
    return {s["name"]: {k: plain_value(v) for k, v in s.items()} for s in result.subjects}


# What each real file holds, read by hand: per SLO objective, its subject's name, the service the
# SLO names, its target, budgeting method, time window (as written) and time-slice window.
SLOS: dict[str, list[tuple[str, str, float, str, str, str | None]]] = {
    "OpenSLO__examples__budgeting-method__occurences-slo.yaml": [
        ("slo:search-slo", "web-shop", 0.99, "Occurrences", "2w", None),
    ],
    "OpenSLO__examples__budgeting-method__ratio-timeslices.yaml": [
        ("slo:main-page", "web-shop", 0.99, "RatioTimeslices", "2w", "1 minute"),
    ],
    "OpenSLO__examples__budgeting-method__timeslices-slo.yaml": [
        (
            "slo:service-availability/internal-objective",
            "web-availability",
            0.995,
            "Timeslices",
            "1m",
            "1 minute",
        ),
        ("slo:service-availability/sla", "web-availability", 0.99, "Timeslices", "1m", "1 minute"),
    ],
    "OpenSLO__examples__treat-low-traffic-as-equally-important__timeslices-slo.yaml": [
        ("slo:service-availability", "web-availability", 0.9995, "Timeslices", "1w", "1 minute"),
    ],
    "oslo__test__inputs__validate__v1.yaml": [
        ("slo:web-availability", "web", 0.995, "Timeslices", "1w", "1 minute"),
    ],
    "oslo__test__inputs__validate__v1alpha.yaml": [
        ("slo:my-amazing-slo", "my-awesome-service", 0.99, "Occurrences", "1M", None),
        ("slo:ratio", "my-test-service", 0.98, "Timeslices", "28d", None),
    ],
    "oslo__test__inputs__validate__v2alpha.yaml": [
        ("slo:web-availability", "web", 0.995, "Timeslices", "1w", "1 minute"),
    ],
}
SERVICES: dict[str, list[str]] = {
    "oslo__test__inputs__validate__v1.yaml": ["example service", "example-service"],
    "oslo__test__inputs__validate__v1alpha.yaml": ["my-rad service", "this"],
    "oslo__test__inputs__validate__v2alpha.yaml": ["example service", "example-service"],
}
WINDOWS = {"2w": "2 weeks", "1w": "1 week", "1M": "1 month", "28d": "28 days", "1m": "1 minute"}


def test_every_real_file_is_listed() -> None:
    assert sorted(path.name for path in FIXTURES.glob("*.yaml")) == sorted(SLOS)


@pytest.mark.parametrize("name", sorted(SLOS))
def test_real_file_alone(name: str) -> None:
    subjects = subjects_of(name)
    slos = [s for s in subjects.values() if s["kind"] == "slo"]
    assert [
        (s["name"], s["service"], s["slo.target"], s["slo.budgeting_method"], s.get("slo.time_slice_window"))
        for s in slos
    ] == [(slo, service, target, method, seconds) for slo, service, target, method, _, seconds in SLOS[name]]
    assert [s["slo.time_window"] for s in slos] == [WINDOWS[window] for *_, window, _ in SLOS[name]]
    services = sorted(s["name"] for s in subjects.values() if s["kind"] == "service")
    assert services == SERVICES.get(name, [])


def test_the_three_versions_read_alike() -> None:
    v1 = subjects_of("oslo__test__inputs__validate__v1.yaml")["slo:web-availability"]
    v2 = subjects_of("oslo__test__inputs__validate__v2alpha.yaml")["slo:web-availability"]
    differ = {key for key in v1.keys() | v2.keys() if v1.get(key) != v2.get(key)}
    assert differ == {"openslo.api_version", "tags", "title", "slo.metric_source"}
    assert v2["slo.metric_source"] == "my-prometheus"  # v2alpha's dataSourceRef
    alpha = subjects_of("oslo__test__inputs__validate__v1alpha.yaml")
    assert alpha["slo:ratio"]["slo.indicator_kind"] == "ratioMetric"  # on the objective in v1alpha
    assert alpha["slo:my-amazing-slo"]["slo.threshold"] == 2000
    assert alpha["slo:my-amazing-slo"]["slo.calendar.time_zone"] == "UTC"


def test_one_minute_is_a_minute_and_said_so() -> None:
    """The timeslices example writes `duration: 1m` meaning a month; OpenSLO reads a minute."""
    result = run(str(FIXTURES / "OpenSLO__examples__budgeting-method__timeslices-slo.yaml"))
    assert "time_window: 1 minute # 1m (m is a minute in OpenSLO, M a month)" in result.stdout


def test_whole_directory_golden_and_duplicates() -> None:
    result = run(str(FIXTURES))
    assert result.exit_code == 0, result.stderr
    check_golden("import/openslo.yaml", result.stdout)
    check_golden("import/openslo-report.txt", result.stderr)
    report = run(str(FIXTURES), "--report-format", "json")
    check_golden("import/openslo-report.json", report.stderr)
    payload = json.loads(report.stderr)
    assert payload["source"] == "openslo"
    assert payload["summary"]["items"] == 14  # 9 SLOs and 5 Service objects in seven files
    skipped = [item for item in payload["items"] if item["imported_as"] is None]
    assert [item["ref"] for item in skipped] == [
        "SLO/service-availability",  # the low-traffic example reuses the name of the timeslices one
        "SLO/web-availability",  # v2alpha repeats v1's SLO and services
        "Service/example-service",
        "Service/example service",
    ]
    assert "5 services named by SLOs but declared by no imported Service object" in result.stderr


def test_output_does_not_depend_on_the_order_of_the_files() -> None:
    files = input_files([FIXTURES], YAML_SUFFIXES, "OpenSLO file")
    assert import_openslo(files).subjects == import_openslo(list(reversed(files))).subjects


def docs_schema() -> str:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## OpenSLO", 1)[1]
    match = re.search(r"```decisionlang\n(schema \{\n.*?\n\})\n```", section, re.S)
    assert match, "docs/inputs.md has no OpenSLO schema block"
    return match.group(1) + "\n"


def test_imported_file_validates_with_the_docs_schema(tmp_path: Path) -> None:
    project = tmp_path / "repo"
    (project / "policies").mkdir(parents=True)
    (project / "services").mkdir()
    (project / "policies" / "openslo.policy").write_text(docs_schema(), encoding="utf-8")
    assert run(str(FIXTURES), "--output", str(project / "services" / "slos.yaml")).exit_code == 0
    named = ["web-shop", "web", "web-availability", "my-test-service", "my-awesome-service"]
    overlay = "services:\n" + "".join(f"  - name: {name}\n" for name in named)
    (project / "services" / "services.yaml").write_text(overlay, encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["validate", str(project)])
    assert result.exit_code == cli.EXIT_OK, result.output
    assert "16 subjects, 0 errors, 0 warnings" in result.output
    from decisionlang.api import load_project

    loaded = load_project(project)
    window = loaded.portfolio.by_name["slo:search-slo"].fields["slo.time_window"]
    assert window == Duration(14.0)


def test_docs_schema_declares_every_imported_field(tmp_path: Path) -> None:
    declared = set(re.findall(r"^  ([a-z_.]+):", docs_schema(), re.M))
    files = input_files([FIXTURES], YAML_SUFFIXES, "OpenSLO file")
    written = {path for subject in import_openslo(files).subjects for path in subject}
    assert written - {"name", "kind", "tags"} <= declared


# ---------------------------------------------------------------------------------------------
# malformed files


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("kind: [SLO\n", "slo.yaml:2:1: DL-IMPORT-YAML: invalid YAML"),
        ("- 1\n- 2\n", "slo.yaml:1:3: DL-IMPORT-OPENSLO: not an OpenSLO object: expected a mapping, got 1"),
        (
            "kind: SLO\nmetadata: {name: x}\n",
            "slo.yaml:1:1: DL-IMPORT-OPENSLO: not an OpenSLO object: no `apiVersion`",
        ),
        (
            "apiVersion: openslo/v9\nkind: SLO\nmetadata: {name: x}\n",
            "slo.yaml:1:13: DL-IMPORT-OPENSLO: not an OpenSLO object: `apiVersion` 'openslo/v9'",
        ),
        (
            "apiVersion: openslo/v1\nkind: SLO\nmetadata: {displayName: x}\n",
            "slo.yaml:3:11: DL-IMPORT-OPENSLO: not an OpenSLO object: no `metadata.name`",
        ),
        ("# nothing\n", "slo.yaml: DL-IMPORT-NO-ENTITY: no OpenSLO object in this file"),
        (
            "apiVersion: openslo/v1\nkind: DataSource\nmetadata: {name: prom}\n",
            "slo.yaml:1:1: DL-IMPORT-NO-ENTITY: no SLO or Service to import: DataSource/prom",
        ),
    ],
)
def test_malformed_file_is_located(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "slo.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DecisionlangError) as caught:
        import_openslo([("slo.yaml", path)])
    rendered = "\n".join(f"{d.where}: {d.code}: {d.message}" for d in caught.value.diagnostics)
    assert expected in rendered


def test_wrong_values_are_reported_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "slo.yaml"
    path.write_text(
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: s\n"
        "  budgetingMethod: Weekly\n  timeWindow: [{duration: 2 weeks}]\n"
        "  objectives:\n    - {target: high, op: eq}\n",
        encoding="utf-8",
    )
    result = run(str(path))
    assert result.exit_code == 0, result.stderr
    assert "slo.yaml:6:20: spec.budgetingMethod: not imported: 'Weekly' is not Occurrences" in result.stderr
    assert "'2 weeks' is not an OpenSLO duration" in result.stderr
    assert 'objectives[].target: not imported: must be a number, got "high"' in result.stderr
    assert "'eq' is not lt, lte, gt, gte" in result.stderr
    assert "target:" not in result.stdout and "budgeting_method" not in result.stdout


def test_cli_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: openslo/v1\nkind: SLO\n", encoding="utf-8")
    target = tmp_path / "out.yaml"
    result = run(str(FIXTURES), str(bad), "--output", str(target))
    assert result.exit_code == cli.EXIT_INVALID
    assert not target.exists()
    assert f"{bad}:1:1: error[DL-IMPORT-OPENSLO]: not an OpenSLO object: no `metadata`" in result.stderr


def test_fixtures_are_the_shared_real_files() -> None:
    shared = ROOT.parent / "shared" / "realworld" / "openslo"
    if not shared.is_dir():
        pytest.skip("the shared real-world files are not available")
    for fixture in sorted((ROOT / FIXTURES).glob("*.yaml")):
        assert fixture.read_bytes() == (shared / fixture.name).read_bytes(), fixture.name


@pytest.mark.parametrize(
    ("shorthand", "written"),
    [
        ("1m", "1 minute"),
        ("90m", "90 minutes"),
        ("12h", "12 hours"),
        ("28d", "28 days"),
        ("4w", "4 weeks"),
        ("1M", "1 month"),
        ("1Q", "3 months"),
        ("2Y", "2 years"),
    ],
)
def test_every_duration_unit(tmp_path: Path, shorthand: str, written: str) -> None:
    path = tmp_path / "slo.yaml"
    path.write_text(
        "apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: x}\nspec:\n  service: s\n"
        f"  timeWindow: [{{duration: {shorthand}}}]\n"
        f"  objectives: [{{target: 0.9, timeSliceWindow: {shorthand[:-1]}m}}]\n",
        encoding="utf-8",
    )
    [subject] = import_openslo([("slo.yaml", path)]).subjects
    assert plain_value(subject["slo.time_window"]) == written
    count = int(shorthand[:-1])
    assert plain_value(subject["slo.time_slice_window"]) == f"{count} minute{'s' if count != 1 else ''}"


SLI_AND_SLO = """\
- apiVersion: openslo/v1
  kind: SLI
  metadata: {name: search-latency}
  spec:
    thresholdMetric:
      metricSource: {type: Prometheus, spec: {query: latency}}
- apiVersion: openslo/v1
  kind: SLO
  metadata: {name: search}
  spec:
    service: web-shop
    indicatorRef: search-latency
    timeWindow: [{duration: 28d, isRolling: true}]
    budgetingMethod: Occurrences
    objectives: [{target: 0.99, op: lt, value: 500}]
- apiVersion: openslo/v1
  kind: SLO
  metadata: {name: checkout}
  spec:
    service: web-shop
    indicatorRef: checkout-errors
    timeWindow: [{duration: 28d, isRolling: true}]
    budgetingMethod: Occurrences
    objectives: [{target: 0.999}]
"""


def test_an_sli_defined_apart_is_read_into_the_slos_that_name_it(tmp_path: Path) -> None:
    path = tmp_path / "slos.yaml"
    path.write_text(SLI_AND_SLO, encoding="utf-8")
    result = import_openslo([("slos.yaml", path)])
    subjects = {s["name"]: s for s in result.subjects}
    search = subjects["slo:search"]
    assert search["slo.indicator"] == "search-latency"
    assert search["slo.indicator_kind"] == "thresholdMetric"
    assert search["slo.metric_source"] == "Prometheus"
    sli = result.items[0]
    assert sli.subject is None
    assert (
        sli.findings[0].message == "not a subject: an indicator, read into the SLOs that name it (slo:search)"
    )
    checkout = subjects["slo:checkout"]
    assert "slo.indicator_kind" not in checkout  # its SLI is not among the files: missing, and said so
    [finding] = [f for f in result.items[2].findings if f.field == "spec.indicatorRef"]
    assert finding.reference and (finding.line, finding.column) == (21, 5)
    assert "`checkout-errors` names no SLI object among the imported files" in finding.message

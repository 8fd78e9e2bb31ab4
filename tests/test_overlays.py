"""Several sources, one subject: a definition (hand-written or imported) and `overlays:` entries
that add facts to it, each fact keeping the file, line and column it is written at."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from support import check_golden

from decisionlang import cli
from decisionlang.core.diagnostics import Diagnostic
from decisionlang.core.subjects import Portfolio
from decisionlang.inputs.states import load_states
from decisionlang.language.types import NUMBER, TEXT, FieldSpec, ScaleType

BACKSTAGE = Path("/work/shared/realworld/backstage/bb__components__artist-lookup-component.yaml")
CRITICALITY = ScaleType("criticality", ("low", "medium", "high", "critical"))
SCHEMA = {
    spec.path: spec
    for spec in (
        FieldSpec("criticality", CRITICALITY, required=True),
        FieldSpec("tier", NUMBER, integer=True, minimum=1, maximum=3),
        FieldSpec("lifecycle", TEXT),
    )
}

CATALOG = """\
services:
  - name: orders-api
    owner: team-orders
    lifecycle: production
  - name: billing
    lifecycle: production
    criticality: low
"""
OVERLAY = """\
overlays:
  - name: orders-api
    criticality: high
    tier: 2
"""


def load(files: dict[str, str]) -> tuple[Portfolio, list[Diagnostic]]:
    return load_states(sorted(files.items()), SCHEMA)


def test_an_overlay_adds_facts_and_each_keeps_its_origin() -> None:
    portfolio, diagnostics = load({"services/catalog.yaml": CATALOG, "services/overlay.yaml": OVERLAY})
    assert diagnostics == []
    orders = portfolio.by_name["orders-api"]
    assert (orders.file, orders.line) == ("services/catalog.yaml", 2)
    assert orders.fields["criticality"] == "high" and orders.fields["lifecycle"] == "production"
    assert orders.origin_of("criticality") == ("services/overlay.yaml", 3, 18)
    assert orders.origin_of("tier") == ("services/overlay.yaml", 4, 11)
    assert orders.origin_of("lifecycle") == ("services/catalog.yaml", 4, 16)
    assert orders.origin_of("owner") == ("services/catalog.yaml", 3, 12)


def test_the_merge_does_not_depend_on_file_order() -> None:
    files = {"services/catalog.yaml": CATALOG, "services/overlay.yaml": OVERLAY}
    ahead = load_states(sorted(files.items()), SCHEMA)[0].by_name["orders-api"]
    behind = load_states(sorted(files.items(), reverse=True), SCHEMA)[0].by_name["orders-api"]
    assert ahead.fields == behind.fields
    assert {path: ahead.origin_of(path) for path in ahead.fields} == {
        path: behind.origin_of(path) for path in behind.fields
    }


def test_a_fact_stated_twice_with_two_values_names_both_places() -> None:
    overlay = OVERLAY + "    lifecycle: retired\n"
    portfolio, diagnostics = load({"services/catalog.yaml": CATALOG, "services/overlay.yaml": overlay})
    assert [(d.code, d.where, d.message) for d in diagnostics] == [
        (
            "DL-STATE-CONFLICT",
            "services/overlay.yaml:5:16",
            '`lifecycle` of `orders-api` is "retired" here, but "production" at services/catalog.yaml:4:16',
        )
    ]
    assert "orders-api" not in portfolio.by_name and "billing" in portfolio.by_name


def test_the_same_fact_stated_the_same_way_is_fine() -> None:
    overlay = OVERLAY + "    lifecycle: production\n"
    portfolio, diagnostics = load({"services/catalog.yaml": CATALOG, "services/overlay.yaml": overlay})
    assert diagnostics == []
    assert portfolio.by_name["orders-api"].origin_of("lifecycle") == ("services/catalog.yaml", 4, 16)


def test_two_overlays_of_one_subject_add_up_and_may_conflict() -> None:
    second = "overlays:\n  - name: orders-api\n    tier: 3\n"
    files = {"services/catalog.yaml": CATALOG, "services/overlay.yaml": OVERLAY, "services/z.yaml": second}
    _, diagnostics = load(files)
    assert [(d.code, d.where) for d in diagnostics] == [("DL-STATE-CONFLICT", "services/z.yaml:3:11")]
    assert "at services/overlay.yaml:4:11" in diagnostics[0].message


def test_an_overlay_of_no_subject_is_an_error_with_a_hint() -> None:
    overlay = "overlays:\n  - name: biling\n    tier: 1\n"
    portfolio, diagnostics = load({"services/catalog.yaml": CATALOG, "services/overlay.yaml": overlay})
    assert [(d.code, d.where, d.help) for d in diagnostics] == [
        # orders-api has no overlay now: its required criticality is missing
        ("DL-STATE-REQUIRED", "services/catalog.yaml:2:5", None),
        ("DL-STATE-DANGLING", "services/overlay.yaml:2:11", "did you mean `billing`?"),
    ]
    assert "billing" in portfolio.by_name


def test_a_required_field_may_come_from_the_overlay_only() -> None:
    portfolio, diagnostics = load({"services/catalog.yaml": CATALOG, "services/overlay.yaml": OVERLAY})
    assert diagnostics == [] and portfolio.by_name["orders-api"].fields["criticality"] == "high"
    _, alone = load({"services/catalog.yaml": CATALOG})
    assert [(d.code, d.message) for d in alone] == [
        ("DL-STATE-REQUIRED", "subject `orders-api` is missing required field `criticality`")
    ]


def test_overlay_values_are_validated_where_they_are_written() -> None:
    overlay = "overlays:\n  - name: orders-api\n    criticality: hihg\n"
    portfolio, diagnostics = load({"services/catalog.yaml": CATALOG, "services/overlay.yaml": overlay})
    assert [(d.code, d.where) for d in diagnostics] == [("DL-STATE-SCALE", "services/overlay.yaml:3:18")]
    assert "orders-api" not in portfolio.by_name


def test_an_overlay_in_json() -> None:
    overlay = json.dumps({"overlays": [{"name": "orders-api", "criticality": "high", "tier": 2}]})
    portfolio, diagnostics = load({"services/catalog.yaml": CATALOG, "services/overlay.json": overlay})
    assert diagnostics == []
    assert portfolio.by_name["orders-api"].origin_of("tier")[0] == "services/overlay.json"


POLICY = """\
scale criticality { low < medium < high < critical }
schema {
  criticality: criticality required "Impact of an outage"
  tier:        integer 1..3         "1 = the business stops without it"
  lifecycle:   text
}
policy gate "Critical production services run at tier 1" {
  applies to kind service
  no_go weak when criticality >= high and tier > 1 and lifecycle == "production"
        because "tier {tier} for a {criticality} service"
  go tier_one when tier == 1 because "tier 1"
}
"""


def test_an_imported_catalog_and_its_overlay_in_the_trace(tmp_path: Path) -> None:
    """`import backstage` writes the catalog; the overlay holds what the catalog does not; a new
    import rewrites the catalog and leaves the overlay, and the trace says where each fact is from."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "gate.policy").write_text(POLICY, encoding="utf-8")
    (tmp_path / "services").mkdir()
    overlay = (
        "# written by hand\noverlays:\n  - name: artist-lookup\n    criticality: critical\n    tier: 2\n"
    )
    (tmp_path / "services" / "overlay.yaml").write_text(overlay, encoding="utf-8")
    runner = CliRunner()
    for _ in range(2):  # importing again rewrites the catalog, never the overlay
        output = tmp_path / "services" / "catalog.yaml"
        imported = runner.invoke(cli.main, ["import", "backstage", str(BACKSTAGE), "-o", str(output)])
        assert imported.exit_code == 0, imported.output
    assert (tmp_path / "services" / "overlay.yaml").read_text(encoding="utf-8") == overlay
    (tmp_path / "services" / "catalog.yaml").write_text(
        (tmp_path / "services" / "catalog.yaml")
        .read_text(encoding="utf-8")
        .replace(str(BACKSTAGE), BACKSTAGE.name),
        encoding="utf-8",
    )
    explained = runner.invoke(
        cli.main, ["explain", "artist-lookup", str(tmp_path), "--as-of", "2026-12-02", "--no-color"]
    )
    check_golden("inputs/overlay_trace.txt", explained.stdout)
    assert "criticality = critical  (services/overlay.yaml:4:18)" in explained.stdout
    assert "tier = 2  (services/overlay.yaml:5:11)" in explained.stdout
    report = json.loads(
        runner.invoke(cli.main, ["check", str(tmp_path), "--as-of", "2026-12-02", "--format", "json"]).stdout
    )
    assert "services/overlay.yaml" in json.dumps(report)


def test_a_fact_missing_from_a_subject_with_an_overlay_is_to_be_added_to_the_overlay(tmp_path: Path) -> None:
    """The defining file may be an import's output, rewritten on the next import: the hint names
    the overlay, in the text and in JSON; a subject without an overlay keeps its own file."""
    catalog = "# Generated by `decisionlang import backstage`\n" + CATALOG.replace(
        "    criticality: low\n", ""
    )
    overlay = (
        "overlays:\n  - name: orders-api\n    criticality: critical\n"
        "  - name: billing\n    criticality: low\n"
    )
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "gate.policy").write_text(POLICY, encoding="utf-8")
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "catalog.yaml").write_text(catalog, encoding="utf-8")
    (tmp_path / "services" / "overlay.yaml").write_text(overlay, encoding="utf-8")
    (tmp_path / "services" / "solo.yaml").write_text(
        "name: solo\ncriticality: high\nlifecycle: production\n", encoding="utf-8"
    )
    runner = CliRunner()
    explained = runner.invoke(
        cli.main, ["explain", "orders-api", str(tmp_path), "--as-of", "2026-12-02", "--no-color"]
    )
    assert explained.exit_code == 0, explained.output
    assert "tier — add it to services/overlay.yaml (needed by rule gate.weak)" in explained.stdout
    assert "catalog.yaml (needed" not in explained.stdout
    solo = runner.invoke(cli.main, ["explain", "solo", str(tmp_path), "--as-of", "2026-12-02", "--no-color"])
    assert "tier — add it to services/solo.yaml (needed by rule gate.weak)" in solo.stdout
    report = json.loads(
        runner.invoke(cli.main, ["check", str(tmp_path), "--as-of", "2026-12-02", "--format", "json"]).stdout
    )
    missing = {
        (item["subject"], item["field"], item["file"])
        for one in report["services"]
        for item in one["missing"]
    }
    assert ("orders-api", "tier", "services/overlay.yaml") in missing
    assert ("solo", "tier", "services/solo.yaml") in missing


def test_a_conflict_leaves_the_subject_out_without_calling_its_waiver_stale() -> None:
    from decisionlang.api import SourceSet, load_project

    waiver = (
        "waivers:\n  - id: W-1\n    subject: s\n    rule: p.x\n    owner: a\n    approver: b\n"
        "    rationale: r\n    compensating_measure: m\n    granted: 2026-11-01\n    expires: 2027-01-01\n"
    )
    files = {
        "policies/p.policy": "schema { tier: integer }\npolicy p {\n  no_go x when tier > 1\n}\n",
        "services/s.yaml": "services:\n  - name: s\n    tier: 1\n",
        "services/o.yaml": "overlays:\n  - name: s\n    tier: 2\n",
        "waivers/w.yaml": waiver,
    }
    project = load_project(SourceSet.from_memory(files))
    assert [(d.code, d.where) for d in project.diagnostics] == [("DL-STATE-CONFLICT", "services/o.yaml:3:11")]

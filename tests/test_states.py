"""Loading state files: shapes, values, positions, every diagnostic code, limits and robustness."""

from __future__ import annotations

import datetime
import io
import os
import string
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from decisionlang.core.diagnostics import Diagnostic, Severity, render_text, sorted_diagnostics
from decisionlang.core.subjects import Duration, Portfolio
from decisionlang.inputs import yamlreader
from decisionlang.inputs.sources import Role, SizeLimits, SourceFile, read_file
from decisionlang.inputs.states import YamlLimits, load_states
from decisionlang.language.types import BOOL, DATE, DURATION, NUMBER, TEXT, FieldSpec, ScaleType, list_of

GOLDEN = Path(__file__).parent / "golden" / "states"
BACKSTAGE = Path("/work/shared/realworld/backstage")

CRITICALITY = ScaleType("criticality", ("low", "medium", "high", "critical"))

SCHEMA: dict[str, FieldSpec] = {
    spec.path: spec
    for spec in (
        FieldSpec("criticality", CRITICALITY, required=True, description="how bad an outage is"),
        FieldSpec("risk.security", NUMBER, minimum=0, maximum=10),
        FieldSpec("risk.privacy", NUMBER, minimum=0, maximum=10),
        FieldSpec("cost.monthly", NUMBER, minimum=0, unit="€"),
        FieldSpec("cost.label", TEXT),
        FieldSpec("deadline", DATE),
        FieldSpec("review_every", DURATION),
        FieldSpec("pci", BOOL),
        FieldSpec("replicas", NUMBER, integer=True, minimum=1, maximum=100),
        FieldSpec("regions", list_of(TEXT)),
        FieldSpec("zones", list_of(CRITICALITY)),
    )
}


def load(
    directory: Path,
    files: dict[str, str | bytes],
    schema: dict[str, FieldSpec] | None = None,
    limits: YamlLimits | None = None,
) -> tuple[Portfolio, list[Diagnostic]]:
    """Write `files` under `directory/states/` and load them, displayed as `states/<name>`."""
    states = directory / "states"
    states.mkdir(exist_ok=True)
    pairs = []
    for name, content in sorted(files.items()):
        path = states / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        pairs.append((f"states/{name}", path))
    return load_files(pairs, SCHEMA if schema is None else schema, limits or YamlLimits())


def load_files(
    pairs: list[tuple[str, Path]], schema: dict[str, FieldSpec], limits: YamlLimits | None = None
) -> tuple[Portfolio, list[Diagnostic]]:
    """Read each file as a project's sources are read, then load the states."""
    limits = limits or YamlLimits()
    read = [
        read_file(path, shown, Role.STATE, SizeLimits(yaml_bytes=limits.max_bytes)) for shown, path in pairs
    ]
    files = [item for item in read if isinstance(item, SourceFile)]
    problems = [item for item in read if isinstance(item, Diagnostic)]
    portfolio, diagnostics = load_states(files, schema, limits=limits)
    return portfolio, sorted_diagnostics(problems + diagnostics)


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [diagnostic.code for diagnostic in diagnostics]


def where(diagnostic: Diagnostic) -> tuple[int, int]:
    assert diagnostic.span is not None
    return diagnostic.span.line, diagnostic.span.column


def check_golden(name: str, diagnostics: list[Diagnostic]) -> None:
    """Compare the rendered diagnostics with tests/golden/states/<name>.txt (or rewrite it on request)."""
    text = "\n\n".join(render_text(diagnostic) for diagnostic in diagnostics) + "\n"
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("DECISIONLANG_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        return
    assert golden.exists(), f"missing {golden}; run with DECISIONLANG_UPDATE_GOLDEN=1 to create it"
    assert text == golden.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# shapes


def test_single_subject_file(tmp_path: Path) -> None:
    portfolio, diagnostics = load(tmp_path, {"api.yaml": "name: api\ncriticality: high\nowner: team-a\n"})
    assert diagnostics == []
    (api,) = portfolio.subjects
    assert (api.name, api.kind, api.file, api.line, api.column) == ("api", "service", "states/api.yaml", 1, 1)
    assert api.fields == {
        "name": "api",
        "kind": "service",
        "criticality": "high",
        "owner": "team-a",
        "tags": [],
        "depends_on": [],
        "targets": [],
    }


def test_services_and_initiatives(tmp_path: Path) -> None:
    text = """\
services:
  - name: api
    criticality: high
    depends_on: [db]
  - name: db
    kind: database
    criticality: critical
initiatives:
  - name: move-to-eu
    criticality: medium
    targets: [api, db]
"""
    portfolio, diagnostics = load(tmp_path, {"all.yaml": text})
    assert diagnostics == []
    assert [(s.name, s.kind) for s in portfolio.subjects] == [
        ("api", "service"),
        ("db", "database"),
        ("move-to-eu", "initiative"),
    ]
    assert portfolio.dependents["db"] == ("api",)
    assert portfolio.by_name["move-to-eu"].fields["targets"] == ["api", "db"]
    assert (portfolio.by_name["db"].line, portfolio.by_name["db"].column) == (5, 5)


def test_multi_document_file_mixing_both_shapes(tmp_path: Path) -> None:
    text = """\
name: api
criticality: low
---
services:
  - name: db
    criticality: high
---
# an empty document is fine
---
"""
    portfolio, diagnostics = load(tmp_path, {"docs.yaml": text})
    assert diagnostics == []
    assert [(s.name, s.line) for s in portfolio.subjects] == [("api", 1), ("db", 5)]


def test_subjects_from_several_files_share_one_namespace(tmp_path: Path) -> None:
    files = {
        "a.yaml": "name: api\ncriticality: low\ndepends_on: [db]\n",
        "b.yaml": "name: db\ncriticality: low\n",
    }
    portfolio, diagnostics = load(tmp_path, files)
    assert diagnostics == []
    assert portfolio.dependencies_of("api") == ("db",)
    assert portfolio.by_name["db"].file == "states/b.yaml"


# ---------------------------------------------------------------------------------------------
# values


def test_values_are_validated_and_converted(tmp_path: Path) -> None:
    text = """\
name: Café Crème
criticality: critical
risk:
  security: 7
  privacy: 2.5
cost: {monthly: 12000, label: "12 000 €"}
deadline: 2027-03-31
review_every: 3 months
pci: true
replicas: 3
regions: [eu-west-1, "ap-south-1"]
zones: [low, high]
tags: [web, ünïcode]
"""
    portfolio, diagnostics = load(tmp_path, {"café.yaml": text})
    assert diagnostics == []
    fields = portfolio.by_name["Café Crème"].fields
    assert fields["risk.security"] == 7 and type(fields["risk.security"]) is int
    assert fields["risk.privacy"] == 2.5
    assert fields["cost.monthly"] == 12000
    assert fields["cost.label"] == "12 000 €"
    assert fields["deadline"] == datetime.date(2027, 3, 31)
    assert fields["review_every"] == Duration(90)
    assert fields["pci"] is True
    assert fields["replicas"] == 3
    assert fields["regions"] == ["eu-west-1", "ap-south-1"]
    assert fields["zones"] == ["low", "high"]
    assert fields["tags"] == ["web", "ünïcode"]
    assert all(type(value) is not bool for value in (fields["replicas"], fields["risk.security"]))


@pytest.mark.parametrize(
    ("written", "days"),
    [
        ("90", 90),
        ("1.5", 1.5),
        ('"90 days"', 90),
        ('"1 day"', 1),
        ('"2 weeks"', 14),
        ("3 months", 90),
        ("1 year", 365),
    ],
)
def test_durations(tmp_path: Path, written: str, days: float) -> None:
    portfolio, diagnostics = load(
        tmp_path, {"s.yaml": f"name: s\ncriticality: low\nreview_every: {written}\n"}
    )
    assert diagnostics == []
    assert portfolio.by_name["s"].fields["review_every"] == Duration(days)


def test_quoted_iso_date_is_a_date(tmp_path: Path) -> None:
    portfolio, diagnostics = load(tmp_path, {"s.yaml": 'name: s\ncriticality: low\ndeadline: "2027-03-31"\n'})
    assert diagnostics == []
    assert portfolio.by_name["s"].fields["deadline"] == datetime.date(2027, 3, 31)


def test_null_means_absent(tmp_path: Path) -> None:
    portfolio, diagnostics = load(
        tmp_path, {"s.yaml": "name: s\ncriticality: low\nowner:\nrisk: ~\npci: null\n"}
    )
    assert diagnostics == []
    fields = portfolio.by_name["s"].fields
    assert "owner" not in fields and "pci" not in fields and "risk.security" not in fields


def test_dotted_keys_and_nested_mappings_are_the_same_path(tmp_path: Path) -> None:
    portfolio, diagnostics = load(tmp_path, {"s.yaml": "name: s\ncriticality: low\nrisk.security: 4\n"})
    assert diagnostics == []
    assert portfolio.by_name["s"].fields["risk.security"] == 4


def test_merge_keys_from_an_x_anchor_holder(tmp_path: Path) -> None:
    text = """\
x-defaults: &defaults
  criticality: high
  risk: {security: 3}
services:
  - <<: *defaults
    name: api
  - <<: *defaults
    name: db
    criticality: low
"""
    portfolio, diagnostics = load(tmp_path, {"s.yaml": text})
    assert diagnostics == []
    api, db = portfolio.subjects
    assert (api.fields["criticality"], db.fields["criticality"]) == ("high", "low")
    assert api.fields["risk.security"] == db.fields["risk.security"] == 3
    assert api.location_of("criticality") == (2, 16)  # where the merged value is written
    assert db.location_of("criticality") == (9, 18)


def test_declaring_a_builtin_field_can_make_it_required(tmp_path: Path) -> None:
    schema = {**SCHEMA, "owner": FieldSpec("owner", TEXT, required=True)}
    _, diagnostics = load(tmp_path, {"s.yaml": "name: s\ncriticality: low\n"}, schema=schema)
    assert codes(diagnostics) == ["DL-STATE-REQUIRED"]
    assert "`owner`" in diagnostics[0].message


def test_warnings_keep_the_subject_errors_drop_it(tmp_path: Path) -> None:
    files = {
        "a.yaml": "name: kept\ncriticality: low\nslack_channel: '#kept'\n",
        "b.yaml": "name: dropped\ncriticality: hihg\n",
    }
    portfolio, diagnostics = load(tmp_path, files)
    assert [(d.code, d.severity) for d in diagnostics] == [("DL-STATE-SCALE", Severity.ERROR)]
    assert [s.name for s in portfolio.subjects] == ["kept"]
    assert "slack_channel" not in portfolio.by_name["kept"].fields
    assert [(f.path, f.subject, f.line, f.column) for f in portfolio.ignored] == [
        ("slack_channel", "kept", 3, 1)
    ]


# ---------------------------------------------------------------------------------------------
# positions


def test_locations_point_at_values(tmp_path: Path) -> None:
    text = """\
services:
  - name: api
    criticality: high
    risk:
      security: 7
    regions: [eu, us]
    cost: {monthly: 5}
"""
    portfolio, _ = load(tmp_path, {"s.yaml": text})
    api = portfolio.by_name["api"]
    assert (api.line, api.column) == (2, 5)
    assert api.locations["name"] == (2, 11)
    assert api.locations["criticality"] == (3, 18)
    assert api.locations["risk.security"] == (5, 17)
    assert api.locations["regions"] == (6, 14)
    assert api.locations["cost.monthly"] == (7, 21)
    assert api.location_of("owner") == (2, 5)


def test_diagnostics_point_at_the_offending_value(tmp_path: Path) -> None:
    text = """\
services:
  - name: api
    criticality: high
    risk:
      security: 12
    regions: [eu, 3, us]
    cost: {monthly: -1}
"""
    _, diagnostics = load(tmp_path, {"s.yaml": text})
    assert [(d.code, where(d)) for d in diagnostics] == [
        ("DL-STATE-RANGE", (5, 17)),
        ("DL-STATE-TYPE", (6, 19)),
        ("DL-STATE-RANGE", (7, 21)),
    ]
    assert diagnostics[0].span is not None and diagnostics[0].span.end_column == 19


def test_positions_with_windows_line_endings_and_wide_characters(tmp_path: Path) -> None:
    text = "name: 日本語サービス\r\ncriticality: hihg\r\nowner: «équipe»\r\npci: 1\r\n"
    _, diagnostics = load(tmp_path, {"s.yaml": text})
    assert [(d.code, where(d)) for d in diagnostics] == [
        ("DL-STATE-SCALE", (2, 14)),
        ("DL-STATE-TYPE", (4, 6)),
    ]


def test_missing_nested_field_points_at_the_enclosing_key(tmp_path: Path) -> None:
    schema = {**SCHEMA, "risk.security": FieldSpec("risk.security", NUMBER, required=True)}
    _, diagnostics = load(
        tmp_path, {"s.yaml": "name: s\ncriticality: low\nrisk:\n  privacy: 1\n"}, schema=schema
    )
    assert [(d.code, where(d)) for d in diagnostics] == [("DL-STATE-REQUIRED", (3, 1))]


# ---------------------------------------------------------------------------------------------
# every diagnostic code, against golden files


def test_golden_type(tmp_path: Path) -> None:
    text = """\
name: api
kind: 3
criticality: high
owner: 123
risk: {security: "high", privacy: no}
cost:
  monthly: "12 000 €"
deadline: 2027-02-30
review_every: soon
pci: yes
replicas: 2.5
regions: eu-west-1
zones: [low, 2]
tags: [web, true]
"""
    _, diagnostics = load(tmp_path, {"type.yaml": text})
    assert set(codes(diagnostics)) == {"DL-STATE-TYPE"}
    check_golden("type", diagnostics)


def test_golden_range(tmp_path: Path) -> None:
    text = """\
name: api
criticality: high
risk:
  security: 12
  privacy: -0.5
cost: {monthly: -3}
replicas: 0
review_every: -2
"""
    _, diagnostics = load(tmp_path, {"range.yaml": text})
    assert set(codes(diagnostics)) == {"DL-STATE-RANGE"}
    assert diagnostics[0].message == "`risk.security` must be a number between 0 and 10, got 12"
    check_golden("range", diagnostics)


def test_golden_scale(tmp_path: Path) -> None:
    text = """\
services:
  - name: api
    criticality: hihg
  - name: db
    criticality: catastrophic
    zones: [low, Medium, nope]
"""
    _, diagnostics = load(tmp_path, {"scale.yaml": text})
    assert set(codes(diagnostics)) == {"DL-STATE-SCALE"}
    assert diagnostics[0].message == "unknown scale value `hihg` for `criticality`"
    assert diagnostics[0].help == "did you mean `high`?"
    assert diagnostics[1].help == "allowed values: `low`, `medium`, `high`, `critical`"
    check_golden("scale", diagnostics)


def test_golden_required(tmp_path: Path) -> None:
    text = """\
services:
  - criticality: low
    owner: someone
  - name: api
  - name: db
    criticality:
"""
    _, diagnostics = load(tmp_path, {"required.yaml": text})
    assert set(codes(diagnostics)) == {"DL-STATE-REQUIRED"}
    check_golden("required", diagnostics)


def test_golden_unknown_field(tmp_path: Path) -> None:
    text = """\
name: api
criticallity: high
criticality: high
risk: {securty: 3}
rsk: {security: 3}
tag: [web]
slack_channel: "#api"
metadata:
  annotations: {a: b}
dependents: [db]
"""
    portfolio, diagnostics = load(tmp_path, {"unknown.yaml": text})
    assert set(codes(diagnostics)) == {"DL-STATE-UNKNOWN-FIELD"}
    suggestions = [d.help for d in diagnostics if d.is_error]
    assert "did you mean `criticality`?" in suggestions
    assert "did you mean `risk.security`?" in suggestions
    assert "did you mean `risk`?" in suggestions
    assert "did you mean `tags`?" in suggestions
    assert all(d.is_error for d in diagnostics)
    # Keys that are no misspelling of a declared one are other data: read past, listed.
    assert [(f.path, f.line) for f in portfolio.ignored] == [
        ("slack_channel", 7),
        ("metadata", 8),
    ]
    check_golden("unknown_field", diagnostics)


def test_golden_duplicate(tmp_path: Path) -> None:
    files = {
        "a.yaml": "services:\n  - name: api\n    criticality: low\n  - name: api\n    criticality: high\n",
        "b.yaml": "name: api\ncriticality: low\n",
    }
    portfolio, diagnostics = load(tmp_path, files)
    assert codes(diagnostics) == ["DL-STATE-DUPLICATE", "DL-STATE-DUPLICATE"]
    assert "states/a.yaml:2" in diagnostics[0].message and "states/a.yaml:2" in diagnostics[1].message
    assert [(s.name, s.line) for s in portfolio.subjects] == [("api", 2)]
    check_golden("duplicate", diagnostics)


def test_golden_dangling(tmp_path: Path) -> None:
    text = """\
services:
  - name: payments
    criticality: high
    depends_on: [ledgr, auth, nothing-like-it]
  - name: ledger
    criticality: low
  - name: auth
    criticality: hihg
initiatives:
  - name: cleanup
    criticality: low
    targets:
      - paymens
"""
    portfolio, diagnostics = load(tmp_path, {"dangling.yaml": text})
    assert codes(diagnostics) == [
        "DL-STATE-DANGLING",
        "DL-STATE-DANGLING",
        "DL-STATE-SCALE",
        "DL-STATE-DANGLING",
    ]
    assert diagnostics[0].help == "did you mean `ledger`?"
    assert [s.name for s in portfolio.subjects] == ["ledger"]  # `auth` exists even though it is invalid
    check_golden("dangling", diagnostics)


def test_golden_yaml(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "flow.yaml": "name: api\ncriticality: [low\n",
        "tabs.yaml": "name: api\nrisk:\n\tsecurity: 3\n",
        "duplicate_key.yaml": "name: api\ncriticality: low\ncriticality: high\n",
        "python_tag.yaml": "name: !!python/object/apply:os.system [echo hi]\ncriticality: !custom low\n",
        "latin1.yaml": "name: api\nowner: équipe\n".encode("latin-1"),
        "control.yaml": "name: api\nowner: a\x07b\n",
        "undefined_alias.yaml": "name: api\ncriticality: *nope\n",
        "self_alias.yaml": "name: api\nregions: &r [a, *r]\n",
    }
    _, diagnostics = load(tmp_path, files)
    assert set(codes(diagnostics)) == {"DL-STATE-YAML"}
    assert all(d.span is not None for d in diagnostics)
    assert len({d.span.path for d in diagnostics if d.span}) == len(files)
    check_golden("yaml", diagnostics)


def test_golden_limit(tmp_path: Path) -> None:
    bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        bomb.append(f"{level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    files: dict[str, str | bytes] = {
        "big.yaml": "name: big\nowner: " + "x" * 1100 + "\n",
        "deep.yaml": "name: deep\nx: " + "[" * 80 + "]" * 80 + "\n",
        "aliases.yaml": "a: &a 1\nb: [" + ",".join(["*a"] * 120) + "]\n",
        "bomb.yaml": "\n".join(bomb) + "\n",
    }
    _, diagnostics = load(tmp_path, files, limits=YamlLimits(max_bytes=1000))
    assert codes(diagnostics) == ["DL-STATE-LIMIT"] * 4
    check_golden("limit", diagnostics)


def test_golden_shape(tmp_path: Path) -> None:
    files = {
        "scalar.yaml": "just text\n",
        "list.yaml": "- name: api\n",
        "services_map.yaml": "services: {name: api}\n",
        "entries.yaml": "services:\n  - name: ok\n    criticality: low\n  - api\n  - [db]\ninitiatives:\n",
        "extra_key.yaml": "version: 2\nservices: []\n",
        "names.yaml": "services:\n  - name: 42\n    criticality: low\n  - name: ''\n    criticality: low\n",
        "keys.yaml": "name: api\ncriticality: low\n1: one\nrisk.security: 1\nrisk: {security: 2}\ncost: 5\n",
    }
    portfolio, diagnostics = load(tmp_path, files)
    assert set(codes(diagnostics)) == {"DL-STATE-SHAPE", "DL-STATE-TYPE"}
    assert [s.name for s in portfolio.subjects] == ["ok"]
    check_golden("shape", diagnostics)


# ---------------------------------------------------------------------------------------------
# limits


def test_alias_bomb_is_rejected_by_the_expansion_limit(tmp_path: Path) -> None:
    lines = ['lol0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        lines.append(f"lol{level}: &l{level} [" + ",".join([f"*l{level - 1}"] * 10) + "]")
    portfolio, diagnostics = load(tmp_path, {"bomb.yaml": "\n".join(lines) + "\n"})
    assert codes(diagnostics) == ["DL-STATE-LIMIT"]
    assert portfolio.subjects == ()


def test_doubling_alias_chain_is_rejected(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x]"] + [f"a{n}: &a{n} [*a{n - 1}, *a{n - 1}]" for n in range(1, 45)]
    _, diagnostics = load(tmp_path, {"chain.yaml": "\n".join(lines) + "\n"})
    assert codes(diagnostics) == ["DL-STATE-LIMIT"]
    assert "expand" in diagnostics[0].message


def test_depth_limit(tmp_path: Path) -> None:
    nested = "name: deep\nx: " + "[" * 65 + "]" * 65 + "\n"
    _, diagnostics = load(tmp_path, {"deep.yaml": nested})
    assert codes(diagnostics) == ["DL-STATE-LIMIT"]
    assert where(diagnostics[0]) == (2, 4 + 63)  # the root mapping is level 1, so the 64th `[` is level 65
    _, diagnostics = load(tmp_path, {"deep.yaml": nested}, limits=YamlLimits(max_depth=100))
    assert "DL-STATE-LIMIT" not in codes(diagnostics)


def test_very_deep_nesting_does_not_recurse(tmp_path: Path) -> None:
    _, diagnostics = load(tmp_path, {"deep.yaml": "[" * 100_000 + "]" * 100_000})
    assert codes(diagnostics) == ["DL-STATE-LIMIT"]


def test_size_limit(tmp_path: Path) -> None:
    text = "name: api\ncriticality: low\n"
    _, diagnostics = load(tmp_path, {"s.yaml": text}, limits=YamlLimits(max_bytes=len(text)))
    assert diagnostics == []
    _, diagnostics = load(tmp_path, {"s.yaml": text}, limits=YamlLimits(max_bytes=len(text) - 1))
    assert codes(diagnostics) == ["DL-STATE-LIMIT"]
    assert diagnostics[0].file == "states/s.yaml"


def test_alias_count_limit(tmp_path: Path) -> None:
    text = (
        "x-a: &a 1\nservices:\n  - name: api\n    criticality: low\n    regions: ["
        + ", ".join(["*a"] * 5)
        + "]\n"
    )
    _, diagnostics = load(tmp_path, {"s.yaml": text}, limits=YamlLimits(max_aliases=4))
    assert codes(diagnostics) == ["DL-STATE-LIMIT"]
    _, diagnostics = load(tmp_path, {"s.yaml": text}, limits=YamlLimits(max_aliases=5))
    assert codes(diagnostics) == ["DL-STATE-TYPE"] * 5  # within limits: the aliased 1 is not text


# ---------------------------------------------------------------------------------------------
# loading: plain YAML semantics, merge keys, and the first load error


def test_a_subject_may_be_made_only_of_merged_keys(tmp_path: Path) -> None:
    text = "x-base: &base {criticality: low, owner: team}\nservices:\n  - <<: [*base, {name: api}]\n"
    portfolio, diagnostics = load(tmp_path, {"s.yaml": text})
    assert diagnostics == []
    assert portfolio.by_name["api"].fields["owner"] == "team"
    assert portfolio.by_name["api"].location_of("name") == (3, 24)


def test_core_tags_restate_plain_yaml(tmp_path: Path) -> None:
    text = 'name: !!str 12\ncriticality: !!str low\nreplicas: !!int "3"\ndeadline: !!timestamp 2027-03-31\n'
    portfolio, diagnostics = load(tmp_path, {"s.yaml": text})
    assert diagnostics == []
    fields = portfolio.by_name["12"].fields
    assert (fields["criticality"], fields["replicas"]) == ("low", 3)
    assert fields["deadline"] == datetime.date(2027, 3, 31)


@pytest.mark.parametrize(
    ("written", "value"), [("0x1F", 31), ("0o17", 15), ("1_000", 1000), ("012", 12), ("+7", 7), ("1e1", 10.0)]
)
def test_numbers_follow_ruamel_rules(tmp_path: Path, written: str, value: float) -> None:
    schema = {**SCHEMA, "size": FieldSpec("size", NUMBER)}
    portfolio, diagnostics = load(
        tmp_path, {"s.yaml": f"name: s\ncriticality: low\nsize: {written}\n"}, schema
    )
    assert diagnostics == []
    size = portfolio.by_name["s"].fields["size"]
    assert size == value and type(size) is type(value)


def test_a_yaml_1_1_document_reads_yes_as_true(tmp_path: Path) -> None:
    text = "%YAML 1.1\n---\nname: s\ncriticality: low\npci: yes\nreplicas: 010\n"
    portfolio, diagnostics = load(tmp_path, {"s.yaml": text})
    assert diagnostics == []
    assert portfolio.by_name["s"].fields["pci"] is True
    assert portfolio.by_name["s"].fields["replicas"] == 8  # octal in YAML 1.1


def test_an_unknown_yaml_version_is_a_diagnostic(tmp_path: Path) -> None:
    _, diagnostics = load(tmp_path, {"s.yaml": "%YAML 1.3\n---\nname: s\n"})
    assert codes(diagnostics) == ["DL-STATE-YAML"]


def test_documents_before_a_load_error_are_kept(tmp_path: Path) -> None:
    text = "name: a\ncriticality: low\n---\nname: b\nname: c\n---\nname: d\ncriticality: low\n"
    portfolio, diagnostics = load(tmp_path, {"s.yaml": text})
    assert [s.name for s in portfolio.subjects] == ["a"]
    assert [(d.code, where(d)) for d in diagnostics] == [("DL-STATE-YAML", (5, 1))]


def test_the_load_error_reported_is_the_one_ruamel_meets_first(tmp_path: Path) -> None:
    # ruamel builds a mapping's `<<` entry before its other keys, so the bad merge comes first
    text = "name: a\nname: b\n<<: 3\n"
    _, diagnostics = load(tmp_path, {"s.yaml": text})
    assert [(d.message, where(d)) for d in diagnostics] == [
        ("invalid YAML: expected a mapping or list of mappings for merging, but found scalar", (3, 5))
    ]
    # an undefined alias beats both: a document is composed before it is built
    _, diagnostics = load(tmp_path, {"s.yaml": text + "x: *nope\n"})
    assert [d.message for d in diagnostics] == ["invalid YAML: found undefined alias 'nope'"]


def test_an_alias_stands_where_its_anchor_is_written(tmp_path: Path) -> None:
    text = "x-r: &r [eu, us]\nservices:\n  - name: api\n    criticality: low\n    regions: *r\n"
    portfolio, _ = load(tmp_path, {"s.yaml": text})
    assert portfolio.by_name["api"].location_of("regions") == (1, 6)  # the anchor `&r`


# ---------------------------------------------------------------------------------------------
# parsers: libyaml's C parser when ruamel.yaml.clib is installed, ruamel's pure-Python one as the
# reference, for the texts the two read differently, and to word syntax errors


def _needs_c_parser() -> None:
    if not yamlreader._USE_C_PARSER:
        pytest.skip("ruamel.yaml.clib is not installed")


def _parsers_used(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    used: list[str] = []
    run = yamlreader._Parse.run

    def spy(self: Any) -> Any:
        used.append("pure" if self.pure else "c")
        return run(self)

    monkeypatch.setattr(yamlreader._Parse, "run", spy)
    return used


def test_the_c_parser_is_used_when_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _needs_c_parser()
    assert yamlreader._USE_C_PARSER
    used = _parsers_used(monkeypatch)
    text = "x-d: &d {criticality: low}\nservices:\n  - <<: *d\n    name: api\n    owner: |\n      team\n"
    portfolio, diagnostics = load(tmp_path, {"s.yaml": text})
    assert diagnostics == [] and portfolio.by_name["api"].fields["owner"] == "team\n"
    assert used == ["c"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: api\ncriticality: low\nowner: 'a\tb'\n", ["pure"]),  # tabs: a check before parsing
        ("name: api\ncriticality: !!str low\n", ["c", "pure"]),
        ("%YAML 1.2\n---\nname: api\ncriticality: low\n", ["c", "pure"]),
        ("x: &a:b low\nname: api\ncriticality: *a:b\n", ["c", "pure"]),
        ("name: api\ncriticality: low\nowner: |#\n  x\n", ["c", "pure"]),
        ("name: api\ncriticality: [low\n", ["c", "pure"]),  # syntax errors are worded by ruamel
    ],
)
def test_the_pure_python_parser_takes_over_where_the_parsers_differ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: list[str]
) -> None:
    _needs_c_parser()
    used = _parsers_used(monkeypatch)
    load(tmp_path, {"s.yaml": text})
    assert used == expected


def _outcome(result: tuple[Portfolio, list[Diagnostic]]) -> tuple[object, ...]:
    portfolio, diagnostics = result
    subjects = [
        (s.name, s.kind, s.line, s.column, repr(sorted(s.fields.items())), sorted(s.locations.items()))
        for s in portfolio.subjects
    ]
    return subjects, [render_text(diagnostic) for diagnostic in diagnostics]


def _both_parsers(directory: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with_c = _outcome(load(directory, {"s.yaml": text}))
    with monkeypatch.context() as patch:
        patch.setattr(yamlreader, "_USE_C_PARSER", False)
        assert _outcome(load(directory, {"s.yaml": text})) == with_c


_CORPUS = [
    "services:\n  - name: api\n    criticality: high\n    depends_on: [db]\n"
    "  - name: db\n    criticality: low\n",
    "x-d: &d\n  criticality: high\n  risk: {security: 3}\n"
    "services:\n  - <<: *d\n    name: a\n  - <<: [*d]\n    name: b\n",
    "name: a\ncriticality: low\n---\n# empty\n---\nname: b\ncriticality: [low, 2]\n...\n",
    "name: 'it''s'\ncriticality: \"lo\\x77\"\nowner: >-\n  folded\n    more\n  text\n\ntags: |+\n  kept\n\n",
    "name: n\ncriticality: low\nreplicas: [0x1F, 0o7, 1_000, 012, .inf, -.nan, 1e3, 1.5, ~, true, True]\n",
    "name: n\ncriticality: low\ndeadline: 2027-02-30\n"
    "owner: 2027-01-01 10:00:00\ntags: [2027-01-01T10:00:00Z]\n",
    "services:\n  - \n  - name:\n  - [a]\n? [a, b]\n: c\n",
    "name: n\ncriticality: low\n[a]: 1\n{b: 1}: 2\n? x\n: y\n~: 3\n1: 4\n? {? {c: 1} : d}\n: e\n",
    "name: n\nname: m\n",
    "name: n\n<<: *nope\n",
    "name: n\n<<: {a: 1}\n<<: {b: 2}\n",
    "name: n\n<<: [1]\n",
    "name: n\n<<:\ncriticality: low\n",
    "name: n\nregions: &r [a, *r]\n",
    "name: n\ncriticality: [low\n",
    "name: n\n  criticality: low\n",
    "name: n\nrisk:\n\tsecurity: 3\n",
    "name: 日本語\r\ncriticality: hihg\r\nowner: «é»\r\n",
    "name: n\nx: &a:b 1\ny: *a:b\n",
    "%YAML 1.1\n---\nname: n\ncriticality: low\npci: on\nreplicas: 1:30\n",
    "name: n\nx: " + "[" * 70 + "]" * 70 + "\n",
    "a: &a 1\nb: [" + ",".join(["*a"] * 120) + "]\n",
    "|\n  block at the top\n---\n",
    "- name: api\n",
    "name: n\ncriticality: low\nowner: !custom x\n",
    "name: n\ncriticality: low\n...\n%YAML 1.1\n---\nname: m\ncriticality: yes\n",
]


@pytest.mark.parametrize("text", _CORPUS)
def test_both_parsers_give_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    _needs_c_parser()
    _both_parsers(tmp_path, text, monkeypatch)


_FRAGMENTS = [
    *["\n", "\n", "  ", " ", "- ", ": ", "? ", "[", "]", "{", "}", ", ", "#c", "---\n", "...\n"],
    *["&a ", "*a", "&b:c ", "*b:c", "!!str ", "!x ", "'q'", '"d"', "|\n", ">-\n", "|#\n"],
    *["name", "criticality", "low", "<<", "=", "1", "0x1F", "1.5", "true", "~", "2027-03-31", "é日"],
    *["\t", "\u2028", "\ufeff", "%YAML 1.1\n", "x-", "services", "initiatives"],
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(st.sampled_from(_FRAGMENTS), max_size=30).map("".join))
def test_both_parsers_agree_on_yaml_like_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    _needs_c_parser()
    _both_parsers(tmp_path, text, monkeypatch)


def test_ten_thousand_services_in_one_file_all_load(tmp_path: Path) -> None:
    """Scale without timing: loading speed is measured by benchmarks/bench_evaluate.py."""
    _needs_c_parser()  # ruamel's pure-Python parser alone takes about 10 s
    lines = ["services:"]
    for index in range(10_000):
        lines += [
            f"  - name: svc-{index}",
            f"    criticality: {CRITICALITY.values[index % 4]}",
            f"    risk: {{security: {index % 11}, privacy: {index % 7 / 2}}}",
            "    deadline: 2027-03-31",
            "    regions: [eu-west-1, us-east-1]",
            f"    depends_on: [svc-{max(0, index - 1)}]" if index else "    depends_on: []",
        ]
    portfolio, diagnostics = load(tmp_path, {"big.yaml": "\n".join(lines) + "\n"})
    assert diagnostics == [] and len(portfolio.subjects) == 10_000


# ---------------------------------------------------------------------------------------------
# robustness


def test_unreadable_file_is_a_diagnostic(tmp_path: Path) -> None:
    _, diagnostics = load_files([("states/missing.yaml", tmp_path / "missing.yaml")], SCHEMA)
    assert codes(diagnostics) == ["DL-STATE-READ"]
    assert diagnostics[0].file == "states/missing.yaml"


def test_loading_is_deterministic(tmp_path: Path) -> None:
    files = {
        "a.yaml": "services:\n  - name: b\n    criticality: x\n  - name: a\n    foo: 1\n",
        "b.yaml": "name: a\ncriticality: low\ndepends_on: [zz]\n",
    }
    first = load(tmp_path, files)
    second = load(tmp_path, files)
    assert [render_text(d) for d in first[1]] == [render_text(d) for d in second[1]]
    assert first[0] == second[0]


@pytest.mark.skipif(not BACKSTAGE.is_dir(), reason="real-world Backstage files not available")
def test_real_backstage_catalogs_give_diagnostics_not_exceptions() -> None:
    files = [(f"backstage/{path.name}", path) for path in sorted(BACKSTAGE.glob("*.yaml"))]
    assert files
    portfolio, diagnostics = load_files(files, SCHEMA)
    assert diagnostics
    for diagnostic in diagnostics:
        assert diagnostic.span is not None
        assert diagnostic.span.path.startswith("backstage/")
        assert diagnostic.span.line >= 1 and diagnostic.span.column >= 1
        assert render_text(diagnostic).startswith(f"{diagnostic.span}: ")
    assert {d.code for d in diagnostics} <= {"DL-STATE-REQUIRED", "DL-STATE-UNKNOWN-FIELD", "DL-STATE-SHAPE"}
    assert portfolio.subjects == ()


# ---------------------------------------------------------------------------------------------
# properties

_NAME_CHARS = string.ascii_letters + string.digits + "-_éèàüößçñ日本"
_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff"))

_subjects = st.fixed_dictionaries(
    {
        "criticality": st.sampled_from(CRITICALITY.values),
        "risk": st.fixed_dictionaries({"security": st.integers(0, 10) | st.floats(0, 10, allow_nan=False)}),
        "cost": st.fixed_dictionaries({"label": _TEXT}),
        "deadline": st.dates(),
        "pci": st.booleans(),
        "replicas": st.integers(1, 100),
        "tags": st.lists(_TEXT, max_size=3),
    },
    optional={"owner": _TEXT, "review_every": st.integers(0, 10_000)},
)


def _flat(subject: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in subject.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(item) for item in value]
    return value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    names=st.lists(st.text(_NAME_CHARS, min_size=1, max_size=12), min_size=1, max_size=4, unique=True),
    bodies=st.lists(_subjects, min_size=4, max_size=4),
)
def test_valid_subjects_round_trip(tmp_path: Path, names: list[str], bodies: list[dict[str, Any]]) -> None:
    assume(len({_nfc(name) for name in names}) == len(names))  # texts are read in NFC
    subjects = [{"name": name, **body} for name, body in zip(names, bodies, strict=False)]
    stream = io.StringIO()
    YAML(typ="rt").dump({"services": subjects}, stream)
    portfolio, diagnostics = load(tmp_path, {"generated.yaml": stream.getvalue()})
    assert diagnostics == []
    for subject in subjects:
        loaded = portfolio.by_name[_nfc(subject["name"])].fields
        for path, value in _flat(subject).items():
            expected = Duration(value) if path == "review_every" else _nfc(value)
            assert loaded[path] == expected
            assert type(loaded[path]) is type(expected)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    junk=st.text(max_size=200)
    | st.sampled_from(["name: [", "- *a", "&a [*a]", "? [a]\n: b", "{{", "%YAML 9"])
)
def test_junk_text_gives_diagnostics_never_exceptions(tmp_path: Path, junk: str) -> None:
    _, diagnostics = load(tmp_path, {"junk.yaml": junk})
    for diagnostic in diagnostics:
        assert diagnostic.span is not None or diagnostic.file == "states/junk.yaml"
        render_text(diagnostic)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.binary(max_size=200))
def test_junk_bytes_give_diagnostics_never_exceptions(tmp_path: Path, junk: bytes) -> None:
    _, diagnostics = load(tmp_path, {"junk.yaml": junk})
    for diagnostic in diagnostics:
        render_text(diagnostic)

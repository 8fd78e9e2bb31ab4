"""`decisionlang import backstage` on real Backstage catalog files (tests/fixtures/backstage, see SOURCES.md).

The catalog files are third-party files, never written to suit the importer; the only hand-made inputs
are the tiny malformed ones of the error tests, written to a temporary directory.
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
from decisionlang.api import load_project
from decisionlang.core.diagnostics import DecisionlangError, Severity
from decisionlang.inputs.importers.backstage import USEFUL_ANNOTATIONS, import_backstage, render_state
from decisionlang.inputs.importers.common import input_files
from decisionlang.inputs.sources import Role, SourceFile, read_file
from decisionlang.inputs.states import load_states
from decisionlang.inputs.yamlreader import YAML_SUFFIXES, YamlLimits
from decisionlang.language.types import FieldSpec

ROOT = Path(__file__).parent.parent
FIXTURES = Path("tests/fixtures/backstage")  # relative to ROOT: display paths in goldens stay short
DOCS = ROOT / "docs" / "backstage.md"

WAYBACK_SEARCH = FIXTURES / "bb__components__wayback-search-component.yaml"
DEMO = FIXTURES / "backstage-demo__catalog-info.yaml"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, ["import", "backstage", *args], catch_exceptions=False)


def docs_schema() -> str:
    match = re.search(r"```decisionlang\n(schema \{\n.*?\n\})\n```", DOCS.read_text(encoding="utf-8"), re.S)
    assert match, "docs/backstage.md has no ```decisionlang schema block"
    return match.group(1) + "\n"


def schema_fields(tmp_path: Path) -> dict[str, FieldSpec]:
    """The fields the docs' schema block declares, as the checker reads them."""
    project = tmp_path / "schema-only"
    (project / "policies").mkdir(parents=True)
    (project / "policies" / "backstage.policy").write_text(docs_schema(), encoding="utf-8")
    loaded = load_project(project)
    assert not loaded.errors, loaded.errors
    return dict(loaded.program.fields)


def import_state(tmp_path: Path, *paths: Path) -> Path:
    result = run(*(str(path) for path in paths))
    assert result.exit_code == 0, result.stderr
    state = tmp_path / "imported.yaml"
    state.write_text(result.stdout, encoding="utf-8")
    return state


# ---------------------------------------------------------------------------------------------
# the whole real catalog


def test_catalog_state_and_report_golden() -> None:
    result = run(str(FIXTURES))
    assert result.exit_code == cli.EXIT_OK, result.stderr
    check_golden("import/backstage-catalog.yaml", result.stdout)
    check_golden("import/backstage-report.txt", result.stderr)


def test_catalog_report_json_golden() -> None:
    result = run(str(FIXTURES), "--report-format", "json")
    assert result.exit_code == cli.EXIT_OK
    check_golden("import/backstage-report.json", result.stderr)
    report = json.loads(result.stderr)
    assert report["schema"] == "decisionlang/import-report/v2"
    assert report["source"] == "backstage"
    assert report["summary"] == {
        "items": 13,
        "imported": 13,
        "skipped": 0,
        "subjects": 13,
        "fields_not_imported": 7,  # `spec.apiConsumedBy` is imported now
        "references_left_out": 1,
    }
    assert report["diagnostics"] == []


def test_generated_file_loads_with_the_docs_schema_and_keeps_the_chains(tmp_path: Path) -> None:
    state = import_state(tmp_path, FIXTURES)
    portfolio, diagnostics = load_states(
        [state_source(state, "services/backstage.yaml")], schema_fields(tmp_path)
    )
    assert diagnostics == []  # not even a warning: the schema declares every imported field
    assert len(portfolio.subjects) == 13
    kinds = {subject.name: subject.kind for subject in portfolio.subjects}
    assert kinds["wayback-archive"] == "service"
    assert kinds["api:wayback-archive"] == "api"
    assert kinds["artists-db"] == "resource"
    assert kinds["audio-playback"] == "system"
    # consumer -> API -> provider, across three files
    assert portfolio.dependencies_of("wayback-search") == ("api:wayback-archive",)
    assert portfolio.closure("wayback-search", "depends_on") == ("api:wayback-archive", "wayback-archive")
    assert portfolio.closure("wayback-archive", "dependents") == ("api:wayback-archive", "wayback-search")
    # consumesApis inside one multi-document file
    assert portfolio.dependencies_of("backstage-demo") == ("demo-graphql",)
    fields = portfolio.by_name["wayback-archive"].fields
    assert fields["provides_apis"] == ["api:wayback-archive"]
    assert portfolio.by_name["playback-order"].fields["owner"] == "guest"  # `user:guest`
    assert portfolio.by_name["demo-graphql"].fields["owner"] == "backstage/maintainers"  # another namespace
    assert portfolio.by_name["artist-lookup"].fields["system"] == "artist-engagement-portal"
    demo = portfolio.by_name["backstage-demo"].fields
    assert demo["backstage.annotations.techdocs_ref"] == "dir:."
    assert demo["backstage.ref"] == "component:default/backstage-demo"


def test_generated_project_validates_with_the_cli(tmp_path: Path) -> None:
    project = tmp_path / "repo"
    (project / "policies").mkdir(parents=True)
    (project / "services").mkdir()
    (project / "policies" / "backstage.policy").write_text(docs_schema(), encoding="utf-8")
    assert run(str(FIXTURES), "--output", str(project / "services" / "backstage.yaml")).exit_code == 0
    result = CliRunner().invoke(cli.main, ["validate", str(project)])
    assert result.exit_code == cli.EXIT_OK, result.output
    assert "13 subjects, 0 errors, 0 warnings" in result.output


def test_docs_schema_declares_every_imported_field(tmp_path: Path) -> None:
    declared = set(schema_fields(tmp_path))
    annotations = {f"backstage.annotations.{name}" for name, _ in USEFUL_ANNOTATIONS.values()}
    assert annotations <= declared
    result = import_backstage(input_files([FIXTURES], YAML_SUFFIXES, "catalog file"))
    written = {path for subject in result.subjects for path in subject}
    assert written - {"name", "kind", "owner", "tags", "depends_on"} <= declared


def test_output_file_is_written_and_stdout_stays_empty(tmp_path: Path) -> None:
    target = tmp_path / "backstage.yaml"
    result = run(str(FIXTURES), "-o", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8") == run(str(FIXTURES)).stdout
    assert "imported 13 of 13 entities" in result.stderr
    assert [path.name for path in tmp_path.iterdir()] == ["backstage.yaml"]  # no temporary file left


def test_reimport_into_the_directory_it_reads(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(FIXTURES, catalog)
    target = catalog / "imported.yaml"
    first = run(str(catalog), "--output", str(target))
    assert first.exit_code == 0, first.stderr
    written = target.read_text(encoding="utf-8")
    second = run(str(catalog), "--output", str(target))
    assert second.exit_code == 0, second.stderr  # the previous output is not read as a catalog file
    assert target.read_text(encoding="utf-8") == written
    assert run(str(target), "--output", str(target)).exit_code == cli.EXIT_INVALID  # nothing left to read


def test_output_does_not_depend_on_the_order_of_the_files() -> None:
    files = input_files([FIXTURES], YAML_SUFFIXES, "catalog file")
    forward = import_backstage(files)
    backward = import_backstage(list(reversed(files)))
    assert forward.subjects == backward.subjects
    assert render_state(forward) == render_state(import_backstage(files))


def test_header_says_generated_and_from_which_files() -> None:
    text = run(str(DEMO), str(WAYBACK_SEARCH)).stdout
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header[0] == "# Generated by `decisionlang import backstage` from these Backstage catalog files:"
    assert header[1:3] == [f"#   {DEMO}", f"#   {WAYBACK_SEARCH}"]


# ---------------------------------------------------------------------------------------------
# part of the catalog: references outside the imported files


def test_reference_outside_the_imported_files_is_left_out_and_reported(tmp_path: Path) -> None:
    result = run(str(WAYBACK_SEARCH))
    assert result.exit_code == 0
    assert "depends_on" not in result.stdout
    assert "provides_apis" not in result.stdout
    where = f"{WAYBACK_SEARCH}:15:7"  # consumesApis: [wayback-archive]
    assert f"{where}: spec.consumesApis: left out of `depends_on`" in result.stderr
    assert "decisionlang requires every name in `depends_on` to be a subject" in result.stderr
    assert f"{WAYBACK_SEARCH}:13:7: spec.providesApis: left out of `provides_apis`" in result.stderr
    assert "2 references to entities outside the imported files left out" in result.stderr
    state = import_state(tmp_path, WAYBACK_SEARCH)
    portfolio, diagnostics = load_states([state_source(state, "imported.yaml")], schema_fields(tmp_path))
    assert not [d for d in diagnostics if d.is_error]
    assert portfolio.dependencies_of("wayback-search") == ()


def test_multi_document_file_alone() -> None:
    result = import_backstage(input_files([DEMO], YAML_SUFFIXES, "catalog file"))
    assert [subject["name"] for subject in result.subjects] == ["backstage-demo", "demo-graphql"]
    assert result.subjects[0]["depends_on"] == ["demo-graphql"]
    assert [(entity.line, entity.ref) for entity in result.entities] == [
        (1, "component:default/backstage-demo"),
        (17, "api:default/demo-graphql"),
    ]
    findings = {(f.line, f.field) for entity in result.entities for f in entity.findings}
    assert findings == {
        (9, "metadata.annotations.demo.backstage.io/techdocs-builder"),
        (28, "spec.definition"),
    }
    # `apiConsumedBy` names the consumer that already lists the API in `consumesApis`: one link
    api = result.entities[1]
    assert "spec.apiConsumedBy -> the same link as spec.consumesApis of backstage-demo" in api.mapped


def test_a_file_given_twice_is_read_once() -> None:
    result = run(str(DEMO), str(DEMO), str(FIXTURES))
    assert result.exit_code == 0
    assert result.stdout.count("- name: backstage-demo") == 1


# ---------------------------------------------------------------------------------------------
# invalid input: exit 2, located diagnostics, nothing written (tiny hand-made malformed files)


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def import_error(path: Path, limits: YamlLimits | None = None) -> str:
    with pytest.raises(DecisionlangError) as caught:
        import_backstage([(path.name, path)], limits=limits)
    diagnostics = caught.value.diagnostics
    assert all(d.severity is Severity.ERROR for d in diagnostics)
    return "\n".join(f"{d.where}: {d.code}: {d.message}" for d in diagnostics)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("kind: Component\nmetadata: {name: x\n", "bad.yaml:3:1: DL-IMPORT-YAML: invalid YAML"),
        ("kind: [Component\n", "bad.yaml:2:1: DL-IMPORT-YAML: invalid YAML"),
        (
            "- a\n- b\n",
            "bad.yaml:1:1: DL-IMPORT-ENTITY: not a Backstage entity: expected a mapping, got a list",
        ),
        (
            "name: x\nkind: service\n",
            "bad.yaml:1:1: DL-IMPORT-ENTITY: not a Backstage entity: no `apiVersion`",
        ),
        (
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  title: x\n",
            "bad.yaml:4:3: DL-IMPORT-ENTITY: not a Backstage entity: no `metadata.name`",
        ),
        (
            "apiVersion: backstage.io/v1alpha1\nkind: 3\nmetadata: {name: x}\n",
            "bad.yaml:2:7: DL-IMPORT-ENTITY: not a Backstage entity: `kind` must be text, got 3",
        ),
        ("# only a comment\n", "bad.yaml: DL-IMPORT-NO-ENTITY: no Backstage entity in this file"),
        ("a: 1\na: 2\n", 'bad.yaml:2:1: DL-IMPORT-YAML: invalid YAML: found duplicate key "a"'),
        (
            "a: !!python/object:os.system x\n",
            "bad.yaml:1:4: DL-IMPORT-YAML: YAML tag `!!python/object:os.system` is not allowed",
        ),
        ("a: &x [1, *x]\n", "bad.yaml:1:11: DL-IMPORT-YAML: alias `*x` refers to a node that contains it"),
        (b"kind: \xff\n", "bad.yaml:1:7: DL-IMPORT-YAML: catalog file is not valid UTF-8: byte 0xff"),
    ],
)
def test_malformed_input_is_located(tmp_path: Path, content: str | bytes, expected: str) -> None:
    assert expected in import_error(write(tmp_path, "bad.yaml", content))


def test_limits_are_checked_before_anything_is_built(tmp_path: Path) -> None:
    laughs = "a: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: [*c, *c, *c, *c]\n"
    assert "DL-IMPORT-LIMIT: aliases expand to more than 20 values" in import_error(
        write(tmp_path, "laughs.yaml", laughs), YamlLimits(max_alias_nodes=20)
    )
    assert "DL-IMPORT-LIMIT: values are nested deeper than 3 levels" in import_error(
        write(tmp_path, "deep.yaml", "a: [[[[1]]]]\n"), YamlLimits(max_depth=3)
    )
    assert "DL-IMPORT-LIMIT: more than 2 aliases" in import_error(
        write(tmp_path, "aliases.yaml", "a: &a 1\nb: [*a, *a, *a]\n"), YamlLimits(max_aliases=2)
    )
    assert "DL-IMPORT-LIMIT: catalog file is larger than the limit of 10 bytes" in import_error(
        write(tmp_path, "big.yaml", "a: " + "x" * 20 + "\n"), YamlLimits(max_bytes=10)
    )


def test_cli_exits_2_writes_nothing_and_reports_every_file(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "kind: [Component\n")
    empty = write(tmp_path, "empty.yaml", "")
    target = tmp_path / "out.yaml"
    result = run(str(DEMO), str(bad), str(empty), "--output", str(target))
    assert result.exit_code == cli.EXIT_INVALID
    assert result.stdout == ""
    assert not target.exists()
    assert f"{bad}:2:1: error[DL-IMPORT-YAML]: invalid YAML" in result.stderr
    assert f"{empty}: error[DL-IMPORT-NO-ENTITY]" in result.stderr
    assert "decisionlang: 2 errors; nothing was imported" in result.stderr


def test_cli_json_report_on_invalid_input(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "- not an entity\n")
    result = run(str(bad), "--report-format", "json")
    assert result.exit_code == cli.EXIT_INVALID
    assert result.stdout == ""
    report = json.loads(result.stderr)  # nothing else on stderr
    assert report["items"] == []
    assert report["source"] == "backstage"
    [diagnostic] = report["diagnostics"]
    assert diagnostic["code"] == "DL-IMPORT-ENTITY"
    assert diagnostic["location"] == {"file": str(bad), "line": 1, "column": 1}


def test_directory_without_yaml_and_missing_path(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("not a catalog\n", encoding="utf-8")
    result = run(str(tmp_path))
    assert result.exit_code == cli.EXIT_INVALID
    assert "no catalog file (`*.yaml` or `*.yml`) under" in result.stderr
    missing = run(str(tmp_path / "nope.yaml"))
    assert missing.exit_code == cli.EXIT_INVALID  # a usage error from click
    assert "does not exist" in missing.stderr


def test_unwritable_output_fails_cleanly(tmp_path: Path) -> None:
    result = run(str(DEMO), "--output", str(tmp_path / "missing" / "out.yaml"))
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-CLI-OUTPUT" in result.stderr


def test_fixtures_are_the_shared_real_files() -> None:
    shared = ROOT.parent / "shared" / "realworld" / "backstage"
    if not shared.is_dir():
        pytest.skip("the shared real-world files are not available")
    for fixture in sorted(FIXTURES.glob("*.yaml")):
        assert fixture.read_bytes() == (shared / fixture.name).read_bytes(), fixture.name


def test_docs_excerpts_are_real_output() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    report = (ROOT / "tests" / "golden" / "import" / "backstage-report.txt").read_text(encoding="utf-8")
    state = (ROOT / "tests" / "golden" / "import" / "backstage-catalog.yaml").read_text(encoding="utf-8")
    report_block = docs.split(
        "From the example catalog\n(`tests/golden/import/backstage-report.txt`):\n\n```\n"
    )[1]
    for line in report_block.split("```")[0].splitlines():
        assert line == "..." or line in report.splitlines(), line
    yaml_block = docs.split("```yaml\nservices:\n")[1].split("```")[0]
    for subject in yaml_block.split("  - name: ")[1:]:
        assert "  - name: " + subject in state, subject.splitlines()[0]


def state_source(path: Path, shown: str) -> SourceFile:
    source = read_file(path, shown, Role.STATE)
    assert isinstance(source, SourceFile), source
    return source

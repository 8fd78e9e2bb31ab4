"""`decisionlang init`: a new decision repo passes `validate`, `test` and `check` at once, its files
are valid against the schemas it ships (which are current), and existing files are kept unless
--force."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from decisionlang import cli
from decisionlang.api import new_decision_repo
from decisionlang.inputs.yamlreader import read_yaml


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("init") / "decisions"
    result = CliRunner().invoke(cli.main, ["init", str(root)])
    assert result.exit_code == 0, result.output
    assert "wrote 13 files" in result.stderr
    return root


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.main, list(args))
    return result.exit_code, result.output


def test_the_new_repo_passes_validate_test_and_check(repo: Path) -> None:
    code, output = invoke("validate", str(repo), "--warnings-as-errors")
    assert code == 0, output
    code, output = invoke("lint", str(repo))
    assert code == 0 and "0 warnings, 0 infos" in output, output
    code, output = invoke("test", str(repo))
    assert code == 0, output
    assert "6 passed, 0 failed" in output
    code, output = invoke("check", str(repo), "--as-of", dt.date.today().isoformat(), "--fail-on", "not-yet")
    assert code == 0, output


@pytest.mark.parametrize("target", ["states", "waivers", "tests"])
def test_the_shipped_schemas_are_current(repo: Path, target: str) -> None:
    schema = repo / "schemas" / f"{target}.schema.json"
    code, output = invoke("schema", str(repo), "--for", target, "--output", str(schema), "--check")
    assert code == 0, output


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("services/catalog.yaml", "states"),
        ("waivers/waivers.yaml", "waivers"),
        ("policies/tests/production.test.yaml", "tests"),
    ],
)
def test_each_file_names_its_schema_and_is_valid_against_it(repo: Path, path: str, target: str) -> None:
    text = (repo / path).read_text(encoding="utf-8")
    modeline = text.splitlines()[0]
    assert modeline.startswith("# yaml-language-server: $schema=")
    named = (repo / path).parent / modeline.split("=", 1)[1]
    assert named.resolve() == (repo / "schemas" / f"{target}.schema.json").resolve()
    schema = json.loads(named.read_text(encoding="utf-8"))
    check = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for document in read_yaml((path, text), prefix="DL-STATE").documents:
        value = json.loads(json.dumps(document.value, default=str))
        assert [error.message for error in check.iter_errors(value)] == []


def test_the_configuration_files_are_yaml_and_json(repo: Path) -> None:
    for path in (".github/workflows/decisionlang.yml", ".pre-commit-config.yaml"):
        read = read_yaml((path, (repo / path).read_text(encoding="utf-8")), prefix="DL-STATE")
        assert not read.diagnostics and read.documents
    settings = json.loads((repo / ".vscode" / "settings.json").read_text(encoding="utf-8"))
    assert "./schemas/states.schema.json" in settings["yaml.schemas"]


def test_the_template_is_unicode_and_deterministic() -> None:
    files = new_decision_repo()
    assert files == new_decision_repo()
    assert list(files) == sorted(files)
    assert "Criticité" in files["policies/vocabulary.policy"]
    assert "équipe-paiements" in files["services/catalog.yaml"]


def test_existing_files_are_kept_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "services").mkdir()
    mine = tmp_path / "services" / "catalog.yaml"
    mine.write_text("name: mine\n", encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "DL-INIT-EXISTS" in result.stderr and "services/catalog.yaml" in result.stderr
    assert sorted(path.name for path in tmp_path.rglob("*") if path.is_file()) == ["catalog.yaml"]
    assert mine.read_text(encoding="utf-8") == "name: mine\n"
    forced = CliRunner().invoke(cli.main, ["init", str(tmp_path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "1 replaced" in forced.stderr
    assert mine.read_text(encoding="utf-8") == new_decision_repo()["services/catalog.yaml"]


def test_a_directory_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["init", str(tmp_path / "file")])
    assert result.exit_code == 2

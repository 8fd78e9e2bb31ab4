"""The JSON report of every importer holds to schemas/import-report-v2.schema.json, on success and on
invalid input alike."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from decisionlang import cli

ROOT = Path(__file__).parent.parent
SCHEMA = json.loads((ROOT / "schemas" / "import-report-v2.schema.json").read_text(encoding="utf-8"))
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.mark.parametrize(
    ("command", "source", "extra"),
    [
        ("backstage", FIXTURES / "backstage", []),
        ("terraform-plan", FIXTURES / "tfplan", ["--service-module", "module.foo=foo"]),
        ("openslo", FIXTURES / "openslo", []),
    ],
)
def test_reports_hold_to_the_schema(command: str, source: Path, extra: list[str], tmp_path: Path) -> None:
    result = CliRunner().invoke(cli.main, ["import", command, str(source), "--report-format", "json", *extra])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stderr)
    jsonschema.validate(report, SCHEMA)
    assert report["source"] == command
    assert report["summary"]["items"] == len(report["items"])
    assert report["summary"]["imported"] + report["summary"]["skipped"] == report["summary"]["items"]
    bad = tmp_path / ("bad.json" if command == "terraform-plan" else "bad.yaml")
    bad.write_text("[1, 2]\n", encoding="utf-8")
    failed = CliRunner().invoke(cli.main, ["import", command, str(bad), "--report-format", "json"])
    assert failed.exit_code == cli.EXIT_INVALID
    failure = json.loads(failed.stderr)
    jsonschema.validate(failure, SCHEMA)
    assert failure["items"] == [] and failure["diagnostics"] and failure["source"] == command

"""The limit flags of `decisionlang import ...`: each importer's defaults, tightened or raised for
one run (an importer reads files from outside a decision repo: no decisionlang.yaml applies)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from decisionlang import cli

FIXTURES = Path(__file__).parent / "fixtures"
CATALOG = FIXTURES / "backstage" / "backstage-demo__catalog-info.yaml"
SLO = FIXTURES / "openslo" / "OpenSLO__examples__budgeting-method__timeslices-slo.yaml"
PLAN = FIXTURES / "tfplan" / "terraform-json__has_changes__plan.json"


def run(*args: str, input: bytes | None = None) -> Result:
    return CliRunner().invoke(cli.main, ["import", *args], input=input)


@pytest.mark.parametrize(
    ("importer", "path", "noun"),
    [
        ("backstage", CATALOG, "catalog file"),
        ("openslo", SLO, "OpenSLO file"),
        ("terraform-plan", PLAN, "plan file"),
    ],
)
def test_a_smaller_file_size_refuses_a_real_file_and_writes_nothing(
    importer: str, path: Path, noun: str, tmp_path: Path
) -> None:
    assert run(importer, str(path)).exit_code == cli.EXIT_OK
    target = tmp_path / "states.yaml"
    refused = run(importer, str(path), "--max-file-size", "500B", "--output", str(target))
    assert refused.exit_code == cli.EXIT_INVALID, refused.output
    assert f"error[DL-IMPORT-LIMIT]: {noun} is larger than the limit of 500 bytes" in refused.stderr
    assert "nothing was imported" in refused.stderr
    assert not target.exists()


def deep_catalog(levels: int) -> str:
    """A Component whose annotation value is a flow list `levels` deep under the document."""
    value = "[" * (levels - 3) + "1" + "]" * (levels - 3)
    return (
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: deep\n"
        f"  annotations:\n    deep: {value}\nspec:\n  type: service\n  lifecycle: production\n  owner: team\n"
    )


def test_a_raised_depth_reads_what_the_default_refuses(tmp_path: Path) -> None:
    catalog = tmp_path / "deep.yaml"
    catalog.write_text(deep_catalog(70), encoding="utf-8")
    refused = run("backstage", str(catalog))
    assert refused.exit_code == cli.EXIT_INVALID
    assert "DL-IMPORT-LIMIT]: values are nested deeper than 64 levels" in refused.stderr
    assert run("backstage", str(catalog), "--max-depth", "100").exit_code == cli.EXIT_OK


def test_a_plan_on_standard_input_is_read_within_the_flag(tmp_path: Path) -> None:
    data = PLAN.read_bytes()
    assert run("terraform-plan", "-", input=data).exit_code == cli.EXIT_OK
    refused = run("terraform-plan", "-", "--max-file-size", "2000", input=data)
    assert refused.exit_code == cli.EXIT_INVALID
    assert "plan file is larger than the limit of 2,000 bytes" in refused.stderr


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--max-depth", "abc", "--max-depth must be a whole number from 1 to 500"),
        ("--max-file-size", "lots", "'lots': --max-file-size must be"),
        ("--max-aliases", "-1", "--max-aliases must be"),
    ],
)
def test_a_bad_limit_value_is_a_usage_error(flag: str, value: str, message: str) -> None:
    result = run("openslo", str(SLO), flag, value)
    assert result.exit_code == cli.EXIT_INVALID
    assert message in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("importer", "default"), [("backstage", "5,000,000"), ("terraform-plan", "50,000,000")]
)
def test_the_help_gives_each_importer_s_own_default(importer: str, default: str) -> None:
    shown = " ".join(run(importer, "--help").output.split())
    assert f"(default {default})" in shown
    assert "decisionlang.yaml" not in shown.split("--max-file-size", 1)[1].split("--max-depth", 1)[0]

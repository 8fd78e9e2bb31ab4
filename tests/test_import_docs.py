"""docs/inputs.md: its schema blocks are the examples' files, and its sample policies compile with them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from decisionlang.api import load_project

ROOT = Path(__file__).parent.parent
DOCS = (ROOT / "docs" / "inputs.md").read_text(encoding="utf-8")
SCHEMA_FILES = {
    "## Terraform plans": ROOT / "examples" / "terraform-gate" / "policies" / "terraform.policy",
    "## OpenSLO": ROOT / "examples" / "slo" / "policies" / "openslo.policy",
}


def blocks(section: str) -> list[str]:
    text = DOCS.split(section, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```decisionlang\n(.*?)\n```", text, re.S)


@pytest.mark.parametrize("section", sorted(SCHEMA_FILES))
def test_schema_block_is_the_examples_file(section: str) -> None:
    schema = blocks(section)[0]
    assert schema.startswith("schema {")
    shipped = SCHEMA_FILES[section].read_text(encoding="utf-8")
    assert shipped.split("\n", 1)[1] == schema + "\n", f"{SCHEMA_FILES[section]} and docs/inputs.md differ"


@pytest.mark.parametrize("section", sorted(SCHEMA_FILES))
def test_sample_policies_compile_with_the_schema(section: str, tmp_path: Path) -> None:
    project = tmp_path / "repo"
    (project / "policies").mkdir(parents=True)
    for index, block in enumerate(blocks(section)):
        (project / "policies" / f"block{index}.policy").write_text(block + "\n", encoding="utf-8")
    loaded = load_project(project)
    assert not loaded.errors, loaded.errors
    assert len(blocks(section)) >= 2

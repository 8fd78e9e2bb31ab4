"""Every rule of docs/semantics.md is exercised by a conformance case, and every case names real rules."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
SEMANTICS = ROOT / "docs" / "semantics.md"
CASES_DIR = ROOT / "tests" / "conformance"

_DEFINED = re.compile(r"^- \*\*(S\d+)\*\*", re.MULTILINE)
_ID = re.compile(r"S\d+")


def semantics_ids() -> list[str]:
    """The ids the document defines: each bullet that starts with `**Sn**`."""
    return _DEFINED.findall(SEMANTICS.read_text(encoding="utf-8"))


def conformance_cases() -> list[tuple[str, dict[str, Any]]]:
    yaml = YAML(typ="safe", pure=True)
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.load(path.read_text(encoding="utf-8")) or []:
            cases.append((f"{path.stem}:{case.get('name')}", case))
    return cases


def test_the_document_numbers_its_rules_once_and_in_order() -> None:
    ids = semantics_ids()
    assert ids, "no **Sn** bullet found in docs/semantics.md"
    assert ids == [f"S{n}" for n in range(1, len(ids) + 1)]
    assert len(ids) >= 40


def test_every_case_has_a_name_and_a_covers_list() -> None:
    cases = conformance_cases()
    assert len(cases) >= 90
    for label, case in cases:
        assert isinstance(case.get("name"), str) and case["name"], label
        assert isinstance(case.get("covers"), list), f"{label}: `covers` must be a list of S-ids"
        assert all(isinstance(item, str) and _ID.fullmatch(item) for item in case["covers"]), label
        assert len(case["covers"]) == len(set(case["covers"])), f"{label}: an id is listed twice"
        assert isinstance(case.get("expect"), dict) and case["expect"], f"{label}: nothing is expected"


def test_case_names_are_unique_per_file() -> None:
    labels = Counter(label for label, _ in conformance_cases())
    assert [label for label, count in labels.items() if count > 1] == []


def test_every_case_names_ids_that_exist() -> None:
    known = set(semantics_ids())
    unknown = {
        label: sorted(set(case["covers"]) - known)
        for label, case in conformance_cases()
        if set(case.get("covers", [])) - known
    }
    assert unknown == {}


def test_every_semantics_id_is_covered_by_a_case() -> None:
    covered = {item for _, case in conformance_cases() for item in case.get("covers", [])}
    assert [item for item in semantics_ids() if item not in covered] == []


def test_every_semantics_id_is_covered_by_a_case_that_passes() -> None:
    """An xfail case records a disagreement; it does not count as coverage on its own."""
    covered = {
        item for _, case in conformance_cases() if not case.get("xfail") for item in case.get("covers", [])
    }
    assert [item for item in semantics_ids() if item not in covered] == []


def test_xfail_cases_say_why() -> None:
    for label, case in conformance_cases():
        if "xfail" in case:
            reason = case["xfail"]
            assert isinstance(reason, str) and reason.strip() and "\n" not in reason, label

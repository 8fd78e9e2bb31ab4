"""Property tests of the importers: any JSON is a plan or a located DL-IMPORT-* error, never a crash;
a plan's unknown values are always written as null, its sensitive values never written, and the same
plan always gives the same bytes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.inputs.importers.common import render_state
from decisionlang.inputs.importers.openslo import import_openslo
from decisionlang.inputs.importers.terraform import ACTIONS, import_terraform_plans
from decisionlang.inputs.yamlreader import load_yaml, plain_data

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)
any_json = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["format_version", "resource_changes", "change", "actions", "address", "x"]),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=15,
)


def marks_for(value: Any, draw: st.DrawFn) -> Any:
    """An `after_unknown` (or `*_sensitive`) marker of the shape of `value`."""
    if isinstance(value, dict):
        return {key: marks_for(item, draw) for key, item in value.items() if draw(st.booleans())}
    if isinstance(value, list):
        return [marks_for(item, draw) for item in value]
    return draw(st.booleans())


@st.composite
def changes(draw: st.DrawFn, index: int) -> dict[str, Any]:
    after = draw(st.dictionaries(keys, values, max_size=5))
    before = draw(st.one_of(st.none(), st.dictionaries(keys, values, max_size=5)))
    actions = draw(
        st.sampled_from(
            [
                ["create"],
                ["update"],
                ["delete"],
                ["delete", "create"],
                ["create", "delete"],
                ["no-op"],
                ["read"],
            ]
        )
    )
    return {
        "address": f"null_resource.r{index}",
        "mode": "managed",
        "type": "null_resource",
        "name": f"r{index}",
        "provider_name": "registry.terraform.io/hashicorp/null",
        "change": {
            "actions": actions,
            "before": before,
            "after": after,
            "after_unknown": marks_for(after, draw),
            "before_sensitive": marks_for(before, draw) if before is not None else False,
            "after_sensitive": marks_for(after, draw),
        },
    }


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(min_value=0, max_value=4))
    return {
        "format_version": draw(st.sampled_from(["0.1", "0.2", "1.0", "1.2"])),
        "resource_changes": [draw(changes(index)) for index in range(count)],
    }


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@SETTINGS
@given(document=any_json)
def test_any_json_is_a_plan_or_a_located_error(tmp_path: Path, document: Any) -> None:
    path = write(tmp_path, "plan.json", json.dumps(document))
    try:
        result = import_terraform_plans([("plan.json", path)])
    except DecisionlangError as error:
        assert error.diagnostics
        for diagnostic in error.diagnostics:
            assert diagnostic.code.startswith("DL-IMPORT-"), diagnostic
            assert diagnostic.where.startswith("plan.json"), diagnostic
        return
    assert result.subjects[0]["kind"] == "terraform_plan"
    render_state(result)


def _leaves(value: Any, unknown: Any, path: str) -> list[str]:
    """The paths `after_unknown` marks true, as the importer names them."""
    if unknown is True:
        return [path]
    found: list[str] = []
    if isinstance(unknown, dict):
        for key, marker in unknown.items():
            child = value.get(key) if isinstance(value, dict) else None
            found += _leaves(child, marker, f"{path}.{key}" if path else key)
    elif isinstance(unknown, list) and isinstance(value, list):
        for index, marker in enumerate(unknown[: len(value)]):
            found += _leaves(value[index], marker, f"{path}[{index}]")
    return found


def _exists(value: Any, path: str) -> bool:
    try:
        _at(value, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


def _at(document: Any, path: str) -> Any:
    for part in path.replace("[", ".[").split("."):
        document = document[int(part[1:-1])] if part.startswith("[") else document[part]
    return document


@SETTINGS
@given(plan=plans())
def test_unknown_is_null_sensitive_is_never_written_same_bytes(tmp_path: Path, plan: dict[str, Any]) -> None:
    path = write(tmp_path, "plan.json", json.dumps(plan))
    result = import_terraform_plans([("plan.json", path)])
    text = render_state(result)
    assert render_state(import_terraform_plans([("plan.json", path)])) == text
    loaded = load_yaml("state.yaml", text).documents[0].value
    assert isinstance(loaded, dict)
    written = loaded["services"].value.value
    assert isinstance(written, list)
    by_name = {item.value["name"].value.value: item for item in written}  # type: ignore[index, union-attr]
    for change in plan["resource_changes"]:
        body = change["change"]
        subject = json.loads(json.dumps(plain_data(by_name[change["address"]])))
        assert subject["terraform"]["action"] in (*ACTIONS, "replace", "delete+create")
        for unknown in _leaves(body["after"], body["after_unknown"], ""):
            if not _covered_by_sensitive(unknown, body["after_sensitive"]):
                assert _at(subject["change"]["after"], unknown) is None, unknown
            assert unknown in subject["terraform"]["after_unknown"]
        for side in ("before", "after"):
            written = subject.get("change", {}).get(side)
            for path in _leaves(body[side], body[f"{side}_sensitive"], ""):
                if _exists(body[side], path):  # a sensitive value is written as null, never as itself
                    assert _at(written, path) is None, (side, path)
                    if _at(body[side], path) is not None:  # a null hides nothing: not listed
                        assert f"{side}.{path}" in subject["terraform"]["sensitive"]


def _covered_by_sensitive(path: str, sensitive: Any) -> bool:
    try:
        return _at(sensitive, path) is True
    except (KeyError, IndexError, TypeError):
        return False


@SETTINGS
@given(
    document=st.lists(
        st.dictionaries(st.sampled_from(["apiVersion", "kind", "metadata", "spec"]), values, max_size=4),
        max_size=3,
    )
)
def test_any_openslo_like_file_is_imported_or_a_located_error(
    tmp_path: Path, document: list[dict[str, Any]]
) -> None:
    for item in document:
        item.setdefault("apiVersion", "openslo/v1")
    path = write(tmp_path, "slo.yaml", json.dumps(document))
    try:
        result = import_openslo([("slo.yaml", path)])
    except DecisionlangError as error:
        assert all(
            d.code.startswith("DL-IMPORT-") and d.where.startswith("slo.yaml") for d in error.diagnostics
        )
        return
    render_state(result)

"""The one YAML reader: positions, limits (through aliases), NFC, diagnostic prefixes, and its
values against ruamel's own safe loader on generated documents."""

from __future__ import annotations

import datetime
import io
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from decisionlang.core.spans import SourceFile
from decisionlang.core.undetermined import OutOfRange
from decisionlang.inputs import sources, yamlreader
from decisionlang.inputs.yamlreader import (
    YamlLimits,
    YamlMap,
    YamlSeq,
    item_spot,
    key_spot,
    load_yaml,
    located,
    read_yaml,
    read_yaml_bytes,
    value_spot,
)


def read(text: str, **options: Any) -> yamlreader.YamlDocuments:
    options.setdefault("prefix", "DL-X")
    return read_yaml(("x.yaml", text), **options)


def codes(result: yamlreader.YamlDocuments) -> list[str]:
    return [diagnostic.code for diagnostic in result.diagnostics]


def where(result: yamlreader.YamlDocuments) -> list[tuple[int, int]]:
    return [(d.span.line, d.span.column) for d in result.diagnostics if d.span is not None]


# ---------------------------------------------------------------------------------------------
# inputs: text with its display path, in any of the source file types


@pytest.mark.parametrize(
    "file",
    [("a.yaml", "k: 1\n"), SourceFile("a.yaml", "k: 1\n"), sources.SourceFile("a.yaml", "k: 1\n")],
)
def test_input_is_text_with_its_display_path(file: Any) -> None:
    result = read_yaml(file, prefix="DL-X")
    assert result.diagnostics == ()
    assert result.source.path == "a.yaml"
    assert result.documents[0].value == {"k": 1}


# ---------------------------------------------------------------------------------------------
# positions


def test_every_key_value_and_item_has_its_position() -> None:
    text = "name: api\nrisk:\n  security: 7\nregions: [eu, us]\nlist:\n  - a\n  - {b: 2}\n"
    (document,) = read(text).documents
    root = document.value
    assert document.spot == (1, 1)
    assert (key_spot(root, "name"), value_spot(root, "name")) == ((1, 1), (1, 7))
    risk = root["risk"]
    assert type(risk) is YamlMap and (risk.line, risk.column) == (3, 3)
    assert value_spot(root, "risk") == (2, 1)  # a block mapping is shown at its key
    assert (key_spot(risk, "security"), value_spot(risk, "security")) == ((3, 3), (3, 13))
    regions = root["regions"]
    assert type(regions) is YamlSeq and regions.flow
    assert value_spot(root, "regions") == (4, 10)
    assert [item_spot(regions, index) for index in range(2)] == [(4, 11), (4, 15)]
    items = root["list"]
    assert [item_spot(items, index) for index in range(2)] == [(6, 5), (7, 5)]
    assert (items.end_line, items.end_column) == (8, 1)


def test_located_values_carry_their_own_positions() -> None:
    result = read("a:\n  - 1\n  - {b: 2027-03-31}\n'1': x\n")
    value, problem = located(result.documents[0], result.source, "DL-X")
    assert problem is None and value is not None
    assert isinstance(value.value, dict)
    entry = value.value["a"]
    assert (entry.line, entry.column) == (1, 1)
    assert isinstance(entry.value.value, list)
    first, second = entry.value.value
    assert (first.value, first.line, first.column) == (1, 2, 5)
    assert isinstance(second.value, dict)
    assert second.value["b"].value.value == "2027-03-31"  # dates stay text, as written
    assert second.value["b"].value.span(result.source).text() == "2027-03-31"


def test_located_refuses_keys_it_cannot_spell_as_text() -> None:
    result = read("? [a]\n: 1\n")
    assert located(result.documents[0], result.source, "DL-X")[1] is not None
    result = read("1: a\n'1': b\n")
    _, problem = located(result.documents[0], result.source, "DL-X")
    assert problem is not None and problem.code == "DL-X-YAML"
    assert problem.message == "key `1` is given twice"


def test_an_alias_stands_where_its_anchor_is_written() -> None:
    (document,) = read("x: &r [eu, us]\ny: *r\n").documents
    assert value_spot(document.value, "y") == (1, 4)
    assert document.value["x"] is document.value["y"]  # the same object: nothing is expanded


def test_merge_keys_are_applied_and_keep_where_merged_keys_are_written() -> None:
    (document,) = read("base: &b {owner: team, tier: 1}\nsvc:\n  <<: *b\n  tier: 2\n").documents
    svc = document.value["svc"]
    assert svc == {"owner": "team", "tier": 2}
    assert key_spot(svc, "owner") == (1, 11)


# ---------------------------------------------------------------------------------------------
# limits, the same for every caller


def test_depth_is_counted_through_aliases() -> None:
    text = "a: &a [[[1]]]\nb: *a\n"  # the root mapping, then three lists
    assert read(text, limits=YamlLimits(max_depth=4)).diagnostics == ()
    result = read(text, limits=YamlLimits(max_depth=3))
    assert codes(result) == ["DL-X-LIMIT"] and where(result) == [(1, 9)]  # the nesting itself
    result = read("a: &a [[[1]]]\nb: [[*a]]\n", limits=YamlLimits(max_depth=4))
    assert codes(result) == ["DL-X-LIMIT"] and where(result) == [(2, 6)]  # the alias
    assert result.diagnostics[0].message == "values are nested deeper than 4 levels"


def test_chained_aliases_cannot_build_values_nested_beyond_the_limit() -> None:
    lines = ["a0: &a0 " + "[" * 30 + "]" * 30]
    lines += [f"a{n}: &a{n} " + "[" * 30 + f"*a{n - 1}" + "]" * 30 for n in range(1, 40)]
    result = read("\n".join(lines) + "\n")
    assert codes(result) == ["DL-X-LIMIT"]
    assert where(result) == [(3, 39)]  # 2 x 30 levels, then an alias to 31 more


def test_alias_bombs_are_refused_before_anything_is_expanded() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"{chr(98 + n)}: &{chr(98 + n)} [" + ", ".join([f"*{chr(97 + n)}"] * 10) + "]" for n in range(8)
    ]
    result = read("\n".join(lines) + "\n")
    assert codes(result) == ["DL-X-LIMIT"]
    assert "aliases expand to more than 100000 values" in result.diagnostics[0].message


def test_alias_count_and_size_limits() -> None:
    assert codes(read("a: &a 1\nb: [*a, *a, *a]\n", limits=YamlLimits(max_aliases=2))) == ["DL-X-LIMIT"]
    text = "a: " + "é" * 10 + "\n"  # 24 bytes of UTF-8, 14 characters
    assert codes(read(text, limits=YamlLimits(max_bytes=24))) == []
    result = read(text, limits=YamlLimits(max_bytes=23), noun="test file")
    assert codes(result) == ["DL-X-LIMIT"]
    assert result.diagnostics[0].message == "test file is larger than the limit of 23 bytes"


def test_bytes_that_are_not_utf8_are_located() -> None:
    result = read_yaml_bytes("x.yaml", "a: 1\nb: é\n".encode("latin-1"), prefix="DL-X", noun="waiver file")
    assert codes(result) == ["DL-X-YAML"] and where(result) == [(2, 4)]
    assert result.diagnostics[0].message == "waiver file is not valid UTF-8: byte 0xe9 cannot be decoded"


# ---------------------------------------------------------------------------------------------
# text: one spelling per character, one kind of line break


def test_text_is_nfc_normalised_and_line_breaks_are_unified() -> None:
    decomposed = "cafe\u0301"
    result = read(f"{decomposed}: {decomposed}\r\nb: 2\r")
    (document,) = result.documents
    assert document.value == {"café": "café", "b": 2}
    assert key_spot(document.value, "b") == (2, 1)
    assert "\r" not in result.source.text and "\u0301" not in result.source.text


def test_a_byte_order_mark_is_dropped() -> None:
    assert read("\ufeffa: 1\n").documents[0].value == {"a": 1}


# ---------------------------------------------------------------------------------------------
# diagnostics: coded with the caller's prefix, worded the same for every caller


@pytest.mark.parametrize("prefix", ["DL-STATE", "DL-WAIVER", "DL-TEST", "DL-CONFIG", "DL-IMPORT"])
def test_the_prefix_codes_every_diagnostic(prefix: str) -> None:
    assert codes(read("a: [1\n", prefix=prefix)) == [f"{prefix}-YAML"]
    assert codes(read("a: !!python/object x\n", prefix=prefix)) == [f"{prefix}-YAML"]
    assert codes(read("a: [[1]]\n", prefix=prefix, limits=YamlLimits(max_depth=1))) == [f"{prefix}-LIMIT"]


def test_tags_are_refused_with_the_file_named() -> None:
    result = read("a: !!python/object/apply:os.system [x]\nb: !custom y\n", noun="waiver file")
    assert [d.message for d in result.diagnostics] == [
        "YAML tag `!!python/object/apply:os.system` is not allowed in waiver files",
        "YAML tag `!custom` is not allowed in waiver files",
    ]


def test_duplicate_keys_and_recursive_aliases_are_refused() -> None:
    result = read("a: 1\na: 2\n")
    assert codes(result) == ["DL-X-YAML"] and where(result) == [(2, 1)]
    result = read("a: &x [1, *x]\n")
    assert [d.message for d in result.diagnostics] == ["alias `*x` refers to a node that contains it"]


def test_core_schema_values() -> None:
    text = "a: [yes, true, 0x1F, 0o17, 012, 1_000, .inf, 1e1, ~, 2027-03-31, 2027-02-30, '3']\n"
    (document,) = read(text).documents
    assert document.value["a"] == [
        *("yes", True, 31, 15, 12, 1000, OutOfRange(".inf"), 10.0, None),
        *(datetime.date(2027, 3, 31), "2027-02-30", "3"),
    ]
    (document,) = read("%YAML 1.1\n---\na: [yes, 010]\n").documents
    assert document.value["a"] == [True, 8]


def test_several_documents_where_allowed() -> None:
    text = "a: 1\n---\nb: 2\n...\n---\nc: 3\n"
    assert [d.value for d in read(text).documents] == [{"a": 1}, {"b": 2}, {"c": 3}]
    result = read(text, single=True, noun="test file")
    assert codes(result) == ["DL-X-YAML"] and where(result) == [(2, 1)]
    assert "a test file holds one document" in result.diagnostics[0].message


def test_load_yaml_reads_text_or_a_path(tmp_path: Any) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("kind: Component\n", encoding="utf-8")
    assert load_yaml("c.yaml", path).documents == load_yaml("c.yaml", "kind: Component\n").documents


# ---------------------------------------------------------------------------------------------
# property: on generated documents, the reader's values are ruamel's, and positions point at them


_KEYS = st.text(alphabet=string.ascii_lowercase + "éàç_", min_size=1, max_size=8).filter(
    lambda key: key not in ("y", "n")
)
_SCALARS = (
    st.integers(-(10**12), 10**12)
    | st.booleans()
    | st.none()
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(alphabet=string.ascii_letters + string.digits + " -_éü日", max_size=12)
    | st.dates(datetime.date(1990, 1, 1), datetime.date(2100, 1, 1))
)
_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=4),
    max_leaves=25,
)


def _dump(value: Any, flow: bool | None) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = flow
    stream = io.StringIO()
    yaml.dump(value, stream)
    return stream.getvalue()


def _check_positions(value: Any, source: SourceFile) -> None:
    """Each plain key is written at its key spot; each number item where its item spot says."""
    if type(value) is YamlMap:
        for key, child in value.items():
            spot = key_spot(value, key)
            assert source.line_text(spot.line)[spot.column - 1 :].lstrip("'\"").startswith(key)
            if isinstance(child, int) and not isinstance(child, bool):
                at = value_spot(value, key)
                assert source.line_text(at.line)[at.column - 1 :].startswith(str(child))
            _check_positions(child, source)
    elif type(value) is YamlSeq:
        for index, child in enumerate(value):
            if isinstance(child, int) and not isinstance(child, bool):
                at = item_spot(value, index)
                assert source.line_text(at.line)[at.column - 1 :].startswith(str(child))
            _check_positions(child, source)


@settings(max_examples=200, deadline=None)
@given(document=_VALUES, flow=st.sampled_from([None, True, False]), pure=st.booleans())
def test_values_equal_ruamel_safe_load_and_positions_point_at_them(
    document: Any, flow: bool | None, pure: bool
) -> None:
    text = _dump(document, flow)
    expected = YAML(typ="safe", pure=True).load(text)
    original = yamlreader._USE_C_PARSER
    yamlreader._USE_C_PARSER = original and not pure
    try:
        result = read(text)
    finally:
        yamlreader._USE_C_PARSER = original
    assert result.diagnostics == ()
    (loaded,) = result.documents
    assert loaded.value == expected
    _check_positions(loaded.value, result.source)


# ---------------------------------------------------------------------------------------------
# decisionlang.yaml goes through the same reader


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("policies: [p\n", ("DL-CONFIG-YAML", 2, 1)),
        ("policies: !!python/name:os.system x\n", ("DL-CONFIG-YAML", 1, 11)),
        ("policies: [p]\n---\nstates: [s]\n", ("DL-CONFIG-YAML", 2, 1)),
        ("policies: [p]\npolicies: [q]\n", ("DL-CONFIG-YAML", 2, 1)),
        ("policies: [p]\nstate: [s]\n", ("DL-CONFIG", 2, 1)),
        ("policies: 3\n", ("DL-CONFIG", 1, 1)),
    ],
)
def test_the_configuration_file_is_read_by_the_same_reader(tmp_path: Any, text: str, expected: Any) -> None:
    files = sources.SourceSet.from_memory({"decisionlang.yaml": text, "policies/p.policy": ""})
    first = files.diagnostics[0]
    assert first.span is not None
    assert (first.code, first.span.line, first.span.column) == expected
    assert first.span.path == "decisionlang.yaml"

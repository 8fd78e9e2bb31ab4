"""The keys of a state YAML file and the schema fields they write, for hover and go to
definition in state files: `security:` under `risk:` is the field `risk.security`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from decisionlang.inputs.yamlreader import YamlMap, YamlSeq, read_yaml, token_width
from decisionlang.language.types import FieldSpec

# (line, first column, end column) of a key, 1-based, end exclusive; and the keys leading to it
KeyAt = tuple[tuple[int, int, int], tuple[str, ...]]


def keys_of(path: str, text: str) -> list[KeyAt]:
    """Every mapping key of the file, with the keys of the mappings it is in (list items add none)."""
    read = read_yaml((path, text), prefix="DL-STATE", noun="state file")
    found: list[KeyAt] = []
    lines = read.source.text.split("\n")
    stack: list[tuple[Any, tuple[str, ...]]] = [(document.value, ()) for document in read.documents]
    while stack:
        node, within = stack.pop()
        if type(node) is YamlMap:
            for key, marks in node.marks.items():
                line, column = marks[0], marks[1]
                line_text = lines[line - 1] if 0 < line <= len(lines) else ""
                width = max(1, token_width(line_text, column - 1))
                keys = (*within, str(key))
                found.append(((line, column, column + width), keys))
                stack.append((node[key], keys))
        elif type(node) is YamlSeq:
            stack.extend((item, within) for item in node)
    return found


def key_at(keys: list[KeyAt], line: int, column: int) -> KeyAt | None:
    """The key written at a 1-based (line, column), the column just after it included."""
    for key in keys:
        (at_line, start, end), _ = key
        if at_line == line and start <= column <= end:
            return key
    return None


def field_of(path: tuple[str, ...], fields: Mapping[str, FieldSpec]) -> tuple[str, FieldSpec | None] | None:
    """The declared field (or group of fields, with no spec) the keys PATH write: the longest
    ending of the path that the schema declares (`services.risk.security` is `risk.security`)."""
    for start in range(len(path)):
        dotted = ".".join(path[start:])
        if dotted in fields:
            return dotted, fields[dotted]
        if any(name.startswith(dotted + ".") for name in fields):
            return dotted, None
    return None

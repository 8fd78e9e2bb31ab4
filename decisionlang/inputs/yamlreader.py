"""Untrusted YAML read safely, with the line and column of every key and value.

Used by the importers (`decisionlang import ...`) and by waiver files. The text is checked before
anything is built, with the same bounds as state files (`decisionlang.inputs.states.YamlLimits`): file
size, nesting depth, alias count and the nodes that aliases add once expanded ("billion laughs").
Only plain data comes out (text, numbers, booleans, null, mappings and lists), never Python
objects: ruamel's safe parser and composer are used, and the values are built here from the
composed nodes. Custom tags, complex keys, duplicate keys and recursive aliases are refused.

Problems are raised as `DecisionlangError` with located diagnostics (`file:line:column`), coded
DL-IMPORT-*; callers with a domain of their own (waivers) recode them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, Event
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic
from decisionlang.core.spans import SourceFile, point
from decisionlang.inputs.states import YamlLimits

__all__ = [
    "LIMIT",
    "READ",
    "YAML_SYNTAX",
    "Entry",
    "Located",
    "Scalar",
    "YamlFile",
    "describe",
    "load_yaml",
    "yaml_files",
]

READ = "DL-IMPORT-READ"
LIMIT = "DL-IMPORT-LIMIT"
YAML_SYNTAX = "DL-IMPORT-YAML"

YAML_SUFFIXES = (".yaml", ".yml")

Scalar = str | int | float | bool | None

_CORE = "tag:yaml.org,2002:"
# Tags of plain data; `merge` and `value` are those ruamel gives the plain scalars `<<` and `=`.
_PLAIN_TAGS = frozenset(
    _CORE + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq", "merge", "value")
)


@dataclass(frozen=True)
class Located:
    """A YAML value and where it starts (1-based): a scalar, a mapping or a list."""

    value: Scalar | dict[str, Entry] | list[Located]
    line: int
    column: int


@dataclass(frozen=True)
class Entry:
    """One entry of a mapping: where its key is written, and its value."""

    line: int
    column: int
    value: Located


@dataclass(frozen=True)
class YamlFile:
    """The documents of one file (empty documents left out), and its text for diagnostics."""

    source: SourceFile
    documents: tuple[Located, ...]


def yaml_files(paths: Sequence[Path]) -> list[tuple[str, Path]]:
    """The files to read: each file as given, and the `*.yaml`/`*.yml` files under each directory.

    Pairs display paths (as the user wrote them) with real paths, in a stable order; a file given
    twice is read once. A directory without YAML files is an error.
    """
    files: list[tuple[str, Path]] = []
    seen: set[Path] = set()
    problems: list[Diagnostic] = []
    for path in paths:
        found = list(_under(path)) if path.is_dir() else [path]
        if not found:
            message = f"no `*.yaml` or `*.yml` file under `{path}`"
            problems.append(Diagnostic(READ, message, file=str(path)))
        for file in found:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append((str(file), file))
    if problems:
        raise DecisionlangError(problems)
    return files


def _under(directory: Path) -> Iterator[Path]:
    candidates = (path for path in directory.rglob("*") if path.suffix.lower() in YAML_SUFFIXES)
    yield from sorted(path for path in candidates if path.is_file())


def load_yaml(display_path: str, path: Path, limits: YamlLimits | None = None) -> YamlFile:
    """Read and parse one file; raises `DecisionlangError` with the located problem."""
    limits = limits or YamlLimits()
    return parse_yaml(_read(display_path, path, limits), limits)


def parse_yaml(source: SourceFile, limits: YamlLimits | None = None) -> YamlFile:
    """Parse one file's text (line breaks as `\\n`); raises `DecisionlangError` with the located problem."""
    limits = limits or YamlLimits()
    display_path = source.path
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ruamel may warn on stderr; the diagnostics say what matters
        try:
            _check_events(source, limits)
            roots = list(YAML(typ="safe", pure=True).compose_all(source.text))
        except YAMLError as error:
            raise DecisionlangError([_yaml_error(source, error)]) from None
        except DecisionlangError:
            raise
        except Exception as error:  # a parser bug on untrusted input must not become a traceback
            message = f"invalid YAML: {error}"
            raise DecisionlangError([Diagnostic(YAML_SYNTAX, message, file=display_path)]) from None
    _check_expansion(roots, source, limits)
    documents = tuple(_Builder(source).build(root) for root in roots if not _is_null(root))
    return YamlFile(source, documents)


# ---------------------------------------------------------------------------------------------
# reading and checking


def _read(display_path: str, path: Path, limits: YamlLimits) -> SourceFile:
    try:
        with path.open("rb") as stream:
            data = stream.read(limits.max_bytes + 1)  # never read more than the limit allows
    except OSError as error:
        message = f"cannot read `{display_path}`: {error.strerror or error}"
        raise DecisionlangError([Diagnostic(READ, message, file=display_path)]) from None
    if len(data) > limits.max_bytes:
        message = f"file is larger than the limit of {limits.max_bytes} bytes"
        raise DecisionlangError([Diagnostic(LIMIT, message, file=display_path)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        source = SourceFile(display_path, _newlines(data.decode("utf-8-sig", errors="replace")))
        line, column = source.position(len(_newlines(data[: error.start].decode("utf-8-sig", "replace"))))
        message = f"file is not valid UTF-8: byte 0x{data[error.start]:02x} cannot be decoded"
        raise DecisionlangError([Diagnostic(YAML_SYNTAX, message, point(source, line, column))]) from None
    return SourceFile(display_path, _newlines(text))


def _newlines(text: str) -> str:
    # ruamel counts a lone "\r" as a line break and SourceFile does not; agree on "\n".
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _check_events(source: SourceFile, limits: YamlLimits) -> None:
    """Nesting depth and alias count, from the parser events, before any node is composed."""
    depth = aliases = 0
    event: Event
    for event in YAML(typ="safe", pure=True).parse(source.text):
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > limits.max_depth:
                _limit(source, event, f"YAML nesting is deeper than the limit of {limits.max_depth} levels")
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
        elif isinstance(event, AliasEvent):
            aliases += 1
            if aliases > limits.max_aliases:
                _limit(source, event, f"more than {limits.max_aliases} YAML aliases")


def _limit(source: SourceFile, event: Event, message: str) -> None:
    mark = event.start_mark
    raise DecisionlangError([Diagnostic(LIMIT, message, point(source, mark.line + 1, mark.column + 1))])


def _check_expansion(roots: Sequence[Node], source: SourceFile, limits: YamlLimits) -> None:
    """Refuse recursive aliases, and aliases that would add too many nodes once expanded."""
    sizes: dict[int, int] = {}
    for root in roots:
        unique: set[int] = set()
        expanded = _expanded_size(root, sizes, unique, source, ())
        if expanded - len(unique) > limits.max_alias_nodes:
            message = f"YAML aliases expand to more than {limits.max_alias_nodes} extra values"
            where = point(source, root.start_mark.line + 1, root.start_mark.column + 1)
            raise DecisionlangError([Diagnostic(LIMIT, message, where)])


def _expanded_size(
    node: Node, sizes: dict[int, int], unique: set[int], source: SourceFile, open_nodes: tuple[int, ...]
) -> int:
    """Nodes under `node` once aliases are expanded (memoised: a shared node is counted once per use)."""
    key = id(node)
    unique.add(key)
    if key in open_nodes:
        where = point(source, node.start_mark.line + 1, node.start_mark.column + 1)
        raise DecisionlangError([Diagnostic(YAML_SYNTAX, "a YAML alias refers to itself", where)])
    if key not in sizes:
        children: list[Node] = []
        if isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, SequenceNode):
            children = list(node.value)
        inner = (*open_nodes, key)
        sizes[key] = 1 + sum(_expanded_size(child, sizes, unique, source, inner) for child in children)
    return sizes[key]


def _yaml_error(source: SourceFile, error: YAMLError) -> Diagnostic:
    """A diagnostic at the position ruamel reports, with its explanation."""
    if isinstance(error, ReaderError):
        line, column = source.position(int(error.position))
        message = f"character {error.character!r} is not allowed in YAML ({error.reason})"
        return Diagnostic(YAML_SYNTAX, message, point(source, line, column))
    if isinstance(error, MarkedYAMLError) and error.problem_mark is not None:
        problem = str(error.problem or error.context or "invalid YAML")
        mark = error.problem_mark
        help = None
        if error.context and error.context_mark is not None:
            help = f"{error.context} (line {error.context_mark.line + 1})"
        if "'\\t'" in problem:
            help = "indent with spaces: YAML does not allow tabs for indentation"
        where = point(source, mark.line + 1, mark.column + 1)
        return Diagnostic(YAML_SYNTAX, f"invalid YAML: {problem}", where, help)
    return Diagnostic(YAML_SYNTAX, f"invalid YAML: {error}", file=source.path)


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and str(node.tag) == _CORE + "null"


# ---------------------------------------------------------------------------------------------
# building plain values from the composed nodes


class _Builder:
    """Plain values with positions; only core YAML tags, scalar keys and unique keys are accepted."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source

    def build(self, node: Node) -> Located:
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        tag = str(node.tag)
        if tag not in _PLAIN_TAGS:
            self._fail(node, f"YAML tag `{tag}` is not supported", "remove the tag: only plain YAML is read")
        if isinstance(node, MappingNode):
            return Located(self._mapping(node), line, column)
        if isinstance(node, SequenceNode):
            return Located([self.build(item) for item in node.value], line, column)
        return Located(_scalar(tag, str(node.value)), line, column)

    def _mapping(self, node: MappingNode) -> dict[str, Entry]:
        entries: dict[str, Entry] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._fail(key_node, "a mapping key must be plain text, not a mapping or a list")
            key = str(key_node.value)
            line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if key in entries:
                first = entries[key].line
                self._fail(key_node, f"key `{key}` is given twice", f"first given at line {first}")
            entries[key] = Entry(line, column, self.build(value_node))
        return entries

    def _fail(self, node: Node, message: str, help: str | None = None) -> None:
        mark = node.start_mark
        where = point(self.source, mark.line + 1, mark.column + 1)
        raise DecisionlangError([Diagnostic(YAML_SYNTAX, message, where, help)])


def _scalar(tag: str, text: str) -> Scalar:
    """A scalar's value by its resolved tag; dates and anything unusual stay text."""
    name = tag[len(_CORE) :]
    if name == "null":
        return None
    if name == "bool":
        return text.lower() in ("true", "yes", "on", "y")
    if name in ("int", "float"):
        return _number(name, text)
    return text


def _number(name: str, text: str) -> Scalar:
    plain = text.replace("_", "")
    special = {".inf": "inf", "+.inf": "inf", "-.inf": "-inf", ".nan": "nan"}.get(plain.lower(), plain)
    for convert in (_decimal, _prefixed) if name == "int" else (float,):
        try:
            return convert(special)
        except ValueError:
            continue
    return text


def _decimal(text: str) -> int:
    return int(text, 10)


def _prefixed(text: str) -> int:
    return int(text, 0)  # 0x1f, 0o17, 0b101


def describe(value: Any) -> str:
    """A loaded value as the user wrote it, for "got ..." in messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a mapping"
    return "a list"

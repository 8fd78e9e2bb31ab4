"""State files: YAML subjects, validated against the schema the policies declare, with exact positions.

Each file goes through the same stages, and every stage reports problems as diagnostics instead of
raising, so one run reports everything that is wrong in every file:

1. read the bytes (size limit) and decode them as UTF-8;
2. parse the YAML in a single pass over the parser events: nesting depth, alias count, alias
   expansion ("billion laughs"), custom tags and syntax errors are checked as the events come, before
   any alias is expanded, and the same pass builds the values with the line and column of every key
   and value. Only plain data is built (YAML 1.2 core schema: text, numbers, booleans, null, dates),
   never Python objects. The C parser of ruamel.yaml.clib is used when installed; ruamel's
   pure-Python parser is the reference, used without the C extension, for the few texts the two read
   differently (tabs, explicit tags, `%YAML` directives, ...) and to word syntax errors;
3. split documents into subject mappings (one subject, or `services:`/`initiatives:` lists);
4. flatten each subject to dotted paths (`risk: {security: 7}` is `risk.security`), sorting out
   unknown fields on the way;
5. validate the values with a pydantic model generated from the schema, and map every pydantic
   error back to the file, line and column of the offending value;
6. check across files: duplicate names and references to subjects that do not exist.

Conventions worth knowing when writing state files:
- a YAML `null` (or an empty value) counts as absent: the evaluator treats the field as unknown;
- a dotted key is the same as nesting: `risk.security: 7` is `risk: {security: 7}`;
- next to `services:`/`initiatives:`, top-level keys starting with `x-` are ignored, so they can
  hold anchors shared with `<<: *anchor` merge keys.
"""

from __future__ import annotations

import datetime
import functools
import importlib
import json
import math
import re
import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal, NamedTuple, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    create_model,
)
from pydantic_core import ErrorDetails, PydanticCustomError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedKeyMap, CommentedKeySeq
from ruamel.yaml.constructor import RoundTripConstructor, SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from decisionlang.core.diagnostics import Diagnostic, Severity, sorted_diagnostics
from decisionlang.core.hints import closest, did_you_mean
from decisionlang.core.spans import SourceFile, Span, point
from decisionlang.core.subjects import Duration, Portfolio, Subject
from decisionlang.inputs import sources
from decisionlang.inputs.sources import Role, too_large
from decisionlang.language.types import (
    BOOL,
    BUILTIN_FIELDS,
    DATE,
    DERIVED_FIELDS,
    DURATION,
    NUMBER,
    SUBJECT,
    TEXT,
    FieldSpec,
    ListType,
    ScaleType,
    Type,
)

__all__ = [
    "DANGLING",
    "DUPLICATE",
    "LIMIT",
    "RANGE",
    "READ",
    "REQUIRED",
    "SCALE",
    "SHAPE",
    "TYPE",
    "UNKNOWN_FIELD",
    "YAML_SYNTAX",
    "YamlLimits",
    "load_states",
]

TYPE = "DL-STATE-TYPE"
RANGE = "DL-STATE-RANGE"
SCALE = "DL-STATE-SCALE"
REQUIRED = "DL-STATE-REQUIRED"
UNKNOWN_FIELD = "DL-STATE-UNKNOWN-FIELD"
DUPLICATE = "DL-STATE-DUPLICATE"
DANGLING = "DL-STATE-DANGLING"
YAML_SYNTAX = "DL-STATE-YAML"
LIMIT = "DL-STATE-LIMIT"
SHAPE = "DL-STATE-SHAPE"
READ = "DL-STATE-READ"

# Top-level keys of a file that lists subjects, and the kind a subject under each gets by default.
_COLLECTIONS: dict[str, str] = {"services": "service", "initiatives": "initiative"}

# Next to those lists, keys starting with `x-` only hold anchors for `<<: *anchor` merges.
_ANCHOR_HOLDER_PREFIX = "x-"

# Explicit tags that only restate what plain YAML already means; anything else is rejected.
_CORE = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP, _MAP, _SEQ = (
    _CORE + name for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)
_PLAIN_TAGS = frozenset((_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP, _MAP, _SEQ))
_SCALAR_TAGS = frozenset((_INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP))  # never on a mapping or list
# Tags that ruamel's resolver gives plain scalars besides the core ones: `<<` (a merge key) and `=`.
_MERGE, _VALUE = _CORE + "merge", _CORE + "value"

# A field name this close to a declared one is taken for a typo (an error), not for extra data.
_SHORT_NAME_CUTOFF = 0.6  # scale values and subject names are short: a looser match still helps


@dataclass(frozen=True)
class YamlLimits:
    """Bounds on untrusted YAML, checked before any value is built."""

    max_bytes: int = 5_000_000
    max_depth: int = 64
    max_aliases: int = 100
    # Nodes that aliases may add once expanded: catches exponential "billion laughs" documents,
    # whose alias count alone stays small.
    max_alias_nodes: int = 100_000


def load_states(
    files: Sequence[sources.SourceFile],
    fields: Mapping[str, FieldSpec],
    *,
    limits: YamlLimits = YamlLimits(),
) -> tuple[Portfolio, list[Diagnostic]]:
    """Load every subject of the state files (read by `decisionlang.inputs.sources`).

    Returns the portfolio of valid subjects and the diagnostics of all files, sorted. A subject
    with an error is left out of the portfolio; warnings (unread fields) do not exclude it.
    """
    schema = _Schema.build(fields)
    diagnostics: list[Diagnostic] = []
    candidates: list[_Candidate] = []
    for file in files:
        file_candidates, file_diagnostics = _load_file(file, schema, limits)
        candidates.extend(file_candidates)
        diagnostics.extend(file_diagnostics)
    diagnostics.extend(_check_control_characters(candidates))
    diagnostics.extend(_check_names(candidates))
    diagnostics.extend(_check_references(candidates))
    subjects = [candidate.subject for candidate in candidates if candidate.subject and not candidate.rejected]
    return Portfolio.of(subjects), sorted_diagnostics(diagnostics)


# ---------------------------------------------------------------------------------------------
# positions


class _Spot(NamedTuple):
    """Where a key or value is written: 1-based line and column."""

    line: int
    column: int

    def width(self, source: SourceFile) -> int:
        """Width of the token written here; only computed for the few spots a diagnostic shows."""
        return _token_width(source.line_text(self.line), self.column - 1)

    def span(self, source: SourceFile) -> Span:
        return point(source, self.line, self.column, self.width(source))


def _token_width(line: str, start: int) -> int:
    """Width of the YAML token at `start`: a quoted string, a flow collection or a plain scalar.

    Only used to size the caret under a diagnostic, so a close guess is enough.
    """
    rest = line[start:]
    if not rest or rest[0].isspace():  # e.g. a syntax error at a tab: mark just that character
        return 1
    if rest[0] in "\"'[{":
        end = _closing_quote(rest) if rest[0] in "\"'" else _closing_bracket(rest)
        return end + 1 if end > 0 else len(rest.rstrip())  # unclosed on this line: up to its end
    if rest[0] in "-?" and rest[1:2] in ("", " "):  # a block sequence entry or complex key indicator
        return 1
    stop = len(rest)
    plain_end = re.search(r":(?:\s|$)|\s#", rest)
    if plain_end:
        stop = plain_end.start()
    if "[" in line[:start] or "{" in line[:start]:
        # Inside a flow collection a plain scalar also ends at `,`, `]` or `}`.
        for delimiter in ",]}":
            index = rest.find(delimiter)
            if 0 <= index < stop:
                stop = index
    return max(1, len(rest[:stop].rstrip()))


def _closing_quote(token: str) -> int:
    """Index of the quote closing `token[0]` on this line, or -1."""
    quote, index = token[0], 1
    while index < len(token):
        char = token[index]
        if quote == '"' and char == "\\":
            index += 2
            continue
        if char == quote:
            if quote == "'" and token[index + 1 : index + 2] == "'":  # '' escapes a single quote
                index += 2
                continue
            return index
        index += 1
    return -1


def _closing_bracket(token: str) -> int:
    """Index of the bracket closing `token[0]` on this line, or -1 (quotes are skipped)."""
    depth, index = 0, 0
    while index < len(token):
        char = token[index]
        if char in "\"'":
            closing = _closing_quote(token[index:])
            if closing < 0:
                return -1
            index += closing + 1
            continue
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1


class _Map(dict[Any, Any]):
    """A YAML mapping as loaded: its own keys in order, then the keys merged in with `<<`.

    Positions are ruamel's: 0-based line and column where a node starts; an alias stands where
    its anchored node is written.
    """

    __slots__ = ("column", "flow", "line", "marks", "merged")

    def __init__(self, line: int, column: int) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.flow = False  # written in flow style, and not empty
        # own key -> line and column of the key, then of the value
        self.marks: dict[Any, tuple[int, int, int, int]] = {}
        self.merged: list[_Map] = []  # mappings merged in with `<<`, the first one winning


class _Seq(list[Any]):
    """A YAML sequence as loaded, with where each item is written (0-based, like `_Map`)."""

    __slots__ = ("column", "flow", "line", "marks")

    def __init__(self, line: int, column: int) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.flow = False
        self.marks: list[tuple[int, int]] = []


def _mapping_spot(mapping: _Map) -> _Spot:
    return _Spot(mapping.line + 1, mapping.column + 1)


def _defining_mapping(mapping: _Map, key: Any) -> _Map:
    """The mapping whose text holds `key`: itself, or one merged into it with `<<: *anchor`."""
    if key in mapping.marks:
        return mapping
    for merged in mapping.merged:
        if key in merged:
            return _defining_mapping(merged, key)
    return mapping


def _key_spot(mapping: _Map, key: Any) -> _Spot:
    marks = _defining_mapping(mapping, key).marks.get(key)
    if marks is None:
        return _mapping_spot(mapping)
    return _Spot(marks[0] + 1, marks[1] + 1)


def _value_spot(mapping: _Map, key: Any, key_spot: _Spot) -> _Spot:
    """Where the value of `key` is written; the key itself for empty values and block collections."""
    value = mapping[key]
    if value is None or (type(value) in (_Map, _Seq) and not value.flow):
        return key_spot
    marks = _defining_mapping(mapping, key).marks.get(key)
    if marks is None:
        return key_spot
    return _Spot(marks[2] + 1, marks[3] + 1)


def _item_spot(sequence: _Seq, index: int) -> _Spot:
    line0, column0 = sequence.marks[index]
    return _Spot(line0 + 1, column0 + 1)


# ---------------------------------------------------------------------------------------------
# reading one file


def _read_source(file: sources.SourceFile, limits: YamlLimits) -> tuple[SourceFile | None, list[Diagnostic]]:
    """The file's text as the parser reads it, or the reason it is not read (too large)."""
    if len(file.text) > limits.max_bytes and len(file.text.encode("utf-8")) > limits.max_bytes:
        return None, [too_large(Role.STATE, file.path, limits.max_bytes)]
    text = _normalise_newlines(file.text.removeprefix("\ufeff"))
    # One spelling per character: an accent typed as a combining mark (NFD) matches the schema's.
    return SourceFile(file.path, unicodedata.normalize("NFC", text)), []


def _normalise_newlines(text: str) -> str:
    # ruamel counts a lone "\r" as a line break and SourceFile does not; agree on "\n".
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------------------------------------
# parsing one file: a single pass over the parser events checks the limits and builds the values


def _c_parser() -> Any:
    """libyaml's parser from ruamel.yaml.clib, or None when that C extension is not installed."""
    try:
        return importlib.import_module("_ruamel_yaml").CParser
    except ImportError:
        return None


# The C parser, about 40 times faster than ruamel's pure-Python one; None to always use the latter.
_C_PARSER: Any = _c_parser()

# Characters that libyaml reads differently from ruamel: tabs (ruamel refuses more of them), NEL
# and the Unicode line and paragraph separators (line numbers), byte order marks inside the text.
_PURE_ONLY_CHARACTERS = re.compile("[\t\x85\u2028\u2029\ufeff]")
# `...` document-end markers: libyaml and ruamel close an empty block node differently there.
_DOCUMENT_END = re.compile(r"^\.\.\.", re.MULTILINE)
# Characters that ruamel takes as part of an anchor or alias name, and libyaml as its end.
_NAME_CONTINUATIONS = frozenset("?:%@`")
# A block scalar header that both parsers read alike: indicators, then a space or the line end.
_BLOCK_HEADER = re.compile(r"[|>][-+0-9]*(?= |$)")

_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_SIMPLE_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]+")
_BOOL_VALUES: Mapping[str, bool] = SafeConstructor.bool_values


class _UsePurePython(Exception):
    """The C parser met text that it may read differently from ruamel's parser, the reference."""


class _MergeKey:
    """The value of a plain `<<` scalar: a merge key in key position, the text "<<" elsewhere."""


_MERGE_KEY = _MergeKey()
_NO_KEY = object()  # a mapping is waiting for a key, not a value


class _Mark(NamedTuple):
    """A 0-based position, enough for the errors `_yaml_error` turns into diagnostics."""

    line: int
    column: int


class _StateConstructor(RoundTripConstructor):
    """The round-trip constructor, except that a date that does not exist stays text.

    Only used for the scalars ruamel has rules for (dates, and numbers not written plainly).
    ruamel raises a bare ValueError (without position) for `2027-02-30`; as text, the value
    reaches validation, which reports it where it is written.
    """

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return str(node.value) if isinstance(node, ScalarNode) else None


_StateConstructor.add_constructor("tag:yaml.org,2002:timestamp", _StateConstructor.construct_yaml_timestamp)


@functools.cache
def _constructor(version: tuple[int, int]) -> Any:
    """ruamel's constructor, for the few scalars whose rules are worth reusing rather than copying."""
    yaml = YAML(typ="rt")
    yaml.version = version
    yaml.Constructor = _StateConstructor
    return yaml.constructor


@functools.cache
def _resolvers(version: tuple[int, int]) -> Mapping[str, list[tuple[str, Any]]]:
    """ruamel's implicit tag rules for plain scalars, by first character (YAML 1.2 or 1.1)."""
    table: Mapping[str, list[tuple[Any, Any]]] = VersionedResolver(version=version).versioned_resolver
    return {first: [(str(tag), regexp) for tag, regexp in rules] for first, rules in table.items()}


def _plain_scalar(value: Any) -> Any:
    """A number from ruamel's constructor (whose types keep the formatting) as a built-in one."""
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value  # a date, a datetime (ruamel's TimeStamp, for a time of day), or text


def _node_id(value: Any) -> str:
    return "mapping" if type(value) is _Map else "sequence" if type(value) is _Seq else "scalar"


class _Open:
    """A mapping or sequence whose events are still coming."""

    __slots__ = (
        "anchor",
        "count",
        "flow",
        "key",
        "key_column",
        "key_line",
        "merge",
        "merges",
        "node",
        "size",
    )

    def __init__(self, anchor: str | None, node: _Map | _Seq | None, flow: bool) -> None:
        self.anchor = anchor
        self.node = node  # None when nothing is built
        self.flow = flow
        self.size = 1  # nodes it holds once aliases are expanded, itself included
        self.count = 0  # items of a sequence, or entries of a mapping other than `<<`, so far
        self.key: Any = _NO_KEY  # in a mapping, the key whose value comes next
        self.key_line = self.key_column = 0
        self.merges = 0  # `<<` entries so far
        self.merge: list[_Map] | None = None  # what they merge in


class _Parse:
    """One pass over the events of a file: the checks, then the documents with their positions.

    The checks stop at the first problem that makes going on pointless (a limit), or collect
    problems (tags); the documents are built from the same events. Like ruamel's loader, loading
    stops at the first document that cannot be built (an undefined alias, a duplicate key, ...),
    keeping the documents before it, and reports the error ruamel's constructor would meet first.
    """

    def __init__(self, source: SourceFile, limits: YamlLimits, *, pure: bool) -> None:
        self.source = source
        self.limits = limits
        self.pure = pure  # False: the C parser, whose input is checked for what it reads differently
        self.documents: list[tuple[Any, _Spot]] = []  # each with where its root node starts
        self.tag_problems: list[Diagnostic] = []
        self.syntax_error: Diagnostic | None = None
        self.open: list[_Open] = []
        self.anchor_sizes: dict[str, int | None] = {}  # None while its node is open
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # value and where it is written
        self.aliases = 0
        self.alias_nodes = 0  # nodes that the aliases seen so far stand for
        self.awaiting_root = False
        self.root = _Spot(1, 1)
        self.document: Any = None
        self.failed = False  # a document could not be built: nothing more is
        self.compose_error: Exception | None = None  # this document's first undefined alias
        # this document's first other error, in the order ruamel's constructor would meet it
        self.construct_error: tuple[tuple[int, ...], Exception] | None = None
        self.load_error: Exception | None = None
        self.version = (1, 2)  # the last `%YAML` directive's, as ruamel's scanner keeps it
        self.resolved: dict[str, str] = {}  # plain scalar -> tag

    def run(self) -> tuple[list[tuple[Any, _Spot]], list[Diagnostic]]:
        """The documents, or why there are none; documents before a load error come with it."""
        with warnings.catch_warnings():
            # ruamel may warn on stderr (e.g. about YAML 1.1 floats); the diagnostics say what matters.
            warnings.simplefilter("ignore")
            stop = self._read()
        if stop is not None:
            return [], [stop]
        if self.syntax_error is not None:
            return [], [*self.tag_problems, self.syntax_error]
        if self.tag_problems:
            return [], self.tag_problems
        if self.load_error is None:
            return self.documents, []
        if isinstance(self.load_error, YAMLError):
            return self.documents, [_yaml_error(self.source, self.load_error)]
        # untrusted input: whatever ruamel's rules raise must become a diagnostic, not a traceback
        message = f"invalid YAML: {self.load_error}"
        return self.documents, [Diagnostic(YAML_SYNTAX, message, file=self.source.path)]

    def _read(self) -> Diagnostic | None:
        try:
            events: Iterable[Event]
            if self.pure:
                events = YAML(typ="rt").parse(self.source.text)
            else:
                events = iter(_C_PARSER(self.source.text).get_event, None)
            for event in events:
                stop = self._feed(event)
                if stop is not None:
                    return stop
        except _UsePurePython:
            raise
        except Exception as error:  # a syntax error, or a parser bug on untrusted input
            if not self.pure:  # ruamel's parser words syntax errors, and may find them elsewhere
                raise _UsePurePython from error
            if isinstance(error, YAMLError):
                self.syntax_error = _yaml_error(self.source, error)
            else:
                self.syntax_error = Diagnostic(YAML_SYNTAX, f"invalid YAML: {error}", file=self.source.path)
        return None

    def _feed(self, event: Event) -> Diagnostic | None:
        """Take the next event; returns a problem that makes going on pointless."""
        kind = type(event)
        if kind is ScalarEvent:
            self._scalar(event)  # type: ignore[arg-type]
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            return self._start(event, mapping=kind is MappingStartEvent)  # type: ignore[arg-type]
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            self._end()
        elif kind is AliasEvent:
            return self._alias(event)  # type: ignore[arg-type]
        elif kind is DocumentStartEvent:
            self._document_start(event)  # type: ignore[arg-type]
        elif kind is DocumentEndEvent:
            self._document_end()
        return None

    # --- documents

    def _document_start(self, event: DocumentStartEvent) -> None:
        if event.version is not None:
            if not self.pure:
                raise _UsePurePython
            self.version = (int(event.version[0]), int(event.version[1]))
        self.anchor_sizes.clear()  # anchors do not cross documents
        self.anchors = {}
        self.awaiting_root = True
        self.document = None
        self.compose_error = self.construct_error = None

    def _document_end(self) -> None:
        if self.failed:
            return
        if self.compose_error is not None:  # ruamel composes a whole document before building it
            self.load_error = self.compose_error
        elif self.construct_error is not None:
            self.load_error = self.construct_error[1]
        else:
            self.documents.append((self.document, self.root))
            return
        self.failed = True

    def _node(self, event: ScalarEvent | CollectionStartEvent | AliasEvent) -> tuple[int, int, str | None]:
        """Where a node starts, and its anchor; notes the document's root and checks its anchor."""
        mark = event.start_mark
        line, column = mark.line, mark.column
        if self.awaiting_root:
            self.root = _Spot(line + 1, column + 1)
            self.awaiting_root = False
        anchor = None if event.anchor is None else str(event.anchor)
        if anchor is not None and not self.pure:
            # `&a:b` is one name for ruamel and a name and a colon for libyaml
            text = self.source.line_text(line + 1)
            after = column + 1 + len(anchor)
            if text[column : column + 1] not in "&*" or text[after : after + 1] in _NAME_CONTINUATIONS:
                raise _UsePurePython
        return line, column, anchor

    def _tag(self, event: ScalarEvent | CollectionStartEvent) -> str | None:
        tag = event.ctag
        if tag is None:
            return None
        if not self.pure:  # a tag handle may be read differently; tags are rare in state files
            raise _UsePurePython
        problem = _tag_problem(self.source, event)
        if problem is not None:
            self.tag_problems.append(problem)
        return str(tag)

    def _count(self, size: int) -> None:
        if self.open:
            self.open[-1].size += size

    # --- errors while building, in the order ruamel's constructor would meet them

    def _order(self, last: int | None = None) -> tuple[int, ...]:
        """Where the node being built comes in ruamel's construction order.

        Depth first in document order, except that a mapping builds its `<<` entries first; each
        entry builds its key, then its value, then checks for a duplicate. `last` replaces the
        last step, for checks made once an entry is complete.
        """
        order: list[int] = []
        for frame in self.open:
            if type(frame.node) is _Seq:
                order.append(frame.count)
            elif frame.key is _NO_KEY:
                order += (1 + frame.count, 0)
            elif frame.key is _MERGE_KEY:
                order += (0, frame.merges, 1)
            else:
                order += (1 + frame.count, 1)
        if last is not None and order:
            order[-1] = last
        return tuple(order)

    def _failed(self, error: Exception, order: tuple[int, ...]) -> None:
        """This document cannot be built: keep the error met first, and go on finding others."""
        if self.construct_error is None or order < self.construct_error[0]:
            self.construct_error = (order, error)

    # --- nodes

    def _scalar(self, event: ScalarEvent) -> None:
        line, column, anchor = self._node(event)
        tag = self._tag(event)
        style = event.style
        if style in ("|", ">") and not self.pure:
            self._check_block_scalar(line, column, anchor)
        if anchor is not None:
            self.anchor_sizes[anchor] = 1
        self._count(1)
        if self.failed:
            return
        try:
            value = self._scalar_value(event, tag)
        except Exception as error:
            top = self.open[-1] if self.open else None
            if not (top and type(top.node) is _Map and top.key is _MERGE_KEY):  # ruamel skips `<<: x`
                self._failed(error, self._order())
            value = None
        if anchor is not None:
            self.anchors[anchor] = (value, line, column)
        self._add(value, line, column)

    def _check_block_scalar(self, line: int, column: int, anchor: str | None) -> None:
        """Send block scalars that libyaml reads differently from ruamel to the pure-Python parser."""
        if not self.open:  # at the top level, `---` or `...` may be content for ruamel
            raise _UsePurePython
        header = self.source.line_text(line + 1)[column:]
        if anchor is not None:
            header = header[len(anchor) + 1 :].lstrip(" ")
        following = self.source.line_text(line + 2)
        if not _BLOCK_HEADER.match(header) or (following and not following.strip(" ")):
            raise _UsePurePython  # `|#`, or a first line of spaces: ruamel may refuse it

    def _scalar_value(self, event: ScalarEvent, tag: str | None) -> Any:
        """The plain Python value of a scalar, as ruamel's round-trip loader makes it."""
        value: str = event.value
        if event.style == ">":
            value = value.replace("\a", "")  # ruamel's parser marks where folded lines were joined
        if tag is None or tag == "!":
            if not event.implicit[0]:  # quoted, or a block scalar
                return value
            tag = self._resolve(value)
        if tag in (_STR, _VALUE):
            return value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return _BOOL_VALUES[value.lower()]
        if tag == _INT and _DECIMAL.fullmatch(value):
            return int(value)
        if tag == _FLOAT and _SIMPLE_FLOAT.fullmatch(value):
            return float(value)
        if tag in (_INT, _FLOAT, _TIMESTAMP):  # hex, octal, `1_000`, `.inf`, dates...: ruamel's rules
            constructor = _constructor(self.version)
            node = ScalarNode(Tag(suffix=tag), value, event.start_mark, event.end_mark, style=event.style)
            if tag == _INT:
                return _plain_scalar(constructor.construct_yaml_int(node))
            if tag == _FLOAT:
                return _plain_scalar(constructor.construct_yaml_float(node))
            return _plain_scalar(constructor.construct_yaml_timestamp(node))
        if tag == _MERGE:
            return _MERGE_KEY
        if tag in (_MAP, _SEQ):
            expected = "a mapping" if tag == _MAP else "a sequence"
            raise MarkedYAMLError(None, None, f"expected {expected} node, but found scalar", event.start_mark)
        return value  # a tag that is not allowed: reported, so the file is not loaded anyway

    def _resolve(self, value: str) -> str:
        """The tag ruamel's resolver gives a plain scalar (YAML 1.2 core schema, or 1.1)."""
        tag = self.resolved.get(value)
        if tag is None:
            tag = _STR
            for candidate, regexp in _resolvers(self.version).get(value[:1], ()):
                if regexp.match(value):
                    tag = candidate
                    break
            if len(self.resolved) < 10_000:
                self.resolved[value] = tag
        return tag

    def _start(self, event: CollectionStartEvent, *, mapping: bool) -> Diagnostic | None:
        line, column, anchor = self._node(event)
        tag = self._tag(event)
        if len(self.open) >= self.limits.max_depth:
            message = f"values are nested deeper than {self.limits.max_depth} levels"
            return self._limit(event, message, "flatten the structure")
        if anchor is not None:
            self.anchor_sizes[anchor] = None
        node: _Map | _Seq | None = None
        if not self.failed:
            node = _Map(line, column) if mapping else _Seq(line, column)
            if anchor is not None:
                self.anchors[anchor] = (node, line, column)
            if tag in _SCALAR_TAGS or tag == (_SEQ if mapping else _MAP):
                wanted = "scalar" if tag in _SCALAR_TAGS else "mapping" if tag == _MAP else "sequence"
                message = f"expected a {wanted} node, but found {_node_id(node)}"
                self._failed(MarkedYAMLError(None, None, message, event.start_mark), self._order())
        self.open.append(_Open(anchor, node, event.flow_style is True))
        return None

    def _end(self) -> None:
        closed = self.open.pop()
        if closed.anchor is not None:
            self.anchor_sizes[closed.anchor] = closed.size
        self._count(closed.size)
        node = closed.node
        if node is None:
            return
        if type(node) is _Map and closed.merge:
            for merged in closed.merge:
                for key, value in merged.items():
                    if key not in node:
                        node[key] = value
            node.merged = closed.merge
        node.flow = closed.flow and len(node) > 0
        self._add(node, node.line, node.column)

    def _alias(self, event: AliasEvent) -> Diagnostic | None:
        line, column, name = self._node(event)
        anchor = str(name)
        self.aliases += 1
        if self.aliases > self.limits.max_aliases:
            return self._limit(event, f"more than {self.limits.max_aliases} aliases", "write values out")
        if anchor in self.anchor_sizes and self.anchor_sizes[anchor] is None:
            message = f"alias `*{anchor}` refers to a node that contains it"
            return Diagnostic(YAML_SYNTAX, message, _Spot(line + 1, column + 1).span(self.source))
        size = self.anchor_sizes.get(anchor) or 1  # an undefined alias is a load error, below
        self.alias_nodes += size
        if self.alias_nodes > self.limits.max_alias_nodes:
            message = f"aliases expand to more than {self.limits.max_alias_nodes} values"
            return self._limit(event, message, "this looks like an alias bomb; write values out")
        self._count(size)
        if self.failed:
            return None
        if anchor in self.anchors:
            value, line, column = self.anchors[anchor]
        else:
            if self.compose_error is None:
                problem = f"found undefined alias {anchor!r}"
                self.compose_error = MarkedYAMLError(None, None, problem, event.start_mark)
            value = None
        self._add(value, line, column)  # the anchored object itself: nothing is copied or expanded
        return None

    def _limit(self, event: Event, message: str, help: str) -> Diagnostic:
        span = point(self.source, event.start_mark.line + 1, event.start_mark.column + 1)
        return Diagnostic(LIMIT, message, span, help=help)

    # --- building

    def _add(self, value: Any, line: int, column: int) -> None:
        """Put a finished node where it belongs: the document, a list, a mapping's key or value."""
        if not self.open:
            self.document = "<<" if value is _MERGE_KEY else value
            return
        top = self.open[-1]
        node = top.node
        if type(node) is _Seq:
            node.append("<<" if value is _MERGE_KEY else value)
            node.marks.append((line, column))
            top.count += 1
        elif type(node) is _Map:
            if top.key is _NO_KEY:
                top.key, top.key_line, top.key_column = value, line, column
            elif top.key is _MERGE_KEY:
                self._merge(top, node, value, line, column)
                top.key = _NO_KEY
                top.merges += 1
            else:
                self._entry(top, node, "<<" if value is _MERGE_KEY else value, line, column)
                top.key = _NO_KEY
                top.count += 1

    def _entry(self, top: _Open, node: _Map, value: Any, line: int, column: int) -> None:
        key = top.key
        if type(key) is _Seq:  # lists and mappings are not hashable; ruamel's immutable ones are
            key = CommentedKeySeq(key)
        elif type(key) is _Map:
            key = CommentedKeyMap(key)
        try:
            duplicate = key in node  # merged keys come at the end: these are the keys written here
        except TypeError as error:  # a key holding a list
            self._failed(error, self._order(last=2))
            return
        if duplicate:
            problem = f'found duplicate key "{key}" with value "{value}" (original value: "{node[key]}")'
            context, where = _Mark(node.line, node.column), _Mark(top.key_line, top.key_column)
            self._failed(
                MarkedYAMLError("while constructing a mapping", context, problem, where), self._order(2)
            )
            return
        node[key] = value
        node.marks[key] = (top.key_line, top.key_column, line, column)

    def _merge(self, top: _Open, node: _Map, value: Any, line: int, column: int) -> None:
        """`<<: *anchor` or `<<: [*a, *b]`: mappings whose keys the mapping takes unless it has them."""
        merged: list[_Map] = top.merge or []
        problem, where, order = "", (line, column), 2
        if merged:  # ruamel refuses a second `<<` only once the first one merged something
            problem, where, order = 'found duplicate merge key "<<"', (top.key_line, top.key_column), 0
        elif type(value) is _Map:
            merged.append(value)
        elif type(value) is _Seq:
            for index, item in enumerate(value):
                if type(item) is not _Map:
                    problem = f"expected a mapping for merging, but found {_node_id(item)}"
                    where = value.marks[index]
                    break
                merged.append(item)
        else:
            if value is None and not self.pure:  # where an empty value stands: the parsers differ
                raise _UsePurePython
            problem = f"expected a mapping or list of mappings for merging, but found {_node_id(value)}"
        if problem:
            context = _Mark(node.line, node.column)
            error = MarkedYAMLError("while constructing a mapping", context, problem, _Mark(*where))
            self._failed(error, self._order(last=order))
        else:
            top.merge = merged


def _parse(source: SourceFile, limits: YamlLimits) -> tuple[list[tuple[Any, _Spot]], list[Diagnostic]]:
    """The documents of a file, each with where its root starts, or the problems found instead."""
    if (
        _C_PARSER is not None
        and not _PURE_ONLY_CHARACTERS.search(source.text)
        and not _DOCUMENT_END.search(source.text)
    ):
        try:
            return _Parse(source, limits, pure=False).run()
        except _UsePurePython:
            pass
    return _Parse(source, limits, pure=True).run()


def _tag_problem(source: SourceFile, event: ScalarEvent | CollectionStartEvent) -> Diagnostic | None:
    tag = str(event.tag)
    if tag in _PLAIN_TAGS:
        return None
    shown = "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag
    line, column = event.start_mark.line + 1, event.start_mark.column + 1
    written = source.line_text(line)[column - 1 :].split(maxsplit=1)
    span = point(source, line, column, len(written[0]) if written else 1)
    message = f"YAML tag `{shown}` is not allowed in state files"
    return Diagnostic(YAML_SYNTAX, message, span, help="state files hold plain data; remove the tag")


def _yaml_error(source: SourceFile, error: YAMLError) -> Diagnostic:
    """A diagnostic at the position ruamel reports, with its explanation."""
    if isinstance(error, ReaderError):
        line, column = source.position(int(error.position))
        character = f"U+{error.character:04X}" if isinstance(error.character, int) else repr(error.character)
        message = f"character {character} is not allowed in YAML ({error.reason})"
        return Diagnostic(YAML_SYNTAX, message, point(source, line, column))
    if isinstance(error, MarkedYAMLError) and error.problem_mark is not None:
        problem = str(error.problem or error.context or "invalid YAML")
        mark = error.problem_mark
        help = None
        if error.context and error.context_mark is not None:
            help = f"{error.context} (line {error.context_mark.line + 1})"
        if "'\\t'" in problem:
            help = "indent with spaces: YAML does not allow tabs for indentation"
        spot = _Spot(mark.line + 1, mark.column + 1)
        return Diagnostic(YAML_SYNTAX, f"invalid YAML: {problem}", spot.span(source), help)
    return Diagnostic(YAML_SYNTAX, f"invalid YAML: {error}", file=source.path)


# ---------------------------------------------------------------------------------------------
# documents and subjects


@dataclass(frozen=True)
class _SubjectNode:
    mapping: _Map
    default_kind: str


def _subject_nodes(
    document: Any, root: _Spot, source: SourceFile
) -> tuple[list[_SubjectNode], list[Diagnostic]]:
    """The subject mappings of one document: itself, or the entries of its `services:`/`initiatives:`."""
    if document is None:  # an empty document, e.g. after a trailing `---`
        return [], []
    if type(document) is not _Map:
        expected = "a mapping (one subject, or `services:` and `initiatives:` lists)"
        message = f"a state document must be {expected}, got {_describe(document)}"
        return [], [Diagnostic(SHAPE, message, root.span(source))]
    if "name" in document or not any(key in document for key in _COLLECTIONS):
        return [_SubjectNode(document, "service")], []
    nodes: list[_SubjectNode] = []
    problems: list[Diagnostic] = []
    for key in document:
        if isinstance(key, str) and key.startswith(_ANCHOR_HOLDER_PREFIX):
            continue
        if key in _COLLECTIONS:
            entries, entry_problems = _collection_entries(document, key, source)
            nodes.extend(entries)
            problems.extend(entry_problems)
        else:
            message = f"unexpected top-level key `{key}` next to `services:`/`initiatives:`"
            help = (
                "subjects go under `services:` or `initiatives:`; a key starting with `x-` may hold anchors"
            )
            problems.append(Diagnostic(SHAPE, message, _key_spot(document, key).span(source), help))
    return nodes, problems


def _collection_entries(
    document: _Map, key: str, source: SourceFile
) -> tuple[list[_SubjectNode], list[Diagnostic]]:
    """The subjects listed under `services:` or `initiatives:`."""
    entries = document[key]
    if entries is None:
        return [], []
    if type(entries) is not _Seq:
        message = f"`{key}` must be a list of subjects, got {_describe(_plain(entries))}"
        spot = _value_spot(document, key, _key_spot(document, key))
        return [], [Diagnostic(SHAPE, message, spot.span(source), help=f"write `{key}:` then `- name: ...`")]
    nodes: list[_SubjectNode] = []
    problems: list[Diagnostic] = []
    for index, entry in enumerate(entries):
        if type(entry) is _Map:
            nodes.append(_SubjectNode(entry, _COLLECTIONS[key]))
        else:
            message = f"each entry of `{key}` must be a mapping (one subject), got {_describe(_plain(entry))}"
            problems.append(Diagnostic(SHAPE, message, _item_spot(entries, index).span(source)))
    return nodes, problems


_SCALAR_TYPES = (str, int, float, bool, type(None))


def _plain(node: Any) -> Any:
    """A loaded value as plain Python data, so validation sees exact built-in types."""
    if type(node) in _SCALAR_TYPES:
        return node
    if isinstance(node, Mapping):  # a key that is a mapping stays one (ruamel's, which is hashable)
        return {
            key if isinstance(key, Mapping) else _plain(key): _plain(value) for key, value in node.items()
        }
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, tuple):  # complex mapping keys
        return tuple(_plain(item) for item in node)
    return node


def _describe(value: Any) -> str:
    """A value as the user wrote it in YAML, for "got ..." in messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)


# ---------------------------------------------------------------------------------------------
# the schema as a pydantic model


def _as_any(form: Any) -> Any:
    # Annotated, Literal and Union subscripted with values computed at run time; typed as Any
    # because a static checker cannot follow them.
    return form


def _annotated(base: Any, *metadata: Any) -> Any:
    return _as_any(Annotated)[(base, *metadata)] if metadata else base


def _number_annotation(spec: FieldSpec) -> Any:
    finite_float = _annotated(float, Field(allow_inf_nan=False))
    # int first: a whole number keeps its type (7 stays 7, not 7.0); the model is strict, so
    # bools and numeric strings are refused.
    number = int if spec.integer else _as_any(Union)[int, finite_float]
    if spec.minimum is None and spec.maximum is None:
        return number
    return _annotated(number, Field(ge=spec.minimum, le=spec.maximum))  # a None bound is no bound


def _date_from_text(value: Any) -> Any:
    """A quoted ISO date (`"2027-03-31"`) as a date; anything else is left for the strict check."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return value
    return value


_DURATION_TEXT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(day|week|month|year)s?\s*", re.IGNORECASE)
_DAYS_PER_UNIT = {"day": 1, "week": 7, "month": 30, "year": 365}


def _duration_validator(spec: FieldSpec) -> Any:
    """A number of days, or text like "90 days", "2 weeks", "3 months", "1 year", as a Duration."""
    minimum = 0.0 if spec.minimum is None else spec.minimum
    maximum = spec.maximum

    def validate(value: Any) -> Duration:
        if isinstance(value, Duration):
            days = value.days
        elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            days = float(value)
        elif isinstance(value, str) and (match := _DURATION_TEXT.fullmatch(value)):
            days = float(match.group(1)) * _DAYS_PER_UNIT[match.group(2).lower()]
        else:
            raise PydanticCustomError("duration_type", "not a duration")
        if days < minimum or (maximum is not None and days > maximum):
            raise PydanticCustomError("duration_range", "duration out of range")
        return Duration(days)

    return PlainValidator(validate)


def _annotation(type_: Type, spec: FieldSpec) -> Any:
    """The pydantic annotation that checks a value of `type_` (the model is strict)."""
    if isinstance(type_, ScaleType):
        return _as_any(Literal)[type_.values] if type_.values else str
    if isinstance(type_, ListType):
        return list[_annotation(type_.element, spec)]  # type: ignore[misc]
    if type_ == NUMBER:
        return _number_annotation(spec)
    if type_ == DATE:
        return _annotated(datetime.date, BeforeValidator(_date_from_text))
    if type_ == DURATION:
        return _annotated(Duration, _duration_validator(spec))
    if type_ == BOOL:
        return bool
    if spec.path == "name":
        return _annotated(str, Field(min_length=1))
    if type_ in (TEXT, SUBJECT):
        return str
    return Any  # a type the schema could not resolve: accept anything, the checker reports it


@dataclass(frozen=True)
class _Schema:
    """The fields a subject may have (declared and built-in), and the model that validates them."""

    specs: Mapping[str, FieldSpec]
    prefixes: frozenset[str]  # proper prefixes of dotted paths: `risk` for `risk.security`
    model: type[BaseModel]
    paths: Mapping[str, str]  # model field name -> dotted path
    typo_targets: tuple[str, ...]  # declared paths and prefixes, sorted: what a typo may have meant

    @staticmethod
    def build(declared: Mapping[str, FieldSpec]) -> _Schema:
        specs = dict(declared)
        for path, builtin in BUILTIN_FIELDS.items():
            # A declaration may make a built-in field required or describe it, never change its type.
            if path not in specs or specs[path].type != builtin.type:
                specs[path] = builtin
        prefixes = frozenset(
            ".".join(parts[:end])
            for parts in (path.split(".") for path in specs)
            for end in range(1, len(parts))
        )
        definitions: dict[str, Any] = {}
        paths: dict[str, str] = {}
        for index, path in enumerate(sorted(specs)):
            spec = specs[path]
            name = f"field_{index}"  # dotted paths are not identifiers: the path is the alias
            default: Any = ... if spec.required else None
            definitions[name] = (_annotation(spec.type, spec), Field(default, alias=path))
            paths[name] = path
        config = ConfigDict(strict=True, extra="ignore")
        model = create_model("StateSubject", __config__=config, **definitions)
        return _Schema(specs, prefixes, model, paths, tuple(sorted(set(specs) | prefixes)))

    def suggestion(self, path: str) -> str | None:
        """The declared path (or path prefix) that `path` is most likely a typo of."""
        return closest(path, self.typo_targets)


# ---------------------------------------------------------------------------------------------
# flattening a subject to dotted paths


@dataclass(frozen=True)
class _Field:
    path: str
    value: Any  # plain Python value, as validation sees it
    node: Any  # the loaded value, which knows where list items are
    spot: _Spot  # the value (or its key, for block collections)


@dataclass
class _Flattened:
    fields: dict[str, _Field] = field(default_factory=dict)
    keys: dict[str, _Spot] = field(default_factory=dict)  # every key written, by dotted path
    problems: list[Diagnostic] = field(default_factory=list)


def _flatten(mapping: _Map, prefix: str, schema: _Schema, source: SourceFile, into: _Flattened) -> _Flattened:
    """Collect the subject's values by dotted path, reporting unknown fields and repeated paths."""
    for key in mapping:
        key_spot = _key_spot(mapping, key)
        if not isinstance(key, str):
            message = f"field names must be text, got {_describe(_plain(key))}"
            into.problems.append(Diagnostic(SHAPE, message, key_spot.span(source)))
            continue
        path = f"{prefix}.{key}" if prefix else key
        value = mapping[key]
        if path in into.keys:
            message = f"`{path}` is given twice"
            help = f"first given at line {into.keys[path].line}"
            into.problems.append(Diagnostic(SHAPE, message, key_spot.span(source), help))
            continue
        into.keys[path] = key_spot
        if path in schema.specs:
            if value is not None:
                into.fields[path] = _Field(path, _plain(value), value, _value_spot(mapping, key, key_spot))
        elif path in schema.prefixes:
            if type(value) is _Map:
                _flatten(value, path, schema, source, into)
            elif value is not None:
                child = min(spec for spec in schema.specs if spec.startswith(path + "."))
                message = (
                    f"`{path}` must be a mapping of fields like `{child}`, got {_describe(_plain(value))}"
                )
                spot = _value_spot(mapping, key, key_spot)
                into.problems.append(Diagnostic(TYPE, message, spot.span(source)))
        else:
            into.problems.append(_unknown_field(path, key_spot, schema, source))
    return into


def _unknown_field(path: str, key_spot: _Spot, schema: _Schema, source: SourceFile) -> Diagnostic:
    if path in DERIVED_FIELDS:
        message = f"`{path}` is computed from `depends_on` and cannot be set"
        return Diagnostic(UNKNOWN_FIELD, message, key_spot.span(source), help="remove it")
    suggestion = schema.suggestion(path)
    if suggestion is not None:
        message = f"unknown field `{path}`"
        return Diagnostic(UNKNOWN_FIELD, message, key_spot.span(source), help=f"did you mean `{suggestion}`?")
    return Diagnostic(
        UNKNOWN_FIELD,
        f"field `{path}` is not read by any policy",
        key_spot.span(source),
        help="it is ignored; declare it in a `schema` block to use it",
        severity=Severity.WARNING,
    )


# ---------------------------------------------------------------------------------------------
# validation and its messages


_RANGE_ERRORS = frozenset(
    {"greater_than_equal", "less_than_equal", "greater_than", "less_than", "duration_range"}
)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _range_text(spec: FieldSpec, unit: str = "") -> str:
    low, high = spec.minimum, spec.maximum
    if low is not None and high is not None:
        return f" between {_number_text(low)}{unit} and {_number_text(high)}{unit}"
    if low is not None:
        return f" of at least {_number_text(low)}{unit}"
    if high is not None:
        return f" of at most {_number_text(high)}{unit}"
    return ""


def _choices(scale: ScaleType) -> str:
    return ", ".join(f"`{value}`" for value in scale.values)


def _expected(type_: Type, spec: FieldSpec) -> str:
    """What a value of `type_` looks like, for "must be ..." in messages."""
    if isinstance(type_, ScaleType):
        return f"one of {_choices(type_)}"
    if isinstance(type_, ListType):
        return f"a list of {_expected_items(type_.element, spec)}"
    if type_ == NUMBER:
        return ("an integer" if spec.integer else "a number") + _range_text(spec)
    if type_ == DURATION:
        bounds = _range_text(spec, " days") if spec.minimum is not None or spec.maximum is not None else ""
        return f'a duration{bounds} (a number of days, or text like "90 days" or "3 months")'
    return {
        TEXT.name: "text",
        BOOL.name: "true or false",
        DATE.name: "a date like 2027-03-31",
        SUBJECT.name: "the name of a subject",
    }.get(type_.name, f"a {type_.name}")


def _expected_items(type_: Type, spec: FieldSpec) -> str:
    if isinstance(type_, ScaleType):
        return f"{_choices(type_)} values"
    if isinstance(type_, ListType):
        return "lists"
    if type_ == NUMBER:
        return ("integers" if spec.integer else "numbers") + _range_text(spec)
    return {
        TEXT.name: "text",
        BOOL.name: "true/false values",
        DATE.name: "dates",
        DURATION.name: "durations",
        SUBJECT.name: "subject names",
    }.get(type_.name, f"{type_.name} values")


def _element_type(type_: Type, depth: int) -> Type:
    for _ in range(depth):
        if not isinstance(type_, ListType):
            break
        type_ = type_.element
    return type_


def _label(path: str, items: Sequence[int]) -> str:
    label = f"`{path}`"
    for index in items:
        label = f"item {index + 1} of {label}"
    return label


def _token(source: SourceFile, spot: _Spot) -> str:
    return source.line_text(spot.line)[spot.column - 1 : spot.column - 1 + spot.width(source)]


def _type_help(type_: Type, value: Any, token: str) -> str | None:
    """A hint for the common mistakes: unquoted text, yes/no for booleans, a scalar for a list."""
    if type_ in (TEXT, SUBJECT) and isinstance(value, int | float | bool | datetime.date):
        return f'quote it to make it text: "{token}"'
    if type_ == BOOL and isinstance(value, str):
        return "write `true` or `false`"
    if type_ == DATE and isinstance(value, str):
        return "write a real calendar date as YYYY-MM-DD"
    if isinstance(type_, ListType) and not isinstance(value, list | Mapping):
        return f"write a list, e.g. `[{token}]`"
    return None


@dataclass(frozen=True)
class _Located:
    """A subject being validated: its text, where it starts, and what flattening found."""

    source: SourceFile
    spot: _Spot
    flat: _Flattened
    name: str | None


def _validate(
    schema: _Schema, located: _Located, default_kind: str
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The validated values by dotted path, or the diagnostics of every invalid value."""
    data = {path: entry.value for path, entry in located.flat.fields.items()}
    data.setdefault("kind", default_kind)
    try:
        model = schema.model.model_validate(data)
    except ValidationError as error:
        return {}, _error_diagnostics(error.errors(), schema, located)
    values = {schema.paths[name]: getattr(model, name) for name in model.model_fields_set}
    return dict(sorted(values.items())), []


def _error_diagnostics(errors: list[ErrorDetails], schema: _Schema, located: _Located) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    seen: set[tuple[object, ...]] = set()
    for error in errors:
        path = str(error["loc"][0])
        # A union reports once per member (`int`, `float`); keep the first report of each value.
        items = tuple(part for part in error["loc"][1:] if isinstance(part, int))
        if (path, items) in seen or path not in schema.specs:
            continue
        seen.add((path, items))
        diagnostics.append(_error_diagnostic(error, schema.specs[path], items, located))
    return diagnostics


def _error_spot(located: _Located, path: str, items: Sequence[int]) -> _Spot:
    """The value an error is about, following list indexes down from the field's value."""
    entry = located.flat.fields.get(path)
    if entry is None:
        return _missing_spot(located, path)
    node, spot = entry.node, entry.spot
    for index in items:
        if not (type(node) is _Seq and 0 <= index < len(node)):
            break
        spot, node = _item_spot(node, index), node[index]
    return spot


def _missing_spot(located: _Located, path: str) -> _Spot:
    """For an absent value: its key if written empty, else the closest enclosing key, else the subject."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        spot = located.flat.keys.get(".".join(parts[:end]))
        if spot is not None:
            return spot
    return located.spot


def _error_diagnostic(
    error: ErrorDetails, spec: FieldSpec, items: tuple[int, ...], located: _Located
) -> Diagnostic:
    path, value, kind = spec.path, error["input"], error["type"]
    spot = _error_spot(located, path, items)
    span = spot.span(located.source)
    label = _label(path, items)
    type_ = _element_type(spec.type, len(items))
    if kind == "missing":
        if path == "name":
            return Diagnostic(
                REQUIRED, "subject has no `name`", span, help="every subject needs a unique `name`"
            )
        who = f"subject `{located.name}`" if located.name else "subject"
        help = f"`{path}`: {spec.description}" if spec.description else None
        return Diagnostic(REQUIRED, f"{who} is missing required field `{path}`", span, help)
    if path == "name":
        message = (
            "`name` must not be empty" if value == "" else f"`name` must be text, got {_describe(value)}"
        )
        return Diagnostic(SHAPE, message, span)
    if kind in _RANGE_ERRORS:
        expected = _expected(type_, spec)
        if type_ == DURATION:  # durations are never negative, even without a declared minimum
            expected = "a duration" + _range_text(replace(spec, minimum=spec.minimum or 0), " days")
        return Diagnostic(RANGE, f"{label} must be {expected}, got {_describe(value)}", span)
    if isinstance(type_, ScaleType) and isinstance(value, str):
        return Diagnostic(
            SCALE, f"unknown scale value `{value}` for {label}", span, _scale_help(type_, value)
        )
    message = f"{label} must be {_expected(type_, spec)}, got {_describe(value)}"
    return Diagnostic(TYPE, message, span, _type_help(type_, value, _token(located.source, spot)))


def _scale_help(scale: ScaleType, value: str) -> str:
    match = closest(value, scale.values, cutoff=_SHORT_NAME_CUTOFF)
    if match is None:
        match = next((known for known in scale.values if known.lower() == value.lower()), None)
    if match is not None:
        return f"did you mean `{match}`?"
    return f"allowed values: {_choices(scale)}"


# ---------------------------------------------------------------------------------------------
# subjects of one file


@dataclass(frozen=True)
class _Reference:
    """A subject name written in a subject-typed field (`depends_on`, `targets`, ...)."""

    path: str
    name: str
    spot: _Spot


@dataclass
class _Candidate:
    """A subject as loaded from one file, before the checks across files."""

    source: SourceFile
    name: str | None
    name_spot: _Spot
    subject: Subject | None  # None when its own values are invalid
    references: list[_Reference]
    rejected: bool = False  # set by the checks across files


def _load_file(
    file: sources.SourceFile, schema: _Schema, limits: YamlLimits
) -> tuple[list[_Candidate], list[Diagnostic]]:
    source, problems = _read_source(file, limits)
    if source is None:
        return [], problems
    documents, problems = _parse(source, limits)
    candidates: list[_Candidate] = []
    for document, root in documents:
        nodes, shape_problems = _subject_nodes(document, root, source)
        problems.extend(shape_problems)
        for node in nodes:
            candidate, subject_problems = _candidate(node, schema, source)
            candidates.append(candidate)
            problems.extend(subject_problems)
    return candidates, problems


def _candidate(
    node: _SubjectNode, schema: _Schema, source: SourceFile
) -> tuple[_Candidate, list[Diagnostic]]:
    flat = _flatten(node.mapping, "", schema, source, _Flattened())
    name_field = flat.fields.get("name")
    name = name_field.value if name_field and isinstance(name_field.value, str) and name_field.value else None
    spot = _mapping_spot(node.mapping)
    located = _Located(source, spot, flat, name)
    values, problems = _validate(schema, located, node.default_kind)
    problems = flat.problems + problems
    subject = None
    if name is not None and not any(problem.is_error for problem in problems):
        subject = _subject(name, values, located)
    name_spot = name_field.spot if name_field else spot
    return _Candidate(source, name, name_spot, subject, _references(schema, flat, source)), problems


def _subject(name: str, values: dict[str, Any], located: _Located) -> Subject:
    for path in ("tags", "depends_on", "targets"):
        values.setdefault(path, [])
    locations = {
        path: (entry.spot.line, entry.spot.column)
        for path, entry in located.flat.fields.items()
        if path in values
    }
    return Subject(
        name=name,
        kind=str(values["kind"]),
        file=located.source.path,
        line=located.spot.line,
        column=located.spot.column,
        fields=values,
        locations=locations,
    )


def _references(schema: _Schema, flat: _Flattened, source: SourceFile) -> list[_Reference]:
    """Every subject name written in a subject-typed field, wherever the rest of the subject stands."""
    references: list[_Reference] = []
    for path, entry in flat.fields.items():
        type_ = schema.specs[path].type
        if type_ == SUBJECT and isinstance(entry.value, str):
            references.append(_Reference(path, entry.value, entry.spot))
        elif type_ == ListType("list", SUBJECT) and type(entry.node) is _Seq:
            for index, item in enumerate(entry.value):
                if isinstance(item, str):
                    references.append(_Reference(path, item, _item_spot(entry.node, index)))
    return references


# ---------------------------------------------------------------------------------------------
# checks across files


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _check_control_characters(candidates: Sequence[_Candidate]) -> list[Diagnostic]:
    """Reject texts carrying control characters: printed, they could rewrite a reviewer's terminal."""
    problems: list[Diagnostic] = []
    for candidate in candidates:
        subject = candidate.subject
        if subject is None:
            continue
        for path, value in sorted(subject.fields.items()):
            texts = value if isinstance(value, list) else [value]
            bad = next((m for text in texts if isinstance(text, str) and (m := _CONTROL.search(text))), None)
            if bad is None:
                continue
            candidate.rejected = True
            line, column = subject.location_of(path)
            problems.append(
                Diagnostic(
                    TYPE,
                    f"`{path}` contains the control character U+{ord(bad.group()):04X}",
                    point(candidate.source, line, column),
                    help="texts may hold any printable character, tabs and line breaks, but no control codes",
                )
            )
    return problems


def _check_names(candidates: Sequence[_Candidate]) -> list[Diagnostic]:
    """Reject every subject whose name an earlier subject already has."""
    problems: list[Diagnostic] = []
    first: dict[str, _Candidate] = {}
    for candidate in candidates:
        if candidate.name is None:
            continue
        original = first.setdefault(candidate.name, candidate)
        if original is candidate:
            continue
        candidate.rejected = True
        where = f"{original.source.path}:{original.name_spot.line}"
        message = f"duplicate subject name `{candidate.name}`: already declared at {where}"
        problems.append(
            Diagnostic(
                DUPLICATE, message, candidate.name_spot.span(candidate.source), help="names must be unique"
            )
        )
    return problems


def _check_references(candidates: Sequence[_Candidate]) -> list[Diagnostic]:
    """Reject every subject that names a subject no file declares."""
    problems: list[Diagnostic] = []
    # Subjects with invalid values still exist: naming them is not a dangling reference.
    names = sorted({candidate.name for candidate in candidates if candidate.name is not None})
    known = set(names)
    for candidate in candidates:
        for reference in candidate.references:
            if reference.name in known:
                continue
            candidate.rejected = True
            help = (
                did_you_mean(reference.name, names, cutoff=_SHORT_NAME_CUTOFF)
                or "declare that subject, or remove the reference"
            )
            message = f"`{reference.path}` names unknown subject `{reference.name}`"
            problems.append(Diagnostic(DANGLING, message, reference.spot.span(candidate.source), help))
    return problems

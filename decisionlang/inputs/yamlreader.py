"""The one reader of untrusted YAML: states, waivers, policy tests, `decisionlang.yaml`, importers.

Its input is a file's text and display path (a `SourceFile`, or a `(path, text)` pair), never a
filesystem path, so git blobs and in-memory files read like files on disk. It returns a positioned
tree, or located diagnostics (`file:line:column`) coded with the caller's prefix (`DL-STATE-YAML`,
`DL-TEST-LIMIT`, ...), so nobody recodes afterwards.

Every caller gets the same rules:
- the text is NFC-normalised (an accent typed as a combining mark matches the schema's) and its
  line breaks become "\\n";
- limits (size, nesting depth counted through aliases, alias count, nodes that aliases add once
  expanded: "billion laughs") are checked in a single pass over the parser events, before any
  alias is expanded, and the same pass builds the values;
- only plain data is built (YAML 1.2 core schema, or 1.1 under a `%YAML 1.1` directive: text,
  numbers, booleans, null, dates), never Python objects; tags other than the core ones, duplicate
  keys and recursive aliases are refused; `<<` merge keys are applied.

Only ruamel.yaml's public API is used: the parser class of `YAML(typ="safe")` gives events from
libyaml's C parser when ruamel.yaml.clib is installed (the events `YAML(typ="safe").parse()` yields,
without a `YAML` instance per file), and `YAML(typ="rt").parse()` from ruamel's pure-Python
parser, the reference. The C parser reads a few texts differently (tabs, explicit tags, `%YAML`
directives, ...) and words syntax errors otherwise: those texts are read again with the reference,
so a file gives the same values and diagnostics with or without the C extension. Plain scalars are
resolved by ruamel's `VersionedResolver.resolve` and built by `SafeConstructor`'s methods.

The tree: a mapping is a `YamlMap` (a dict, with where each key and value is written), a list is
a `YamlSeq` (a list, with where each item is written), a scalar is a plain Python value. `located`
turns a document into `Located`/`Entry` values (text keys, dates as text) for readers that want
every value to carry its own position.
"""

from __future__ import annotations

import dataclasses
import functools
import json as json_module
import math
import re
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import ruamel.yaml.parser
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedKeyMap, CommentedKeySeq
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

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic
from decisionlang.core.spans import SourceFile, Span, point, undecodable
from decisionlang.core.undetermined import OutOfRange
from decisionlang.inputs.limits import YamlLimits
from decisionlang.inputs.spots import Spot

__all__ = [
    "JSON_SUFFIX",
    "YAML_SUFFIXES",
    "Document",
    "Entry",
    "Located",
    "Scalar",
    "Spot",
    "TextSource",
    "YamlDocuments",
    "YamlFile",
    "YamlLimits",
    "YamlMap",
    "YamlSeq",
    "describe",
    "item_spot",
    "key_spot",
    "load_yaml",
    "located",
    "mapping_spot",
    "number_as_written",
    "plain_data",
    "read_yaml",
    "read_yaml_bytes",
    "read_yaml_path",
    "text_of",
    "token_width",
    "value_spot",
]

YAML_SUFFIXES = (".yaml", ".yml")
IMPORT_PREFIX = "DL-IMPORT"
_DEFAULT_LIMITS = YamlLimits()


class TextSource(Protocol):
    """A file as text: `decisionlang.inputs.sources.SourceFile`, or `decisionlang.core.spans.SourceFile`."""

    @property
    def path(self) -> str: ...

    @property
    def text(self) -> str: ...


# ---------------------------------------------------------------------------------------------
# positions


def token_width(line: str, start: int) -> int:
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


class YamlMap(dict[Any, Any]):
    """A YAML mapping as loaded: its own keys in order, then the keys merged in with `<<`.

    `line` and `column` (1-based) are where it starts, `end_line` and `end_column` where the text
    after it starts; an alias stands where its anchored node is written.
    """

    __slots__ = ("column", "end_column", "end_line", "flow", "line", "marks", "merged")

    def __init__(self, line: int, column: int) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.end_line = line
        self.end_column = column
        self.flow = False  # written in flow style, and not empty
        # own key -> line and column of the key, then of the value (1-based)
        self.marks: dict[Any, tuple[int, int, int, int]] = {}
        self.merged: list[YamlMap] = []  # mappings merged in with `<<`, the first one winning


class YamlSeq(list[Any]):
    """A YAML sequence as loaded, with where each item is written (1-based, like `YamlMap`)."""

    __slots__ = ("column", "end_column", "end_line", "flow", "line", "marks")

    def __init__(self, line: int, column: int) -> None:
        super().__init__()
        self.line = line
        self.column = column
        self.end_line = line
        self.end_column = column
        self.flow = False
        self.marks: list[tuple[int, int]] = []


def mapping_spot(mapping: YamlMap | YamlSeq) -> Spot:
    return Spot(mapping.line, mapping.column)


def _defining_mapping(mapping: YamlMap, key: Any) -> YamlMap:
    """The mapping whose text holds `key`: itself, or one merged into it with `<<: *anchor`."""
    if key in mapping.marks:
        return mapping
    for merged in mapping.merged:
        if key in merged:
            return _defining_mapping(merged, key)
    return mapping


def key_spot(mapping: YamlMap, key: Any) -> Spot:
    marks = _defining_mapping(mapping, key).marks.get(key)
    if marks is None:
        return mapping_spot(mapping)
    return Spot(marks[0], marks[1])


def value_spot(mapping: YamlMap, key: Any, spot_of_key: Spot | None = None) -> Spot:
    """Where the value of `key` is written; the key itself for empty values and block collections."""
    spot_of_key = spot_of_key or key_spot(mapping, key)
    value = mapping[key]
    if value is None or (type(value) in (YamlMap, YamlSeq) and not value.flow):
        return spot_of_key
    marks = _defining_mapping(mapping, key).marks.get(key)
    if marks is None:
        return spot_of_key
    return Spot(marks[2], marks[3])


def item_spot(sequence: YamlSeq, index: int) -> Spot:
    line, column = sequence.marks[index]
    return Spot(line, column)


class Document(NamedTuple):
    """One document of a file: its root value, and where the root starts."""

    value: Any
    spot: Spot


@dataclass(frozen=True)
class YamlDocuments:
    """What reading a file gives: its documents (those before a load error), and the problems.

    `source` is the text positions refer to (normalised), even when nothing could be parsed.
    """

    source: SourceFile
    documents: tuple[Document, ...]
    diagnostics: tuple[Diagnostic, ...]


# ---------------------------------------------------------------------------------------------
# reading: bytes, text


def read_yaml_path(
    display: str,
    path: Path,
    *,
    prefix: str,
    noun: str = "file",
    limits: YamlLimits = _DEFAULT_LIMITS,
    single: bool = False,
) -> YamlDocuments:
    """Read the file at `path` (never more than the size limit allows), then `read_yaml_bytes`."""
    try:
        with path.open("rb") as stream:
            data = stream.read(limits.max_bytes + 1)
    except OSError as error:
        problem = Diagnostic(f"{prefix}-READ", f"cannot read {noun}: {error.strerror or error}", file=display)
        return YamlDocuments(SourceFile(display, ""), (), (problem,))
    return read_yaml_bytes(display, data, prefix=prefix, noun=noun, limits=limits, single=single)


def read_yaml_bytes(
    display: str,
    data: bytes,
    *,
    prefix: str,
    noun: str = "file",
    limits: YamlLimits = _DEFAULT_LIMITS,
    single: bool = False,
) -> YamlDocuments:
    """Decode UTF-8 (a byte order mark is dropped), then `read_yaml`; a decoding error is located."""
    if len(data) > limits.max_bytes:
        return _too_large(display, prefix, noun, limits)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        where, byte = undecodable(display, data, error)
        problem = Diagnostic(
            f"{prefix}-YAML", f"{noun} is not valid UTF-8: {byte}", where, help="save it as UTF-8"
        )
        return YamlDocuments(where.source, (), (problem,))
    return read_yaml((display, text), prefix=prefix, noun=noun, limits=limits, single=single)


def read_yaml(
    file: TextSource | tuple[str, str],
    *,
    prefix: str,
    noun: str = "file",
    limits: YamlLimits = _DEFAULT_LIMITS,
    single: bool = False,
    json: bool | None = None,
) -> YamlDocuments:
    """The documents of one file's text, with positions, or the located problems found instead.

    `prefix` codes the diagnostics (`{prefix}-YAML`, `{prefix}-LIMIT`, `{prefix}-READ`), `noun`
    names the file in messages ("state file"), `single` refuses a second document. A `.json` file
    (or `json=True`) must be strict JSON (RFC 8259): its syntax errors are `{prefix}-JSON`, then it
    is read like YAML (JSON is YAML 1.2's flow style), with the same positions, limits and checks.
    """
    display, text = file if isinstance(file, tuple) else (file.path, file.text)
    if json is None:
        json = display.lower().endswith(JSON_SUFFIX)
    if len(text) * 4 > limits.max_bytes and len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        return _too_large(display, prefix, noun, limits)
    source = SourceFile(display, unicodedata.normalize("NFC", _normalise(text.removeprefix("\ufeff"))))
    rules = _Rules(prefix, noun, limits, single or json, "JSON" if json else "YAML")
    surrogate = _SURROGATE.search(source.text)
    if surrogate is not None:  # only text not decoded from bytes (given in memory) can hold one
        span = point(source, *source.position(surrogate.start()))
        return YamlDocuments(source, (), (_surrogate_problem(rules, surrogate.group(), span),))
    parsed = source
    if json:
        problem = _json_problem(source, rules)
        if problem is not None:
            return YamlDocuments(source, (), (problem,))
        # JSON allows tabs between tokens, YAML not everywhere; valid JSON has no raw tab inside a
        # string, so each becomes one space and every position stays the same.
        parsed = SourceFile(source.path, source.text.replace("\t", " "))
    documents, problems = _parse(parsed, rules)
    problems = [dataclasses.replace(p, span=_rebased(p.span, source)) for p in problems]
    return YamlDocuments(source, tuple(documents), tuple(problems))


def _rebased(span: Span | None, source: SourceFile) -> Span | None:
    """A span of the text as parsed, on the text as written (the same positions)."""
    if span is None or span.source is source:
        return span
    return dataclasses.replace(span, source=source)


JSON_SUFFIX = ".json"
# YAML reads a key of a flow mapping only up to 1,024 characters (YAML 1.2, 7.4.3).
_MAX_JSON_KEY = 1024
# JSON's outside-a-string tokens Python's json module accepts but RFC 8259 does not.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')


def _json_problem(source: SourceFile, rules: _Rules) -> Diagnostic | None:
    """Why the text is not strict JSON, located; None when it is (duplicate keys and the limits
    are left to the YAML pass, which locates them)."""
    long_keys: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> None:
        long_keys.extend(key for key, _ in items if len(key) > _MAX_JSON_KEY)

    def number(_: str) -> int:
        return 0  # only the syntax matters here: no conversion of 5,000 digits

    try:
        json_module.loads(source.text, object_pairs_hook=pairs, parse_int=number, parse_float=number)
    except json_module.JSONDecodeError as error:
        where = point(source, error.lineno, error.colno)
        if error.msg.startswith("Invalid control character"):
            message, help = (
                "a control character in a text",
                "write a tab or a line break in a text as \\t or \\n",
            )
        else:
            message = error.msg[0].lower() + error.msg[1:]
            help = (
                "JSON has no comments, trailing commas or single quotes; keys and texts are in double quotes"
            )
        return Diagnostic(rules.syntax, f"invalid JSON: {message}", where, help)
    except RecursionError:
        return None  # nested deeper than Python's parser goes: the YAML pass reports the depth limit
    constant = next((m for m in _JSON_TOKEN.finditer(source.text) if m.group(1)), None)
    if constant is not None:
        where = point(source, *source.position(constant.start(1)), len(constant.group(1)))
        message = f"invalid JSON: `{constant.group(1)}` is not a JSON value"
        return Diagnostic(rules.syntax, message, where, help="write a number, or null when it is unknown")
    if long_keys:
        at = source.text.find('"' + long_keys[0][:40])
        where = point(source, *source.position(max(at, 0)))
        message = f"a key of {len(long_keys[0])} characters: keys are at most {_MAX_JSON_KEY} characters long"
        return Diagnostic(rules.limit, message, where, help="shorten the key")
    return None


# Half of a UTF-16 surrogate pair: not a character, so no file, terminal or JSON output can encode it.
_SURROGATE = re.compile("[\ud800-\udfff]")
# A `\\uD800`-style escape in a double-quoted scalar (`\\U0000D800` too), not itself escaped.
_SURROGATE_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*(\\(?:u|U0000)[dD][89a-fA-F][0-9a-fA-F]{2})")


def _surrogate_problem(rules: _Rules, character: str, span: Span) -> Diagnostic:
    message = (
        f"text holds U+{ord(character):04X}, half of a UTF-16 surrogate pair: "
        "it is not a character and cannot be written out"
    )
    help = "write the character itself, or escape a character beyond U+FFFF as `\\U0001F600`"
    return Diagnostic(rules.syntax, message, span, help)


def _lone_surrogate(text: str) -> str | None:
    """The first surrogate of `text` that is not part of a pair (`"\\ud83d\\ude00"`, as JSON writes
    😀, is one character), or None."""
    index = _lone_surrogate_index(text)
    return None if index is None else text[index]


def _lone_surrogate_index(characters: Sequence[str]) -> int | None:
    index = 0
    while index < len(characters):
        character = characters[index]
        paired = index + 1 < len(characters) and "\udc00" <= characters[index + 1] <= "\udfff"
        if "\ud800" <= character <= "\udbff" and paired:
            index += 2
            continue
        if "\ud800" <= character <= "\udfff":
            return index
        index += 1
    return None


def _too_large(display: str, prefix: str, noun: str, limits: YamlLimits) -> YamlDocuments:
    message = f"{noun} is larger than the limit of {limits.max_bytes:,} bytes"
    problem = Diagnostic(f"{prefix}-LIMIT", message, help="split it into several files", file=display)
    return YamlDocuments(SourceFile(display, ""), (), (problem,))


def _normalise(text: str) -> str:
    # ruamel counts a lone "\r" as a line break and SourceFile does not; agree on "\n".
    return text.replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class _Rules:
    """What the caller asked for: codes, wording, limits, one document or several."""

    prefix: str
    noun: str
    limits: YamlLimits
    single: bool
    language: str = "YAML"  # or "JSON": the syntax the file is written in

    @property
    def syntax(self) -> str:
        return f"{self.prefix}-{self.language}"

    @property
    def limit(self) -> str:
        return f"{self.prefix}-LIMIT"


# ---------------------------------------------------------------------------------------------
# parsing: a single pass over the parser events checks the limits and builds the values


def _c_parser_available() -> bool:
    """Whether ruamel's public safe loader parses with libyaml (ruamel.yaml.clib installed)."""
    return YAML(typ="safe").Parser is not ruamel.yaml.parser.Parser


# libyaml's parser, about 40 times faster than ruamel's pure-Python one; False to always use the latter.
_USE_C_PARSER: bool = _c_parser_available()


@functools.cache
def _c_parser() -> Any:
    """The C parser class of ruamel's safe loader, looked up once."""
    return YAML(typ="safe").Parser


# Characters that libyaml reads differently from ruamel: tabs (ruamel refuses more of them), NEL
# and the Unicode line and paragraph separators (line numbers), byte order marks inside the text.
_PURE_ONLY_CHARACTERS = re.compile("[\t\x85\u2028\u2029\ufeff]")
# `...` document-end markers: libyaml and ruamel close an empty block node differently there.
_DOCUMENT_END = re.compile(r"^\.\.\.", re.MULTILINE)
# Characters that ruamel takes as part of an anchor or alias name, and libyaml as its end.
_NAME_CONTINUATIONS = frozenset("?:%@`")
# A block scalar header that both parsers read alike: indicators, then a space or the line end.
_BLOCK_HEADER = re.compile(r"[|>][-+0-9]*(?= |$)")

# Explicit tags that only restate what plain YAML already means; anything else is refused.
_CORE = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP, _MAP, _SEQ = (
    _CORE + name for name in ("str", "int", "float", "bool", "null", "timestamp", "map", "seq")
)
_PLAIN_TAGS = frozenset((_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP, _MAP, _SEQ))
_SCALAR_TAGS = frozenset((_INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP))  # never on a mapping or list
# Tags that ruamel's resolver gives plain scalars besides the core ones: `<<` (a merge key) and `=`.
_MERGE, _VALUE = _CORE + "merge", _CORE + "value"

_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_SIMPLE_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]+")
_IMPLICIT = (True, False)  # a plain scalar, for the resolver
_REMEMBERED = 50_000  # plain scalars whose value is remembered, per YAML version
_UNSEEN = object()


class _UsePurePython(Exception):
    """The C parser met text that it may read differently from ruamel's parser, the reference."""


class _MergeKey:
    """The value of a plain `<<` scalar: a merge key in key position, the text "<<" elsewhere."""


_MERGE_KEY = _MergeKey()
# Keys that are hashable and never a merge key: a plain scalar's value (dates and numbers beyond
# range aside).
_PLAIN_KEYS = frozenset((str, int, float, bool, type(None)))
_NO_KEY = object()  # a mapping is waiting for a key, not a value


class _Mark(NamedTuple):
    """A 0-based position, enough for the errors `_yaml_error` turns into diagnostics."""

    line: int
    column: int


@functools.cache
def _constructor(version: tuple[int, int]) -> Any:
    """ruamel's safe constructor, for the scalars whose rules are worth reusing rather than copying."""
    yaml = YAML(typ="safe", pure=True)
    yaml.version = version
    return yaml.constructor


@functools.cache
def _resolver(version: tuple[int, int]) -> VersionedResolver:
    """ruamel's implicit tag rules for plain scalars (YAML 1.2 core schema, or 1.1)."""
    return VersionedResolver(version=version)


@functools.cache
def _plain_values(version: tuple[int, int]) -> dict[str, Any]:
    """Plain scalar -> its value, remembered across files: most values repeat (levels, teams, dates).

    Every value built from a plain scalar is immutable (text, numbers, booleans, None, dates), so
    one object may stand wherever the scalar is written.
    """
    return {}


def _node_id(value: Any) -> str:
    return "mapping" if type(value) is YamlMap else "sequence" if type(value) is YamlSeq else "scalar"


class _Open:
    """A mapping or sequence whose events are still coming."""

    __slots__ = (
        "anchor",
        "count",
        "flow",
        "height",
        "key",
        "key_column",
        "key_line",
        "merge",
        "merges",
        "node",
        "size",
    )

    def __init__(self, anchor: str | None, node: YamlMap | YamlSeq | None, flow: bool) -> None:
        self.anchor = anchor
        self.node = node  # None when nothing is built
        self.flow = flow
        self.size = 1  # nodes it holds once aliases are expanded, itself included
        self.height = 1  # levels of nesting it holds once aliases are expanded, itself included
        self.count = 0  # items of a sequence, or entries of a mapping other than `<<`, so far
        self.key: Any = _NO_KEY  # in a mapping, the key whose value comes next
        self.key_line = self.key_column = 0
        self.merges = 0  # `<<` entries so far
        self.merge: list[YamlMap] | None = None  # what they merge in


class _Parse:
    """One pass over the events of a file: the checks, then the documents with their positions.

    The checks stop at the first problem that makes going on pointless (a limit), or collect
    problems (tags); the documents are built from the same events. Like ruamel's loader, loading
    stops at the first document that cannot be built (an undefined alias, a duplicate key, ...),
    keeping the documents before it, and reports the error ruamel's constructor would meet first.
    """

    def __init__(self, source: SourceFile, rules: _Rules, *, pure: bool) -> None:
        self.source = source
        self.rules = rules
        self.limits = rules.limits
        self.pure = pure  # False: the C parser, whose input is checked for what it reads differently
        self.documents: list[Document] = []
        self.problems: list[Diagnostic] = []  # tags, texts that are not characters: the file is refused
        self.syntax_error: Diagnostic | None = None
        self.open: list[_Open] = []
        self.anchor_sizes: dict[str, int | None] = {}  # None while its node is open
        self.anchor_heights: dict[str, int] = {}
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # value and where it is written
        self.aliases = 0
        self.alias_nodes = 0  # nodes that the aliases seen so far stand for
        self.awaiting_root = False
        self.started = 0  # documents started
        self.first_start: _Mark | None = None
        self.root = Spot(1, 1)
        self.document: Any = None
        self.failed = False  # a document could not be built: nothing more is
        self.compose_error: Exception | None = None  # this document's first undefined alias
        # this document's first other error, in the order ruamel's constructor would meet it
        self.construct_error: tuple[tuple[int, ...], Exception] | None = None
        self.load_error: Exception | None = None
        self.version = (1, 2)  # the last `%YAML` directive's, as ruamel's scanner keeps it
        self.plain = _plain_values(self.version)

    def run(self) -> tuple[list[Document], list[Diagnostic]]:
        """The documents, or why there are none; documents before a load error come with it."""
        with warnings.catch_warnings():
            # ruamel may warn on stderr (e.g. about YAML 1.1 floats); the diagnostics say what matters.
            warnings.simplefilter("ignore")
            stop = self._read()
        if stop is not None:
            return [], [stop]
        if self.syntax_error is not None:
            return [], [*self.problems, self.syntax_error]
        if self.problems:
            return [], self.problems
        if self.load_error is None:
            return self.documents, []
        if isinstance(self.load_error, YAMLError):
            return self.documents, [_yaml_error(self.source, self.load_error, self.rules)]
        # untrusted input: whatever ruamel's rules raise must become a diagnostic, not a traceback
        message = f"invalid {self.rules.language}: {self.load_error}"
        return self.documents, [Diagnostic(self.rules.syntax, message, file=self.source.path)]

    def _read(self) -> Diagnostic | None:
        try:
            if self.pure:
                return self._feed_all(YAML(typ="rt").parse(self.source.text))
            parser = _c_parser()(self.source.text)
            try:
                return self._feed_parser(parser)
            finally:
                parser.dispose()
        except _UsePurePython:
            raise
        except Exception as error:  # a syntax error, or a parser bug on untrusted input
            if not self.pure:  # ruamel's parser words syntax errors, and may find them elsewhere
                raise _UsePurePython from error
            if isinstance(error, YAMLError):
                self.syntax_error = _yaml_error(self.source, error, self.rules)
            else:
                self.syntax_error = Diagnostic(
                    self.rules.syntax, f"invalid {self.rules.language}: {error}", file=self.source.path
                )
        return None

    def _feed_all(self, events: Iterable[Event]) -> Diagnostic | None:
        for event in events:
            stop = self._feed(event)
            if stop is not None:
                return stop
        return None

    def _feed_parser(self, parser: Any) -> Diagnostic | None:
        """The events of libyaml's parser, as `YAML(typ="safe").parse` gives them, without a
        `YAML` instance per file (that looks for plug-ins on disk and builds a loader class each
        time) and without a generator between the parser and `_feed`: scalars, most events, go
        straight to `_scalar`."""
        check, get, scalar, feed = parser.check_event, parser.get_event, self._scalar, self._feed
        while check():
            event = get()
            if type(event) is ScalarEvent:
                scalar(event)
                continue
            stop = feed(event)
            if stop is not None:
                return stop
        return None

    def _feed(self, event: Event) -> Diagnostic | None:
        """Take the next event; returns a problem that makes going on pointless."""
        kind = type(event)
        if kind is ScalarEvent:
            self._scalar(event)  # type: ignore[arg-type]
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            return self._start(event, mapping=kind is MappingStartEvent)  # type: ignore[arg-type]
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            self._end(event)
        elif kind is AliasEvent:
            return self._alias(event)  # type: ignore[arg-type]
        elif kind is DocumentStartEvent:
            return self._document_start(event)  # type: ignore[arg-type]
        elif kind is DocumentEndEvent:
            self._document_end()
        return None

    # --- documents

    def _document_start(self, event: DocumentStartEvent) -> Diagnostic | None:
        self.started += 1
        mark = _Mark(event.start_mark.line, event.start_mark.column)
        if self.started == 1:
            self.first_start = mark
        elif self.rules.single:
            message = f"invalid YAML: a {self.rules.noun} holds one document, but another one starts here"
            help = "remove this `---` line and what follows, or move it to a file of its own"
            return Diagnostic(
                self.rules.syntax, message, point(self.source, mark.line + 1, mark.column + 1, 3), help
            )
        if event.version is not None:
            if not self.pure:
                raise _UsePurePython
            self.version = (int(event.version[0]), int(event.version[1]))
            self.plain = _plain_values(self.version)
        self.anchor_sizes.clear()  # anchors do not cross documents
        self.anchor_heights.clear()
        self.anchors = {}
        self.awaiting_root = True
        self.document = None
        self.compose_error = self.construct_error = None
        return None

    def _document_end(self) -> None:
        if self.failed:
            return
        if self.compose_error is not None:  # ruamel composes a whole document before building it
            self.load_error = self.compose_error
        elif self.construct_error is not None:
            self.load_error = self.construct_error[1]
        else:
            self.documents.append(Document(self.document, self.root))
            return
        self.failed = True

    def _node(self, event: ScalarEvent | CollectionStartEvent | AliasEvent) -> tuple[int, int, str | None]:
        """Where a node starts (1-based), and its anchor; notes the document's root, checks its anchor."""
        mark = event.start_mark
        line, column = mark.line + 1, mark.column + 1
        if self.awaiting_root:
            self.root = Spot(line, column)
            self.awaiting_root = False
        anchor = None if event.anchor is None else str(event.anchor)
        if anchor is not None and not self.pure:
            # `&a:b` is one name for ruamel and a name and a colon for libyaml
            text = self.source.line_text(line)
            after = column + len(anchor)
            if text[column - 1 : column] not in "&*" or text[after : after + 1] in _NAME_CONTINUATIONS:
                raise _UsePurePython
        return line, column, anchor

    def _tag(self, event: ScalarEvent | CollectionStartEvent) -> str | None:
        tag = event.ctag
        if tag is None:
            return None
        if not self.pure:  # a tag handle may be read differently; tags are rare in these files
            raise _UsePurePython
        problem = _tag_problem(self.source, event, self.rules)
        if problem is not None:
            self.problems.append(problem)
        return str(tag)

    def _count(self, size: int, height: int) -> None:
        if self.open:
            top = self.open[-1]
            top.size += size
            if height >= top.height:
                top.height = height + 1

    # --- errors while building, in the order ruamel's constructor would meet them

    def _order(self, last: int | None = None) -> tuple[int, ...]:
        """Where the node being built comes in ruamel's construction order.

        Depth first in document order, except that a mapping builds its `<<` entries first; each
        entry builds its key, then its value, then checks for a duplicate. `last` replaces the
        last step, for checks made once an entry is complete.
        """
        order: list[int] = []
        for frame in self.open:
            if type(frame.node) is YamlSeq:
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
        if event.anchor is not None or event.ctag is not None or not event.implicit[0]:
            self._written_scalar(event)
            return
        # A plain scalar without anchor or tag, most of a file: the same steps, inlined.
        mark = event.start_mark
        line, column = mark.line + 1, mark.column + 1
        if self.awaiting_root:
            self.root = Spot(line, column)
            self.awaiting_root = False
        if self.open:
            self.open[-1].size += 1
        if self.failed:
            return
        value = self.plain.get(event.value, _UNSEEN)
        if value is _UNSEEN:
            self._written_scalar(event, remember=True)
            return
        # `_add` and `_entry` for an item of a list, a key, or the value of a key of plain type
        # written once; anything else (a merge, a duplicate, a key of another type) takes `_add`.
        open_ = self.open
        if open_ and value is not _MERGE_KEY:
            top = open_[-1]
            node = top.node
            if type(node) is YamlSeq:
                node.append(value)
                node.marks.append((line, column))
                top.count += 1
                return
            if type(node) is YamlMap:
                key = top.key
                if key is _NO_KEY:
                    top.key, top.key_line, top.key_column = value, line, column
                    return
                if type(key) in _PLAIN_KEYS and key not in node:
                    node[key] = value
                    node.marks[key] = (top.key_line, top.key_column, line, column)
                    top.key = _NO_KEY
                    top.count += 1
                    return
        self._add(value, line, column)

    def _written_scalar(self, event: ScalarEvent, *, remember: bool = False) -> None:
        """Any scalar: quoted, block, anchored or tagged, or plain and not seen before."""
        if remember:  # counted already, by `_scalar`
            line, column = event.start_mark.line + 1, event.start_mark.column + 1
            anchor = None
        else:
            line, column, anchor = self._node(event)
        tag = self._tag(event)
        style = event.style
        if style in ("|", ">") and not self.pure:
            self._check_block_scalar(line, column, anchor)
        if anchor is not None:
            self.anchor_sizes[anchor] = 1
            self.anchor_heights[anchor] = 0
        if not remember:
            self._count(1, 0)
            if self.failed:
                return
        try:
            value = self._scalar_value(event, tag)
        except Exception as error:
            top = self.open[-1] if self.open else None
            if not (top and type(top.node) is YamlMap and top.key is _MERGE_KEY):  # ruamel skips `<<: x`
                self._failed(error, self._order())
            value = None
        else:
            if style == '"' and type(value) is str and _SURROGATE.search(value):
                value = self._without_surrogates(value, line, column)
            if remember and len(self.plain) < _REMEMBERED:
                self.plain[event.value] = value
        if anchor is not None:
            self.anchors[anchor] = (value, line, column)
        self._add(value, line, column)

    def _without_surrogates(self, value: str, line: int, column: int) -> str:
        """A double-quoted text with its escaped surrogate pairs joined; a lone one is a problem."""
        lone = _lone_surrogate(value)
        if lone is None:
            return value.encode("utf-16", "surrogatepass").decode("utf-16")
        width = 1
        escapes = [m.group(1) for m in _SURROGATE_ESCAPE.finditer(self.source.line_text(line), column - 1)]
        starts = [m.start(1) for m in _SURROGATE_ESCAPE.finditer(self.source.line_text(line), column - 1)]
        index = _lone_surrogate_index([chr(int(escape[-4:], 16)) for escape in escapes])
        if index is not None:  # the escape itself, when it is written on the line the text starts
            column, width = starts[index] + 1, len(escapes[index])
        self.problems.append(_surrogate_problem(self.rules, lone, point(self.source, line, column, width)))
        return value

    def _check_block_scalar(self, line: int, column: int, anchor: str | None) -> None:
        """Send block scalars that libyaml reads differently from ruamel to the pure-Python parser."""
        if not self.open:  # at the top level, `---` or `...` may be content for ruamel
            raise _UsePurePython
        header = self.source.line_text(line)[column - 1 :]
        if anchor is not None:
            header = header[len(anchor) + 1 :].lstrip(" ")
        following = self.source.line_text(line + 1)
        if not _BLOCK_HEADER.match(header) or (following and not following.strip(" ")):
            raise _UsePurePython  # `|#`, or a first line of spaces: ruamel may refuse it

    def _scalar_value(self, event: ScalarEvent, tag: str | None) -> Any:
        """The plain Python value of a scalar, by ruamel's rules for its (resolved) tag."""
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
        if tag == _INT and _DECIMAL.fullmatch(value):
            return _finite(int(value), value) if len(value) <= _MAX_DIGITS else OutOfRange(value)
        if tag == _FLOAT and _SIMPLE_FLOAT.fullmatch(value):
            return _finite(float(value), value)
        if tag in (_INT, _FLOAT):  # hex, octal, `1_000`, `1e999`, `.inf`...
            try:
                return _finite(_construct(self.version, tag, value, event), value)
            except ValueError:  # more digits than Python converts: far beyond float range
                return OutOfRange(value)
        if tag in (_BOOL, _TIMESTAMP):
            return _construct(self.version, tag, value, event)
        if tag == _MERGE:
            return _MERGE_KEY
        if tag in (_MAP, _SEQ):
            expected = "a mapping" if tag == _MAP else "a sequence"
            raise MarkedYAMLError(None, None, f"expected {expected} node, but found scalar", event.start_mark)
        return value  # a tag that is not allowed: reported, so the file is not loaded anyway

    def _resolve(self, value: str) -> str:
        """The tag ruamel's resolver gives a plain scalar (YAML 1.2 core schema, or 1.1)."""
        return str(_resolver(self.version).resolve(ScalarNode, value, _IMPLICIT))

    def _start(self, event: CollectionStartEvent, *, mapping: bool) -> Diagnostic | None:
        line, column, anchor = self._node(event)
        tag = self._tag(event)
        if len(self.open) >= self.limits.max_depth:
            return self._too_deep(event)
        if anchor is not None:
            self.anchor_sizes[anchor] = None
        node: YamlMap | YamlSeq | None = None
        if not self.failed:
            node = YamlMap(line, column) if mapping else YamlSeq(line, column)
            if anchor is not None:
                self.anchors[anchor] = (node, line, column)
            if tag in _SCALAR_TAGS or tag == (_SEQ if mapping else _MAP):
                wanted = "scalar" if tag in _SCALAR_TAGS else "mapping" if tag == _MAP else "sequence"
                message = f"expected a {wanted} node, but found {_node_id(node)}"
                self._failed(MarkedYAMLError(None, None, message, event.start_mark), self._order())
        self.open.append(_Open(anchor, node, event.flow_style is True))
        return None

    def _end(self, event: Event) -> None:
        closed = self.open.pop()
        if closed.anchor is not None:
            self.anchor_sizes[closed.anchor] = closed.size
            self.anchor_heights[closed.anchor] = closed.height
        self._count(closed.size, closed.height)
        node = closed.node
        if node is None:
            return
        if type(node) is YamlMap and closed.merge:
            for merged in closed.merge:
                for key, value in merged.items():
                    if key not in node:
                        node[key] = value
            node.merged = closed.merge
        node.flow = closed.flow and len(node) > 0
        node.end_line, node.end_column = event.end_mark.line + 1, event.end_mark.column + 1
        self._add(node, node.line, node.column)

    def _alias(self, event: AliasEvent) -> Diagnostic | None:
        line, column, name = self._node(event)
        anchor = str(name)
        self.aliases += 1
        if self.aliases > self.limits.max_aliases:
            return self._limit(event, f"more than {self.limits.max_aliases} aliases", "write values out")
        if anchor in self.anchor_sizes and self.anchor_sizes[anchor] is None:
            message = f"alias `*{anchor}` refers to a node that contains it"
            return Diagnostic(self.rules.syntax, message, Spot(line, column).span(self.source))
        height = self.anchor_heights.get(anchor, 0)
        if len(self.open) + height > self.limits.max_depth:  # the alias's node, nested here
            return self._too_deep(event)
        size = self.anchor_sizes.get(anchor) or 1  # an undefined alias is a load error, below
        self.alias_nodes += size
        if self.alias_nodes > self.limits.max_alias_nodes:
            message = f"aliases expand to more than {self.limits.max_alias_nodes} values"
            return self._limit(event, message, "this looks like an alias bomb; write values out")
        self._count(size, height)
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

    def _too_deep(self, event: Event) -> Diagnostic:
        message = f"values are nested deeper than {self.limits.max_depth} levels"
        return self._limit(event, message, "flatten the structure")

    def _limit(self, event: Event, message: str, help: str) -> Diagnostic:
        span = point(self.source, event.start_mark.line + 1, event.start_mark.column + 1)
        return Diagnostic(self.rules.limit, message, span, help=help)

    # --- building

    def _add(self, value: Any, line: int, column: int) -> None:
        """Put a finished node where it belongs: the document, a list, a mapping's key or value."""
        if not self.open:
            self.document = "<<" if value is _MERGE_KEY else value
            return
        top = self.open[-1]
        node = top.node
        if type(node) is YamlSeq:
            node.append("<<" if value is _MERGE_KEY else value)
            node.marks.append((line, column))
            top.count += 1
        elif type(node) is YamlMap:
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

    def _entry(self, top: _Open, node: YamlMap, value: Any, line: int, column: int) -> None:
        key = top.key
        if type(key) is YamlSeq:  # lists and mappings are not hashable; ruamel's immutable ones are
            key = CommentedKeySeq(key)
        elif type(key) is YamlMap:
            key = CommentedKeyMap(key)
        try:
            duplicate = key in node  # merged keys come at the end: these are the keys written here
        except TypeError:  # a key holding a list or a mapping, itself or inside: not hashable
            problem = "found a key that holds a list or a mapping (keys are texts, numbers or dates)"
            where = _Mark(top.key_line - 1, top.key_column - 1)
            self._failed(
                MarkedYAMLError("while constructing a mapping", None, problem, where), self._order(2)
            )
            return
        if duplicate:
            problem = (
                f'found duplicate key "{_brief(key)}" with value "{_brief(value)}" '
                f'(original value: "{_brief(node[key])}")'
            )
            context = _Mark(node.line - 1, node.column - 1)
            where = _Mark(top.key_line - 1, top.key_column - 1)
            self._failed(
                MarkedYAMLError("while constructing a mapping", context, problem, where), self._order(2)
            )
            return
        node[key] = value
        node.marks[key] = (top.key_line, top.key_column, line, column)

    def _merge(self, top: _Open, node: YamlMap, value: Any, line: int, column: int) -> None:
        """`<<: *anchor` or `<<: [*a, *b]`: mappings whose keys the mapping takes unless it has them."""
        merged: list[YamlMap] = top.merge or []
        problem, where, order = "", (line, column), 2
        if merged:  # ruamel refuses a second `<<` only once the first one merged something
            problem, where, order = 'found duplicate merge key "<<"', (top.key_line, top.key_column), 0
        elif type(value) is YamlMap:
            merged.append(value)
        elif type(value) is YamlSeq:
            for index, item in enumerate(value):
                if type(item) is not YamlMap:
                    problem = f"expected a mapping for merging, but found {_node_id(item)}"
                    where = value.marks[index]
                    break
                merged.append(item)
        else:
            if value is None and not self.pure:  # where an empty value stands: the parsers differ
                raise _UsePurePython
            problem = f"expected a mapping or list of mappings for merging, but found {_node_id(value)}"
        if problem:
            context = _Mark(node.line - 1, node.column - 1)
            mark = _Mark(where[0] - 1, where[1] - 1)
            error = MarkedYAMLError("while constructing a mapping", context, problem, mark)
            self._failed(error, self._order(last=order))
        else:
            top.merge = merged


# Digits of the longest decimal integer worth converting: one more than float range allows.
_MAX_DIGITS = 310


def _finite(number: float, written: str) -> float | OutOfRange:
    """A number as loaded, or `OutOfRange` (as written) if it is not a finite float: beyond
    ±1.8e308 (`1e999`, an integer of 309 digits and more), `.inf` or `.nan`."""
    try:
        if math.isfinite(number):
            return number
    except OverflowError:  # an integer beyond float range
        pass
    return OutOfRange(written)


def _brief(value: Any) -> str:
    """A value in a YAML error message: a long number by its digits, anything long cut short."""
    if isinstance(value, OutOfRange):
        return number_as_written(value.text)
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _construct(version: tuple[int, int], tag: str, value: str, event: ScalarEvent) -> Any:
    """A boolean, number or date by ruamel's safe constructor; a date that does not exist stays text.

    ruamel raises a bare ValueError (without position) for `2027-02-30`; as text, the value
    reaches validation, which reports it where it is written.
    """
    constructor = _constructor(version)
    node = ScalarNode(tag, value, event.start_mark, event.end_mark, style=event.style)
    if tag == _BOOL:
        return constructor.construct_yaml_bool(node)
    if tag == _INT:
        return int(constructor.construct_yaml_int(node))
    if tag == _FLOAT:
        return float(constructor.construct_yaml_float(node))
    try:
        return constructor.construct_yaml_timestamp(node)
    except ValueError:
        return value


def _parse(source: SourceFile, rules: _Rules) -> tuple[list[Document], list[Diagnostic]]:
    """The documents of a file, each with where its root starts, or the problems found instead."""
    if (
        _USE_C_PARSER
        and not _PURE_ONLY_CHARACTERS.search(source.text)
        and not _DOCUMENT_END.search(source.text)
    ):
        try:
            return _Parse(source, rules, pure=False).run()
        except _UsePurePython:
            pass
    return _Parse(source, rules, pure=True).run()


def _tag_problem(
    source: SourceFile, event: ScalarEvent | CollectionStartEvent, rules: _Rules
) -> Diagnostic | None:
    tag = str(event.tag)
    if tag in _PLAIN_TAGS:
        return None
    shown = "!!" + tag.removeprefix(_CORE) if tag.startswith(_CORE) else tag
    line, column = event.start_mark.line + 1, event.start_mark.column + 1
    written = source.line_text(line)[column - 1 :].split(maxsplit=1)
    span = point(source, line, column, len(written[0]) if written else 1)
    message = f"YAML tag `{shown}` is not allowed in {rules.noun}s"
    return Diagnostic(rules.syntax, message, span, help=f"{rules.noun}s hold plain data; remove the tag")


def _yaml_error(source: SourceFile, error: YAMLError, rules: _Rules) -> Diagnostic:
    """A diagnostic at the position ruamel reports, with its explanation."""
    if isinstance(error, ReaderError):
        line, column = source.position(int(error.position))
        character = f"U+{error.character:04X}" if isinstance(error.character, int) else repr(error.character)
        message = f"character {character} is not allowed in YAML ({error.reason})"
        return Diagnostic(rules.syntax, message, point(source, line, column))
    if isinstance(error, MarkedYAMLError) and error.problem_mark is not None:
        problem = str(error.problem or error.context or "invalid YAML")
        mark = error.problem_mark
        help = None
        if error.context and error.context_mark is not None:
            help = f"{error.context} (line {error.context_mark.line + 1})"
        if "'\\t'" in problem:
            help = "indent with spaces: YAML does not allow tabs for indentation"
        spot = Spot(mark.line + 1, mark.column + 1)
        return Diagnostic(rules.syntax, f"invalid {rules.language}: {problem}", spot.span(source), help)
    return Diagnostic(rules.syntax, f"invalid {rules.language}: {error}", file=source.path)


# ---------------------------------------------------------------------------------------------
# every value with its own position: for waivers, policy tests and importers


Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Located:
    """A YAML value and where it starts (1-based): a scalar, a mapping or a list.

    A mapping or list also knows whether it is written in flow style, and where the text after
    it starts (`end`); neither takes part in equality.
    """

    value: Scalar | dict[str, Entry] | list[Located]
    line: int
    column: int
    flow: bool = dataclasses.field(default=False, compare=False, repr=False)
    end: tuple[int, int] | None = dataclasses.field(default=None, compare=False, repr=False)

    def span(self, source: SourceFile) -> Span:
        """Where the value is written: the whole token, or where a block collection starts."""
        if isinstance(self.value, dict | list) and not self.flow:
            return point(source, self.line, self.column)
        return Spot(self.line, self.column).span(source)


@dataclass(frozen=True)
class Entry:
    """One entry of a mapping: where its key is written, and its value."""

    line: int
    column: int
    value: Located


def plain_data(located: Located) -> Any:
    """A loaded value without its positions: mappings as dicts, lists as lists, scalars as loaded."""
    value = located.value
    if isinstance(value, dict):
        return {key: plain_data(entry.value) for key, entry in value.items()}
    if isinstance(value, list):
        return [plain_data(item) for item in value]
    return value


def text_of(value: Any) -> str:
    """A scalar key or value as text, spelt as YAML writes it (`true`, `null`, `2027-03-31`)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, OutOfRange):
        return value.text
    if hasattr(value, "isoformat"):
        return str(value) if not hasattr(value, "hour") else value.isoformat(" ")
    return str(value)


def located(document: Document, source: SourceFile, prefix: str) -> tuple[Located | None, Diagnostic | None]:
    """The document with every value carrying its position; mapping keys must be scalars (as text).

    Dates stay text, as written. A mapping or list used as a key, or two keys with the same text,
    is a `{prefix}-YAML` diagnostic.
    """
    try:
        return _located(document.value, document.spot, source, prefix), None
    except DecisionlangError as error:
        return None, error.diagnostics[0]


def _located(value: Any, spot: Spot, source: SourceFile, prefix: str) -> Located:
    kind = type(value)
    if kind is YamlMap:
        entries: dict[str, Entry] = {}
        for key in value:
            at = key_spot(value, key)
            if isinstance(key, CommentedKeyMap | CommentedKeySeq):
                raise _located_error(
                    source, prefix, at, "a mapping key must be plain text, not a mapping or a list"
                )
            name = key if isinstance(key, str) else text_of(key)
            if name in entries:
                first = entries[name].line
                raise _located_error(
                    source, prefix, at, f"key `{name}` is given twice", f"first given at line {first}"
                )
            entries[name] = Entry(
                at.line, at.column, _located(value[key], _value_at(value, key), source, prefix)
            )
        return Located(entries, spot.line, spot.column, value.flow, (value.end_line, value.end_column))
    if kind is YamlSeq:
        items = [_located(item, item_spot(value, index), source, prefix) for index, item in enumerate(value)]
        return Located(items, spot.line, spot.column, value.flow, (value.end_line, value.end_column))
    if value is None or isinstance(value, str | int | float):  # bool is an int
        return Located(value, spot.line, spot.column)
    return Located(text_of(value), spot.line, spot.column)  # a date, a time, a number beyond range: as text


def _value_at(mapping: YamlMap, key: Any) -> Spot:
    """Where the value of `key` starts: unlike `value_spot`, a block collection's own start."""
    marks = _defining_mapping(mapping, key).marks.get(key)
    value = mapping[key]
    if type(value) in (YamlMap, YamlSeq):
        return Spot(value.line, value.column)
    if marks is None:
        return mapping_spot(mapping)
    return Spot(marks[2], marks[3])


def _located_error(
    source: SourceFile, prefix: str, at: Spot, message: str, help: str | None = None
) -> DecisionlangError:
    return DecisionlangError([Diagnostic(f"{prefix}-YAML", message, point(source, at.line, at.column), help)])


def number_as_written(text: str) -> str:
    """A number as written, for messages: a long one by its count of digits."""
    if len(text) <= 24:
        return text
    digits = sum(character.isdigit() for character in text)
    return f"a number of {digits} digits ({text[:8]}…)"


def describe(value: Any) -> str:
    """A loaded value as the user wrote it, for "got ..." in messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, OutOfRange):
        return number_as_written(value.text)
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a mapping"
    return "a list"


# ---------------------------------------------------------------------------------------------
# importers: files given on the command line, read whole or not at all


@dataclass(frozen=True)
class YamlFile:
    """The documents of one file (empty documents left out), and its text for diagnostics."""

    source: SourceFile
    documents: tuple[Located, ...]


def load_yaml(
    display_path: str,
    file: Path | str,
    limits: YamlLimits | None = None,
    *,
    prefix: str = IMPORT_PREFIX,
    noun: str = "catalog file",
) -> YamlFile:
    """One file (a path, or its text) with every value located; raises `DecisionlangError` if invalid."""
    limits = limits or YamlLimits()
    if isinstance(file, str):
        read = read_yaml((display_path, file), prefix=prefix, noun=noun, limits=limits)
    else:
        read = read_yaml_path(display_path, file, prefix=prefix, noun=noun, limits=limits)
    if read.diagnostics:
        raise DecisionlangError(list(read.diagnostics))
    documents: list[Located] = []
    for document in read.documents:
        if document.value is None:
            continue
        value, problem = located(document, read.source, prefix)
        if problem is not None:
            raise DecisionlangError([problem])
        assert value is not None
        documents.append(value)
    return YamlFile(read.source, tuple(documents))

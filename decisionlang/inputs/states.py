"""State files: YAML subjects, validated against the schema the policies declare, with exact positions.

Each file goes through the same stages, and every stage reports problems as diagnostics instead of
raising, so one run reports everything that is wrong in every file:

1. read the file (size limit, UTF-8, NFC) and parse it with the one YAML reader
   (`decisionlang.inputs.yamlreader`), which checks the limits and builds plain values with the
   line and column of every key, value and list item, coding its problems DL-STATE-*;
2. split documents into subject mappings (one subject, or `services:`/`initiatives:` lists);
3. flatten each subject to dotted paths (`risk: {security: 7}` is `risk.security`), sorting out
   unknown fields on the way;
4. validate the values with a pydantic model generated from the schema, and map every pydantic
   error back to the file, line and column of the offending value;
5. check across files: duplicate names and references to subjects that do not exist.

Conventions worth knowing when writing state files:
- a YAML `null` (or an empty value) counts as absent: the evaluator treats the field as unknown;
- a dotted key is the same as nesting: `risk.security: 7` is `risk: {security: 7}`;
- next to `services:`/`initiatives:`, top-level keys starting with `x-` are ignored, so they can
  hold anchors shared with `<<: *anchor` merge keys.
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal, NamedTuple, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    InstanceOf,
    PlainValidator,
    ValidationError,
    create_model,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from decisionlang.core.dates import (
    DATE_HELP,
    DATETIME_HELP,
    DURATION_HELP,
    parse_date,
    parse_datetime,
    parse_duration,
    percent_text,
)
from decisionlang.core.diagnostics import Diagnostic, Severity, capped, sorted_diagnostics
from decisionlang.core.format import show_number
from decisionlang.core.hints import closest, did_you_mean, misspelling_of
from decisionlang.core.spans import SourceFile, point
from decisionlang.core.subjects import Duration, Evidence, IgnoredField, Portfolio, Record, Subject
from decisionlang.core.undetermined import OutOfRange
from decisionlang.inputs.yamlreader import (
    Spot,
    TextSource,
    YamlDocuments,
    YamlLimits,
    YamlMap,
    YamlSeq,
    item_spot,
    key_spot,
    mapping_spot,
    number_as_written,
    read_yaml,
    value_spot,
)
from decisionlang.language.types import (
    ANY,
    BOOL,
    BUILTIN_FIELDS,
    DATE,
    DATETIME,
    DERIVED_FIELDS,
    DURATION,
    NUMBER,
    SUBJECT,
    TEXT,
    FieldSpec,
    ListType,
    RecordType,
    ScaleType,
    Type,
)

__all__ = [
    "CONFLICT",
    "DANGLING",
    "DUPLICATE",
    "LIMIT",
    "NUMBER_RANGE",
    "RANGE",
    "READ",
    "REQUIRED",
    "SCALE",
    "SHAPE",
    "TYPE",
    "UNKNOWN_FIELD",
    "YAML_SYNTAX",
    "StateLayout",
    "YamlLimits",
    "load_states",
    "read_state_file",
    "state_layout",
]

TYPE = "DL-STATE-TYPE"
RANGE = "DL-STATE-RANGE"
SCALE = "DL-STATE-SCALE"
REQUIRED = "DL-STATE-REQUIRED"
UNKNOWN_FIELD = "DL-STATE-UNKNOWN-FIELD"
DUPLICATE = "DL-STATE-DUPLICATE"
DANGLING = "DL-STATE-DANGLING"
CONFLICT = "DL-STATE-CONFLICT"  # one fact of a subject stated twice, with two values
NUMBER_RANGE = "DL-STATE-NUMBER"  # a warning: a number beyond float range, kept for the engine to report
YAML_SYNTAX = "DL-STATE-YAML"  # coded by the YAML reader, like LIMIT and READ
LIMIT = "DL-STATE-LIMIT"
SHAPE = "DL-STATE-SHAPE"
READ = "DL-STATE-READ"

# Top-level keys of a file that lists subjects, and the kind a subject under each gets by default.
_COLLECTIONS: dict[str, str] = {"services": "service", "initiatives": "initiative"}
# The top-level key of the entries that add facts to a subject another file defines.
_OVERLAYS = "overlays"

# Next to those lists, keys starting with `x-` only hold anchors for `<<: *anchor` merges.
_ANCHOR_HOLDER_PREFIX = "x-"

# What the YAML reader codes its problems with (DL-STATE-YAML, DL-STATE-LIMIT, ...), and calls the files.
_PREFIX = "DL-STATE"
_NOUN = "state file"

# A state file: its display path and text (`inputs.sources.SourceFile`, or a `(path, text)` pair).
StateFile = TextSource | tuple[str, str]

# A field name this close to a declared one is taken for a typo (an error), not for extra data.
_SHORT_NAME_CUTOFF = 0.6  # scale values and subject names are short: a looser match still helps


_DEFAULT_LIMITS = YamlLimits()


def load_states(
    files: Sequence[StateFile],
    fields: Mapping[str, FieldSpec],
    *,
    limits: YamlLimits = _DEFAULT_LIMITS,
) -> tuple[Portfolio, list[Diagnostic]]:
    """Load every subject of the state files (read by `decisionlang.inputs.sources`).

    Returns the portfolio of valid subjects (with the keys no schema declares, `ignored`) and the
    diagnostics of all files, sorted. A subject with an error is left out of the portfolio;
    warnings do not exclude it.
    """
    schema = _Schema.build(fields)
    diagnostics: list[Diagnostic] = []
    candidates: list[_Candidate] = []
    for file in files:
        file_candidates, file_diagnostics = _load_file(file, schema, limits)
        candidates.extend(file_candidates)
        diagnostics.extend(file_diagnostics)
    definitions = [candidate for candidate in candidates if not candidate.overlay]
    diagnostics.extend(_check_control_characters(candidates))
    diagnostics.extend(_check_names(definitions))
    diagnostics.extend(_check_overlays(candidates, definitions))
    diagnostics.extend(_check_references(candidates, definitions))
    subjects, merge_problems = _merge(candidates, schema)
    diagnostics.extend(merge_problems)
    ignored = [field for candidate in candidates for field in candidate.ignored]
    return Portfolio.of(subjects, ignored), capped(sorted_diagnostics(diagnostics))


# ---------------------------------------------------------------------------------------------
# reading one file


def read_state_file(file: StateFile, limits: YamlLimits = _DEFAULT_LIMITS) -> YamlDocuments:
    """The documents of one state file's text, with the position of every key and value, or its
    located problems (DL-STATE-YAML, DL-STATE-LIMIT, ...). A pure function of the display path,
    the text and the limits (the file itself is read by `inputs.sources`): what a cache of parsed
    files can key on."""
    return read_yaml(file, prefix=_PREFIX, noun=_NOUN, limits=limits)


_read = read_state_file


# ---------------------------------------------------------------------------------------------
# documents and subjects


@dataclass(frozen=True)
class _SubjectNode:
    mapping: YamlMap
    default_kind: str | None  # None for an overlay, whose kind is its subject's


def _collection(key: Any) -> bool:
    return key in _COLLECTIONS or key == _OVERLAYS


def _subject_nodes(
    document: Any, root: Spot, source: SourceFile
) -> tuple[list[_SubjectNode], list[Diagnostic]]:
    """The subject mappings of one document: itself, or the entries of its `services:`/`initiatives:`."""
    if document is None:  # an empty document, e.g. after a trailing `---`
        return [], []
    if type(document) is not YamlMap:
        expected = "a mapping (one subject, or `services:` and `initiatives:` lists)"
        message = f"a state document must be {expected}, got {_describe(document)}"
        return [], [Diagnostic(SHAPE, message, root.span(source))]
    if "name" in document or not any(_collection(key) for key in document):
        return [_SubjectNode(document, "service")], []
    nodes: list[_SubjectNode] = []
    problems: list[Diagnostic] = []
    for key in document:
        if isinstance(key, str) and key.startswith(_ANCHOR_HOLDER_PREFIX):
            continue
        if _collection(key):
            entries, entry_problems = _collection_entries(document, key, source)
            nodes.extend(entries)
            problems.extend(entry_problems)
        else:
            message = f"unexpected top-level key `{key}` next to `services:`/`initiatives:`/`overlays:`"
            help = (
                "subjects go under `services:` or `initiatives:`, facts added to a subject of another "
                "file under `overlays:`; a key starting with `x-` may hold anchors"
            )
            problems.append(Diagnostic(SHAPE, message, key_spot(document, key).span(source), help))
    return nodes, problems


def _collection_entries(
    document: YamlMap, key: str, source: SourceFile
) -> tuple[list[_SubjectNode], list[Diagnostic]]:
    """The subjects listed under `services:` or `initiatives:`."""
    entries = document[key]
    if entries is None:
        return [], []
    if type(entries) is not YamlSeq:
        message = f"`{key}` must be a list of subjects, got {_describe(_plain(entries))}"
        spot = value_spot(document, key, key_spot(document, key))
        return [], [Diagnostic(SHAPE, message, spot.span(source), help=f"write `{key}:` then `- name: ...`")]
    nodes: list[_SubjectNode] = []
    problems: list[Diagnostic] = []
    for index, entry in enumerate(entries):
        if type(entry) is YamlMap:
            nodes.append(_SubjectNode(entry, _COLLECTIONS.get(key)))
        else:
            message = f"each entry of `{key}` must be a mapping (one subject), got {_describe(_plain(entry))}"
            problems.append(Diagnostic(SHAPE, message, item_spot(entries, index).span(source)))
    return nodes, problems


_SCALAR_TYPES = frozenset((str, int, float, bool, type(None)))
_COLLECTION_TYPES = frozenset((YamlMap, YamlSeq))


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
    if isinstance(value, OutOfRange):
        return number_as_written(value.text)
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
    if spec.minimum is not None or spec.maximum is not None:
        low, high = spec.minimum, spec.maximum
        if spec.integer:  # `integer 0.5..3`: a whole number at least 0.5 is at least 1
            low = None if low is None else math.ceil(low)
            high = None if high is None else math.floor(high)
        number = _annotated(number, Field(ge=low, le=high))  # a None bound is no bound
    if spec.allowed is not None:
        number = _annotated(number, AfterValidator(_one_of(spec.allowed)))
    # A number beyond float range is kept as written, for the engine to report where it is read.
    # A percentage (`99.9%`, quoted or not) is the number it writes, as in policies: 0.999.
    return _annotated(_as_any(Union)[number, InstanceOf[OutOfRange]], BeforeValidator(_number_from_percent))


def _number_from_percent(value: Any) -> Any:
    """`99.9%` as 0.999, exactly the policy literal `99.9%`; other values are left for the checks."""
    if not isinstance(value, str):
        return value
    number = percent_text(value)
    if number is None:
        return value
    if not math.isfinite(number):
        return OutOfRange(value.strip())
    return int(number) if number.is_integer() else number


def _one_of(allowed: tuple[float, ...]) -> Callable[[Any], Any]:
    """`integer in {1, 2, 3, 5, 8}`: any other number is refused (named by `_error_diagnostic`)."""
    accepted = frozenset(allowed)

    def check(value: Any) -> Any:
        if value not in accepted:
            raise PydanticCustomError("allowed_values", "not an allowed value")
        return value

    return check


def _date_from_text(value: Any) -> Any:
    """A quoted ISO date (`"2027-03-31"`) as a date; anything else is left for the strict check."""
    day = parse_date(value) if isinstance(value, str) else None
    return value if day is None else day


def _instant(value: Any) -> datetime.datetime:
    """A date-time with its time zone (as YAML reads it, or quoted, or a JSON text) as an aware
    datetime; anything else is refused, a date-time without a time zone too (which instant?)."""
    instant = parse_datetime(value)
    if instant is None:
        raise PydanticCustomError("datetime_type", "not a date-time with a time zone")
    return instant


def _days(text: str) -> float | None:
    """The days of a duration written as text ("90 days", "4 hours", "P1W", "PT1H"), or None."""
    return parse_duration(text)


def _beyond_range(type_: Type, value: Any) -> bool:
    """A number (or a duration written as text) that is not a finite float."""
    if type(value) is OutOfRange:
        return type_ in (NUMBER, DURATION)
    if type_ == DURATION and isinstance(value, str):
        days = _days(value)
        return days is not None and not math.isfinite(days)
    return False


def _duration_validator(spec: FieldSpec) -> Any:
    """A number of days, or text like "90 days", "2 weeks", "3 months", "1 year", as a Duration."""
    minimum = 0.0 if spec.minimum is None else spec.minimum
    maximum = spec.maximum

    def validate(value: Any) -> Duration | OutOfRange:
        if isinstance(value, Duration):
            days = value.days
        elif isinstance(value, OutOfRange):
            return value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            days = float(value)  # a number the reader gives is a finite float
        elif isinstance(value, str) and (text_days := _days(value)) is not None:
            if not math.isfinite(text_days):  # "1000…000 days": beyond float range
                return OutOfRange(value)
            days = text_days
        else:
            raise PydanticCustomError("duration_type", "not a duration")
        if days < minimum or (maximum is not None and days > maximum):
            raise PydanticCustomError("duration_range", "duration out of range")
        return Duration(days)

    return PlainValidator(validate)


def _annotation(type_: Type, spec: FieldSpec, inner: bool = False) -> Any:
    """The pydantic annotation that checks a value of `type_` (the model is strict)."""
    if isinstance(type_, ScaleType):
        return _as_any(Literal)[type_.values] if type_.values else str
    if isinstance(type_, ListType):
        return list[_annotation(type_.element, spec, inner)]  # type: ignore[misc]
    if isinstance(type_, RecordType):
        return _object_model(type_)
    if type_ == NUMBER:
        return _number_annotation(spec)
    if type_ == DATE:
        return _annotated(datetime.date, BeforeValidator(_date_from_text))
    if type_ == DATETIME:
        return _annotated(datetime.datetime, PlainValidator(_instant))
    if type_ == DURATION:
        return _annotated(Duration, _duration_validator(spec))
    if type_ == BOOL:
        return bool
    if spec.path == "name" and not inner:
        return _annotated(str, Field(min_length=1))
    if type_ in (TEXT, SUBJECT):
        return str
    return Any  # a type the schema could not resolve: accept anything, the checker reports it


@functools.cache
def _object_model(record: RecordType) -> type[BaseModel]:
    """The model of one object of a `list of { ... }` field: its declared fields, checked like state
    fields; other keys are left out (a close misspelling of a declared one is reported first)."""
    definitions: dict[str, Any] = {}
    for index, spec in enumerate(record.fields):
        annotation = _annotation(spec.type, spec, inner=True)
        default: Any = ... if spec.required else None
        definitions[f"field_{index}"] = (
            annotation if spec.required else _as_any(Union)[annotation, None],
            Field(default, alias=spec.path),
        )
    config = ConfigDict(strict=True, extra="ignore")
    return create_model("StateObject", __config__=config, **definitions)


# ---------------------------------------------------------------------------------------------
# the same checks without pydantic, for well-formed values

# What a fast check answers for a value it does not vouch for: pydantic then validates the whole
# subject, and words every error as before.
_SLOW: Any = object()

_Check = Callable[[Any], Any]


def _fast_check(type_: Type, spec: FieldSpec, inner: bool = False) -> _Check | None:
    """The value the model would give for `type_` (as `_annotation` declares it), for the values
    whose check is simple (text, a scale value, a number in range, a date, a list of those);
    `_SLOW` for any other value. None when pydantic is to check every value (objects)."""
    if isinstance(type_, ScaleType):
        return _exact(str, frozenset(type_.values) if type_.values else None)
    if isinstance(type_, ListType):
        element = _fast_check(type_.element, spec, inner)
        return None if element is None else _list_check(element)
    if isinstance(type_, RecordType):
        return None
    if type_ == NUMBER:
        return _number_check(spec)
    if type_ == DATE:
        return _exact(datetime.date)
    if type_ == DATETIME:
        return _plain_check(_instant)
    if type_ == DURATION:
        return _plain_check(_duration_validator(spec).func)
    if type_ == BOOL:
        return _exact(bool)
    if spec.path == "name" and not inner:
        return _name_check
    if type_ in (TEXT, SUBJECT):
        return _exact(str)
    return _any_check


def _exact(kind: type, values: frozenset[str] | None = None) -> _Check:
    """A value of exactly this type (strict: no bool for an int, no datetime for a date), among
    `values` if given."""
    if values is None:
        return lambda value: value if type(value) is kind else _SLOW
    return lambda value: value if type(value) is kind and value in values else _SLOW


def _name_check(value: Any) -> Any:
    return value if type(value) is str and value else _SLOW


def _any_check(value: Any) -> Any:
    return value


def _list_check(element: _Check) -> _Check:
    def check(value: Any) -> Any:
        if type(value) is not list:
            return _SLOW
        items = []
        for item in value:
            checked = element(item)
            if checked is _SLOW:
                return _SLOW
            items.append(checked)
        return items

    return check


def _plain_check(validate: Callable[[Any], Any]) -> _Check:
    """A validator pydantic calls as it is (`PlainValidator`): called here the same way."""

    def check(value: Any) -> Any:
        try:
            return validate(value)
        except Exception:  # its error is worded by pydantic's run
            return _SLOW

    return check


def _number_check(spec: FieldSpec) -> _Check:
    """An int (or a finite float, unless `integer`) within the bounds, among the allowed values:
    what `_number_annotation` accepts unchanged. Percentages and numbers beyond range go to pydantic."""
    low, high = spec.minimum, spec.maximum
    kinds = (int,) if spec.integer else (int, float)
    accepted = frozenset(spec.allowed) if spec.allowed is not None else None

    def check(value: Any) -> Any:
        kind = type(value)
        if kind not in kinds or (kind is float and not math.isfinite(value)):
            return _SLOW
        if (low is not None and value < low) or (high is not None and value > high):
            return _SLOW
        if accepted is not None and value not in accepted:
            return _SLOW
        return value

    return check


@dataclass(frozen=True)
class _Plan:
    """What loading does with the value of one declared field, decided once per schema."""

    spec: FieldSpec
    check: _Check | None  # None: pydantic checks it
    objects: bool  # a `list of { ... }` (at any depth): objects built, their keys checked
    ranged: bool  # may hold a number (or duration) beyond float range: `_out_of_range` looks
    reference: str | None  # "subject", "subjects" (a list of them) or "objects", when it names subjects


def _plan(spec: FieldSpec) -> _Plan:
    type_ = spec.type
    objects = _has_objects(type_)
    reference = (
        "subject"
        if type_ == SUBJECT
        else "subjects"
        if type_ == ListType("list", SUBJECT)
        else "objects"
        if objects
        else None
    )
    return _Plan(spec, _fast_check(type_, spec), objects, objects or _leaf_ranged(type_), reference)


def _leaf_ranged(type_: Type) -> bool:
    while isinstance(type_, ListType):
        type_ = type_.element
    return type_ in (NUMBER, DURATION)


@dataclass(frozen=True)
class _Schema:
    """The fields a subject may have (declared and built-in), and the model that validates them."""

    specs: Mapping[str, FieldSpec]
    prefixes: frozenset[str]  # proper prefixes of dotted paths: `risk` for `risk.security`
    model: type[BaseModel]
    paths: Mapping[str, str]  # model field name -> dotted path
    # The declared keys of each mapping, by the mapping's dotted path ("" for the subject's top
    # level): the siblings an undeclared key may be a misspelling of.
    children: Mapping[str, frozenset[str]]
    closed: frozenset[str]  # mappings a `schema strict` block closes to undeclared keys
    plans: Mapping[str, _Plan] = field(default_factory=dict)  # by dotted path, for every spec
    required: tuple[tuple[str, FieldSpec], ...] = ()  # required fields other than `name`, sorted
    # One string object per dotted path (subjects share their keys): `risk.security` of every subject
    interned: Mapping[str, str] = field(default_factory=dict)
    # One frozenset per distinct set of groups the subjects write (most subjects write the same)
    groups: dict[frozenset[str], frozenset[str]] = field(default_factory=dict)

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
            # Only `name` is required of each entry: a required field may come from an overlay, so
            # it is checked once the subject's files are merged (`_check_required`).
            default: Any = ... if path == "name" else None
            definitions[name] = (_annotation(spec.type, spec), Field(default, alias=path))
            paths[name] = path
        config = ConfigDict(strict=True, extra="ignore")
        model = create_model("StateSubject", __config__=config, **definitions)
        children: dict[str, set[str]] = {}
        for path in [*specs, *prefixes]:
            parent, _, key = path.rpartition(".")
            children.setdefault(parent, set()).add(key)
        closed = frozenset(
            ".".join(parts[:end])
            for parts in (spec.path.split(".") for spec in specs.values() if spec.strict)
            for end in range(len(parts))
        )
        return _Schema(
            specs,
            prefixes,
            model,
            paths,
            {parent: frozenset(keys) for parent, keys in children.items()},
            closed,
            {path: _plan(spec) for path, spec in specs.items()},
            tuple((path, spec) for path, spec in sorted(specs.items()) if spec.required and path != "name"),
            {path: path for path in [*specs, *prefixes]},
        )

    def placement(self, path: str) -> tuple[str, str, str | None]:
        """Where an undeclared dotted path leaves the schema: the mapping it is written in, its
        first undeclared key there, and the declared value it would be written below, if any
        (`risk.securty.x` leaves at `risk`, key `securty`; `tier.x` is below the value `tier`)."""
        parent = ""
        for part in path.split("."):
            here = f"{parent}.{part}" if parent else part
            if here in self.specs:
                return parent, part, here
            if here not in self.prefixes:
                return parent, part, None
            parent = here
        return parent, path.rsplit(".", 1)[-1], None  # not reached for an undeclared path


# ---------------------------------------------------------------------------------------------
# flattening a subject to dotted paths


class _Field(NamedTuple):
    path: str
    value: Any  # plain Python value, as validation sees it
    node: Any  # the loaded value, which knows where list items are
    spot: Spot  # the value (or its key, for block collections)


@dataclass
class _Flattened:
    fields: dict[str, _Field] = field(default_factory=dict)
    keys: dict[str, Spot] = field(default_factory=dict)  # every key written, by dotted path
    problems: list[Diagnostic] = field(default_factory=list)
    groups: set[str] = field(default_factory=set)  # the prefixes written as mappings
    ignored: list[tuple[str, Spot]] = field(default_factory=list)  # undeclared keys read past
    # `observed:` / `source:` as written, by the dotted path of the field, or of the block ("" for
    # the subject), they are written on: key -> (the value, where it is)
    evidence: dict[str, dict[str, tuple[Any, Spot]]] = field(default_factory=dict)


# The keys that say where a fact comes from: on a block (the subject, `dora:`) or around a value
# (`change_failure_rate: {value: 0.12, observed: 2026-05-01}`), unless the schema declares them.
EVIDENCE_KEYS = ("observed", "source")
_ANNOTATED_KEYS = frozenset(("value", *EVIDENCE_KEYS))


def _flatten(
    mapping: YamlMap, prefix: str, schema: _Schema, source: SourceFile, into: _Flattened
) -> _Flattened:
    """Collect the subject's values by dotted path, reporting unknown fields and repeated paths."""
    marks, keys, plans, interned = mapping.marks, into.keys, schema.plans, schema.interned
    for key, value in mapping.items():
        written = marks.get(key)  # None for a key merged in with `<<`
        at_key = key_spot(mapping, key) if written is None else Spot(written[0], written[1])
        if type(key) is not str:
            message = f"field names must be text, got {_describe(_plain(key))}"
            into.problems.append(Diagnostic(SHAPE, message, at_key.span(source)))
            continue
        path = f"{prefix}.{key}" if prefix else key
        path = interned.get(path, path)
        if path in keys:
            message = f"`{path}` is given twice"
            help = f"first given at line {keys[path].line}"
            into.problems.append(Diagnostic(SHAPE, message, at_key.span(source), help))
            continue
        keys[path] = at_key
        plan = plans.get(path)
        if plan is None and path not in schema.prefixes:
            block, _, last = path.rpartition(".")  # `observed:` in `dora:`, or `dora.observed:`
            if last in EVIDENCE_KEYS and (block == prefix or block in schema.prefixes):
                into.evidence.setdefault(block, {})[last] = (_plain(value), value_spot(mapping, key, at_key))
                continue
        if plan is not None and type(value) is YamlMap and _with_evidence(value, plan):
            # `{value: 0.12, observed: 2026-05-01, source: dora-exporter}`: the value, and its evidence
            for name in EVIDENCE_KEYS:
                if name in value:
                    into.evidence.setdefault(path, {})[name] = (_plain(value[name]), value_spot(value, name))
            mapping_of_value, value = value, value["value"]
            written = None
            at_key = key_spot(mapping_of_value, "value")
            if value is not None:
                at_value = value_spot(mapping_of_value, "value", at_key)
                plain = value if type(value) in _SCALAR_TYPES else _plain(value)
                into.fields[path] = _Field(path, plain, value, at_value)
            continue
        if plan is not None:
            if value is not None:
                kind = type(value)
                if written is None:
                    at_value = value_spot(mapping, key, at_key)
                elif kind in _COLLECTION_TYPES and not value.flow:
                    at_value = at_key
                else:
                    at_value = Spot(written[2], written[3])
                plain = value if kind in _SCALAR_TYPES else _plain(value)
                into.fields[path] = _Field(path, plain, value, at_value)
                if plan.objects:
                    spec = plan.spec
                    into.problems.extend(_object_key_typos(value, spec.type, path, source, into, spec.strict))
        elif path in schema.prefixes:
            if type(value) is YamlMap:
                into.groups.add(path)
                _flatten(value, path, schema, source, into)
            elif value is not None:
                child = min(spec for spec in schema.specs if spec.startswith(path + "."))
                message = (
                    f"`{path}` must be a mapping of fields like `{child}`, got {_describe(_plain(value))}"
                )
                spot = value_spot(mapping, key, at_key)
                into.problems.append(Diagnostic(TYPE, message, spot.span(source)))
        else:
            problem = _unknown_field(path, at_key, schema, source)
            if problem is None:
                into.ignored.append((path, at_key))
            else:
                into.problems.append(problem)
    return into


def _with_evidence(value: YamlMap, plan: _Plan) -> bool:
    """Whether a mapping written for a declared field is its value with evidence (`{value: 0.12,
    observed: 2026-05-01}`): a declared field that holds no mapping itself (not `any`, no objects), written
    with `value` and nothing but `observed` and `source` beside it."""
    if "value" not in value or plan.objects or plan.spec.type == ANY or plan.spec.path in BUILTIN_FIELDS:
        return False
    return all(type(key) is str and key in _ANNOTATED_KEYS for key in value)


def _evidence(
    flat: _Flattened, schema: _Schema, source: SourceFile
) -> tuple[Mapping[str, Evidence], list[Diagnostic]]:
    """Each fact's evidence, by dotted path: its own `observed:` and `source:`, else its block's,
    its block's block's... up to the subject's, with the schema's `fresh for` of the field; the
    problems of the keys that are not a date or a text."""
    problems: list[Diagnostic] = []
    written: dict[str, dict[str, Any]] = {}
    for place, given in flat.evidence.items():
        checked: dict[str, Any] = {}
        for key, (value, spot) in given.items():
            where = f"`{place}`" if place else "the subject"
            if key == "observed":
                day = parse_date(value)
                if day is None:
                    message = f"`observed` (on {where}) must be a date, got {_describe(value)}"
                    help = "write the day the facts were observed as YYYY-MM-DD, e.g. observed: 2026-05-01"
                    problems.append(Diagnostic(TYPE, message, spot.span(source), help))
                    continue
                checked[key] = day
            elif not isinstance(value, str) or not value.strip():
                message = f"`source` (on {where}) must be a text, got {_describe(value)}"
                help = "name what observed the facts, e.g. source: dora-exporter"
                problems.append(Diagnostic(TYPE, message, spot.span(source), help))
            else:
                checked[key] = value
        if checked:
            written[place] = checked
    if not written:
        return _NO_EVIDENCE, problems
    specs = schema.specs
    evidence: dict[str, Evidence] = {}
    for path in flat.fields:
        found: dict[str, Any] = {}
        at: str | None = path
        while at is not None:  # the field, its block, ... the subject ("")
            for key, value in written.get(at, {}).items():
                found.setdefault(key, value)
            at = None if not at else at.rpartition(".")[0]
        if found:
            spec = specs.get(path)
            fresh_days, fresh_text = (None, None) if spec is None else (spec.fresh_days, spec.fresh_text)
            evidence[path] = Evidence(found.get("observed"), found.get("source"), fresh_days, fresh_text)
    return evidence, problems


def _unknown_field(path: str, at_key: Spot, schema: _Schema, source: SourceFile) -> Diagnostic | None:
    """The problem with a key no schema declares, or None when it is simply ignored.

    State files are open: an undeclared key is other data, unless it is a misspelling of a key
    declared in the same mapping (a sibling: never the mapping itself, nor a key elsewhere), sits
    below a declared value, or is written in a mapping a `schema strict` block closes."""
    span = at_key.span(source)
    if path in DERIVED_FIELDS:
        message = f"`{path}` is computed from `depends_on` and cannot be set"
        return Diagnostic(UNKNOWN_FIELD, message, span, help="remove it")
    parent, key, value = schema.placement(path)
    if value is not None:
        message = (
            f"`{value}` is a single value ({_expected(schema.specs[value].type, schema.specs[value])}), "
        )
        message += f"so `{path}` cannot be set below it"
        return Diagnostic(TYPE, message, span, help=f"write `{value}` itself, or declare the fields below it")
    siblings = schema.children.get(parent, frozenset())
    typo = misspelling_of(key, siblings)
    within = f"{parent}." if parent else ""
    if typo is not None:
        meant = within + typo + path[len(within) + len(key) :]  # a dotted key keeps what follows
        return Diagnostic(UNKNOWN_FIELD, f"unknown field `{path}`", span, help=f"did you mean `{meant}`?")
    if parent in schema.closed:
        where = f"`{parent}`" if parent else "a subject"
        help = did_you_mean(key, siblings, cutoff=_SHORT_NAME_CUTOFF)
        if help is None:
            declared = ", ".join(f"`{within}{name}`" for name in sorted(siblings))
            help = f"a `schema strict` block declares the keys of {where}: {declared}"
        else:
            help = help.replace("`", f"`{within}", 1)
        return Diagnostic(UNKNOWN_FIELD, f"field `{path}` is not declared", span, help)
    return None


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


def _fields_of(record: RecordType) -> str:
    return ", ".join(f"`{spec.path}`" for spec in record.fields)


def _expected(type_: Type, spec: FieldSpec) -> str:
    """What a value of `type_` looks like, for "must be ..." in messages."""
    if isinstance(type_, ScaleType):
        return f"one of {_choices(type_)}"
    if isinstance(type_, RecordType):
        return f"a mapping of fields {_fields_of(type_)}"
    if isinstance(type_, ListType):
        return f"a list of {_expected_items(type_.element, spec)}"
    if type_ == NUMBER:
        return ("an integer" if spec.integer else "a number") + _range_text(spec)
    if type_ == DURATION:
        bounds = _range_text(spec, " days") if spec.minimum is not None or spec.maximum is not None else ""
        return (
            f'a duration{bounds} (a number of days, text like "90 days" or "4 hours", '
            'or ISO 8601 like "P1W" or "PT4H")'
        )
    return {
        TEXT.name: "text",
        BOOL.name: "true or false",
        DATE.name: "a date like 2027-03-31",
        DATETIME.name: "a date and time with its time zone, like 2026-05-01T10:00:00+02:00",
        SUBJECT.name: "the name of a subject",
    }.get(type_.name, f"a {type_.name}")


def _expected_items(type_: Type, spec: FieldSpec) -> str:
    if isinstance(type_, ScaleType):
        return f"{_choices(type_)} values"
    if isinstance(type_, ListType):
        return "lists"
    if isinstance(type_, RecordType):
        return f"mappings of fields {_fields_of(type_)}"
    if type_ == NUMBER:
        return ("integers" if spec.integer else "numbers") + _range_text(spec)
    return {
        TEXT.name: "text",
        BOOL.name: "true/false values",
        DATE.name: "dates",
        DATETIME.name: "date-times with their time zone",
        DURATION.name: "durations",
        SUBJECT.name: "subject names",
    }.get(type_.name, f"{type_.name} values")


def _steps(spec: FieldSpec, loc: Sequence[int | str]) -> tuple[tuple[int | str, ...], FieldSpec, Type]:
    """The list indexes and object fields an error's location goes through (pydantic adds the
    names of union members, which are left out), with the spec and type of the value reached."""
    type_: Type = spec.type
    steps: list[int | str] = []
    for part in loc:
        if isinstance(type_, ListType) and isinstance(part, int):
            steps.append(part)
            type_ = type_.element
        elif isinstance(type_, RecordType) and isinstance(part, str) and part in type_.by_name:
            steps.append(part)
            spec = type_.by_name[part]
            type_ = spec.type
    return tuple(steps), spec, type_


def _label(path: str, items: Sequence[int | str]) -> str:
    label = f"`{path}`"
    for step in items:
        label = f"item {step + 1} of {label}" if isinstance(step, int) else f"`{step}` of {label}"
    return label


def _token(source: SourceFile, spot: Spot) -> str:
    return source.line_text(spot.line)[spot.column - 1 : spot.column - 1 + spot.width(source)]


def _type_help(type_: Type, value: Any, token: str) -> str | None:
    """A hint for the common mistakes: unquoted text, yes/no for booleans, a scalar for a list."""
    if isinstance(value, Mapping) and "value" in value and not isinstance(type_, RecordType):
        others = ", ".join(f"`{key}`" for key in value if key not in _ANNOTATED_KEYS)
        if others:
            return f"beside `value`, write only `observed` and `source` (not {others})"
        return (
            "this field cannot carry `observed:` and `source:` around its value (a built-in field, or "
            "a list of objects): write them on its block or on the subject"
        )
    if type_ in (TEXT, SUBJECT) and isinstance(value, int | float | bool | datetime.date | OutOfRange):
        return f'quote it to make it text: "{token}"'
    if type_ == BOOL and isinstance(value, str):
        return "write `true` or `false`"
    if type_ == DATE and isinstance(value, datetime.datetime):
        return f"{DATE_HELP}; to keep the time of day, declare the field `datetime`"
    if type_ == DATE and not isinstance(value, list | Mapping):
        return DATE_HELP
    if type_ == DATETIME and isinstance(value, datetime.datetime | str) and parse_datetime(value) is None:
        if isinstance(value, datetime.datetime) or "T" in value or ":" in value:
            return f"the time zone is missing: {DATETIME_HELP}"
        return DATETIME_HELP
    if type_ == DATETIME and not isinstance(value, list | Mapping):
        return DATETIME_HELP
    if type_ == DURATION and not isinstance(value, list | Mapping):
        return DURATION_HELP
    if type_ == NUMBER and isinstance(value, str):
        return "write a number, e.g. 0.999, or a percentage, e.g. 99.9%"
    if isinstance(type_, ListType) and not isinstance(value, list | Mapping):
        return f"write a list, e.g. `[{token}]`"
    if isinstance(type_, RecordType) and not isinstance(value, Mapping):
        first = type_.fields[0].path if type_.fields else "field"
        return f"write a mapping, e.g. `{{{first}: ...}}`"
    return None


@dataclass(frozen=True)
class _Located:
    """A subject being validated: its text, where it starts, and what flattening found."""

    source: SourceFile
    spot: Spot
    flat: _Flattened
    name: str | None


# What a candidate's `located` holds once validated: its flattened fields are spent (see `_candidate`).
_SPENT = _Flattened()
# The `sources` of a subject no overlay adds to (shared: a subject's mappings are never changed).
_NO_SOURCES: Mapping[str, str] = {}
_NO_EVIDENCE: Mapping[str, Evidence] = {}


def _validate(
    schema: _Schema, located: _Located, default_kind: str | None
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """The validated values by dotted path, or the diagnostics of every invalid value."""
    checked = _checked(schema, located, default_kind)
    if checked is not None:
        return checked, []
    data = {path: entry.value for path, entry in located.flat.fields.items()}
    if default_kind is not None:
        data.setdefault("kind", default_kind)
    try:
        model = schema.model.model_validate(data)
    except ValidationError as error:
        return {}, _error_diagnostics(error.errors(), schema, located)
    values = {schema.paths[name]: getattr(model, name) for name in model.model_fields_set}
    return dict(sorted(values.items())), []


def _checked(schema: _Schema, located: _Located, default_kind: str | None) -> dict[str, Any] | None:
    """The values the model would give, when every one passes its fast check; else None."""
    plans = schema.plans
    values: dict[str, Any] = {}
    for path, entry in located.flat.fields.items():
        check = plans[path].check
        value = _SLOW if check is None else check(entry.value)
        if value is _SLOW:
            return None
        values[path] = value
    if default_kind is not None and "kind" not in values:
        kind = plans["kind"].check
        value = _SLOW if kind is None else kind(default_kind)
        if value is _SLOW:
            return None
        values["kind"] = value
    if "name" not in values:  # pydantic words it
        return None
    return dict(sorted(values.items()))


def _error_diagnostics(errors: list[ErrorDetails], schema: _Schema, located: _Located) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    seen: set[tuple[object, ...]] = set()
    for error in errors:
        path = str(error["loc"][0])
        if path not in schema.specs:
            continue
        # A union reports once per member (`int`, `float`); keep the first report of each value.
        items, _, _ = _steps(schema.specs[path], error["loc"][1:])
        if (path, items) in seen:
            continue
        seen.add((path, items))
        diagnostics.append(_error_diagnostic(error, schema.specs[path], items, located))
    return diagnostics


def _error_spot(located: _Located, path: str, items: Sequence[int | str]) -> Spot:
    """The value an error is about, following list indexes and object fields down from the
    field's value (an absent field of an object: the object)."""
    entry = located.flat.fields.get(path)
    if entry is None:
        return _missing_spot(located, path)
    node, spot = entry.node, entry.spot
    for step in items:
        if isinstance(step, int) and type(node) is YamlSeq and 0 <= step < len(node):
            spot, node = item_spot(node, step), node[step]
        elif isinstance(step, str) and type(node) is YamlMap and step in node:
            spot, node = value_spot(node, step), node[step]
        else:
            break
    return spot


def _missing_spot(located: _Located, path: str) -> Spot:
    """For an absent value: its key if written empty, else the closest enclosing key, else the subject."""
    parts = path.split(".")
    for end in range(len(parts), 0, -1):
        spot = located.flat.keys.get(".".join(parts[:end]))
        if spot is not None:
            return spot
    return located.spot


def _error_diagnostic(
    error: ErrorDetails, top: FieldSpec, items: tuple[int | str, ...], located: _Located
) -> Diagnostic:
    path, value, kind = top.path, error["input"], error["type"]
    spot = _error_spot(located, path, items)
    span = spot.span(located.source)
    label = _label(path, items)
    _, spec, type_ = _steps(top, items)
    if kind == "missing" and items:
        who = _label(path, items[:-1])
        help = f"`{items[-1]}`: {spec.description}" if spec.description else None
        return Diagnostic(REQUIRED, f"{who} is missing required field `{items[-1]}`", span, help)
    if kind == "missing":
        if path == "name":
            return Diagnostic(
                REQUIRED, "subject has no `name`", span, help="every subject needs a unique `name`"
            )
        who = f"subject `{located.name}`" if located.name else "subject"
        help = f"`{path}`: {spec.description}" if spec.description else None
        return Diagnostic(REQUIRED, f"{who} is missing required field `{path}`", span, help)
    if path == "name" and not items:
        message = (
            "`name` must not be empty" if value == "" else f"`name` must be text, got {_describe(value)}"
        )
        return Diagnostic(SHAPE, message, span)
    if kind == "allowed_values" and spec.allowed is not None:
        allowed = ", ".join(show_number(number) for number in spec.allowed)
        nearest = min(spec.allowed, key=lambda number: (abs(number - value), number))
        return Diagnostic(
            RANGE,
            f"{label} must be one of {allowed}, got {_describe(value)}",
            span,
            f"the closest allowed value is {show_number(nearest)}",
        )
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
    spot: Spot


@dataclass
class _Candidate:
    """A subject, or an overlay of one, as loaded from one file, before the checks across files."""

    located: _Located
    name_spot: Spot
    overlay: bool  # an entry of `overlays:`: facts added to a subject another entry defines
    values: dict[str, Any] | None  # validated, by dotted path; None when its own values are invalid
    references: list[_Reference]
    rejected: bool = False  # set by the checks across files
    # Its file holds no control character, raw or escaped (no backslash): no text of it can hold one.
    plain_text: bool = False
    ignored: tuple[IgnoredField, ...] = ()  # its keys no schema declares
    # Where each value it writes is, by dotted path in path order: what the checks across files
    # and the subject's `locations` read, once the file's tree and the flattened fields are gone.
    spots: dict[str, Spot] = field(default_factory=dict)
    groups: frozenset[str] = frozenset()  # the mappings it writes (`risk` for `risk.security`)
    # For a definition, where each required field it does not write would go (`_missing_spot`).
    missing: dict[str, Spot] = field(default_factory=dict)
    # Where each of its facts comes from and when it was observed, when it says (`_evidence`).
    evidence: Mapping[str, Evidence] = field(default_factory=dict)

    @property
    def source(self) -> SourceFile:
        return self.located.source

    @property
    def name(self) -> str | None:
        return self.located.name

    def spot_of(self, path: str) -> Spot:
        return self.spots.get(path, self.located.spot)


def _load_file(
    file: StateFile, schema: _Schema, limits: YamlLimits
) -> tuple[list[_Candidate], list[Diagnostic]]:
    read = _read(file, limits)
    source, problems = read.source, list(read.diagnostics)
    documents = read.documents
    candidates: list[_Candidate] = []
    plain_text = "\\" not in source.text and _CONTROL.search(source.text) is None
    for document, root in documents:
        nodes, shape_problems = _subject_nodes(document, root, source)
        problems.extend(shape_problems)
        for node in nodes:
            candidate, subject_problems = _candidate(node, schema, source)
            candidate.plain_text = plain_text
            candidates.append(candidate)
            problems.extend(subject_problems)
    return candidates, problems


def _candidate(
    node: _SubjectNode, schema: _Schema, source: SourceFile
) -> tuple[_Candidate, list[Diagnostic]]:
    flat = _flatten(node.mapping, "", schema, source, _Flattened())
    name_field = flat.fields.get("name")
    name = name_field.value if name_field and isinstance(name_field.value, str) and name_field.value else None
    spot = mapping_spot(node.mapping)
    located = _Located(source, spot, flat, name)
    values, problems = _validate(schema, located, node.default_kind)
    evidence, evidence_problems = _evidence(flat, schema, source)
    problems = flat.problems + evidence_problems + problems + _out_of_range(schema, flat, source)
    valid = name is not None and not any(problem.is_error for problem in problems)
    if valid and name is not None:
        values = _with_objects(values, schema, located, name)
    name_spot = name_field.spot if name_field else spot
    ignored = tuple(IgnoredField(source.path, at.line, at.column, path, name) for path, at in flat.ignored)
    references = _references(schema, flat, source)
    # What the checks across files read is where each value is written: the loaded tree, the raw
    # values and the flattened fields go, so a file's tree is freed once its subjects are
    # validated, and a candidate keeps one Spot per value (the subject's `locations` reuse them).
    fields = flat.fields
    spots = {path: fields[path].spot for path in sorted(fields)}
    overlay = node.default_kind is None
    missing = {} if overlay else _missing_required(schema, located, spots)
    groups = frozenset(flat.groups)
    groups = schema.groups.setdefault(groups, groups)  # subjects share their few sets of groups
    slim = _Located(source, spot, _SPENT, name)
    candidate = _Candidate(
        slim,
        name_spot,
        overlay,
        values if valid else None,
        references,
        ignored=ignored,
        spots=spots,
        groups=groups,
        missing=missing,
        evidence=evidence,
    )
    return candidate, problems


def _missing_required(schema: _Schema, located: _Located, spots: Mapping[str, Spot]) -> dict[str, Spot]:
    """Where each required field a definition does not write would be reported missing, found
    while its keys are known (an overlay may still give it)."""
    return {path: _missing_spot(located, path) for path, _ in schema.required if path not in spots}


def _out_of_range(schema: _Schema, flat: _Flattened, source: SourceFile) -> list[Diagnostic]:
    """A warning where each number beyond float range is written in a number or duration field
    (an item of a list, or a field of an object, included): it is kept, and every rule that reads
    it is NOT YET (in a field of another type, it is the usual type error)."""
    problems = []
    plans = schema.plans
    for path, entry in flat.fields.items():
        plan = plans[path]
        if not plan.ranged or (not plan.objects and type(entry.value) in _IN_RANGE):
            continue
        for type_, value, spot, steps in _leaves(
            entry.value, entry.node, entry.spot, schema.specs[path].type
        ):
            if not _beyond_range(type_, value):
                continue
            written = value.text if isinstance(value, OutOfRange) else str(value)
            message = (
                f"{_label(path, steps)} is {number_as_written(written)}: not a number decisionlang "
                "computes with (finite, within ±1.8e308)"
            )
            help = "every rule that reads it is NOT YET until it is a number in range"
            problems.append(Diagnostic(NUMBER_RANGE, message, spot.span(source), help, Severity.WARNING))
    return problems


# Values that are never beyond float range (a number the reader gives is finite, or OutOfRange).
_IN_RANGE = frozenset((int, float, bool, type(None)))

_Leaf = tuple[Type, Any, Spot, tuple[int | str, ...]]


def _leaves(
    value: Any, node: Any, spot: Spot, type_: Type, steps: tuple[int | str, ...] = ()
) -> Iterator[_Leaf]:
    """The values inside a field's value as written, with their declared type, place and the
    list indexes and object fields that lead to them; a list of lists is one leaf per item."""
    if isinstance(type_, ListType) and type(node) is YamlSeq and isinstance(value, list):
        for index, item in enumerate(value[: len(node)]):
            element = type_.element
            if isinstance(element, ListType):
                yield element, item, item_spot(node, index), (*steps, index)
            else:
                yield from _leaves(item, node[index], item_spot(node, index), element, (*steps, index))
        return
    if isinstance(type_, RecordType) and type(node) is YamlMap and isinstance(value, Mapping):
        for spec in type_.fields:
            if spec.path in node and node[spec.path] is not None:
                at = value_spot(node, spec.path)
                yield from _leaves(value.get(spec.path), node[spec.path], at, spec.type, (*steps, spec.path))
        return
    yield type_, value, spot, steps


def _place(path: str, steps: Sequence[int | str]) -> str:
    """`changes[0].service`: a value inside a field (items counted from 0), as traces, missing
    information and ignored keys name it."""
    return path + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in steps)


def _has_objects(type_: Type) -> bool:
    while isinstance(type_, ListType):
        type_ = type_.element
    return isinstance(type_, RecordType)


def _with_objects(values: dict[str, Any], schema: _Schema, located: _Located, name: str) -> dict[str, Any]:
    """The validated objects of `list of { ... }` fields as `Record`s that know where they are."""
    for path, value in values.items():
        if not schema.plans[path].objects:
            continue
        type_ = schema.specs[path].type
        entry = located.flat.fields.get(path)
        if entry is not None:
            values[path] = _objects(value, type_, entry.node, entry.spot, (name, located.source.path), path)
    return values


def _objects(value: Any, type_: Type, node: Any, spot: Spot, owner: tuple[str, str], path: str) -> Any:
    if isinstance(type_, ListType) and isinstance(value, list):
        items = node if type(node) is YamlSeq and len(node) == len(value) else None
        return [
            _objects(
                item,
                type_.element,
                items[index] if items is not None else None,
                item_spot(items, index) if items is not None else spot,
                owner,
                f"{path}[{index}]",
            )
            for index, item in enumerate(value)
        ]
    if isinstance(type_, RecordType) and isinstance(value, BaseModel):
        fields: dict[str, Any] = {}
        locations: dict[str, tuple[int, int]] = {"": (spot.line, spot.column)}
        for index, spec in enumerate(type_.fields):
            inner = getattr(value, f"field_{index}", None)
            if inner is None:  # absent, or written null: unknown, as for state fields
                continue
            written = type(node) is YamlMap and spec.path in node
            at = value_spot(node, spec.path) if written else spot
            fields[spec.path] = _objects(
                inner, spec.type, node[spec.path] if written else None, at, owner, f"{path}.{spec.path}"
            )
            locations[spec.path] = (at.line, at.column)
        return Record(owner[0], owner[1], path, fields, locations)
    return value


def _object_key_typos(
    node: Any,
    type_: Type,
    path: str,
    source: SourceFile,
    into: _Flattened,
    strict: bool = False,
    steps: tuple[int | str, ...] = (),
) -> list[Diagnostic]:
    """Keys of a list's objects that are misspellings of a sibling, a field the object's type
    declares (`statuss` for `status`): errors, as for state fields; any other key of an object is
    ignored and listed (`git.pull_requests[0].labels`, named as traces name the item), unless a
    `schema strict` block declares the list, which closes its objects too."""
    if isinstance(type_, ListType) and type(node) is YamlSeq:
        return [
            problem
            for index, item in enumerate(node)
            for problem in _object_key_typos(item, type_.element, path, source, into, strict, (*steps, index))
        ]
    if not (isinstance(type_, RecordType) and type(node) is YamlMap):
        return []
    problems: list[Diagnostic] = []
    for key, value in node.items():
        spec = type_.by_name.get(key) if isinstance(key, str) else None
        if spec is not None:
            problems.extend(_object_key_typos(value, spec.type, path, source, into, strict, (*steps, key)))
            continue
        if not isinstance(key, str):
            continue  # reported with the item's value
        spot = key_spot(node, key)
        message = f"unknown field `{key}` in {_label(path, steps)}"
        suggestion = misspelling_of(key, type_.by_name)
        if suggestion is not None:
            help = f"did you mean `{suggestion}`?"
            problems.append(Diagnostic(UNKNOWN_FIELD, message, spot.span(source), help))
        elif strict:
            declared = ", ".join(f"`{name}`" for name in sorted(type_.by_name))
            help = did_you_mean(key, type_.by_name, cutoff=_SHORT_NAME_CUTOFF) or (
                f"a `schema strict` block declares the fields of these objects: {declared}"
            )
            problems.append(Diagnostic(UNKNOWN_FIELD, message, spot.span(source), help))
        else:
            into.ignored.append((_place(path, (*steps, key)), spot))
    return problems


@dataclass(frozen=True)
class _Fact:
    """A validated value of a subject, and the entry (definition or overlay) that states it."""

    value: Any
    by: _Candidate


def _subject(name: str, entries: Sequence[_Candidate], facts: Mapping[str, _Fact]) -> Subject:
    """The subject that its definition (`entries[0]`) and overlays give."""
    definition = entries[0]
    values = {path: fact.value for path, fact in sorted(facts.items())}
    for path in ("tags", "depends_on", "targets"):
        values.setdefault(path, [])
    locations: dict[str, tuple[int, int]] = {}
    sources: dict[str, str] = {}
    evidence = {path: fact.by.evidence[path] for path, fact in facts.items() if path in fact.by.evidence}
    for path, fact in facts.items():
        if path not in fact.by.spots:
            continue  # `kind` by default
        spot = fact.by.spot_of(path)
        locations[path] = (spot.line, spot.column)
        if fact.by is not definition:
            sources[path] = fact.by.source.path
    located = definition.located
    return Subject(
        name=name,
        kind=str(values["kind"]),
        file=located.source.path,
        line=located.spot.line,
        column=located.spot.column,
        fields=values,
        locations=locations,
        groups=frozenset(group for entry in entries for group in entry.groups),
        sources=sources,
        overlays=tuple(dict.fromkeys(entry.source.path for entry in entries[1:])),
        evidence=evidence or _NO_EVIDENCE,
    )


def _defined_subject(name: str, definition: _Candidate) -> Subject:
    """The subject of a definition without overlays: what `_subject` gives for it, directly."""
    assert definition.values is not None
    # The candidate is spent once its subject is built: its values and spots become the subject's.
    values = definition.values
    locations: Mapping[str, tuple[int, int]] = definition.spots
    for path in ("tags", "depends_on", "targets"):
        values.setdefault(path, [])
    located = definition.located
    return Subject(
        name=name,
        kind=str(values["kind"]),
        file=located.source.path,
        line=located.spot.line,
        column=located.spot.column,
        fields=values,
        locations=locations,
        groups=definition.groups,
        sources=_NO_SOURCES,
        overlays=(),
        evidence=definition.evidence,
    )


def _references(schema: _Schema, flat: _Flattened, source: SourceFile) -> list[_Reference]:
    """Every subject name written in a subject-typed field (objects' fields included), wherever
    the rest of the subject stands."""
    references: list[_Reference] = []
    plans = schema.plans
    for path, entry in flat.fields.items():
        kind = plans[path].reference
        if kind is None:
            continue
        type_ = plans[path].spec.type
        if kind == "subject" and isinstance(entry.value, str):
            references.append(_Reference(path, entry.value, entry.spot))
        elif kind == "subjects" and type(entry.node) is YamlSeq:
            for index, item in enumerate(entry.value):
                if isinstance(item, str):
                    references.append(_Reference(path, item, item_spot(entry.node, index)))
        elif kind == "objects":
            for leaf_type, value, spot, steps in _leaves(entry.value, entry.node, entry.spot, type_):
                if leaf_type == SUBJECT and isinstance(value, str):
                    references.append(_Reference(_place(path, steps), value, spot))
                elif leaf_type == ListType("list", SUBJECT) and isinstance(value, list):
                    references.extend(
                        _Reference(_place(path, steps), item, spot) for item in value if isinstance(item, str)
                    )
    return references


# ---------------------------------------------------------------------------------------------
# checks across files


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _check_control_characters(candidates: Sequence[_Candidate]) -> list[Diagnostic]:
    """Reject texts carrying control characters: printed, they could rewrite a reviewer's terminal."""
    problems: list[Diagnostic] = []
    for candidate in candidates:
        if candidate.values is None or candidate.plain_text:
            continue
        for path, value in sorted(candidate.values.items()):
            bad = next((m for text in _texts(value) if (m := _CONTROL.search(text))), None)
            if bad is None:
                continue
            candidate.rejected = True
            spot = candidate.spot_of(path)
            problems.append(
                Diagnostic(
                    TYPE,
                    f"`{path}` contains the control character U+{ord(bad.group()):04X}",
                    point(candidate.source, spot.line, spot.column),
                    help="texts may hold any printable character, tabs and line breaks, but no control codes",
                )
            )
    return problems


def _texts(value: Any) -> list[str]:
    """The texts of a value, inside lists and objects too."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    if isinstance(value, Record):
        return [text for item in value.fields.values() for text in _texts(item)]
    return []


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


def _check_overlays(candidates: Sequence[_Candidate], definitions: Sequence[_Candidate]) -> list[Diagnostic]:
    """Reject every overlay of a subject that no file defines."""
    problems: list[Diagnostic] = []
    names = sorted({candidate.name for candidate in definitions if candidate.name is not None})
    known = set(names)
    for candidate in candidates:
        if not candidate.overlay or candidate.name is None or candidate.name in known:
            continue
        candidate.rejected = True
        message = f"overlay of `{candidate.name}`, which no state file defines"
        help = did_you_mean(candidate.name, names, cutoff=_SHORT_NAME_CUTOFF) or (
            "an overlay adds facts to a subject defined under `services:` or `initiatives:` "
            "(or as a document with a `name`) in a state file"
        )
        problems.append(Diagnostic(DANGLING, message, candidate.name_spot.span(candidate.source), help))
    return problems


def _check_references(
    candidates: Sequence[_Candidate], definitions: Sequence[_Candidate]
) -> list[Diagnostic]:
    """Reject every subject that names a subject no file declares."""
    problems: list[Diagnostic] = []
    # Subjects with invalid values still exist: naming them is not a dangling reference.
    names = sorted({candidate.name for candidate in definitions if candidate.name is not None})
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


# ---------------------------------------------------------------------------------------------
# merging each subject's definition and overlays


def _merge(candidates: Sequence[_Candidate], schema: _Schema) -> tuple[list[Subject], list[Diagnostic]]:
    """One subject per definition, with the facts its overlays add; a fact stated twice with two
    values is an error naming both places (the merge has no order: nothing overrides anything)."""
    overlays: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        if candidate.overlay and candidate.name is not None:
            overlays.setdefault(candidate.name, []).append(candidate)
    subjects: list[Subject] = []
    problems: list[Diagnostic] = []
    for definition in candidates:
        if definition.overlay:
            continue
        name = definition.name
        group = [definition, *sorted(overlays.get(name, ()) if name else (), key=_entry_order)]
        missing = _check_required(definition, group, schema)
        problems.extend(missing)
        if name is None or missing or any(entry.rejected or entry.values is None for entry in group):
            continue
        if len(group) == 1:  # no overlay: no conflict, every fact is the definition's
            subjects.append(_defined_subject(name, definition))
            continue
        facts, conflicts = _facts(name, group)
        problems.extend(conflicts)
        if not conflicts:
            subjects.append(_subject(name, group, facts))
    return subjects, problems


def _entry_order(candidate: _Candidate) -> tuple[str, int, int]:
    return (candidate.source.path, candidate.located.spot.line, candidate.located.spot.column)


def _facts(name: str, group: Sequence[_Candidate]) -> tuple[dict[str, _Fact], list[Diagnostic]]:
    facts: dict[str, _Fact] = {}
    problems: list[Diagnostic] = []
    for entry in group:
        for path, value in (entry.values or {}).items():
            first = facts.get(path)
            if first is None:
                facts[path] = _Fact(value, entry)
            elif path != "name" and not _same(first.value, value):
                problems.append(_conflict(name, path, first, _Fact(value, entry)))
            elif path != "name" and _observed_later(entry.evidence.get(path), first.by.evidence.get(path)):
                facts[path] = _Fact(value, entry)  # the same value, observed again since: that observation
    return facts, problems


def _observed_later(again: Evidence | None, first: Evidence | None) -> bool:
    """Whether a second statement of the same fact carries a later observation than the first."""
    if again is None or again.observed is None:
        return False
    return first is None or first.observed is None or again.observed > first.observed


def _same(a: Any, b: Any) -> bool:
    """One fact stated twice the same way: equal values of one kind (`1` and `1.0` are one number;
    `true` is not `1`)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    numbers = isinstance(a, int | float) and isinstance(b, int | float)
    return bool(a == b) and (numbers or type(a) is type(b))


def _conflict(name: str, path: str, first: _Fact, second: _Fact) -> Diagnostic:
    spot, at = second.by.spot_of(path), first.by.spot_of(path)
    where = f"{first.by.source.path}:{at.line}:{at.column}"
    message = (
        f"`{path}` of `{name}` is {_describe(_shown(second.value))} here, "
        f"but {_describe(_shown(first.value))} at {where}"
    )
    help = "state each fact in one file, or the same way in each: remove one of them, or make them agree"
    return Diagnostic(CONFLICT, message, spot.span(second.by.source), help)


def _shown(value: Any) -> Any:
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, list):
        return [_shown(item) for item in value]
    return value


def _check_required(definition: _Candidate, group: Sequence[_Candidate], schema: _Schema) -> list[Diagnostic]:
    """A required field that neither the definition nor any overlay gives (written, not null)."""
    if not schema.required:
        return []
    given = {path for entry in group for path in entry.spots}
    problems = []
    for path, spec in schema.required:
        if path in given:
            continue
        span = definition.missing.get(path, definition.located.spot).span(definition.source)
        help = f"`{path}`: {spec.description}" if spec.description else None
        who = f"subject `{definition.name}`" if definition.name else "subject"
        message = f"{who} is missing required field `{path}`"
        problems.append(Diagnostic(REQUIRED, message, span, help))
    return problems


# ---------------------------------------------------------------------------------------------
# the layout of a subject's mappings, for describing state files (JSON Schema)


@dataclass(frozen=True)
class StateLayout:
    """The fields a subject may have (declared and built-in), as loading reads them: what a
    description of state files (`decisionlang schema`) follows, so it cannot drift from the loader."""

    specs: Mapping[str, FieldSpec]  # by dotted path, built-in fields included
    prefixes: frozenset[str]  # the mappings dotted paths go through: `risk` for `risk.security`
    closed: frozenset[str]  # the mappings a `schema strict` block closes ("" is the top level)
    required: tuple[str, ...]  # the required fields other than `name`, sorted


def state_layout(fields: Mapping[str, FieldSpec]) -> StateLayout:
    """The layout of the subjects `load_states` reads with these declared fields."""
    schema = _Schema.build(fields)
    return StateLayout(
        schema.specs, schema.prefixes, schema.closed, tuple(path for path, _ in schema.required)
    )

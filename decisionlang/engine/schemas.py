"""JSON Schemas (draft 2020-12) of the files a decision repo holds: state files, waiver files and
policy tests (`*.test.yaml`), generated from the checked program, for editors (the YAML language
server completes and validates with them) and for CI (`check-jsonschema`).

Each schema follows what the loader accepts, as far as JSON Schema can say it:

- state files (`decisionlang.inputs.states`): the layout of one subject, or `services:`,
  `initiatives:` and `overlays:` lists; every declared field with its type, range, allowed values,
  unit and description; a value written `null` is absent; dotted keys (`risk.security: 3`) as well
  as nested mappings; `required` fields on the subjects a file defines (not on overlays); mappings a
  `schema strict` block closes refuse undeclared keys, the others stay open;
- waiver files (`decisionlang.inputs.waivers`) and test files (`decisionlang.engine.testing`): their
  fixed keys, the policies and rule ids of the program, and a test case's inline subjects as state
  subjects.

What JSON Schema cannot say is left to `decisionlang validate`: a key that misspells a declared one
in an open mapping, a key given twice (once dotted, once nested), a range on a percentage or a
duration written as text, a subject name that no state file defines, a fact two files give
differently.

The output is deterministic: the same program gives the same bytes (sorted keys).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from decisionlang.core.diagnostics import Diagnostic, sorted_diagnostics
from decisionlang.core.model import Verdict
from decisionlang.engine.loadcache import checked_policies, store_of
from decisionlang.inputs.cache import Cache
from decisionlang.inputs.sources import SourceSet
from decisionlang.inputs.states import EVIDENCE_KEYS, StateLayout, state_layout
from decisionlang.inputs.waivers import REQUIRED as WAIVER_REQUIRED
from decisionlang.inputs.waivers import TARGETS as WAIVER_TARGETS
from decisionlang.language.checker import Program
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

__all__ = ["TARGETS", "Target", "json_schema", "project_schema", "render_schema"]

Target = Literal["states", "waivers", "tests"]
TARGETS: tuple[Target, ...] = ("states", "waivers", "tests")

DIALECT = "https://json-schema.org/draft/2020-12/schema"

Schema = dict[str, Any]

# The forms the loader reads as text (decisionlang.core.dates), as ECMA-262 patterns (no flags).
_DIGITS = r"\d+(?:\.\d+)?"
PERCENT = rf"^\s*-?{_DIGITS}\s*%\s*$"
DAY = r"^\d{4}-\d{2}-\d{2}$"
INSTANT = r"^\s*\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?\s*(?:[Zz]|[+-]\d{2}:?\d{2})\s*$"


def _any_case(word: str) -> str:
    return "".join(f"[{letter.upper()}{letter}]" for letter in word)


_UNITS = "|".join(_any_case(unit) for unit in ("second", "minute", "hour", "day", "week", "month", "year"))
LENGTH = (
    rf"^\s*{_DIGITS}\s*(?:{_UNITS})[Ss]?\s*$"
    rf"|^\s*P(?!\s*$)(?:{_DIGITS}Y)?(?:{_DIGITS}M)?(?:{_DIGITS}W)?(?:{_DIGITS}D)?"
    rf"(?:T(?=\d)(?:{_DIGITS}H)?(?:{_DIGITS}M)?(?:{_DIGITS}S)?)?\s*$"
)
# A text holds no control character but tabs and line breaks (DL-STATE-TYPE).
PRINTABLE = r"^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$"
NOT_BLANK = r"\S"

_COLLECTIONS = ("services", "initiatives")
_OVERLAYS = "overlays"


def json_schema(program: Program, target: Target) -> Schema:
    """The JSON Schema of one kind of file, for the checked `program`."""
    if target == "states":
        return _states(program)
    if target == "waivers":
        return _waivers(program)
    return _tests(program)


def render_schema(schema: Schema) -> str:
    """The schema as JSON text: sorted keys, two-space indents, one trailing line break."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# state files


def _states(program: Program) -> Schema:
    layout = state_layout(program.fields)
    definitions = _subject_definitions(layout, _kinds(program))
    definitions["collections"] = {
        "type": "object",
        "description": "subjects under `services:` (kind service) and `initiatives:` (kind "
        "initiative), and `overlays:` adding facts to subjects defined in any state file",
        "properties": {
            **{
                key: {
                    "type": ["array", "null"],
                    "description": f"subjects of kind `{kind}` unless they say another `kind`",
                    "items": {"$ref": "#/$defs/subject"},
                }
                for key, kind in (("services", "service"), ("initiatives", "initiative"))
            },
            _OVERLAYS: {
                "type": ["array", "null"],
                "description": "facts added to subjects defined in a state file (each fact may be "
                "given once, or the same way everywhere)",
                "items": {"$ref": "#/$defs/overlay"},
            },
        },
        "patternProperties": {"^x-": {"description": "holds anchors for `<<: *anchor` merges"}},
        "additionalProperties": False,
    }
    collection = {"type": "object", "anyOf": [{"required": [key]} for key in (*_COLLECTIONS, _OVERLAYS)]}
    subject = {"$ref": "#/$defs/subject"}
    # A mapping with a `name` is one subject; else one with a list is a file of lists; else a
    # subject (without a name, which is an error); an empty document (null) is nothing.
    document = {
        "if": {"type": "object", "required": ["name"]},
        "then": subject,
        "else": {
            "if": collection,
            "then": {"$ref": "#/$defs/collections"},
            "else": {"if": {"type": "object"}, "then": subject},
        },
    }
    return {
        "$schema": DIALECT,
        "title": "decisionlang state file",
        "description": "One subject (a mapping with a `name`), or `services:`, `initiatives:` and "
        "`overlays:` lists; a YAML file may hold several documents. Generated by `decisionlang schema` "
        "from the policies' `schema` blocks.",
        "type": ["object", "null"],
        **document,
        "$defs": definitions,
    }


def _kinds(program: Program) -> list[str]:
    """The kinds the policies select (`applies to kind ...`), with the two defaults."""
    named = {
        kind
        for policy in program.policies.values()
        if policy.selector is not None
        for clause in policy.selector.kinds
        for kind in clause
    }
    return sorted({"service", "initiative", *named})


def _subject_definitions(layout: StateLayout, kinds: Sequence[str]) -> dict[str, Schema]:
    """`subject` (a definition), `overlay` and one `mapping...` per mapping of a subject."""
    definitions: dict[str, Schema] = {}
    for prefix in ("", *sorted(layout.prefixes)):
        definitions[_mapping_name(prefix)] = _mapping(layout, prefix, kinds)
    definitions["evidence.observed"] = {
        "type": "string",
        "format": "date",
        "pattern": DAY,
        "description": "the day the facts of this mapping (or this value) were observed: a fact older "
        "than its schema's `fresh for` is stale, read as unknown",
    }
    definitions["evidence.source"] = {
        **_text(),
        "description": "what observed the facts of this mapping (or this value): an exporter, an "
        "import, a person",
    }
    definitions["subject"] = {
        "$ref": f"#/$defs/{_mapping_name('')}",
        "required": ["name"],
        **({"allOf": [_present(path.split(".")) for path in layout.required]} if layout.required else {}),
    }
    definitions["overlay"] = {
        "$ref": f"#/$defs/{_mapping_name('')}",
        "required": ["name"],
        "description": "facts added to the subject of this name, defined in a state file",
    }
    return definitions


def _mapping_name(prefix: str) -> str:
    return f"fields.{prefix}" if prefix else "fields"


def _mapping(layout: StateLayout, prefix: str, kinds: Sequence[str]) -> Schema:
    """The keys of one mapping of a subject: every declared path below it, written nested or
    dotted (`risk: {security: 3}` or `risk.security: 3`)."""
    start = f"{prefix}." if prefix else ""
    properties: dict[str, Schema] = {}
    patterns: dict[str, Schema | bool] = {}
    for path in sorted(layout.specs):
        if not path.startswith(start):
            continue
        key = path[len(start) :]
        spec = layout.specs[path]
        properties[key] = _field(spec, kinds)
        # A key below a single value (`tier.level` when `tier` is a number) is DL-STATE-TYPE.
        patterns[f"^{_literal(key)}\\."] = False
    for group in sorted(layout.prefixes):
        if not group.startswith(start):
            continue
        key = group[len(start) :]
        properties[key] = {"$ref": f"#/$defs/{_mapping_name(group)}"}
        if prefix in layout.closed and group not in layout.closed:
            patterns[f"^{_literal(key)}\\."] = True  # dotted keys into an open mapping
    for key in EVIDENCE_KEYS:  # where the facts of the mapping come from, unless declared
        if key not in properties and f"{start}{key}" not in layout.prefixes:
            properties[key] = {"$ref": f"#/$defs/evidence.{key}"}
    if not prefix:
        for path, spec in sorted(DERIVED_FIELDS.items()):
            properties[path] = {"not": {}, "description": f"computed from `depends_on` ({spec.description})"}
    schema: Schema = {"type": ["object", "null"] if prefix else "object", "properties": properties}
    if patterns:
        schema["patternProperties"] = patterns
    if prefix in layout.closed:
        schema["additionalProperties"] = False
    return schema


def _literal(key: str) -> str:
    """A key as a pattern matching itself (ECMA-262 escapes)."""
    return "".join(f"\\{char}" if char in "\\^$.|?*+()[]{}/" else char for char in key)


def _present(parts: Sequence[str]) -> Schema:
    """A required field, written dotted or nested at any level, and not null."""
    ways: list[Schema] = []
    for cut in range(len(parts), 0, -1):
        head, rest = ".".join(parts[:cut]), parts[cut:]
        inner = _present(rest) if rest else {"not": {"type": "null"}}
        ways.append({"required": [head], "properties": {head: inner}})
    return ways[0] if len(ways) == 1 else {"anyOf": ways}


def _field(spec: FieldSpec, kinds: Sequence[str] = ()) -> Schema:
    """One field of a subject: its value, or null (absent), with its description."""
    value = _value(spec.type, spec)
    if spec.path == "name":
        value = {"type": "string", "minLength": 1, "pattern": PRINTABLE}
    elif spec.path == "kind" and kinds:
        value = {**value, "examples": list(kinds)}
    schema = value if spec.path == "name" else _nullable(value)
    if _may_carry_evidence(spec):  # `{value: 0.12, observed: 2026-05-01, source: dora-exporter}`
        evidenced = {
            "type": "object",
            "properties": {
                "value": schema,
                **{key: {"$ref": f"#/$defs/evidence.{key}"} for key in EVIDENCE_KEYS},
            },
            "required": ["value"],
            "additionalProperties": False,
        }
        schema = {"anyOf": [schema, evidenced]}
    description = _description(spec)
    return {**schema, "description": description} if description else schema


def _may_carry_evidence(spec: FieldSpec) -> bool:
    """Whether the loader reads `{value: ..., observed: ...}` for the field: a declared field whose
    value is no mapping itself (`states._with_evidence`)."""
    if spec.path in BUILTIN_FIELDS:
        return False
    type_ = spec.type
    while isinstance(type_, ListType):
        type_ = type_.element
    return not isinstance(type_, RecordType) and type_ != ANY


def _description(spec: FieldSpec) -> str | None:
    parts = [spec.description] if spec.description else []
    if spec.unit:
        parts.append(f"unit: {spec.unit}")
    return "; ".join(parts) or None


def _nullable(schema: Schema) -> Schema:
    """The schema, or null: a value written null (or empty) is absent."""
    if not schema:
        return schema
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    if "anyOf" in schema:
        return {**schema, "anyOf": [*schema["anyOf"], {"type": "null"}]}
    if isinstance(schema.get("type"), str):
        return {**schema, "type": [schema["type"], "null"]}
    if isinstance(schema.get("type"), list):
        return {**schema, "type": [*schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def _value(type_: Type, spec: FieldSpec, strict: bool | None = None) -> Schema:
    """A value of `type_` as the loader checks it (`decisionlang.inputs.states._annotation`)."""
    closed = spec.strict if strict is None else strict
    if isinstance(type_, ScaleType):
        return {"enum": list(type_.values)} if type_.values else _text()
    if isinstance(type_, ListType):
        return {"type": "array", "items": _value(type_.element, spec, closed)}
    if isinstance(type_, RecordType):
        return _record(type_, closed)
    if type_ == NUMBER:
        return _number(spec)
    if type_ == DATE:
        return {"type": "string", "format": "date", "pattern": DAY}
    if type_ == DATETIME:
        return {"type": "string", "pattern": INSTANT}
    if type_ == DURATION:
        return _duration(spec)
    if type_ == BOOL:
        return {"type": "boolean"}
    if type_ in (TEXT, SUBJECT):
        return _text()
    return {}  # a type the checker could not resolve: anything


def _text() -> Schema:
    return {"type": "string", "pattern": PRINTABLE}


def _number(spec: FieldSpec) -> Schema:
    """A number in range, or a percentage (`99.9%` is the number 0.999; its range is checked by
    `decisionlang validate`): the bounds apply to numbers only, the pattern to texts only."""
    if spec.allowed is not None:
        return {"enum": [_json_number(number) for number in spec.allowed]}
    number: Schema = {"type": ["integer" if spec.integer else "number", "string"], "pattern": PERCENT}
    if spec.minimum is not None:
        number["minimum"] = _json_number(spec.minimum)
    if spec.maximum is not None:
        number["maximum"] = _json_number(spec.maximum)
    return number


def _duration(spec: FieldSpec) -> Schema:
    """A number of days in range, or a length of time written as text."""
    minimum = _json_number(spec.minimum or 0)
    days: Schema = {"type": ["number", "string"], "minimum": minimum, "pattern": LENGTH}
    if spec.maximum is not None:
        days["maximum"] = _json_number(spec.maximum)
    return days


def _json_number(number: float) -> int | float:
    return int(number) if math.isfinite(number) and float(number).is_integer() else number


def _record(record: RecordType, strict: bool) -> Schema:
    """An object of a `list of { ... }`: its declared fields (required ones present, not null);
    other keys ignored, unless a `schema strict` block declares the list."""
    properties = {}
    for spec in record.fields:
        value = _value(spec.type, spec, strict)
        shown = value if spec.required else _nullable(value)
        description = _description(spec)
        properties[spec.path] = {**shown, "description": description} if description else shown
    schema: Schema = {"type": "object", "properties": properties}
    required = [spec.path for spec in record.fields if spec.required]
    if required:
        schema["required"] = required
    if strict:
        schema["additionalProperties"] = False
    return schema


# ---------------------------------------------------------------------------------------------
# waiver files


def _scalar_text() -> Schema:
    """What the waiver and test readers take as text: any scalar, not empty."""
    return {
        "anyOf": [
            {"type": "string", "pattern": NOT_BLANK},
            {"type": ["number", "boolean"]},
        ]
    }


_WAIVER_FIELDS = {
    "id": "the waiver's unique id, e.g. W-2026-014",
    "subject": "the subject whose verdict it lifts",
    "rule": "a rule id (policy.rule): the rule's outcome is accepted",
    "policy": "a policy: every rule of it is accepted",
    "requirement": "a maturity requirement (model.level.name): counted as met",
    "term": "a criteria term (criteria.name): left out of the score",
    "owner": "who accepts the risk",
    "approver": "who approved the waiver",
    "rationale": "why the risk is accepted",
    "compensating_measure": "what is done meanwhile",
    "granted": "the day it was granted (YYYY-MM-DD)",
    "expires": "the last day it applies (YYYY-MM-DD)",
}


def _waivers(program: Program) -> Schema:
    rules = sorted(set(program.rule_ids.values()))
    names: dict[str, Schema] = {
        "rule": {"examples": rules} if rules else {},
        "policy": {"examples": sorted(program.policies)} if program.policies else {},
        "requirement": {},
        "term": {},
    }
    properties: dict[str, Schema] = {}
    for key in (*WAIVER_REQUIRED, *WAIVER_TARGETS):
        if key in ("granted", "expires"):
            value: Schema = {"type": "string", "format": "date", "pattern": DAY}
        else:
            value = {**_scalar_text(), **names.get(key, {})}
        properties[key] = {**value, "description": _WAIVER_FIELDS[key]}
    waiver = {
        "type": "object",
        "description": "one assumed compromise: every field is required, and one target (`rule`, "
        "`policy`, `requirement` or `term`)",
        "properties": properties,
        "required": list(WAIVER_REQUIRED),
        "oneOf": [{"required": [key]} for key in WAIVER_TARGETS],
        "additionalProperties": False,
    }
    return {
        "$schema": DIALECT,
        "title": "decisionlang waiver file",
        "description": "A `waivers:` list (docs/governance.md). "
        "Generated by `decisionlang schema --for waivers`.",
        "type": "object",
        "properties": {"waivers": {"type": "array", "items": {"$ref": "#/$defs/waiver"}}},
        "required": ["waivers"],
        "$defs": {"waiver": waiver},
    }


# ---------------------------------------------------------------------------------------------
# policy tests (`*.test.yaml`)


def _tests(program: Program) -> Schema:
    from decisionlang.engine.compiler import compile_program
    from decisionlang.engine.testing import rule_ids_of

    layout = state_layout(program.fields)
    definitions = _subject_definitions(layout, _kinds(program))
    policies = sorted(program.policies)
    rules = sorted(rule_ids_of(compile_program(program))) if program.policies else []
    policy = {"enum": policies} if policies else _scalar_text()
    rule = {"enum": rules} if rules else _scalar_text()
    verdicts = [verdict.value for verdict in Verdict]
    scope = {
        "description": "the policies under test: `all`, or a list (by default those of the policy file "
        "the test file is named after)",
        "anyOf": [{"const": "all"}, {"type": "array", "items": policy}],
    }
    day = {"type": "string", "format": "date", "pattern": DAY, "description": "evaluate as on this day"}
    texts = {"type": "array", "items": _scalar_text()}
    expect = {
        "type": "object",
        "description": "what the case expects of the subject under test",
        "properties": {
            "verdict": {"enum": verdicts, "description": "the verdict of the policies under test"},
            "policies": {
                "type": "object",
                "description": "each policy's verdict",
                "propertyNames": policy,
                "additionalProperties": {"enum": verdicts},
            },
            "rules": {"type": "array", "items": rule, "description": "the rules that decide (exactly these)"},
            "warnings": {
                "type": "array",
                "items": rule,
                "description": "the warnings raised (exactly these)",
            },
            "missing": {**texts, "description": "the missing information (fields, or `FIELD of SUBJECT`)"},
            "message_contains": {**texts, "description": "texts the reasons contain"},
        },
        "required": ["verdict"],
        "additionalProperties": False,
    }
    inline = {
        "type": "array",
        "items": {"$ref": "#/$defs/subject"},
    }
    case = {
        "type": "object",
        "properties": {
            "name": {**_scalar_text(), "description": "the case's name, unique in its file"},
            "policies": scope,
            "subjects": {**inline, "description": "the case's subjects (kind service unless they say)"},
            "initiatives": {**inline, "description": "the case's initiatives"},
            "states": {**texts, "description": "state files, relative to the test file"},
            "subject": {**_scalar_text(), "description": "the subject under test, when the case has several"},
            "as_of": day,
            "expect": expect,
        },
        "required": ["name", "expect"],
        "additionalProperties": False,
    }
    return {
        "$schema": DIALECT,
        "title": "decisionlang policy tests",
        "description": "A `*.test.yaml` file (docs/cli.md#decisionlang-test). Generated by "
        "`decisionlang schema --for tests`.",
        "type": "object",
        "properties": {
            "as_of": day,
            "policies": scope,
            "cases": {"type": "array", "items": {"$ref": "#/$defs/case"}},
        },
        "required": ["cases"],
        "additionalProperties": False,
        "$defs": {**definitions, "case": case},
    }


# ---------------------------------------------------------------------------------------------
# a decision repo's schemas


def project_schema(
    root: str | Path | SourceSet, target: Target = "states", *, cache: Cache | bool = True
) -> tuple[Schema | None, tuple[Diagnostic, ...]]:
    """The JSON Schema of one kind of file of the decision repo at `root`, from its policies alone
    (state files are not read: the schema is what helps fix them), and the policies' diagnostics;
    None when the policies have errors."""
    files = root if isinstance(root, SourceSet) else SourceSet.from_disk(root)
    checked = checked_policies(files, store_of(cache))
    diagnostics = tuple(
        sorted_diagnostics([*files.diagnostics, *checked.parse_problems, *checked.check_problems])
    )
    if any(diagnostic.is_error for diagnostic in diagnostics):
        return None, diagnostics
    return json_schema(checked.program, target), diagnostics

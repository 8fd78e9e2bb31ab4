"""A subject's trace as the log keeps it: the model's own dict codec, tagged with its schema.

A record written before the codec (schema 1: the JSON report's subject object of
`decisionlang/report/v1`) is read too: the shapes differ only in how a diagnostic names its place
and in keys the codec derives (`reasons`, `must_hold`), which reading ignores. Such a record does
not know which fired rules a waiver lifted (`waived_rules`) nor the fields a rule lacked: both read
as empty. A record of the first codec shape (facts written whole in each rule, locations as
objects) reads too: the codec accepts both forms. So does a record of schema
`decisionlang/subject/v2`, written before the subject's `files` table (locations naming their file
in full, facts naming their subject): the codec reads both shapes.
"""

from __future__ import annotations

import json
from typing import Any

from decisionlang.core.codec import CodecError
from decisionlang.core.diagnostics import DecisionlangError, Diagnostic
from decisionlang.core.model import SubjectResult

TRACE_SCHEMA = "decisionlang/subject/v3"
READABLE_SCHEMAS = ("decisionlang/subject/v2", TRACE_SCHEMA)


def trace_text(result: SubjectResult) -> str:
    """The canonical JSON the log stores for one subject's result."""
    return canonical_json({"schema": TRACE_SCHEMA, **result.to_dict()})


def read_trace(text: str, *, subject: str = "") -> SubjectResult:
    """The result a stored trace holds, whichever schema wrote it; a clear DL-LOG-TRACE error otherwise."""
    try:
        data: Any = json.loads(text)
        if not isinstance(data, dict):
            raise CodecError("", "an object (a subject's trace)", data)
        schema = data.pop("schema", None)
        if schema is None:
            data = upgrade_v1(data)
        elif schema not in READABLE_SCHEMAS:
            expected = f"`{TRACE_SCHEMA}` (or `{READABLE_SCHEMAS[0]}`, or none for a record of schema 1)"
            raise CodecError("schema", expected, schema)
        return SubjectResult.from_dict(data)
    except (ValueError, CodecError) as error:  # json.JSONDecodeError is a ValueError
        raise DecisionlangError(
            [
                Diagnostic(
                    "DL-LOG-TRACE",
                    f"the stored trace of `{subject}` cannot be read: {error}",
                    help="the log may have been written by a newer decisionlang, or edited by hand",
                )
            ]
        ) from None


def upgrade_v1(subject: dict[str, Any]) -> dict[str, Any]:
    """A schema-1 subject trace in today's shape: a rule's error names its place by file, line, column."""
    for policy in subject.get("policies") or ():
        if not isinstance(policy, dict):
            continue
        for rule in policy.get("rules") or ():
            if isinstance(rule, dict) and isinstance(rule.get("error"), dict):
                rule["error"] = _diagnostic_v1(rule["error"])
    return subject


def _diagnostic_v1(diagnostic: dict[str, Any]) -> dict[str, Any]:
    upgraded = {key: value for key, value in diagnostic.items() if key != "location"}
    location = diagnostic.get("location")
    if isinstance(location, dict):
        upgraded.update({key: location.get(key) for key in ("file", "line", "column")})
    return upgraded


def canonical_json(data: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

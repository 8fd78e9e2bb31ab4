"""The machine-readable report: one JSON object, schema `decisionlang/report/v3`.

The object is the decision model's own dict codec (`Report.to_dict()`, described by
`schemas/report-v3.schema.json`), plus the `changes` section of `check --base`. Output is
deterministic: the top-level keys come in a fixed order (`TOP_LEVEL`: what is known before the
subjects, the subjects one per line, then what needs them all), keys within are sorted, lists keep
report order, numbers keep 9 significant digits (`core/format.py`), so tiny floating-point noise
never changes the bytes. That order lets `JsonWriter` write the same bytes one subject at a time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from decisionlang.compare.changes import FactChange, Reading, SubjectChange, VerdictDiff, WaiverChange
from decisionlang.core.codec import to_data
from decisionlang.core.diagnostics import Diagnostic
from decisionlang.core.escapes import inert_json
from decisionlang.core.format import json_value
from decisionlang.core.model import REPORT_SCHEMA, Report, SubjectResult, Verdict
from decisionlang.render.diff import change_summary

SCHEMA_ID = REPORT_SCHEMA


def render_json(report: Report, diff: VerdictDiff | None = None) -> str:
    """The report as one JSON object (see `dump`) followed by a newline; with a verdict diff
    (`check --base`), its `changes` section too."""
    return dump(report_to_dict(report, diff))


def render_failure(diagnostics: Sequence[Diagnostic]) -> str:
    """The report of a run that evaluated nothing (invalid input): no verdict, only the diagnostics."""
    return dump(
        {
            "schema": SCHEMA_ID,
            "verdict": None,
            "summary": {verdict.value: 0 for verdict in Verdict},
            "diagnostics": [to_data(diagnostic) for diagnostic in diagnostics],
        }
    )


# Without `indent`, json writes with its C encoder: five times faster than the pure-Python one
# that `indent` forces, on a report of thousands of traced subjects.
_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


# The order of the top-level keys; any other key (`changes`) follows them, sorted.
TOP_LEVEL = ("schema", "as_of", "services", "diagnostics", "summary", "verdict")


def dump(data: Mapping[str, Any]) -> str:
    """A JSON object, reviewable in a diff: each top-level key on a line of its own (in the order
    of `TOP_LEVEL`, then sorted), and each item of a top-level list (a subject, a diagnostic) on
    a line of its own; keys within are sorted."""
    keys = [key for key in TOP_LEVEL if key in data] + sorted(key for key in data if key not in TOP_LEVEL)
    return inert_json("{\n" + ",\n".join(_member(key, data[key]) for key in keys) + "\n}\n")


def _member(key: str, value: Any) -> str:
    if isinstance(value, list) and value:
        items = ",\n".join(_ENCODE(item) for item in value)
        return f"{_ENCODE(key)}:[\n{items}\n]"
    return f"{_ENCODE(key)}:{_ENCODE(value)}"


class JsonWriter:
    """The bytes of `render_json`, written as the subjects come: the opening keys at once, each
    subject's line when it is added (the caller may drop its result then), and what needs every
    subject (diagnostics, summary, verdict) at `finish`. `write` receives text pieces in order;
    subjects must be added in report order (by name), from whatever produced them.

    A run of 100,000 traced subjects so holds one subject's trace at a time, not the report."""

    def __init__(self, write: Callable[[str], object], as_of: dt.date | None) -> None:
        self._write = write
        self._subjects = 0
        self._summary = {verdict.value: 0 for verdict in Verdict}
        opening = _member("schema", SCHEMA_ID)
        if as_of is not None:
            opening += ",\n" + _member("as_of", as_of.isoformat())
        write(inert_json("{\n" + opening))

    def add(self, result: SubjectResult) -> None:
        """Write one subject's line."""
        line = inert_json(_ENCODE(to_data(result)))
        self._write((',\n"services":[\n' if not self._subjects else ",\n") + line)
        self._subjects += 1
        self._summary[result.verdict.value] += 1

    def finish(self, verdict: Verdict, diagnostics: Sequence[Diagnostic]) -> None:
        """Close the report: the run's verdict (the worst of the subjects') and its diagnostics."""
        closing = ["\n]"] if self._subjects else []
        if diagnostics:
            closing.append(
                ",\n" + _member("diagnostics", [to_data(diagnostic) for diagnostic in diagnostics])
            )
        closing.append(",\n" + _member("summary", self._summary))
        closing.append(",\n" + _member("verdict", verdict.value))
        self._write(inert_json("".join(closing) + "\n}\n"))


def report_to_dict(report: Report, diff: VerdictDiff | None = None) -> dict[str, Any]:
    """The report as plain JSON data (dicts, lists, str, int, float, bool, None)."""
    data = report.to_dict()
    if diff is not None:
        data["changes"] = changes_to_dict(diff)
    return data


# ---------------------------------------------------------------- the verdict diff (`check --base`)


def changes_to_dict(diff: VerdictDiff) -> dict[str, Any]:
    """What the change does to the decisions: the base, each changed subject, the gate verdict."""

    evaluated = diff.base_evaluated
    return {
        "base": diff.base,
        "base_commit": diff.base_commit,
        "base_evaluated": evaluated,
        "base_verdict": diff.before.verdict.value if evaluated else None,
        "base_summary": diff.before.summary(),
        "base_diagnostics": [to_data(diagnostic) for diagnostic in diff.before.diagnostics],
        "verdict": diff.changed_verdict.value,
        "unchanged": diff.unchanged,
        "subjects": [change_to_dict(change, base_evaluated=evaluated) for change in diff.changes],
    }


def change_to_dict(change: SubjectChange, *, base_evaluated: bool = True) -> dict[str, Any]:
    return {
        "service": change.subject,
        "change": change.kind.value,
        "before": change.before.value if change.before is not None else None,
        "after": change.after.value if change.after is not None else None,
        "summary": change_summary(change, base_evaluated=base_evaluated),
        "rules_now": list(change.rules_now),
        "rules_before": list(change.rules_before),
        "facts": [fact_change_to_dict(fact) for fact in change.facts],
        "warnings_added": [to_data(warning) for warning in change.warnings_added],
        "warnings_removed": [to_data(warning) for warning in change.warnings_removed],
        "waivers_started": [waiver_change_to_dict(waiver) for waiver in change.waivers_started],
        "waivers_stopped": [waiver_change_to_dict(waiver) for waiver in change.waivers_stopped],
        "edited_rules": [
            {"rule": edit.rule, "before": edit.before, "after": edit.after} for edit in change.edited
        ],
    }


def fact_change_to_dict(fact: FactChange) -> dict[str, Any]:
    """`before`/`after` hold the value, null when the trace found it missing (`*_missing`)."""
    return {
        "subject": fact.subject,
        "field": fact.path,
        "before": _reading_value(fact.before),
        "after": _reading_value(fact.after),
        "before_missing": fact.before.missing,
        "after_missing": fact.after.missing,
        "location": to_data(fact.location),
    }


def _reading_value(reading: Reading) -> Any:
    return None if reading.missing else json_value(reading.value)


def waiver_change_to_dict(change: WaiverChange) -> dict[str, Any]:
    return {"policy": change.policy, "id": change.waiver.id, "expires": change.waiver.expires.isoformat()}

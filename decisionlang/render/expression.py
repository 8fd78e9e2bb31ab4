"""`decisionlang eval`: one expression's value for one subject, with its trace laid out as
`explain` lays out a rule's (facts read, comparisons, scores, trade-offs, verdicts read)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from decisionlang.core.codec import to_data
from decisionlang.core.escapes import inert_json, safe_line
from decisionlang.core.format import json_value, show
from decisionlang.core.undetermined import Undetermined
from decisionlang.render.explain import reading_lines
from decisionlang.render.text import indent, paint

if TYPE_CHECKING:
    from decisionlang.engine.expression import ExpressionResult

__all__ = ["render_expression_json", "render_expression_text"]


def render_expression_text(result: ExpressionResult, *, color: bool) -> str:
    trace = result.trace
    subject = result.subject
    shown = trace.message if isinstance(result.value, Undetermined) else show(result.value)
    lines = [
        f"{paint(result.expression, 'bold', color=color)}  ({result.type})",
        f"  = {shown}",
        f"for {subject} ({result.kind}), as of {result.as_of.isoformat()}",
    ]
    body = reading_lines(trace, subject, color=color)
    return "\n".join(safe_line(line) for line in [*lines, *indent(body, 2)]) + "\n"


def render_expression_json(result: ExpressionResult) -> str:
    value: Any = None if isinstance(result.value, Undetermined) else json_value(result.value)
    payload = {
        "schema": "decisionlang/eval/v1",
        "expression": result.expression,
        "subject": result.subject,
        "kind": result.kind,
        "as_of": result.as_of.isoformat(),
        "type": result.type,
        "value": value,
        "trace": to_data(result.trace),
    }
    return inert_json(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"

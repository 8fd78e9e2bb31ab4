"""Renderers: the human `check` text, the `explain` trace of one subject, the JSON report."""

from decisionlang.render.explain import render_explain
from decisionlang.render.json import render_json, report_to_dict
from decisionlang.render.text import render_text

__all__ = ["render_explain", "render_json", "render_text", "report_to_dict"]

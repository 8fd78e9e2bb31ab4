"""Renderers: one module per output, each a pure function of a report (and, for CI, a diff).

text (check), explain (one subject), json (the report), markdown / sarif / junit / github (CI),
html and adr (the board report), testreport (`decisionlang test`). The CI and board renderers
are imported from their modules, so that `check` does not load what it does not print.
"""

from decisionlang.render.explain import render_explain
from decisionlang.render.json import render_json, report_to_dict
from decisionlang.render.text import render_text

__all__ = ["render_explain", "render_json", "render_text", "report_to_dict"]

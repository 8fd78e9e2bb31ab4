"""Renderers: one module per output, each a pure function of a report (and, for CI, a diff).

text (check), explain (one subject), json (the report), markdown / sarif / junit / github (CI),
html and adr (the board report), testreport (`decisionlang test`). Every renderer is imported from
its module when first used (the names below too), so that `check` does not load what it does not
print.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from decisionlang.render.explain import render_explain
    from decisionlang.render.json import render_json, report_to_dict
    from decisionlang.render.text import render_text

__all__ = ["render_explain", "render_json", "render_text", "report_to_dict"]

_MODULES = {
    "render_explain": "decisionlang.render.explain",
    "render_json": "decisionlang.render.json",
    "report_to_dict": "decisionlang.render.json",
    "render_text": "decisionlang.render.text",
}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return getattr(importlib.import_module(_MODULES[name]), name)
    raise AttributeError(f"module 'decisionlang.render' has no attribute {name!r}")

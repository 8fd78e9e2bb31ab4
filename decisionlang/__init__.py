"""decisionlang: go / no-go / not-yet decisions for infrastructure, from readable policies.

The public API lives in `decisionlang.api`; names are imported lazily so that importing one stage
(say the parser) does not load every other.
"""

from __future__ import annotations

import importlib
from typing import Any

from decisionlang import _classcache

__version__ = "0.1.0"

_classcache.install()  # before any class of decisionlang is made: see decisionlang/_classcache.py

_EXPORTS = {
    "Project": "decisionlang.api",
    "check": "decisionlang.api",
    "evaluate_project": "decisionlang.api",
    "explain": "decisionlang.api",
    "load_project": "decisionlang.api",
    "validate": "decisionlang.api",
    "DecisionlangError": "decisionlang.core.diagnostics",
    "Diagnostic": "decisionlang.core.diagnostics",
    "Report": "decisionlang.core.model",
    "SubjectResult": "decisionlang.core.model",
    "Verdict": "decisionlang.core.model",
    "SourceFile": "decisionlang.inputs.sources",
    "SourceSet": "decisionlang.inputs.sources",
}

__all__ = [*sorted(_EXPORTS), "__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'decisionlang' has no attribute {name!r}")

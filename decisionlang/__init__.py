"""decisionlang: go / no-go / not-yet decisions for infrastructure, from readable policies."""

from decisionlang.api import Project, check, evaluate_project, explain, load_project, validate
from decisionlang.diagnostics import DecisionlangError, Diagnostic
from decisionlang.trace import Report, SubjectResult, Verdict

__version__ = "0.1.0"

__all__ = [
    "DecisionlangError",
    "Diagnostic",
    "Project",
    "Report",
    "SubjectResult",
    "Verdict",
    "__version__",
    "check",
    "evaluate_project",
    "explain",
    "load_project",
    "validate",
]

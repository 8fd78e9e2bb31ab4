"""What evaluating costs and touches: only the subjects asked for (and what their rules read),
no process-wide state, and no YAML or validation library behind the engine's imports."""

from __future__ import annotations

import datetime as dt
import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from decisionlang.core.subjects import Portfolio
from decisionlang.engine import evaluator
from decisionlang.engine.project import evaluate_project, load_project

ROOT = Path(__file__).parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
TODAY = dt.date(2026, 11, 26)
ENGINE = [
    "decisionlang.engine.evaluator",
    "decisionlang.engine.compiler",
    "decisionlang.core.model",
    "decisionlang.core.views",
    "decisionlang.core.subjects",
    "decisionlang.core.diagnostics",
    "decisionlang.core.spans",
    "decisionlang.language.parser",
    "decisionlang.language.checker",
    "decisionlang.language.ast",
    "decisionlang.language.types",
]


def test_importing_the_engine_imports_neither_yaml_nor_pydantic() -> None:
    code = (
        "import json, sys\n"
        + "".join(f"import {module}\n" for module in ENGINE)
        + "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(result.stdout))
    assert not loaded & {"ruamel", "pydantic", "pydantic_core", "yaml"}


class _Untouchable(tuple):  # type: ignore[type-arg]
    """The portfolio's list of subjects, which evaluating named subjects must not walk."""

    def __iter__(self) -> Iterator[Any]:
        raise AssertionError("the whole portfolio was walked")


class _Recording(dict):  # type: ignore[type-arg]
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)


def test_a_named_subject_reads_only_itself_and_what_its_rules_read() -> None:
    project = load_project(QUICKSTART)
    portfolio = project.portfolio
    by_name = _Recording(portfolio.by_name)
    watched = Portfolio(_Untouchable(portfolio.subjects), by_name, portfolio.dependents)
    options = evaluator.EvaluationOptions(today=TODAY, waivers=project.waivers)
    report = evaluator.evaluate(project.policies, watched, options, only=["payments-api"])
    assert [subject.subject for subject in report.subjects] == ["payments-api"]
    dependencies = set(portfolio.closure("payments-api", "depends_on"))
    assert dependencies and by_name.read <= {"payments-api", *dependencies}


def test_named_subjects_give_what_the_whole_evaluation_gives() -> None:
    project = load_project(QUICKSTART)
    whole = {s.subject: s for s in evaluate_project(project, as_of=TODAY).subjects}
    named = evaluate_project(project, as_of=TODAY, services=["website", "ledger-db", "website"])
    assert [s.subject for s in named.subjects] == ["ledger-db", "website"]
    assert all(subject == whole[subject.subject] for subject in named.subjects)


def test_evaluating_leaves_the_garbage_collector_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    project = load_project(QUICKSTART)
    calls: list[str] = []
    for name in ("freeze", "unfreeze", "set_threshold", "disable"):
        monkeypatch.setattr(gc, name, lambda *args, name=name: calls.append(name))
    evaluate_project(project, as_of=TODAY)
    assert calls == []

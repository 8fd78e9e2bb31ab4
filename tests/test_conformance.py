"""Table-driven conformance cases: tests/conformance/*.yaml, each a list of cases.

A case gives `policy` text (or `policies`: {file: text}), `state` YAML text (or `states`), an
optional `as_of` date and `strict`, and what to expect:
  expect:
    verdict: go | no-go | not-yet      # overall verdict
    subjects: {name: verdict, ...}     # per-subject verdicts
    decided_by: [rule ids]             # decisive rule ids over all subjects (sorted)
    missing: [field, ...]              # missing fields over all subjects (sorted)
    warnings: [rule ids]               # rules that raised warnings (sorted)
    messages: [text, ...]              # decisive messages (sorted)
    until: [text, ...]                 # what must hold (sorted, over all subjects)
    errors: [CODE, ...]                # diagnostics with error severity (sorted codes)
    warning_codes: [CODE, ...]         # diagnostics with warning severity (sorted codes)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from decisionlang.api import evaluate_project, load_project
from decisionlang.diagnostics import DecisionlangError

CASES_DIR = Path(__file__).parent / "conformance"


def _cases() -> list[Any]:
    params = []
    yaml = YAML(typ="safe", pure=True)
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.load(path.read_text(encoding="utf-8")):
            params.append(pytest.param(case, id=f"{path.stem}:{case['name']}"))
    return params


def _write(root: Path, case: dict[str, Any]) -> None:
    policies = case.get("policies") or {"case.policy": case["policy"]}
    states = case.get("states") or {"state.yaml": case.get("state", "")}
    for name, text in policies.items():
        target = root / "policies" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for name, text in states.items():
        target = root / "services" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def _codes(diagnostics: Any, errors: bool) -> list[str]:
    return sorted(d.code for d in diagnostics if d.is_error == errors)


@pytest.mark.parametrize("case", _cases())
def test_conformance(case: dict[str, Any], tmp_path: Path) -> None:
    _write(tmp_path, case)
    expect = case["expect"]
    project = load_project(tmp_path)
    if "errors" in expect:
        assert _codes(project.diagnostics, errors=True) == sorted(expect["errors"])
        if expect["errors"]:
            with pytest.raises(DecisionlangError):
                evaluate_project(project, as_of=dt.date(2026, 11, 26))
            return
    assert not project.errors, [str(d) for d in project.errors]
    as_of = case.get("as_of") or dt.date(2026, 11, 26)
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    report = evaluate_project(project, as_of=as_of, strict=bool(case.get("strict")))
    if "verdict" in expect:
        assert report.verdict.value == expect["verdict"]
    if "subjects" in expect:
        assert {s.subject: s.verdict.value for s in report.subjects} == expect["subjects"]
    decisive = [r for s in report.subjects for p in s.policies for r in p.reasons]
    if "decided_by" in expect:
        assert sorted({r.rule for r in decisive}) == sorted(expect["decided_by"])
    if "messages" in expect:
        assert sorted({r.message for r in decisive if r.message}) == sorted(expect["messages"])
    if "missing" in expect:
        assert sorted({m.path for s in report.subjects for m in s.missing}) == sorted(expect["missing"])
    if "warnings" in expect:
        assert sorted({w.rule for s in report.subjects for w in s.warnings}) == sorted(expect["warnings"])
    if "until" in expect:
        assert sorted({u for s in report.subjects for u in s.must_hold}) == sorted(expect["until"])
    if "warning_codes" in expect:
        assert sorted(set(_codes(report.diagnostics, errors=False))) == sorted(expect["warning_codes"])
    if "strict_errors" in expect:
        assert sorted({d.code for d in report.diagnostics if d.is_error}) == sorted(expect["strict_errors"])

"""The fuzzer in the suite: a bounded, seeded budget of mutated and generated inputs (the same inputs
on every run), and the corpus of minimised findings replayed as regression tests. The long run is
`make fuzz` (see docs/security.md)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from fuzz import run
from fuzz.driver import corpus_entries, fuzz
from fuzz.minimise import ddmin
from fuzz.mutate import seeds, terminal_samples
from fuzz.run import Outcome, run_input
from support import MINIMAL_PROJECT

from decisionlang.api import Project, SourceSet, load_project
from decisionlang.core.diagnostics import Diagnostic

SEED = 20261126
BUDGET = 2000  # inputs: about a minute on a shared core; `make fuzz` runs 100,000 and more
ENTRIES = corpus_entries()
OPEN = {str(entry["signature"]) for _path, entry in ENTRIES if entry.get("status") == "open"}


def _param(path: Path, entry: dict[str, Any]) -> Any:
    marks = []
    if entry.get("status") == "open":
        marks.append(pytest.mark.xfail(strict=True, reason=f"not fixed yet: {entry['owner']}"))
    return pytest.param(entry, id=path.stem, marks=marks)


@pytest.mark.parametrize("entry", [_param(path, entry) for path, entry in ENTRIES])
def test_corpus_entry_is_handled(entry: dict[str, Any]) -> None:
    result = run_input(entry["files"], with_cli=True)
    assert result.ok, f"{result.outcome.value}: {result.detail}"


# The CPU alarm may land in hypothesis' gc callback, which reports it as unraisable; the alarm repeats.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_seeded_budget_finds_nothing_new() -> None:
    tally = fuzz(SEED, BUDGET)
    assert tally.inputs == BUDGET
    new = {signature: finding for signature, finding in tally.findings.items() if signature not in OPEN}
    report = "\n".join(f"{f.count}x {s}: {f.result.detail}" for s, f in sorted(new.items()))
    assert not new, f"new findings (run `make fuzz` to minimise them into tests/fuzz/corpus/):\n{report}"


def test_the_harness_sees_every_kind_of_seed() -> None:
    names = {seed.name.split("#")[0] for seed in seeds()}
    assert {"minimal", "examples/quickstart", "examples/scaleup", "policies"} <= names
    assert any(name.startswith("conformance/") for name in names)
    assert "policy" in terminal_samples() and "9" * 400 in terminal_samples()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_classifier_catches_each_class(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fuzzer's own oracle must be able to fail: a crash, a hang, a missing position."""
    assert run_input(MINIMAL_PROJECT, with_cli=True, tests=True).ok
    assert run_input({**MINIMAL_PROJECT, "policies/p.policy": "policy p {"}).ok  # a located error is fine
    assert run_input(MINIMAL_PROJECT, cpu=0.001).outcome is Outcome.SLOW

    def broken(*_args: object, **_kwargs: object) -> str:
        raise ZeroDivisionError

    monkeypatch.setattr(run, "render_sarif", broken)
    escaped = run_input(MINIMAL_PROJECT)
    assert escaped.outcome is Outcome.ESCAPED and "ZeroDivisionError" in escaped.signature
    unpositioned = Diagnostic("DL-STATE-X", "no place", file="services/a.yaml")
    monkeypatch.setattr(run, "load_project", lambda _sources, **_options: _with(unpositioned))
    assert run_input(MINIMAL_PROJECT).outcome is Outcome.UNPOSITIONED


def _with(diagnostic: Diagnostic) -> Project:
    project = load_project(SourceSet.from_memory({}))
    return dataclasses.replace(project, diagnostics=(diagnostic,))


def test_ddmin_keeps_only_what_fails() -> None:
    budget = [1000]
    assert ddmin(list(range(40)), lambda kept: 7 in kept and 31 in kept, budget) == [7, 31]

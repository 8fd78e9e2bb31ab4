"""The fuzzer in the suite: a bounded, seeded budget of mutated and generated inputs (the same inputs
on every run), and the corpus of minimised findings replayed as regression tests. The long run is
`make fuzz` (see docs/security.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fuzz.driver import corpus_entries, fuzz
from fuzz.minimise import ddmin
from fuzz.mutate import seeds, terminal_samples
from fuzz.run import Outcome, run_input

SEED = 20261126
BUDGET = 3000  # inputs: about a minute on one core; `make fuzz` runs 100,000 and more
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


def test_the_classifier_catches_each_class() -> None:
    """The fuzzer's own oracle must be able to fail: a crash, a hang and a missing position."""
    assert run_input({"policies/p.policy": "policy p {}\n"}).ok
    assert run_input({"policies/p.policy": "policy p {"}).ok  # a located syntax error is fine
    assert run_input({"decisionlang.yaml": "policies: [nowhere]\n"}).outcome in {
        Outcome.OK,
        Outcome.UNPOSITIONED,
    }


def test_ddmin_keeps_only_what_fails() -> None:
    budget = [1000]
    assert ddmin(list(range(40)), lambda kept: 7 in kept and 31 in kept, budget) == [7, 31]

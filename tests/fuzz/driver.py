"""Generate inputs deterministically from a seed, run them, minimise and store the findings.

The budget is a count of inputs, never a time: the same seed and count give the same inputs."""

from __future__ import annotations

import functools
import hashlib
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from support import MINIMAL_PROJECT

from decisionlang.core.model import Report

from .minimise import minimise
from .mutate import Files, mutated_policy_input, mutated_yaml_input, seeds
from .run import Outcome, Result, evaluate, run_input, share_parses
from .yamlgen import yaml_input

CORPUS = Path(__file__).parent / "corpus"
TEST_FILE = "policies/gate.test.yaml"
YAML_SHARE = 0.1  # of the budget: generated YAML (hypothesis); the rest mutates the seeds
LARGE_SEED_WEIGHT = 0.25  # the example repos cost 100 times a conformance case: mutate them less often
CLI_EVERY = 97  # one input in this many also goes through the CLI, in-process


@dataclass
class Finding:
    result: Result
    files: Files
    count: int = 1


@dataclass
class Tally:
    inputs: int = 0
    cpu: float = 0.0
    by_outcome: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    findings: dict[str, Finding] = field(default_factory=dict)  # by signature, the first input

    def add(self, result: Result, files: Files) -> None:
        self.inputs += 1
        self.cpu += result.cpu
        self.by_outcome[result.outcome] += 1
        if result.ok:
            return
        if result.signature in self.findings:
            self.findings[result.signature].count += 1
        else:
            self.findings[result.signature] = Finding(result, files)


@functools.cache
def _base(name: str) -> Report | None:
    """The report of the unmutated seed: the `before` of the diff renderers."""
    seed = next(s for s in seeds() if s.name == name)
    try:
        return evaluate(seed.files)
    except Exception:
        return None


def _donors() -> list[str]:
    return [text for seed in seeds() for path, text in seed.files.items() if path.endswith(".policy")]


def mutation_inputs(
    seed: int, count: int, start: int = 0
) -> Iterator[tuple[int, Files, Report | None, bool]]:
    """Inputs `start` to `count` of the mutation stream of `seed` (earlier ones are regenerated,
    not run, so a resumed run sees the same inputs)."""
    rng = random.Random(seed)
    pool, donors = seeds(), _donors()
    yaml_donors = [text for s in pool for path, text in s.files.items() if path.endswith(".yaml")]
    weights = [LARGE_SEED_WEIGHT if sum(map(len, s.files.values())) > 20_000 else 1.0 for s in pool]
    for index in range(count):
        origin = rng.choices(pool, weights)[0]
        if rng.random() < 0.8:
            files = mutated_policy_input(origin, rng, donors)
        else:
            files = mutated_yaml_input(origin, rng, yaml_donors)
        if index >= start:
            changed = [path for path in files if files[path] != origin.files.get(path)]
            tests = any(path.endswith(".test.yaml") for path in changed)
            if tests:  # the changed test file alone: the library's whole test suite is 3 s of cases
                files = {p: t for p, t in files.items() if not p.endswith(".test.yaml") or p in changed}
            yield index, files, _base(origin.name), tests


def run_yaml_inputs(seed: int, count: int, each: Callable[[Files], None]) -> None:
    """`count` generated YAML inputs (hypothesis, generation only: findings are minimised by ours)."""
    if count <= 0:
        return

    @hypothesis_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(yaml_input())
    def generated(files: Files) -> None:
        each(files)

    generated()


def fuzz(
    seed: int,
    count: int,
    *,
    start: int = 0,
    progress: Callable[[Tally], None] | None = None,
    with_cli: bool = True,
) -> Tally:
    share_parses()
    tally = Tally()
    mutations = count - int(count * YAML_SHARE)
    for index, files, base, tests in mutation_inputs(seed, mutations, start):
        cli = with_cli and index % CLI_EVERY == 0
        tally.add(run_input(files, base=base, with_cli=cli, tests=tests), files)
        if progress is not None and tally.inputs % 1000 == 0:
            progress(tally)

    def each(files: Files) -> None:
        tests = files.get(TEST_FILE) != MINIMAL_PROJECT[TEST_FILE]
        tally.add(run_input(files, with_cli=with_cli and tally.inputs % CLI_EVERY == 0, tests=tests), files)
        if progress is not None and tally.inputs % 1000 == 0:
            progress(tally)

    if start <= mutations:
        run_yaml_inputs(seed, count - mutations, each)
    return tally


# ---------------------------------------------------------------- the corpus


def owner_of(signature: str) -> str:
    """Whose area a finding's innermost frame is in (the team's split of issue 9)."""
    places = {
        "unencodable": "inputs",  # text that cannot be written comes from a lone surrogate at load
        "unpositioned DL-CONFIG": "inputs",
        "unpositioned DL-STATE": "inputs",
        "unpositioned DL-WAIVER": "inputs",
        "unpositioned DL-TEST": "inputs",
        "unpositioned DL-PARSE": "language",
        "unpositioned DL-CHECK": "language",
        "language/": "language",
        "engine/compiler": "language",
        "inputs/": "inputs",
        "engine/testing": "inputs",
        "engine/": "engine",
        "core/undetermined": "engine",
        "render/text": "outputs",
        "render/explain": "outputs",
        "render/markdown": "outputs",
        "cli/": "outputs",
    }
    return next((owner for place, owner in places.items() if place in signature), "fuzz")


def store(finding: Finding, directory: Path = CORPUS) -> Path:
    """Minimise the finding's input and write it to the corpus, named by class and a short hash."""
    signature = finding.result.signature
    budget = 40 if finding.result.outcome is Outcome.SLOW else 400  # a slow run costs its 2 s each time
    small = minimise(finding.files, lambda files: run_input(files).signature == signature, budget)
    entry = {
        "outcome": finding.result.outcome.value,
        "signature": signature,
        "detail": run_input(small).detail,
        "owner": owner_of(signature),
        "status": "open",  # the owner sets "fixed" with the fix: the entry must then pass
        "files": small,
    }
    text = json.dumps(entry, indent=2, sort_keys=True, ensure_ascii=True) + "\n"
    digest = hashlib.sha256(json.dumps(small, sort_keys=True).encode("utf-8", "surrogatepass")).hexdigest()
    slug = finding.result.outcome.name.lower().replace("_", "-")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{slug}-{digest[:10]}.json"
    path.write_text(text, encoding="utf-8")
    return path


def corpus_entries(directory: Path = CORPUS) -> list[tuple[Path, dict[str, object]]]:
    return [(path, json.loads(path.read_text(encoding="utf-8"))) for path in sorted(directory.glob("*.json"))]

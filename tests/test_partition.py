"""Partitioned evaluation (--jobs, --executor): the same report, byte for byte, as one process.

The partitions are made small here (MIN_PARTITION lowered) so that dependency chains cross them:
a subject's rules read subjects that another worker evaluates."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
import random
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisionlang import cli
from decisionlang.api import Project, SourceSet, evaluate_project, load_project
from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.core.model import Report
from decisionlang.engine import partition
from decisionlang.engine.evaluator import EvaluationOptions
from decisionlang.inputs.layout import load_modules
from decisionlang.render import render_json, render_text

ROOT = Path(__file__).parent.parent
EXAMPLES = ["quickstart", "scaleup", "scorecards", "slo", "terraform-gate"]
BENCH_POLICY = ROOT / "benchmarks" / "policies" / "bench.policy"
AS_OF = dt.date(2026, 11, 26)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


@pytest.fixture
def small_partitions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partition, "MIN_PARTITION", 1)


def generate(root: Path, count: int, seed: int = 7) -> Path:
    """A portfolio on the benchmark's policies: chains of `depends_on` (each service on the one
    before it, some on an earlier one too), so that dependents and dependencies span partitions."""
    rng = random.Random(seed)
    (root / "policies").mkdir(parents=True)
    (root / "services").mkdir()
    (root / "policies" / "bench.policy").write_text(
        BENCH_POLICY.read_text(encoding="utf-8"), encoding="utf-8"
    )
    names = [f"svc-{index:04d}" for index in range(count)]
    lines = ["services:"]
    for index, name in enumerate(names):
        lines += [
            f"  - name: {name}",
            f"    criticality: {rng.choice(['low', 'medium', 'high', 'critical'])}",
            f"    tier: {rng.randint(1, 3)}",
            f"    business_value: {rng.randint(0, 10)}",
            f"    effort: {rng.randint(1, 5)}",
            f"    risk: {{ security: {rng.randint(0, 10)}, compliance: {rng.randint(0, 10)} }}",
            f"    maturity: {{ readability: {rng.randint(0, 5)}, governance: {rng.randint(0, 5)} }}",
            f"    cost: {{ monthly_eur: {rng.randint(100, 30_000)} }}",
            f"    support_ends: {AS_OF + dt.timedelta(days=rng.randint(-400, 900))}",
            f"    on_call: {rng.choice(['true', 'false'])}",
        ]
        if rng.random() < 0.7:
            lines.append(f"    last_review: {AS_OF - dt.timedelta(days=rng.randint(0, 400))}")
        if index and rng.random() < 0.85:
            chosen = {names[index - 1], names[rng.randrange(index)]}
            lines.append(f"    depends_on: [{', '.join(sorted(chosen))}]")
    (root / "services" / "all.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def chained(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = load_project(generate(tmp_path_factory.mktemp("chained"), 120))
    assert not project.errors, project.errors
    return project


class InProcess:
    """An executor that runs each partition here, through pickle as a worker would receive the
    shipment and send the results back."""

    def __init__(self, workers: int = 2) -> None:
        self.count = workers
        self.parts: list[tuple[str, ...]] = []

    def workers(self) -> int:
        return self.count

    def run(
        self, shipment: partition.Shipment, parts: Sequence[tuple[str, ...]]
    ) -> Iterator[partition.PartResult]:
        received = pickle.loads(pickle.dumps(shipment))
        self.parts = list(parts)
        for part in parts:
            yield pickle.loads(pickle.dumps(partition.evaluate_part(received, part)))

    def close(self) -> None:
        pass


def outputs(report: Report) -> tuple[str, str]:
    return render_json(report), render_text(report, color=False)


@pytest.mark.parametrize("example", EXAMPLES)
def test_examples_read_the_same_with_any_number_of_jobs(example: str, small_partitions: None) -> None:
    directory = str(ROOT / "examples" / example)
    first = run("check", directory, "--as-of", "2026-11-26", "--format", "json")
    for jobs in ("2", "3"):
        again = run("check", directory, "--as-of", "2026-11-26", "--format", "json", "--jobs", jobs)
        assert (again.exit_code, again.stdout) == (first.exit_code, first.stdout)


def test_the_text_report_reads_the_same_with_three_jobs(small_partitions: None) -> None:
    directory = str(ROOT / "examples" / "scaleup")
    first = run("check", directory, "--as-of", "2026-11-26", "--no-color")
    again = run("check", directory, "--as-of", "2026-11-26", "--no-color", "-j", "3")
    assert (again.exit_code, again.output) == (first.exit_code, first.output)


@pytest.mark.parametrize("trace", [True, False])
@pytest.mark.parametrize("strict", [False, True])
def test_chains_across_partitions_decide_the_same(
    chained: Project, small_partitions: None, trace: bool, strict: bool
) -> None:
    one = evaluate_project(chained, as_of=AS_OF, trace=trace, strict=strict)
    assert any(subject.missing or subject.warnings for subject in one.subjects)
    for jobs in (2, 3):
        many = evaluate_project(chained, as_of=AS_OF, trace=trace, strict=strict, jobs=jobs)
        assert outputs(many) == outputs(one)


def test_the_partitions_cross_the_dependency_chains(chained: Project, small_partitions: None) -> None:
    executor = InProcess(3)
    evaluate_project(chained, as_of=AS_OF, executor=executor)
    assert len(executor.parts) == 12
    first = set(executor.parts[0])
    reads_another_part = [
        name for name in executor.parts[1] if set(chained.portfolio.dependencies_of(name)) & first
    ]
    assert reads_another_part  # the second partition's first subject depends on the first's last


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    workers=st.integers(1, 8),
    minimum=st.integers(1, 40),
    subset=st.none() | st.sets(st.integers(0, 119), min_size=1, max_size=30),
)
def test_any_partitioning_gives_the_same_report(
    chained: Project, monkeypatch: pytest.MonkeyPatch, workers: int, minimum: int, subset: set[int] | None
) -> None:
    monkeypatch.setattr(partition, "MIN_PARTITION", minimum)
    names = None if subset is None else [chained.portfolio.subjects[i].name for i in sorted(subset)]
    one = evaluate_project(chained, as_of=AS_OF, services=names)
    many = evaluate_project(chained, as_of=AS_OF, services=names, executor=InProcess(workers))
    assert render_json(many) == render_json(one)


def test_a_subject_over_its_budget_stops_the_run_with_the_same_error(
    chained: Project, small_partitions: None
) -> None:
    with pytest.raises(DecisionlangError) as alone:
        evaluate_project(chained, as_of=AS_OF, steps=3)
    for executor in (InProcess(3), None):
        with pytest.raises(DecisionlangError) as split:
            evaluate_project(chained, as_of=AS_OF, steps=3, jobs=2, executor=executor)
        assert split.value.diagnostics == alone.value.diagnostics
        assert split.value.diagnostics[0].code == "DL-EVAL-LIMIT"


def test_a_worker_of_another_version_refuses(chained: Project) -> None:
    options = EvaluationOptions(AS_OF)
    shipment = partition.Shipment.of(chained.sources, chained.policies, chained.portfolio, options)
    other = dataclasses.replace(shipment, version="0.0.1", key="other")
    result = partition.evaluate_part(other, ("svc-0000",))
    assert result.evaluated == ()
    assert [d.code for d in result.error] == ["DL-JOBS-WORKER"]
    assert "0.0.1" in result.error[0].message


def test_the_policy_set_imports_what_the_project_imported(tmp_path: Path) -> None:
    """Shipped alone, the policies import the same files, through links too, without the disk."""
    (tmp_path / "lib").mkdir()
    (tmp_path / "policies").mkdir()
    (tmp_path / "lib" / "vocabulary.policy").write_text(
        'scale size "Size" { small < large }\nschema { size: size "How big" }\n', encoding="utf-8"
    )
    (tmp_path / "lib" / "linked.policy").symlink_to("vocabulary.policy")
    (tmp_path / "policies" / "gate.policy").write_text(
        'import "../lib/linked.policy"\n'
        'import "decisionlang:dora.policy" as dora\n'
        'policy gate "Small only" {\n  no_go big when size == large\n}\n',
        encoding="utf-8",
    )
    (tmp_path / "services").mkdir()
    (tmp_path / "services" / "a.yaml").write_text(
        "services:\n  - name: a\n    size: large\n", encoding="utf-8"
    )
    load_project(tmp_path)
    project = load_project(tmp_path)  # from the cache: the imports are answered all the same
    assert not project.errors, project.errors
    shipped: SourceSet = pickle.loads(pickle.dumps(project.sources.policy_set()))
    assert shipped.states == () and shipped.directory is None
    modules, problems = load_modules(shipped)
    original, _ = load_modules(project.sources)
    assert not problems
    assert [(m.namespace, m.path) for m in modules] == [(m.namespace, m.path) for m in original]
    one = evaluate_project(project, as_of=AS_OF)
    assert render_json(evaluate_project(project, as_of=AS_OF, executor=InProcess())) == render_json(one)


def test_dask_local_cluster_gives_the_same_report(chained: Project, small_partitions: None) -> None:
    pytest.importorskip("distributed")
    one = evaluate_project(chained, as_of=AS_OF)
    executor = partition.DaskExecutor(None, 2, processes=False)
    try:
        assert executor.workers() == 2
        many = evaluate_project(chained, as_of=AS_OF, executor=executor)
        again = evaluate_project(chained, as_of=AS_OF, trace=False, executor=executor)
    finally:
        executor.close()
    assert outputs(many) == outputs(one)
    assert render_json(again) == render_json(evaluate_project(chained, as_of=AS_OF, trace=False))


def test_check_on_a_local_dask_cluster(small_partitions: None) -> None:
    pytest.importorskip("distributed")
    directory = str(ROOT / "examples" / "quickstart")
    first = run("check", directory, "--as-of", "2026-11-26", "--format", "json")
    again = run(
        "check", directory, "--as-of", "2026-11-26", "--format", "json", "--executor", "dask", "-j", "2"
    )
    assert (again.exit_code, again.stdout) == (first.exit_code, first.stdout)


def test_without_dask_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = run("check", str(ROOT / "examples" / "quickstart"), "--executor", "dask://scheduler:8786")
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-JOBS-DASK" in result.stderr
    assert "pip install 'decisionlang[dask]'" in result.stderr


def test_an_unknown_executor_is_a_usage_error() -> None:
    result = run("check", str(ROOT / "examples" / "quickstart"), "--executor", "threads", "-j", "2")
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-JOBS-EXECUTOR" in result.stderr


def test_jobs_do_not_combine_with_base() -> None:
    result = run("check", str(ROOT / "examples" / "quickstart"), "--base", "HEAD", "-j", "2")
    assert result.exit_code == 2
    assert "--base" in result.stderr


@pytest.mark.parametrize(("jobs", "workers"), [(1, None), (2, 2), (0, None)])
def test_jobs_choose_the_executor(jobs: int, workers: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partition.os, "cpu_count", lambda: 1)
    executor = partition.executor_for(jobs)
    assert (executor.workers() if executor is not None else None) == workers


def test_partitions_are_consecutive_and_cover_every_subject() -> None:
    names = [f"s{i:03d}" for i in range(1_001)]
    parts = partition.partitions(names, 2)
    assert [name for part in parts for name in part] == names
    assert len(parts) == 4  # 1,001 subjects: no partition below MIN_PARTITION (250)
    assert partition.partitions(names[:3], 8) == [tuple(names[:3])]

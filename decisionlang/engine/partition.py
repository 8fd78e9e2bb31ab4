"""Partitioned evaluation: the subjects of a portfolio evaluated in consecutive runs (partitions)
by several worker processes, on this machine or on a Dask cluster, and put back together into the
report one process would have written, byte for byte.

What a worker gets, once (a `Shipment`): the policy files alone, with their imports resolved as the
project resolved them (`SourceSet.policy_set`), which it parses, checks and compiles once (compiled
policies hold closures: they are rebuilt from source, not sent); the whole portfolio, its dependency
graph indexed both ways, since a rule may read any subject (`depends_on`, `dependents`, a field that
names subjects, `portfolio`); and the options (date, trace, strict, waivers, budget). What a
partition gets: the names of its subjects. What it gives back: each subject's `SubjectResult` and
the problems met evaluating it, as plain picklable objects, or the error that stopped it.

Results come back in the order of the partitions: `evaluate_in_parts` gives what
`evaluator.evaluate_each` gives (each subject's result and diagnostics, in subject order), so the
report is the one a single loop makes; a subject whose evaluation spends its budget stops the run
with the same error, the first in subject order.

Executors: `ProcessExecutor` (`--jobs N`: `concurrent.futures`, imported only when used) and
`DaskExecutor` (`--executor dask://HOST:PORT`, or `dask` for a local cluster: the optional extra
`decisionlang[dask]`, imported only when used). Both only map a function over partitions in order.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import math
import multiprocessing
import os
import pickle
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import decisionlang
from decisionlang.core.diagnostics import DecisionlangError, Diagnostic
from decisionlang.core.model import SubjectResult
from decisionlang.core.subjects import Portfolio
from decisionlang.engine.compiler import CompiledPolicy, compile_program
from decisionlang.engine.evaluator import EvaluationOptions, evaluate_each, named_subjects
from decisionlang.inputs.layout import load_modules
from decisionlang.language.checker import check_program

if TYPE_CHECKING:
    from decisionlang.inputs.sources import SourceSet

# A partition holds at least this many subjects: below it, sending the names and the results back
# costs more than the evaluation saves (see benchmarks/bench_jobs.py).
MIN_PARTITION = 250
# Partitions per worker: a few, so that a worker that finishes early takes another, and results
# arrive (and can be written) while the others still evaluate.
PARTITIONS_PER_WORKER = 4
DASK_EXTRA = "decisionlang[dask]"


@dataclass(frozen=True, eq=False)
class Shipment:
    """What every worker needs to evaluate any partition, sent once per worker."""

    policies: SourceSet  # the policy files alone, imports answered as the project resolved them
    policy_ids: tuple[str, ...]  # the compiled policies, in order, as the project compiled them
    portfolio: Portfolio
    options: EvaluationOptions
    version: str = decisionlang.__version__
    # the policies' content: a worker that evaluates several shipments of the same policies
    # compiles them once
    key: str = field(default="")

    @staticmethod
    def of(
        policies: SourceSet,
        compiled: Sequence[CompiledPolicy],
        portfolio: Portfolio,
        options: EvaluationOptions,
    ) -> Shipment:
        shipped = policies.policy_set()
        digest = hashlib.sha256(decisionlang.__version__.encode())
        digest.update(pickle.dumps(shipped, protocol=pickle.HIGHEST_PROTOCOL))
        return Shipment(
            shipped,
            tuple(policy.id for policy in compiled),
            portfolio,
            options,
            key=digest.hexdigest(),
        )


@dataclass(frozen=True)
class PartResult:
    """A partition evaluated: its subjects' results and problems in order, or, when a subject's
    evaluation stopped it (DL-EVAL-LIMIT), those before it and the error."""

    evaluated: tuple[tuple[SubjectResult, list[Diagnostic]], ...]
    error: tuple[Diagnostic, ...] = ()


class Executor(Protocol):
    """Runs `evaluate_part` over partitions, in several processes, and gives the results in order."""

    def workers(self) -> int:
        """How many partitions it evaluates at once."""
        ...

    def run(self, shipment: Shipment, parts: Sequence[tuple[str, ...]]) -> Iterator[PartResult]:
        """The partitions' results, in the order of `parts`."""
        ...

    def close(self) -> None: ...


# ---------------------------------------------------------------- the main process


def evaluate_in_parts(
    policies: SourceSet,
    compiled: Sequence[CompiledPolicy],
    portfolio: Portfolio,
    options: EvaluationOptions,
    executor: Executor,
    only: Sequence[str] | None = None,
) -> Iterator[tuple[SubjectResult, list[Diagnostic]]]:
    """Each subject's result and problems, in subject order, as the partitions come back: a
    streaming writer can start on the first partition while the others are evaluated."""
    chosen = portfolio.subjects if only is None else named_subjects(portfolio, only)
    names = [subject.name for subject in chosen]
    if not names:
        return
    shipment = Shipment.of(policies, compiled, portfolio, options)
    for part in executor.run(shipment, partitions(names, executor.workers())):
        yield from part.evaluated
        if part.error:
            raise DecisionlangError(list(part.error))


def partitions(names: Sequence[str], workers: int) -> list[tuple[str, ...]]:
    """Consecutive runs of subjects: a few per worker, none smaller than MIN_PARTITION (but one)."""
    count = max(1, min(workers * PARTITIONS_PER_WORKER, len(names) // MIN_PARTITION))
    size = math.ceil(len(names) / count)
    return [tuple(names[start : start + size]) for start in range(0, len(names), size)]


def executor_for(jobs: int, address: str | None = None) -> Executor | None:
    """The executor `--jobs JOBS` and `--executor ADDRESS` ask for; None to evaluate in this
    process (one job, no executor). JOBS 0 means one per CPU. ADDRESS is `processes` (the
    default), `dask` or `dask://local` (a local Dask cluster of JOBS workers), or
    `dask://HOST:PORT` (a running Dask scheduler; JOBS is then the cluster's).

    Raises DecisionlangError for an address that is none of these (DL-JOBS-EXECUTOR) and when
    Dask is asked for but not installed (DL-JOBS-DASK)."""
    workers = jobs if jobs > 0 else os.cpu_count() or 1
    if address in (None, "", "processes"):
        return ProcessExecutor(workers) if workers > 1 else None
    assert address is not None
    if address in ("dask", "dask://local"):
        return DaskExecutor(None, workers)
    if address.startswith("dask://") and len(address) > len("dask://"):
        return DaskExecutor("tcp://" + address.removeprefix("dask://"), workers)
    if address.startswith(("tcp://", "tls://")):
        return DaskExecutor(address, workers)
    raise DecisionlangError(
        [
            Diagnostic(
                "DL-JOBS-EXECUTOR",
                f"`{address}` is not an executor",
                help="give `processes` (the default: --jobs processes on this machine), `dask` for a "
                "local Dask cluster, or `dask://HOST:PORT` for a running Dask scheduler",
            )
        ]
    )


# ---------------------------------------------------------------- a worker


_COMPILED: dict[str, tuple[CompiledPolicy, ...] | Diagnostic] = {}
_COMPILING = threading.Lock()  # a Dask worker may run several partitions at once, in threads


def evaluate_part(shipment: Shipment, names: tuple[str, ...]) -> PartResult:
    """Evaluate one partition (in a worker): the policies compiled once per worker and shipment."""
    policies = _compiled(shipment)
    if isinstance(policies, Diagnostic):
        return PartResult((), (policies,))
    evaluated: list[tuple[SubjectResult, list[Diagnostic]]] = []
    try:
        for pair in evaluate_each(policies, shipment.portfolio, shipment.options, names):
            evaluated.append(pair)
    except DecisionlangError as error:  # an exception does not pickle with its diagnostics
        return PartResult(tuple(evaluated), tuple(error.diagnostics))
    return PartResult(tuple(evaluated))


def _compiled(shipment: Shipment) -> tuple[CompiledPolicy, ...] | Diagnostic:
    with _COMPILING:
        found = _COMPILED.get(shipment.key)
        if found is None:
            found = _COMPILED[shipment.key] = _compile(shipment)
        return found


def _compile(shipment: Shipment) -> tuple[CompiledPolicy, ...] | Diagnostic:
    """The shipment's policies parsed, checked and compiled, or why this worker cannot evaluate
    them as the main process would (another version of decisionlang, another program)."""
    if shipment.version != decisionlang.__version__:
        return _worker_problem(
            f"a worker runs decisionlang {decisionlang.__version__}, and this run "
            f"{shipment.version}: it would not decide the same",
            "install the same version of decisionlang on every worker of the cluster",
        )
    modules, problems = load_modules(shipment.policies)
    program, check_problems = check_program(modules)
    errors = [d for d in (*problems, *check_problems) if d.is_error]
    compiled = compile_program(program) if not errors else ()
    if errors or tuple(policy.id for policy in compiled) != shipment.policy_ids:
        return _worker_problem(
            "a worker did not compile the policies this run compiled",
            "evaluate with --jobs 1, and report this as a bug",
        )
    return compiled


def _worker_problem(message: str, help: str) -> Diagnostic:
    return Diagnostic("DL-JOBS-WORKER", message, help=help)


# ---------------------------------------------------------------- processes on this machine


_SHIPPED: list[Shipment] = []  # a process pool worker's shipment, installed when it starts


def _install(shipment: Shipment) -> None:
    """A pool worker starts: its shipment kept, its policies compiled. The process is ours: as the
    CLI does (cli.common.collector_tuned), the garbage collector leaves the long-lived portfolio
    and policies alone and runs less often while results, which are kept, pile up."""
    _SHIPPED[:] = [shipment]
    _compiled(shipment)
    gc.freeze()
    gc.set_threshold(max(gc.get_threshold()[0], 50_000))


def _evaluate_installed(names: tuple[str, ...]) -> bytes:
    """A partition evaluated by a pool worker, its result pickled here with the garbage collector
    paused: the result is thousands of new objects, and pickling them with the collector running
    rescans them over and over (5x slower for traced results). The pool sends the bytes as they are."""
    result = evaluate_part(_SHIPPED[0], names)
    gc.disable()
    try:
        return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    finally:
        gc.enable()


class ProcessExecutor:
    """`--jobs N`: N worker processes on this machine (`concurrent.futures.ProcessPoolExecutor`),
    started for one evaluation, each sent the shipment once when it starts.

    Workers are forked where the platform can and this process runs no other thread (they start
    at once and inherit the shipment without copying it), else spawned (each starts a Python
    interpreter and receives the shipment pickled)."""

    def __init__(self, jobs: int, start_method: str | None = None) -> None:
        self.jobs = jobs
        self.start_method = start_method

    def workers(self) -> int:
        return self.jobs

    def run(self, shipment: Shipment, parts: Sequence[tuple[str, ...]]) -> Iterator[PartResult]:
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context(self.start_method or _start_method())
        with ProcessPoolExecutor(
            max_workers=min(self.jobs, len(parts)),
            mp_context=context,
            initializer=_install,
            initargs=(shipment,),
        ) as pool:
            for data in pool.map(_evaluate_installed, parts):
                result: PartResult = pickle.loads(data)
                yield result

    def close(self) -> None:
        pass


def _start_method() -> str:
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "spawn"


# ---------------------------------------------------------------- a Dask cluster


class DaskExecutor:
    """`--executor dask://HOST:PORT`: the partitions as tasks of a running Dask cluster, the
    shipment scattered to every worker once; `--executor dask`: a `LocalCluster` of JOBS worker
    processes on this machine, started for the run. Needs the extra `decisionlang[dask]`."""

    def __init__(self, address: str | None, jobs: int, *, processes: bool = True) -> None:
        try:  # typed as Any: the extra's API is Dask's, not ours
            distributed: Any = importlib.import_module("distributed")
        except ImportError:
            raise DecisionlangError(
                [
                    Diagnostic(
                        "DL-JOBS-DASK",
                        "evaluating on a Dask cluster needs Dask, which is not installed",
                        help=f"install the optional extra: pip install '{DASK_EXTRA}'",
                    )
                ]
            ) from None
        self.cluster: Any = None
        if address is None:
            self.cluster = distributed.LocalCluster(
                n_workers=jobs,
                threads_per_worker=1,
                processes=processes,
                dashboard_address=None,
                # no dashboard; its HTTP endpoints (health) on a free port, not Dask's usual one
                scheduler_kwargs={"dashboard_address": ":0"},
            )
            address = self.cluster.scheduler_address
        try:
            self.client: Any = distributed.Client(address, timeout="10s")
        except OSError as error:
            self.close()
            raise DecisionlangError(
                [
                    Diagnostic(
                        "DL-JOBS-DASK",
                        f"cannot reach the Dask scheduler at `{address}`: {error}",
                        help="start it (`dask scheduler`, then `dask worker ADDRESS` on each machine), "
                        "or check the address",
                    )
                ]
            ) from None

    def workers(self) -> int:
        threads: dict[str, int] = self.client.nthreads()
        return max(1, sum(threads.values()))

    def run(self, shipment: Shipment, parts: Sequence[tuple[str, ...]]) -> Iterator[PartResult]:
        shipped = self.client.scatter(shipment, broadcast=True, hash=False)
        futures = [self.client.submit(evaluate_part, shipped, part, pure=False) for part in parts]
        try:
            for future in futures:
                yield future.result()
                future.release()
        finally:
            self.client.cancel(futures)
            self.client.cancel(shipped)

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()

"""A decision repo as one loaded project: policies read, checked and compiled; states and waivers read
and validated; then evaluated. The library's facade (`decisionlang.api`) re-exports these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, Unpack

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic, Severity, sorted_diagnostics
from decisionlang.core.hints import closest, did_you_mean
from decisionlang.core.model import Enforcement, Report, SubjectResult, Verdict
from decisionlang.core.progress import (
    EVALUATING,
    LOADING_POLICIES,
    LOADING_STATES,
    READING,
    ProgressCallback,
    announce,
    counted,
    ticker,
)
from decisionlang.core.spans import Span, point
from decisionlang.core.subjects import Portfolio
from decisionlang.engine.compiler import STEPS, CompiledPolicy, compile_program
from decisionlang.engine.evaluator import EvaluationOptions, evaluate_each
from decisionlang.engine.loadcache import checked_policies, loaded_states, store_of
from decisionlang.inputs.cache import Cache
from decisionlang.inputs.limits import RequestedLimits, effective_limits, requested_file_size
from decisionlang.inputs.sources import SizeLimits, SourceFile, SourceSet
from decisionlang.inputs.waivers import Waiver, load_waivers
from decisionlang.language import ast
from decisionlang.language.checker import FieldRef, Program

if TYPE_CHECKING:
    from decisionlang.engine.partition import Executor


@dataclass(frozen=True)
class Project:
    """A loaded decision repo: its checked policies, compiled once, and its subjects."""

    sources: SourceSet
    program: Program
    policies: tuple[CompiledPolicy, ...]
    portfolio: Portfolio
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    waivers: tuple[Waiver, ...] = field(default=())
    policy_files: tuple[SourceFile, ...] = field(default=())  # as parsed, imported files included

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)


def load_project(
    root: str | Path | SourceSet,
    *,
    limits: RequestedLimits = None,
    progress: ProgressCallback | None = None,
    cache: Cache | bool = True,
) -> Project:
    """Read, parse, check and compile policies; read and validate states. ROOT is a directory, or
    the files themselves (`SourceSet.from_memory`, `SourceSet.from_git`). Never raises on bad
    input: problems are in `Project.diagnostics` (errors make `evaluate_project` refuse to run).
    `progress` is told each stage as it goes (decisionlang.core.progress).

    `cache`: True uses the user's cache of checked policies and validated states
    (`decisionlang.inputs.cache`: `DECISIONLANG_CACHE_DIR`, off with `DECISIONLANG_NO_CACHE=1`),
    False none, or the `Cache` given. The project is the same with or without it.

    `limits`: a whole `YamlLimits`, used as given; or the limits set by flags (`YamlLimits` field
    -> value), which win over `limits:` of decisionlang.yaml; by default the file's, else the
    defaults (decisionlang.inputs.limits)."""
    announce(progress, READING)
    files = (
        root
        if isinstance(root, SourceSet)
        else SourceSet.from_disk(root, limits=SizeLimits(yaml_bytes=requested_file_size(limits)))
    )
    limits = effective_limits(limits, files.settings.yaml_limits)
    store = store_of(cache)
    diagnostics = list(files.diagnostics)
    announce(progress, LOADING_POLICIES)
    checked = checked_policies(files, store)
    diagnostics += checked.parse_problems
    parsed = checked.policy_files
    if any(d.is_error for d in checked.parse_problems):
        # A file that does not parse leaves holes (a missing scale, half a schema) that would
        # surface as dozens of misleading errors downstream: report the syntax first, alone.
        return Project(
            files, Program(), (), Portfolio.of(()), tuple(sorted_diagnostics(diagnostics)), (), parsed
        )
    program = checked.program
    diagnostics += checked.check_problems
    policy_errors = any(d.is_error for d in diagnostics)
    policies = compile_program(program) if not policy_errors else ()
    states = counted(files.states, progress, LOADING_STATES, "files")
    portfolio, state_problems = loaded_states(files, states, checked, limits, store)
    diagnostics += state_problems
    # A state file in error leaves subjects out of the portfolio: a selector or a waiver would look
    # as if it named nothing, so those checks wait until the states load.
    state_errors = any(d.is_error for d in state_problems)
    if not state_errors:
        diagnostics += _unmatched_selectors(program, portfolio, files.settings.allow_unmatched)
    waivers, waiver_problems = load_waivers(files.waivers, limits)
    diagnostics += waiver_problems
    if not policy_errors and not state_errors:  # against what did not load, every waiver looks stale
        diagnostics += _stale_waivers(waivers, program, portfolio)
    return Project(
        files,
        program,
        policies,
        portfolio,
        tuple(sorted_diagnostics(diagnostics)),
        tuple(waivers),
        parsed,
    )


class EvaluateArguments(TypedDict, total=False):
    """The keyword arguments `evaluate_project` and `evaluate_stream` share (documented there;
    defaults: today, every subject, not strict, traced, 30 warning days, the project's step budget,
    no progress, one job, no executor)."""

    as_of: dt.date | None
    services: Iterable[str] | None
    strict: bool
    trace: bool
    warn_days: int
    steps: int | None
    progress: ProgressCallback | None
    jobs: int
    executor: str | Executor | None


def evaluate_project(project: Project, **arguments: Unpack[EvaluateArguments]) -> Report:
    """Evaluate every applicable policy on every subject (or the named ones).

    With `trace=False` (verdicts only, faster) each policy keeps just the rules that decided,
    warned or failed to evaluate, without the facts and comparisons they read.

    `steps` is the evaluation budget per subject (S42; default `limits: evaluation_steps` of
    decisionlang.yaml, else 1,000,000).

    `progress` is told how many subjects are evaluated as it goes (decisionlang.core.progress).

    `jobs` evaluates partitions of the subjects in that many processes (0: one per CPU), and
    `executor` elsewhere: `"dask"` on a local Dask cluster, `"dask://HOST:PORT"` on a running one,
    or an `engine.partition.Executor`. The report is the same, byte for byte, as with one job.

    Raises DecisionlangError when the project has errors, a named service does not exist or a
    subject's evaluation spends its budget (DL-EVAL-LIMIT)."""
    evaluation = evaluate_stream(project, **arguments)
    subjects = tuple(evaluation)
    return Report(evaluation.verdict, subjects, evaluation.diagnostics, evaluation.as_of)


class Evaluation:
    """An evaluation that runs as it is iterated: each subject's `SubjectResult` in report order,
    evaluated when reached, so that a writer can write it and let it go (a traced report of
    100,000 subjects never has to be in memory at once). Once the iteration is over, `verdict` and
    `diagnostics` are those `evaluate_project` puts in its `Report`; `as_of` is known from the start.
    Iterate it once."""

    def __init__(
        self,
        project: Project,
        options: EvaluationOptions,
        only: list[str] | None,
        progress: ProgressCallback | None = None,
        jobs: int = 1,
        executor: str | Executor | None = None,
    ) -> None:
        self.as_of: dt.date = options.today
        self._project = project
        self._options = options
        self._only = only
        self._progress = progress
        self._jobs = jobs
        self._executor = executor
        self._problems: dict[Diagnostic, None] = {}
        self._verdict = Verdict.GO
        self._done = False

    def __iter__(self) -> Iterator[SubjectResult]:
        problems = self._problems
        worst = self._verdict
        tick = ticker(self._progress, EVALUATING, self._count(), "subjects")
        for result, raised in self._evaluated():
            problems.update(dict.fromkeys(raised))
            if result.verdict.severity > worst.severity:
                worst = self._verdict = result.verdict
            yield result
            if tick is not None:
                tick()
        if tick is not None:
            tick.done()
        self._done = True

    def _evaluated(self) -> Iterator[tuple[SubjectResult, list[Diagnostic]]]:
        """Each subject's result and diagnostics, in order: evaluated here, or in partitions by
        several processes (`jobs`, `executor`; engine/partition.py), which give the same."""
        project, options = self._project, self._options
        if self._jobs == 1 and self._executor is None:
            yield from evaluate_each(project.policies, project.portfolio, options, self._only)
            return
        from decisionlang.engine import partition  # multiprocessing and Dask only when asked for

        given = self._executor
        executor = given if not isinstance(given, str) and given is not None else None
        if executor is None:
            executor = partition.executor_for(self._jobs, given if isinstance(given, str) else None)
        if executor is None:  # one job after all (--jobs 0 on one CPU)
            yield from evaluate_each(project.policies, project.portfolio, options, self._only)
            return
        try:
            yield from partition.evaluate_in_parts(
                project.sources, project.policies, project.portfolio, options, executor, self._only
            )
        finally:
            if executor is not given:  # made here: closed here
                executor.close()

    def _count(self) -> int:
        """How many subjects the iteration evaluates."""
        portfolio = self._project.portfolio
        if self._only is None:
            return len(portfolio.subjects)
        return len({name for name in self._only if name in portfolio.by_name})

    @property
    def verdict(self) -> Verdict:
        """The worst verdict of the subjects evaluated (GO for none)."""
        self._finished()
        return self._verdict

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """The project's diagnostics and those the evaluation raised, each once, sorted."""
        self._finished()
        return tuple(sorted_diagnostics([*self._project.diagnostics, *self._problems]))

    def _finished(self) -> None:
        if not self._done:
            raise RuntimeError("the evaluation is not over: iterate it to the end first")


def evaluate_stream(
    project: Project,
    *,
    as_of: dt.date | None = None,
    services: Iterable[str] | None = None,
    strict: bool = False,
    trace: bool = True,
    warn_days: int = 30,
    steps: int | None = None,
    progress: ProgressCallback | None = None,
    jobs: int = 1,
    executor: str | Executor | None = None,
) -> Evaluation:
    """`evaluate_project` one subject at a time (see `Evaluation`); the same arguments, the same
    results. The project's errors and unknown named subjects raise DecisionlangError here, before
    anything is evaluated; a subject that spends its budget raises it during the iteration.
    `progress` is told how many subjects are evaluated as the iteration goes."""
    if project.errors:
        raise DecisionlangError(list(project.errors))
    wanted = list(services) if services is not None else None
    if wanted:
        unknown = [name for name in wanted if name not in project.portfolio.by_name]
        if unknown:
            raise DecisionlangError([_unknown_subject(name, project) for name in unknown])
    options = EvaluationOptions(
        today=as_of or dt.date.today(),
        trace=trace,
        strict=strict,
        waivers=project.waivers,
        warn_days=warn_days,
        steps=steps or project.sources.settings.evaluation_steps or STEPS,
    )
    return Evaluation(project, options, wanted, progress, jobs, executor)


def _unknown_subject(name: str, project: Project) -> Diagnostic:
    hint = did_you_mean(name, project.portfolio.by_name)
    return Diagnostic(
        "DL-CLI-UNKNOWN-SUBJECT",
        f"no subject named `{name}`",
        file=".",
        help=hint or "run `decisionlang check` to list the subjects",
    )


def _unmatched_selectors(program: Program, portfolio: Portfolio, allowed: Iterable[str]) -> list[Diagnostic]:
    """A kind or tag an `applies to` selects that no subject has: close to one some subject has, it
    is most likely a typo and the gate would silently stop applying, so an error; else a warning (a
    library's policy for kinds this repo does not use). `selectors: allow_unmatched` in
    decisionlang.yaml acknowledges either."""
    if not portfolio.subjects:
        return []
    present = {
        "kind": {subject.kind for subject in portfolio.subjects},
        "tag": {str(tag) for subject in portfolio.subjects for tag in subject.fields.get("tags", ())},
        "name": set(portfolio.by_name),
    }
    acknowledged = set(allowed)
    found = []
    for policy in program.policies.values():
        selector = policy.selector
        if selector is None:
            continue
        for what, groups in (("kind", selector.kinds), ("tag", selector.tags)):
            for value in sorted({value for group in groups for value in group}):
                if value in present[what] or value in acknowledged:
                    continue
                found.append(
                    _unmatched(policy.name, what, value, closest(value, present[what]), selector.span)
                )
        if selector.where is not None:
            for value, span in _named_subjects(program, selector.where):
                if value not in present["name"] and value not in acknowledged:
                    found.append(
                        _unmatched(policy.name, "name", value, closest(value, present["name"]), span)
                    )
    return found


def _named_subjects(program: Program, node: ast.Expr) -> list[tuple[str, Span]]:
    """The subject names a `where` compares `name` with: `name == "x"`, `name in ["x", "y"]`."""
    named: list[tuple[str, Span]] = []
    pending = [node]
    while pending:
        current = pending.pop()
        texts: list[ast.Expr] = []
        if isinstance(current, ast.Compare) and current.op is ast.CompareOp.EQ:
            if _is_name_field(program, current.left):
                texts = [current.right]
            elif _is_name_field(program, current.right):
                texts = [current.left]
        elif (
            isinstance(current, ast.Membership)
            and not current.negated
            and _is_name_field(program, current.item)
            and isinstance(current.collection, ast.ListLiteral)
        ):
            texts = list(current.collection.items)
        named.extend((text.value, text.span) for text in texts if isinstance(text, ast.Text))
        if not isinstance(current, ast.Quantifier):  # inside, `name` may be another subject's
            pending.extend(value for value in vars(current).values() if isinstance(value, ast.Expr))
    return named


def _is_name_field(program: Program, node: ast.Expr) -> bool:
    resolution = program.resolutions.get(id(node))
    return isinstance(resolution, FieldRef) and resolution.path == "name" and resolution.variable is None


def _unmatched(policy: str, what: str, value: str, match: str | None, span: Span) -> Diagnostic:
    written = f'"{value}"' if what in ("tag", "name") else value
    if what == "name":
        missing = f"policy `{policy}` applies to the subject named `{value}`, and no subject has that name"
    else:
        missing = f"policy `{policy}` applies to {what} `{value}`, which no subject has"
    acknowledge = f"`selectors: {{allow_unmatched: [{written}]}}` in decisionlang.yaml"
    if match is not None:
        return Diagnostic(
            "DL-CHECK-NO-SUBJECT",
            f"{missing}: most likely a typo",
            span=_spot(span, written),
            help=f"did you mean `{match}`? If `{value}` is meant, acknowledge it with {acknowledge}",
        )
    return Diagnostic(
        "DL-CHECK-NO-SUBJECT",
        missing,
        span=_spot(span, written),
        help=f"if no subject is meant to have it yet, acknowledge it with {acknowledge}",
        severity=Severity.WARNING,
    )


def _spot(span: Span, written: str) -> Span:
    """The selected value itself within its `applies to` clause, when it is on the clause's line."""
    line = span.source.line_text(span.line)
    start = span.column - 1
    while (index := line.find(written, start)) >= 0:
        end = index + len(written)
        bounded = written.startswith('"') or (
            (index == 0 or not _word(line[index - 1])) and (end == len(line) or not _word(line[end]))
        )
        if bounded:
            return point(span.source, span.line, index + 1, len(written))
        start = end
    return span


def _word(char: str) -> bool:
    return char.isalnum() or char in "_-"


def _stale_waivers(waivers: list[Waiver], program: Program, portfolio: Portfolio) -> list[Diagnostic]:
    """Waivers naming a subject, policy or rule that does not exist (any more): an error when a
    close spelling exists (a typo would leave the verdict standing), else a warning; and waivers
    naming a hard policy, which nothing lifts: an error at the waiver."""
    rules = {program.rule_ids[id(rule)] for policy in program.policies.values() for rule in policy.rules}
    rules |= {f"{name}.otherwise" for name in program.policies}
    found = []
    requirements = {
        program.rule_ids[id(requirement)]
        for maturity in program.maturities.values()
        for level in maturity.levels
        for requirement in level.requirements
    }
    terms = {program.rule_ids[id(term)] for criteria in program.criteria.values() for term in criteria.terms}
    for waiver in waivers:
        problem = None
        policy = program.policies.get(waiver.policy)
        if waiver.subject not in portfolio.by_name:
            problem = f"no subject is named `{waiver.subject}`", closest(waiver.subject, portfolio.by_name)
        elif waiver.requirement is not None:
            if waiver.requirement not in requirements:
                problem = (
                    f"no maturity requirement has the id `{waiver.requirement}`",
                    closest(waiver.requirement, requirements),
                )
        elif waiver.term is not None:
            if waiver.term not in terms:
                problem = f"no criteria term has the id `{waiver.term}`", closest(waiver.term, terms)
        elif policy is None:
            problem = f"no policy is named `{waiver.policy}`", closest(waiver.policy, program.policies)
        elif (policy.enforcement or Enforcement.HARD) is Enforcement.HARD:
            found.append(
                Diagnostic(
                    "DL-WAIVER-HARD",
                    f"waiver `{waiver.id}` on `{waiver.subject}` names `{waiver.policy}`, whose "
                    "enforcement is hard: no waiver lifts it",
                    span=waiver.span,
                    help="remove the waiver; if the board may accept this risk, the policy says "
                    "`enforcement soft` (a change of the policy, in review)",
                )
            )
            continue
        elif waiver.rule is not None and waiver.rule not in rules:
            problem = f"no rule has the id `{waiver.rule}`", closest(waiver.rule, rules)
        if problem is not None:
            message, match = problem
            found.append(
                Diagnostic(
                    "DL-WAIVER-STALE",
                    f"waiver `{waiver.id}` is stale: {message}",
                    span=waiver.span,
                    help=f"did you mean `{match}`?"
                    if match is not None
                    else "remove the waiver, or point it at what it should lift",
                    severity=Severity.ERROR if match is not None else Severity.WARNING,
                )
            )
    return found

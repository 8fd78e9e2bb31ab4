"""Applies compiled policies to subjects and decides verdicts (see docs/semantics.md).

Per policy: a firing `no_go` gives NO-GO; else a firing `not_yet` (or a blocking rule that cannot
be decided) gives NOT YET; else GO when a `go` rule holds or the policy has none; else `otherwise`.
Per subject: the worst verdict over applicable soft and hard policies; advisory ones only warn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from decisionlang.compiler import CompiledPolicy, CompiledRule, Context, Recorder
from decisionlang.diagnostics import Diagnostic, Severity
from decisionlang.spans import Span
from decisionlang.subjects import Portfolio, Subject
from decisionlang.trace import (
    Location,
    MissingInformation,
    Outcome,
    PolicyResult,
    Report,
    RuleTrace,
    SubjectResult,
    Verdict,
    Warning,
)
from decisionlang.values import Missing, Problem, Undetermined

_VERDICT_OF_KIND = {"no_go": Verdict.NO_GO, "not_yet": Verdict.NOT_YET, "go": Verdict.GO}
_BLOCKING = ("no_go", "not_yet")


@dataclass(frozen=True)
class EvaluationOptions:
    today: dt.date
    trace: bool = True
    strict: bool = False


def _location(span: Span) -> Location:
    return Location(span.path, span.line, span.column)


def _outcome(value: object) -> Outcome:
    if value is True:
        return Outcome.FIRED
    if isinstance(value, Missing):
        return Outcome.UNKNOWN
    if isinstance(value, Undetermined):
        return Outcome.ERROR
    return Outcome.NOT_FIRED


@dataclass
class _RuleRun:
    """One rule's raw result on one subject, before it becomes a trace."""

    rule: CompiledRule
    value: object
    recorder: Recorder | None

    @property
    def outcome(self) -> Outcome:
        return _outcome(self.value)


def _trace(run: _RuleRun, ctx: Context, decisive: bool) -> RuleTrace:
    rule, recorder = run.rule, run.recorder
    outcome = run.outcome
    explain = decisive or outcome in (Outcome.FIRED, Outcome.UNKNOWN, Outcome.ERROR)
    message = (rule.because(ctx) if rule.because else rule.default_message) if explain else None
    until = rule.until(ctx) if rule.until and explain else None
    error = None
    if isinstance(run.value, Problem):
        error = Diagnostic(run.value.code, run.value.message, span=run.value.span, severity=Severity.WARNING)
        message = f"evaluation problem: {run.value.message}"
    elif isinstance(run.value, Missing) and decisive:
        message = _missing_text(run.value.fields)
    return RuleTrace(
        rule=rule.id,
        kind=rule.kind,
        outcome=outcome,
        message=message,
        until=until,
        location=_location(rule.span),
        facts=tuple(recorder.facts.values()) if recorder else (),
        comparisons=tuple(recorder.comparisons) if recorder else (),
        scores=tuple(recorder.scores.values()) if recorder else (),
        tradeoffs=tuple(recorder.tradeoffs.values()) if recorder else (),
        maturities=tuple(recorder.maturities.values()) if recorder else (),
        error=error,
        decisive=decisive,
        missing=run.value.fields if isinstance(run.value, Missing) else (),
    )


def _applies(policy: CompiledPolicy, subject: Subject) -> bool:
    if any(subject.kind not in kinds for kinds in policy.kinds):
        return False
    tags = subject.fields.get("tags", ())
    return all(any(tag in group for tag in tags) for group in policy.tags)


def _run(rule: CompiledRule, ctx: Context, tracing: bool) -> _RuleRun:
    recorder = Recorder() if tracing else None
    ctx.recorder = recorder
    value = rule.condition(ctx)
    ctx.recorder = None
    return _RuleRun(rule, value, recorder)


def _decide(policy: CompiledPolicy, runs: list[_RuleRun]) -> tuple[Verdict, set[int]]:
    """The verdict and the indexes of the runs that decided it."""
    fired_no_go = {i for i, run in enumerate(runs) if run.rule.kind == "no_go" and run.value is True}
    if fired_no_go:
        return Verdict.NO_GO, fired_no_go
    blockers = {
        i
        for i, run in enumerate(runs)
        if run.rule.kind in _BLOCKING and (run.value is True or isinstance(run.value, Undetermined))
    }
    if blockers:
        return Verdict.NOT_YET, blockers
    go_runs = [i for i, run in enumerate(runs) if run.rule.kind == "go"]
    if not go_runs:
        return Verdict.GO, set()
    holding = {i for i in go_runs if runs[i].value is True}
    if holding:
        return Verdict.GO, holding
    undecided = {i for i in go_runs if isinstance(runs[i].value, Undetermined)}
    if undecided:
        return Verdict.NOT_YET, undecided
    return _VERDICT_OF_KIND[policy.otherwise_kind], {-1}


def _otherwise_trace(
    policy: CompiledPolicy, ctx: Context, verdict: Verdict, runs: list[_RuleRun]
) -> RuleTrace:
    if policy.otherwise_message is not None:
        message = policy.otherwise_message(ctx)
    else:
        failed = [
            run.rule.because(ctx) if run.rule.because else run.rule.default_message
            for run in runs
            if run.rule.kind == "go"
        ]
        message = "no `go` rule holds: " + "; ".join(failed)
    span = policy.otherwise_span or policy.span
    return RuleTrace(
        rule=f"{policy.id}.otherwise",
        kind="otherwise",
        outcome=Outcome.APPLIED,
        message=message,
        until=None,
        location=_location(span),
        decisive=True,
    )


def _where_unknown_trace(policy: CompiledPolicy, value: Undetermined, recorder: Recorder | None) -> RuleTrace:
    span = policy.where_span or policy.span
    if isinstance(value, Missing):
        message = f"cannot tell whether the policy applies: {_missing_text(value.fields)}"
        outcome, error = Outcome.UNKNOWN, None
    else:
        assert isinstance(value, Problem)
        message = f"cannot tell whether the policy applies: evaluation problem: {value.message}"
        outcome = Outcome.ERROR
        error = Diagnostic(value.code, value.message, span=value.span, severity=Severity.WARNING)
    return RuleTrace(
        rule=f"{policy.id}.applies",
        kind="applies",
        outcome=outcome,
        message=message,
        until=None,
        location=_location(span),
        facts=tuple(recorder.facts.values()) if recorder else (),
        comparisons=tuple(recorder.comparisons) if recorder else (),
        error=error,
        decisive=True,
        missing=value.fields if isinstance(value, Missing) else (),
    )


def evaluate_policy(policy: CompiledPolicy, ctx: Context, tracing: bool) -> PolicyResult | None:
    """The policy's verdict on ctx.subject, or None when it does not apply."""
    if not _applies(policy, ctx.subject):
        return None
    if policy.where is not None:
        recorder = Recorder() if tracing else None
        ctx.recorder = recorder
        applies = policy.where(ctx)
        ctx.recorder = None
        if applies is False:
            return None
        if isinstance(applies, Undetermined):
            trace = _where_unknown_trace(policy, applies, recorder)
            return PolicyResult(
                policy.id, policy.title, policy.enforcement, Verdict.NOT_YET, _location(policy.span), (trace,)
            )
    runs = [_run(rule, ctx, tracing) for rule in policy.rules]
    decisive_runs = [run for run in runs if run.rule.kind != "warn"]
    verdict, decisive = _decide(policy, decisive_runs)
    decisive_ids = {id(decisive_runs[i]) for i in decisive if i >= 0}
    traces = [_trace(run, ctx, id(run) in decisive_ids) for run in runs]
    if -1 in decisive:
        traces.append(_otherwise_trace(policy, ctx, verdict, decisive_runs))
    return PolicyResult(
        policy.id, policy.title, policy.enforcement, verdict, _location(policy.span), tuple(traces)
    )


def evaluate_subject(
    policies: Sequence[CompiledPolicy], subject: Subject, portfolio: Portfolio, options: EvaluationOptions
) -> tuple[SubjectResult, list[Diagnostic]]:
    ctx = Context(subject, portfolio, options.today)
    results: list[PolicyResult] = []
    warnings: list[Warning] = []
    missing: list[MissingInformation] = []
    diagnostics: list[Diagnostic] = []
    for policy in policies:
        result = evaluate_policy(policy, ctx, options.trace)
        if result is None:
            continue
        results.append(result)
        advisory = result.enforcement == "advisory"
        for rule in result.rules:
            if rule.error is not None:
                diagnostics.append(rule.error)
            if rule.kind == "warn" and rule.outcome is not Outcome.NOT_FIRED:
                text = rule.message or rule.rule
                if rule.outcome is Outcome.UNKNOWN:
                    text = f"could not check: {_missing_text(rule.missing)}"
                warnings.append(Warning(result.policy, rule.rule, text, rule.location))
                continue
            if not rule.decisive or result.verdict is Verdict.GO:
                continue
            if advisory:
                label = result.verdict.label
                warnings.append(Warning(result.policy, rule.rule, f"{label}: {rule.message}", rule.location))
            elif rule.outcome is Outcome.UNKNOWN:
                missing.extend(
                    MissingInformation(path, owner, file, result.policy, rule.rule)
                    for owner, file, path in rule.missing
                )
    verdict = Verdict.worst([r.verdict for r in results if r.enforcement != "advisory"])
    if options.strict:
        diagnostics.extend(_strict_errors(missing, subject))
    location = Location(subject.file, subject.line, subject.column)
    return (
        SubjectResult(
            subject.name,
            subject.kind,
            verdict,
            location,
            tuple(results),
            tuple(warnings),
            tuple(dict.fromkeys(missing)),
        ),
        diagnostics,
    )


def _missing_text(fields: tuple[tuple[str, str, str], ...]) -> str:
    """`missing information: risk (services/a.yaml), tier (services/b.yaml)`."""
    return "missing information: " + ", ".join(f"{path} ({file})" for _, file, path in fields)


def _strict_errors(missing: list[MissingInformation], subject: Subject) -> list[Diagnostic]:
    return [
        Diagnostic(
            "DL-EVAL-MISSING",
            f"{item} needed by rule `{item.rule}` for `{subject.name}`",
            file=item.file,
            help=f"declare `{item.path}` in {item.file}, or run without --strict to get NOT YET instead",
        )
        for item in missing
    ]


def evaluate(
    policies: Sequence[CompiledPolicy],
    portfolio: Portfolio,
    options: EvaluationOptions,
    only: Iterable[str] | None = None,
) -> Report:
    wanted = set(only) if only is not None else None
    subjects: list[SubjectResult] = []
    diagnostics: list[Diagnostic] = []
    for subject in portfolio.subjects:
        if wanted is not None and subject.name not in wanted:
            continue
        result, problems = evaluate_subject(policies, subject, portfolio, options)
        subjects.append(result)
        diagnostics.extend(problems)
    verdict = Verdict.worst([subject.verdict for subject in subjects])
    unique = list(dict.fromkeys(diagnostics))
    return Report(verdict, tuple(subjects), tuple(unique), options.today)

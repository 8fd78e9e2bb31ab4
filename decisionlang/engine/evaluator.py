"""Applies compiled policies to subjects and decides verdicts (see docs/semantics.md).

Per policy: a firing `no_go` gives NO-GO; else a firing `not_yet` (or a blocking rule that cannot
be decided) gives NOT YET; else GO when a `go` rule holds or the policy has none; else `otherwise`.
Per subject: the worst verdict over applicable soft and hard policies; advisory ones only warn.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic, Severity
from decisionlang.core.model import (
    AppliedWaiver,
    Enforcement,
    Location,
    MissingInformation,
    Outcome,
    PolicyResult,
    Report,
    RuleKind,
    RuleTrace,
    SubjectResult,
    Verdict,
    VerdictRead,
    VerdictValue,
    Warning,
)
from decisionlang.core.spans import Span
from decisionlang.core.subjects import Portfolio, Subject, stale_sentence
from decisionlang.engine.compiler import (
    READ_VERDICT,
    STEPS,
    CompiledPolicy,
    CompiledRule,
    Context,
    EvaluationLimit,
    Recorder,
    built,
    fact_objects,
    parts_of,
)
from decisionlang.engine.margins import directed_comparisons, directed_tradeoffs
from decisionlang.engine.values import Missing, Problem, Undetermined

if TYPE_CHECKING:  # waivers are read with the YAML reader, which evaluating does not need
    from decisionlang.inputs.waivers import Waiver


@dataclass(frozen=True)
class EvaluationOptions:
    today: dt.date
    trace: bool = True
    strict: bool = False
    waivers: tuple[Waiver, ...] = ()
    warn_days: int = 30  # warn about waivers expiring within this many days
    steps: int = STEPS  # evaluation budget per subject (S42)


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


def _trace(
    rule: CompiledRule, value: object, recorder: Recorder | None, ctx: Context, decisive: bool
) -> RuleTrace:
    if value is False and not decisive and recorder is not None:  # most rules of a traced run
        return RuleTrace.recorded(
            rule.id, rule.kind, Outcome.NOT_FIRED, None, None, rule.location, None, False, (),
            _recorded_parts, rule, *recorder.sealed(),
        )  # fmt: skip
    outcome = _outcome(value)
    explain = decisive or outcome in (Outcome.FIRED, Outcome.UNKNOWN, Outcome.ERROR)
    message = (rule.because(ctx) if rule.because else rule.default_message) if explain else None
    until = rule.until(ctx) if rule.until and explain else None
    error = None
    if isinstance(value, Problem):
        error = Diagnostic(value.code, value.message, span=value.span, severity=Severity.WARNING)
        message = f"evaluation problem: {value.message}"
    elif isinstance(value, Missing) and decisive:
        message = _missing_text(value.fields, ctx.portfolio, ctx.subject.name)
    missing = value.fields if isinstance(value, Missing) else ()
    if recorder is None:
        return RuleTrace(
            rule.id,
            rule.kind,
            outcome,
            message,
            until,
            rule.location,
            error=error,
            decisive=decisive,
            missing=missing,
        )
    return RuleTrace.recorded(
        rule.id,
        rule.kind,
        outcome,
        message,
        until,
        rule.location,
        error,
        decisive,
        missing,
        _recorded_parts,
        rule,
        *recorder.sealed(),
    )


def _recorded_parts(
    rule: CompiledRule,
    known: dict[tuple[str, str], Any],
    keys: tuple[tuple[str, str], ...],
    events: tuple[Any, ...],
) -> tuple[object, ...]:
    """A traced rule's facts, comparisons, scores... (`RECORDED_PARTS`), built from what its
    recorder kept (`Recorder.sealed`) when its trace is first read; margins get their direction
    for this rule."""
    parts = parts_of(events)
    return (
        fact_objects(known, keys),
        directed_comparisons(tuple(parts.comparisons), rule.polarity, rule.kind),
        built(parts.scores.values()),
        directed_tradeoffs(built(parts.tradeoffs.values()), rule.polarity, rule.kind),
        tuple(parts.maturities.values()),
        tuple(parts.defaults.values()),
        tuple(parts.verdicts.values()),
        tuple(parts.exemptions.values()),
    )


def _applies(policy: CompiledPolicy, subject: Subject) -> bool:
    if policy.kinds and any(subject.kind not in kinds for kinds in policy.kinds):
        return False
    if not policy.tags:
        return True
    tags = subject.fields.get("tags", ())
    return all(any(tag in group for tag in tags) for group in policy.tags)


def _decide(policy: CompiledPolicy, values: list[object]) -> tuple[Verdict, list[int]]:
    """The verdict (S4) and the indexes of the rules that decided it; -1 stands for `otherwise`."""
    fired = [i for i in policy.no_go_rules if values[i] is True]
    if fired:
        return Verdict.NO_GO, fired
    blockers = [i for i in policy.blocking_rules if values[i] is True or isinstance(values[i], Undetermined)]
    if blockers:
        return Verdict.NOT_YET, blockers
    if not policy.go_rules:
        return Verdict.GO, []
    holding = [i for i in policy.go_rules if values[i] is True]
    if holding:
        return Verdict.GO, holding
    undecided = [i for i in policy.go_rules if isinstance(values[i], Undetermined)]
    if undecided:
        return Verdict.NOT_YET, undecided
    return policy.otherwise_kind.verdict or Verdict.NOT_YET, [-1]


def _otherwise_trace(
    policy: CompiledPolicy, ctx: Context, values: list[object], decisive: bool = True
) -> RuleTrace:
    if policy.otherwise_message is not None:
        message = policy.otherwise_message(ctx)
    else:
        go_rules = [policy.rules[i] for i in policy.go_rules]
        failed = [rule.because(ctx) if rule.because else rule.default_message for rule in go_rules]
        message = "no `go` rule holds: " + "; ".join(failed)
    span = policy.otherwise_span or policy.span
    return RuleTrace(
        rule=f"{policy.id}.otherwise",
        kind=RuleKind.OTHERWISE,
        outcome=Outcome.APPLIED if decisive else Outcome.NOT_FIRED,
        message=message,
        until=policy.otherwise_until(ctx) if policy.otherwise_until else None,
        location=_location(span),
        decisive=decisive,
    )


def _where_unknown_trace(
    policy: CompiledPolicy, value: Undetermined, recorder: Recorder | None, portfolio: Portfolio, subject: str
) -> RuleTrace:
    span = policy.where_span or policy.span
    if isinstance(value, Missing):
        message = f"cannot tell whether the policy applies: {_missing_text(value.fields, portfolio, subject)}"
        outcome, error = Outcome.UNKNOWN, None
    else:
        assert isinstance(value, Problem)
        message = f"cannot tell whether the policy applies: evaluation problem: {value.message}"
        outcome = Outcome.ERROR
        error = Diagnostic(value.code, value.message, span=value.span, severity=Severity.WARNING)
    return RuleTrace(
        rule=f"{policy.id}.applies",
        kind=RuleKind.APPLIES,
        outcome=outcome,
        message=message,
        until=None,
        location=_location(span),
        facts=recorder.fact_objects() if recorder else (),
        comparisons=tuple(recorder.parts().comparisons) if recorder else (),
        error=error,
        decisive=True,
        missing=value.fields if isinstance(value, Missing) else (),
    )


def evaluate_policy(
    policy: CompiledPolicy, ctx: Context, tracing: bool, waivers: Sequence[Waiver] = ()
) -> PolicyResult | None:
    """The policy's verdict on ctx.subject, or None when it does not apply. `waivers` are the
    waivers in force for this subject and (soft) policy."""
    if not _applies(policy, ctx.subject):
        return None
    if policy.where is not None:
        recorder = ctx.new_recorder() if tracing else None
        ctx.recorder = recorder
        applies = policy.where(ctx)
        ctx.recorder = None
        if applies is False:
            return None
        if isinstance(applies, Undetermined):
            trace = _where_unknown_trace(policy, applies, recorder, ctx.portfolio, ctx.subject.name)
            return PolicyResult(
                policy.id,
                policy.title,
                policy.enforcement,
                Verdict.NOT_YET,
                policy.location,
                (trace,),
                review_after_days=policy.review_after_days,
            )
    rules = policy.rules
    recorders: list[Recorder | None]
    if tracing:
        values, recorders, facts = [], [], ctx.facts
        for rule in rules:
            recorder = ctx.recorder = Recorder(facts)
            values.append(rule.condition(ctx))
            recorders.append(recorder)
        ctx.recorder = None
    else:
        values = [rule.condition(ctx) for rule in rules]
        recorders = [None] * len(rules)
    verdict, decisive = _decide(policy, values)
    unwaived: Verdict | None = None
    used: list[Waiver] = []
    waived: list[int] = []
    if waivers and verdict is not Verdict.GO:
        lifted, still_deciding, used, waived = _lift(policy, values, waivers)
        if lifted.severity >= verdict.severity:  # the waivers change nothing: they are stale here
            used, waived = [], []
        if used:
            unwaived = verdict
            # Lifted to GO, the trace keeps the rules that fired; else the rules still deciding.
            verdict, decisive = lifted, (decisive if lifted is Verdict.GO else still_deciding)
    shown = range(len(rules)) if tracing else _reported(policy, values, decisive)
    traces = [_trace(rules[i], values[i], recorders[i], ctx, i in decisive) for i in shown]
    if -1 in decisive:
        traces.append(_otherwise_trace(policy, ctx, values))
    elif verdict is not Verdict.GO and policy.go_rules and all(values[i] is False for i in policy.go_rules):
        # Blockers decided, but no `go` rule holds either: removing the blockers is not enough,
        # and what must hold for GO says so (S15).
        traces.append(_otherwise_trace(policy, ctx, values, decisive=False))
    applied = tuple(_applied(waiver) for waiver in used)
    return PolicyResult(
        policy.id,
        policy.title,
        policy.enforcement,
        verdict,
        policy.location,
        tuple(traces),
        applied,
        unwaived,
        tuple(rules[i].id for i in waived) if used else (),
        policy.review_after_days,
    )


def _reported(policy: CompiledPolicy, values: list[object], decisive: list[int]) -> list[int]:
    """Without tracing, only the rules that decided, warned or failed to evaluate are kept."""
    warns = policy.warn_rules
    return [
        i
        for i, value in enumerate(values)
        if value is not False
        and (
            i in decisive
            or value is True  # a firing blocking rule: what must hold lists it
            or i in warns
            or isinstance(value, Problem)
        )
    ]


class _Run:
    """What every subject of one evaluation shares, worked out once per run rather than once per
    subject: the policies by id, the exemptions in force, and the waivers of each subject."""

    __slots__ = ("_untraced", "by_id", "exempting", "exemptions", "options", "policies", "waivers_of")

    def __init__(self, policies: Sequence[CompiledPolicy], options: EvaluationOptions) -> None:
        self.policies = policies
        self.options = options
        self.by_id = {policy.id: policy for policy in policies}
        self.exemptions = exemptions_in_force(options)
        self.waivers_of: dict[str, list[Waiver]] = {}
        self.exempting: dict[str, list[Waiver]] = {}  # the requirement and term waivers, by subject
        for waiver in options.waivers:
            self.waivers_of.setdefault(waiver.subject, []).append(waiver)
            if waiver.exempts is not None:
                self.exempting.setdefault(waiver.subject, []).append(waiver)
        self._untraced: _Run | None = None

    def without_trace(self) -> _Run:
        """The same run, verdicts only (built once, for the subjects an exemption lifted)."""
        if not self.options.trace:
            return self
        if self._untraced is None:
            self._untraced = _Run(self.policies, dataclasses.replace(self.options, trace=False))
        return self._untraced


def evaluate_subject(
    policies: Sequence[CompiledPolicy],
    subject: Subject,
    portfolio: Portfolio,
    options: EvaluationOptions,
    run: _Run | None = None,
) -> tuple[SubjectResult, list[Diagnostic]]:
    """One subject's result and diagnostics. `run` is what the subjects of one evaluation share
    (built from `policies` and `options` when not given)."""
    if run is None:
        run = _Run(policies, options)
    portfolio = portfolio.observed_on(options.today)  # facts older than their `fresh for`: unknown
    if subject.evidence and subject.as_of != options.today:
        subject = portfolio.by_name.get(subject.name) or subject.observed_on(options.today)
    ctx = Context(subject, portfolio, options.today, options.steps)
    ctx.exemptions = run.exemptions
    decisions = _Decisions(run)
    ctx.verdict_of = decisions.verdict_of
    results: list[PolicyResult] = []
    warnings: list[Warning] = []
    missing: list[MissingInformation] = []
    diagnostics: list[Diagnostic] = []
    for policy in policies:
        try:
            result, notes = decisions.decide(policy, ctx)
        except EvaluationLimit as limit:
            raise DecisionlangError([_limit_error(limit, policy, subject)]) from None
        diagnostics.extend(notes)
        if result is None:
            continue
        results.append(result)
        advisory = result.enforcement is Enforcement.ADVISORY
        for rule in result.rules:
            if rule.error is not None:
                diagnostics.append(rule.error)
            if rule.kind is RuleKind.WARN and rule.outcome is not Outcome.NOT_FIRED:
                text = rule.message or rule.rule
                if rule.outcome is Outcome.UNKNOWN:
                    text = f"could not check: {_missing_text(rule.missing, portfolio, subject.name)}"
                warnings.append(Warning(result.policy, rule.rule, text, rule.location))
                continue
            if not rule.decisive or result.verdict is Verdict.GO:
                continue
            if advisory:
                label = result.verdict.label
                warnings.append(Warning(result.policy, rule.rule, f"{label}: {rule.message}", rule.location))
            elif rule.outcome is Outcome.UNKNOWN:
                missing.extend(_missing_information(portfolio, result.policy, rule.rule, rule.missing))
    if ctx.exempted:
        results = _with_exemptions_shown(results, run, subject, portfolio, ctx)
    verdict = Verdict.worst([r.verdict for r in results if r.enforcement.decides])
    exempting = run.exempting.get(subject.name)
    if exempting:
        diagnostics.extend(_exemption_notes(options, exempting, ctx.exempted))
    if options.strict:
        diagnostics.extend(_strict_errors(missing, subject, portfolio))
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


def _with_exemptions_shown(
    results: list[PolicyResult], run: _Run, subject: Subject, portfolio: Portfolio, ctx: Context
) -> list[PolicyResult]:
    """A policy whose verdict an exemption improved is shown as lifted by it (S52), like one a
    waiver lifted: `unwaived` is its verdict decided again without the exemptions (and without the
    trace), and the exemption waivers join `waived_by`. Only subjects that used an exemption pay
    for the second evaluation."""
    options = run.options
    plain = Context(subject, portfolio, options.today, options.steps)
    without = _Decisions(run.without_trace())
    plain.verdict_of = without.verdict_of
    used = [waiver for key, waiver in ctx.exemptions.items() if key in ctx.exempted]
    shown = []
    by_id = run.by_id
    for result in results:
        if result.unwaived is None:
            try:
                before, _ = without.decide(by_id[result.policy], plain)
            except EvaluationLimit:  # the first evaluation was within budget: so is this one
                before = None
            if before is not None and before.verdict.severity > result.verdict.severity:
                read = [e.waiver for rule in result.rules for e in rule.exemptions]
                lifted_by = tuple(dict.fromkeys(read or used))
                result = dataclasses.replace(
                    result, unwaived=before.verdict, waived_by=(*result.waived_by, *lifted_by)
                )
        shown.append(result)
    return shown


def exemptions_in_force(options: EvaluationOptions) -> Mapping[tuple[str, str], AppliedWaiver]:
    """(subject, requirement or term id) -> the waiver in force today that exempts it (S52)."""
    return {
        (waiver.subject, waiver.exempts): _applied(waiver)
        for waiver in options.waivers
        if waiver.exempts is not None and waiver.active_on(options.today)
    }


def _exemption_notes(
    options: EvaluationOptions, waivers: Sequence[Waiver], used: set[tuple[str, str]]
) -> list[Diagnostic]:
    """Notes on the requirement and term waivers of the subject evaluated: expired, not granted
    yet, expiring soon, or in force but needed by nothing (the requirement holds without it, or no
    rule reads that level or score)."""
    notes = []
    today = options.today
    for waiver in waivers:
        if waiver.exempts is None:
            continue
        out_of_dates = _out_of_dates(waiver, today)
        if out_of_dates is not None:
            notes.append(out_of_dates)
        elif (waiver.subject, waiver.exempts) not in used:
            notes.append(
                _waiver_note(
                    "DL-WAIVER-STALE",
                    waiver,
                    f"`{waiver.exempts}` needs no exemption: it holds without it, or no rule reads it",
                )
            )
        else:
            notes.extend(_expiring(waiver, options))
    return notes


class _Decisions:
    """The policies decided during one subject's evaluation, each once per subject: the report and
    `verdict(p)` (a policy reading another's verdict) share them."""

    __slots__ = ("by_id", "options", "pending", "results", "run")

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.options = run.options
        self.by_id = run.by_id
        self.results: dict[tuple[str, str], tuple[PolicyResult | None, list[Diagnostic]]] = {}
        self.pending: set[tuple[str, str]] = set()

    def decide(self, policy: CompiledPolicy, ctx: Context) -> tuple[PolicyResult | None, list[Diagnostic]]:
        key = (policy.id, ctx.subject.name)
        hit = self.results.get(key)
        if hit is None:
            hit = self.results[key] = self._decide(policy, ctx)
        return hit

    def verdict_of(self, ctx: Context, policy_id: str, span: Span) -> object:
        """`verdict(policy_id)` on ctx.subject: GO when the policy does not apply; the rule reading
        it records the link to that decision."""
        key = (policy_id, ctx.subject.name)
        policy = self.by_id.get(policy_id)
        if policy is None or key in self.pending:  # the checker refuses both; kept for library callers
            return Problem("DL-EVAL-VERDICT", f"`{span.text()}` depends on its own verdict", span)
        recorder, variables = ctx.recorder, ctx.variables
        ctx.recorder, ctx.variables = None, {}
        self.pending.add(key)
        try:
            result, _ = self.decide(policy, ctx)
        finally:
            ctx.recorder, ctx.variables = recorder, variables
            self.pending.discard(key)
        verdict = result.verdict if result is not None else Verdict.GO
        if recorder is not None:
            read = VerdictRead(policy_id, ctx.subject.name, verdict, policy.location, result is not None)
            recorder.events.append((READ_VERDICT, key, read))
        return VerdictValue.of(verdict)

    def _decide(self, policy: CompiledPolicy, ctx: Context) -> tuple[PolicyResult | None, list[Diagnostic]]:
        """The policy's result with the subject's waivers in force, and the notes on those waivers."""
        options = self.options
        subject_waivers = self.run.waivers_of.get(ctx.subject.name)
        mine = [waiver for waiver in subject_waivers if waiver.policy == policy.id] if subject_waivers else []
        usable, notes = _usable_waivers(mine, policy, options) if mine else ([], [])
        result = evaluate_policy(policy, ctx, options.trace, usable)
        if result is None:
            # A waiver in force for a policy that does not apply (its selector or `where` leaves
            # the subject out) lifts nothing: stale, as when its rule stops firing.
            stale_notes = [
                _waiver_note("DL-WAIVER-STALE", w, f"`{policy.id}` does not apply to `{w.subject}`")
                for w in usable
            ]
            return None, stale_notes
        diagnostics: list[Diagnostic] = []
        if mine:
            used = {waiver.id for waiver in result.waived_by}
            known = {rule.id for rule in policy.rules} | {f"{policy.id}.otherwise"}
            # A waiver naming an unknown rule is reported once, as stale, when the project loads.
            stale = [w for w in usable if w.id not in used and (w.rule is None or w.rule in known)]
            diagnostics.extend(notes)
            diagnostics.extend(
                _waiver_note("DL-WAIVER-STALE", w, f"`{w.rule or w.policy}` no longer blocks `{w.subject}`")
                for w in stale
            )
        return result, diagnostics


def _usable_waivers(
    waivers: Sequence[Waiver], policy: CompiledPolicy, options: EvaluationOptions
) -> tuple[list[Waiver], list[Diagnostic]]:
    """The waivers in force today for this policy, and notes on the others (expired, hard...)."""
    usable: list[Waiver] = []
    notes: list[Diagnostic] = []
    today = options.today
    for waiver in waivers:
        out_of_dates = _out_of_dates(waiver, today)
        if out_of_dates is not None:
            notes.append(out_of_dates)
        elif policy.enforcement is Enforcement.HARD:
            notes.append(
                _waiver_note("DL-WAIVER-HARD", waiver, f"cannot lift `{policy.id}`: its enforcement is hard")
            )
        else:
            notes.extend(_expiring(waiver, options))
            usable.append(waiver)
    return usable, notes


def _lift(
    policy: CompiledPolicy, values: list[object], waivers: Sequence[Waiver]
) -> tuple[Verdict, list[int], list[Waiver], list[int]]:
    """Decide again as if the waived rules had not fired; returns the verdict, its deciding rules
    and the waivers that made a difference. A waiver of the whole policy lifts it entirely."""
    rules = policy.rules
    covered = [
        i
        for i in policy.blocking_rules
        if (values[i] is True or isinstance(values[i], Undetermined))
        and any(waiver.covers(rules[i].id) for waiver in waivers)
    ]
    masked = [False if i in covered else value for i, value in enumerate(values)]
    verdict, decisive = _decide(policy, masked)
    used = [waiver for waiver in waivers if any(waiver.covers(rules[i].id) for i in covered)]
    otherwise_waivers = [w for w in waivers if w.covers(f"{policy.id}.otherwise")]
    if decisive == [-1] and otherwise_waivers:
        verdict, decisive, used = Verdict.GO, [], [*used, *otherwise_waivers]
    whole = [waiver for waiver in waivers if waiver.rule is None]
    if verdict is not Verdict.GO and whole:
        verdict, decisive, used = Verdict.GO, [], [*used, *whole]
    return verdict, decisive, list(dict.fromkeys(used)), covered


def _applied(waiver: Waiver) -> AppliedWaiver:
    return AppliedWaiver(
        waiver.id,
        waiver.expires,
        waiver.owner,
        waiver.approver,
        waiver.rationale,
        waiver.compensating_measure,
        Location(waiver.span.path, waiver.span.line, waiver.span.column),
    )


def _out_of_dates(waiver: Waiver, today: dt.date) -> Diagnostic | None:
    """The note on a waiver that does not apply today (expired, or not granted yet), or None."""
    if waiver.expires < today:
        return _waiver_note("DL-WAIVER-EXPIRED", waiver, f"expired on {waiver.expires}; it no longer applies")
    if waiver.granted > today:
        return _waiver_note("DL-WAIVER-NOT-GRANTED", waiver, f"applies from {waiver.granted} only")
    return None


def _expiring(waiver: Waiver, options: EvaluationOptions) -> list[Diagnostic]:
    """The note on a waiver in force that expires within the warning days (none otherwise)."""
    days = (waiver.expires - options.today).days
    if days > options.warn_days:
        return []
    return [_waiver_note("DL-WAIVER-EXPIRING", waiver, f"expires on {waiver.expires}, in {days} days")]


def _waiver_note(code: str, waiver: Waiver, text: str) -> Diagnostic:
    message = f"waiver `{waiver.id}` on `{waiver.subject}`: {text}"
    return Diagnostic(code, message, span=waiver.span, severity=Severity.WARNING)


def _missing_text(fields: tuple[tuple[str, str, str], ...], portfolio: Portfolio, subject: str) -> str:
    """`missing information: risk (services/a.yaml), tier (services/b.yaml)`; a stale fact said
    so: `dora.change_failure_rate is stale (observed 2026-05-01 by dora-exporter, older than 90 days)`."""
    absent: list[str] = []
    stale: dict[str, list[str]] = {}  # why -> the fields stale for that reason, in order
    for owner, file, path in fields:
        why = portfolio.staleness(owner, path)
        if why is None:
            absent.append(f"{path} ({file})")
        else:
            stale.setdefault(why, []).append(path if owner == subject else f"{path} of {owner}")
    said = ["missing information: " + ", ".join(absent)] if absent else []
    for why, paths in stale.items():
        said.append(stale_sentence(", ".join(paths), why, many=len(paths) > 1))
    return "; ".join(said)


def _missing_information(
    portfolio: Portfolio, policy: str, rule: str, fields: tuple[tuple[str, str, str], ...]
) -> list[MissingInformation]:
    """What a rule lacked: each field with the file to add it to, or, for a stale one, the file it is
    written in (observed again there) and why it is stale."""
    found = []
    for owner, file, path in fields:
        stale = portfolio.staleness(owner, path)
        if stale is not None:
            file = portfolio.by_name[owner].origin_of(path)[0]
        found.append(MissingInformation(path, owner, file, policy, rule, stale))
    return found


def _limit_error(limit: EvaluationLimit, policy: CompiledPolicy, subject: Subject) -> Diagnostic:
    """DL-EVAL-LIMIT: which policy, for which subject, where the work went (S42)."""
    within = f" (in definition `{limit.define}`)" if limit.define is not None else ""
    return Diagnostic(
        "DL-EVAL-LIMIT",
        f"policy `{policy.id}` on `{subject.name}` needs more than {limit.budget:,} evaluation steps"
        f"{within}: stopped here",
        span=limit.span,
        help="an aggregate over a long list inside another multiplies the work: simplify the policy, "
        "or raise `limits: evaluation_steps` in decisionlang.yaml",
    )


def _strict_errors(
    missing: list[MissingInformation], subject: Subject, portfolio: Portfolio
) -> list[Diagnostic]:
    """--strict: each missing field is an error at the subject that lacks it (S22)."""
    errors = []
    for item in missing:
        owner = portfolio.by_name.get(item.subject, subject)
        file, line, column = owner.file, owner.line, owner.column
        help = f"declare `{item.path}` for `{owner.name}`, or run without --strict to get NOT YET"
        if item.stale is not None:  # written, but too old: where it is written, observed again
            file, line, column = owner.origin_of(item.path)
            help = f"observe `{item.path}` of `{owner.name}` again and update its `observed:` date"
        errors.append(
            Diagnostic(
                "DL-EVAL-MISSING",
                f"{item} needed by rule `{item.rule}` for `{subject.name}`",
                file=file,
                line=line,
                column=column,
                help=help,
            )
        )
    return errors


def evaluate(
    policies: Sequence[CompiledPolicy],
    portfolio: Portfolio,
    options: EvaluationOptions,
    only: Iterable[str] | None = None,
) -> Report:
    """Every subject of the portfolio, or only the named ones: a named subject costs the same in
    a portfolio of a thousand subjects or of a hundred thousand (its rules read the others, through
    the dependency graph, only as they need them)."""
    subjects: list[SubjectResult] = []
    diagnostics: list[Diagnostic] = []
    for result, problems in evaluate_each(policies, portfolio, options, only):
        subjects.append(result)
        diagnostics.extend(problems)
    verdict = Verdict.worst([subject.verdict for subject in subjects])
    unique = list(dict.fromkeys(diagnostics))
    return Report(verdict, tuple(subjects), tuple(unique), options.today)


def evaluate_each(
    policies: Sequence[CompiledPolicy],
    portfolio: Portfolio,
    options: EvaluationOptions,
    only: Iterable[str] | None = None,
) -> Iterator[tuple[SubjectResult, list[Diagnostic]]]:
    """The subjects of `evaluate`, in the same order, each evaluated when the iteration reaches it:
    its result and the diagnostics it raised. A caller that writes each result and drops it keeps
    one subject's trace in memory at a time, not the whole report's."""
    chosen = portfolio.subjects if only is None else named_subjects(portfolio, only)
    run = _Run(policies, options)
    for subject in chosen:
        yield evaluate_subject(policies, subject, portfolio, options, run)


def named_subjects(portfolio: Portfolio, names: Iterable[str]) -> list[Subject]:
    """The named subjects that exist, in the portfolio's order (by name), each once."""
    by_name = portfolio.by_name
    return [by_name[name] for name in sorted(set(names)) if name in by_name]


# ---------------------------------------------------------------- one expression (`decisionlang eval`)


def evaluate_expression(
    condition: Any,
    span: Span,
    policies: Sequence[CompiledPolicy],
    subject: Subject,
    portfolio: Portfolio,
    options: EvaluationOptions,
) -> tuple[object, RuleTrace]:
    """The value of one compiled expression for `subject`, and its trace as a rule's is recorded
    (facts read, comparisons, scores, trade-offs, verdicts read...), under the id `expression`.
    `verdict(p)` reads the verdicts of `policies` as a rule does."""
    run = _Run(policies, options)
    portfolio = portfolio.observed_on(options.today)
    subject = portfolio.by_name.get(subject.name, subject)
    ctx = Context(subject, portfolio, options.today, options.steps)
    ctx.exemptions = run.exemptions
    ctx.verdict_of = _Decisions(run).verdict_of
    recorder = ctx.recorder = Recorder(ctx.facts)
    try:
        value = condition(ctx)
    except EvaluationLimit as limit:
        value = Problem("DL-EVAL-LIMIT", f"the expression needs more than {limit.budget:,} steps", limit.span)
    ctx.recorder = None
    rule = CompiledRule(
        id="expression",
        kind=RuleKind.WARN,
        span=span,
        location=_location(span),
        condition=condition,
        because=None,
        until=None,
        default_message="",
    )
    error = None
    message: str | None = None
    if isinstance(value, Problem):
        error = Diagnostic(value.code, value.message, span=value.span, severity=Severity.WARNING)
        message = f"evaluation problem: {value.message}"
    elif isinstance(value, Missing):
        message = _missing_text(value.fields, portfolio, subject.name)
    missing = value.fields if isinstance(value, Missing) else ()
    trace = RuleTrace.recorded(
        rule.id,
        rule.kind,
        _outcome(value),
        message,
        None,
        rule.location,
        error,
        True,
        missing,
        _recorded_parts,
        rule,
        *recorder.sealed(),
    )
    return value, trace

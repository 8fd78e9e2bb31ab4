"""Derived views of a decision: what decided, what holds a subject back, what a waiver lifted,
what must hold for GO, and the findings a CI check reports.

Every output (text, explain, JSON, CI formats, history, the board report) asks these questions of
the same typed `Report`; they are answered here, once. Renderers only put the answers into words.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from decisionlang.core.model import (
    AppliedExemption,
    AppliedWaiver,
    Enforcement,
    Fact,
    Fragility,
    Location,
    Outcome,
    PolicyResult,
    Report,
    RuleKind,
    RuleTrace,
    SubjectResult,
    Verdict,
    Warning,
)
from decisionlang.core.subjects import origin_words, staleness_words

# ---------------------------------------------------------------- what decided


def deciding_rules(result: SubjectResult) -> tuple[RuleTrace, ...]:
    """The rules that decided the subject's verdict: the decisive rules of its enforced policies
    whose verdict is the subject's (after waivers: a waived rule decides nothing)."""
    return tuple(
        rule
        for policy in result.policies
        if policy.enforcement.decides and policy.verdict is result.verdict
        for rule in policy.reasons
    )


def policy_reasons(result: SubjectResult) -> tuple[RuleTrace, ...]:
    """The rules that decided each applicable policy's own verdict, advisory and GO ones included
    (what a policy test's `rules:` names); `deciding_rules` keeps those that decided the subject."""
    return tuple(rule for policy in result.policies for rule in policy.reasons)


def fact_rules(result: SubjectResult | None) -> tuple[RuleTrace, ...]:
    """The rules whose facts decided: the deciding rules and, where a policy fell back to its
    `otherwise`, the `go` rules that did not hold (the fallback itself reads nothing)."""
    if result is None:
        return ()
    return _with_fallen_go_rules(result, deciding_rules(result))


def verdict_rules(result: SubjectResult | None) -> tuple[RuleTrace, ...]:
    """The rules a subject's verdict stands on, as a comparison of two decisions sees them: for a
    subject held back, the deciding rules of every policy holding it back (a second policy that
    fires on a subject already NO-GO changes what a reviewer must lift, even at the same verdict);
    for a GO subject, the deciding rules of the policies that allow it on their own (what a waiver
    lifted is a waiver's doing, told apart)."""
    if result is None:
        return ()
    blocking = blocking_policies(result)
    if blocking:
        return tuple(rule for policy in blocking for rule in policy.reasons)
    return tuple(
        rule
        for policy in result.policies
        if policy.enforcement.decides and policy.unwaived is None
        for rule in policy.reasons
    )


def verdict_fact_rules(result: SubjectResult | None) -> tuple[RuleTrace, ...]:
    """The rules whose facts the verdict stands on: `verdict_rules`, and the `go` rules that did
    not hold where a policy fell back to its `otherwise`."""
    if result is None:
        return ()
    return _with_fallen_go_rules(result, verdict_rules(result))


def _with_fallen_go_rules(result: SubjectResult, rules: tuple[RuleTrace, ...]) -> tuple[RuleTrace, ...]:
    extended = list(rules)
    for policy in result.policies:
        if any(rule.kind is RuleKind.OTHERWISE and rule in rules for rule in policy.reasons):
            extended.extend(rule for rule in policy.rules if rule.kind is RuleKind.GO)
    return tuple(extended)


def blocking_policies(result: SubjectResult) -> tuple[PolicyResult, ...]:
    """The policies that hold the subject back whatever its waivers do (a policy a waiver lifted is
    not among them): not GO and not merely advisory, in policy order."""
    return tuple(
        policy
        for policy in result.policies
        if policy.verdict is not Verdict.GO and policy.enforcement.decides
    )


class RuleRole(enum.Enum):
    """What one rule did to its policy's verdict, after waivers."""

    DECIDES = "decides"  # it decided the policy's verdict
    WAIVED = "waived"  # it fired (or decided) but a waiver lifted it
    ALSO_BLOCKS = "also-blocks"  # it fired too, behind the deciding rules: lifting those is not enough
    PENDING = "pending"  # an `otherwise` that applies once the blocking rules are lifted
    NONE = "none"  # it did not fire, or it is a warning


def rule_role(rule: RuleTrace, policy: PolicyResult) -> RuleRole:
    if rule.rule in _waived_ids(policy):
        return RuleRole.WAIVED
    if rule.decisive:
        return RuleRole.DECIDES
    if rule.kind.blocks and rule.outcome is Outcome.FIRED:
        return RuleRole.ALSO_BLOCKS
    if rule.kind is RuleKind.OTHERWISE:
        return RuleRole.PENDING
    return RuleRole.NONE


class PolicyRole(enum.Enum):
    """What one policy did to its subject's verdict, after waivers."""

    DECIDES = "decides"  # not GO, and its verdict is the subject's
    HOLDS_BACK = "holds-back"  # not GO, but a more severe policy decides the subject
    WAIVED = "waived"  # lifted to GO by waivers
    ALLOWS = "allows"  # GO on its own
    ADVISORY = "advisory"  # reported only, never decides


def policy_role(policy: PolicyResult, result: SubjectResult) -> PolicyRole:
    if policy.enforcement is Enforcement.ADVISORY:
        return PolicyRole.ADVISORY
    if policy.verdict is Verdict.GO:
        return PolicyRole.WAIVED if policy.unwaived is not None else PolicyRole.ALLOWS
    return PolicyRole.DECIDES if policy.verdict is result.verdict else PolicyRole.HOLDS_BACK


# ---------------------------------------------------------------- what waivers lifted


def is_lifted(policy: PolicyResult) -> bool:
    """A waiver lifted the policy's verdict (to GO, or from NO-GO to NOT YET)."""
    return bool(policy.waived_by) and policy.unwaived is not None


def waived_rules(policy: PolicyResult) -> tuple[RuleTrace, ...]:
    """The rules a waiver lifted: all that decided when the policy was lifted to GO, else those named."""
    if not is_lifted(policy):
        return ()
    if policy.verdict is Verdict.GO:
        return policy.reasons
    return tuple(rule for rule in policy.rules if rule.rule in policy.waived_rules and not rule.decisive)


def _waived_ids(policy: PolicyResult) -> frozenset[str]:
    return frozenset(rule.rule for rule in waived_rules(policy))


def verdict_without_waivers(result: SubjectResult) -> Verdict:
    """The subject's verdict had no waiver applied: each enforced policy at its unwaived verdict."""
    return Verdict.worst(
        [policy.unwaived or policy.verdict for policy in result.policies if policy.enforcement.decides]
    )


class WaiverStanding(enum.Enum):
    """What the waivers of one subject did to its verdict."""

    NONE = "none"  # no waiver lifted any of its policies
    DECIDES = "decides"  # GO only because of the waivers
    PARTLY = "partly"  # better than without them, but another policy still holds it back
    NOTHING = "nothing"  # they lifted a policy, but the subject's verdict is the same without them


@dataclass(frozen=True)
class WaiverEffect:
    """One waiver on one policy of a subject: the policy's verdict before and after, the rules it
    lifted, and whether the subject's own verdict owes anything to it."""

    waiver: AppliedWaiver
    policy: PolicyResult
    lifted_from: Verdict
    lifted_to: Verdict
    rules: tuple[RuleTrace, ...]
    standing: WaiverStanding  # of the subject as a whole


def waiver_standing(result: SubjectResult) -> WaiverStanding:
    if not any(is_lifted(policy) for policy in result.policies):
        return WaiverStanding.NONE
    without = verdict_without_waivers(result)
    if without is result.verdict:
        return WaiverStanding.NOTHING
    return WaiverStanding.DECIDES if result.verdict is Verdict.GO else WaiverStanding.PARTLY


def waiver_effects(result: SubjectResult) -> tuple[WaiverEffect, ...]:
    """Every waiver that lifted one of the subject's policies, in policy order."""
    standing = waiver_standing(result)
    return tuple(
        WaiverEffect(waiver, policy, policy.unwaived, policy.verdict, waived_rules(policy), standing)
        for policy in result.policies
        if policy.unwaived is not None
        for waiver in policy.waived_by
    )


def applied_waivers(result: SubjectResult) -> tuple[AppliedWaiver, ...]:
    """The waivers that lifted one of its policies, in policy order, then those that exempt it from
    a maturity requirement or a criteria term, each once."""
    lifted = [effect.waiver for effect in waiver_effects(result)]
    return tuple(dict.fromkeys([*lifted, *(exemption.waiver for exemption in exemptions(result))]))


def exemptions(result: SubjectResult) -> tuple[AppliedExemption, ...]:
    """The waivers counted in the levels and scores its rules read: a maturity requirement counted
    as met, a criteria term left out of the score (S52), each once, in the order first read."""
    found: dict[tuple[str, str], AppliedExemption] = {}
    for policy in result.policies:
        for rule in policy.rules:
            for exemption in rule.exemptions:
                found.setdefault((exemption.waiver.id, exemption.target), exemption)
    return tuple(found.values())


# ---------------------------------------------------------------- what must hold


def must_hold(result: SubjectResult) -> tuple[str, ...]:
    """What must change to reach GO (S15): every deciding rule's `until` (or message), then the
    rules that also block and the `otherwise` of policies whose `go` rules do not hold either,
    then every missing field."""
    items: list[str] = []
    for policy in blocking_policies(result):
        roles = [(rule, rule_role(rule, policy)) for rule in policy.rules]
        ordered = [rule for rule, role in roles if role is RuleRole.DECIDES]
        ordered += [rule for rule, role in roles if role is RuleRole.ALSO_BLOCKS]
        ordered += [rule for rule, role in roles if role is RuleRole.PENDING]
        for rule in ordered:
            if rule.until:
                items.append(rule.until)
            elif rule.message and rule.outcome is not Outcome.UNKNOWN:  # missing: listed below
                items.append(f"resolve: {rule.message}")
    items.extend(str(missing) for missing in result.missing)
    return tuple(dict.fromkeys(items))


# ---------------------------------------------------------------- findings for CI


@dataclass(frozen=True)
class Finding:
    """What a CI check reports about a subject: a rule that decides its non-GO verdict under a policy,
    a rule a waiver lifts (with `verdict` the verdict lifted), or a warning (`verdict` None)."""

    subject: SubjectResult
    policy: str
    policy_title: str | None
    enforcement: Enforcement
    rule: str  # the rule's stable id
    kind: RuleKind
    verdict: Verdict | None
    message: str | None  # the rule's message; None when it has none
    until: str | None
    rule_location: Location
    facts: tuple[Fact, ...]  # what the rule read (empty without a trace)
    waivers: tuple[AppliedWaiver, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.policy, self.rule, self.subject.subject)

    @property
    def is_warning(self) -> bool:
        return self.verdict is None

    @property
    def fact(self) -> Fact | None:
        return deciding_fact(self.facts, self.subject.subject)

    @property
    def location(self) -> Location:
        """Where to point in the state file: the deciding fact, or the subject itself."""
        fact = self.fact
        return fact.location if fact is not None else self.subject.location


def findings(report: Report, subjects: Iterable[str] | None = None) -> list[Finding]:
    """Every finding of the report in report order (of the named subjects only, if given)."""
    wanted = set(subjects) if subjects is not None else None
    found: list[Finding] = []
    for subject in report.subjects:
        if wanted is None or subject.subject in wanted:
            found.extend(subject_findings(subject))
    return found


def subject_findings(subject: SubjectResult) -> list[Finding]:
    """The deciding rules of its blocking policies, the rules waivers lift, then its warnings."""
    found = [
        _rule_finding(subject, policy, rule, policy.verdict)
        for policy in blocking_policies(subject)
        for rule in policy.reasons
    ]
    for effect_policy in _waived_policies(subject):
        assert effect_policy.unwaived is not None
        found.extend(
            _rule_finding(
                subject, effect_policy, rule, rule.kind.verdict or effect_policy.unwaived, waived=True
            )
            for rule in waived_rules(effect_policy)
        )
    found.extend(_warning_finding(subject, warning) for warning in subject.warnings)
    return found


def _waived_policies(subject: SubjectResult) -> list[PolicyResult]:
    return [policy for policy in subject.policies if is_lifted(policy)]


def _warning_finding(subject: SubjectResult, warning: Warning) -> Finding:
    policy, rule = find_rule(subject, warning.policy, warning.rule)
    return Finding(
        subject=subject,
        policy=warning.policy,
        policy_title=policy.title if policy is not None else None,
        enforcement=policy.enforcement if policy is not None else Enforcement.ADVISORY,
        rule=warning.rule,
        kind=rule.kind if rule is not None else RuleKind.WARN,
        verdict=None,
        message=warning.message,
        until=None,
        rule_location=warning.location,
        facts=rule.facts if rule is not None else (),
    )


def _rule_finding(
    subject: SubjectResult, policy: PolicyResult, rule: RuleTrace, verdict: Verdict, *, waived: bool = False
) -> Finding:
    return Finding(
        subject=subject,
        policy=policy.policy,
        policy_title=policy.title,
        enforcement=policy.enforcement,
        rule=rule.rule,
        kind=rule.kind,
        verdict=verdict,
        message=rule.message or None,
        until=rule.until,
        rule_location=rule.location,
        facts=rule.facts,
        waivers=policy.waived_by if waived else (),
    )


def find_rule(
    subject: SubjectResult, policy_id: str, rule_id: str
) -> tuple[PolicyResult | None, RuleTrace | None]:
    for policy in subject.policies:
        if policy.policy == policy_id:
            return policy, next((rule for rule in policy.rules if rule.rule == rule_id), None)
    return None, None


def deciding_fact(facts: tuple[Fact, ...], subject: str) -> Fact | None:
    """The fact to point at: the subject's first missing one (what to add), else its first one.

    Facts of other subjects (a dependency's tier, say) live in other files: the subject's own
    location is a better anchor for them."""
    own = [fact for fact in facts if fact.subject == subject]
    return next((fact for fact in own if fact.missing), own[0] if own else None)


# ---------------------------------------------------------------- what it would take


@dataclass(frozen=True)
class DecidingParameter:
    """A parameter (constant, criteria weight) and the GO verdicts a small change of it flips."""

    parameter: str
    description: str
    value: float
    subjects: tuple[str, ...]  # the GO subjects it flips within the window, by name
    nearest: Fragility  # the smallest change of it that flips one of them


def deciding_parameters(report: Report) -> tuple[DecidingParameter, ...]:
    """Which parameters decide the most GO verdicts (`--fragile`): each parameter that flips a GO
    subject, with those subjects; the most subjects first, then the smallest change."""
    by_parameter: dict[str, list[tuple[str, Fragility]]] = {}
    for subject in report.subjects:
        for item in subject.fragile or ():
            by_parameter.setdefault(item.parameter, []).append((subject.subject, item))
    found = []
    for parameter, items in by_parameter.items():
        nearest = min((item for _, item in items), key=lambda item: (abs(item.relative), item.after))
        names = tuple(sorted(dict.fromkeys(name for name, _ in items)))
        found.append(DecidingParameter(parameter, nearest.description, nearest.before, names, nearest))
    found.sort(key=lambda entry: (-len(entry.subjects), abs(entry.nearest.relative), entry.parameter))
    return tuple(found)


# ---------------------------------------------------------------- evidence


def fact_evidence(fact: Fact) -> str | None:
    """Where a fact comes from and how old it is, when its state says: `observed 2026-05-01 by
    dora-exporter, 209 days ago, stale: fresh for 90 days`; None for a fact that says neither. The
    one wording of every renderer."""
    words = fact_origin(fact)
    if words is None:
        return None
    if fact.age_days is not None:
        words += f", {age_words(fact.age_days)}"
    if fact.stale:
        words += f", stale: fresh for {fact.fresh_for}"
    elif fact.fresh_for is not None:
        words += f", fresh for {fact.fresh_for}"
    return words


def age_words(days: int) -> str:
    """`today`, `1 day ago`, `209 days ago`, `in 3 days` (an observation dated after the decision)."""
    if days == 0:
        return "today"
    if days < 0:
        return f"in {-days} day" + ("s" if days < -1 else "")
    return f"{days} day ago" if days == 1 else f"{days} days ago"


def fact_origin(fact: Fact) -> str | None:
    """`observed 2026-05-01 by dora-exporter`, `observed 2026-05-01`, `from dora-exporter`; None
    for a fact that says neither."""
    return origin_words(fact.observed, fact.source)


def fact_staleness(fact: Fact) -> str:
    """Why a stale fact is stale: `observed 2026-05-01 by dora-exporter, older than 90 days`, as
    the engine words it (`Evidence.staleness`)."""
    return staleness_words(fact.observed, fact.source, fact.fresh_for)

"""Derived views of a decision: what decided, what holds a subject back, what a waiver lifted.

Every output (text, explain, JSON, CI formats, history, the board report) asks these questions of
the same typed `Report`; they are answered here, once. Renderers only format the answers.
"""

from __future__ import annotations

from decisionlang.core.model import PolicyResult, RuleKind, RuleTrace, SubjectResult, Verdict


def deciding_rules(result: SubjectResult) -> tuple[RuleTrace, ...]:
    """The rules that decided the subject's verdict: the decisive rules of its enforced policies
    whose verdict is the subject's (after waivers: a waived rule decides nothing)."""
    return tuple(
        rule
        for policy in result.policies
        if policy.enforcement.decides and policy.verdict is result.verdict
        for rule in policy.reasons
    )


def fact_rules(result: SubjectResult | None) -> tuple[RuleTrace, ...]:
    """The rules whose facts decided: the deciding rules and, where a policy fell back to its
    `otherwise`, the `go` rules that did not hold (the fallback itself reads nothing)."""
    if result is None:
        return ()
    rules = list(deciding_rules(result))
    for policy in result.policies:
        if any(rule.kind is RuleKind.OTHERWISE and rule in rules for rule in policy.reasons):
            rules.extend(rule for rule in policy.rules if rule.kind is RuleKind.GO)
    return tuple(rules)


def blocking_policies(result: SubjectResult) -> tuple[PolicyResult, ...]:
    """The policies that hold the subject back (after waivers): not GO and not merely advisory."""
    return tuple(
        policy
        for policy in result.policies
        if policy.verdict is not Verdict.GO and policy.enforcement.decides
    )


def waived_rules(policy: PolicyResult) -> tuple[RuleTrace, ...]:
    """The rules a waiver lifted: all that decided when the policy was lifted to GO, else those named."""
    if not policy.waived_by:
        return ()
    if policy.verdict is Verdict.GO:
        return policy.reasons
    return tuple(rule for rule in policy.rules if rule.rule in policy.waived_rules and not rule.decisive)

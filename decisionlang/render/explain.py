"""`decisionlang explain`: the full trace of one subject, written for a non-engineer.

The verdict and why in plain sentences first, then every applicable policy with every rule and
what it looked at, then warnings, missing information and what must hold for GO.
"""

from __future__ import annotations

from collections.abc import Sequence

from decisionlang.core import diagnostics
from decisionlang.core.escapes import safe_line
from decisionlang.core.format import show, show_number
from decisionlang.core.model import (
    Enforcement,
    MaturityTrace,
    Outcome,
    PolicyResult,
    RuleKind,
    RuleTrace,
    ScoreTrace,
    SubjectResult,
    TradeoffTrace,
    Verdict,
)
from decisionlang.core.subjects import stale_sentence
from decisionlang.core.views import (
    RuleRole,
    WaiverStanding,
    blocking_policies,
    fact_staleness,
    rule_role,
    waiver_effects,
    waiver_standing,
)
from decisionlang.render.text import (
    badge,
    format_comparison,
    format_default,
    format_exemption,
    format_fact,
    format_missing,
    format_verdict_read,
    format_warning,
    fragility_sentence,
    indent,
    maturity_level_words,
    paint,
    plural,
    quoted_title,
    rescale_words,
    rule_kind_words,
    short_location,
    to_go_intro,
    to_go_items,
    tradeoff_verdict,
    unique,
    verdict_word,
    waiver_lines,
    waiver_note,
    waiver_sentence,
)

SCORE_HEADERS = ("term", "value", "normalised", "weight", "contribution")


def render_explain(subject: SubjectResult, *, color: bool, focus: str | None = None) -> str:
    """Everything the evaluation recorded about one subject, top-down: verdict, why, details, fixes.

    `focus`, a policy name or a rule id, narrows the policies' section to that policy or rule (the
    rules keep their numbers); the other sections stay the subject's."""
    sections = [
        verdict_section(subject, color=color),
        policies_section(subject, color=color)
        if focus is None
        else focused_section(subject, focus, color=color),
        warnings_section(subject, color=color),
        missing_section(subject, color=color),
        must_hold_section(subject, color=color),
        to_go_section(subject, color=color),
        fragile_section(subject, color=color),
    ]
    return (
        "\n\n".join(
            "\n".join(safe_line(line, color=color) for line in section) for section in sections if section
        )
        + "\n"
    )


def heading(text: str, *, color: bool) -> str:
    return paint(text, "bold", color=color)


# ---------------------------------------------------------------- verdict and why


def verdict_section(subject: SubjectResult, *, color: bool) -> list[str]:
    name = paint(subject.subject, "bold", color=color)
    where = paint(short_location(subject.location), "dim", color=color)
    lines = [
        f"{name} ({subject.kind})  {where}",
        f"Verdict: {badge(subject.verdict, color=color)}{waiver_note(subject)}",
        "",
        verdict_sentence(subject, color=color),
    ]
    reasons = reason_lines(subject)
    if reasons:
        lines.append("Why:")
        lines.extend(indent(reasons, 2))
    return lines


def verdict_sentence(subject: SubjectResult, *, color: bool) -> str:
    waived = waiver_sentence(subject)
    if subject.verdict is not Verdict.GO:
        return verdict_base_sentence(subject, color=color) + (f" {waived}" if waived else "")
    sentence = verdict_base_sentence(subject, color=color)
    if waived:
        sentence += f" {waived}"
    if subject.warnings:
        count = len(subject.warnings)
        verb = "is" if count == 1 else "are"
        sentence += f" There {verb} {plural(count, 'warning')} to consider (see Warnings)."
    return sentence


def verdict_base_sentence(subject: SubjectResult, *, color: bool) -> str:
    label = verdict_word(subject.verdict, color=color)
    if subject.verdict is Verdict.NO_GO:
        return f"{subject.subject} is {label}: at least one policy blocks it as it stands."
    if subject.verdict is Verdict.NOT_YET:
        return (
            f"{subject.subject} is {label}: it cannot go ahead today, but it can once the points"
            ' under "What must hold for GO" are met.'
        )
    if waiver_standing(subject) is WaiverStanding.DECIDES:
        return f"{subject.subject} is {label}."
    if subject.policies:
        return f"{subject.subject} is {label}: every policy that applies to it allows it to go ahead."
    return f"{subject.subject} is {label}: no policy applies to it."


def reason_lines(subject: SubjectResult) -> list[str]:
    """One bullet per decisive rule of each policy holding the subject back, then one per rule a
    waiver lifted (it still fired: the compromise stays visible)."""
    lines: list[str] = []
    for policy in blocking_policies(subject):
        for rule in policy.reasons:
            lines.append(
                f"• {reason_sentence(rule)} ({policy.verdict.label} from policy {policy.policy},"
                f" rule {rule.rule})"
            )
    for effect in waiver_effects(subject):
        for rule in effect.rules:
            lines.append(
                f"• {reason_sentence(rule)} ({effect.lifted_from.label} from policy {effect.policy.policy},"
                f" rule {rule.rule}; waived by {effect.waiver.id},"
                f" expires {effect.waiver.expires.isoformat()})"
            )
    return unique(lines)


def reason_sentence(rule: RuleTrace) -> str:
    if rule.outcome is Outcome.ERROR:
        problem = rule.error.message if rule.error is not None else "unknown problem"
        return f"a rule could not be evaluated: {problem}"
    if rule.outcome is Outcome.UNKNOWN:
        facts = rule.missing_facts
        fields = unique(fact.path for fact in facts if not fact.stale)
        stale = unique(stale_sentence(fact.path, fact_staleness(fact)) for fact in facts if fact.stale)
        said = (
            ["information is missing" + (f": {', '.join(fields)}" if fields else "")]
            if fields or not stale
            else []
        )
        return "; ".join(said + stale)
    if rule.message:
        return rule.message
    return f"rule {rule.rule} {outcome_words(rule)}"


# ---------------------------------------------------------------- policies and rules


def policies_section(subject: SubjectResult, *, color: bool) -> list[str]:
    if not subject.policies:
        return [heading("Policies", color=color), "  No policy applies to this subject."]
    lines = [heading(f"Policies ({len(subject.policies)} applied)", color=color)]
    if any(has_margin(rule) for policy in subject.policies for rule in policy.rules):
        lines.append(MARGIN_NOTE)
    for policy in subject.policies:
        lines.append("")
        lines.extend(policy_block(policy, subject.subject, color=color))
    return lines


def focused_section(subject: SubjectResult, focus: str, *, color: bool) -> list[str]:
    """`explain --rule`: the one policy, or the one rule within its policy's heading."""
    for policy in subject.policies:
        rules = [(n, rule) for n, rule in enumerate(policy.rules, start=1) if rule.rule == focus]
        if policy.policy != focus and not rules:
            continue
        lines = [heading(f"Policies (only {focus}: --rule)", color=color), ""]
        if policy.policy == focus:
            return lines + policy_block(policy, subject.subject, color=color)
        lines.extend(policy_header(policy, color=color))
        for number, rule in rules:
            lines.extend(indent(rule_block(number, rule, policy, subject.subject, color=color), 2))
        return lines
    return [heading("Policies", color=color), f"  {focus} does not apply to {subject.subject}."]


MARGIN_NOTE = (
    "A margin is the distance to a threshold, in the unit of what is compared: a check “passes by” it "
    "when it is on the side of GO, “blocks by” it when it holds the subject back."
)


def has_margin(rule: RuleTrace) -> bool:
    return any(comparison.margin is not None for comparison in rule.comparisons) or any(
        tradeoff.margin is not None for tradeoff in rule.tradeoffs
    )


def policy_block(policy: PolicyResult, subject: str, *, color: bool) -> list[str]:
    lines = policy_header(policy, color=color)
    if not policy.rules:
        lines.append("  (no rules)")
    for number, rule in enumerate(policy.rules, start=1):
        lines.extend(indent(rule_block(number, rule, policy, subject, color=color), 2))
    return lines


def policy_header(policy: PolicyResult, *, color: bool) -> list[str]:
    """The policy's name, title and verdict, its enforcement and the waivers that lift it."""
    name = paint(policy.policy, "bold", color=color)
    verdict = verdict_word(policy.verdict, color=color)
    if policy.unwaived is not None:
        ids = ", ".join(waiver.id for waiver in policy.waived_by)
        verdict += f" (lifted from {verdict_word(policy.unwaived, color=color)} by waiver {ids})"
    lines = [f"Policy {name}{quoted_title(policy.title)}: {verdict}"]
    enforcement = f"enforcement {policy.enforcement.value}"
    if policy.enforcement is Enforcement.ADVISORY:
        enforcement += " (reported only, never blocks)"
    lines.append(f"  {enforcement}; defined at {paint(str(policy.location), 'dim', color=color)}")
    if policy.unwaived is not None:
        lines.extend(indent(waiver_lines(policy, color=color), 2))
    return lines


def role_words(rule: RuleTrace, policy: PolicyResult) -> str:
    """What the rule did to the policy's verdict, after waivers."""
    role = rule_role(rule, policy)
    if role is RuleRole.DECIDES:
        return " — this decided the policy's verdict"
    if role is RuleRole.WAIVED:
        ids = ", ".join(waiver.id for waiver in policy.waived_by)
        return f" — waived by {ids}: it decides nothing while the waiver is in force"
    if role is RuleRole.ALSO_BLOCKS:
        return " — it also holds the policy back"
    return ""


OUTCOME_STYLES = {
    Outcome.FIRED: ("bold",),
    Outcome.NOT_FIRED: ("dim",),
    Outcome.UNKNOWN: ("yellow",),
    Outcome.ERROR: ("red",),
    Outcome.APPLIED: ("bold",),
}


def outcome_words(rule: RuleTrace) -> str:
    """The outcome in words: fired, did not fire, could not be decided, evaluation problem."""
    if rule.outcome is Outcome.FIRED:
        return "fired"
    if rule.outcome is Outcome.NOT_FIRED and rule.kind is RuleKind.OTHERWISE:
        return "held back by the blocking rules; it applies once they are lifted, since no `go` rule holds"
    if rule.outcome is Outcome.NOT_FIRED:
        return "did not fire"
    if rule.outcome is Outcome.UNKNOWN:
        return "could not be decided: missing information"
    if rule.outcome is Outcome.ERROR:
        return "evaluation problem" + (f": {rule.error.message}" if rule.error is not None else "")
    return "applied, because no other rule decided"


def rule_block(number: int, rule: RuleTrace, policy: PolicyResult, subject: str, *, color: bool) -> list[str]:
    outcome = paint(outcome_words(rule), *OUTCOME_STYLES[rule.outcome], color=color)
    role = role_words(rule, policy)
    lines = [f"{number}. rule {rule.rule} ({rule_kind_words(rule.kind)}): {outcome}{role}"]
    body = [f"defined at {paint(str(rule.location), 'dim', color=color)}"]
    if rule.message:
        body.append(f"because: {rule.message}")
    if rule.until:
        body.append(f"until: {rule.until}")
    body.extend(reading_lines(rule, subject, color=color))
    return lines + indent(body, 3)


def reading_lines(rule: RuleTrace, subject: str, *, color: bool) -> list[str]:
    """What a rule (or `eval`'s expression) read and compared: facts, comparisons, scores,
    trade-offs, maturity levels, defaults, other verdicts, exemptions, and the problem if any."""
    body = listing("facts read:", [format_fact(fact, subject, color=color) for fact in rule.facts])
    body.extend(listing("comparisons:", [format_comparison(comparison) for comparison in rule.comparisons]))
    for score in rule.scores:
        body.extend(score_lines(score))
    for tradeoff in rule.tradeoffs:
        body.extend(tradeoff_lines(tradeoff))
    for maturity in rule.maturities:
        body.extend(maturity_lines(maturity))
    body.extend(listing("defaults used:", [format_default(default, subject) for default in rule.defaults]))
    body.extend(listing("verdicts read:", [format_verdict_read(read, subject) for read in rule.verdicts]))
    body.extend(listing("exemptions:", [format_exemption(exemption) for exemption in rule.exemptions]))
    if rule.error is not None:
        body.append("problem:")
        body.extend(indent(diagnostics.render_text(rule.error).split("\n"), 2))
    return body


def listing(title: str, items: Sequence[str]) -> list[str]:
    return [title, *indent(unique(items), 2)] if items else []


def score_lines(score: ScoreTrace) -> list[str]:
    """The score with a table of its terms: value, normalised value, weight, contribution."""
    total = show(score.total, missing="unknown")
    scale = f" out of {show_number(score.normalized_to)}" if score.normalized_to is not None else ""
    rows = [SCORE_HEADERS]
    rows.extend(
        (
            term.expression,
            show(term.value, missing="missing"),
            show(term.normalized, missing="-"),
            show_number(term.weight),
            show(term.contribution, missing="-") if term.waiver is None else f"left out by {term.waiver}",
        )
        for term in score.terms
    )
    rescale = rescale_words(score)
    rows.append(("total", "", "", "", show(score.raw_total, missing="unknown") if rescale else total))
    lines = [f"score {score.criteria}{quoted_title(score.title)}: {total}{scale}", *indent(table(rows), 2)]
    return lines + ([f"  {rescale}"] if rescale else [])


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns separated by two spaces, no trailing blanks."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def tradeoff_lines(tradeoff: TradeoffTrace) -> list[str]:
    return [
        f"trade-off {tradeoff.tradeoff}{quoted_title(tradeoff.title)}: {tradeoff_verdict(tradeoff)}",
        f"  {tradeoff.first} = {show(tradeoff.first_value, missing='unknown')}",
        f"  {tradeoff.second} = {show(tradeoff.second_value, missing='unknown')}",
    ]


def maturity_lines(maturity: MaturityTrace) -> list[str]:
    lines = [f"maturity {maturity.maturity}{quoted_title(maturity.title)}: {maturity_level_words(maturity)}"]
    if maturity.next_level is None:
        lines.append("  this is the highest level.")
        return lines
    if not maturity.missing:
        lines.append(f"  next level: {maturity.next_level}")
        return lines
    lines.append(f"  to reach {maturity.next_level}, still missing:")
    for requirement in maturity.missing:
        state = "unknown, information is missing" if requirement.holds is None else "not met"
        text = requirement.requirement
        if requirement.message:
            text += f": {requirement.message}"
        lines.append(f"    - {text} — {state}")
    return lines


# ---------------------------------------------------------------- warnings, missing, fixes


def warnings_section(subject: SubjectResult, *, color: bool) -> list[str]:
    if not subject.warnings:
        return []
    items = [format_warning(warning, color=color) for warning in subject.warnings]
    return [heading("Warnings", color=color), *indent(items, 2)]


def missing_section(subject: SubjectResult, *, color: bool) -> list[str]:
    if not subject.missing:
        return []
    items = [f"• {format_missing(missing, subject.subject)}" for missing in subject.missing]
    return [heading("Missing information", color=color), *indent(items, 2)]


def after_waivers_lines(subject: SubjectResult) -> list[str]:
    """What the waived rules still ask for: it must hold by the time each waiver expires."""
    lines = []
    for effect in waiver_effects(subject):
        wanted = unique(
            rule.until or f"resolve: {rule.message}" for rule in effect.rules if rule.until or rule.message
        )
        if wanted:
            lines.append(f"  By {effect.waiver.expires.isoformat()}, when waiver {effect.waiver.id} expires:")
            lines.extend(f"    - {item}" for item in wanted)
    return lines


def must_hold_section(subject: SubjectResult, *, color: bool) -> list[str]:
    lines = [heading("What must hold for GO", color=color)]
    items = subject.must_hold
    if items:
        lines.extend(f"  {number}. {item}" for number, item in enumerate(items, start=1))
    elif subject.verdict is Verdict.GO:
        lines.append("  Nothing: it is already GO.")
    else:
        lines.append("  No remediation was recorded; see the decisive rules above.")
    lines.extend(after_waivers_lines(subject))
    return lines


def to_go_section(subject: SubjectResult, *, color: bool) -> list[str]:
    """The smallest changes of the facts that make the subject GO, each checked by evaluating it
    again with them (computed on demand: absent when nobody asked)."""
    path = subject.to_go
    if path is None:
        return []
    lines = [heading("To reach GO", color=color)]
    items = to_go_items(path, subject.subject)
    intro = to_go_intro(path)
    if intro is None:
        return [*lines, f"  {items[0]}"]
    return [*lines, f"  {intro}:", *(f"  {number}. {item}" for number, item in enumerate(items, start=1))]


def fragile_section(subject: SubjectResult, *, color: bool) -> list[str]:
    """The parameters (constants, criteria weights) a small change of which flips this GO."""
    if not subject.fragile:
        return []
    lines = [heading("How fragile this GO is", color=color)]
    lines.append(
        "  The smallest change of one constant or weight that flips it, each checked by evaluating it:"
    )
    lines.extend(f"  - {fragility_sentence(item)}" for item in subject.fragile or ())
    return lines

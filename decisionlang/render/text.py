"""The human `check` output: one headline per subject, the decisive reasons under non-GO ones.

Also home of the small formatting helpers shared with the `explain` renderer: ANSI styling,
verdict badges, and the plain-text spelling of values, numbers, margins, facts and comparisons.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from decisionlang.core import diagnostics
from decisionlang.core.escapes import safe_text, visible
from decisionlang.core.format import show, show_margin, show_number
from decisionlang.core.model import (
    AppliedExemption,
    ChangeOption,
    Comparison,
    DefaultUsed,
    Fact,
    Fragility,
    Location,
    MaturityTrace,
    MissingInformation,
    Outcome,
    PathToGo,
    PolicyResult,
    ProposedChange,
    Report,
    RuleKind,
    RuleTrace,
    ScoreTrace,
    SubjectResult,
    TradeoffTrace,
    Verdict,
    VerdictRead,
    Warning,
)
from decisionlang.core.subjects import stale_sentence
from decisionlang.core.views import (
    Finding,
    WaiverStanding,
    blocking_policies,
    fact_evidence,
    is_lifted,
    verdict_without_waivers,
    waived_rules,
    waiver_effects,
    waiver_standing,
)

# ---------------------------------------------------------------- styling

ANSI_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}

VERDICT_COLORS = {Verdict.GO: "green", Verdict.NOT_YET: "yellow", Verdict.NO_GO: "red"}
VERDICT_SYMBOLS = {Verdict.GO: "✓", Verdict.NOT_YET: "…", Verdict.NO_GO: "✗"}
LABEL_WIDTH = max(len(verdict.label) for verdict in Verdict)

RULE_KINDS = {
    RuleKind.NO_GO: "no-go rule",
    RuleKind.NOT_YET: "not-yet rule",
    RuleKind.GO: "go rule",
    RuleKind.WARN: "warning rule",
    RuleKind.OTHERWISE: "fallback rule",
    RuleKind.APPLIES: "applicability condition",
}

DETAIL_LABEL_WIDTH = 10


def paint(text: str, *styles: str, color: bool) -> str:
    """`text` wrapped in ANSI escape codes for `styles` (see ANSI_CODES) when `color` is on."""
    if not color or not styles or not text:
        return text
    text = visible(text)  # data painted never carries escape codes of its own
    codes = ";".join(ANSI_CODES[style] for style in styles)
    return f"\x1b[{codes}m{text}\x1b[0m"


def badge(verdict: Verdict, *, color: bool, pad: bool = False) -> str:
    """`✓ GO`, `… NOT YET`, `✗ NO-GO`, bold and coloured; padded to a common width if asked."""
    text = paint(f"{VERDICT_SYMBOLS[verdict]} {verdict.label}", "bold", VERDICT_COLORS[verdict], color=color)
    return text + " " * (LABEL_WIDTH - len(verdict.label)) if pad else text


def verdict_word(verdict: Verdict, *, color: bool) -> str:
    """The verdict label alone, coloured: `NO-GO`."""
    return paint(verdict.label, "bold", VERDICT_COLORS[verdict], color=color)


# ---------------------------------------------------------------- values


def margin_text(item: Comparison | TradeoffTrace) -> str | None:
    """A traced margin in words (`blocks by 63 days`), or None when there is none to show."""
    if item.margin is None or not math.isfinite(item.margin):
        return None
    return show_margin(item.margin, item.unit, item.direction)


def quoted_title(title: str | None) -> str:
    return f' "{title}"' if title else ""


def plural(count: int, singular: str, many: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (many or singular + 's')}"


def short_location(location: Location) -> str:
    """`file:line`, or the file alone when the line is unknown."""
    return location.file if location.line is None else f"{location.file}:{location.line}"


def rule_kind_words(kind: RuleKind) -> str:
    return RULE_KINDS[kind]


def finding_message(finding: Finding) -> str:
    """The rule's own message, or which rule decided when it has none."""
    if finding.message is not None:
        return finding.message
    return f"{rule_kind_words(finding.kind)} {finding.rule} decided"


def finding_sentence(finding: Finding) -> str:
    """`legacy-crm is NO-GO under policy change_readiness: vendor support ended on 2025-12-31`."""
    name = finding.subject.subject
    if finding.verdict is None:
        return f"{name}: warning from policy {finding.policy}: {finding_message(finding)}"
    if finding.waivers:
        lifted = ", ".join(
            f"{waiver.id} (expires {waiver.expires.isoformat()})" for waiver in finding.waivers
        )
        would = f"{name} would be {finding.verdict.label} under policy {finding.policy}"
        return f"{would}, waived by {lifted}: {finding_message(finding)}"
    return f"{name} is {finding.verdict.label} under policy {finding.policy}: {finding_message(finding)}"


def unique(lines: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(lines))


def indent(lines: Iterable[str], spaces: int) -> list[str]:
    return [" " * spaces + line if line else line for line in lines]


# ---------------------------------------------------------------- trace pieces


def fact_name(fact: Fact, subject: str | None) -> str:
    """The field, with its owner when it is another subject's (a dependency, say)."""
    if subject is None or fact.subject == subject:
        return fact.path
    return f"{fact.path} of {fact.subject}"


def format_fact(fact: Fact, subject: str | None, *, color: bool) -> str:
    """`risk.security = 9  (services/payments.yaml:7:5)`; with its evidence when the state gives it:
    `dora.change_failure_rate = 0.12, stale  (services/a.yaml:8:28; observed 2026-05-01 by
    dora-exporter, 209 days ago, stale: fresh for 90 days)`."""
    value = f"{show(fact.value)}, stale" if fact.stale else "(missing)" if fact.missing else show(fact.value)
    if fact.missing:
        value = paint(value, "yellow", color=color)
    evidence = fact_evidence(fact)
    where = f"({fact.location})" if evidence is None else f"({fact.location}; {evidence})"
    return f"{fact_name(fact, subject)} = {value}  {paint(where, 'dim', color=color)}"


def split_expression(expression: str, operator: str) -> tuple[str, str | None] | None:
    """The source text of both sides of a comparison, when it can be found unambiguously."""
    infix = f" {operator} "
    if expression.count(infix) == 1:
        left, _, right = expression.partition(infix)
        return left.strip(), right.strip()
    suffix = f" {operator}"
    if expression.endswith(suffix) and expression.count(suffix) == 1:
        return expression[: -len(suffix)].strip(), None
    return None


def comparison_side(text: str, value: Any, *, threshold: bool) -> str:
    """`risk.security = 9` for a field, `8` for a literal, `budget.max (15000)` for a named threshold."""
    shown = show(value, missing="unknown")
    if text in {shown, f'"{shown}"'}:
        return text
    return f"{text} ({shown})" if threshold else f"{text} = {shown}"


def comparison_status(comparison: Comparison) -> str:
    status = {None: "unknown", True: "holds", False: "does not hold"}[comparison.holds]
    margin = margin_text(comparison)
    return status if margin is None else f"{status}, {margin}"


def format_comparison(comparison: Comparison) -> str:
    """`risk.security = 9 >= 8  (holds, passes by 1)`."""
    sides = split_expression(comparison.expression, comparison.operator)
    if sides is None:
        left = show(comparison.left, missing="unknown")
        right = show(comparison.right, missing="unknown")
        body = f"{comparison.expression}: {left} {comparison.operator} {right}"
    else:
        left_text, right_text = sides
        body = f"{comparison_side(left_text, comparison.left, threshold=False)} {comparison.operator}"
        if right_text is not None:
            body += " " + comparison_side(right_text, comparison.right, threshold=True)
    bound = f"  [{comparison.bound}]" if comparison.bound else ""
    return f"{body}  ({comparison_status(comparison)}){bound}"


def format_score_total(score: ScoreTrace) -> str:
    """`value-for-money "Value for money" = 6.5 out of 10`."""
    total = show(score.total, missing="unknown")
    scale = f" out of {show_number(score.normalized_to)}" if score.normalized_to is not None else ""
    return f"{score.criteria}{quoted_title(score.title)} = {total}{scale}"


def rescale_words(score: ScoreTrace) -> str | None:
    """`rescaled: (6.2 - -2) / (6 - -2) × 10 = 6.533`: how a normalised total comes from the raw sum."""
    if score.raw_range is None or score.normalized_to is None:
        return None
    low, high = (show_number(bound) for bound in score.raw_range)
    raw, total = show(score.raw_total), show(score.total)
    return (
        f"rescaled from {low}..{high} to 0..{show_number(score.normalized_to)}:"
        f" ({raw} - {low}) / ({high} - {low}) × {show_number(score.normalized_to)} = {total}"
    )


def tradeoff_verdict(tradeoff: TradeoffTrace) -> str:
    """`not acceptable (blocks by 0.5)`."""
    if tradeoff.acceptable is None:
        words = "could not be decided"
    else:
        words = "acceptable" if tradeoff.acceptable else "not acceptable"
    margin = margin_text(tradeoff)
    if margin is not None:
        words += f" ({margin} to the zone's edge)" if tradeoff.direction is None else f" ({margin})"
    return words


def format_tradeoff(tradeoff: TradeoffTrace) -> str:
    """`speed-vs-safety: speed = 8, safety = 3 — not acceptable (blocks by 0.5)`."""
    first = f"{tradeoff.first} = {show(tradeoff.first_value, missing='unknown')}"
    second = f"{tradeoff.second} = {show(tradeoff.second_value, missing='unknown')}"
    name = f"{tradeoff.tradeoff}{quoted_title(tradeoff.title)}"
    return f"{name}: {first}, {second} — {tradeoff_verdict(tradeoff)}"


def maturity_level_words(maturity: MaturityTrace) -> str:
    return f"level {maturity.level}" if maturity.level is not None else "no level reached yet"


def format_maturity(maturity: MaturityTrace) -> str:
    """`ops "Operational maturity": level basic; managed still needs: a runbook, an on-call rotation`."""
    text = f"{maturity.maturity}{quoted_title(maturity.title)}: {maturity_level_words(maturity)}"
    if maturity.next_level is not None and maturity.missing:
        needs = ", ".join(requirement.message or requirement.requirement for requirement in maturity.missing)
        text += f"; {maturity.next_level} still needs: {needs}"
    return text


def format_default(default: DefaultUsed, subject: str) -> str:
    """`dora.deploys_per_week is missing: counted as 0`; for a condition (`missing as false` on a
    rule or requirement) `maturity.readability is missing: `maturity.readability >= 3` counted as false`."""
    fields = [path if owner == subject else f"{path} of {owner}" for owner, _, path in default.missing]
    named = ", ".join(fields) or default.expression
    verb = "are" if len(fields) > 1 else "is"
    value = show(default.value)
    if [path for _, _, path in default.missing] == [default.expression] and default.missing[0][0] == subject:
        return f"{named} {verb} missing: counted as {value}"
    return f"{named} {verb} missing: `{default.expression}` counted as {value}"


def format_verdict_read(read: VerdictRead, subject: str) -> str:
    """`policy h1_foundations: NOT YET (policies/h1.policy:3:8)`: another decision a rule read."""
    owner = "" if read.subject == subject else f" on {read.subject}"
    if not read.applies:
        return f"policy {read.policy}{owner} does not apply, so it counts as GO ({read.location})"
    return f"policy {read.policy}{owner}: {read.verdict.label} ({read.location})"


def format_exemption(exemption: AppliedExemption) -> str:
    """`W-7 counts requirement ops.silver.slo as met (it does not hold), until 2027-01-31`."""
    waiver = exemption.waiver
    if exemption.kind == "term":
        what = f"leaves term {exemption.target} out of the score"
    else:
        was = {True: "", False: " (it does not hold)", None: " (it cannot be decided)"}[exemption.holds]
        what = f"counts requirement {exemption.target} as met{was}"
    return f"{waiver.id} {what}, until {waiver.expires} ({waiver.location})"


def format_missing(missing: MissingInformation, subject: str | None) -> str:
    """`ops.runbook — add it to services/payments.yaml (needed by rule ops.runbook)`."""
    owner = "" if subject is None or missing.subject == subject else f" of {missing.subject}"
    if missing.stale is not None:
        return (
            f"{stale_sentence(missing.path + owner, missing.stale)} — observe it again and update it in "
            f"{missing.file} (needed by rule {missing.rule})"
        )
    return f"{missing.path}{owner} — add it to {missing.file} (needed by rule {missing.rule})"


def format_warning(warning: Warning, *, color: bool) -> str:
    """`warning: monthly cost is high  [cost.budget, policies/cost.dl:4:3]`."""
    where = paint(f"[{warning.rule}, {warning.location}]", "dim", color=color)
    return f"{paint('warning:', 'bold', 'yellow', color=color)} {warning.message}  {where}"


# ---------------------------------------------------------------- check output


def render_text(report: Report, *, color: bool) -> str:
    """The `check` output: a block per subject, a summary line, then the diagnostics."""
    lines: list[str] = []
    for subject in report.subjects:
        block = subject_block(subject, color=color)
        if len(block) > 1 and lines and lines[-1]:
            lines.append("")
        lines.extend(block)
        if len(block) > 1:
            lines.append("")
    while lines and not lines[-1]:
        lines.pop()
    if lines:
        lines.append("")
    lines.append(summary_line(report, color=color))
    for diagnostic in report.diagnostics:
        lines.append("")
        lines.extend(diagnostics.render_text(diagnostic).split("\n"))
    return safe_text(lines, color=color)


def summary_line(report: Report, *, color: bool) -> str:
    """`3 subjects: 1 GO, 1 NOT YET, 1 NO-GO — overall NO-GO`."""
    counts = report.summary()
    parts = ", ".join(f"{counts[verdict.value]} {verdict.label}" for verdict in Verdict)
    overall = verdict_word(report.verdict, color=color)
    return f"{plural(len(report.subjects), 'subject')}: {parts} — overall {overall}"


def headline(subject: SubjectResult, *, color: bool) -> str:
    """`✗ NO-GO    payments-api (service)  services/payments.yaml:3`."""
    name = paint(subject.subject, "bold", color=color)
    where = paint(short_location(subject.location), "dim", color=color)
    waived = waiver_note(subject)
    return f"{badge(subject.verdict, color=color, pad=not waived)}{waived}  {name} ({subject.kind})  {where}"


def waiver_note(subject: SubjectResult) -> str:
    """` (waived: W-2026-014, expires 2027-03-31)` when waivers lifted its verdict; `partly waived`
    when another policy still holds it back; `waiver changes nothing` when a policy no waiver can
    lift keeps it at the same verdict anyway."""
    standing = waiver_standing(subject)
    if standing is WaiverStanding.NONE:
        return ""
    listed = ", ".join(f"{waiver.id}, expires {waiver.expires.isoformat()}" for waiver in subject.waivers)
    return f" ({WAIVER_NOTES[standing]}: {listed})"


WAIVER_NOTES = {
    WaiverStanding.DECIDES: "waived",
    WaiverStanding.PARTLY: "partly waived",
    WaiverStanding.NOTHING: "waiver changes nothing",
}


def waiver_sentence(subject: SubjectResult) -> str:
    """What the subject's waivers did to its verdict, in one sentence ("" when none applied)."""
    standing = waiver_standing(subject)
    if standing is WaiverStanding.NONE:
        return ""
    waivers = subject.waivers
    named = f"{plural(len(waivers), 'waiver')} ({', '.join(waiver.id for waiver in waivers)})"
    without = verdict_without_waivers(subject).label
    lifted = ", ".join(dict.fromkeys(effect.policy.policy for effect in waiver_effects(subject)))
    holding = ", ".join(policy.policy for policy in blocking_policies(subject))
    if standing is WaiverStanding.DECIDES:
        them = "it" if len(waivers) == 1 else "them"
        return f"It is GO only because of {named}: without {them}, it would be {without} (policy {lifted})."
    if standing is WaiverStanding.PARTLY:
        return (
            f"It is {subject.verdict.label} rather than {without} because of {named} (policy {lifted});"
            f" policy {holding} still holds it back."
        )
    verb = "lifts" if len(waivers) == 1 else "lift"
    return (
        f"{named[0].upper()}{named[1:]} {verb} policy {lifted}, but it stays {subject.verdict.label}"
        f" whatever the waivers do: policy {holding} holds it back."
    )


def subject_block(subject: SubjectResult, *, color: bool) -> list[str]:
    lines = [headline(subject, color=color)]
    body: list[str] = []
    for policy in subject.policies:
        body.extend(waived_lines(policy, subject.subject, color=color))
    if subject.verdict is not Verdict.GO:
        for policy in blocking_policies(subject):
            body.extend(policy_lines(policy, subject.subject, color=color))
        label = paint("missing information:", "yellow", color=color)
        body.extend(f"{label} {format_missing(missing, subject.subject)}" for missing in subject.missing)
        if subject.to_go is not None:
            body.extend(to_go_lines(subject.to_go, subject.subject))
    body.extend(fragile_lines(subject))
    body.extend(format_warning(warning, color=color) for warning in subject.warnings)
    lines.extend(indent(body, 4))
    return lines


def fragility_sentence(item: Fragility) -> str:
    """`flips to NOT YET if the weight of business_value in value_case drops below 1.5 (from 3, −50 %)`;
    a parameter moved in whole steps reads `rises from 2 to 3 (+50 %)`."""
    rises = item.after > item.before
    whole = float(item.before).is_integer() and float(item.after).is_integer()
    percent = f"{'+' if rises else '−'}{show_number(round(abs(item.relative) * 100, 1))} %"
    if whole:
        move = f"{'rises' if rises else 'drops'} from {show_number(item.before)} to {show_number(item.after)}"
        return f"flips to {item.becomes.label} if {item.description} {move} ({percent})"
    if abs(item.relative) < 1e-4:  # the GO stands exactly at the threshold
        way = "rises" if rises else "drops"
        return (
            f"flips to {item.becomes.label} if {item.description} {way} at all (from "
            f"{show_number(item.before)}: the GO stands at the threshold)"
        )
    bound = show_number(item.after)  # to a person's four digits: "below 1.5" for 1.499999
    move = f"{'rises above' if rises else 'drops below'} {bound} (from {show_number(item.before)}, {percent})"
    return f"flips to {item.becomes.label} if {item.description} {move}"


def fragile_lines(subject: SubjectResult) -> list[str]:
    """Under a GO subject's headline: the parameters that flip it (`--fragile`), nearest first."""
    return [f"fragile GO: {fragility_sentence(item)}" for item in subject.fragile or ()]


def format_change(change: ProposedChange, subject: str) -> str:
    """`maturity.readability 2 → 3 (services/crm.yaml:11:16)`; a missing fact says where to add it."""
    name = change.path if change.subject == subject else f"{change.subject}.{change.path}"
    if change.before is None:
        words = {"any": "any value", "at-most": f"at most {show(change.after)}"}
        words["at-least"] = f"at least {show(change.after)}"
        value = words.get(change.bound or "", show(change.after))
        if change.location.line is not None:  # written, but stale: observed again, where it is
            return f"{name} (stale) → {value}, observed again ({change.location})"
        return f"{name} (missing) → {value} (add it to {change.location.file})"
    return f"{name} {show(change.before)} → {show(change.after)} ({change.location})"


def format_option(option: ChangeOption, subject: str) -> str:
    return ", and ".join(format_change(change, subject) for change in option.changes)


def to_go_items(path: PathToGo, subject: str) -> list[str]:
    """Each option on its own (any one of them reaches GO), or why there is none."""
    if path.reachable:
        return [format_option(option, subject) for option in path.options]
    return [unreachable_words(path)]


def to_go_lines(path: PathToGo, subject: str) -> list[str]:
    """What it would take to reach GO, in a subject's block: the options, or why there is none."""
    first, *others = to_go_items(path, subject)
    return [f"to reach GO: {first}", *(f"         or: {item}" for item in others)]


def to_go_intro(path: PathToGo) -> str | None:
    """The sentence before the options (None when there are none): how many facts each changes."""
    if not path.reachable:
        return None
    changed = plural(len(path.options[0].changes), "fact")
    return (
        f"The smallest changes of the facts that make it GO ({changed} changed; each checked by "
        "evaluating it again)"
    )


def unreachable_words(path: PathToGo) -> str:
    if path.blocked_by:
        rules = ", ".join(path.blocked_by)
        which = f"rule {rules} decides" if len(path.blocked_by) == 1 else f"rules {rules} decide"
        return (
            f"no change of its own facts alone reaches GO: {which} on facts no change may touch "
            "(fields the schema marks `fixed`, or other subjects' facts)"
        )
    return path.note or "no change of its facts was found that reaches GO"


def waiver_lines(policy: PolicyResult, *, color: bool) -> list[str]:
    """Each waiver that lifted the policy: who accepted it, who approved it, until when, why, and
    what compensates."""
    lines = []
    for waiver in policy.waived_by:
        where = paint(str(waiver.location), "dim", color=color)
        lines.append(
            f"waiver {waiver.id}  {where}: accepted by {waiver.owner},"
            f" approved by {waiver.approver}, expires {waiver.expires.isoformat()}"
        )
        lines.append(f"  rationale  {waiver.rationale}")
        lines.append(f"  measure    {waiver.compensating_measure}")
    return lines


def waived_lines(policy: PolicyResult, subject: str, *, color: bool) -> list[str]:
    """A lifted verdict stays visible: the waiver, who accepted it, and the rules that still fire."""
    if not is_lifted(policy) or policy.unwaived is None:
        return []
    lines = [
        f"waived policy {paint(policy.policy, 'bold', color=color)}{quoted_title(policy.title)}: "
        f"{verdict_word(policy.unwaived, color=color)} lifted to {verdict_word(policy.verdict, color=color)}"
        " by a waiver"
    ]
    lines.extend(indent(waiver_lines(policy, color=color), 2))
    for rule in waived_rules(policy):  # the rules the waiver lifted; others are listed as blockers
        lines.extend(indent(rule_lines(rule, subject, color=color), 2))
    return lines


def policy_lines(policy: PolicyResult, subject: str, *, color: bool) -> list[str]:
    verb = "blocked by" if policy.verdict is Verdict.NO_GO else "held back by"
    header = (
        f"{verb} policy {paint(policy.policy, 'bold', color=color)}{quoted_title(policy.title)}"
        f" ({policy.enforcement.value} enforcement): {verdict_word(policy.verdict, color=color)}"
    )
    lines = [header]
    for rule in policy.reasons:
        lines.extend(indent(rule_lines(rule, subject, color=color), 2))
    return lines


def rule_lines(rule: RuleTrace, subject: str, *, color: bool) -> list[str]:
    """A decisive rule: its id, why, what it read and compared, and how to lift it."""
    where = paint(str(rule.location), "dim", color=color)
    lines = [f"rule {rule.rule} ({rule_kind_words(rule.kind)})  {where}"]
    details: list[tuple[str, str]] = []
    status = decisive_status(rule)
    if status:
        details.append(("status", status))
    if rule.message:
        details.append(("because", rule.message))
    details.extend(("read", format_fact(fact, subject, color=color)) for fact in rule.facts)
    details.extend(("check", format_comparison(comparison)) for comparison in rule.comparisons)
    details.extend(("score", format_score_total(score)) for score in rule.scores)
    details.extend(("trade-off", format_tradeoff(tradeoff)) for tradeoff in rule.tradeoffs)
    details.extend(("maturity", format_maturity(maturity)) for maturity in rule.maturities)
    details.extend(("default", format_default(default, subject)) for default in rule.defaults)
    details.extend(("verdict", format_verdict_read(read, subject)) for read in rule.verdicts)
    details.extend(("waiver", format_exemption(exemption)) for exemption in rule.exemptions)
    if rule.until:
        details.append(("until", rule.until))
    labelled = unique(f"{label:<{DETAIL_LABEL_WIDTH}}{text}" for label, text in details)
    return lines + indent(labelled, 2)


def decisive_status(rule: RuleTrace) -> str | None:
    """Why a decisive rule decided, when it is not the plain `fired` case."""
    if rule.outcome is Outcome.UNKNOWN:
        return "could not be decided: information is missing"
    if rule.outcome is Outcome.ERROR:
        problem = rule.error.message if rule.error is not None else "the rule could not be evaluated"
        return f"evaluation problem: {problem}"
    if rule.outcome is Outcome.APPLIED:
        return "no other rule decided, so the fallback applies"
    if rule.outcome is Outcome.NOT_FIRED:
        return "did not fire"
    return None

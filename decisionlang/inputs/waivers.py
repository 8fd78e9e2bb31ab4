"""Assumed compromises: waivers that lift a soft policy's verdict for one subject, until a date.

A waiver file (`waivers/*.yaml`) holds a `waivers:` list. Every field is required, so a waiver
always says who accepted the risk, who approved it, why, what compensates, and until when:

    waivers:
      - id: W-2026-014
        subject: legacy-crm
        rule: change_readiness.unsupported     # or `policy: change_readiness` for the whole policy,
                                               # `requirement: readiness.governed.owner_named` (it
                                               # counts as met), `term: value_case.effort` (it is
                                               # left out of the score)
        owner: team-sales-ops
        approver: CIO
        rationale: the CRM is replaced by the new one in Q1
        compensating_measure: weekly vendor security bulletin review
        granted: 2026-10-01
        expires: 2027-03-31
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from decisionlang.core.dates import DATE_HELP, parse_date
from decisionlang.core.diagnostics import DecisionlangError, Diagnostic, Severity, capped
from decisionlang.core.spans import SourceFile, Span, point
from decisionlang.inputs.limits import YamlLimits

if TYPE_CHECKING:  # the YAML reader itself is imported only when there is a waiver file to read
    from decisionlang.inputs.yamlreader import Entry, Located, TextSource

REQUIRED = ("id", "subject", "owner", "approver", "rationale", "compensating_measure", "granted", "expires")
TARGETS = ("rule", "policy", "requirement", "term")


@dataclass(frozen=True)
class Waiver:
    id: str
    subject: str
    rule: str | None  # a rule id (policy.rule), or None when the whole policy is waived
    policy: str  # the policy the waiver lifts (from `policy`, or the rule id's prefix); "" for the others
    owner: str
    approver: str
    rationale: str
    compensating_measure: str
    granted: dt.date
    expires: dt.date
    span: Span  # where the waiver is written
    requirement: str | None = None  # a maturity requirement (model.level.name): counted as met
    term: str | None = None  # a criteria term (criteria.name): left out of the score

    @property
    def exempts(self) -> str | None:
        """The requirement or term id this waiver exempts the subject from, if it is such a waiver."""
        return self.requirement or self.term

    def active_on(self, day: dt.date) -> bool:
        return self.granted <= day <= self.expires

    def covers(self, rule_id: str) -> bool:
        return self.rule is None or self.rule == rule_id


# A waiver file: its display path and text (`inputs.sources.SourceFile`, or a `(path, text)` pair).
WaiverFile: TypeAlias = "TextSource | tuple[str, str]"


def load_waivers(
    files: Sequence[WaiverFile], limits: YamlLimits | None = None
) -> tuple[list[Waiver], list[Diagnostic]]:
    """Every valid waiver of the files (read by `decisionlang.inputs.sources`), and a located
    diagnostic for each problem."""
    if not files:
        return [], []
    from decisionlang.inputs.yamlreader import load_yaml  # ruamel only for a project with waivers

    waivers: list[Waiver] = []
    diagnostics: list[Diagnostic] = []
    for file in files:
        display, content = file if isinstance(file, tuple) else (file.path, file.text)
        try:
            document = load_yaml(display, content, limits, prefix="DL-WAIVER", noun="waiver file")
        except DecisionlangError as error:
            diagnostics.extend(error.diagnostics)
            continue
        if not document.documents:
            diagnostics.append(
                Diagnostic(
                    "DL-WAIVER-SHAPE",
                    "this waiver file is empty",
                    file=display,
                    help="give it a `waivers:` list, or delete it",
                    severity=Severity.WARNING,
                )
            )
        for root in document.documents:
            found, problems = _waivers_of(root, document.source)
            waivers.extend(found)
            diagnostics.extend(problems)
    seen: dict[str, Waiver] = {}
    for waiver in waivers:
        first = seen.setdefault(waiver.id, waiver)
        if first is not waiver:
            diagnostics.append(
                Diagnostic(
                    "DL-WAIVER-DUPLICATE",
                    f"waiver id `{waiver.id}` is used twice",
                    span=waiver.span,
                    help=f"first at {first.span}; give each waiver its own id",
                )
            )
    return waivers, capped(diagnostics)


def _waivers_of(root: Located, source: SourceFile) -> tuple[list[Waiver], list[Diagnostic]]:
    at = point(source, root.line, root.column)
    if not isinstance(root.value, dict) or "waivers" not in root.value:
        return [], [_shape(at, "a waiver file holds a `waivers:` list")]
    entries = root.value["waivers"].value
    if not isinstance(entries.value, list):
        return [], [_shape(point(source, entries.line, entries.column), "`waivers` must be a list")]
    waivers, problems = [], []
    for item in entries.value:
        waiver, item_problems = _waiver(item, source)
        problems.extend(item_problems)
        if waiver is not None:
            waivers.append(waiver)
    return waivers, problems


def _shape(span: Span, message: str) -> Diagnostic:
    return Diagnostic("DL-WAIVER-SHAPE", message, span=span, help="see docs/governance.md for the format")


def _waiver(item: Located, source: SourceFile) -> tuple[Waiver | None, list[Diagnostic]]:
    at = point(source, item.line, item.column)
    if not isinstance(item.value, dict):
        return None, [_shape(at, "each waiver is a mapping of its fields")]
    fields: dict[str, Entry] = item.value
    problems = [
        Diagnostic(
            "DL-WAIVER-FIELD",
            f"unknown waiver field `{key}`",
            span=point(source, entry.line, entry.column, len(key)),
            help=f"the fields are {', '.join((*REQUIRED, *TARGETS))}",
        )
        for key, entry in fields.items()
        if key not in REQUIRED and key not in TARGETS
    ]
    missing = [key for key in REQUIRED if key not in fields or fields[key].value.value in (None, "")]
    if not any(key in fields for key in TARGETS):
        missing.append("rule`, `policy`, `requirement` or `term")
    targets = [key for key in TARGETS if key in fields]
    if len(targets) > 1:
        entry = fields[targets[1]]
        problems.append(
            Diagnostic(
                "DL-WAIVER-FIELD",
                f"a waiver names one target, and this one names {' and '.join(f'`{t}`' for t in targets)}",
                span=point(source, entry.line, entry.column, len(targets[1])),
                help="keep `rule:` to accept one rule, `policy:` to accept every rule of the policy, "
                "`requirement:` to count one maturity requirement as met, or `term:` to leave one "
                "criteria term out of the score",
            )
        )
    if missing:
        names = ", ".join(f"`{key}`" for key in missing)
        problems.append(
            Diagnostic(
                "DL-WAIVER-REQUIRED",
                f"this waiver lacks {names}",
                span=at,
                help="a waiver names the subject, the rule or policy, who accepts and who approves it, "
                "why, the compensating measure, and when it was granted and expires",
            )
        )
    dates = {key: _date(fields, key, source, problems) for key in ("granted", "expires") if key in fields}
    if problems or None in dates.values():
        return None, problems
    granted, expires = dates["granted"], dates["expires"]
    assert granted is not None and expires is not None
    if expires < granted:
        entry = fields["expires"]
        return None, [
            Diagnostic(
                "DL-WAIVER-DATE",
                f"the waiver expires ({expires}) before it is granted ({granted})",
                span=point(source, entry.value.line, entry.value.column, 10),
            )
        ]
    rule = _text(fields.get("rule"))
    policy = _text(fields.get("policy")) or (rule.split(".", 1)[0] if rule else "")
    requirement, term = _text(fields.get("requirement")), _text(fields.get("term"))
    return (
        Waiver(
            id=_text(fields["id"]) or "",
            subject=_text(fields["subject"]) or "",
            rule=rule,
            policy=policy,
            owner=_text(fields["owner"]) or "",
            approver=_text(fields["approver"]) or "",
            rationale=_text(fields["rationale"]) or "",
            compensating_measure=_text(fields["compensating_measure"]) or "",
            granted=granted,
            expires=expires,
            span=at,
            requirement=requirement,
            term=term,
        ),
        [],
    )


def _text(entry: Entry | None) -> str | None:
    if entry is None or entry.value.value is None:
        return None
    return str(entry.value.value)


def _date(
    fields: dict[str, Entry], key: str, source: SourceFile, problems: list[Diagnostic]
) -> dt.date | None:
    value = fields[key].value
    day = parse_date(value.value)  # the reader keeps dates as text
    if day is None:
        from decisionlang.inputs.yamlreader import describe

        problems.append(
            Diagnostic(
                "DL-WAIVER-DATE",
                f"`{key}` must be a date like 2027-03-31, got {describe(value.value)}",
                span=value.span(source),
                help=DATE_HELP,
            )
        )
    return day

"""`decisionlang history` output: text for people, JSON (`decisionlang/history/v1`) for machines."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from decisionlang.compare.changes import ChangeKind, FactChange, Reading
from decisionlang.core.codec import to_data
from decisionlang.core.escapes import inert_json, safe_text
from decisionlang.core.format import show
from decisionlang.core.model import Verdict
from decisionlang.governance.decisionlog.due import DueReview
from decisionlang.governance.decisionlog.history import EntryRef, History, InputChanges, MoveKind, VerdictMove
from decisionlang.governance.decisionlog.model import LoggedAnnotation
from decisionlang.governance.decisionlog.simulate import Replay, Simulation
from decisionlang.render.diff import change_summary, change_text, fact_label, warning_text
from decisionlang.render.github import escape_data, escape_property
from decisionlang.render.text import DETAIL_LABEL_WIDTH, badge, plural

SCHEMA_ID = "decisionlang/history/v1"
REVISION_DIGITS = 12


# ---------------------------------------------------------------- text


def render_history_text(history: History) -> str:
    lines = [_title(history), ""]
    statuses = _latest_status(history.annotations)
    if history.subject is not None:
        for move in history.moves:
            lines += _subject_move(move, statuses)
    else:
        lines += _portfolio_moves(history.moves, statuses)
    if history.annotations:
        lines.append(f"Annotations ({len(history.annotations)})")
        for logged in history.annotations:
            lines += _annotation(logged)
        lines.append("")
    while lines and not lines[-1]:
        lines.pop()
    return safe_text(lines)


def move_summary(move: VerdictMove) -> str:
    """One line: `GO -> NOT YET: maturity.readability 4 -> 2; now decided by x.y`."""
    after = _label(move.after.verdict)
    if move.before is None:
        return f"{after} (first recorded)"
    head = f"still {after}" if move.kind is MoveKind.CHANGED else f"{_label(move.before.verdict)} -> {after}"
    reasons = [f"{_fact(move, fact)} {_value(fact.before)} -> {_value(fact.after)}" for fact in move.facts]
    if move.rules_now:
        reasons.append("now decided by " + ", ".join(move.rules_now))
    elif move.rules_before:
        reasons.append("no longer decided by " + ", ".join(move.rules_before))
    if move.change is not None:
        reasons += [f"new warning: {warning_text(warning)}" for warning in move.change.warnings_added]
        reasons += [f"warning gone: {warning_text(warning)}" for warning in move.change.warnings_removed]
    if not move.facts:  # then the facts did not move it: say what did (the as-of date, say)
        reasons += inputs_words(move)
    return f"{head}: {'; '.join(reasons)}" if reasons else head


def inputs_words(move: VerdictMove) -> list[str]:
    """`policies changed`, `states changed`, `engine 0.1 -> 0.2`, `as of A -> B`, then the waivers
    that stopped or started applying."""
    words = _input_words(move.inputs)
    if move.change is not None:
        words += [
            f"waiver {item.waiver.id} no longer applies (expires {item.waiver.expires.isoformat()})"
            for item in sorted(move.change.waivers_stopped, key=lambda item: item.waiver.id)
        ]
        words += [
            f"waiver {item.waiver.id} now applies (expires {item.waiver.expires.isoformat()})"
            for item in sorted(move.change.waivers_started, key=lambda item: item.waiver.id)
        ]
    return words


def _input_words(inputs: InputChanges) -> list[str]:
    words = []
    if inputs.policies:
        words.append("policies changed")
    if inputs.states:
        words.append("states changed")
    if inputs.engine is not None:
        words.append(f"engine {inputs.engine[0]} -> {inputs.engine[1]}")
    if inputs.as_of is not None:
        words.append(f"as of {inputs.as_of[0]} -> {inputs.as_of[1]}")
    return words


def _title(history: History) -> str:
    period = (
        f"since {_time(history.since).removesuffix(' 00:00:00 UTC')}"
        if history.since
        else "since the first entry"
    )
    entries = plural(history.entries, "entry", "entries")
    if history.subject is not None:
        moved = sum(1 for move in history.moves if move.kind is MoveKind.MOVED)
        return f"History of {history.subject} {period}: {entries}, {plural(moved, 'verdict move')}"
    moved = sum(1 for move in history.moves if move.kind is MoveKind.MOVED)
    new = sum(1 for move in history.moves if move.kind is MoveKind.FIRST)
    changed = sum(1 for move in history.moves if move.kind is MoveKind.CHANGED)
    counts = f"{plural(moved, 'verdict move')}, {plural(new, 'new subject')}"
    if changed:
        counts += f", {plural(changed, 'change')} at the same verdict"
    return f"Portfolio moves {period}: {counts} in {entries}"


def _entry_header(reference: EntryRef, statuses: dict[str, str]) -> str:
    status = statuses.get(reference.decision_id)
    annotated = f"  [{status}]" if status else ""
    when = _time(reference.recorded_at)
    return f"entry {reference.entry}  {when}  decision {reference.decision_id}{annotated}"


def _subject_move(move: VerdictMove, statuses: dict[str, str]) -> list[str]:
    lines = [_entry_header(move.after, statuses)]
    if move.before is None:
        lines.append(f"  {_badge(move.after.verdict)} (first recorded)")
    else:
        change = f"{_badge(move.before.verdict)} -> {_badge(move.after.verdict)}"
        if move.kind is MoveKind.CHANGED:
            change = f"{_badge(move.after.verdict)}, unchanged, for other reasons"
        lines.append(f"  {change}")
        lines += [_detail("fact", f"{_fact(move, fact)}: {_fact_change(fact)}") for fact in move.facts]
        if not move.traced:
            lines.append(_detail("fact", "not compared: recorded with --no-trace"))
        lines += [_detail("rule", f"now deciding: {rule}") for rule in move.rules_now]
        lines += [_detail("rule", f"no longer deciding: {rule}") for rule in move.rules_before]
        if move.change is not None:
            lines += [_detail("warning", f"new: {warning_text(w)}") for w in move.change.warnings_added]
            lines += [_detail("warning", f"gone: {warning_text(w)}") for w in move.change.warnings_removed]
        inputs = inputs_words(move)
        if inputs:
            lines.append(_detail("inputs", "; ".join(inputs)))
    as_of = move.after.as_of or "unknown"
    lines.append(_detail("as of", as_of + (" (replay)" if move.after.is_replay else "")))
    if move.after.revision is not None:
        lines.append(_detail("revision", _revision(move.after.revision)))
    return [*lines, ""]


def _portfolio_moves(moves: tuple[VerdictMove, ...], statuses: dict[str, str]) -> list[str]:
    if not moves:
        return ["No verdict moved.", ""]
    lines: list[str] = []
    width = max(len(move.subject) for move in moves)
    entry = None
    for move in moves:
        if move.after.entry != entry:
            if entry is not None:
                lines.append("")
            entry = move.after.entry
            replay = " (replay)" if move.after.is_replay else ""
            lines.append(f"{_entry_header(move.after, statuses)}  as of {move.after.as_of}{replay}")
        lines.append(f"  {move.subject.ljust(width)}  {move_summary(move)}")
    return [*lines, ""]


def _annotation(logged: LoggedAnnotation) -> list[str]:
    note = logged.annotation
    author = f"  by {note.author}" if note.author else ""
    head = f"  #{logged.number}  {_time(note.recorded_at)}  decision {note.decision_id}  {note.status.value}"
    return [head + author, *("      " + line for line in note.note.splitlines())]


def _latest_status(annotations: tuple[LoggedAnnotation, ...]) -> dict[str, str]:
    return {logged.annotation.decision_id: logged.annotation.status.value for logged in annotations}


def _detail(label: str, text: str) -> str:
    return f"    {label.ljust(DETAIL_LABEL_WIDTH)}{text}"


def _fact(move: VerdictMove, fact: FactChange) -> str:
    """`maturity.readability` for the subject's own fact, `tier of ledger-db` for another's."""
    return fact_label(fact, move.subject)


def _fact_change(fact: FactChange) -> str:
    return f"{_value(fact.before)} -> {_value(fact.after)}  ({_where(fact)})"


def _where(fact: FactChange) -> str:
    location = fact.location
    if location.line is None:
        return location.file
    return f"{location.file}:{location.line}:{location.column or 1}"


def _value(reading: Reading) -> str:
    return "(missing)" if reading.missing else show(reading.value)


def _label(verdict: str) -> str:
    try:
        return Verdict(verdict).label
    except ValueError:
        return verdict


def _badge(verdict: str) -> str:
    try:
        return badge(Verdict(verdict), color=False)
    except ValueError:
        return verdict


def _time(stamp: str) -> str:
    """`2026-11-26T10:00:00Z` as `2026-11-26 10:00:00 UTC`."""
    return stamp.replace("T", " ").removesuffix("Z") + " UTC" if stamp.endswith("Z") else stamp


def _revision(revision: str) -> str:
    commit, plus, rest = revision.partition("+")
    return commit[:REVISION_DIGITS] + plus + rest


# ---------------------------------------------------------------- JSON


def render_history_json(history: History) -> str:
    text = inert_json(json.dumps(history_to_dict(history), sort_keys=True, indent=2, ensure_ascii=False))
    return text + "\n"


def history_to_dict(history: History) -> dict[str, Any]:
    return {
        "schema": SCHEMA_ID,
        "subject": history.subject,
        "since": history.since,
        "entries": history.entries,
        "moves": [move_to_dict(move) for move in history.moves],
        "annotations": [annotation_to_dict(logged) for logged in history.annotations],
    }


def move_to_dict(move: VerdictMove) -> dict[str, Any]:
    return {
        "subject": move.subject,
        "kind": move.kind.value,
        "summary": move_summary(move),
        "before": entry_to_dict(move.before) if move.before is not None else None,
        "after": entry_to_dict(move.after),
        "facts": [
            {
                "subject": fact.subject,
                "field": fact.path,
                "before": None if fact.before.missing else fact.before.value,
                "after": None if fact.after.missing else fact.after.value,
                "location": _where(fact),
            }
            for fact in move.facts
        ],
        "rules_now": list(move.rules_now),
        "rules_before": list(move.rules_before),
        "warnings_added": [to_data(w) for w in move.change.warnings_added] if move.change else [],
        "warnings_removed": [to_data(w) for w in move.change.warnings_removed] if move.change else [],
        "inputs": inputs_words(move),
        "traced": move.traced,
    }


def entry_to_dict(reference: EntryRef) -> dict[str, Any]:
    return {
        "entry": reference.entry,
        "decision_id": reference.decision_id,
        "recorded_at": reference.recorded_at,
        "as_of": reference.as_of,
        "replay": reference.is_replay,
        "revision": reference.revision,
        "engine_version": reference.engine_version,
        "policies_digest": reference.policies_digest,
        "states_digest": reference.states_digest,
        "verdict": reference.verdict,
    }


def annotation_to_dict(logged: LoggedAnnotation) -> dict[str, Any]:
    note = logged.annotation
    return {
        "number": logged.number,
        "decision_id": note.decision_id,
        "status": note.status.value,
        "note": note.note,
        "author": note.author,
        "recorded_at": note.recorded_at,
    }


# ---------------------------------------------------------------- `decisionlang due`

DUE_SCHEMA_ID = "decisionlang/due/v1"


def due_sentence(review: DueReview) -> str:
    """`website: GO since 2026-05-01, review due 2026-11-01 (34 days ago; policy p: review after
    6 months)`."""
    if review.overdue_days > 0:
        when = f"{plural(review.overdue_days, 'day')} ago"
    elif review.overdue_days == 0:
        when = "today"
    else:
        when = f"in {plural(-review.overdue_days, 'day')}"
    return (
        f"{review.subject}: {_label(review.verdict)} since {review.decided_on.isoformat()}, review due "
        f"{review.review_on.isoformat()} ({when}; {review.why})"
    )


def render_due_text(found: list[DueReview], today: dt.date, within: int) -> str:
    horizon = f" or within {plural(within, 'day')}" if within else ""
    if not found:
        return safe_text([f"No decision is due for review on {today.isoformat()}{horizon}."])
    lines = [f"{plural(len(found), 'decision')} due for review on {today.isoformat()}{horizon}:", ""]
    for review in found:
        lines.append(f"{_badge(review.verdict)}  {due_sentence(review)}")
        lines.append(
            f"    decision {review.decision_id}; once reviewed: decisionlang annotate {review.decision_id}"
            ' --status confirmed --note "..." [--review-by DATE]'
        )
    return safe_text(lines)


def render_due_json(found: list[DueReview], today: dt.date, within: int) -> str:
    payload = {
        "schema": DUE_SCHEMA_ID,
        "as_of": today.isoformat(),
        "within_days": within,
        "due": [
            {
                "subject": review.subject,
                "kind": review.kind,
                "verdict": review.verdict,
                "decision_id": review.decision_id,
                "decided_on": review.decided_on.isoformat(),
                "review_on": review.review_on.isoformat(),
                "overdue_days": review.overdue_days,
                "why": review.why,
            }
            for review in found
        ],
    }
    return inert_json(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def render_due_github(found: list[DueReview], today: dt.date, within: int) -> str:
    """A workflow `::notice` per decision due: a reminder on the run, never a failure."""
    lines = [
        f"::notice title={escape_property(f'{review.subject}: review due {review.review_on.isoformat()}')}"
        f"::{escape_data(due_sentence(review))}"
        for review in found
    ]
    return "".join(line + "\n" for line in lines)


# ---------------------------------------------------------------- `decisionlang simulate`

SIMULATION_SCHEMA_ID = "decisionlang/simulation/v1"
MOVED = ChangeKind.MOVED


def simulation_headline(simulation: Simulation) -> str:
    """`under origin/pr-42, 3 of the 41 recorded GO verdicts would have moved (3 to NOT YET), ...`."""
    replayed = simulation.replayed
    moved_go, go = simulation.count(Verdict.GO)
    moved = sum(len(replay.moved) for replay in replayed)
    entries = sum(len(replay.entries) for replay in replayed)
    parts = [
        f"Under the policies of {simulation.candidate}, {plural(moved, 'recorded verdict')} would have moved,"
        f" in {plural(len(replayed), 'replayed decision')} ({plural(entries, 'log entry', 'log entries')})",
    ]
    if go:
        parts.append(f"{moved_go} of the {plural(go, 'recorded GO verdict')} would not have been GO")
    return "; ".join(parts) + "."


def _replay_title(replay: Replay) -> str:
    revision = replay.revision[:REVISION_DIGITS] if replay.revision else "no revision"
    entries = ", ".join(str(entry) for entry in replay.entries)
    label = "entry" if len(replay.entries) == 1 else "entries"
    title = (
        f"decision {replay.decision_id} ({label} {entries}; recorded {_time(replay.recorded_at)}, "
        f"as of {replay.as_of.isoformat()}, revision {revision})"
    )
    if not replay.exact:
        title += " — replayed from its commit: the uncommitted changes it was recorded with are not known"
    return title


def render_simulation_text(simulation: Simulation) -> str:
    lines = [simulation_headline(simulation), ""]
    for replay in simulation.replays:
        if replay.diff is None:
            lines.append(f"{_replay_title(replay)}: not replayed: {replay.problem}")
            continue
        if not replay.moved:
            if not replay.exact:  # said, even when nothing moves: the replay is not the decision
                lines += [f"{_replay_title(replay)}: nothing would have moved", ""]
            continue
        lines.append(f"{_replay_title(replay)}:")
        for change in replay.diff.changes:
            if change.kind is MOVED:
                lines.append(f"  {change_summary(change)}")
        lines.append("")
    return safe_text(line for line in lines)


def render_simulation_markdown(simulation: Simulation) -> str:
    """For a pull request comment: the headline, then a table of the verdicts that would have moved."""
    lines = ["### What these policies would have decided", "", simulation_headline(simulation), ""]
    rows = [
        (replay, change)
        for replay in simulation.replayed
        for change in (replay.diff.changes if replay.diff is not None else ())
        if change.kind is MOVED
    ]
    if rows:
        lines += ["| Decision | Subject | Recorded | Would have been | Why |", "|---|---|---|---|---|"]
        for replay, change in rows:
            recorded = change.before.label if change.before is not None else ""
            now = change.after.label if change.after is not None else ""
            why = change_text(change).split(" because ", 1)[-1] if " because " in change_text(change) else ""
            lines.append(
                f"| `{replay.decision_id}` {replay.as_of.isoformat()}{'' if replay.exact else ' (inexact)'} "
                f"| {md_cell(change.subject)} | {recorded} | {now} | {md_cell(why)} |"
            )
        lines.append("")
    skipped = [replay for replay in simulation.replays if replay.diff is None]
    if skipped:
        lines.append(f"{plural(len(skipped), 'decision')} could not be replayed:")
        lines += [f"- `{replay.decision_id}`: {md_cell(replay.problem or '')}" for replay in skipped]
        lines.append("")
    return safe_text(lines)


def md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_simulation_json(simulation: Simulation) -> str:
    moved_go, go = simulation.count(Verdict.GO)
    payload = {
        "schema": SIMULATION_SCHEMA_ID,
        "candidate": simulation.candidate,
        "go_moved": moved_go,
        "go_recorded": go,
        "replays": [
            {
                "decision_id": replay.decision_id,
                "entries": list(replay.entries),
                "recorded_at": replay.recorded_at,
                "as_of": replay.as_of.isoformat(),
                "revision": replay.revision,
                "exact": replay.exact,
                **({"problem": replay.problem} if replay.problem else {}),
                "moved": [
                    {
                        "subject": change.subject,
                        "recorded": change.before.value if change.before is not None else None,
                        "would_be": change.after.value if change.after is not None else None,
                        "why": change_text(change),
                    }
                    for change in (replay.diff.changes if replay.diff is not None else ())
                    if change.kind is MOVED
                ],
            }
            for replay in simulation.replays
        ],
    }
    return inert_json(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"

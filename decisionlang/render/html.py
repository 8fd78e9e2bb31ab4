"""`decisionlang report`: the board report, one self-contained HTML file.

Written for a governance board that does not read JSON: the portfolio at a glance, the subjects
that need a decision, the assumed compromises (waivers), the declared trade-offs as scatter charts
with their acceptable zone, maturity on its axes, the dependencies of tier-1 subjects, then every
subject with its plain-language justification and what must hold for GO.

The file references nothing outside itself (a Content-Security-Policy forbids it): the stylesheet
and one small script are inlined from `assets/`, the charts are inline SVG drawn here, each with a
title, a description and a data table. The same inputs give the same bytes.

Subject facts that traces do not carry (owner, horizon, tier, the maturity axes) come from the
portfolio; what the program declares (trade-offs with the acceptable zone the engine evaluated,
maturity axes and models, scale orders) and the git revision come as `BoardFacts` (core/board.py),
built outside the render stage: this module reads no program and runs nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import html
import json
import math
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from decisionlang import __version__
from decisionlang.compare.changes import ChangeKind, SubjectChange, compare
from decisionlang.core.board import Axis, BoardFacts, Point, TradeoffChart, Zone, as_number
from decisionlang.core.diagnostics import DecisionlangError, Diagnostic
from decisionlang.core.format import show, show_number
from decisionlang.core.model import (
    Comparison,
    Location,
    MaturityTrace,
    PathToGo,
    PolicyResult,
    Report,
    RuleKind,
    RuleTrace,
    SubjectResult,
    Verdict,
)
from decisionlang.core.plan import FundingPlan
from decisionlang.core.subjects import Portfolio, Subject
from decisionlang.core.views import blocking_policies, deciding_parameters, waiver_effects
from decisionlang.governance.decisionlog.due import DueReview
from decisionlang.governance.decisionlog.traces import read_trace
from decisionlang.render.diff import change_text
from decisionlang.render.explain import reason_sentence, verdict_sentence
from decisionlang.render.plan import (
    amount,
    budget_sentence,
    capacity_sentence,
    funded_notes,
    funded_summary,
    infeasible_sentence,
    left_out_sentence,
    next_step_sentence,
    value_text,
)
from decisionlang.render.text import (
    VERDICT_SYMBOLS,
    format_default,
    format_exemption,
    format_fact,
    format_maturity,
    format_missing,
    format_score_total,
    format_tradeoff,
    format_verdict_read,
    fragility_sentence,
    margin_text,
    plural,
    rescale_words,
    short_location,
    split_expression,
    to_go_intro,
    to_go_items,
    unique,
    waiver_note,
    waiver_sentence,
)

if TYPE_CHECKING:
    from decisionlang.governance.decisionlog.model import LoggedDecision

ASSETS = Path(__file__).resolve().parent / "assets"
CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
VERDICT_ORDER = (Verdict.NO_GO, Verdict.NOT_YET, Verdict.GO)  # worst first, as a board reads
TIER_ONE_TAGS = frozenset({"tier-1", "tier1", "tier_1"})
WAIVER_WARN_DAYS = 30  # the check's default --warn-days
WAIVER_CODE_PREFIX = "DL-WAIVER-"
MAX_OUTLIER_LABELS = 12
MAX_LISTED = 100  # rows per subject in a summary's table; the subject index lists every subject
MAX_NAMED = 20  # subjects named in a sentence (a chart's caption)
MAX_DEPENDENCY_FIGURES = 24  # tier-1 graphs drawn in the section; the others are in the subjects' details
MAX_CHECKS = 10  # comparisons shown per deciding rule (a quantifier over many targets makes many)
MAX_FACTS = 12  # facts shown per deciding rule; `decisionlang explain` has them all
MAX_TREND_POINTS = 12  # recorded decisions shown in the trend, the latest ones
MAX_GRAPH_NODES = 24
MAX_GRAPH_DEPTH = 4
DETAILS_CHUNK = 100  # subjects per chunk of details data: opening one inflates its chunk only
PLAIN_DETAILS_LIMIT = 100  # up to this many subjects, the details data is plain JSON
LOOP_ROOM = 30.0  # room right of a layer for links between nodes of the same layer

# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class TrendPoint:
    """Counts of verdicts at one recorded decision (from a decision log), oldest first."""

    label: str  # the decision's date
    note: str  # e.g. `entry 12`, or `this report`
    counts: Mapping[Verdict, int]


@dataclass(frozen=True)
class LogView:
    """What a decision log adds to the report: verdicts that moved since the last recorded decision
    (on other inputs than this report's), and verdict counts over the recorded decisions."""

    source: str  # the log, as given
    baseline: str | None  # the recorded decision compared with, in words; None when there is none
    movements: tuple[SubjectChange, ...]  # the subjects whose verdict moved (or that came, or went)
    trends: tuple[TrendPoint, ...]
    due: tuple[DueReview, ...] = ()  # the current decisions due for review, the earliest first


@dataclass(frozen=True)
class WaiverView:
    """An assumed compromise as the report shows it: which waiver lifted which policy, until when."""

    id: str
    subject: str
    policy: str
    lifted: Verdict | None  # the verdict the waiver lifted
    expires: dt.date
    owner: str
    approver: str
    rationale: str
    compensating_measure: str
    location: Location


@dataclass(frozen=True)
class BoardView:
    """Everything the report shows, gathered once: the renderers below only format it."""

    title: str
    report: Report
    portfolio: Portfolio
    facts: BoardFacts
    anchors: Mapping[str, str]  # subject name -> HTML id
    log: LogView | None
    plan: FundingPlan | None = None  # `report --budget`: what to fund

    @property
    def as_of(self) -> dt.date | None:
        return self.report.as_of

    def subject(self, name: str) -> Subject | None:
        return self.portfolio.by_name.get(name)

    @functools.cached_property
    def results(self) -> dict[str, SubjectResult]:
        return {result.subject: result for result in self.report.subjects}

    @functools.cached_property
    def waivers(self) -> tuple[WaiverView, ...]:
        return tuple(waiver for result in self.report.subjects for waiver in waivers_of(result))

    @functools.cached_property
    def _must_hold(self) -> dict[str, tuple[str, ...]]:
        return {}

    def must_hold(self, result: SubjectResult) -> tuple[str, ...]:
        """`SubjectResult.must_hold` (core.views), worked out once per subject: two sections show it."""
        found = self._must_hold.get(result.subject)
        if found is None:
            found = self._must_hold[result.subject] = result.must_hold
        return found

    @functools.cached_property
    def _reasons(self) -> dict[str, list[str]]:
        return {}

    def main_reasons(self, result: SubjectResult) -> list[str]:
        """`main_reasons`, worked out once per subject."""
        found = self._reasons.get(result.subject)
        if found is None:
            found = self._reasons[result.subject] = main_reasons(result)
        return found

    @functools.cached_property
    def drawn_dependencies(self) -> tuple[str, ...]:
        """The tier-1 subjects with dependencies whose graph the dependencies section draws: all of
        them up to `MAX_DEPENDENCY_FIGURES`, else those with the most weak links (then by name)."""
        names = [
            subject.name
            for subject in self.portfolio.subjects
            if is_tier_one(subject) and self.dependencies_of(subject.name)
        ]
        if len(names) <= MAX_DEPENDENCY_FIGURES:
            return tuple(names)
        weak = {name: weak_links(self, name)[0] for name in names}
        chosen = set(sorted(names, key=lambda name: (-weak[name], name))[:MAX_DEPENDENCY_FIGURES])
        return tuple(name for name in names if name in chosen)

    @functools.cached_property
    def _maturities(self) -> dict[str, list[MaturityTrace]]:
        return {}

    def maturities(self, result: SubjectResult) -> list[MaturityTrace]:
        """`traced_maturities` of the declared models, worked out once per subject."""
        found = self._maturities.get(result.subject)
        if found is None:
            found = self._maturities[result.subject] = traced_maturities(result, self.facts.maturity_models)
        return found

    @functools.cached_property
    def _dependencies(self) -> dict[str, tuple[str, ...]]:
        return {}

    def dependencies_of(self, name: str) -> tuple[str, ...]:
        """`Portfolio.dependencies_of`, worked out once per subject: the graphs walk it many times."""
        found = self._dependencies.get(name)
        if found is None:
            found = self._dependencies[name] = self.portfolio.dependencies_of(name)
        return found

    @functools.cached_property
    def _order(self) -> dict[str, int]:
        """Each subject's bit in the sets below: its rank in name order."""
        return {name: rank for rank, name in enumerate(sorted(self.portfolio.by_name))}

    @functools.cached_property
    def _reach(self) -> dict[str, int]:
        """For each subject, every subject it depends on, directly or further down, as a set of bits
        (`_order`): `Portfolio.closure(name, "depends_on")`, worked out once for the whole portfolio
        over its strongly connected components (a cycle's members all reach one another)."""
        order = self._order
        reach: dict[str, int] = {}
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        for start in order:
            if start in index:
                continue
            work = [(start, iter(self.dependencies_of(start)))]
            index[start] = low[start] = len(index)
            stack.append(start)
            on_stack.add(start)
            while work:
                name, following = work[-1]
                for other in following:
                    if other not in index:
                        index[other] = low[other] = len(index)
                        stack.append(other)
                        on_stack.add(other)
                        work.append((other, iter(self.dependencies_of(other))))
                        break
                    if other in on_stack:
                        low[name] = min(low[name], index[other])
                else:
                    work.pop()
                    if work:
                        parent = work[-1][0]
                        low[parent] = min(low[parent], low[name])
                    if low[name] == index[name]:
                        members = []
                        while True:
                            member = stack.pop()
                            on_stack.discard(member)
                            members.append(member)
                            if member == name:
                                break
                        bits = 0
                        for member in members:
                            for other in self.dependencies_of(member):
                                bits |= (1 << order[other]) | reach.get(other, 0)
                        for member in members:
                            reach[member] = bits
        return {name: bits & ~(1 << order[name]) for name, bits in reach.items()}

    def closure_bits(self, root: str) -> int:
        return self._reach.get(root, 0)

    def bits_of(self, names: Iterable[str]) -> int:
        bits = 0
        for name in names:
            bits |= 1 << self._order[name]
        return bits

    @functools.cached_property
    def _names(self) -> list[str]:
        return sorted(self.portfolio.by_name)

    def names_of(self, bits: int, limit: int) -> list[str]:
        """The first `limit` subjects of a set of bits, in name order."""
        names: list[str] = []
        while bits and len(names) < limit:
            lowest = bits & -bits
            names.append(self._names[lowest.bit_length() - 1])
            bits ^= lowest
        return names

    @functools.cached_property
    def not_go_bits(self) -> int:
        return self.bits_of(
            result.subject
            for result in self.report.subjects
            if result.verdict is not Verdict.GO and result.subject in self._order
        )


def render_html(
    report: Report,
    portfolio: Portfolio,
    facts: BoardFacts,
    *,
    title: str,
    log: LogView | None = None,
    plan: FundingPlan | None = None,
) -> str:
    """The board report as one HTML document, from the report, the portfolio and the board facts
    (`engine.board.board_facts`). With a decision log (`read_log`), it also shows which verdicts
    moved since the last recorded decision and the trend over the recorded decisions. With a
    funding plan (`api.plan`, `report --budget`), it shows what to fund."""
    view = BoardView(title, report, portfolio, facts, anchors_for(report), log, plan)
    parts = [
        document_head(view),
        '<body>\n<a class="skip" href="#subjects">Skip to the subjects</a>\n',
        page_header(view),
        "<main>\n",
        glance_section(view),
        attention_section(view),
        policies_section(view),
        waivers_section(view),
        tradeoffs_section(view),
        maturity_section(view),
        dependencies_section(view),
        what_it_takes_section(view),
        what_to_fund_section(view),
        subjects_section(view),
        reading_section(view),
        "</main>\n",
        page_footer(view),
        f"<script>\n{asset('report.js')}</script>\n</body>\n</html>\n",
    ]
    return "".join(parts)


# ---------------------------------------------------------------- small helpers


ESCAPED = re.compile("[&<>\"']")


def esc(value: object) -> str:
    """`html.escape(value, quote=True)`; text without a character to escape is returned as it is."""
    text = str(value)
    return html.escape(text, quote=True) if ESCAPED.search(text) else text


@functools.cache
def asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def anchors_for(report: Report) -> dict[str, str]:
    """A stable, unique HTML id per subject, readable when the name allows it."""
    anchors: dict[str, str] = {}
    taken: set[str] = set()
    for result in report.subjects:
        base = "s-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", result.subject).strip("-") or "subject")
        anchor, number = base, 2
        while anchor in taken:
            anchor, number = f"{base}-{number}", number + 1
        taken.add(anchor)
        anchors[result.subject] = anchor
    return anchors


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def badge(verdict: Verdict) -> str:
    """`✗ NO-GO` as HTML: a symbol and a word, so the verdict reads without colour."""
    return f'<span class="badge {verdict.value}">{VERDICT_SYMBOLS[verdict]} {verdict.label}</span>'


def subject_badge(result: SubjectResult) -> str:
    """The verdict, with what its waivers did, as `check` says it: `✓ GO (waived: W-1, expires …)`."""
    text = badge(result.verdict)
    note = waiver_note(result).strip()
    if note:
        text += f' <span class="waived">{esc(note)}</span>'
    return text


def link(view: BoardView, name: str) -> str:
    anchor = view.anchors.get(name)
    return f'<a href="#{anchor}">{esc(name)}</a>' if anchor else esc(name)


def text_field(subject: Subject | None, path: str) -> str | None:
    if subject is None:
        return None
    value = subject.fields.get(path)
    return None if value is None else show(value)


def is_tier_one(subject: Subject) -> bool:
    """Tier 1: a `tier` of 1, or a `tier-1` tag."""
    tier = subject.fields.get("tier")
    if tier is not None and str(tier).strip().lower() in {"1", "tier-1", "tier1"}:
        return True
    return any(str(tag).lower() in TIER_ONE_TAGS for tag in subject.fields.get("tags", ()))


def counts_by(
    results: Iterable[SubjectResult], key: Callable[[SubjectResult], str]
) -> dict[str, Counter[Verdict]]:
    groups: dict[str, Counter[Verdict]] = {}
    for result in results:
        groups.setdefault(key(result), Counter())[result.verdict] += 1
    return groups


def num(value: float) -> str:
    """An SVG coordinate: one decimal, no noise."""
    text = f"{round(value, 1):.1f}".rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def waivers_of(result: SubjectResult) -> tuple[WaiverView, ...]:
    """The waivers that lifted the subject's policies, with the policy each lifted (`core.views`)."""
    return tuple(
        WaiverView(
            id=effect.waiver.id,
            subject=result.subject,
            policy=effect.policy.policy,
            lifted=effect.lifted_from,
            expires=effect.waiver.expires,
            owner=effect.waiver.owner,
            approver=effect.waiver.approver,
            rationale=effect.waiver.rationale,
            compensating_measure=effect.waiver.compensating_measure,
            location=effect.waiver.location,
        )
        for effect in waiver_effects(result)
    )


def svg_open(chart_id: str, width: float, height: float, title: str, desc: str, css: str = "chart") -> str:
    """An accessible chart: role img, labelled by its title and described by its description."""
    return (
        f'<svg class="{css}" id="{chart_id}" role="img" viewBox="0 0 {num(width)} {num(height)}"'
        f' width="{num(width)}" height="{num(height)}" xmlns="http://www.w3.org/2000/svg"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc">'
        f'<title id="{chart_id}-title">{esc(title)}</title><desc id="{chart_id}-desc">{esc(desc)}</desc>'
    )


def table(
    caption: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric: Sequence[int] = (),
    css: str = "",
    row_header: bool = True,
) -> str:
    """A data table; cells are HTML already. The first cell of a row is its header when asked."""
    numeric_class = ' class="num"'
    head = "".join(
        f'<th scope="col"{numeric_class if index in numeric else ""}>{esc(header)}</th>'
        for index, header in enumerate(headers)
    )
    body: list[str] = []
    for row in rows:
        cells = []
        for index, cell in enumerate(row):
            tag = "th" if index == 0 and row_header else "td"
            scope = ' scope="row"' if tag == "th" else ""
            cls = ' class="num"' if index in numeric else ""
            cells.append(f"<{tag}{scope}{cls}>{cell}</{tag}>")
        body.append("<tr>" + "".join(cells) + "</tr>\n")
    css_attr = f' class="{css}"' if css else ""
    return (
        f"<table{css_attr}><caption>{esc(caption)}</caption>\n<thead><tr>{head}</tr></thead>\n"
        f"<tbody>\n{''.join(body)}</tbody></table>\n"
    )


# ---------------------------------------------------------------- page frame


def document_head(view: BoardView) -> str:
    as_of = f" — as of {view.as_of.isoformat()}" if view.as_of else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="decisionlang {esc(__version__)}">\n'
        f"<title>Decision report: {esc(view.title)}{esc(as_of)}</title>\n"
        f"<style>\n{asset('report.css')}</style>\n</head>\n"
    )


SECTIONS = (
    ("glance", "Portfolio at a glance"),
    ("attention", "Subjects that need a decision"),
    ("policies", "What each policy decided"),
    ("waivers", "Assumed compromises (waivers)"),
    ("tradeoffs", "Trade-offs"),
    ("maturity", "Maturity"),
    ("dependencies", "Dependencies of tier-1 subjects"),
    ("what-it-takes", "What it would take"),
    ("what-to-fund", "What to fund"),
    ("subjects", "Every subject, with its justification"),
    ("reading", "How to read this report"),
)


def page_header(view: BoardView) -> str:
    report = view.report
    counts = report.summary()
    parts = ", ".join(f"{counts[verdict.value]} {badge(verdict)}" for verdict in VERDICT_ORDER)
    as_of = view.as_of.isoformat() if view.as_of else "today"
    shown = [
        (anchor, name)
        for anchor, name in SECTIONS
        if (anchor != "what-it-takes" or asked_what_it_takes(report))
        and (anchor != "what-to-fund" or view.plan is not None)
    ]
    entries = "".join(f'<li><a href="#{anchor}">{esc(name)}</a></li>' for anchor, name in shown)
    return (
        f"<header>\n<h1>Decision report: {esc(view.title)}</h1>\n"
        f'<p class="lead">Decided as of <time datetime="{esc(as_of)}">{esc(as_of)}</time>: '
        f"{plural(len(report.subjects), 'subject')} — {parts}. "
        f"Overall verdict: {badge(report.verdict)} (the most severe one).</p>\n"
        f'<p class="revision">{revision_words(view)}</p>\n'
        f'<nav class="toc" aria-label="Contents"><ol>{entries}</ol></nav>\n</header>\n'
    )


def revision_words(view: BoardView) -> str:
    """Which commit of the decision repo the report was decided from, and whether it was clean."""
    revision = view.facts.revision
    if revision is None:
        return "Decided from files that are not in a git work tree: no revision to name."
    state = (
        "<strong>with uncommitted changes</strong> in the work tree, so the files differ from that commit"
        if revision.dirty
        else "with no uncommitted change"
    )
    return (
        f'Decided from commit <code title="{esc(revision.commit)}">{esc(revision.short)}</code>'
        f" of the decision repo, {state}."
    )


def page_footer(view: BoardView) -> str:
    as_of = view.as_of.isoformat() if view.as_of else "today"
    return (
        f"<footer>\n<p>Generated by decisionlang {esc(__version__)} from the policies and states of"
        f" {esc(view.title)}, as of {esc(as_of)}. Every verdict can be replayed with"
        f" <code>decisionlang explain SUBJECT --as-of {esc(as_of)}</code>.</p>\n"
        '<p id="report-status" data-status="static" aria-hidden="true"></p>\n</footer>\n'
    )


def section(anchor: str, body: str) -> str:
    title = dict(SECTIONS)[anchor]
    return (
        f'<section id="{anchor}" aria-labelledby="{anchor}-h">\n<h2 id="{anchor}-h">{esc(title)}</h2>\n'
        f"{body}</section>\n"
    )


# ---------------------------------------------------------------- at a glance


def glance_section(view: BoardView) -> str:
    results = view.report.subjects
    counts = Counter(result.verdict for result in results)
    body = [verdict_bar(counts, len(results))]
    verdict_rows = [
        (badge(verdict), str(counts[verdict]), percent(counts[verdict], len(results)))
        for verdict in VERDICT_ORDER
    ]
    tables = [table("Subjects per verdict", ("Verdict", "Subjects", "Share"), verdict_rows, numeric=(1, 2))]
    tables.append(grouped_table("Subjects per kind", "Kind", counts_by(results, lambda r: r.kind), None))
    horizons = counts_by(results, lambda r: text_field(view.subject(r.subject), "horizon") or "")
    if any(horizons):
        order = view.facts.scales.get("horizon")
        tables.append(grouped_table("Subjects per horizon", "Horizon", horizons, order, empty="no horizon"))
    owners = counts_by(results, lambda r: text_field(view.subject(r.subject), "owner") or "")
    tables.append(grouped_table("Subjects per owner", "Owner", owners, None, empty="no owner"))
    body.append(f'<div class="counts">\n{"".join(tables)}</div>\n')
    body.append(movements_block(view))
    body.append(due_block(view))
    if view.log is not None and view.log.trends:
        body.append(trend_chart(view.log.trends))
    return section("glance", "".join(body))


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %" if whole else "–"


def grouped_table(
    caption: str,
    label: str,
    groups: Mapping[str, Counter[Verdict]],
    order: Sequence[str] | None,
    empty: str = "",
) -> str:
    """One row per group (in scale order when there is one), a column per verdict, worst first."""
    known = [key for key in (order or ()) if key in groups]
    keys = known + sorted(key for key in groups if key not in known and key) + ([""] if "" in groups else [])
    rows = []
    for key in keys:
        counter = groups[key]
        name = esc(key) if key else f'<span class="muted">{esc(empty)}</span>'
        rows.append([name, str(sum(counter.values())), *(str(counter[verdict]) for verdict in VERDICT_ORDER)])
    headers = (label, "Subjects", *(f"{VERDICT_SYMBOLS[v]} {v.label}" for v in VERDICT_ORDER))
    return table(caption, headers, rows, numeric=(1, 2, 3, 4))


def verdict_bar(counts: Counter[Verdict], total: int) -> str:
    """The portfolio as one bar split by verdict, worst first; each segment says its count."""
    width, height, top = 720.0, 46.0, 4.0
    words = ", ".join(f"{counts[verdict]} {verdict.label}" for verdict in VERDICT_ORDER)
    svg = [svg_open("verdict-bar", width, height + 8, "Subjects per verdict", f"{total} subjects: {words}.")]
    x = 0.0
    for verdict in VERDICT_ORDER:
        count = counts[verdict]
        if not count:
            continue
        share = width * count / total
        svg.append(
            f'<rect class="seg-{verdict.value}" x="{num(x)}" y="{num(top)}" width="{num(share)}"'
            f' height="{num(height)}"><title>{count} {verdict.label}</title></rect>'
        )
        label = f"{VERDICT_SYMBOLS[verdict]} {verdict.label} {count}"
        if share >= 7.5 * len(label):
            cls = "seg-not-yet-label" if verdict is Verdict.NOT_YET else "seg-label"
            svg.append(
                f'<text class="{cls}" x="{num(x + share / 2)}" y="{num(top + height / 2 + 4)}"'
                f' text-anchor="middle">{esc(label)}</text>'
            )
        x += share
    svg.append("</svg>")
    caption = f"The portfolio by verdict, worst first: {words}."
    return f"<figure>\n{''.join(svg)}\n<figcaption>{esc(caption)}</figcaption>\n</figure>\n"


def movements_block(view: BoardView) -> str:
    heading = "<h3>Moved since the last recorded decision</h3>\n"
    log = view.log
    if log is None:
        return (
            heading
            + '<p class="note">No decision log was given (<code>--log</code>), so the report cannot say'
            " which verdicts moved since the last recorded decision.</p>\n"
        )
    if log.baseline is None:
        return (
            heading
            + f"<p>The decision log {esc(log.source)} holds no earlier decision to compare with.</p>\n"
        )
    compared = f"<p>Compared with {esc(log.baseline)} in the decision log {esc(log.source)}.</p>\n"
    if not log.movements:
        return heading + compared + "<p>No verdict moved since then.</p>\n"
    rows = []
    for change in log.movements:
        before = badge(change.before) if change.before is not None else '<span class="muted">new</span>'
        after = badge(change.after) if change.after is not None else '<span class="muted">removed</span>'
        rows.append((link(view, change.subject), before, after, esc(change_text(change))))
    return (
        heading + compared + table("Verdicts that moved", ("Subject", "Before", "Now", "What changed"), rows)
    )


def due_block(view: BoardView) -> str:
    """The recorded decisions due for review (a policy's `review after`, `annotate --review-by`)."""
    log = view.log
    if log is None or not log.due:
        return ""
    rows = [
        (
            link(view, review.subject),
            badge(Verdict(review.verdict)),
            esc(review.decided_on.isoformat()),
            esc(review.review_on.isoformat()),
            esc(review.why),
        )
        for review in log.due
    ]
    return "<h3>Due for review</h3>\n" + table(
        "Decisions due for review, the earliest first",
        ("Subject", "Verdict", "Decided on", "Review due", "Why"),
        rows,
    )


def trend_chart(trends: Sequence[TrendPoint]) -> str:
    """Verdict counts at each recorded decision, as stacked columns, oldest on the left."""
    column, gap, height, left, bottom = 44.0, 30.0, 180.0, 40.0, 48.0
    width = left + len(trends) * (column + gap) + gap
    peak = max((sum(point.counts.values()) for point in trends), default=0) or 1
    scale = height / peak
    lines = "; ".join(
        f"{point.label} ({point.note}): "
        + ", ".join(f"{point.counts.get(v, 0)} {v.label}" for v in VERDICT_ORDER)
        for point in trends
    )
    svg = [svg_open("trend", width, height + bottom + 10, "Verdicts over the recorded decisions", lines)]
    svg.append(
        f'<g class="axis"><line x1="{num(left)}" y1="{num(height + 10)}" x2="{num(width)}"'
        f' y2="{num(height + 10)}"/></g>'
    )
    for index, point in enumerate(trends):
        x = left + gap + index * (column + gap)
        y = height + 10
        for verdict in reversed(VERDICT_ORDER):
            count = point.counts.get(verdict, 0)
            if count:
                y -= count * scale
                svg.append(
                    f'<rect class="seg-{verdict.value}" x="{num(x)}" y="{num(y)}" width="{num(column)}"'
                    f' height="{num(count * scale)}"><title>{esc(point.label)}: {count} {verdict.label}'
                    "</title></rect>"
                )
        svg.append(
            f'<text x="{num(x + column / 2)}" y="{num(height + 28)}" text-anchor="middle">'
            f'{esc(point.label)}</text><text class="label" x="{num(x + column / 2)}" y="{num(height + 42)}"'
            f' text-anchor="middle">{esc(point.note)}</text>'
        )
    svg.append("</svg>")
    rows = [
        (esc(f"{point.label} ({point.note})"), *(str(point.counts.get(v, 0)) for v in VERDICT_ORDER))
        for point in trends
    ]
    data = table(
        "Verdicts at each recorded decision",
        ("Decision", *(f"{VERDICT_SYMBOLS[v]} {v.label}" for v in VERDICT_ORDER)),
        rows,
        numeric=(1, 2, 3),
    )
    return (
        "<h3>Trend over the recorded decisions</h3>\n<figure>\n" + "".join(svg) + "\n<figcaption>Subjects per"
        " verdict at each recorded decision, oldest first.</figcaption>\n</figure>\n"
        f"<details><summary>Data</summary>\n{data}</details>\n"
    )


# -- from a decision log


def log_view(
    entries: Sequence[LoggedDecision],
    report: Report,
    current_id: str,
    source: str,
    due: Sequence[DueReview] = (),
) -> LogView:
    """Movements against the latest whole-portfolio decision recorded on other inputs than this
    report's (`current_id`), and the verdict counts of the last recorded decisions, then this report's."""
    whole = [logged for logged in entries if logged.record.scope is None] or list(entries)
    earlier = [logged for logged in whole if logged.record.decision_id != current_id]
    baseline = earlier[-1] if earlier else None
    movements: tuple[SubjectChange, ...] = ()
    described = None
    if baseline is not None:
        movements = verdict_moves(baseline, report)
        record = baseline.record
        described = f"entry {baseline.entry} (decision {record.decision_id}, recorded {record.recorded_at})"
    trends = [
        TrendPoint(
            logged.record.as_of or logged.record.recorded_at[:10],
            f"entry {logged.entry}",
            Counter(Verdict(decision.verdict) for decision in logged.record.subjects),
        )
        for logged in whole[-MAX_TREND_POINTS:]
    ]
    now = report.as_of.isoformat() if report.as_of else "today"
    trends.append(TrendPoint(now, "this report", Counter(result.verdict for result in report.subjects)))
    return LogView(source, described, movements, tuple(trends), tuple(due))


def verdict_moves(baseline: LoggedDecision, report: Report) -> tuple[SubjectChange, ...]:
    """The subjects whose verdict moved since the recorded decision, or that came or went: what
    `compare` finds between the recorded results and this report (a trace that cannot be read
    counts as absent)."""
    results = []
    for decision in baseline.record.subjects:
        try:
            results.append(read_trace(decision.trace, subject=decision.subject))
        except DecisionlangError:
            continue
    before = Report(Verdict.worst([result.verdict for result in results]), tuple(results))
    return tuple(
        change for change in compare(before, report).changes if change.kind is not ChangeKind.CHANGED
    )


# ---------------------------------------------------------------- needs a decision


def attention_section(view: BoardView) -> str:
    """The NO-GO and NOT YET subjects, worst first; beyond `MAX_LISTED`, the reasons that hold
    most subjects back, then the first `MAX_LISTED` subjects (the index lists every one)."""
    pending = [result for result in view.report.subjects if result.verdict is not Verdict.GO]
    if not pending:
        return section("attention", "<p>Every subject is GO: nothing waits for a decision.</p>\n")
    pending.sort(key=lambda result: (-result.verdict.severity, result.subject))
    rows = []
    for result in pending[:MAX_LISTED]:
        reasons = view.main_reasons(result)
        must = view.must_hold(result)
        more = f' <span class="muted">(and {len(must) - 1} more)</span>' if len(must) > 1 else ""
        rows.append(
            (
                link(view, result.subject),
                badge(result.verdict),
                esc(text_field(view.subject(result.subject), "owner") or "—"),
                esc(reasons[0]) if reasons else "—",
                (esc(must[0]) + more) if must else "—",
            )
        )
    intro = (
        f"<p>{plural(len(pending), 'subject')} cannot go ahead as they stand. NO-GO first; each name"
        " links to the full justification.</p>\n"
    )
    caption = "NO-GO and NOT YET subjects, with the main reason and the first thing that must hold for GO"
    left_out = len(pending) - len(rows)
    if left_out > 0:
        intro += reasons_summary(view, pending)
        caption = f"The first {len(rows)} of them, NO-GO first, in name order"
    headers = ("Subject", "Verdict", "Owner", "Main reason", "What must hold for GO")
    listed = table(caption, headers, rows, css="wide")
    if left_out > 0:
        listed += (
            f'<p class="muted">and {plural(left_out, "more subject")}: the <a href="#subjects">index of'
            " every subject</a> lists them, with a verdict filter.</p>\n"
        )
    return section("attention", intro + listed)


def reasons_summary(view: BoardView, pending: Sequence[SubjectResult]) -> str:
    """How many subjects each reason holds back (a subject counts once per reason), most first."""
    counts: dict[str, Counter[Verdict]] = {}
    for result in pending:
        for reason in view.main_reasons(result) or ["(no reason recorded)"]:
            counts.setdefault(reason, Counter())[result.verdict] += 1
    ordered = sorted(
        counts, key=lambda reason: (-counts[reason][Verdict.NO_GO], -sum(counts[reason].values()), reason)
    )
    rows = [
        (
            esc(reason),
            str(sum(counts[reason].values())),
            str(counts[reason][Verdict.NO_GO]),
            str(counts[reason][Verdict.NOT_YET]),
        )
        for reason in ordered[:MAX_LISTED]
    ]
    headers = (
        "Reason",
        "Subjects",
        f"{VERDICT_SYMBOLS[Verdict.NO_GO]} {Verdict.NO_GO.label}",
        f"{VERDICT_SYMBOLS[Verdict.NOT_YET]} {Verdict.NOT_YET.label}",
    )
    more = len(ordered) - len(rows)
    note = f'<p class="muted">and {plural(more, "more reason")}.</p>\n' if more > 0 else ""
    return (
        table(
            "What holds them back: subjects per reason, NO-GO first",
            headers,
            rows,
            numeric=(1, 2, 3),
            css="wide",
        )
        + note
    )


def main_reasons(result: SubjectResult) -> list[str]:
    """The deciding rules' reasons, in plain words, across the policies that hold the subject back."""
    return unique(reason_sentence(rule) for policy in holding_back(result) for rule in policy.reasons)


def holding_back(result: SubjectResult) -> list[PolicyResult]:
    """The policies holding the subject back, the most severe verdict first (NO-GO before NOT YET)."""
    return sorted(blocking_policies(result), key=lambda policy: -policy.verdict.severity)


# ---------------------------------------------------------------- policies


def policies_section(view: BoardView) -> str:
    """What each policy decided across the portfolio: the policies holding most subjects back first."""
    stats: dict[str, tuple[PolicyResult, Counter[Verdict], int]] = {}
    for result in view.report.subjects:
        for policy in result.policies:
            first, counts, waived = stats.get(policy.policy, (policy, Counter(), 0))
            counts[policy.verdict] += 1
            stats[policy.policy] = (first, counts, waived + (1 if policy.waived_by else 0))
    if not stats:
        return section("policies", "<p>No policy applies to any subject.</p>\n")

    def order(name: str) -> tuple[int, int, str]:
        counts = stats[name][1]
        return -counts[Verdict.NO_GO], -counts[Verdict.NOT_YET], name

    rows = []
    for name in sorted(stats, key=order):
        policy, counts, waived = stats[name]
        rows.append(
            (
                f'<span id="{policy_anchor(name)}"><code>{esc(name)}</code></span>'
                + (f"<br>{esc(policy.title)}" if policy.title else ""),
                esc(policy.enforcement.value),
                str(sum(counts.values())),
                *(str(counts[verdict]) for verdict in VERDICT_ORDER),
                str(waived),
            )
        )
    headers = (
        "Policy",
        "Enforcement",
        "Applies to",
        *(f"{VERDICT_SYMBOLS[v]} {v.label}" for v in VERDICT_ORDER),
        "Waived",
    )
    intro = (
        "<p>How many subjects each policy concerns, and what it decided for them. <strong>Hard</strong>"
        " policies are never waived, <strong>soft</strong> ones can be with a dated waiver,"
        " <strong>advisory</strong> ones only warn. The policies holding most subjects back come first.</p>\n"
    )
    caption = "Verdicts per policy (a subject counts once per policy that applies to it)"
    table_html = table(caption, headers, rows, numeric=(2, 3, 4, 5, 6), css="wide")
    return section("policies", intro + table_html)


# ---------------------------------------------------------------- waivers


def waivers_section(view: BoardView) -> str:
    waivers = view.waivers
    problems = [d for d in view.report.diagnostics if d.code.startswith(WAIVER_CODE_PREFIX)]
    notes = ""
    if problems:
        items = "".join(f"<li>{esc(diagnostic_line(d))}</li>" for d in problems)
        notes = (
            "<h3>Waivers that need attention</h3>\n<p>Expired, expiring, stale or refused waivers:</p>\n"
            f"<ul>{items}</ul>\n"
        )
    if not waivers:
        return section(
            "waivers",
            "<p>No waiver lifts a verdict in this report: every verdict stands as the policies decide"
            " it.</p>\n" + notes,
        )
    rows = []
    for waiver in sorted(waivers, key=lambda waiver: (waiver.expires, waiver.id, waiver.subject)):
        lifted = badge(waiver.lifted) if waiver.lifted is not None else "—"
        rows.append(
            (
                f'<span class="id">{esc(waiver.id)}</span>',
                link(view, waiver.subject),
                esc(waiver.policy),
                lifted,
                esc(waiver.owner),
                esc(waiver.approver),
                expiry(waiver.expires, view.as_of),
                esc(waiver.rationale),
                esc(waiver.compensating_measure),
            )
        )
    headers = (
        "Waiver",
        "Subject",
        "Policy",
        "Lifted",
        "Accepted by",
        "Approved by",
        "Expires",
        "Why",
        "Compensating measure",
    )
    intro = (
        "<p>A waiver is a compromise knowingly accepted: it lifts a soft policy's verdict for one subject"
        " until its expiry date, and never a hard policy's. Soonest expiry first.</p>\n"
    )
    return section("waivers", intro + table("Waivers in force", headers, rows, css="wide") + notes)


def expiry(expires: dt.date, as_of: dt.date | None) -> str:
    text = f'<time datetime="{expires.isoformat()}">{expires.isoformat()}</time>'
    if as_of is None:
        return text
    days = (expires - as_of).days
    note = f"in {plural(days, 'day')}" if days >= 0 else f"{plural(-days, 'day')} ago"
    if 0 <= days <= WAIVER_WARN_DAYS:
        return f'{text} <span class="soon">⚠ {note}</span>'
    return f'{text} <span class="muted">({note})</span>'


# ---------------------------------------------------------------- trade-offs


def tradeoffs_section(view: BoardView) -> str:
    declared = view.facts.tradeoffs
    if not declared:
        return section("tradeoffs", "<p>The policies declare no trade-off.</p>\n")
    intro = (
        "<p>Each trade-off opposes two measures; the board agreed on an acceptable zone between them. Each"
        " subject the trade-off concerns is a point: a filled dot (●) inside the zone, a cross (✕, named)"
        " outside it, a hollow triangle (△) when it could not be decided. The shaded area is the acceptable"
        " zone where it can be drawn from the two measures alone.</p>\n"
    )
    charts = [tradeoff_figure(view, chart) for chart in declared]
    return section("tradeoffs", intro + "".join(charts))


def tradeoff_figure(view: BoardView, chart: TradeoffChart) -> str:
    name, points = chart.name, chart.points
    heading = (
        f'<h3 id="tradeoff-{slug(name)}">{esc(chart.title or name)}'
        f' <span class="kind">({esc(name)})</span></h3>\n'
    )
    condition = f"<p>Acceptable when <code>{esc(chart.condition)}</code>{constants_note(chart)}.</p>\n"
    if not points:
        return heading + condition + '<p class="muted">No subject is concerned by this trade-off.</p>\n'
    plotted = [point for point in points if point.x is not None and point.y is not None]
    outside = sorted(
        (point for point in points if point.trace.acceptable is False),
        key=lambda point: (point.trace.margin if point.trace.margin is not None else math.inf, point.subject),
    )
    undecided = [point for point in points if point.trace.acceptable is None]
    inside = len(points) - len(outside) - len(undecided)
    summary = (
        f"{plural(len(points), 'subject')}: {inside} inside the acceptable zone, {len(outside)} outside,"
        f" {len(undecided)} undecided"
    )
    if outside:
        summary += ". Outside: " + named(point.subject for point in outside)
    svg, zone_words = scatter(chart, plotted, summary + ".") if plotted and chart.zone else ("", "")
    unplotted = len(points) - len(plotted)
    caption = f"{summary}. {zone_words}"
    if unplotted:
        caption += f" {plural(unplotted, 'subject')} not plotted: a measure is missing or not a number."
    figure = f"<figure>\n{svg}\n<figcaption>{esc(caption)}</figcaption>\n</figure>\n" if svg else ""
    data = tradeoff_table(view, chart)
    return (
        heading
        + condition
        + figure
        + f"<details><summary>Data for every subject</summary>\n{data}</details>\n"
    )


def named(names: Iterable[str]) -> str:
    """Names for a sentence: the first `MAX_NAMED`, then how many more."""
    listed = list(names)
    text = ", ".join(listed[:MAX_NAMED])
    more = len(listed) - MAX_NAMED
    return f"{text} and {more} more" if more > 0 else text


def constants_note(chart: TradeoffChart) -> str:
    """The values of the constants the zone refers to, so the board sees the agreed thresholds."""
    values = [
        f"<code>{esc(name)}</code> = {esc(show(value, missing='?'))}" for name, value in chart.constants
    ]
    return f", with {', '.join(values)}" if values else ""


def tradeoff_table(view: BoardView, chart: TradeoffChart) -> str:
    def order(point: Point) -> tuple[int, float, str]:
        rank = {False: 0, None: 1, True: 2}[point.trace.acceptable]
        margin = point.trace.margin if point.trace.margin is not None and rank == 0 else 0.0
        return rank, margin, point.subject

    rows = []
    ordered = sorted(chart.points, key=order)
    for point in ordered[:MAX_LISTED]:
        trace = point.trace
        zone = {True: "● inside", False: "✕ outside", None: "△ undecided"}[trace.acceptable]
        margin = esc(margin_text(trace) or "—")
        rows.append(
            (
                link(view, point.subject),
                esc(show(trace.first_value, missing="unknown")),
                esc(show(trace.second_value, missing="unknown")),
                zone,
                margin,
            )
        )
    headers = ("Subject", chart.first, chart.second, "Acceptable zone", "Margin to the zone's edge")
    caption = f"{chart.title or chart.name}: both measures of every subject concerned, outliers first"
    left_out = len(ordered) - len(rows)
    if left_out <= 0:
        return table(caption, headers, rows, numeric=(1, 2, 4))
    caption = f"{chart.title or chart.name}: both measures of the first {len(rows)} subjects, outliers first"
    return table(caption, headers, rows, numeric=(1, 2, 4)) + (
        f'<p class="muted">and {plural(left_out, "more subject")}, further from the edge or inside'
        " the zone.</p>\n"
    )


def scatter(chart: TradeoffChart, points: list[Point], desc: str) -> tuple[str, str]:
    """The chart, and the words that say what its shaded area is (or why there is none)."""
    assert chart.zone is not None
    width, height = 680.0, 420.0
    left, right, top, bottom = 64.0, 24.0, 16.0, 52.0
    plot_w, plot_h = width - left - right, height - top - bottom
    x_axis, y_axis = chart.zone.x, chart.zone.y

    def sx(value: float) -> float:
        return left + x_axis.position(value) * plot_w

    def sy(value: float) -> float:
        return top + plot_h - y_axis.position(value) * plot_h

    chart_id = f"chart-tradeoff-{slug(chart.name)}"
    title = f"Trade-off {chart.title or chart.name}: {chart.second} against {chart.first}"
    shading, zone_words = zone_path(chart.zone, left, top, plot_w, plot_h)
    svg = [svg_open(chart_id, width, height, title, f"{desc} {zone_words}")]
    if shading:
        svg.append(f'<path class="zone" d="{shading}"><title>{esc(zone_words)}</title></path>')
    svg.append(axes(x_axis, y_axis, sx, sy, left, top, plot_w, plot_h))
    svg.append(
        f'<text x="{num(left + plot_w / 2)}" y="{num(height - 10)}" text-anchor="middle">'
        f"{esc(side_label(chart.first, chart.first_text, x_axis))}</text>"
        f'<text transform="translate(16 {num(top + plot_h / 2)}) rotate(-90)" text-anchor="middle">'
        f"{esc(side_label(chart.second, chart.second_text, y_axis))}</text>"
    )
    labels = LabelPlacer(left, top, left + plot_w, top + plot_h)
    outliers: list[tuple[float, float, Point]] = []
    spots: dict[tuple[bool | None, str, str], list[tuple[float, float, Point]]] = {}
    for point in sorted(points, key=lambda p: ({True: 0, None: 1, False: 2}[p.trace.acceptable], p.subject)):
        assert point.x is not None and point.y is not None
        x, y = sx(point.x), sy(point.y)
        spots.setdefault((point.trace.acceptable, num(x), num(y)), []).append((x, y, point))
        if point.trace.acceptable is False:
            outliers.append((x, y, point))
    for same in spots.values():  # points drawn on the same spot: one marker, the subjects in its title
        x, y, point = same[0]
        svg.append(marker(point, x, y, len(same) - 1))
    outliers.sort(
        key=lambda item: (item[2].trace.margin if item[2].trace.margin is not None else 0.0, item[2].subject)
    )
    for x, y, point in outliers[:MAX_OUTLIER_LABELS]:
        placed = labels.place(point.subject, x, y)
        if placed is not None:
            lx, ly, anchor = placed
            svg.append(
                f'<text class="label" x="{num(lx)}" y="{num(ly)}" text-anchor="{anchor}">'
                f"{esc(point.subject)}</text>"
            )
    svg.append("</svg>")
    return "".join(svg), zone_words


def side_label(name: str, text: str, axis: Axis) -> str:
    label = name if text == name else f"{name} ({text})"
    return label + (", logarithmic scale" if axis.log else "")


def marker(point: Point, x: float, y: float, others: int = 0) -> str:
    """A subject's point; `others`: how many more subjects fall on the same spot."""
    trace = point.trace
    tip = (
        f"{point.subject}: {trace.first} {show(trace.first_value)}, {trace.second}"
        f" {show(trace.second_value)} — "
        + {True: "inside the zone", False: "outside the zone", None: "undecided"}[trace.acceptable]
    )
    if others:
        tip += f" (and {plural(others, 'more subject')} on this spot)"
    title = f"<title>{esc(tip)}</title>"
    if trace.acceptable is True:
        return f'<circle class="pt-in" cx="{num(x)}" cy="{num(y)}" r="5">{title}</circle>'
    if trace.acceptable is False:
        d = (
            f"M{num(x - 5)} {num(y - 5)}L{num(x + 5)} {num(y + 5)}"
            f"M{num(x - 5)} {num(y + 5)}L{num(x + 5)} {num(y - 5)}"
        )
        return f'<path class="pt-out" d="{d}">{title}</path>'
    d = f"M{num(x)} {num(y - 6)}L{num(x + 5.5)} {num(y + 4)}L{num(x - 5.5)} {num(y + 4)}Z"
    return f'<path class="pt-unknown" d="{d}">{title}</path>'


def axes(
    x_axis: Axis,
    y_axis: Axis,
    sx: Callable[[float], float],
    sy: Callable[[float], float],
    left: float,
    top: float,
    plot_w: float,
    plot_h: float,
) -> str:
    parts = ['<g class="axis">']
    bottom = top + plot_h
    for tick in x_axis.ticks:
        x = sx(tick)
        parts.append(f'<line class="grid" x1="{num(x)}" y1="{num(top)}" x2="{num(x)}" y2="{num(bottom)}"/>')
        parts.append(
            f'<text x="{num(x)}" y="{num(bottom + 16)}" text-anchor="middle">{esc(show_number(tick))}</text>'
        )
    for tick in y_axis.ticks:
        y = sy(tick)
        parts.append(
            f'<line class="grid" x1="{num(left)}" y1="{num(y)}" x2="{num(left + plot_w)}" y2="{num(y)}"/>'
        )
        parts.append(
            f'<text x="{num(left - 6)}" y="{num(y + 4)}" text-anchor="end">{esc(show_number(tick))}</text>'
        )
    parts.append(f'<path d="M{num(left)} {num(top)}V{num(bottom)}H{num(left + plot_w)}" fill="none"/></g>')
    return "".join(parts)


class LabelPlacer:
    """Greedy placement of outlier names around their point, skipping a name that would overlap."""

    def __init__(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.bounds = (x0, y0, x1, y1)
        self.boxes: list[tuple[float, float, float, float]] = []

    def place(self, text: str, x: float, y: float) -> tuple[float, float, str] | None:
        width, height = 6.2 * len(text), 12.0
        for dx, dy, anchor in ((8, -7, "start"), (8, 15, "start"), (-8, -7, "end"), (-8, 15, "end")):
            lx, ly = x + dx, y + dy
            x0 = lx if anchor == "start" else lx - width
            box = (x0, ly - height + 2, x0 + width, ly + 2)
            if self.fits(box):
                self.boxes.append(box)
                return lx, ly, anchor
        return None

    def fits(self, box: tuple[float, float, float, float]) -> bool:
        x0, y0, x1, y1 = self.bounds
        if box[0] < x0 or box[2] > x1 + 20 or box[1] < y0 - 10 or box[3] > y1:
            return False
        return all(box[2] <= b[0] or box[0] >= b[2] or box[3] <= b[1] or box[1] >= b[3] for b in self.boxes)


# -- the acceptable zone, as the engine evaluated it


def zone_path(zone: Zone, left: float, top: float, plot_w: float, plot_h: float) -> tuple[str, str]:
    """The engine's zone as one SVG path of row runs, and the words that describe it."""
    others = list(zone.depends_on)
    cell_w, cell_h = plot_w / zone.columns, plot_h / zone.rows
    runs: list[str] = []
    seen: set[bool | None] = set()
    for row, cells in enumerate(zone.cells):
        start: int | None = None
        for column in range(zone.columns + 1):
            inside = False
            if column < zone.columns:
                result = cells[column]
                seen.add(result)
                inside = result is not False  # True, or None: it can be acceptable there
            if inside and start is None:
                start = column
            elif not inside and start is not None:
                x0, y0, run = left + start * cell_w, top + row * cell_h, (column - start) * cell_w
                runs.append(f"M{num(x0)} {num(y0)}h{num(run)}v{num(cell_h)}h{num(-run)}z")
                start = None
    if False not in seen:
        reason = f" (it depends on {', '.join(others)})" if others else ""
        return "", f"The acceptable zone cannot be drawn from these two measures alone{reason}."
    if not runs:
        return "", "No combination of these two measures is acceptable on the plotted range."
    if others:
        return "".join(runs), (
            "The shaded area is where the trade-off can be acceptable; each subject's own"
            f" {', '.join(others)} also decide."
        )
    return "".join(runs), "The shaded area is the acceptable zone."


# ---------------------------------------------------------------- maturity


def traced_maturities(result: SubjectResult, models: Sequence[str]) -> list[MaturityTrace]:
    found: dict[str, MaturityTrace] = {}
    for policy in result.policies:
        for rule in policy.rules:
            for trace in rule.maturities:
                if trace.maturity in models:
                    found.setdefault(trace.maturity, trace)
    return [found[name] for name in models if name in found]


def maturity_section(view: BoardView) -> str:
    """Every maturity model declared, whatever its name, and the `maturity.*` axes subjects rate."""
    axes_ = view.facts.maturity_axes
    models = view.facts.maturity_models
    levels = {result.subject: view.maturities(result) for result in view.report.subjects}
    rated = [
        result
        for result in view.report.subjects
        if levels[result.subject]
        or (
            (subject := view.subject(result.subject)) is not None
            and any(axis.path in subject.fields for axis in axes_)
        )
    ]
    if not rated:
        what = "no <code>maturity.*</code> fact"
        if models:
            what += f", and no policy reads the level of {esc(', '.join(models))}"
        return section("maturity", f"<p>No subject rates its maturity ({what}).</p>\n")
    if len(rated) > MAX_LISTED:
        return section("maturity", maturity_summary(view, rated, levels))
    rows = []
    for result in rated:
        subject = view.subject(result.subject)
        cells = [link(view, result.subject)]
        for axis in axes_:
            value = as_number(subject.fields.get(axis.path)) if subject is not None else None
            cells.append(maturity_cell(value, axis.low, axis.high))
        words = "; ".join(maturity_words(trace, len(models) > 1) for trace in levels[result.subject])
        cells.append(esc(words) if words else '<span class="muted">—</span>')
        rows.append(cells)
    headers = ("Subject", *(axis.name for axis in axes_), "Level reached")
    caption = "Maturity per subject on each axis (a bar per axis, the score beside it; — when not rated)"
    intro = [maturity_models_note(view, models)]
    if axes_:
        descriptions = "".join(
            f"<dt><code>{esc(axis.name)}</code></dt><dd>{esc(axis.description)}"
            f" ({show_number(axis.low)} to {show_number(axis.high)})</dd>"
            for axis in axes_
        )
        rating = [
            result
            for result in rated
            if (subject := view.subject(result.subject)) is not None
            and any(axis.path in subject.fields for axis in axes_)
        ]
        on_axes = plural(len(axes_), "axis", "axes")
        intro.append(
            f"<p>{plural(len(rating), 'subject')} rate themselves on {on_axes}:</p>\n"
            f'<dl class="facts">{descriptions}</dl>\n'
        )
    numeric = tuple(range(1, len(axes_) + 1))
    return section("maturity", "".join(intro) + table(caption, headers, rows, numeric=numeric, css="wide"))


def maturity_summary(
    view: BoardView, rated: Sequence[SubjectResult], levels: Mapping[str, Sequence[MaturityTrace]]
) -> str:
    """Maturity over many subjects: each axis's spread of scores and how many subjects reached each
    level; each subject's own scores and level are in its details (`maturity_fact`)."""
    axes_ = view.facts.maturity_axes
    models = view.facts.maturity_models
    parts = [maturity_models_note(view, models)]
    if axes_:
        rows = []
        for axis in axes_:
            values = sorted(
                value
                for result in rated
                if (subject := view.subject(result.subject)) is not None
                and (value := as_number(subject.fields.get(axis.path))) is not None
            )
            if not values:
                rows.append((f"<code>{esc(axis.name)}</code>", "0", "—", "—", "—", "—"))
                continue
            mean = sum(values) / len(values)
            middle = len(values) // 2
            median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2
            rows.append(
                (
                    f"<code>{esc(axis.name)}</code> {esc(axis.description)}",
                    str(len(values)),
                    esc(show_number(values[0])),
                    esc(show_number(round(median, 2))),
                    maturity_cell(round(mean, 2), axis.low, axis.high),
                    esc(show_number(values[-1])),
                )
            )
        headers = ("Axis", "Subjects rated", "Lowest", "Median", "Mean", "Highest")
        caption = (
            "Scores on each maturity axis across the subjects rated (the bar: the mean on the axis's range)"
        )
        parts.append(table(caption, headers, rows, numeric=(1, 2, 3, 4, 5), css="wide"))
    reached: Counter[tuple[int, str, str]] = Counter()
    for result in rated:
        for trace in levels[result.subject]:
            reached[(models.index(trace.maturity), trace.maturity, maturity_words(trace, False))] += 1
    if reached:
        levels_rows = [
            (f"<code>{esc(model)}</code>", esc(words), str(count))
            for (_, model, words), count in sorted(reached.items())
        ]
        caption = "Subjects per level reached, for each maturity model"
        parts.append(table(caption, ("Model", "Level reached", "Subjects"), levels_rows, numeric=(2,)))
    parts.append(
        f"<p>{plural(len(rated), 'subject')} rated: each one's scores and level are in its details"
        ' (open it in the <a href="#subjects">index</a>).</p>\n'
    )
    return "".join(parts)


def maturity_fact(view: BoardView, subject: Subject | None, result: SubjectResult) -> str:
    """A subject's maturity for its details: its score on each axis, and the level it reached."""
    axes_ = view.facts.maturity_axes
    scores = []
    for axis in axes_:
        value = as_number(subject.fields.get(axis.path)) if subject is not None else None
        if value is not None:
            scores.append(
                f"{axis.name} {show_number(value)} ({show_number(axis.low)} to {show_number(axis.high)})"
            )
    models = view.facts.maturity_models
    traces = view.maturities(result)
    words = "; ".join(maturity_words(trace, len(models) > 1) for trace in traces)
    if words:
        scores.append(f"level reached: {words}")
    return f"<dt>Maturity</dt><dd>{esc(', '.join(scores))}</dd>" if scores else ""


def maturity_models_note(view: BoardView, models: Sequence[str]) -> str:
    """The maturity models the policies declare, each with how many subjects were placed on it."""
    if not models:
        return ""
    placed = Counter(trace.maturity for result in view.report.subjects for trace in view.maturities(result))
    items = "".join(
        f"<li><code>{esc(model)}</code>: {plural(placed[model], 'subject')} placed on its levels</li>"
        if placed[model]
        else f"<li><code>{esc(model)}</code>: no policy reads its level, so no subject is placed on it</li>"
        for model in models
    )
    return f"<p>Maturity models declared by the policies:</p>\n<ul>{items}</ul>\n"


def maturity_cell(value: float | None, low: float, high: float) -> str:
    if value is None:
        return '<span class="muted">—</span>'
    share = max(0.0, min(1.0, (value - low) / (high - low)))
    return (
        '<svg class="bar" viewBox="0 0 50 6" aria-hidden="true"><rect class="track" width="50" height="6"/>'
        f'<rect width="{num(50 * share)}" height="6"/></svg>{esc(show_number(value))}'
    )


def maturity_words(trace: MaturityTrace, named: bool) -> str:
    level = f"{trace.rank} {trace.level}" if trace.level is not None else "0 (none)"
    words = level + (f", next: {trace.next_level}" if trace.next_level else " (the top level)")
    return f"{trace.maturity}: {words}" if named else words


# ---------------------------------------------------------------- dependencies


def dependencies_section(view: BoardView) -> str:
    tier_one = [subject for subject in view.portfolio.subjects if is_tier_one(subject)]
    if not tier_one:
        return section(
            "dependencies",
            "<p>No subject is tier 1 (a <code>tier</code> of 1 or a <code>tier-1</code> tag).</p>\n",
        )
    intro = (
        "<p>Tier-1 subjects (a <code>tier</code> of 1 or a <code>tier-1</code> tag) and what they rest on."
        " A dependency (direct or further down) whose own verdict is not GO is a <strong>weak link</strong>:"
        " drawn with a thick border"
        " (solid for ✗ NO-GO, dashed for … NOT YET) and a dashed link, and named under the chart.</p>\n"
    )
    alone = [subject.name for subject in tier_one if not view.dependencies_of(subject.name)]
    drawn = view.drawn_dependencies
    figures = [dependency_figure(view, view.portfolio.by_name[name]) for name in drawn]
    others = [
        subject.name
        for subject in tier_one
        if view.dependencies_of(subject.name) and subject.name not in drawn
    ]
    if others:
        figures.append(undrawn_dependencies(view, others))
    tail = ""
    if alone:
        shown = ", ".join(link(view, name) for name in alone[:MAX_LISTED])
        more = f" and {len(alone) - MAX_LISTED} more" if len(alone) > MAX_LISTED else ""
        tail = f"<p>Tier-1 subjects without dependencies: {shown}{more}.</p>\n"
    return section("dependencies", intro + "".join(figures) + tail)


def weak_links(view: BoardView, name: str) -> tuple[int, list[str]]:
    """How many dependencies of `name`, direct or further down, are not GO; the first `MAX_NAMED`
    of them in name order."""
    bits = view.closure_bits(name) & view.not_go_bits
    return bits.bit_count(), view.names_of(bits, MAX_NAMED)


def weak_names(count: int, names: Sequence[str]) -> str:
    if not count:
        return "—"
    return ", ".join(names) + (f" and {count - len(names)} more" if count > len(names) else "")


def undrawn_dependencies(view: BoardView, names: Sequence[str]) -> str:
    """The tier-1 subjects whose graph is not drawn in the section: a table, most weak links first."""
    weak = {name: weak_links(view, name) for name in names}
    ordered = sorted(names, key=lambda name: (-weak[name][0], name))
    rows = [
        (
            link(view, name),
            subject_badge(view.results[name]) if name in view.results else "—",
            str(len(view.dependencies_of(name))),
            str(weak[name][0]),
            esc(weak_names(*weak[name])),
        )
        for name in ordered[:MAX_LISTED]
    ]
    headers = ("Subject", "Verdict", "Direct dependencies", "Weak links", "Named")
    caption = (
        "The other tier-1 subjects with dependencies, most weak links first (each graph is in the"
        " subject's details)"
    )
    more = len(ordered) - len(rows)
    note = (
        f'<p class="muted">and {plural(more, "more tier-1 subject")}: search the index for them.</p>\n'
        if more > 0
        else ""
    )
    return (
        f"<p>{plural(len(view.drawn_dependencies), 'graph')} drawn here, the tier-1 subjects with most weak"
        f" links first; {plural(len(names), 'more tier-1 subject')} with dependencies below.</p>\n"
        + table(caption, headers, rows, numeric=(2, 3), css="wide")
        + note
    )


def dependency_layers(view: BoardView, root: str) -> tuple[list[list[str]], int]:
    """Breadth-first layers of the dependency closure, capped; and how many were left out."""
    layers = [[root]]
    placed = {root}
    left_out = 0
    while layers[-1] and len(layers) <= MAX_GRAPH_DEPTH:
        following: list[str] = []
        for name in layers[-1]:
            for dependency in view.dependencies_of(name):
                if dependency in placed:
                    continue
                if len(placed) >= MAX_GRAPH_NODES:
                    left_out += 1
                    placed.add(dependency)
                    continue
                placed.add(dependency)
                following.append(dependency)
        layers.append(following)
    left_out += (view.closure_bits(root) & ~view.bits_of(placed)).bit_count()
    return [layer for layer in layers if layer], left_out


def dependency_figure(view: BoardView, subject: Subject, *, in_details: bool = False) -> str:
    """The graph of a tier-1 subject's dependencies, with its weak links named under it; headed for
    the dependencies section, or for the subject's details (`in_details`)."""
    layers, left_out = dependency_layers(view, subject.name)
    node_w, node_h, gap_x, gap_y, pad = 190.0, 40.0, 56.0, 14.0, 6.0
    rows = max(len(layer) for layer in layers)
    width = pad * 2 + len(layers) * node_w + (len(layers) - 1) * gap_x + LOOP_ROOM
    height = pad * 2 + rows * node_h + (rows - 1) * gap_y
    position: dict[str, tuple[float, float]] = {}
    for depth, layer in enumerate(layers):
        offset = (height - (len(layer) * node_h + (len(layer) - 1) * gap_y)) / 2
        for index, name in enumerate(layer):
            position[name] = (pad + depth * (node_w + gap_x), offset + index * (node_h + gap_y))

    def verdict_of(name: str) -> Verdict | None:
        result = view.results.get(name)
        return result.verdict if result is not None else None

    blocking = [
        name for name in position if name != subject.name and verdict_of(name) not in (Verdict.GO, None)
    ]
    direct = view.dependencies_of(subject.name)
    root_verdict = verdict_of(subject.name)
    words = [f"{subject.name} ({root_verdict.label if root_verdict else 'not evaluated'})"]
    words.append("depends on " + ", ".join(f"{name} ({label_of(verdict_of(name))})" for name in direct))
    if blocking:
        words.append("weak links (not GO): " + ", ".join(blocking))
    else:
        words.append("no weak link")
    desc = "; ".join(words) + "."
    chart_id = f"chart-deps-{slug(subject.name)}"
    svg = [svg_open(chart_id, width, height, f"Dependencies of {subject.name}", desc)]
    svg.append(
        "<defs>"
        + "".join(
            f'<marker id="{chart_id}-{kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"'
            f' markerHeight="7" orient="auto"><path class="arrow {kind}" d="M0 0L10 5L0 10z"/></marker>'
            for kind in ("plain", "blocking")
        )
        + "</defs>"
    )
    for name, (x, y) in position.items():
        for dependency in view.dependencies_of(name):
            if dependency not in position:
                continue
            tx, ty = position[dependency]
            kind = "blocking" if dependency in blocking else "plain"
            svg.append(
                f'<path class="edge {kind}" d="{edge_path(x, y, tx, ty, node_w, node_h)}"'
                f' marker-end="url(#{chart_id}-{kind})"/>'
            )
    for name, (x, y) in position.items():
        verdict = verdict_of(name)
        cls = "node root" if name == subject.name else "node"
        if name in blocking and verdict is not None:
            cls += f" block-{verdict.value}"
        shown = name if len(name) <= 26 else name[:25] + "…"
        status = label_of(verdict) + (" · weak link" if name in blocking else "")
        svg.append(
            f'<g><title>{esc(name)}: {esc(status)}</title><rect class="{cls}" x="{num(x)}" y="{num(y)}"'
            f' width="{num(node_w)}" height="{num(node_h)}" rx="4"/>'
            f'<text class="node-verdict" x="{num(x + 8)}" y="{num(y + 16)}">{esc(status)}</text>'
            f'<text x="{num(x + 8)}" y="{num(y + 32)}">{esc(shown)}</text></g>'
        )
    svg.append("</svg>")
    items = "".join(
        f"<li>{link(view, name)}: {badge(verdict_of(name) or Verdict.GO)}"
        f"{' — directly' if name in direct else ' — through another dependency'}</li>"
        for name in blocking
    )
    listing = (
        f"<p>Weak links (dependencies that are not GO):</p>\n<ul>{items}</ul>\n"
        if blocking
        else "<p>No weak link: every dependency is GO.</p>\n"
    )
    more = f" {plural(left_out, 'more dependency', 'more dependencies')} not drawn." if left_out else ""
    verdict_html = subject_badge(view.results[subject.name]) if subject.name in view.results else ""
    heading = (
        "<h4>Dependencies</h4>\n"
        if in_details
        else f'<h3 id="deps-{slug(subject.name)}">{link(view, subject.name)} {verdict_html}</h3>\n'
    )
    return (
        heading
        + f"<figure>\n{''.join(svg)}\n<figcaption>{esc(desc)}{esc(more)}</figcaption>\n</figure>\n{listing}"
    )


def edge_path(x: float, y: float, tx: float, ty: float, node_w: float, node_h: float) -> str:
    """A dependency link: forward to the next layer, or looping round to a node of the same or an
    earlier layer (a dependency between siblings, or a cycle)."""
    y1, y2 = y + node_h / 2, ty + node_h / 2
    if tx > x:
        x1, x2 = x + node_w, tx
        bend = (x2 - x1) / 2
        return (
            f"M{num(x1)} {num(y1)}C{num(x1 + bend)} {num(y1)} {num(x2 - bend)} {num(y2)} {num(x2)} {num(y2)}"
        )
    x1 = x + node_w if tx == x else x
    x2 = tx + node_w
    out = x1 + LOOP_ROOM if tx == x else x1 - LOOP_ROOM
    return f"M{num(x1)} {num(y1)}C{num(out)} {num(y1)} {num(x2 + LOOP_ROOM)} {num(y2)} {num(x2)} {num(y2)}"


def label_of(verdict: Verdict | None) -> str:
    return f"{VERDICT_SYMBOLS[verdict]} {verdict.label}" if verdict is not None else "not evaluated"


# ---------------------------------------------------------------- subjects


def subjects_section(view: BoardView) -> str:
    """Every subject as one row of an index (in the page, readable without a script), and each
    subject's justification as data the script turns into HTML when the subject is opened."""
    results = view.report.subjects
    verdicts = "".join(
        f'<label><input type="checkbox" value="{verdict.value}" checked> {badge(verdict)}</label> '
        for verdict in VERDICT_ORDER
    )
    filter_box = (
        '<div class="filter" id="subject-filter" hidden><label>Search the subjects (name, kind, owner,'
        ' tags, reason): <input type="search" autocomplete="off"></label>\n'
        f'<span class="verdicts" role="group" aria-label="Verdicts shown">{verdicts}</span>'
        f'<output aria-live="polite">{plural(len(results), "subject")}</output></div>\n'
    )
    intro = (
        "<p>Every subject in name order, with its verdict and the main reason for it. Open a subject"
        " (its name) for its justification: why, the facts, thresholds and margins behind each deciding"
        " rule, and what must hold for GO.</p>\n"
        '<noscript><p class="note">Opening a subject, the search and the verdict filter need'
        " JavaScript. Without it, <code>decisionlang explain SUBJECT</code> prints the same"
        " justification.</p></noscript>\n"
    )
    rows = "".join(index_row(view, result) for result in results)
    headers = "".join(
        f'<th scope="col">{name}</th>' for name in ("Subject", "Verdict", "Owner", "Tags", "Main reason")
    )
    index = (
        '<table class="wide index" id="subject-index"><caption>The subjects</caption>\n'
        f"<thead><tr>{headers}</tr></thead>\n<tbody>\n{rows}</tbody></table>\n"
    )
    return section("subjects", intro + filter_box + index + details_data(view))


def index_row(view: BoardView, result: SubjectResult) -> str:
    """One subject in the index: name and kind, verdict, owner, tags, the first deciding reason."""
    anchor = view.anchors[result.subject]
    subject = view.subject(result.subject)
    tags = ", ".join(str(tag) for tag in subject.fields.get("tags", ())) if subject is not None else ""
    reasons = view.main_reasons(result) if result.verdict is not Verdict.GO else []
    reason = esc(reasons[0]) if reasons else ""
    if len(reasons) > 1:
        reason += f' <span class="muted">(and {len(reasons) - 1} more)</span>'
    return (
        f'<tr id="{anchor}" class="{result.verdict.value}"><th scope="row"><a href="#{anchor}">'
        f'{esc(result.subject)}</a> <span class="kind">{esc(result.kind)}</span></th>'
        f"<td>{subject_badge(result)}</td><td>{esc(text_field(subject, 'owner') or '')}</td>"
        f"<td>{esc(tags)}</td><td>{reason}</td></tr>\n"
    )


def details_data(view: BoardView) -> str:
    """Each subject's justification (`subject_article`), in index order, as JSON in the page: chunks
    of `DETAILS_CHUNK` subjects, each a JSON list of HTML fragments. Beyond `PLAIN_DETAILS_LIMIT`
    subjects each chunk is compressed (zlib, level 9) and written in base64, which the browser
    inflates with its own `DecompressionStream` when a subject of that chunk is first opened."""
    articles = [subject_article(view, result) for result in view.report.subjects]
    chunks = [articles[start : start + DETAILS_CHUNK] for start in range(0, len(articles), DETAILS_CHUNK)]
    compressed = len(articles) > PLAIN_DETAILS_LIMIT
    encoding = "deflate-base64" if compressed else "json"

    def plain(chunk: Sequence[str]) -> str:  # one subject a line
        return "[\n" + ",\n".join(json.dumps(item, ensure_ascii=False) for item in chunk) + "\n]"

    listed = ",\n".join(f'"{packed(chunk)}"' if compressed else plain(chunk) for chunk in chunks)
    text = f'{{"chunk":{DETAILS_CHUNK},"encoding":"{encoding}","chunks":[\n{listed}\n]}}'
    # inside <script>, a `<` could end the element or open a comment: JSON spells it \u003c
    text = text.replace("<", "\\u003c")
    return f'<script type="application/json" id="subject-details">\n{text}\n</script>\n'


def packed(fragments: Sequence[str]) -> str:
    """A chunk of HTML fragments as base64 of zlib-compressed JSON (deterministic for one zlib)."""
    raw = json.dumps(list(fragments), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


KEY_FACTS = (
    ("owner", "Owner"),
    ("horizon", "Horizon"),
    ("tier", "Tier"),
    ("criticality", "Criticality"),
    ("trajectory", "Trajectory"),
    ("tags", "Tags"),
)


def subject_article(view: BoardView, result: SubjectResult) -> str:
    anchor = view.anchors[result.subject]
    subject = view.subject(result.subject)
    parts = [
        f'<article class="subject {result.verdict.value}" aria-labelledby="{anchor}-h">\n'
        f'<h3 id="{anchor}-h">{esc(result.subject)} <span class="kind">{esc(result.kind)}</span></h3>\n'
        f"<p>Verdict: {subject_badge(result)}</p>\n",
        key_facts(view, subject, result),
        f"<p>{esc(verdict_sentence(result, color=False))}{waived_sentence(result)}</p>\n",
    ]
    reasons = reasons_list(view, result) if result.verdict is not Verdict.GO else go_reasons(result)
    if reasons:
        parts.append(f"<h4>Why</h4>\n{reasons}")
    parts.append(policies_line(view, result))
    if result.verdict is not Verdict.GO or view.must_hold(result):
        parts.append(must_hold_list(view.must_hold(result)))
    if result.to_go is not None:
        parts.append(to_go_list(result.to_go, result.subject))
    if result.fragile:
        parts.append(fragile_list(result))
    if result.waivers:
        parts.append(compromises(view, result))
    if (
        subject is not None
        and is_tier_one(subject)
        and view.dependencies_of(subject.name)
        and subject.name not in view.drawn_dependencies
    ):
        parts.append(dependency_figure(view, subject, in_details=True))
    if result.warnings:
        items = "".join(
            f'<li>{esc(warning.message)} <span class="where">({esc(warning.rule)})</span></li>'
            for warning in result.warnings
        )
        parts.append(f"<h4>Warnings</h4>\n<ul>{items}</ul>\n")
    parts.append("</article>\n")
    return "".join(parts)


def waived_sentence(result: SubjectResult) -> str:
    """The verdict sentence already says what the waivers did: point at the compromises."""
    return " See the compromises knowingly accepted below." if waiver_sentence(result) else ""


def key_facts(view: BoardView, subject: Subject | None, result: SubjectResult) -> str:
    items = []
    for path, label in KEY_FACTS:
        value = text_field(subject, path)
        if path == "tags" and subject is not None:
            value = ", ".join(str(tag) for tag in subject.fields.get("tags", ()))
        if value:
            items.append(f"<dt>{label}</dt><dd>{esc(value)}</dd>")
    for path, label in (("depends_on", "Depends on"), ("targets", "Targets")):
        names = list(dict.fromkeys(subject.fields.get(path, ()))) if subject is not None else []
        if names:
            linked = ", ".join(f"{link(view, name)} {verdict_hint(view, name)}" for name in names)
            items.append(f"<dt>{label}</dt><dd>{linked}</dd>")
    maturity = maturity_fact(view, subject, result)
    if maturity:
        items.append(maturity)
    items.append(f'<dt>Defined in</dt><dd class="where">{esc(short_location(result.location))}</dd>')
    return f'<dl class="facts">{"".join(items)}</dl>\n'


def verdict_hint(view: BoardView, name: str) -> str:
    result = view.results.get(name)
    return f'<span class="muted">({label_of(result.verdict)})</span>' if result is not None else ""


def reasons_list(view: BoardView, result: SubjectResult) -> str:
    items = []
    for policy in holding_back(result):
        for rule in policy.reasons:
            items.append(reason_item(view, policy, rule, result.subject))
    listed = {rule.rule for policy in blocking_policies(result) for rule in policy.reasons}
    for missing in result.missing:
        if missing.rule not in listed:
            items.append(f"<li>Missing information: {esc(format_missing(missing, result.subject))}</li>")
    return f'<ul class="reasons">{"".join(unique(items))}</ul>\n' if items else ""


def compromises(view: BoardView, result: SubjectResult) -> str:
    """The waived policies: the waiver (who accepted, until when, what compensates) and the rules
    it lifted, which still fired."""
    items = []
    for effect in waiver_effects(result):
        policy, waiver = effect.policy, effect.waiver
        lifted = f"{badge(effect.lifted_from)} lifted to {badge(effect.lifted_to)}"
        reasons = "".join(reason_item(view, policy, rule, result.subject) for rule in effect.rules)
        items.append(
            f"<li><strong>Waiver {esc(waiver.id)}</strong>: policy {esc(policy.title or policy.policy)}"
            f" ({esc(policy.enforcement.value)}) {lifted}, expires {expiry(waiver.expires, view.as_of)}."
            f" Why: {esc(waiver.rationale)}. Compensating measure: {esc(waiver.compensating_measure)}."
            f" Accepted by {esc(waiver.owner)}, approved by {esc(waiver.approver)}"
            f' <span class="where">({esc(short_location(waiver.location))})</span>.'
            f"{'<ul>' + reasons + '</ul>' if reasons else ''}</li>"
        )
    return f'<h4>Compromises knowingly accepted</h4>\n<ul class="reasons">{"".join(items)}</ul>\n'


def go_reasons(result: SubjectResult) -> str:
    """For a GO subject, the `go` rules that held: the positive case, in the policies' words."""
    items = unique(
        f'<li>{esc(reason_sentence(rule))} <span class="where">({esc(policy.title or policy.policy)})'
        "</span></li>"
        for policy in result.policies
        for rule in policy.reasons
        if rule.kind is RuleKind.GO and rule.message and not policy.waived_by
    )
    return f'<ul class="reasons">{"".join(items)}</ul>\n' if items else ""


def reason_item(view: BoardView, policy: PolicyResult, rule: RuleTrace, subject: str) -> str:
    verdict = policy.unwaived if policy.unwaived is not None else policy.verdict  # what the rule decided
    source = (
        f"{badge(verdict)} from policy <strong>{esc(policy.title or policy.policy)}</strong>"
        f" ({esc(policy.enforcement.value)}), rule <code>{esc(rule.rule)}</code>"
    )
    details = rule_details(rule, subject)
    return f'<li><span class="because">{esc(reason_sentence(rule))}</span> — {source}{details}</li>'


def rule_details(rule: RuleTrace, subject: str) -> str:
    """Facts, thresholds and margins behind one deciding rule, folded (opened for printing)."""
    parts: list[str] = []
    if rule.comparisons:
        parts.append(comparisons_table(rule.comparisons[:MAX_CHECKS]))
        parts.append(more_note(len(rule.comparisons) - MAX_CHECKS, "check", subject))
    extra = [format_score_total(score) for score in rule.scores]
    extra += [words for score in rule.scores if (words := rescale_words(score))]
    extra += [format_tradeoff(tradeoff) for tradeoff in rule.tradeoffs]
    extra += [format_maturity(maturity) for maturity in rule.maturities]
    extra += [format_default(default, subject) for default in rule.defaults]
    extra += [format_verdict_read(read, subject) for read in rule.verdicts]
    extra += [format_exemption(exemption) for exemption in rule.exemptions]
    if extra:
        parts.append("<ul>" + "".join(f"<li>{esc(line)}</li>" for line in unique(extra)) + "</ul>")
    if rule.facts:
        facts = unique(format_fact(fact, subject, color=False) for fact in rule.facts)
        listed = "".join(f"<li>{esc(line)}</li>" for line in facts[:MAX_FACTS])
        parts.append(
            f"<p>Facts read:</p><ul>{listed}</ul>{more_note(len(facts) - MAX_FACTS, 'fact', subject)}"
        )
    parts.append(f'<p class="where">Rule defined at {esc(str(rule.location))}</p>')
    return f"<details><summary>Facts, thresholds and margins</summary>\n{''.join(parts)}</details>"


def more_note(left_out: int, what: str, subject: str) -> str:
    if left_out <= 0:
        return ""
    return (
        f'<p class="muted">and {plural(left_out, "more " + what)}: see'
        f" <code>decisionlang explain {esc(subject)}</code></p>"
    )


def comparisons_table(comparisons: Sequence[Comparison]) -> str:
    rows = []
    for comparison in comparisons:
        sides = split_expression(comparison.expression, comparison.operator)
        left_text, right_text = sides if sides is not None else (comparison.expression, None)
        found = show(comparison.left, missing="unknown")
        threshold = show(comparison.right, missing="unknown")
        if right_text is not None and right_text not in {threshold, f'"{threshold}"'}:
            threshold = f"{right_text} = {threshold}"
        elif right_text is None and sides is not None:
            threshold = "—"
        holds = {None: "unknown", True: "holds", False: "does not hold"}[comparison.holds]
        item = f' <span class="where">[{esc(comparison.bound)}]</span>' if comparison.bound else ""
        rows.append(
            (
                f"<code>{esc(left_text)} {esc(comparison.operator)}</code>{item}",
                esc(found),
                esc(threshold),
                holds,
                esc(margin_text(comparison) or "—"),
            )
        )
    return table("What was checked", ("Check", "Found", "Threshold", "Result", "Margin"), rows)


def policies_line(view: BoardView, result: SubjectResult) -> str:
    """Every policy applied, grouped by its verdict, each linked to the policy table."""
    if not result.policies:
        return "<p>No policy applies to this subject.</p>\n"
    groups = []
    for verdict in VERDICT_ORDER:
        names = [
            f'<a href="#{policy_anchor(policy.policy)}">{esc(policy.policy)}</a>'
            + (" (waived)" if policy.waived_by else "")
            for policy in result.policies
            if policy.verdict is verdict
        ]
        if names:
            groups.append(f"{badge(verdict)} {', '.join(names)}")
    return f'<p class="applied">Policies applied: {"; ".join(groups)}.</p>\n'


def policy_anchor(name: str) -> str:
    return f"p-{slug(name)}"


def asked_what_it_takes(report: Report) -> bool:
    """Whether the report was asked what it would take (`--to-go`, `--fragile`): its section shows."""
    return any(subject.to_go is not None or subject.fragile is not None for subject in report.subjects)


def what_it_takes_section(view: BoardView) -> str:
    """`report --to-go` / `--fragile`: how many subjects a change of their facts brings to GO, and
    which parameters decide the most GO verdicts (the portfolio view of `fragile`)."""
    report = view.report
    if not asked_what_it_takes(report):
        return ""
    parts = []
    searched = [subject for subject in report.subjects if subject.to_go is not None]
    if searched:
        reachable = [subject for subject in searched if subject.to_go and subject.to_go.reachable]
        parts.append(
            f"<p>{plural(len(reachable), 'subject')} of the {len(searched)} not GO would be GO with a change"
            " of their facts alone (each subject's justification gives the smallest); the others"
            " depend on a given (a field the schema marks fixed) or on another subject.</p>\n"
        )
    deciding = deciding_parameters(report)
    go = sum(1 for subject in report.subjects if subject.verdict is Verdict.GO)
    if deciding:
        rows = [
            (
                esc(entry.description),
                esc(show_number(entry.value)),
                esc(", ".join(entry.subjects)),
                esc(fragility_sentence(entry.nearest)),
            )
            for entry in deciding
        ]
        parts.append(
            f"<p>GO verdicts that one small change of a constant or a weight would flip: the parameters"
            f" that decide the most of the {go} GO verdicts first.</p>\n"
        )
        parts.append(
            table(
                "Parameters that decide the most GO verdicts",
                ("Parameter", "Value", "GO subjects it flips", "Smallest change that flips one"),
                rows,
                css="wide",
            )
        )
    elif any(subject.fragile is not None for subject in report.subjects):
        parts.append("<p>No GO verdict flips with a small change of one constant or weight.</p>\n")
    return section("what-it-takes", "".join(parts))


def fragile_list(result: SubjectResult) -> str:
    items = "".join(f"<li>{esc(fragility_sentence(item))}</li>" for item in result.fragile or ())
    return f"<h4>How fragile this GO is</h4>\n<ul>{items}</ul>\n"


def to_go_list(path: PathToGo, subject: str) -> str:
    """The smallest changes of the facts that make the subject GO (`report --to-go`)."""
    items = to_go_items(path, subject)
    intro = to_go_intro(path)
    if intro is None:
        return f"<h4>To reach GO</h4>\n<p>{esc(items[0])}.</p>\n"
    listed = "".join(f"<li>{esc(item)}</li>" for item in items)
    return f"<h4>To reach GO</h4>\n<p>{esc(intro)}; any one of:</p>\n<ol>{listed}</ol>\n"


def must_hold_list(items: Sequence[str]) -> str:
    if not items:
        return "<h4>What must hold for GO</h4>\n<p>No remediation was recorded; see the reasons above.</p>\n"
    listed = "".join(f"<li>{esc(item)}</li>" for item in items)
    return f"<h4>What must hold for GO</h4>\n<ol>{listed}</ol>\n"


# ---------------------------------------------------------------- reading guide and notes


def reading_section(view: BoardView) -> str:
    legend = table(
        "The three verdicts",
        ("Verdict", "Meaning"),
        [
            (badge(Verdict.GO), "Every policy that applies allows it to go ahead."),
            (
                badge(Verdict.NOT_YET),
                "It cannot go ahead today, but it can once what must hold for GO is met.",
            ),
            (badge(Verdict.NO_GO), "At least one policy blocks it as it stands."),
        ],
    )
    notes = [
        legend,
        "<p>A <strong>margin</strong> is the distance to a threshold, in the unit of what is compared (days,"
        " %, €…): a check <em>passes by</em> it when it is on the side of GO, <em>blocks by</em> it when it"
        " holds the subject back. <strong>Hard</strong> policies can"
        " never be waived; <strong>soft</strong> ones can, with a dated waiver; <strong>advisory</strong>"
        " ones only warn. Missing information is never read as zero: it makes a verdict NOT YET and"
        " names the file to complete.</p>\n",
    ]
    warnings = [d for d in view.report.diagnostics if not d.is_error]
    if warnings:
        items = "".join(f"<li>{esc(diagnostic_line(d))}</li>" for d in warnings)
        notes.append(f"<h3>Warnings about the policies and states</h3>\n<ul>{items}</ul>\n")
    return section("reading", "".join(notes))


def diagnostic_line(diagnostic: Diagnostic) -> str:
    return f"{diagnostic.where}: {diagnostic.message} [{diagnostic.code}]"


# ---------------------------------------------------------------- what to fund


def what_to_fund_section(view: BoardView) -> str:
    """`report --budget`: the funding plan (`api.plan`), in the sentences `decisionlang plan` prints."""
    plan = view.plan
    if plan is None:
        return ""
    parts = [
        f"<p>Within a budget of {esc(amount(plan.budget, plan.unit))}: the initiatives of the highest total"
        f" value (<code>{esc(plan.value_expression)}</code>) that are GO or have a known path to GO, every"
        " H1 initiative first, each with the initiatives it depends on. The selection is exact.</p>\n"
    ]
    if not plan.feasible:
        items = "".join(f"<li>{esc(infeasible_sentence(problem, plan))}</li>" for problem in plan.infeasible)
        parts.append(
            '<p class="no-plan"><strong>No plan</strong>: the mandatory H1 initiatives do not fit.</p>\n'
            f"<ul>{items}</ul>\n"
        )
        return section("what-to-fund", "".join(parts))
    parts.append(f"<p><strong>{esc(funded_summary(plan))}</strong>.</p>\n")
    funded_rows = [
        (
            link(view, item.name),
            esc(item.owner or "—"),
            esc(amount(item.cost, plan.unit)),
            esc(value_text(item.value)),
            esc("; ".join(funded_notes(item)) or "—"),
        )
        for item in plan.funded
    ]
    parts.append(
        table(
            "Funded",
            ("Initiative", "Owner", "Cost", "Value", "Note"),
            funded_rows,
            numeric=(2, 3),
            css="wide",
        )
    )
    if plan.left_out:
        left_rows = [
            (link(view, item.name), badge(item.verdict), esc(left_out_sentence(item, plan)))
            for item in plan.left_out
        ]
        parts.append(table("Left out, and why", ("Initiative", "Verdict", "Why"), left_rows, css="wide"))
    constraints = [f"<li><strong>Budget</strong>: {esc(budget_sentence(plan))}</li>"]
    constraints.extend(
        f"<li><strong>Capacity of {esc(use.owner)}</strong>: {esc(capacity_sentence(use))}</li>"
        for use in plan.capacity_use
    )
    constraints.append(
        f"<li><strong>Next budget step</strong>: {esc(next_step_sentence(plan.next_step, plan))}</li>"
    )
    parts.append(f'<ul class="plan-constraints">{"".join(constraints)}</ul>\n')
    return section("what-to-fund", "".join(parts))

"""Subjects (services, initiatives, ...) as the evaluator sees them: validated values with positions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from decisionlang.core.dates import duration_words


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where a fact comes from and when it was true: `observed:` (a date) and `source:` (what
    observed it: an exporter, an import, a person), written on the field, on its block or on the
    subject; and how long the schema says such a fact stays true (`fresh for 90 days`)."""

    observed: dt.date | None = None
    source: str | None = None
    fresh_days: float | None = None
    fresh_text: str | None = None  # the schema's words, `90 days`

    def age_on(self, today: dt.date) -> int | None:
        """Its age in days on `today`, when it says when it was observed."""
        return None if self.observed is None else (today - self.observed).days

    def stale_on(self, today: dt.date) -> bool:
        """Whether it is older on `today` than the schema's `fresh for` (never, without an
        observation date or a freshness period)."""
        if self.observed is None or self.fresh_days is None:
            return False
        return (today - self.observed).days > self.fresh_days

    def staleness(self) -> str:
        """Why it is stale: `observed 2026-05-01 by dora-exporter, older than 90 days`."""
        observed = None if self.observed is None else self.observed.isoformat()
        return staleness_words(observed, self.source, self.fresh_text or f"{self.fresh_days:g} days")


def origin_words(observed: str | None, source: str | None) -> str | None:
    """`observed 2026-05-01 by dora-exporter`, `observed 2026-05-01`, `from dora-exporter`; None for
    a fact that says neither. The one wording of a fact's evidence (`Evidence`, a traced `Fact`)."""
    if observed is None:
        return None if source is None else f"from {source}"
    return f"observed {observed}" + (f" by {source}" if source else "")


def staleness_words(observed: str | None, source: str | None, fresh_for: str | None) -> str:
    """Why a fact is stale: `observed 2026-05-01 by dora-exporter, older than 90 days`."""
    return f"{origin_words(observed, source) or 'of unknown origin'}, older than {fresh_for}"


def stale_sentence(what: str, why: str, *, many: bool = False) -> str:
    """`dora.change_failure_rate is stale (observed 2026-05-01 by dora-exporter, older than 90 days)`;
    `many`: `what` names several facts (`... are stale (...)`)."""
    return f"{what} {'are' if many else 'is'} stale ({why})"


_NO_EVIDENCE: Mapping[str, Evidence] = {}
_NO_STALE: Mapping[str, Any] = {}


@dataclass(frozen=True)
class Subject:
    """One declared subject. `fields` is flat: dotted path -> validated value.

    Values are Python natives: int/float, str (also scale values), bool, datetime.date,
    `Duration`, and lists of those; `depends_on` and `targets` hold subject names.
    `locations` maps the same dotted paths to the (line, column) of the value in `file`, or in
    `sources[path]` for a fact an overlay file added: `origin_of` gives all three.
    """

    name: str
    kind: str
    file: str
    line: int
    column: int
    fields: Mapping[str, Any] = field(compare=False)
    locations: Mapping[str, tuple[int, int]] = field(compare=False, repr=False)
    # the groups of fields the state writes (`git` for `git: {stars: 3}` or `git.stars: 3`)
    groups: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    # The file of each fact an overlay added (a fact absent here is written in `file`).
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    # The files of the `overlays:` entries that add to it, in order.
    overlays: tuple[str, ...] = field(default=(), compare=False, repr=False)
    # Where its facts come from and when they were observed, by dotted path (only the facts that
    # say so: `observed:` / `source:` on the field, its block or the subject).
    evidence: Mapping[str, Evidence] = field(default_factory=lambda: _NO_EVIDENCE, compare=False, repr=False)
    # The day its facts' ages are counted to (`Portfolio.observed_on`), None before: on that day
    # the facts older than their `fresh for` are `stale`, taken out of `fields` (they read as
    # unknown) and kept here with their values.
    as_of: dt.date | None = field(default=None, compare=False, repr=False)
    stale: Mapping[str, Any] = field(default_factory=lambda: _NO_STALE, compare=False, repr=False)

    def location_of(self, path: str) -> tuple[int, int]:
        return self.locations.get(path, (self.line, self.column))

    def origin_of(self, path: str) -> tuple[str, int, int]:
        """Where the fact at `path` is written: file, line and column (the subject itself when the
        fact is not written anywhere)."""
        if path not in self.locations:
            return self.file, self.line, self.column
        line, column = self.locations[path]
        return self.sources.get(path, self.file), line, column

    def observed_on(self, today: dt.date) -> Subject:
        """The subject as it stands on `today`: the facts stale on that day read as unknown."""
        if self.as_of == today or not self.evidence:
            return self
        fields = {**self.fields, **self.stale} if self.stale else dict(self.fields)
        stale = {
            path: fields.pop(path)
            for path, evidence in self.evidence.items()
            if path in fields and evidence.stale_on(today)
        }
        if not stale and not self.stale:
            return dataclasses.replace(self, as_of=today)
        return dataclasses.replace(self, fields=fields, as_of=today, stale=stale or _NO_STALE)

    def staleness(self, path: str) -> str | None:
        """Why its fact at `path` is stale on its `as_of` day, or None when it is not."""
        if path not in self.stale:
            return None
        return self.evidence[path].staleness()

    def add_to(self) -> str:
        """The file a fact missing from the subject is to be added to: its first overlay when it
        has one (the defining file may be an import's output, rewritten on the next import), else
        the file that defines it. The one answer for every "add it to" hint."""
        return self.overlays[0] if self.overlays else self.file

    def has_group(self, path: str) -> bool:
        """Whether the state writes the mapping `path` (or a field below it)."""
        if path in self.groups:
            return True
        prefix = path + "."
        return any(key.startswith(prefix) for key in self.fields)


class Record(Mapping[str, Any]):
    """One item of a list of objects in a state (`- {status: OPEN, age_days: 45}`): its validated
    fields, and where it was written. `path` names it for traces and missing information,
    `git.pull_requests[2]` (indexes count from 0), and `subject`/`file` say whose it is."""

    __slots__ = ("fields", "file", "locations", "path", "subject")

    def __init__(
        self,
        subject: str,
        file: str,
        path: str,
        fields: Mapping[str, Any],
        locations: Mapping[str, tuple[int, int]],
    ) -> None:
        self.subject = subject
        self.file = file
        self.path = path
        self.fields = fields
        self.locations = locations  # field name -> (line, column) of its value; "" -> the item

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def __repr__(self) -> str:
        return f"Record({self.path}, {dict(self.fields)!r})"

    def location_of(self, name: str) -> tuple[int, int]:
        return self.locations.get(name) or self.locations.get("", (1, 1))


@dataclass(frozen=True, order=True)
class Duration:
    """A length of time, in days (months count 30 days, years 365, an hour 1/24 of a day); shown
    in hours, minutes or seconds when shorter than a day."""

    days: float

    def __str__(self) -> str:
        shorter = duration_words(self.days)
        if shorter is not None:
            return shorter
        days = int(self.days) if float(self.days).is_integer() else self.days
        return f"{days} day" if days == 1 else f"{days} days"


@dataclass(frozen=True, order=True)
class IgnoredField:
    """A key of a state file that no schema declares: read past, and listed by `validate --verbose`."""

    file: str
    line: int
    column: int
    path: str  # dotted, from the subject's top level
    subject: str | None  # the name of the subject it is written in, when it has one


@dataclass(frozen=True)
class Portfolio:
    """Every subject of a project, sorted by name, with the dependency graph indexed both ways.

    `ignored` lists the keys of the state files that no schema declares, in file order."""

    subjects: tuple[Subject, ...]
    by_name: Mapping[str, Subject] = field(compare=False, repr=False)
    dependents: Mapping[str, tuple[str, ...]] = field(compare=False, repr=False)
    ignored: tuple[IgnoredField, ...] = field(default=(), compare=False, repr=False)
    # Whether a subject's fact says when it was observed (`Subject.evidence`): only then can one be
    # stale, and `observed_on` walk the subjects
    dated: bool = field(default=False, compare=False, repr=False)
    # field path -> subject name -> the subjects whose field names it, built on first use
    _referrers: dict[str, Mapping[str, tuple[str, ...]]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    # The days it stands on (`observed_on`): each day's portfolio, itself for the days it is
    _days: dict[dt.date, Portfolio] = field(default_factory=dict, init=False, compare=False, repr=False)

    @staticmethod
    def of(subjects: Iterable[Subject], ignored: Iterable[IgnoredField] = ()) -> Portfolio:
        ordered = tuple(sorted(subjects, key=lambda subject: subject.name))
        by_name = {subject.name: subject for subject in ordered}
        reverse: dict[str, list[str]] = {subject.name: [] for subject in ordered}
        for subject in ordered:
            for dependency in dict.fromkeys(subject.fields.get("depends_on", ())):
                if dependency in reverse and dependency != subject.name:
                    reverse[dependency].append(subject.name)
        dependents = {name: tuple(sorted(names)) for name, names in reverse.items()}
        dated = any(subject.evidence for subject in ordered)
        return Portfolio(ordered, by_name, dependents, tuple(sorted(set(ignored))), dated)

    def with_facts(self, name: str, facts: Mapping[str, Any]) -> Portfolio:
        """The portfolio with the subject `name`'s facts updated by `facts` (a what-if: the smallest
        change to GO tries many). The facts must not name subjects (`depends_on`, `targets`, a
        subject-valued field): the dependency graph and the index of such fields are kept as they
        are, not built again."""
        subject = self.by_name[name]
        changed = dataclasses.replace(subject, fields={**subject.fields, **facts})
        if any(path in subject.evidence or path in subject.stale for path in facts):
            # a fact given anew is observed now: its old observation no longer speaks for it
            changed = dataclasses.replace(
                changed,
                evidence={path: e for path, e in subject.evidence.items() if path not in facts},
                stale={path: v for path, v in subject.stale.items() if path not in facts},
            )
        subjects = tuple(changed if other.name == name else other for other in self.subjects)
        portfolio = Portfolio(
            subjects, {**self.by_name, name: changed}, self.dependents, self.ignored, self.dated
        )
        portfolio._referrers.update(self._referrers)  # the same subject-valued fields: still right
        for day, view in self._days.items():
            if view is self:  # the changed subject stands on that day as well
                portfolio._days[day] = portfolio
        return portfolio

    def staleness(self, name: str, path: str) -> str | None:
        """Why the fact `path` of the subject `name` is stale (this portfolio standing on a day:
        `observed_on`), or None when it is not (absent, fresh, or no such subject)."""
        subject = self.by_name.get(name)
        return None if subject is None or not subject.stale else subject.staleness(path)

    def observed_on(self, today: dt.date) -> Portfolio:
        """The portfolio as it stands on `today`: each subject's facts older than their schema's
        `fresh for` read as unknown (`Subject.observed_on`). Itself when no fact says when it
        was observed, or when it already stands on that day."""
        if not self.dated:
            return self
        known = self._days.get(today)
        if known is not None:
            return known
        if all(subject.as_of == today or not subject.evidence for subject in self.subjects):
            self._days[today] = self
            return self
        subjects = tuple(subject.observed_on(today) for subject in self.subjects)
        by_name = {subject.name: subject for subject in subjects}
        portfolio = Portfolio(subjects, by_name, self.dependents, self.ignored, dated=True)
        portfolio._referrers.update(self._referrers)  # the same facts name the same subjects
        portfolio._days[today] = self._days[today] = portfolio
        return portfolio

    def referrers(self, path: str) -> Mapping[str, tuple[str, ...]]:
        """For each subject, the other subjects whose field `path` (a subject, or a list of
        subjects) names it, in name order: the reverse of that field over the whole portfolio,
        built once per field."""
        index = self._referrers.get(path)
        if index is None:
            reverse: dict[str, list[str]] = {}
            for subject in self.subjects:
                value = subject.fields.get(path)
                names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
                for named in dict.fromkeys(names):
                    if isinstance(named, str) and named in self.by_name and named != subject.name:
                        reverse.setdefault(named, []).append(subject.name)
            index = {name: tuple(names) for name, names in reverse.items()}
            self._referrers[path] = index
        return index

    def dependencies_of(self, name: str) -> tuple[str, ...]:
        subject = self.by_name.get(name)
        if subject is None:
            return ()
        return tuple(
            dep for dep in subject.fields.get("depends_on", ()) if dep in self.by_name and dep != name
        )

    def closure(self, name: str, step: str) -> tuple[str, ...]:
        """Transitive dependencies (`step="depends_on"`) or dependents, cycle-safe, sorted."""
        seen: set[str] = set()
        frontier = [name]
        while frontier:
            current = frontier.pop()
            following = (
                self.dependencies_of(current) if step == "depends_on" else self.dependents.get(current, ())
            )
            for other in following:
                if other not in seen and other != name:
                    seen.add(other)
                    frontier.append(other)
        return tuple(sorted(seen))

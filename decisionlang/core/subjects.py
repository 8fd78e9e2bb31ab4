"""Subjects (services, initiatives, ...) as the evaluator sees them: validated values with positions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Subject:
    """One declared subject. `fields` is flat: dotted path -> validated value.

    Values are Python natives: int/float, str (also scale values), bool, datetime.date,
    `Duration`, and lists of those; `depends_on` and `targets` hold subject names.
    `locations` maps the same dotted paths to the (line, column) of the value in `file`.
    """

    name: str
    kind: str
    file: str
    line: int
    column: int
    fields: Mapping[str, Any] = field(compare=False)
    locations: Mapping[str, tuple[int, int]] = field(compare=False, repr=False)

    def location_of(self, path: str) -> tuple[int, int]:
        return self.locations.get(path, (self.line, self.column))


@dataclass(frozen=True, order=True)
class Duration:
    """A length of time, in days (months count 30 days, years 365)."""

    days: float

    def __str__(self) -> str:
        days = int(self.days) if float(self.days).is_integer() else self.days
        return f"{days} day" if days == 1 else f"{days} days"


@dataclass(frozen=True)
class Portfolio:
    """Every subject of a project, sorted by name, with the dependency graph indexed both ways."""

    subjects: tuple[Subject, ...]
    by_name: Mapping[str, Subject] = field(compare=False, repr=False)
    dependents: Mapping[str, tuple[str, ...]] = field(compare=False, repr=False)

    @staticmethod
    def of(subjects: Iterable[Subject]) -> Portfolio:
        ordered = tuple(sorted(subjects, key=lambda subject: subject.name))
        by_name = {subject.name: subject for subject in ordered}
        reverse: dict[str, list[str]] = {subject.name: [] for subject in ordered}
        for subject in ordered:
            for dependency in dict.fromkeys(subject.fields.get("depends_on", ())):
                if dependency in reverse and dependency != subject.name:
                    reverse[dependency].append(subject.name)
        dependents = {name: tuple(sorted(names)) for name, names in reverse.items()}
        return Portfolio(ordered, by_name, dependents)

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

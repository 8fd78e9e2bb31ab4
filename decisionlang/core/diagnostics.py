"""Diagnostics are data: a stable code, a message, an optional help line and a span."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from decisionlang.core.escapes import safe_line, visible
from decisionlang.core.spans import Span, printable


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"  # a note that never fails a command (lint findings configured `info`)


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span | None = None
    help: str | None = None
    severity: Severity = Severity.ERROR
    file: str | None = None  # for problems without a span: the file, and where known a position
    line: int | None = None
    column: int | None = None

    def __post_init__(self) -> None:
        # A path given on the command line, or a file name that is not UTF-8, may hold surrogates:
        # a diagnostic carries only text every output can write.
        for name in ("message", "help", "file"):
            text = getattr(self, name)
            if text is not None and printable(text) is not text:
                object.__setattr__(self, name, printable(text))

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def where(self) -> str:
        if self.span is not None:
            return str(self.span)
        if self.file is not None and self.line is not None:
            return f"{self.file}:{self.line}:{self.column or 1}"
        return self.file or "decisionlang"  # a problem of the command itself, not of a file

    def sort_key(self) -> tuple[str, int, int, str, str]:
        if self.span is not None:
            return (self.span.path, self.span.line, self.span.column, self.code, self.message)
        return (self.file or "", self.line or 0, self.column or 0, self.code, self.message)

    def to_json(self) -> dict[str, object]:
        location: dict[str, object] | None = None
        if self.span is not None:
            location = self.span.location()
        elif self.file is not None:
            location = {"file": self.file, "line": self.line, "column": self.column}
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "help": self.help,
            "location": location,
        }


class DecisionlangError(Exception):
    """Raised at a stage boundary to stop a pipeline that cannot go on; carries its diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("; ".join(f"{d.where}: {d.message}" for d in diagnostics))
        self.diagnostics = diagnostics


def render_text(diagnostic: Diagnostic) -> str:
    """`file:line:col: error[CODE]: message`, the excerpt with a caret, then the help line.

    Messages quote data (a value, a name, a path): each line shows it visibly, on that line."""
    where, message = visible(diagnostic.where), visible(diagnostic.message)
    lines = [f"{where}: {diagnostic.severity.value}[{diagnostic.code}]: {message}"]
    if diagnostic.span is not None:
        lines.extend("  " + line for line in diagnostic.span.excerpt())
    if diagnostic.help:
        lines.append(f"  help: {visible(diagnostic.help)}")
    return "\n".join(safe_line(line) for line in lines)


def sorted_diagnostics(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    unique: dict[tuple[object, ...], Diagnostic] = {}
    for diagnostic in diagnostics:
        unique.setdefault((*diagnostic.sort_key(), diagnostic.severity.value), diagnostic)
    return sorted(unique.values(), key=Diagnostic.sort_key)


MAX_PER_FILE = 50  # problems reported for one input file; the rest are counted
CAPPED = "DL-INPUT-CAPPED"


def capped(diagnostics: list[Diagnostic], limit: int = MAX_PER_FILE) -> list[Diagnostic]:
    """At most `limit` problems per file, in order; the rest of a file's are counted by one more
    diagnostic at the first one left out, so a file of 2,000 mistakes stays readable."""
    by_file: dict[str, int] = {}
    kept: list[Diagnostic] = []
    left_out: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        path = diagnostic.span.path if diagnostic.span is not None else diagnostic.file
        if path is None:
            kept.append(diagnostic)
            continue
        by_file[path] = by_file.get(path, 0) + 1
        if by_file[path] <= limit:
            kept.append(diagnostic)
        else:
            left_out.setdefault(path, []).append(diagnostic)
    return kept + [_more(path, rest) for path, rest in left_out.items()]


def _more(path: str, rest: list[Diagnostic]) -> Diagnostic:
    errors = sum(1 for diagnostic in rest if diagnostic.is_error)
    first = rest[0]
    line, column = (
        (first.span.line, first.span.column) if first.span is not None else (first.line, first.column)
    )
    kinds = f"{_count(errors, 'error')}, {_count(len(rest) - errors, 'warning')}"
    return Diagnostic(
        CAPPED,
        f"… and {_count(len(rest), 'more problem')} in this file ({kinds}), not shown",
        help="fix the problems shown first: the rest often follow from them",
        severity=Severity.ERROR if errors else Severity.WARNING,
        file=path,
        line=line,
        column=column,
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"

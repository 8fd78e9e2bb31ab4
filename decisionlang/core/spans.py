"""Source locations. A span knows its file and text so any diagnostic can render itself later."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from decisionlang.core.escapes import visible


@dataclass(frozen=True, eq=False)
class SourceFile:
    """A file's display path (relative to the project root) and its text."""

    path: str
    text: str
    _line_starts: tuple[int, ...] = field(default=(), repr=False)

    def _starts(self) -> tuple[int, ...]:
        """The offset of each line's first character, built on first use: most files never show a
        line (only diagnostics and traces do), and a large portfolio's index would cost more
        memory than its text."""
        starts = self._line_starts
        if not starts:
            found = [0]
            find = self.text.find
            index = find("\n")
            while index >= 0:
                found.append(index + 1)
                index = find("\n", index + 1)
            starts = tuple(found)
            object.__setattr__(self, "_line_starts", starts)
        return starts

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its newline."""
        starts = self._starts()
        if line < 1 or line > len(starts):
            return ""
        start = starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)].rstrip("\r")

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        starts = self._starts()
        low, high = 0, len(starts) - 1
        while low < high:
            middle = (low + high + 1) // 2
            if starts[middle] <= offset:
                low = middle
            else:
                high = middle - 1
        return low + 1, offset - starts[low] + 1


@dataclass(frozen=True, eq=False)
class Span:
    """A region of a source file: 1-based lines and columns, end exclusive.

    Two spans are equal when they cover the same region of the same file path."""

    source: SourceFile = field(repr=False)
    line: int
    column: int
    end_line: int
    end_column: int

    def _key(self) -> tuple[str, int, int, int, int]:
        return (self.source.path, self.line, self.column, self.end_line, self.end_column)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Span) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def path(self) -> str:
        return self.source.path

    def __str__(self) -> str:
        return f"{self.source.path}:{self.line}:{self.column}"

    def text(self) -> str:
        """The source text the span covers (lines joined with single spaces)."""
        if self.line == self.end_line:
            return self.source.line_text(self.line)[self.column - 1 : self.end_column - 1]
        lines = [self.source.line_text(self.line)[self.column - 1 :]]
        lines += [self.source.line_text(n) for n in range(self.line + 1, self.end_line)]
        lines.append(self.source.line_text(self.end_line)[: self.end_column - 1])
        return " ".join(line.strip() for line in lines if line.strip())

    def location(self) -> dict[str, object]:
        return {"file": self.source.path, "line": self.line, "column": self.column}

    def excerpt(self) -> list[str]:
        """The source line with a caret underline, as rendered under a diagnostic.

        A long line shows a window of `EXCERPT_WIDTH` characters around the column, `…` where it
        is cut; the caret stands under the column however wide the characters before it are."""
        line = self.source.line_text(self.line)
        if not line and self.line > 1 and self.column == 1:
            return []
        start = max(0, self.column - 1)
        end = self.end_column - 1 if self.end_line == self.line else len(line)
        end = max(start + 1, end)
        first, last = _window(len(line), start)
        shown = ("…" if first > 0 else "") + _visible(line[first:last]) + ("…" if last < len(line) else "")
        lead = 1 if first > 0 else 0
        before = _visible(line[first:start])
        covered = _visible(line[start : min(end, last)]) or " "
        gutter = f"{self.line} | "
        pad = " " * (len(gutter) - 2) + "| "
        prefix = " " * lead + "".join(ch if ch == "\t" else " " * _width(ch) for ch in before)
        carets = "^" * max(1, sum(_width(ch) for ch in covered))
        return [gutter + shown, pad + prefix + carets]


EXCERPT_WIDTH = 120  # characters of a long source line shown under a diagnostic
_EXCERPT_LEAD = 40  # of which before the column, when the line is cut on both sides


def _window(length: int, column: int) -> tuple[int, int]:
    """The characters [first, last) of a line of `length` shown around the 0-based `column`."""
    if length <= EXCERPT_WIDTH:
        return 0, length
    first = max(0, min(column - _EXCERPT_LEAD, length - EXCERPT_WIDTH))
    return first, first + EXCERPT_WIDTH


def _width(character: str) -> int:
    """Columns a character takes on a terminal: none for a combining mark, two for a wide one."""
    if unicodedata.combining(character) or unicodedata.category(character) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(character) in ("W", "F") else 1


def _visible(text: str) -> str:
    """Control characters shown as their Unicode pictures (␛ for ESC), never sent to the terminal."""
    return printable(visible(text))


_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` with what no output can encode written as escapes: a byte of a file name that is not
    UTF-8 (which Python keeps as a surrogate, U+DC80 to U+DCFF) as `\\xff`, any other surrogate as
    `\\ud800`."""
    if not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"


def point(source: SourceFile, line: int, column: int, length: int = 1) -> Span:
    """A span of `length` characters on one line."""
    return Span(source, line, column, line, column + max(1, length))


def undecodable(display: str, data: bytes, error: UnicodeDecodeError) -> tuple[Span, str]:
    """Where UTF-8 decoding of a file failed, and how to name the byte: one answer for every file
    kind (line breaks counted as everywhere else: a lone `\r` is one)."""
    text = _one_line_break(data.decode("utf-8-sig", errors="replace"))
    before = _one_line_break(data[: error.start].decode("utf-8-sig", errors="replace"))
    source = SourceFile(display, text)
    line, column = source.position(len(before))
    return point(source, line, column), f"byte 0x{data[error.start]:02x} cannot be decoded"


def _one_line_break(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")

"""A small pretty-printing engine (after Wadler's "prettier printer"): documents of text, line
breaks and groups, laid out to a width. The formatter builds the documents; this module knows
nothing of policies.

A `Group` is printed on one line when it fits in what is left of the line, else its `Line`s
become line breaks (and its inner groups are tried again on their own). A `Hard` break, a
`Comment` that is not last on its line, or a `Verbatim` block break every group around them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Line:
    """A space (`flat`, default one space) on one line, a line break in a broken group."""

    flat: str = " "


@dataclass(frozen=True, slots=True)
class Hard:
    """A line break, always; `blank` empty lines before the next text."""

    blank: int = 0


@dataclass(slots=True)
class Group:
    parts: list[object]
    broken: bool | None = field(default=None)  # None until measured: contains a forced break


@dataclass(frozen=True, slots=True)
class Nest:
    """Line breaks inside start `by` columns further in than the current indentation."""

    by: int
    parts: list[object]


@dataclass(frozen=True, slots=True)
class Align:
    """Line breaks inside start at the column where this begins."""

    parts: list[object]


@dataclass(frozen=True, slots=True)
class Chain:
    """`a and b and c`: in a broken group each operator starts a line. When the chain begins in
    the middle of a line the operators are right-aligned so that the operands line up under the
    first (`when a` / `   and b`); when it begins a line they start at its column."""

    first: object
    rest: list[tuple[str, object]]


@dataclass(frozen=True, slots=True)
class Comment:
    """An end-of-line comment: written at the end of the line it falls on; what follows it on the
    same line goes to the next line."""

    text: str


@dataclass(frozen=True, slots=True)
class IfBreak:
    broken: object
    flat: object


@dataclass(frozen=True, slots=True)
class Verbatim:
    """Lines copied as they are (a `# fmt: off` region), from the start of a line."""

    text: str


@dataclass(slots=True)
class Pad:
    """Spaces that line a column up with the lines around it: `text` is written in once the run
    of aligned lines is known (`width`: the column's own width, None when it takes no part)."""

    width: int | None
    text: str = ""


@dataclass(slots=True)
class OutputLine:
    indent: int
    code: str
    comments: list[str]
    verbatim: bool = False


def _forces_break(doc: object) -> bool:
    """Does this document contain a break no layout can avoid (measured once per group)?"""
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, str | Line | Pad):
            continue
        if isinstance(item, Hard | Verbatim | Comment):
            return True
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, Group):
            if item.broken is None:
                item.broken = _forces_break(item.parts)
            if item.broken:
                return True
        elif isinstance(item, Nest | Align):
            stack.extend(item.parts)
        elif isinstance(item, Chain):
            stack.append(item.first)
            stack.extend(operand for _, operand in item.rest)
        elif isinstance(item, IfBreak):
            stack.append(item.broken)
            stack.append(item.flat)
    return False


def _flat_width(doc: object, limit: int) -> int:
    """The width of `doc` on one line, stopping once past `limit` (comments are not counted)."""
    total = 0
    stack = [doc]
    while stack and total <= limit:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, Pad):
            total += len(item.text)
        elif isinstance(item, Line):
            total += len(item.flat)
        elif isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, Group | Nest | Align):
            stack.extend(reversed(item.parts))
        elif isinstance(item, Chain):
            for operator, operand in reversed(item.rest):
                stack.append(operand)
                stack.append(f" {operator} ")
            stack.append(item.first)
        elif isinstance(item, IfBreak):
            stack.append(item.flat)
        elif isinstance(item, Hard | Verbatim):
            return limit + 1
    return total


class _Printer:
    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[OutputLine] = [OutputLine(0, "", [])]
        self.pending_break_indent: int | None = None

    @property
    def column(self) -> int:
        line = self.lines[-1]
        return line.indent + len(line.code) if line.code else line.indent

    def newline(self, indent: int, blank: int = 0) -> None:
        self.pending_break_indent = None
        last = self.lines[-1]
        if not (last.code or last.comments or last.verbatim):  # two breaks in a row are one
            self.lines.pop()
        for _ in range(blank):
            self.lines.append(OutputLine(0, "", []))
        self.lines.append(OutputLine(indent, "", []))

    def text(self, text: str, indent: int) -> None:
        if not text:
            return
        if self.pending_break_indent is not None:  # after an end-of-line comment: a new line
            text = text.lstrip(" ")
            if not text:
                return
            self.newline(max(self.pending_break_indent, indent))
        self.lines[-1].code += text

    def comment(self, text: str, indent: int) -> None:
        if self.lines[-1].comments:  # two comments never share a line: they would read as one
            self.newline(self.pending_break_indent or indent)
        line = self.lines[-1]
        line.comments.append(text)
        # what follows the comment continues on the next line, further in (as after a comment line
        # when the comment stands alone on its line)
        self.pending_break_indent = indent + 4 if line.code else indent

    def print(self, doc: object) -> list[OutputLine]:
        # commands: (indent, broken, doc); `rest` is consulted to measure what follows a group
        stack: list[tuple[int, bool, object]] = [(0, True, doc)]
        while stack:
            indent, broken, item = stack.pop()
            if isinstance(item, str):
                self.text(item, indent)
            elif isinstance(item, Pad):
                self.text(item.text, indent)
            elif isinstance(item, list):
                stack.extend((indent, broken, part) for part in reversed(item))
            elif isinstance(item, Line):
                if broken:
                    self.newline(indent)
                else:
                    self.text(item.flat, indent)
            elif isinstance(item, Hard):
                self.newline(indent, item.blank)
            elif isinstance(item, Group):
                if item.broken is None:
                    item.broken = _forces_break(item.parts)
                fits = not item.broken and self._fits(item.parts, stack)
                stack.append((indent, not fits, item.parts))
            elif isinstance(item, Nest):
                stack.append((indent + item.by, broken, item.parts))
            elif isinstance(item, Align):
                stack.append((self.column, broken, item.parts))
            elif isinstance(item, Chain):
                stack.extend(reversed(list(self._chain(item, indent, broken))))
            elif isinstance(item, Comment):
                self.comment(item.text, indent)
            elif isinstance(item, IfBreak):
                stack.append((indent, broken, item.broken if broken else item.flat))
            elif isinstance(item, Verbatim):
                self._verbatim(item.text)
            else:  # pragma: no cover - a document the formatter cannot build
                raise TypeError(f"not a document: {item!r}")
        return self.lines

    def _chain(self, chain: Chain, indent: int, broken: bool) -> Iterator[tuple[int, bool, object]]:
        if not broken:
            yield indent, False, chain.first
            for operator, operand in chain.rest:
                yield indent, False, f" {operator} "
                yield indent, False, operand
            return
        column = self.column
        at_line_start = self.lines[-1].code == ""
        yield column, True, chain.first
        for operator, operand in chain.rest:
            start = column if at_line_start else max(indent, column - len(operator) - 1)
            yield start, True, Hard()
            yield start, True, f"{operator} "
            yield start + len(operator) + 1, True, Align([operand])

    def _verbatim(self, text: str) -> None:
        if self.lines[-1].code or self.lines[-1].comments:
            self.newline(0)
        first, *others = text.split("\n")
        self.lines[-1] = OutputLine(0, first, [], verbatim=True)
        for other in others:
            self.lines.append(OutputLine(0, other, [], verbatim=True))
        self.pending_break_indent = None

    def _fits(self, parts: object, rest: list[tuple[int, bool, object]]) -> bool:
        room = self.width - self.column
        if self.pending_break_indent is not None:
            return False
        used = _flat_width(parts, room)
        if used > room:
            return False
        # what follows on the same line (up to its next break) must fit too; an end-of-line
        # comment after the group counts, two spaces included
        for _, broken, item in reversed(rest):
            following, ended = _width_to_break(item, broken, room - used)
            used += following
            if used > room:
                return False
            if ended:
                return True
        return True


def _width_to_break(doc: object, broken: bool, limit: int) -> tuple[int, bool]:
    """The width `doc` adds before its first line break, and whether the line ends in it."""
    total = 0
    stack: list[tuple[bool, object]] = [(broken, doc)]
    while stack:
        mode, item = stack.pop()
        if isinstance(item, str | Pad):
            total += len(item) if isinstance(item, str) else len(item.text)
            if total > limit:
                return total, True
        elif isinstance(item, Line):
            if mode:
                return total, True
            total += len(item.flat)
        elif isinstance(item, Hard | Verbatim):
            return total, True
        elif isinstance(item, Comment):
            return total + 2 + len(item.text), True
        elif isinstance(item, list):
            stack.extend((mode, part) for part in reversed(item))
        elif isinstance(item, Group):
            stack.append((bool(item.broken), item.parts))
        elif isinstance(item, Nest | Align):
            stack.append((mode, item.parts))
        elif isinstance(item, Chain):
            stack.append((mode, [item.first, *[[f" {op} ", operand] for op, operand in item.rest]]))
        elif isinstance(item, IfBreak):
            stack.append((mode, item.broken if mode else item.flat))
    return total, False


def render(doc: object, width: int) -> str:
    """Lay `doc` out to `width` columns: trailing spaces trimmed, end-of-line comments two spaces
    after the code and aligned across consecutive lines that carry one, one final newline."""
    lines = _Printer(width).print(doc)
    return _join(lines)


def _join(lines: list[OutputLine]) -> str:
    for line in lines:
        if not line.verbatim:
            line.code = line.code.rstrip(" ")
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.verbatim or not line.comments or not line.code:
            out.append(_plain(line))
            index += 1
            continue
        run_end = index
        while (
            run_end < len(lines)
            and lines[run_end].comments
            and lines[run_end].code
            and not lines[run_end].verbatim
        ):
            run_end += 1
        column = max(line.indent + len(line.code) for line in lines[index:run_end]) + 2
        for line in lines[index:run_end]:
            code = " " * line.indent + line.code
            out.append(code.ljust(column) + " ".join(line.comments))
        index = run_end
    text = "\n".join(out).rstrip("\n")
    return text + "\n" if text else ""


def _plain(line: OutputLine) -> str:
    if line.verbatim:
        return line.code
    if not line.code:
        return (" " * line.indent + " ".join(line.comments)) if line.comments else ""
    code = " " * line.indent + line.code
    return f"{code}  {' '.join(line.comments)}" if line.comments else code

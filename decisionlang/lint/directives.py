"""Inline ignores: `# lint: ignore CODE[, CODE...] reason`, read from the comments of a policy file.

The grammar drops comments, so they are read from the source text: a `#` outside a string starts
one (strings are one line, `"..."` with backslash escapes). A directive after code on a line
applies to that line; a directive alone on its line applies to the next line that holds code.
A finding is suppressed when it starts on a line a directive applies to and the directive names
its rule (by code or name). The reason is required.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from decisionlang.core.spans import SourceFile, Span, point

_DIRECTIVE = re.compile(r"#\s*lint\s*:\s*(?P<verb>[\w-]*)(?P<rest>.*)$")
_CODES = re.compile(r"\s*(?P<codes>[\w-]+(?:\s*,\s*[\w-]+)*)(?P<reason>.*)$")
_REASON_LEAD = " \t-—–:;,"


@dataclass
class Directive:
    """One `# lint: ignore` comment: the rules it names (as written), where, and why."""

    span: Span
    keys: tuple[tuple[str, Span], ...]  # each rule as written, and where
    reason: str
    target_line: int  # the line whose findings it suppresses
    verb: str = "ignore"
    used: set[str] = field(default_factory=set)  # the rule codes it suppressed


def comment_start(line: str) -> int | None:
    """The index of the `#` that starts the line's comment, or None (a `#` in a string is text)."""
    in_string = False
    index = 0
    while index < len(line):
        char = line[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "#":
            return index
        index += 1
    return None


def comments(source: SourceFile) -> Iterator[tuple[int, int, str, bool]]:
    """(line, column, comment text, whether code stands before it on the line), 1-based."""
    for number, line in enumerate(source.text.split("\n"), 1):
        start = comment_start(line)
        if start is not None:
            yield number, start + 1, line[start:].rstrip("\r"), bool(line[:start].strip())


def directives(source: SourceFile) -> list[Directive]:
    """The `# lint:` directives of one file, in order."""
    lines = source.text.split("\n")
    found = []
    for number, column, text, after_code in comments(source):
        match = _DIRECTIVE.match(text)
        if match is None:
            continue
        span = point(source, number, column, len(text))
        rest = match.group("rest")
        keys: list[tuple[str, Span]] = []
        reason = rest
        codes = _CODES.match(rest)
        if codes is not None:
            offset = column - 1 + match.start("rest") + codes.start("codes")
            for key in re.finditer(r"[\w-]+", codes.group("codes")):
                keys.append((key.group(), point(source, number, offset + key.start() + 1, len(key.group()))))
            reason = codes.group("reason")
        target = number if after_code else _next_code_line(lines, number)
        found.append(
            Directive(span, tuple(keys), reason.strip(_REASON_LEAD).strip(), target, match.group("verb"))
        )
    return found


def _next_code_line(lines: list[str], number: int) -> int:
    """The first line after `number` (1-based) holding something other than a comment or blanks."""
    for index in range(number, len(lines)):
        line = lines[index]
        start = comment_start(line)
        if (line[:start] if start is not None else line).strip():
            return index + 1
    return number + 1

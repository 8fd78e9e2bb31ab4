"""`matches` patterns: RE2 regular expressions, compiled by google-re2.

RE2 matches in time linear in the text for every pattern: it never backtracks, so no pattern and no
state value can make a check run for hours, where Python's `re` takes minutes for `(a|a)*$` on 40
characters (and heuristics that refuse such patterns always miss one). The price is RE2's syntax:
no backreferences and no lookaround, which cannot be matched in linear time.

Python's `\\w`, `\\d` and `\\s` are Unicode classes (`\\w` matches `é`), RE2's are ASCII: they are
rewritten to the Unicode classes they mean in Python before compiling, so `^\\w+$` still matches
`criticité`.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import re2

PATTERN_MEMORY = 8 << 20  # bytes RE2 may use for one compiled pattern (its `max_mem`)


@dataclass(frozen=True)
class BadPattern:
    """Why a pattern is refused, and what to write instead."""

    message: str
    help: str


Pattern = Any  # re2's compiled pattern (google-re2 ships no type information)

_WORD = r"\p{L}\p{N}_"
_SPACE = r"\t\n\v\f\r \x{1c}-\x{1f}\x{85}\p{Z}"
_OUTSIDE = {"w": f"[{_WORD}]", "W": f"[^{_WORD}]", "d": r"\p{Nd}", "D": r"\P{Nd}", "s": f"[{_SPACE}]"}
_OUTSIDE["S"] = f"[^{_SPACE}]"
_INSIDE = {"w": _WORD, "d": r"\p{Nd}", "D": r"\P{Nd}", "s": _SPACE}


def _unicode_classes(pattern: str) -> str | BadPattern:
    """The pattern with `\\w \\W \\d \\D \\s \\S` as Python means them (Unicode), in RE2's syntax."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            letter = pattern[index + 1]
            table = _INSIDE if in_class else _OUTSIDE
            if letter in table:
                out.append(table[letter])
            elif in_class and letter in "WS":
                return BadPattern(
                    f"`\\{letter}` inside `[...]` is not supported",
                    f"use `\\{letter}` outside brackets, or write the class out (`[^{_WORD}]` is `\\W`)",
                )
            else:
                out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class and pattern.startswith("[:", index):  # a POSIX class, `[[:alpha:]]`
            end = pattern.find(":]", index + 2)
            if end >= 0:
                out.append(pattern[index : end + 2])
                index = end + 2
                continue
        if not in_class and char == "[":
            in_class = True
            out.append(char)
            index += 1
            for opening in ("^", "]"):  # `[]a]` and `[^]a]`: a `]` first is a literal
                if pattern.startswith(opening, index):
                    out.append(opening)
                    index += 1
            continue
        if in_class and char == "]":
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)


_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"invalid escape sequence: \\[1-9]"),
        "RE2 has no backreferences (they cannot be matched in linear time); spell the cases out with `|`",
    ),
    (
        re.compile(r"invalid perl operator: \(\?<?[=!]"),
        "RE2 has no lookahead or lookbehind; test the text twice instead: "
        '`name matches "^pay" and not (name matches "-tmp$")`',
    ),
    (re.compile(r"invalid perl operator: \(\?>"), "atomic groups are not needed: RE2 never backtracks"),
    (
        re.compile(r"bad repetition operator: [*+?}]\+"),
        "possessive repetitions are not needed: RE2 never backtracks; write `a+` for `a++`",
    ),
    (re.compile(r"invalid escape sequence: \\Z"), "write `\\z` (or `$`) for the end of the text"),
    (
        re.compile(r"pattern too large"),
        "the pattern compiles to too large a program: use fewer or smaller counted repetitions (`{n}`)",
    ),
)


def _refusal(error: Exception) -> BadPattern:
    raw = error.args[0] if error.args else ""
    message = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    message = message.replace(" - compile failed", "")
    for test, help in _HINTS:
        if test.search(message):
            return BadPattern(f"invalid regular expression: {message}", help)
    return BadPattern(
        f"invalid regular expression: {message}",
        "`matches` takes an RE2 regular expression (docs/language.md lists what differs from Python's)",
    )


def _options() -> Any:
    options = re2.Options()
    options.max_mem = PATTERN_MEMORY
    options.log_errors = False  # RE2 would print its own message on standard error
    return options


@functools.lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Pattern | BadPattern:
    """The compiled pattern, or why it is refused. Compiled once per distinct pattern."""
    try:
        re2.compile(pattern, _options())  # errors quote the pattern as written, not as rewritten
    except re2.error as error:
        return _refusal(error)
    rewritten = _unicode_classes(pattern)
    if isinstance(rewritten, BadPattern):
        return rewritten
    try:
        return re2.compile(rewritten, _options())
    except re2.error as error:
        return _refusal(error)


def search(pattern: Pattern, text: str) -> bool | None:
    """Whether the pattern occurs in the text; None for a text that is not valid Unicode (a lone
    surrogate has no UTF-8 form, and RE2 reads UTF-8)."""
    try:
        return pattern.search(text) is not None
    except UnicodeEncodeError:
        return None

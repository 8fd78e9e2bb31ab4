"""Positions between the project's spans and a language client's.

A span counts 1-based lines and 1-based columns of code points; LSP counts 0-based lines and
0-based characters in the units of the negotiated position encoding (UTF-16 code units unless
the client offers UTF-8 or UTF-32). An astral character (an emoji) is one code point but two
UTF-16 units and four UTF-8 bytes.
"""

from __future__ import annotations

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"


def _units(character: str, encoding: str) -> int:
    if encoding == UTF32:
        return 1
    if encoding == UTF8:
        return len(character.encode("utf-8", "surrogatepass"))
    return 2 if ord(character) > 0xFFFF else 1


def to_client(line_text: str, column: int, encoding: str = UTF16) -> int:
    """The client's 0-based character of the 1-based code point COLUMN of a line (past the end of
    the line: its end, plus what lies beyond, as LSP allows a position at the line's end)."""
    index = max(0, column - 1)
    before = line_text[:index]
    beyond = max(0, index - len(line_text))
    if encoding == UTF32:
        return len(before) + beyond
    return sum(_units(character, encoding) for character in before) + beyond


def from_client(line_text: str, character: int, encoding: str = UTF16) -> int:
    """The 0-based code point index of the client's 0-based CHARACTER on a line; a position inside
    a character (between the two halves of a surrogate pair) is that character's."""
    if encoding == UTF32:
        return min(max(0, character), len(line_text))
    counted = 0
    for index, char in enumerate(line_text):
        if counted >= character:
            return index
        counted += _units(char, encoding)
        if counted > character:
            return index
    return len(line_text)


def split_lines(text: str) -> list[str]:
    """The lines of a text as LSP counts them (`\\n`, `\\r\\n` and `\\r` end a line)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")

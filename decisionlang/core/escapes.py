"""Data on its own line: how text from policies, states and waivers reaches a terminal or a CI log.

Plain-text outputs (check, explain, validate, test, history, the --base diff, diagnostics on
stderr) print names, messages and values that anyone opening a pull request can write. A line
break in such a text would start a line of the data's choosing, and a CI runner reads some lines
as commands (GitHub's `::error`, `::add-mask`, `::stop-commands`; its older `##[command]` form is
recognised anywhere in a line). So every line of data is made visible and inert:

- C0 control characters (line feed, carriage return, ESC, ...) become their Unicode pictures
  (`␊`, `␍`, `␛`), DEL becomes `␡`; the tab stays a tab;
- C1 controls (NEL U+0085, CSI U+009B, ...), the line and paragraph separators U+2028 / U+2029 and
  the bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
  U+061C) are spelled out: `\\u2028`, `\\u202e`;
- a line whose first non-blank characters are `::`, and every `##[`, get a zero-width space
  (U+200B) between the two characters: the text reads the same, the runner no longer sees a
  command.

`visible` does the first two for one piece of text; `safe_line` does all three for one output
line (keeping the colour codes the renderers themselves add, when colour is on); `safe_text`
joins lines so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

ZERO_WIDTH_SPACE = "\u200b"
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
LINE_SEPARATORS = "\u2028\u2029"

_TABLE: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20) if code != 0x09}
_TABLE[0x7F] = "\u2421"
_TABLE.update({code: f"\\u{code:04x}" for code in range(0x80, 0xA0)})
_TABLE.update({ord(ch): f"\\u{ord(ch):04x}" for ch in BIDI_CONTROLS + LINE_SEPARATORS})

_UNSAFE = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_TABLE)) + "]")
_COLOR_CODE = re.compile(r"\x1b\[[0-9;]*m")  # what render.text.paint writes, and nothing else
_LEGACY_COMMAND = "##["


def visible(text: str) -> str:
    """`text` with every control character, line separator and bidi control made visible."""
    return text.translate(_TABLE) if _UNSAFE.search(text) else text


def safe_line(line: str, *, color: bool = False) -> str:
    """One output line: its data visible (colour codes kept when `color`), no workflow command."""
    if color and "\x1b" in line:
        pieces = _COLOR_CODE.split(line)
        codes = _COLOR_CODE.findall(line)
        kept = (code + visible(piece) for code, piece in zip(codes, pieces[1:], strict=True))
        line = visible(pieces[0]) + "".join(kept)
    elif not line.isprintable():  # the common case, a printable line, costs one C-level scan
        line = visible(line)
    if _LEGACY_COMMAND in line:
        line = line.replace(_LEGACY_COMMAND, "#" + ZERO_WIDTH_SPACE + "#[")
    if "::" not in line:
        return line
    shown = _COLOR_CODE.sub("", line) if color else line  # as a log that drops colour codes reads it
    if shown.lstrip().startswith("::"):
        first = line.index(":")  # colour codes hold no `:`, so this is the command's first one
        line = line[: first + 1] + ZERO_WIDTH_SPACE + line[first + 1 :]
    return line


# JSON and XML carry data exactly; on a CI log they must not carry `##[` raw either. Both formats
# spell a character another way that every reader decodes back to it, so this costs nothing.
_JSON_TABLE: dict[int, str] = {code: f"\\u{code:04x}" for code in [0x7F, *range(0x80, 0xA0)]}
_JSON_TABLE.update({ord(ch): f"\\u{ord(ch):04x}" for ch in BIDI_CONTROLS + LINE_SEPARATORS})
_JSON_UNSAFE = re.compile("[" + "".join(re.escape(chr(code)) for code in sorted(_JSON_TABLE)) + "]")


def inert_json(text: str) -> str:
    """JSON text (`##[` only occurs inside its strings) with `##[` written `#\\u0023[`, and DEL, C1,
    U+2028/U+2029 and bidi controls as `\\u` escapes: the same data, no command, no reordering."""
    if _LEGACY_COMMAND in text:
        text = text.replace(_LEGACY_COMMAND, "#\\u0023[")
    return text.translate(_JSON_TABLE) if _JSON_UNSAFE.search(text) else text


def inert_xml(text: str) -> str:
    """XML text (no CDATA) with `##[` written `#&#35;[`: the same data, no workflow command."""
    return text.replace(_LEGACY_COMMAND, "#&#35;[") if _LEGACY_COMMAND in text else text


def safe_text(lines: Iterable[str], *, color: bool = False) -> str:
    """Lines of an output, each made safe, joined with `\\n` and ended by one."""
    return "".join(safe_line(line, color=color) + "\n" for line in lines)

"""How values are written: one spelling for people (messages, traces, reports), one for JSON.

The engine interpolates values into `because` texts at evaluation time and every renderer shows
traced values, so both import these two functions and nothing else formats a value.

For people (`show`):
- numbers: at most 4 significant digits, but the integer part is never rounded away (1234567.8
  reads `1234568`); no thousands separator (the policies write `15000`, so do we); trailing zeros
  dropped; `-0` reads `0`; below 0.0001 or from 10¹⁵ on, `1.5 × 10⁻⁷`; infinities `∞` / `-∞`,
  NaN `not a number`;
- the value of `verdict(p)` as verdicts read: `GO`, `NOT YET`, `NO-GO` (JSON keeps `not_yet`);
- true / false; dates ISO (`2026-03-31`); durations in days (`1 day`, `30 days`, `1.5 days`);
  scale values and texts as written; lists `a, b` (`none` when empty); mappings `{k: v}`;
- margins with their unit and the way they point (`show_margin`): `blocks by 63 days`, `passes by 0.05`;
- missing information: the word the caller gives (`unknown` by default); an evaluation problem
  `error`; a state number beyond range `out of range`; a subject its name.

For JSON (`json_value`): numbers keep 9 significant digits (`JSON_DIGITS`), an integral float within
2⁵³ becomes an int, `-0` becomes 0, NaN and infinities become null; dates ISO, durations `N days`,
enums their value, sets sorted, missing and out-of-range numbers null.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import math
from collections.abc import Mapping
from typing import Any

from decisionlang.core.dates import duration_words
from decisionlang.core.model import Direction, VerdictValue
from decisionlang.core.subjects import Duration, Subject
from decisionlang.core.undetermined import Missing, OutOfRange, Problem

PEOPLE_DIGITS = 4  # significant digits a person reads
JSON_DIGITS = 9  # significant digits kept in JSON: a number read back is within 5e-9 of it, relatively
SMALLEST_PLAIN = 1e-4  # smaller magnitudes are written `1.5 × 10⁻⁷`
LARGEST_PLAIN = 1e15  # so are these and larger ones
EXACT_INTEGERS = 2**53  # integral floats below this are written as ints in JSON

_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


# ---------------------------------------------------------------- for people


def show_number(number: float | int | decimal.Decimal) -> str:
    """A number as a person reads it: `61.15`, `0.05`, `1234568`, `1 × 10⁻⁷`, `∞`."""
    if isinstance(number, bool):
        return "true" if number else "false"
    if isinstance(number, int):
        if abs(number) < LARGEST_PLAIN:
            return str(number)
        if number.bit_length() > 1024:  # beyond float range: never computed with (S41), but shown
            return f"a number of about {int(number.bit_length() * math.log10(2)) + 1} digits"
        number = float(number)
    value = float(number)
    if math.isnan(value):
        return "not a number"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude < SMALLEST_PLAIN or magnitude >= LARGEST_PLAIN:
        return _scientific(value)
    exponent = math.floor(math.log10(magnitude))
    decimals = max(0, PEOPLE_DIGITS - 1 - exponent)
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text


def _scientific(value: float) -> str:
    mantissa, _, exponent = f"{value:.{PEOPLE_DIGITS - 1}e}".partition("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPTS)}"


def show(value: Any, *, missing: str = "unknown") -> str:
    """Any value (runtime or traced) as a person reads it; `missing` stands for absent information."""
    if value is None:
        return missing
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | decimal.Decimal):
        return show_number(value)
    if isinstance(value, VerdictValue):  # `verdict(p)`: `NOT YET`, as every verdict reads
        return value.verdict.label
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return show_days(value.days)
    if isinstance(value, Subject):
        return value.name
    if isinstance(value, enum.Enum):
        return show(value.value, missing=missing)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {show(item, missing=missing)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple | set | frozenset):
        items = [show(item, missing=missing) for item in value]
        if isinstance(value, set | frozenset):
            items.sort()
        return ", ".join(items) if items else "none"
    if isinstance(value, Missing):
        return missing
    if isinstance(value, Problem):
        return "error"
    if isinstance(value, OutOfRange):
        return "out of range"
    return str(value)


def show_days(days: float) -> str:
    """`1 day`, `30 days`, `1.5 days`; `4 hours`, `30 minutes` below a day, `17 days 23 hours`."""
    shorter = duration_words(days)
    if shorter is not None:
        return shorter
    return f"{show_number(days)} {'day' if days == 1 else 'days'}"


def show_quantity(number: float, unit: str | None) -> str:
    """A number with its unit: `63 days`, `5 %`, `1200 €`, `0.05` (no unit)."""
    if unit is None:
        return show_number(number)
    if unit == "days":
        return show_days(number)
    return f"{show_number(number)} {unit}"


def show_margin(margin: float, unit: str | None, direction: Direction | None) -> str:
    """A margin as every output words it: `blocks by 63 days`, `passes by 0.05`, `passes at the
    threshold`; `margin +3` (signed, positive where the check holds) when no direction is known."""
    amount = show_quantity(abs(margin), unit)
    if direction is not None:
        verb = "passes" if direction is Direction.FOR_GO else "blocks"
        return f"{verb} at the threshold" if show_number(margin) == "0" else f"{verb} by {amount}"
    if show_number(margin) == "0":
        return "margin 0"
    return f"margin {'+' if margin > 0 else '-'}{amount}"


# ---------------------------------------------------------------- for JSON


def json_number(number: float | int | decimal.Decimal | None) -> float | int | None:
    """A number as JSON keeps it: 9 significant digits; None for None, NaN and infinities."""
    if number is None:
        return None
    if isinstance(number, bool):
        return number
    if isinstance(number, int):
        return number
    value = float(number)
    if not math.isfinite(value):
        return None
    if value.is_integer() and abs(value) < EXACT_INTEGERS:
        return int(value)
    rounded = float(f"{value:.{JSON_DIGITS}g}") + 0.0  # `+ 0.0` turns -0.0 into 0.0
    return int(rounded) if rounded.is_integer() and abs(rounded) < EXACT_INTEGERS else rounded


def json_value(value: Any) -> Any:
    """Any runtime or traced value as JSON data (see the module's rules)."""
    kind = type(value)
    if kind is str or kind is bool or kind is int or value is None:  # most values, in one test
        return value
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float | decimal.Decimal):
        return json_number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, Subject):
        return value.name
    if isinstance(value, enum.Enum):
        return json_value(value.value)
    if isinstance(value, Mapping):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [json_value(item) for item in value]
        if isinstance(value, set | frozenset):
            items.sort(key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
        return items
    if isinstance(value, Missing | Problem | OutOfRange):
        return None
    return str(value)

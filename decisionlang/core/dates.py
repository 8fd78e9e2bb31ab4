"""The one rule of each kind of time value, for every input and every policy.

- **Dates**: states, waivers, policy tests and `--as-of` write a day as YYYY-MM-DD, nothing else
  (not `20261218`, not the week date `2027-W09-7`, not a time).
- **Date-times** (a `datetime` field): an ISO 8601 date and time *with* its time zone, `Z` or an
  offset (`2026-05-01T10:00:00+02:00`); without one the instant is not known.
- **Durations**: a number and a unit, in policies (`4 hours`) and states (`"90 days"`), or an ISO
  8601 duration in states (`P1W`, `PT1H`, `P1DT12H`). A duration is counted in days: a week is 7,
  a month 30 and a year 365 days, an hour 1/24 of a day. Each is the float nearest to the exact
  number of days, so `60 minutes` and `1 hour` (or `PT1H`) are the same duration.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from fractions import Fraction

__all__ = [
    "DATETIME_HELP",
    "DATE_HELP",
    "DURATION_HELP",
    "DURATION_UNITS",
    "UNIT_NAMES",
    "days_of",
    "parse_date",
    "parse_datetime",
    "parse_duration",
    "percent",
]

DATE_HELP = "write a real calendar date as YYYY-MM-DD, e.g. 2027-03-31"
DATETIME_HELP = (
    "write a date and time with its time zone, e.g. 2026-05-01T10:00:00+02:00 or 2026-05-01T08:00:00Z"
)

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: object) -> dt.date | None:
    """The day `value` writes: a date (as YAML reads `2027-03-31`), or text in YYYY-MM-DD form
    naming a day that exists; None for anything else (a date and time, a number, `2027-02-30`)."""
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value.strip()):
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?\s*(?:[Zz]|[+-]\d{2}:?\d{2})"
)


def parse_datetime(value: object) -> dt.datetime | None:
    """The instant `value` writes: an aware date-time (as YAML reads
    `2026-05-01T10:00:00+02:00`), or such text; None without a time zone, or for anything else."""
    if isinstance(value, dt.datetime):
        return value if value.utcoffset() is not None else None
    if not isinstance(value, str) or not _ISO_DATETIME.fullmatch(text := value.strip()):
        return None
    try:
        parsed = dt.datetime.fromisoformat(text.replace(" ", "T", 1).replace("z", "Z"))
    except ValueError:
        return None
    return parsed if parsed.utcoffset() is not None else None


# Days in each unit, exactly.
DURATION_UNITS: dict[str, Fraction] = {
    "second": Fraction(1, 86_400),
    "minute": Fraction(1, 1_440),
    "hour": Fraction(1, 24),
    "day": Fraction(1),
    "week": Fraction(7),
    "month": Fraction(30),
    "year": Fraction(365),
}
UNIT_NAMES = "seconds, minutes, hours, days, weeks, months, years"
DURATION_HELP = (
    f"a duration is a number and a unit ({UNIT_NAMES}), e.g. `4 hours`; in a state also an "
    "ISO 8601 duration such as P1W, PT4H or P1DT12H"
)


def days_of(amount: str | int | float | Fraction, unit: str) -> float:
    """`amount` units, in days: the float nearest to the exact value (may be `inf`)."""
    exact = (
        Fraction(decimal.Decimal(amount.replace("_", ""))) if isinstance(amount, str) else Fraction(amount)
    )
    value = exact * DURATION_UNITS[unit.lower().removesuffix("s")]
    try:
        return float(value)
    except OverflowError:
        return float("inf")


_NUMBER = r"\d+(?:\.\d+)?"
_TEXT = re.compile(rf"\s*({_NUMBER})\s*(second|minute|hour|day|week|month|year)s?\s*", re.IGNORECASE)
_ISO = re.compile(
    rf"P(?!$)(?:({_NUMBER})Y)?(?:({_NUMBER})M)?(?:({_NUMBER})W)?(?:({_NUMBER})D)?"
    rf"(?:T(?=\d)(?:({_NUMBER})H)?(?:({_NUMBER})M)?(?:({_NUMBER})S)?)?"
)
_ISO_UNITS = ("year", "month", "week", "day", "hour", "minute", "second")


def parse_duration(text: str) -> float | None:
    """The days of a duration written as text: `90 days`, `4 hours`, `1.5 weeks`, or ISO 8601
    (`P1W`, `PT1H`, `P1DT12H`, `P1Y2M`); None for anything else. May be `inf` (too large)."""
    match = _TEXT.fullmatch(text)
    if match is not None:
        return days_of(match.group(1), match.group(2))
    iso = _ISO.fullmatch(text.strip())
    if iso is None:
        return None
    exact = sum(
        (
            Fraction(decimal.Decimal(part)) * DURATION_UNITS[unit]
            for part, unit in zip(iso.groups(), _ISO_UNITS, strict=True)
            if part
        ),
        Fraction(0),
    )
    try:
        return float(exact)
    except OverflowError:
        return float("inf")


_PERCENT = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*%\s*")
_EXACT = decimal.Context(prec=1000, Emax=999_999, Emin=-999_999)


def percent(digits: str) -> float:
    """`99.9` of `99.9%` as the number 0.999 itself: divided in decimal, then read as a float, so
    that `99.9%` and `0.999` are the same number (dividing the float 99.9 by 100 is not); `inf`
    beyond range."""
    value = decimal.Decimal(digits.replace("_", "")).scaleb(-2, _EXACT)
    try:
        return float(value)
    except OverflowError:
        return float("inf")


def percent_text(text: str) -> float | None:
    """The number a percentage written in a state means (`99.9%` is 0.999), or None."""
    match = _PERCENT.fullmatch(text)
    return None if match is None else percent(match.group(1))


def within_a_day(days: float) -> str | None:
    """A duration shorter than a day in the largest unit that counts it whole: `4 hours`,
    `90 minutes`, `30 seconds` (None for a day or more, or for nothing: those count in days)."""
    if days == 0 or abs(days) >= 1:
        return None
    exact = abs(days) * 86_400
    # a shown margin is rounded (1 hour is 0.0416667 days): a hundredth of a second off is the second
    seconds: float = round(exact) if abs(exact - round(exact)) < 0.01 else round(exact, 3)
    if seconds == 0:
        return None  # below a millisecond: counted in days, as a number
    sign = "-" if days < 0 else ""
    for unit, size in (("hour", 3_600), ("minute", 60)):
        if seconds % size == 0:
            count = int(seconds // size)
            return f"{sign}{count} {unit}{'' if count == 1 else 's'}"
    shown = int(seconds) if float(seconds).is_integer() else seconds
    return f"{sign}{shown} second{'' if shown == 1 else 's'}"


def duration_words(days: float) -> str | None:
    """A duration in words when days alone would read badly: under a day (`4 hours`), or days and
    a part of a day that is no short decimal (`17 days 23 hours`, not 17.958333333333332 days).
    None when days read well (`30 days`, `1.5 days`)."""
    shorter = within_a_day(days)
    if shorter is not None or abs(days) < 1 or abs(round(days, 3) - days) < 1e-9:
        return shorter
    seconds = (abs(days) - int(abs(days))) * 86_400
    if abs(seconds - round(seconds)) >= 0.01:
        return None  # no whole number of seconds: a number of days reads best
    count, rest = int(abs(days)), round(seconds)
    if rest == 0 or rest >= 86_400:
        return None
    parts = [(rest // 3_600, "hour"), (rest % 3_600 // 60, "minute"), (rest % 60, "second")]
    clock = " ".join(f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n)
    return f"{'-' if days < 0 else ''}{count} day{'' if count == 1 else 's'} {clock}"

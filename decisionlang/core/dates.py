"""The one date rule of every input: states, waivers, policy tests and `--as-of` write a day as
YYYY-MM-DD, nothing else (not `20261218`, not the week date `2027-W09-7`, not a time)."""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["DATE_HELP", "parse_date"]

DATE_HELP = "write a real calendar date as YYYY-MM-DD, e.g. 2027-03-31"

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

"""`decisionlang due`: the recorded decisions due for review, for a board's agenda or a cron job."""

from __future__ import annotations

import datetime as dt
import math
import re
import sys
from typing import Any

import click

from decisionlang.cli.common import (
    EXIT_OK,
    AsOf,
    fail,
    guarded,
    log_option,
)
from decisionlang.core.dates import parse_duration
from decisionlang.core.diagnostics import DecisionlangError

EXIT_DUE = 1  # something is due: a cron job notices
UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


class Within(click.ParamType):  # type: ignore[type-arg]
    """`30d`, `2w`, `3m`, `1y`, a number of days, or a duration as a state writes one (`30 days`,
    `P2W`), from 0 to 36,500 days."""

    name = "DURATION"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        match = re.fullmatch(r"\s*(\d{1,5})\s*([dwmy]?)\s*", str(value))
        days: float | None = int(match.group(1)) * UNIT_DAYS[match.group(2) or "d"] if match else None
        if days is None:
            days = parse_duration(str(value)[:40])
        if days is None or not 0 <= days <= 36_500:
            self.fail(
                f"`{str(value)[:40]}` is not a duration: give days (`30`, `30d`), weeks (`2w`), months "
                "(`3m`, 30 days each) or years (`1y`), up to 100 years",
                param,
                ctx,
            )
        return math.ceil(days)


@click.command()
@click.option(
    "--within",
    type=Within(),
    default=0,
    show_default="0: due today or before",
    help="Also list the decisions due within this long: 30d, 2w, 3m (30 days each), 1y.",
)
@click.option("--as-of", "as_of", type=AsOf(), help="The day to count from (default: today, UTC).")
@log_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people; json for machines; github: a workflow `::notice` per decision due.",
)
@guarded
def due(within: int, as_of: dt.date | None, log: str | None, output_format: str) -> None:
    """List the recorded decisions due for review (a policy's `review after`, or `annotate
    --review-by`), the earliest first. Exit codes: 0 none is due, 1 some are, 2 the log cannot be
    read."""
    from decisionlang.governance.decisionlog import log_path, read_due
    from decisionlang.render.history import render_due_github, render_due_json, render_due_text

    today = as_of or dt.datetime.now(dt.UTC).date()
    try:
        found = read_due(log_path(log), on=today, within_days=within)
    except DecisionlangError as error:
        fail(error.diagnostics, outcome="nothing was listed")
    render = {"json": render_due_json, "github": render_due_github}.get(output_format, render_due_text)
    click.echo(render(found, today, within), nl=False)
    sys.exit(EXIT_DUE if found else EXIT_OK)

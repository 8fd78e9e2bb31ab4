"""`decisionlang history`: how verdicts moved between recorded decisions."""

from __future__ import annotations

import datetime as dt
import sys

import click

from decisionlang.cli.common import (
    EXIT_OK,
    AsOf,
    fail,
    guarded,
    log_option,
)
from decisionlang.cli.completion import complete_subjects
from decisionlang.core.diagnostics import DecisionlangError


@click.command()
@click.argument("subject", required=False, shell_complete=complete_subjects)
@click.option("--since", type=AsOf(), help="Only what was recorded on or after this date (YYYY-MM-DD, UTC).")
@log_option
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@guarded
def history(subject: str | None, since: dt.date | None, log: str | None, output_format: str) -> None:
    """How SUBJECT's verdict moved between recorded decisions, when and why (the facts and rules that
    changed). Without SUBJECT: the portfolio's verdict moves."""
    from decisionlang.governance.decisionlog import log_path, read_history
    from decisionlang.render.history import render_history_json, render_history_text

    start = dt.datetime.combine(since, dt.time(), dt.UTC) if since is not None else None
    try:
        result = read_history(log_path(log), subject=subject, since=start)
    except DecisionlangError as error:
        fail(error.diagnostics, outcome="no history was read")
    render = render_history_json if output_format == "json" else render_history_text
    click.echo(render(result), nl=False)
    sys.exit(EXIT_OK)

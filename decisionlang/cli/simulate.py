"""`decisionlang simulate`: what candidate policies would have decided on every recorded decision."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from decisionlang.cli.common import (
    EXIT_OK,
    AsOf,
    directory_argument,
    fail,
    guarded,
    log_option,
    text_markdown_json_option,
)
from decisionlang.core.diagnostics import DecisionlangError


@click.command()
@directory_argument
@click.option(
    "--policies",
    "candidate",
    required=True,
    metavar="REV|DIR",
    help="The candidate policies: a decision repo directory (its policy files), or a git revision.",
)
@click.option("--since", type=AsOf(), help="Only the decisions recorded on or after this date (UTC).")
@log_option
@text_markdown_json_option("a pull-request comment", "decisionlang/simulation/v1")
@guarded
def simulate(
    directory: Path, candidate: str, since: dt.date | None, log: str | None, output_format: str
) -> None:
    """Replay every recorded decision (its states at its revision, its --as-of) under the candidate
    policies, and list the verdicts that would have moved, with the rules and facts why."""
    from decisionlang.governance.decisionlog import log_path, read_simulation
    from decisionlang.render.history import (
        render_simulation_json,
        render_simulation_markdown,
        render_simulation_text,
    )

    start = dt.datetime.combine(since, dt.time(), dt.UTC) if since is not None else None
    try:
        simulation = read_simulation(log_path(log), directory, candidate, since=start)
    except DecisionlangError as error:
        fail(error.diagnostics, outcome="nothing was replayed")
    render = {"markdown": render_simulation_markdown, "json": render_simulation_json}.get(
        output_format, render_simulation_text
    )
    click.echo(render(simulation), nl=False)
    sys.exit(EXIT_OK)

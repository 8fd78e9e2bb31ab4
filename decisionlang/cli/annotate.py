"""`decisionlang annotate`: a note appended to a recorded decision."""

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
from decisionlang.core.diagnostics import DecisionlangError


@click.command()
@click.argument("decision_id")
@click.option("--note", required=True, help="What was concluded, and why.")
@click.option(
    "--status",
    default="revisited",
    show_default=True,
    type=click.Choice(["superseded", "revisited", "confirmed"]),
    help="What a later look at the decision found (a note alone records that it was revisited).",
)
@click.option("--by", "author", metavar="NAME", help="Who annotates (kept with the note).")
@click.option(
    "--review-by",
    type=AsOf(),
    metavar="DATE",
    help="Schedule the decision's next review on DATE (YYYY-MM-DD): `decisionlang due` lists it from then.",
)
@log_option
@guarded
def annotate(
    decision_id: str, note: str, status: str, author: str | None, review_by: dt.date | None, log: str | None
) -> None:
    """Append a note to the recorded decision DECISION_ID; the decision itself is never rewritten."""
    from decisionlang.governance.decisionlog import AnnotationStatus, annotate_decision, log_path

    try:
        logged = annotate_decision(
            log_path(log), decision_id, AnnotationStatus(status), note, author=author, review_by=review_by
        )
    except DecisionlangError as error:
        fail(error.diagnostics, outcome="nothing was annotated")
    review = f", review by {review_by.isoformat()}" if review_by is not None else ""
    click.echo(f"annotated decision {decision_id}: {status}{review} (annotation {logged.number})")
    sys.exit(EXIT_OK)

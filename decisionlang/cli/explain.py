"""`decisionlang explain`: the full trace of one subject."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from decisionlang.cli.common import (
    EXIT_OK,
    as_of_option,
    cache_option,
    color_option,
    directory_argument,
    fail,
    flag_limits,
    guarded,
    limit_options,
    strict_option,
    use_color,
)
from decisionlang.cli.progress import progress_option, progress_shown
from decisionlang.core.escapes import inert_json


@click.command()
@click.argument("subject")
@directory_argument
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@strict_option
@as_of_option
@color_option
@cache_option
@limit_options
@progress_option
@guarded
def explain(
    subject: str,
    directory: Path,
    output_format: str,
    strict: bool,
    as_of: dt.date | None,
    color: bool | None,
    progress: bool | None,
) -> None:
    """Show the full trace of one SUBJECT: every rule, fact, threshold and what must hold for GO."""
    from decisionlang.api import evaluate_project, load_project
    from decisionlang.render import render_explain

    with progress_shown(progress) as shown:
        project = load_project(directory, limits=flag_limits(), progress=shown)
    report = evaluate_project(project, as_of=as_of, services=[subject], strict=strict)
    if strict and any(d.is_error for d in report.diagnostics):
        fail([d for d in report.diagnostics if d.is_error], as_json=output_format == "json")
    result = report.subjects[0]
    if output_format == "json":
        payload = result.to_dict()
        click.echo(inert_json(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False)))
    else:
        click.echo(render_explain(result, color=use_color(color)), nl=False, color=True)
    sys.exit(EXIT_OK)

"""`decisionlang import ...`: state files from what teams already have."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from decisionlang.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    fail,
    guarded,
)
from decisionlang.cli.output import write_output
from decisionlang.core.diagnostics import DecisionlangError


@click.group("import")
def import_() -> None:
    """Write decisionlang state files from what teams already have."""


@import_.command("backstage")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the state file here (default: stdout).",
)
@click.option(
    "--report-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Format of the report of what was and was not imported, on stderr.",
)
@guarded
def backstage(paths: tuple[Path, ...], output: Path | None, report_format: str) -> None:
    """Import Backstage catalog entities from PATHS (files, or directories of *.yaml) as subjects."""
    from decisionlang.inputs.yamlreader import yaml_files

    if output is not None and str(output) == "-":
        output = None  # `--output -`: standard output, as for every other command
    from decisionlang.inputs.importers.backstage import (
        import_backstage,
        render_report_json,
        render_report_text,
        render_state,
    )

    try:
        files = yaml_files(paths)
        if output is not None:  # a re-import into a directory it reads: the previous output is no entity
            files = [(shown, path) for shown, path in files if path.resolve() != output.resolve()]
        result = import_backstage(files)
    except DecisionlangError as error:
        if report_format == "json":  # the diagnostics are in the report: stderr stays one JSON object
            click.echo(render_report_json(None, error.diagnostics), err=True, nl=False)
            sys.exit(EXIT_INVALID)
        fail(error.diagnostics, outcome="nothing was imported")
    state = render_state(result)
    if output is None:
        click.echo(state, nl=False)
    else:
        try:
            write_output(output, state)
        except DecisionlangError as error:
            fail(error.diagnostics, outcome="nothing was written")
    report = render_report_json(result) if report_format == "json" else render_report_text(result)
    click.echo(report, err=True, nl=False)
    sys.exit(EXIT_OK)

"""`decisionlang schema`: the JSON Schema of the state files (or waiver files, or policy tests) of a
decision repo, generated from its policies, for editors and CI."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from decisionlang.cli.common import EXIT_OK, cache_option, directory_argument, fail, guarded
from decisionlang.core.diagnostics import DecisionlangError, render_text


@click.command()
@directory_argument
@click.option(
    "--for",
    "target",
    type=click.Choice(["states", "waivers", "tests"]),
    default="states",
    show_default=True,
    help="Which files the schema describes: state files, waiver files, or policy tests (*.test.yaml).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the schema to this file (atomically) instead of standard output.",
)
@click.option(
    "--check",
    "check_only",
    is_flag=True,
    help="Write nothing: exit 1 if the --output file is not the schema the policies give today.",
)
@cache_option
@guarded
def schema(directory: Path, target: str, output: Path | None, check_only: bool) -> None:
    """Print the JSON Schema of DIRECTORY's state files, from its policies' `schema` blocks."""
    from decisionlang.api import json_schema

    text, diagnostics = json_schema(directory, target)  # type: ignore[arg-type]
    if text is None:
        fail(diagnostics, outcome="no schema was written")
    for diagnostic in diagnostics:
        click.echo(render_text(diagnostic), err=True)
    if check_only:
        _check(text, output)
    if output is None or str(output) == "-":
        click.echo(text, nl=False)
    else:
        from decisionlang.cli.output import write_output

        try:
            write_output(output, text)
        except DecisionlangError as error:
            fail(error.diagnostics, outcome="the schema was not written")
    sys.exit(EXIT_OK)


def _check(text: str, output: Path | None) -> None:
    if output is None or str(output) == "-":
        raise click.UsageError("--check compares with the file given by --output")
    try:
        current = output.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        current = None
    if current == text:
        click.echo(f"{output}: up to date", err=True)
        sys.exit(EXIT_OK)
    click.echo(f"{output}: out of date; run `decisionlang schema ... -o {output}` to write it", err=True)
    sys.exit(1)

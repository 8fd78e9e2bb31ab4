"""`decisionlang validate`: static checks of policies and states."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from decisionlang.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    directory_argument,
    guarded,
    warnings_as_errors_option,
)
from decisionlang.core.diagnostics import render_text
from decisionlang.core.escapes import inert_json
from decisionlang.render.text import plural


@click.command()
@directory_argument
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@warnings_as_errors_option
@guarded
def validate(directory: Path, output_format: str, warnings_as_errors: bool) -> None:
    """Check policies and states statically, without evaluating anything."""
    from decisionlang.api import load_project

    project = load_project(directory)
    diagnostics = list(project.diagnostics)
    errors = [d for d in diagnostics if d.is_error or warnings_as_errors]
    if output_format == "json":
        payload = {
            "schema": "decisionlang/validate/v1",
            "valid": not errors,
            "policies": len(project.sources.policies),
            "states": len(project.sources.states),
            "subjects": len(project.portfolio.subjects),
            "diagnostics": [d.to_json() for d in diagnostics],
        }
        click.echo(inert_json(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False)))
    else:
        for diagnostic in diagnostics:
            click.echo(render_text(diagnostic), err=True)
        files = len(project.sources.policies) + len(project.sources.states)
        status = "invalid" if errors else "valid"
        failing = sum(1 for d in diagnostics if d.is_error)
        warnings = len(diagnostics) - failing
        treated = " (treated as errors: --warnings-as-errors)" if warnings_as_errors and warnings else ""
        click.echo(
            f"{status}: {plural(files, 'file')}, {plural(len(project.portfolio.subjects), 'subject')}, "
            f"{plural(failing, 'error')}, {plural(warnings, 'warning')}{treated}"
        )
    sys.exit(EXIT_INVALID if errors else EXIT_OK)

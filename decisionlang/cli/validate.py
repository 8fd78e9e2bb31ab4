"""`decisionlang validate`: static checks of policies and states."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from decisionlang.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    cache_option,
    directory_argument,
    flag_limits,
    guarded,
    limit_options,
    warnings_as_errors_option,
)
from decisionlang.cli.progress import progress_option, progress_shown
from decisionlang.core.diagnostics import render_text
from decisionlang.core.escapes import inert_json, safe_line, visible
from decisionlang.core.subjects import IgnoredField
from decisionlang.render.text import plural


@click.command()
@directory_argument
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@warnings_as_errors_option
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Also list the keys of the state files that no schema declares (they are ignored).",
)
@progress_option
@cache_option
@limit_options
@guarded
def validate(
    directory: Path, output_format: str, warnings_as_errors: bool, verbose: bool, progress: bool | None
) -> None:
    """Check policies and states statically, without evaluating anything."""
    from decisionlang.api import load_project

    with progress_shown(progress) as shown:
        project = load_project(directory, progress=shown, limits=flag_limits())
    diagnostics = list(project.diagnostics)
    errors = [d for d in diagnostics if d.is_error or warnings_as_errors]
    ignored = project.portfolio.ignored
    if output_format == "json":
        payload: dict[str, object] = {
            "schema": "decisionlang/validate/v1",
            "valid": not errors,
            "policies": len(project.sources.policies),
            "states": len(project.sources.states),
            "subjects": len(project.portfolio.subjects),
            "diagnostics": [d.to_json() for d in diagnostics],
        }
        if verbose:
            payload["ignored_fields"] = [_ignored_json(field) for field in ignored]
        click.echo(inert_json(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False)))
    else:
        for diagnostic in diagnostics:
            click.echo(render_text(diagnostic), err=True)
        if verbose:
            for field in ignored:
                click.echo(safe_line(visible(_ignored_text(field))))
        files = len(project.sources.policies) + len(project.sources.states)
        status = "invalid" if errors else "valid"
        failing = sum(1 for d in diagnostics if d.is_error)
        warnings = len(diagnostics) - failing
        treated = " (treated as errors: --warnings-as-errors)" if warnings_as_errors and warnings else ""
        unread = ""
        if ignored:
            unread = f", {plural(len(ignored), 'ignored field')}" + (
                "" if verbose else " (--verbose lists them)"
            )
        click.echo(
            f"{status}: {plural(files, 'file')}, {plural(len(project.portfolio.subjects), 'subject')}, "
            f"{plural(failing, 'error')}, {plural(warnings, 'warning')}{treated}{unread}"
        )
    sys.exit(EXIT_INVALID if errors else EXIT_OK)


def _ignored_text(field: IgnoredField) -> str:
    subject = f" of subject `{field.subject}`" if field.subject else ""
    return (
        f"{field.file}:{field.line}:{field.column}: ignored: `{field.path}`{subject} is declared by no schema"
    )


def _ignored_json(field: IgnoredField) -> dict[str, object]:
    return {
        "path": field.path,
        "subject": field.subject,
        "location": {"file": field.file, "line": field.line, "column": field.column},
    }

"""`decisionlang eval`: evaluate one expression for one subject, with its trace."""

from __future__ import annotations

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
    use_color,
)
from decisionlang.core.diagnostics import render_text


@click.command(name="eval")
@click.argument("expression")
@directory_argument
@click.option("--subject", "-s", required=True, help="The subject whose fields the expression reads.")
@as_of_option
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@color_option
@cache_option
@limit_options
@guarded
def evaluate(
    expression: str, directory: Path, subject: str, as_of: object, output_format: str, color: bool | None
) -> None:
    """Evaluate EXPRESSION for one subject of DIRECTORY, with its trace, to try a condition before
    writing the rule.

    The expression reads the subject's fields and the project's consts, defines, scales, criteria,
    trade-offs and functions, as a rule's condition does. Exit codes: 0 evaluated (whatever the
    value), 2 invalid project, unknown subject or invalid expression."""
    from decisionlang.api import evaluate_expression, load_project

    project = load_project(directory, limits=flag_limits())
    result, problems = evaluate_expression(project, expression, subject, as_of=as_of)  # type: ignore[arg-type]
    if result is None:
        fail(problems, as_json=output_format == "json", outcome="nothing was evaluated")
    for problem in problems:
        click.echo(render_text(problem), err=True)
    if output_format == "json":
        from decisionlang.render.expression import render_expression_json

        click.echo(render_expression_json(result), nl=False)
    else:
        from decisionlang.render.expression import render_expression_text

        click.echo(render_expression_text(result, color=use_color(color)), nl=False, color=True)
    sys.exit(EXIT_OK)

"""`decisionlang test`: the policy unit tests and rule coverage."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from decisionlang.cli.common import (
    EXIT_LOW_COVERAGE,
    EXIT_NO_GO,
    EXIT_OK,
    AsOf,
    Bounded,
    color_option,
    directory_argument,
    emit,
    fail,
    flag_limits,
    guarded,
    limit_options,
    use_color,
)


@click.command("test")
@directory_argument
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "junit"]),
    default="text",
    show_default=True,
    help="`text` for people, `json` for machines, `junit` (JUnit XML) for CI test views.",
)
@click.option(
    "--as-of",
    type=AsOf(),
    help="Date (YYYY-MM-DD) of the cases whose test file and case give no `as_of` (default: today).",
)
@click.option(
    "--min-coverage",
    type=Bounded(float, 0, 100),
    metavar="N",
    help="Exit with 4 when rule coverage is below N % (0-100).",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here."
)
@color_option
@limit_options
@guarded
def policy_tests(
    directory: Path,
    output_format: str,
    as_of: dt.date | None,
    min_coverage: float | None,
    output: Path | None,
    color: bool | None,
) -> None:
    """Run the policy tests (`*.test.yaml`) under DIRECTORY and report rule coverage."""
    from decisionlang.engine.testing import run_tests
    from decisionlang.render.testreport import render_test_json, render_test_junit, render_test_text

    report = run_tests(directory, as_of=as_of, limits=flag_limits())
    if output_format == "json":
        text = render_test_json(report)
    elif output_format == "junit":
        text = render_test_junit(report)
    else:
        text = render_test_text(report, color=use_color(color) and output is None)
    if report.errors:
        if output_format != "text":  # a CI report says why nothing ran, besides the diagnostics
            emit(text, output)
        fail(report.diagnostics, outcome="no test was run")
    emit(text, output)
    code = _test_exit_code(report.failed, report.coverage.percent, min_coverage)
    if code == EXIT_LOW_COVERAGE:
        click.echo(
            f"decisionlang: rule coverage {report.coverage.percent:.1f} % is below the minimum of"
            f" {min_coverage:g} %; the rules never fired or never failed are listed above",
            err=True,
        )
    sys.exit(code)


def _test_exit_code(failed: int, coverage: float, min_coverage: float | None) -> int:
    if failed:
        return EXIT_NO_GO
    if min_coverage is not None and coverage < min_coverage:
        return EXIT_LOW_COVERAGE
    return EXIT_OK

"""`decisionlang import ...`: state files from what teams already have.

Every importer runs the same way: read every file first (all problems listed at once, exit 2,
nothing written), then write the state file (standard output, or `--output`, atomically) and the
report of what was and was not imported on standard error (text, or one JSON object).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from decisionlang.cli.common import EXIT_INVALID, EXIT_OK, AsOf, fail, flag_limits, guarded, limit_options_of
from decisionlang.cli.output import write_output
from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.inputs.limits import PLAN_LIMITS, YamlLimits, with_settings

if TYPE_CHECKING:
    from decisionlang.inputs.importers.common import ImportResult

F = TypeVar("F", bound=Callable[..., Any])

# An importer reads files from outside a decision repo: no decisionlang.yaml, so the flags alone
# change its limits (a Terraform plan's defaults are larger: PLAN_LIMITS).
_YAML_LIMITS = YamlLimits()


def _limits(defaults: YamlLimits) -> YamlLimits:
    """The importer's limits: its defaults, then the limit flags given."""
    return with_settings(defaults, flag_limits())


@click.group("import")
def import_() -> None:
    """Write decisionlang state files from what teams already have."""


def _common_options(command: F) -> F:
    command = click.option(
        "--report-format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Format of the report of what was and was not imported, on stderr.",
    )(command)
    command = click.option(
        "--observed",
        type=AsOf(),
        help="The day the imported facts were observed (YYYY-MM-DD), written as `observed:` on "
        "each subject; a schema's `fresh for` counts from it. Default: the source's own date when "
        "it has one (a Terraform plan's timestamp), else none.",
    )(command)
    return click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the state file here (default: stdout).",
    )(command)


def _run(
    source: str,
    output: Path | None,
    report_format: str,
    files_of: Callable[[], list[tuple[str, Path]]],
    importer: Callable[[list[tuple[str, Path]]], ImportResult],
    observed: dt.date | None = None,
) -> None:
    """Find the files, import them, write the state and the report; exit 2 on invalid input."""
    from decisionlang.inputs.importers.common import render_report_json, render_report_text, render_state

    if output is not None and str(output) == "-":
        output = None  # `--output -`: standard output, as for every other command
    try:
        files = files_of()
        if output is not None:  # a re-import into a directory it reads: the previous output is no input
            files = [(shown, path) for shown, path in files if path.resolve() != output.resolve()]
        result = importer(files)
    except DecisionlangError as error:
        if report_format == "json":  # the diagnostics are in the report: stderr stays one JSON object
            click.echo(render_report_json(None, error.diagnostics, source=source), err=True, nl=False)
            sys.exit(EXIT_INVALID)
        fail(error.diagnostics, outcome="nothing was imported")
    if observed is not None:
        result = dataclasses.replace(result, observed=observed)
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


@import_.command("backstage")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@_common_options
@limit_options_of(_YAML_LIMITS, configurable=False)
@guarded
def backstage(
    paths: tuple[Path, ...], output: Path | None, report_format: str, observed: dt.date | None
) -> None:
    """Import Backstage catalog entities from PATHS (files, or directories of *.yaml) as subjects."""
    from decisionlang.inputs.importers.backstage import import_backstage
    from decisionlang.inputs.importers.common import input_files
    from decisionlang.inputs.yamlreader import YAML_SUFFIXES

    _run(
        "backstage",
        output,
        report_format,
        lambda: input_files(paths, YAML_SUFFIXES, "catalog file"),
        lambda found: import_backstage(found, limits=_limits(_YAML_LIMITS)),
        observed,
    )


def _module_mappings(
    context: click.Context, parameter: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    from decisionlang.inputs.importers.terraform import parse_module_mapping

    pairs: list[tuple[str, str]] = []
    for value in values:
        pair = parse_module_mapping(value)
        if pair is None:
            raise click.BadParameter(f"{value!r}: expected PREFIX=SERVICE, e.g. module.orders=orders-api")
        pairs.append(pair)
    return tuple(pairs)


def _tag_keys(context: click.Context, parameter: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        attribute, dot, key = value.partition(".")
        if not dot or not attribute or not key:
            raise click.BadParameter(
                f"{value!r}: expected ATTRIBUTE.KEY, e.g. tags.service or labels.service"
            )
    return values


@import_.command("terraform-plan")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True, path_type=Path)
)
@_common_options
@click.option(
    "--service-tag",
    "service_tags",
    multiple=True,
    callback=_tag_keys,
    metavar="ATTRIBUTE.KEY",
    help="A tag or label naming the owning service, e.g. tags.service (repeatable; first found wins).",
)
@click.option(
    "--service-module",
    "service_modules",
    multiple=True,
    callback=_module_mappings,
    metavar="PREFIX=SERVICE",
    help="Changes under an address prefix belong to SERVICE, e.g. module.orders=orders-api (repeatable).",
)
@click.option("--plan-name", help="Name of the plan subject (one plan only; default: the file name).")
@limit_options_of(PLAN_LIMITS, configurable=False)
@guarded
def terraform_plan(
    paths: tuple[Path, ...],
    output: Path | None,
    report_format: str,
    observed: dt.date | None,
    service_tags: tuple[str, ...],
    service_modules: tuple[tuple[str, str], ...],
    plan_name: str | None,
) -> None:
    """Import the changes of Terraform plans (`terraform show -json` output; files, directories of
    *.json, or `-` for standard input) as subjects: one per resource change, one per plan."""
    from decisionlang.inputs.importers.common import input_files
    from decisionlang.inputs.importers.terraform import STDIN, ServiceMapping, import_terraform_plans

    mapping = ServiceMapping(service_tags, service_modules)
    limits = _limits(PLAN_LIMITS)
    if sum(1 for path in paths if str(path) == "-") > 1:
        raise click.UsageError("standard input (`-`) can be read once")

    def files() -> list[tuple[str, Path]]:
        found = [("-", Path("-"))] if paths == (Path("-"),) else input_files(paths, (".json",), "plan file")
        if plan_name is not None and len(found) > 1:
            raise click.UsageError("--plan-name names one plan; several plan files are given")
        return found

    def read(found: list[tuple[str, Path]]) -> list[tuple[str, Path | bytes]]:
        """`-` is standard input, read here, within the size limit of a plan."""
        stdin = sys.stdin.buffer
        return [
            (STDIN, stdin.read(limits.max_bytes + 1)) if shown == "-" else (shown, path)
            for shown, path in found
        ]

    _run(
        "terraform-plan",
        output,
        report_format,
        files,
        lambda found: import_terraform_plans(read(found), mapping, plan_name=plan_name, limits=limits),
        observed,
    )


@import_.command("openslo")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@_common_options
@limit_options_of(_YAML_LIMITS, configurable=False)
@guarded
def openslo(
    paths: tuple[Path, ...], output: Path | None, report_format: str, observed: dt.date | None
) -> None:
    """Import OpenSLO SLOs and services from PATHS (files, or directories of *.yaml) as subjects:
    one `slo` subject per objective of each SLO."""
    from decisionlang.inputs.importers.common import input_files
    from decisionlang.inputs.importers.openslo import import_openslo
    from decisionlang.inputs.yamlreader import YAML_SUFFIXES

    _run(
        "openslo",
        output,
        report_format,
        lambda: input_files(paths, YAML_SUFFIXES, "OpenSLO file"),
        lambda found: import_openslo(found, limits=_limits(_YAML_LIMITS)),
        observed,
    )

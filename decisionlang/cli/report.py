"""`decisionlang report`: the board report (HTML) or decision records (Markdown)."""

from __future__ import annotations

import datetime as dt
import functools
import gc
import os
import sys
from pathlib import Path

import click

from decisionlang.cli.common import (
    EXIT_OK,
    as_of_option,
    cache_option,
    collector_tuned,
    directory_argument,
    emit,
    executor_option,
    fail,
    flag_limits,
    guarded,
    jobs_option,
    limit_options,
    what_it_takes_options,
)
from decisionlang.cli.output import write_output
from decisionlang.cli.plan import (
    budget_option,
    capacity_map,
    capacity_option,
    cost_option,
    require_solver,
    value_option,
    warn_of_unknown_owners,
)
from decisionlang.cli.progress import WRITING, progress_option, progress_shown
from decisionlang.core.diagnostics import DecisionlangError, Diagnostic
from decisionlang.core.spans import printable


@click.command()
@directory_argument
@click.option(
    "--output",
    "-o",
    type=click.Path(),
    help="Where to write (default: report.html, or decisions.md for markdown; `-`: standard output). "
    "For markdown, a directory (existing, or written with a trailing /) gets one record per file and an "
    "index.md.",
)
@click.option(
    "--format", "output_format", type=click.Choice(["html", "markdown"]), default="html", show_default=True
)
@click.option(
    "--kind",
    default="initiative",
    show_default=True,
    help="markdown: the kind of subject that gets a decision record.",
)
@click.option(
    "--log",
    metavar="LOG",
    help="Decision log to show verdict moves and trends from (default: $DECISIONLANG_LOG, when that "
    "file exists).",
)
@what_it_takes_options
@budget_option(
    required=False,
    help="Add a section What to fund: the initiatives to fund within this budget (as `decisionlang plan`; "
    "needs the extra decisionlang[plan]).",
)
@capacity_option
@value_option
@cost_option
@as_of_option
@jobs_option
@executor_option
@cache_option
@limit_options
@progress_option
@guarded
def report(
    directory: Path,
    output: str | None,
    output_format: str,
    kind: str,
    log: str | None,
    to_go: bool,
    fragile: bool,
    fragile_within: float,
    budget: float | None,
    capacities: tuple[tuple[str, int], ...],
    value: str,
    cost: str,
    as_of: dt.date | None,
    jobs: int,
    executor: str | None,
    progress: bool | None,
) -> None:
    """Write the board report of DIRECTORY: one self-contained HTML file (verdicts and why, trade-offs,
    maturity, tier-1 dependencies, waivers), or Architecture Decision Records in Markdown."""
    if budget is not None:
        require_solver("report")
    from decisionlang.api import evaluate_project, load_project
    from decisionlang.engine.board import board_facts
    from decisionlang.governance.decisionlog import read_decisions
    from decisionlang.inputs.gitrevision import work_tree_revision
    from decisionlang.render.adr import decision_records, render_markdown, write_records
    from decisionlang.render.html import log_view, render_html

    with collector_tuned():
        with progress_shown(progress) as shown:
            project = load_project(directory, progress=shown, limits=flag_limits())
            result = evaluate_project(project, as_of=as_of, progress=shown, jobs=jobs, executor=executor)
            if to_go or fragile:
                from decisionlang.api import what_it_takes

                result = what_it_takes(project, result, to_go=to_go, fragile=fragile, within=fragile_within)
        gc.freeze()  # the results live until the report is written: no collection rescans them
        title = printable(directory.resolve().name) or "decisions"  # a name that is not UTF-8 as `\xff`
        if output_format == "html":
            environment_log = os.environ.get("DECISIONLANG_LOG")
            chosen = log or (environment_log if environment_log and Path(environment_log).is_file() else None)
            board_log = None
            if chosen:
                today = result.as_of or dt.date.today()
                entries, current, due = read_decisions(Path(chosen), project, due_on=today)
                board_log = log_view(entries, result, current, chosen, due)
            target = Path(output or "report.html")
            with progress_shown(progress) as shown:
                if shown is not None:
                    shown(WRITING, 0, None, "")
                facts = board_facts(project.program, result, revision=work_tree_revision(directory))
                funding = None
                if budget is not None:
                    from decisionlang.api import plan

                    limits = capacity_map(capacities)
                    warn_of_unknown_owners(project, limits)
                    funding = plan(project, result, budget=budget, capacities=limits, value=value, cost=cost)
                html = render_html(result, project.portfolio, facts, title=title, log=board_log, plan=funding)
            emit(html, target, confine_to=None if output else directory)
            written = f"{target} ({len(result.subjects)} subjects)"
        else:
            records = decision_records(result, project.portfolio, kind=kind)
            if not records:
                kinds = ", ".join(sorted({subject.kind for subject in result.subjects})) or "none"
                message = f"no subject of kind `{kind}`: no decision record to write"
                help = f"the kinds in this portfolio: {kinds}; choose one with --kind"
                fail([Diagnostic("DL-CLI-NO-RECORD", message, help=help)], outcome="nothing was written")
            target = Path(output or "decisions.md")
            if target.is_dir() or (output or "").endswith(("/", os.sep)):
                try:
                    # file names come from subject names: a link planted among them may not lead out
                    write = functools.partial(write_output, confine_to=target)
                    write_records(target, records, title=title, as_of=result.as_of, write=write)
                except OSError as error:
                    problem = Diagnostic(
                        "DL-CLI-OUTPUT", f"cannot write `{target}`: {error.strerror}", file=str(target)
                    )
                    fail([problem], outcome="the records were not all written")
                except DecisionlangError as error:
                    fail(error.diagnostics, outcome="the records were not all written")
            else:
                markdown = render_markdown(result, project.portfolio, title=title, kind=kind)
                emit(markdown, target, confine_to=None if output else directory)
            written = f"{target} ({len(records)} decision records)"
    if str(target) != "-":
        click.echo(f"decisionlang: wrote {written}", err=True)
    sys.exit(EXIT_OK)

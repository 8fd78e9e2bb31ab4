"""`decisionlang check`: evaluate a decision repo, or compare it with a git revision (--base)."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, cast

import click

from decisionlang.cli.common import (
    Bounded,
    as_of_option,
    cache_option,
    collector_tuned,
    color_option,
    directory_argument,
    emit,
    executor_option,
    exit_code,
    fail,
    fail_on_warnings,
    flag_limits,
    guarded,
    jobs_option,
    limit_options,
    strict_option,
    use_color,
    warnings_as_errors_option,
    what_it_takes_options,
)
from decisionlang.cli.completion import complete_subjects
from decisionlang.cli.progress import WRITING, progress_option, progress_shown, unless_streamed_to_terminal
from decisionlang.core.diagnostics import DecisionlangError, Diagnostic
from decisionlang.core.model import FailOn, Verdict

if TYPE_CHECKING:
    from decisionlang.api import Project
    from decisionlang.compare.changes import VerdictDiff
    from decisionlang.core.model import Report
    from decisionlang.core.progress import ProgressCallback


CHECK_FORMATS = ("text", "json", "markdown", "sarif", "junit", "github", "gitlab")
MAX_WARN_DAYS = 36_500  # a century: beyond it every waiver would be "about to expire"
# decisionlang.render.<format>.render_<format>
EXTERNAL_FORMATS = ("markdown", "sarif", "junit", "github", "gitlab")


@click.command()
@directory_argument
@click.option(
    "--service",
    "-s",
    "services",
    multiple=True,
    metavar="NAME",
    help="Only this subject (repeatable).",
    shell_complete=complete_subjects,
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(CHECK_FORMATS),
    default="text",
    show_default=True,
    help="text for people; json (schema report-v3); markdown for a pull-request comment; sarif, junit, "
    "github (workflow commands) and gitlab (Code Quality) for CI.",
)
@strict_option
@as_of_option
@click.option(
    "--fail-on",
    type=click.Choice([choice.value for choice in FailOn]),
    default=FailOn.NOT_YET.value,
    callback=lambda _context, _parameter, value: FailOn(value),
    show_default=True,
    help="Lowest verdict that makes the exit code non-zero.",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here."
)
@click.option(
    "--trace/--no-trace",
    default=True,
    show_default=True,
    help="Record the facts and comparisons behind each verdict; --no-trace keeps only the deciding "
    "rules and their messages, several times faster on large portfolios (--base always traces).",
)
@click.option(
    "--base",
    metavar="REV",
    help="Compare with the decision repo at this git revision (e.g. origin/main), read without "
    "touching the working tree: report the subjects added, removed and whose verdict or reasons "
    "changed, and exit per the changed subjects.",
)
@click.option(
    "--all",
    "gate_all",
    is_flag=True,
    help="With --base: exit per the whole head report, not only the changed subjects.",
)
@click.option(
    "--record",
    metavar="LOG",
    is_flag=False,
    flag_value="",
    help="Append the decision to the decision log LOG, an SQLite file created when missing (--record "
    "alone: $DECISIONLANG_LOG); its id is printed on stderr. See docs/decision-log.md.",
)
@click.option(
    "--warn-days",
    type=Bounded(int, 0, MAX_WARN_DAYS),
    default=30,
    show_default=True,
    help=f"Warn about waivers that expire within this many days (0 to {MAX_WARN_DAYS}).",
)
@what_it_takes_options
@jobs_option
@executor_option
@warnings_as_errors_option
@color_option
@progress_option
@cache_option
@limit_options
@guarded
def check(
    directory: Path,
    services: tuple[str, ...],
    output_format: str,
    strict: bool,
    as_of: dt.date | None,
    fail_on: FailOn,
    output: Path | None,
    trace: bool,
    base: str | None,
    gate_all: bool,
    record: str | None,
    warn_days: int,
    to_go: bool,
    fragile: bool,
    fragile_within: float,
    jobs: int,
    executor: str | None,
    warnings_as_errors: bool,
    color: bool | None,
    progress: bool | None,
) -> None:
    """Evaluate every applicable policy on every subject of DIRECTORY.

    With --base REV, evaluate DIRECTORY at the git revision REV too and report what the change
    does to the decisions."""
    from decisionlang.api import evaluate_project, load_project

    renderer = _external_renderer(output_format) if output_format in EXTERNAL_FORMATS else None
    if output_format == "gitlab":  # GitLab wants paths relative to the repository, not to DIRECTORY
        renderer = cast(
            Renderer, functools.partial(cast(Any, renderer), path_prefix=repository_prefix(directory))
        )
    out = _Output(output_format, fail_on, output, use_color(color) and output is None, renderer)
    if record is not None:
        _check_record_option(record, base)
    if base is not None and (jobs != 1 or executor is not None):
        raise click.UsageError(
            "--jobs and --executor evaluate one portfolio: they cannot be combined with --base"
        )
    if base is not None and (to_go or fragile):
        raise click.UsageError(
            "--to-go and --fragile search one portfolio's changes: they cannot be combined with --base"
        )
    if base is not None:
        _check_against_base(
            directory,
            base,
            services=services,
            strict=strict,
            as_of=as_of,
            gate_all=gate_all,
            out=out,
            warnings_as_errors=warnings_as_errors,
        )
    if output_format == "json" and not strict and record is None and not to_go and not fragile:
        # Written as evaluated, one subject at a time (the same bytes as render_json): memory
        # holds one subject's trace, not the report. --strict and --record need the whole report.
        with progress_shown(progress) as shown:
            project = load_project(directory, progress=shown, limits=flag_limits())
            verdict, diagnostics = _stream_json(
                project,
                output,
                as_of=as_of,
                services=services or None,
                trace=trace,
                warn_days=warn_days,
                progress=unless_streamed_to_terminal(shown, output),
                jobs=jobs,
                executor=executor,
            )
        fail_on_warnings(diagnostics, warnings_as_errors)
        sys.exit(exit_code(verdict, fail_on))
    with progress_shown(progress) as shown:
        project = load_project(directory, progress=shown, limits=flag_limits())
        with collector_tuned():
            report = evaluate_project(
                project,
                as_of=as_of,
                services=services or None,
                strict=strict,
                trace=trace,
                warn_days=warn_days,
                progress=shown,
                jobs=jobs,
                executor=executor,
            )
    _fail_on_strict_errors(report, strict, output_format)
    if to_go or fragile:
        from decisionlang.api import what_it_takes

        report = what_it_takes(
            project, report, to_go=to_go, fragile=fragile, within=fragile_within, strict=strict
        )
    with progress_shown(progress) as shown:
        if shown is not None:
            shown(WRITING, 0, None, "")
        text = _render_report(report, None, out)
    emit(text, output)
    if record is not None:
        path = _record_decision(project, report, record, services)
        if output_format == "github" and output is None:
            _due_notices(path, report)
    fail_on_warnings(report.diagnostics, warnings_as_errors)
    sys.exit(exit_code(report.verdict, fail_on))


def _stream_json(
    project: Project,
    output: Path | None,
    *,
    as_of: dt.date | None,
    services: tuple[str, ...] | None,
    trace: bool,
    warn_days: int,
    progress: ProgressCallback | None = None,
    jobs: int = 1,
    executor: str | None = None,
) -> tuple[Verdict, tuple[Diagnostic, ...]]:
    """`check --format json` written as the subjects are evaluated: to a file, atomically (a
    temporary file renamed over it at the end); to standard output, as it comes. Returns the
    verdict and the diagnostics of the run."""
    from decisionlang.api import evaluate_stream
    from decisionlang.cli.output import output_stream
    from decisionlang.render.json import JsonWriter

    evaluation = evaluate_stream(
        project,
        as_of=as_of,
        services=services,
        trace=trace,
        warn_days=warn_days,
        progress=progress,
        jobs=jobs,
        executor=executor,
    )
    to_stdout = output is None or str(output) == "-"
    written = False
    destination: contextlib.AbstractContextManager[Callable[[str], None]]

    closed = False

    def echo(text: str) -> None:
        nonlocal written, closed
        written = True
        if closed:
            return
        try:
            click.echo(text, nl=False, color=True)
        except BrokenPipeError:  # the reader stopped (`| head`): the exit code still tells the verdict
            closed = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # nothing left to flush into the closed pipe at exit

    destination = contextlib.nullcontext(echo) if output is None or to_stdout else output_stream(output)
    try:
        with collector_tuned(), destination as write:
            writer = JsonWriter(write, evaluation.as_of)
            for result in evaluation:
                writer.add(result)
            writer.finish(evaluation.verdict, evaluation.diagnostics)
    except DecisionlangError as error:
        if not to_stdout and all(d.code == "DL-CLI-OUTPUT" for d in error.diagnostics):
            fail(error.diagnostics, outcome="the report was not written")
        if to_stdout and written:  # the report on stdout stops short: say so, add nothing to it
            fail(error.diagnostics, outcome="the JSON report on standard output is incomplete")
        raise
    return evaluation.verdict, evaluation.diagnostics


@dataclass(frozen=True)
class _Output:
    """How `check` renders and where it writes."""

    format: str
    fail_on: FailOn
    path: Path | None
    color: bool
    renderer: Renderer | None  # markdown, sarif, junit, github


def _render_report(report: Report, diff: VerdictDiff | None, out: _Output, *, gate_all: bool = False) -> str:
    if out.renderer is not None:
        return out.renderer(report, diff, fail_on=out.fail_on)
    if out.format == "json":
        from decisionlang.render import render_json

        return render_json(report, diff)
    if diff is not None:
        from decisionlang.render.diff import render_diff_text

        return render_diff_text(diff, color=out.color, gate_all=gate_all)
    from decisionlang.render import render_text

    return render_text(report, color=out.color)


def _check_against_base(
    directory: Path,
    base: str,
    *,
    services: tuple[str, ...],
    strict: bool,
    as_of: dt.date | None,
    gate_all: bool,
    out: _Output,
    warnings_as_errors: bool = False,
) -> NoReturn:
    """`check --base REV`: the verdict diff, rendered; the exit code follows the head verdicts of
    the changed subjects (of all subjects with --all)."""
    from decisionlang.compare.gitdiff import diff_against

    with collector_tuned():
        diff = diff_against(directory, base, as_of=as_of, services=services or None, strict=strict)
    _fail_on_strict_errors(diff.head, strict, out.format)
    emit(_render_report(diff.head, diff, out, gate_all=gate_all), out.path)
    fail_on_warnings(diff.head.diagnostics, warnings_as_errors)
    verdict = diff.head.verdict if gate_all else diff.changed_verdict
    sys.exit(exit_code(verdict, out.fail_on))


def _fail_on_strict_errors(report: Report, strict: bool, output_format: str) -> None:
    if strict and any(d.is_error for d in report.diagnostics):
        fail([d for d in report.diagnostics if d.is_error], as_json=output_format == "json")


class Renderer(Protocol):
    def __call__(self, report: Report, diff: VerdictDiff | None, *, fail_on: FailOn) -> str: ...


def _external_renderer(output_format: str) -> Renderer:
    """`render_<format>` of `decisionlang.render.<format>`, imported only when asked for."""
    module_name = f"decisionlang.render.{output_format}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        module = None
    renderer = getattr(module, f"render_{output_format}", None)
    if renderer is None:
        raise click.UsageError(
            f"--format {output_format} is not available yet in this version of decisionlang; "
            "use --format text or json",
            ctx=click.get_current_context(silent=True),
        )
    return cast(Renderer, renderer)


def repository_prefix(directory: Path, environment: Mapping[str, str] | None = None) -> str:
    """Where the decision repo is in its repository, as a path prefix (`deploy/decisions/`, or ''
    at its root): GitLab wants repository-relative paths. The repository is `$CI_PROJECT_DIR` when
    GitLab sets it and the directory is inside it, otherwise the nearest folder above holding a
    `.git`; with neither, paths stay relative to the decision repo."""
    environment = os.environ if environment is None else environment
    here = directory.resolve()
    candidates = [Path(environment["CI_PROJECT_DIR"]).resolve()] if environment.get("CI_PROJECT_DIR") else []
    candidates += [folder for folder in (here, *here.parents) if (folder / ".git").exists()][:1]
    for top in candidates:
        if here.is_relative_to(top):
            inside = here.relative_to(top).as_posix()
            return "" if inside == "." else inside + "/"
    return ""


def _check_record_option(record: str, base: str | None) -> None:
    if base is not None:
        raise click.UsageError("--record records one evaluation: it cannot be combined with --base")
    from decisionlang.governance.decisionlog.api import log_path

    log_path(record or None)  # no path and no $DECISIONLANG_LOG: say so before evaluating anything
    if record and Path(record).is_dir():
        raise click.UsageError(
            f"--record takes the log file, and `{record}` is a directory: write DIRECTORY before "
            f"--record, or give a file (--record {Path(record) / 'decisions.sqlite'})"
        )


def _due_notices(log: Path, report: Report) -> None:
    """`check --format github --record LOG`: after the annotations, a workflow `::notice` per
    decision of the checked subjects due for review on the day of the check (as `decisionlang due
    --format github` writes them): a reminder on the run, never a failure."""
    from decisionlang.governance.decisionlog import read_due
    from decisionlang.render.history import render_due_github

    checked = {subject.subject for subject in report.subjects}
    today = report.as_of or dt.datetime.now(dt.UTC).date()
    try:
        found = [review for review in read_due(log, on=today) if review.subject in checked]
    except DecisionlangError as error:
        fail(error.diagnostics, outcome="the decision was recorded, but what is due could not be read")
    click.echo(render_due_github(found, today, 0), nl=False)


def _record_decision(project: Project, report: Report, log: str, services: tuple[str, ...]) -> Path:
    """`check --record`: append after the report is out; a log that cannot take it exits 2. The
    log's path."""
    from decisionlang.governance.decisionlog import log_path, record_report

    try:
        path = log_path(log)
        logged = record_report(path, project, report, scope=services or None)
    except DecisionlangError as error:
        fail(error.diagnostics, outcome="the decision was evaluated but not recorded")
    entry = f"entry {logged.entry} of {path}"
    click.echo(f"decisionlang: recorded decision {logged.record.decision_id} ({entry})", err=True)
    return Path(path)

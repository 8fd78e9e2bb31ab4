"""`decisionlang`: a thin click shell over decisionlang.api.

Exit codes: 0 all GO (or within --fail-on), 1 a NO-GO, 3 a NOT YET (no NO-GO) with
--fail-on not-yet, 2 invalid input or usage, 70 an internal error (never a traceback).
`decisionlang test`: 0 every case passed, 1 a case failed, 4 rule coverage below --min-coverage.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import importlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, TypeVar, cast

import click

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic, render_text
from decisionlang.core.model import FailOn, Verdict

if TYPE_CHECKING:
    from decisionlang.api import Project
    from decisionlang.compare.changes import VerdictDiff
    from decisionlang.core.model import Report

EXIT_OK = 0
EXIT_NO_GO = 1
EXIT_INVALID = 2
EXIT_NOT_YET = 3
EXIT_LOW_COVERAGE = 4
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

F = TypeVar("F", bound=Callable[..., Any])


class _AsOf(click.ParamType):  # type: ignore[type-arg]
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
                raise ValueError(value)
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.fail(f"`{value}` is not a date; write it as YYYY-MM-DD, e.g. 2027-03-31", param, ctx)


def _use_color(choice: bool | None) -> bool:
    if choice is not None:
        return choice
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def write_atomically(path: Path, text: str) -> None:
    """Write through a temporary file in the same directory, then rename: never half a file.

    The file gets the mode an ordinary write would give it (an existing file keeps its own)."""
    path = path.resolve()
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _emit(text: str, output: Path | None) -> None:
    if output is None or str(output) == "-":
        # Colour was decided already (the text has codes only when wanted): never let click strip it.
        click.echo(text, nl=not text.endswith("\n"), color=True)
        return
    try:
        write_atomically(output, text)
    except OSError as error:
        _fail(
            [Diagnostic("DL-CLI-OUTPUT", f"cannot write `{output}`: {error.strerror}", file=str(output))],
            outcome="the report was not written",
        )


def _fail(
    diagnostics: Sequence[Diagnostic], *, as_json: bool = False, outcome: str = "nothing was evaluated"
) -> NoReturn:
    if as_json:
        payload = {
            "schema": "decisionlang/report/v1",
            "as_of": None,
            "verdict": None,
            "summary": {"go": 0, "no-go": 0, "not-yet": 0},
            "services": [],
            "diagnostics": [d.to_json() for d in diagnostics],
        }
        click.echo(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False))
    for diagnostic in diagnostics:
        click.echo(render_text(diagnostic), err=True)
    errors = sum(1 for d in diagnostics if d.is_error)
    click.echo(f"decisionlang: {errors} error{'s' if errors != 1 else ''}; {outcome}", err=True)
    sys.exit(EXIT_INVALID)


def _exit_code(verdict: Verdict, fail_on: FailOn) -> int:
    if verdict is Verdict.NO_GO:
        return EXIT_NO_GO
    if fail_on.fails(verdict):
        return EXIT_NOT_YET
    return EXIT_OK


def _guarded(command: F) -> F:
    """Turn library errors into diagnostics (exit 2) and anything unexpected into exit 70."""

    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DecisionlangError as error:
            _fail(error.diagnostics, as_json=kwargs.get("output_format") == "json")
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("decisionlang: interrupted; nothing was written", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as error:  # an internal error: say so briefly, never a traceback
            click.echo(f"decisionlang: internal error: {type(error).__name__}: {error}", err=True)
            click.echo("please report it with the command and inputs that caused it", err=True)
            sys.exit(EXIT_INTERNAL)

    run.__name__ = command.__name__
    run.__doc__ = command.__doc__
    return run  # type: ignore[return-value]


_directory = click.argument(
    "directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)
_as_of = click.option("--as-of", type=_AsOf(), help="Evaluate as on this date (YYYY-MM-DD) instead of today.")
_strict = click.option(
    "--strict", is_flag=True, help="Treat missing information as an error instead of NOT YET."
)
_color = click.option(
    "--color/--no-color", default=None, help="Force colour on or off (default: on a terminal)."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="decisionlang")
def main() -> None:
    """Go / no-go / not-yet decisions for infrastructure, from readable policies."""


CHECK_FORMATS = ("text", "json", "markdown", "sarif", "junit", "github")
EXTERNAL_FORMATS = ("markdown", "sarif", "junit", "github")  # decisionlang.render.<format>.render_<format>


@main.command()
@_directory
@click.option(
    "--service", "-s", "services", multiple=True, metavar="NAME", help="Only this subject (repeatable)."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(CHECK_FORMATS),
    default="text",
    show_default=True,
    help="text for people; json (schema report-v1); markdown for a pull-request comment; sarif, junit "
    "and github (workflow commands) for CI.",
)
@_strict
@_as_of
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
    type=click.IntRange(min=0),
    default=30,
    show_default=True,
    help="Warn about waivers that expire within this many days.",
)
@_color
@_guarded
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
    color: bool | None,
) -> None:
    """Evaluate every applicable policy on every subject of DIRECTORY.

    With --base REV, evaluate DIRECTORY at the git revision REV too and report what the change
    does to the decisions."""
    from decisionlang.api import evaluate_project, load_project

    renderer = _external_renderer(output_format) if output_format in EXTERNAL_FORMATS else None
    out = _Output(output_format, fail_on, output, _use_color(color) and output is None, renderer)
    if record is not None:
        _check_record_option(record, base)
    if base is not None:
        _check_against_base(
            directory, base, services=services, strict=strict, as_of=as_of, gate_all=gate_all, out=out
        )
    project = load_project(directory)
    with collector_tuned():
        report = evaluate_project(
            project, as_of=as_of, services=services or None, strict=strict, trace=trace, warn_days=warn_days
        )
    _fail_on_strict_errors(report, strict, output_format)
    _emit(_render_report(report, None, out), output)
    if record is not None:
        _record_decision(project, report, record, services)
    sys.exit(_exit_code(report.verdict, fail_on))


@contextlib.contextmanager
def collector_tuned() -> Iterator[None]:
    """The loaded project is long-lived: keep the garbage collector from rescanning it for every
    few thousand results an evaluation allocates (it doubled evaluation time on large portfolios).
    The process is ours, so the CLI may tune it; the library never does."""
    freezing = gc.get_freeze_count() == 0
    threshold = gc.get_threshold()
    if freezing:
        gc.freeze()
        gc.set_threshold(max(threshold[0], 50_000), *threshold[1:])  # results are kept, not garbage
    try:
        yield
    finally:
        if freezing:
            gc.set_threshold(*threshold)
            gc.unfreeze()


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
) -> NoReturn:
    """`check --base REV`: the verdict diff, rendered; the exit code follows the head verdicts of
    the changed subjects (of all subjects with --all)."""
    from decisionlang.compare.gitdiff import diff_against

    with collector_tuned():
        diff = diff_against(directory, base, as_of=as_of, services=services or None, strict=strict)
    _fail_on_strict_errors(diff.head, strict, out.format)
    _emit(_render_report(diff.head, diff, out, gate_all=gate_all), out.path)
    verdict = diff.head.verdict if gate_all else diff.changed_verdict
    sys.exit(_exit_code(verdict, out.fail_on))


def _fail_on_strict_errors(report: Report, strict: bool, output_format: str) -> None:
    if strict and any(d.is_error for d in report.diagnostics):
        _fail([d for d in report.diagnostics if d.is_error], as_json=output_format == "json")


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


@main.command()
@click.argument("subject")
@_directory
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_strict
@_as_of
@_color
@_guarded
def explain(
    subject: str,
    directory: Path,
    output_format: str,
    strict: bool,
    as_of: dt.date | None,
    color: bool | None,
) -> None:
    """Show the full trace of one SUBJECT: every rule, fact, threshold and what must hold for GO."""
    from decisionlang.api import evaluate_project, load_project
    from decisionlang.render import render_explain, report_to_dict

    project = load_project(directory)
    report = evaluate_project(project, as_of=as_of, services=[subject], strict=strict)
    if strict and any(d.is_error for d in report.diagnostics):
        _fail([d for d in report.diagnostics if d.is_error], as_json=output_format == "json")
    result = report.subjects[0]
    if output_format == "json":
        payload = report_to_dict(report)["services"][0]
        click.echo(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        click.echo(render_explain(result, color=_use_color(color)), nl=False, color=True)
    sys.exit(EXIT_OK)


@main.command()
@_directory
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_guarded
def validate(directory: Path, output_format: str) -> None:
    """Check policies and states statically, without evaluating anything."""
    from decisionlang.api import load_project

    project = load_project(directory)
    diagnostics = list(project.diagnostics)
    errors = [d for d in diagnostics if d.is_error]
    if output_format == "json":
        payload = {
            "schema": "decisionlang/validate/v1",
            "valid": not errors,
            "policies": len(project.sources.policies),
            "states": len(project.sources.states),
            "subjects": len(project.portfolio.subjects),
            "diagnostics": [d.to_json() for d in diagnostics],
        }
        click.echo(json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        for diagnostic in diagnostics:
            click.echo(render_text(diagnostic), err=True)
        files = len(project.sources.policies) + len(project.sources.states)
        status = "invalid" if errors else "valid"
        warnings = len(diagnostics) - len(errors)
        click.echo(
            f"{status}: {files} files, {len(project.portfolio.subjects)} subjects, "
            f"{len(errors)} errors, {warnings} warnings"
        )
    sys.exit(EXIT_INVALID if errors else EXIT_OK)


@main.group("import")
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
@_guarded
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
        _fail(error.diagnostics, outcome="nothing was imported")
    state = render_state(result)
    if output is None:
        click.echo(state, nl=False)
    else:
        try:
            write_atomically(output, state)
        except OSError as error:
            message = f"cannot write `{output}`: {error.strerror}"
            _fail([Diagnostic("DL-CLI-OUTPUT", message, file=str(output))], outcome="nothing was written")
    report = render_report_json(result) if report_format == "json" else render_report_text(result)
    click.echo(report, err=True, nl=False)
    sys.exit(EXIT_OK)


@main.command("test")
@_directory
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--as-of",
    type=_AsOf(),
    help="Date (YYYY-MM-DD) of the cases whose test file and case give no `as_of` (default: today).",
)
@click.option(
    "--min-coverage",
    type=click.FloatRange(0, 100),
    metavar="N",
    help="Exit with 4 when rule coverage is below N % (0-100).",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write the report here."
)
@_color
@_guarded
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
    from decisionlang.render.testreport import render_test_json, render_test_text

    report = run_tests(directory, as_of=as_of)
    if output_format == "json":
        text = render_test_json(report)
    else:
        text = render_test_text(report, color=_use_color(color) and output is None)
    if report.errors:
        if output_format == "json":
            _emit(text, output)
        _fail(report.diagnostics, outcome="no test was run")
    _emit(text, output)
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


# ---------------------------------------------------------------- the decision log


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


def _record_decision(project: Project, report: Report, log: str, services: tuple[str, ...]) -> None:
    """`check --record`: append after the report is out; a log that cannot take it exits 2."""
    from decisionlang.governance.decisionlog import log_path, record_report

    try:
        path = log_path(log)
        logged = record_report(path, project, report, scope=services or None)
    except DecisionlangError as error:
        _fail(error.diagnostics, outcome="the decision was evaluated but not recorded")
    entry = f"entry {logged.entry} of {path}"
    click.echo(f"decisionlang: recorded decision {logged.record.decision_id} ({entry})", err=True)


_log = click.option(
    "--log", metavar="LOG", help="The decision log (default: $DECISIONLANG_LOG). See docs/decision-log.md."
)


@main.command()
@click.argument("subject", required=False)
@click.option("--since", type=_AsOf(), help="Only what was recorded on or after this date (YYYY-MM-DD, UTC).")
@_log
@click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_guarded
def history(subject: str | None, since: dt.date | None, log: str | None, output_format: str) -> None:
    """How SUBJECT's verdict moved between recorded decisions, when and why (the facts and rules that
    changed). Without SUBJECT: the portfolio's verdict moves."""
    from decisionlang.governance.decisionlog import log_path, read_history
    from decisionlang.render.history import render_history_json, render_history_text

    start = dt.datetime.combine(since, dt.time(), dt.UTC) if since is not None else None
    try:
        result = read_history(log_path(log), subject=subject, since=start)
    except DecisionlangError as error:
        _fail(error.diagnostics, outcome="no history was read")
    render = render_history_json if output_format == "json" else render_history_text
    click.echo(render(result), nl=False)
    sys.exit(EXIT_OK)


@main.command()
@click.argument("decision_id")
@click.option("--note", required=True, help="What was concluded, and why.")
@click.option(
    "--status",
    default="revisited",
    show_default=True,
    type=click.Choice(["superseded", "revisited", "confirmed"]),
    help="What a later look at the decision found (a note alone records that it was revisited).",
)
@click.option("--by", "author", metavar="NAME", help="Who annotates (kept with the note).")
@_log
@_guarded
def annotate(decision_id: str, note: str, status: str, author: str | None, log: str | None) -> None:
    """Append a note to the recorded decision DECISION_ID; the decision itself is never rewritten."""
    from decisionlang.governance.decisionlog import AnnotationStatus, annotate_decision, log_path

    try:
        logged = annotate_decision(log_path(log), decision_id, AnnotationStatus(status), note, author=author)
    except DecisionlangError as error:
        _fail(error.diagnostics, outcome="nothing was annotated")
    click.echo(f"annotated decision {decision_id}: {status} (annotation {logged.number})")
    sys.exit(EXIT_OK)


# ---------------------------------------------------------------- the board report


@main.command()
@_directory
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
@_as_of
@_guarded
def report(
    directory: Path,
    output: str | None,
    output_format: str,
    kind: str,
    log: str | None,
    as_of: dt.date | None,
) -> None:
    """Write the board report of DIRECTORY: one self-contained HTML file (verdicts and why, trade-offs,
    maturity, tier-1 dependencies, waivers), or Architecture Decision Records in Markdown."""
    from decisionlang.api import evaluate_project, load_project
    from decisionlang.engine.board import board_facts
    from decisionlang.inputs.gitrevision import work_tree_revision
    from decisionlang.render.adr import decision_records, render_markdown, write_records
    from decisionlang.render.html import read_log, render_html

    project = load_project(directory)
    result = evaluate_project(project, as_of=as_of)
    title = directory.resolve().name or "decisions"
    if output_format == "html":
        environment_log = os.environ.get("DECISIONLANG_LOG")
        chosen = log or (environment_log if environment_log and Path(environment_log).is_file() else None)
        log_view = read_log(Path(chosen), project, result, source=chosen) if chosen else None
        target = Path(output or "report.html")
        facts = board_facts(project.program, result, revision=work_tree_revision(directory))
        _emit(render_html(result, project.portfolio, facts, title=title, log=log_view), target)
        written = f"{target} ({len(result.subjects)} subjects)"
    else:
        records = decision_records(result, project.portfolio, kind=kind)
        if not records:
            kinds = ", ".join(sorted({subject.kind for subject in result.subjects})) or "none"
            message = f"no subject of kind `{kind}`: no decision record to write"
            help = f"the kinds in this portfolio: {kinds}; choose one with --kind"
            _fail([Diagnostic("DL-CLI-NO-RECORD", message, help=help)], outcome="nothing was written")
        target = Path(output or "decisions.md")
        if target.is_dir() or (output or "").endswith(("/", os.sep)):
            try:
                write_records(target, records, title=title, as_of=result.as_of, write=write_atomically)
            except OSError as error:
                problem = Diagnostic(
                    "DL-CLI-OUTPUT", f"cannot write `{target}`: {error.strerror}", file=str(target)
                )
                _fail([problem], outcome="the records were not all written")
        else:
            _emit(render_markdown(result, project.portfolio, title=title, kind=kind), target)
        written = f"{target} ({len(records)} decision records)"
    if str(target) != "-":
        click.echo(f"decisionlang: wrote {written}", err=True)
    sys.exit(EXIT_OK)


if __name__ == "__main__":  # pragma: no cover
    main()

"""What every command shares: exit codes, option types, atomic output, diagnostics on stderr, and
the guard that turns library errors into exit 2 and anything unexpected into exit 70."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic, render_text
from decisionlang.core.model import FailOn, Verdict

if TYPE_CHECKING:
    pass


EXIT_OK = 0
EXIT_NO_GO = 1
EXIT_INVALID = 2
EXIT_NOT_YET = 3
EXIT_LOW_COVERAGE = 4
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130

F = TypeVar("F", bound=Callable[..., Any])


class AsOf(click.ParamType):  # type: ignore[type-arg]
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


def use_color(choice: bool | None) -> bool:
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


def emit(text: str, output: Path | None) -> None:
    if output is None or str(output) == "-":
        # Colour was decided already (the text has codes only when wanted): never let click strip it.
        click.echo(text, nl=not text.endswith("\n"), color=True)
        return
    try:
        write_atomically(output, text)
    except OSError as error:
        fail(
            [Diagnostic("DL-CLI-OUTPUT", f"cannot write `{output}`: {error.strerror}", file=str(output))],
            outcome="the report was not written",
        )


def fail(
    diagnostics: Sequence[Diagnostic], *, as_json: bool = False, outcome: str = "nothing was evaluated"
) -> NoReturn:
    if as_json:
        from decisionlang.render.json import render_failure

        click.echo(render_failure(diagnostics), nl=False)
    for diagnostic in diagnostics:
        click.echo(render_text(diagnostic), err=True)
    errors = sum(1 for d in diagnostics if d.is_error)
    click.echo(f"decisionlang: {errors} error{'s' if errors != 1 else ''}; {outcome}", err=True)
    sys.exit(EXIT_INVALID)


def exit_code(verdict: Verdict, fail_on: FailOn) -> int:
    if verdict is Verdict.NO_GO:
        return EXIT_NO_GO
    if fail_on.fails(verdict):
        return EXIT_NOT_YET
    return EXIT_OK


def guarded(command: F) -> F:
    """Turn library errors into diagnostics (exit 2) and anything unexpected into exit 70."""

    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DecisionlangError as error:
            fail(error.diagnostics, as_json=kwargs.get("output_format") == "json")
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


directory_argument = click.argument(
    "directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path)
)
as_of_option = click.option(
    "--as-of", type=AsOf(), help="Evaluate as on this date (YYYY-MM-DD) instead of today."
)
strict_option = click.option(
    "--strict", is_flag=True, help="Treat missing information as an error instead of NOT YET."
)
color_option = click.option(
    "--color/--no-color", default=None, help="Force colour on or off (default: on a terminal)."
)
warnings_as_errors_option = click.option(
    "--warnings-as-errors",
    is_flag=True,
    help="Exit 2 when there is any warning (a selector matching no subject, a stale waiver, an "
    "evaluation problem...): for CI that keeps a repo free of them.",
)


def fail_on_warnings(diagnostics: Sequence[Diagnostic], enabled: bool) -> None:
    """--warnings-as-errors: after the output is written, any warning makes the exit code 2."""
    warnings = sum(1 for d in diagnostics if not d.is_error)
    if enabled and warnings:
        plural = "s" if warnings != 1 else ""
        click.echo(
            f"decisionlang: {warnings} warning{plural}, treated as errors (--warnings-as-errors)", err=True
        )
        sys.exit(EXIT_INVALID)


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


log_option = click.option(
    "--log", metavar="LOG", help="The decision log (default: $DECISIONLANG_LOG). See docs/decision-log.md."
)

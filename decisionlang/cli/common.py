"""What every command shares: exit codes, option types, atomic output, diagnostics on stderr, and
the guard that turns library errors into exit 2 and anything unexpected into exit 70."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from decisionlang.cli.output import write_output
from decisionlang.core.dates import DATE_HELP, parse_date
from decisionlang.core.diagnostics import DecisionlangError, Diagnostic, render_text
from decisionlang.core.escapes import visible
from decisionlang.core.model import FailOn, Verdict
from decisionlang.inputs.limits import LIMIT_SETTINGS, LimitSetting, YamlLimits, setting_value

EXIT_OK = 0
EXIT_NO_GO = 1
EXIT_INVALID = 2
EXIT_NOT_YET = 3
EXIT_LOW_COVERAGE = 4
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130  # SIGINT (Ctrl-C): 128 + 2
EXIT_TERMINATED = 143  # SIGTERM (a CI job cancelled, a timeout): 128 + 15

F = TypeVar("F", bound=Callable[..., Any])


class AsOf(click.ParamType):  # type: ignore[type-arg]
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.date:
        day = parse_date(value)
        if day is None:
            self.fail(f"`{visible(str(value))}` is not a date; {DATE_HELP}", param, ctx)
        return day


class Bounded(click.ParamType):  # type: ignore[type-arg]
    """A finite number from `low` to `high`: `nan`, `inf` and out-of-range values are usage errors
    (exit 2). The one type of every numeric option."""

    def __init__(self, kind: type[int] | type[float], low: float, high: float) -> None:
        self.kind = kind
        self.low = low
        self.high = high
        self.name = "INTEGER" if kind is int else "NUMBER"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float | int:
        if isinstance(value, self.kind) and not isinstance(value, bool) and self._within(value):
            return value
        text = str(value).strip()
        value = visible(str(value))
        if len(text) > 40:  # no number in range is this long; keep the message short
            value = text[:20] + "…"
            text = "x"
        wanted = f"{'a whole number' if self.kind is int else 'a number'} from {self.low:g} to {self.high:g}"
        try:
            number: float | int = int(text) if self.kind is int else float(text)
        except ValueError:
            self.fail(f"`{value}` is not a number: give {wanted}", param, ctx)
        if isinstance(number, float) and not math.isfinite(number):
            self.fail(f"`{value}` is not a finite number: give {wanted}", param, ctx)
        if not self._within(number):
            self.fail(f"`{value}` is out of range: give {wanted}", param, ctx)
        return number

    def _within(self, number: float) -> bool:
        if isinstance(number, float) and not math.isfinite(number):
            return False
        return self.low <= number <= self.high


class Percent(Bounded):
    """A percentage from `low` to `high`, written `10` or `10%`; the value is the fraction (0.1)."""

    def __init__(self, low: float, high: float) -> None:
        super().__init__(float, low, high)
        self.name = "PERCENT"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):  # the default, already a fraction
            return value
        text = str(value).strip()
        return float(super().convert(text[:-1].strip() if text.endswith("%") else text, param, ctx)) / 100


def what_it_takes_options(function: F) -> F:
    """`--to-go`, `--fragile` and `--fragile-within`, for `check` and `report`."""
    function = click.option(
        "--fragile-within",
        type=Percent(0, 100),
        default=0.10,
        show_default="10%",
        help="With --fragile: the largest relative change of a parameter searched, e.g. 10 or 10%.",
    )(function)
    function = click.option(
        "--fragile",
        is_flag=True,
        help="For every GO subject, the smallest relative change of one constant or criteria weight "
        "that flips it, within --fragile-within; in the outputs, and across the portfolio in the report.",
    )(function)
    return click.option(
        "--to-go",
        is_flag=True,
        help="For every subject that is not GO, the smallest changes of its facts that make it GO (each "
        "checked by evaluating it again), or the rule no change may lift. On demand: it evaluates each "
        "such subject again, many times.",
    )(function)


def use_color(choice: bool | None) -> bool:
    """Whether the text output is coloured: `--color` / `--no-color` first, then the environment."""
    if choice is not None:
        return choice
    return color_from_environment(os.environ, is_terminal=sys.stdout.isatty())


def color_from_environment(environment: Mapping[str, str], *, is_terminal: bool) -> bool:
    """The conventions of no-color.org and force-color.org, in the order CPython 3.13 applies
    them: a non-empty `NO_COLOR` turns colour off, then a non-empty `FORCE_COLOR` turns it on
    (even when the output is not a terminal), then `TERM=dumb` turns it off; otherwise colour is
    on only on a terminal."""
    if environment.get("NO_COLOR"):
        return False
    if environment.get("FORCE_COLOR"):
        return True
    if environment.get("TERM") == "dumb":
        return False
    return is_terminal


def emit(text: str, output: Path | None, *, confine_to: Path | None = None) -> None:
    """Print `text`, or write it to `output` as its kind requires (decisionlang.cli.output);
    `confine_to`: the project root a default output path (no --output given) must stay in."""
    if output is None or str(output) == "-":
        # Colour was decided already (the text has codes only when wanted): never let click strip it.
        click.echo(text, nl=not text.endswith("\n"), color=True)
        return
    try:
        write_output(output, text, confine_to=confine_to)
    except DecisionlangError as error:
        fail(error.diagnostics, outcome="the report was not written")


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


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is, so it unwinds (and cleans up) as Ctrl-C does."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM takes the KeyboardInterrupt path for the command's lifetime (main thread only)."""
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def guarded(command: F) -> F:
    """Turn library errors into diagnostics (exit 2), SIGINT and SIGTERM into exit 130 and 143
    after every clean-up ran, and anything unexpected into exit 70."""

    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            with _terminate_as_interrupt():
                return command(*args, **kwargs)
        except DecisionlangError as error:
            fail(error.diagnostics, as_json=kwargs.get("output_format") == "json")
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt as interruption:
            terminated = isinstance(interruption, Terminated)
            how = "terminated" if terminated else "interrupted"
            click.echo(f"decisionlang: {how}; no file was left half-written", err=True)
            sys.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)
        except Exception as error:  # an internal error: say so briefly, never a traceback
            click.echo(
                f"decisionlang: internal error: {type(error).__name__}: {visible(str(error))}", err=True
            )
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


def _no_cache(context: click.Context, parameter: click.Parameter, value: bool) -> None:
    if value:  # the whole process: the base revision of --base, every load, the parser
        os.environ["DECISIONLANG_NO_CACHE"] = "1"


cache_option = click.option(
    "--no-cache",
    is_flag=True,
    expose_value=False,
    callback=_no_cache,
    help="Neither read nor write the cache of checked policies and loaded states (the same as "
    "DECISIONLANG_NO_CACHE=1; see `decisionlang cache info`).",
)

MAX_JOBS = 1024
jobs_option = click.option(
    "--jobs",
    "-j",
    type=Bounded(int, 0, MAX_JOBS),
    default=1,
    show_default=True,
    help="Evaluate partitions of the subjects in this many processes (0: one per CPU); the output is "
    "the same as with one. Worth it from a few thousand subjects (docs/scaling.md).",
)
executor_option = click.option(
    "--executor",
    metavar="WHERE",
    help="Where --jobs runs: `processes` on this machine (the default); `dask` for a local Dask "
    "cluster of --jobs workers; `dask://HOST:PORT` for a running Dask scheduler. Dask needs the "
    "extra decisionlang[dask].",
)


class _LimitValue(click.ParamType):  # type: ignore[type-arg]
    """The value of one YAML limit flag: a whole number, or a size like `20MB` for --max-file-size."""

    name = "limit"

    def __init__(self, setting: LimitSetting) -> None:
        self.setting = setting

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        written = value if isinstance(value, int) else str(value).strip()
        if not self.setting.size and isinstance(written, str) and written.isdigit():
            written = int(written)
        number = setting_value(self.setting, written)
        if number is None:
            self.fail(f"{value!r}: {self.setting.flag} must be {self.setting.allowed()}", param, ctx)
        return number


_LIMITS_KEY = "decisionlang.limits"


def _limit_flag(setting: LimitSetting, defaults: YamlLimits, configurable: bool) -> Callable[[F], F]:
    def remember(context: click.Context, parameter: click.Parameter, value: int | None) -> None:
        if value is not None:
            context.meta.setdefault(_LIMITS_KEY, {})[setting.field] = value

    default = getattr(defaults, setting.field)
    where = f", or `limits: {setting.name}` in decisionlang.yaml" if configurable else ""
    return click.option(
        setting.flag,
        type=_LimitValue(setting),
        expose_value=False,
        callback=remember,
        help=f"Limit: {setting.description} (default {default:,}{where}).",
    )


def limit_options_of(defaults: YamlLimits, *, configurable: bool = True) -> Callable[[F], F]:
    """--max-file-size, --max-depth, --max-aliases, --max-alias-nodes, with `defaults` in their
    help; `configurable`: the command also reads decisionlang.yaml's `limits:` (the flags win).
    Read them with `flag_limits()`."""

    def decorate(command: F) -> F:
        for setting in reversed(LIMIT_SETTINGS.values()):
            command = _limit_flag(setting, defaults, configurable)(command)
        return command

    return decorate


limit_options = limit_options_of(YamlLimits())  # the commands that read a project


def flag_limits() -> dict[str, int]:
    """The YAML limits the command's flags set (`YamlLimits` field -> value), for `load_project`."""
    context = click.get_current_context(silent=True)
    return dict(context.meta.get(_LIMITS_KEY, {})) if context is not None else {}


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


def text_markdown_json_option(markdown_for: str, schema: str) -> Callable[[F], F]:
    """`--format text|markdown|json` (into `output_format`): the one option of the commands that
    write for people, for a Markdown page (`markdown_for`) or for machines (JSON `schema`)."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "markdown", "json"]),
        default="text",
        show_default=True,
        help=f"text for people; markdown for {markdown_for}; json ({schema}).",
    )


log_option = click.option(
    "--log", metavar="LOG", help="The decision log (default: $DECISIONLANG_LOG). See docs/decision-log.md."
)

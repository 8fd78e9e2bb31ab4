"""Run one fuzz input (a decision repo given as texts) through the library, every output format and,
when asked, the CLI; classify the run as OK or as a finding.

OK is a result, or a clean DecisionlangError / error diagnostics that each name a file and, for a
problem in a file's text, a line. Anything else is a finding: an exception escaping the library or a
renderer, a traceback or exit 70 from the CLI, a run over the CPU ceiling (a per-input ITIMER_PROF
alarm turns a hang into a finding), or an error without a position."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import re
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from click.testing import CliRunner

from decisionlang import cli
from decisionlang.api import SourceSet, evaluate_project, load_project
from decisionlang.compare.changes import VerdictDiff, compare
from decisionlang.core.diagnostics import DecisionlangError, Diagnostic, render_text
from decisionlang.core.model import FailOn, Report
from decisionlang.core.spans import SourceFile as SpanSource
from decisionlang.engine.board import board_facts
from decisionlang.engine.testing import run_tests
from decisionlang.inputs import layout
from decisionlang.language.parser import parse_module
from decisionlang.render import render_explain, render_json
from decisionlang.render import render_text as render_report_text
from decisionlang.render.adr import decision_records
from decisionlang.render.adr import render_markdown as render_adr
from decisionlang.render.diff import render_diff_text
from decisionlang.render.github import render_github
from decisionlang.render.html import render_html
from decisionlang.render.json import render_failure
from decisionlang.render.junit import render_junit
from decisionlang.render.markdown import render_markdown
from decisionlang.render.sarif import render_sarif
from decisionlang.render.testreport import render_test_json, render_test_text

AS_OF = dt.date(2026, 11, 26)
CPU_CEILING = 2.0  # seconds of CPU per input (the "runs over 2 s CPU")
TESTS_UNDER = 20_000  # characters: the policy tests of larger repos run in tests/test_testing.py
EXPLAINED_SUBJECTS = 3  # explain renders this many subjects of each report

# Diagnostics about a whole file (its size, its absence, discovery) rightly carry no line.
WHOLE_FILE_CODES = frozenset({"DL-CONFIG-NO-STATES", "DL-PARSE-LIMIT", "DL-STATE-LIMIT", "DL-WAIVER-LIMIT"})


class Outcome(enum.Enum):
    OK = "ok"
    ESCAPED = "escaped exception"
    TRACEBACK = "traceback"
    EXIT_70 = "exit 70"
    SLOW = "over 2 s CPU"
    UNPOSITIONED = "error without a position"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    detail: str = ""  # what happened: the exception and where, the diagnostic, the CPU time
    signature: str = ""  # what identifies the finding across inputs (class, exception type, place)
    cpu: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK


class CpuExhausted(BaseException):
    """Raised by the CPU alarm. A BaseException, so no `except Exception` in the code swallows it."""


@contextmanager
def cpu_alarm(seconds: float) -> Iterator[list[bool]]:
    """Raise CpuExhausted once `seconds` of CPU are spent, and again every 50 ms after that: an
    alarm that lands in a callback where exceptions are swallowed (a gc callback) is not lost."""
    expired = [False]

    def expire(_signal: int, _frame: FrameType | None) -> None:
        expired[0] = True
        raise CpuExhausted

    def unraisable(report: sys.UnraisableHookArgs) -> None:
        # An alarm raised inside a callback whose exceptions Python swallows (a gc callback, a
        # __del__) is reported by the interpreter as "Exception ignored in ...". It is the alarm
        # doing its job (the next tick raises it again where it counts), not a finding: stay quiet.
        if not isinstance(report.exc_value, CpuExhausted):
            previous_hook(report)

    previous = signal.signal(signal.SIGPROF, expire)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = unraisable
    signal.setitimer(signal.ITIMER_PROF, seconds, 0.05)
    try:
        yield expired
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
        sys.unraisablehook = previous_hook


@functools.lru_cache(maxsize=512)
def _parsed(source: SpanSource) -> tuple[object, list[Diagnostic]]:
    return parse_module(source)


def _cached_parse(source: SpanSource) -> tuple[object, list[Diagnostic]]:
    module, problems = _parsed(source)
    return module, list(problems)


def share_parses() -> None:
    """Parse each distinct policy text once per process: the seeds' unmutated files recur in every
    input. parse_module is a pure function of the file and the AST is immutable, so the pipeline
    sees the same thing; only the fuzzer's throughput changes."""
    layout.parse_module = _cached_parse  # type: ignore[assignment,attr-defined]


def run_input(
    files: Mapping[str, str],
    *,
    base: Report | None = None,
    with_cli: bool = False,
    tests: bool | None = None,
    cpu: float = CPU_CEILING,
) -> Result:
    """Classify one input: the library and every renderer in-process (and the CLI when asked).
    `tests`: run the policy tests too (default: when the input has test files and is small)."""
    if tests is None:
        tests = (
            any(path.endswith(".test.yaml") for path in files) and sum(map(len, files.values())) < TESTS_UNDER
        )
    start = time.process_time()
    expired = [False]
    try:
        with cpu_alarm(cpu) as expired:
            result = _library(files, base, tests)
            if result.ok and with_cli:
                result = _cli(files)
        if expired[0]:
            raise CpuExhausted
    except CpuExhausted:
        used = time.process_time() - start
        return Result(Outcome.SLOW, f"over {cpu:g} s CPU", "slow", used)
    except Exception as error:  # the library let something other than DecisionlangError out
        if expired[0]:  # the alarm went off inside a library that wrapped it (pydantic's schema build)
            return Result(Outcome.SLOW, f"over {cpu:g} s CPU", "slow", time.process_time() - start)
        return Result(Outcome.ESCAPED, _describe(error), _signature(Outcome.ESCAPED, error))
    used = time.process_time() - start
    return Result(result.outcome, result.detail, result.signature, used)


def evaluate(files: Mapping[str, str]) -> Report | None:
    """The report of a valid input (the base of the diff renderers), or None."""
    project = load_project(SourceSet.from_memory(dict(files)), cache=False)
    if project.errors:
        return None
    return evaluate_project(project, as_of=AS_OF)


def _library(files: Mapping[str, str], base: Report | None, tests: bool) -> Result:
    sources = SourceSet.from_memory(dict(files))
    project = load_project(sources, cache=False)
    problem = _unpositioned(project.diagnostics, files)
    if problem is not None:
        return problem
    _print_diagnostics(project.diagnostics)
    if tests:
        _policy_tests(files)
    try:
        report = evaluate_project(project, as_of=AS_OF)
    except DecisionlangError as error:
        return _unpositioned(error.diagnostics, files) or _printed(error.diagnostics)
    _render_all(report, project, base)
    return Result(Outcome.OK)


def _policy_tests(files: Mapping[str, str]) -> None:
    report = run_tests(SourceSet.from_memory(dict(files), tests=True), as_of=AS_OF)
    _print_diagnostics(report.diagnostics)
    _encoded(render_test_text(report, color=False), what="the test report")
    json.loads(render_test_json(report))


def _render_all(report: Report, project: object, base: Report | None) -> None:
    from decisionlang.api import Project

    assert isinstance(project, Project)
    fail_on = FailOn.NOT_YET
    facts = board_facts(project.program, report)
    outputs = {
        "text": render_report_text(report, color=False),
        "text (colour)": render_report_text(report, color=True),
        "json": render_json(report),
        "markdown": render_markdown(report, None, fail_on=fail_on),
        "sarif": render_sarif(report, None, fail_on=fail_on),
        "junit": render_junit(report, None, fail_on=fail_on),
        "github": render_github(report, None, fail_on=fail_on),
        "html": render_html(report, project.portfolio, facts, title="fuzz"),
    }
    for subject in report.subjects[:EXPLAINED_SUBJECTS]:
        outputs[f"explain {subject.subject}"] = render_explain(subject, color=False)
        outputs[f"explain --format json {subject.subject}"] = json.dumps(
            subject.to_dict(), ensure_ascii=False
        )
    for kind in sorted({subject.kind for subject in report.subjects})[:2]:
        if decision_records(report, project.portfolio, kind=kind):
            outputs[f"adr {kind}"] = render_adr(report, project.portfolio, title="fuzz", kind=kind)
    if base is not None:
        diff = VerdictDiff("base", "0" * 40, compare(base, report))
        outputs["diff text"] = render_diff_text(diff, color=False)
        outputs["diff json"] = render_json(report, diff)
        outputs["diff markdown"] = render_markdown(report, diff, fail_on=fail_on)
        outputs["diff sarif"] = render_sarif(report, diff, fail_on=fail_on)
        outputs["diff junit"] = render_junit(report, diff, fail_on=fail_on)
        outputs["diff github"] = render_github(report, diff, fail_on=fail_on)
    Report.from_dict(json.loads(outputs["json"]))  # the JSON report reads back (the decision log's codec)
    for name, text in outputs.items():
        _encoded(text, what=f"the {name.split()[0]} output")


class Unencodable(Exception):
    """An output the CLI could not write: text that is not encodable as UTF-8."""


def _encoded(*texts: str, what: str = "an output") -> None:
    """What the CLI would write: every output must encode as UTF-8."""
    for text in texts:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            shown = ascii(text[max(error.start - 30, 0) : error.end + 30])
            raise Unencodable(f"{what} holds text that cannot be written as UTF-8: ...{shown}...") from None


def _print_diagnostics(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> None:
    _encoded(*(render_text(d) for d in diagnostics), what="a diagnostic")
    _encoded(render_failure(list(diagnostics)), what="the JSON failure report")


def _printed(diagnostics: list[Diagnostic]) -> Result:
    _print_diagnostics(diagnostics)
    return Result(Outcome.OK)


def _unpositioned(
    diagnostics: tuple[Diagnostic, ...] | list[Diagnostic], files: Mapping[str, str]
) -> Result | None:
    """An error in one of the input files must say where: the file, and a line in it."""
    for diagnostic in diagnostics:
        if not diagnostic.is_error or diagnostic.code in WHOLE_FILE_CODES:
            continue
        where = diagnostic.span.path if diagnostic.span is not None else diagnostic.file
        located = diagnostic.span is not None or diagnostic.line is not None
        if where is None or (where in files and not located):
            detail = f"{diagnostic.code} at `{diagnostic.where}`: {diagnostic.message[:200]}"
            shape = re.sub(r"`[^`]*`|\d+", "_", diagnostic.message)[:80]
            shape = re.sub(r"^\w+ path ", "path ", shape)  # policy/state/waiver path: one class
            return Result(Outcome.UNPOSITIONED, detail, f"unpositioned {diagnostic.code}: {shape}")
    return None


def _cli(files: Mapping[str, str]) -> Result:
    """The commands a CI job runs, in-process, on the input written to a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="decisionlang-fuzz-") as directory:
        root = Path(directory)
        for relative, text in files.items():
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8", "surrogatepass"))
        runner = CliRunner(env={"DECISIONLANG_NO_CACHE": "1"})
        commands = [
            ["validate", directory],
            ["check", directory, "--as-of", AS_OF.isoformat()],
            ["check", directory, "--as-of", AS_OF.isoformat(), "--format", "json"],
            ["test", directory, "--as-of", AS_OF.isoformat()],
        ]
        for args in commands:
            outcome = runner.invoke(cli.main, args, catch_exceptions=True)
            output = outcome.stdout + outcome.stderr
            command = " ".join(args[:1] + args[2:])
            if outcome.exit_code == cli.EXIT_INTERNAL:
                return Result(Outcome.EXIT_70, f"`{command}`: {output[-300:]}", f"exit 70 {command}")
            if outcome.exception is not None and not isinstance(outcome.exception, SystemExit):
                error = outcome.exception
                return Result(
                    Outcome.TRACEBACK,
                    f"`{command}`: {_describe(error)}",
                    _signature(Outcome.TRACEBACK, error),
                )
            if "Traceback (most recent call last)" in output:
                return Result(Outcome.TRACEBACK, f"`{command}`: {output[-300:]}", f"traceback {command}")
    return Result(Outcome.OK)


def _describe(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    place = next(
        (
            f"{f.filename.rsplit('decisionlang/', 1)[-1]}:{f.lineno} {f.name}"
            for f in reversed(frames)
            if "/decisionlang/" in f.filename
        ),
        "?",
    )
    return f"{type(error).__name__}: {str(error)[:200]} (at {place})"


def _signature(outcome: Outcome, error: BaseException) -> str:
    if isinstance(error, Unencodable):  # one class whatever the output: text that came in unencodable
        return f"{outcome.value} unencodable text"
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if "/decisionlang/" in f.filename]
    place = f"{ours[-1].filename.rsplit('decisionlang/', 1)[-1]}:{ours[-1].name}" if ours else "?"
    return f"{outcome.value} {type(error).__name__} {place}"

"""Data cannot write a line of its own in plain-text output: no workflow command, no raw control.

For any text in any field a state, a waiver or a policy can fill (subject names, kinds, messages,
values, waiver reasons, titles, file paths, diagnostics), no line of any text renderer starts with
`::` (GitHub's workflow commands, read after leading blanks) or holds `##[` (their older form, read
anywhere in a line), and no control character, line separator or bidi control reaches the output
except the line feeds between lines (and, with colour on, the renderers' own colour codes)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from decisionlang import cli
from decisionlang.compare.changes import VerdictDiff, compare
from decisionlang.core.diagnostics import Diagnostic, Severity, render_text
from decisionlang.core.escapes import safe_line, visible
from decisionlang.core.model import (
    AppliedWaiver,
    Comparison,
    Enforcement,
    Fact,
    FailOn,
    Location,
    MissingInformation,
    Outcome,
    PolicyResult,
    Report,
    RuleKind,
    RuleTrace,
    SubjectResult,
    Verdict,
    Warning,
)
from decisionlang.render import render_explain
from decisionlang.render import render_text as render_report_text
from decisionlang.render.diff import render_diff_text
from decisionlang.render.json import render_json, report_to_dict
from decisionlang.render.junit import render_junit
from decisionlang.render.markdown import render_markdown
from decisionlang.render.sarif import render_sarif

ROOT = Path(__file__).parent.parent
SCALEUP = ROOT / "examples" / "scaleup"
AS_OF = dt.date(2026, 11, 26)

# Every character a terminal or a CI runner reads as more than a character, except "\t" and "\n".
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
COLOR_CODE = re.compile(r"\x1b\[[0-9;]*m")
SNIPPETS = [
    "\n::error::injected",
    "\r\n::add-mask::secret",
    "\r::stop-commands::token",
    "\u2028::warning::x",
    "\u2029",
    "\x85::notice::x",
    "\x0b\x0c::debug::x",
    "##[add-mask]secret",
    "##[error]x",
    "\x1b[2J\x1b]0;title\x07",
    "\x9b31m",
    "\u202eevil\u202c",
    "\u2066\u2069",
    "\x00\x7f",
    "  ::error::indented",
    "\u3000::error::ideographic space",
    "::",
    ":",
    "#",
    "[",
    "é 12 000 €",
    "\t",
    " ",
]
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.lists(st.sampled_from(SNIPPETS), min_size=1, max_size=6).map("".join),
    st.tuples(st.text(max_size=5), st.sampled_from(SNIPPETS), st.text(max_size=5)).map("".join),
)


def assert_inert(output: str, *, color: bool = False) -> None:
    for line in output.split("\n"):
        shown = COLOR_CODE.sub("", line) if color else line
        assert not shown.lstrip().startswith("::"), line
        assert "##[" not in shown, line
        assert UNSAFE.search(shown) is None, line


def report_with(text: str) -> Report:
    """One subject whose every text (name, kind, messages, values, waiver, titles, paths) is `text`."""
    where = Location(f"services/{text}.yaml", 3, 5)
    problem = Diagnostic("DL-EVAL-TYPE", f"cannot compare {text}", help=text, file=where.file, line=1)
    fired = RuleTrace(
        rule=f"{text}.rule",
        kind=RuleKind.NO_GO,
        outcome=Outcome.FIRED,
        message=text,
        until=text,
        location=Location(f"policies/{text}.policy", 2, 3),
        facts=(Fact(text, f"owner.{text}", text, where), Fact(text, "tier", None, where, missing=True)),
        comparisons=(Comparison(f"owner == {text}", text, "==", text, True, None, where, bound=text),),
        decisive=True,
    )
    failed = dataclasses.replace(fired, rule=f"{text}.error", outcome=Outcome.ERROR, error=problem)
    waiver = AppliedWaiver(text, dt.date(2027, 1, 1), text, text, text, text, where)
    hard = PolicyResult(text, text, Enforcement.HARD, Verdict.NO_GO, where, (fired, failed))
    soft = PolicyResult(
        f"{text}.soft",
        text,
        Enforcement.SOFT,
        Verdict.GO,
        where,
        (dataclasses.replace(fired, rule=f"{text}.soft.rule"),),
        waived_by=(waiver,),
        unwaived=Verdict.NOT_YET,
        waived_rules=(f"{text}.soft.rule",),
    )
    subject = SubjectResult(
        subject=text,
        kind=text,
        verdict=Verdict.NO_GO,
        location=where,
        policies=(hard, soft),
        warnings=(Warning(text, f"{text}.warn", text, where),),
        missing=(MissingInformation(f"field.{text}", text, where.file, text, f"{text}.rule"),),
    )
    warning = Diagnostic("DL-WAIVER-EXPIRING", text, help=text, file=where.file, severity=Severity.WARNING)
    return Report(Verdict.NO_GO, (subject,), (warning, problem), AS_OF)


def renderings(text: str) -> list[tuple[str, bool]]:
    report = report_with(text)
    subject = report.subjects[0]
    before = dataclasses.replace(report, subjects=(dataclasses.replace(subject, verdict=Verdict.GO),))
    diff = VerdictDiff(f"origin/{text}", "0123456789ab", compare(before, report))
    out = []
    for color in (False, True):
        out.append((render_report_text(report, color=color), color))
        out.append((render_explain(subject, color=color), color))
        out.append((render_diff_text(diff, color=color, gate_all=True), color))
    out.append((render_text(report.diagnostics[1]), False))
    return out


@settings(max_examples=150, deadline=None)
@given(TEXT)
def test_no_data_writes_a_line_of_its_own(text: str) -> None:
    for output, color in renderings(text):
        assert_inert(output, color=color)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_safe_line_is_inert_and_idempotent(text: str) -> None:
    once = safe_line(text)
    assert "\n" not in once and safe_line(once) == once
    assert_inert(once)
    assert visible(visible(text)) == visible(text)


def test_the_spelling_of_what_is_escaped() -> None:
    assert visible("a\nb\rc\x1bd\x7fe\tf") == "a␊b␍c␛d␡e\tf"
    assert visible("\u2028\u2029\x85\u202e") == "\\u2028\\u2029\\u0085\\u202e"
    assert safe_line("  ::error::x") == "  :\u200b:error::x"
    assert safe_line("see ##[add-mask]x") == "see #\u200b#[add-mask]x"
    assert safe_line("\x1b[1;31mNO-GO\x1b[0m \x1b[2J", color=True) == "\x1b[1;31mNO-GO\x1b[0m ␛[2J"
    assert safe_line("criticité: 12 000 €") == "criticité: 12 000 €"


# ---------------------------------------------------------------- end to end


def test_a_waiver_rationale_cannot_issue_workflow_commands(tmp_path: Path) -> None:
    """The waiver file of a pull request, through check, explain and validate on a real project."""
    repo = tmp_path / "scaleup"
    shutil.copytree(SCALEUP, repo)
    waivers = repo / "waivers" / "delivery.yaml"
    text = waivers.read_text(encoding="utf-8")
    hostile = '"peak season\\n::error::injected\\n::add-mask::secret\\n  ##[stop-commands]token"'
    original = "rationale: keep the doubled instances through the peak season (Black Friday"
    line = next(row for row in text.splitlines() if row.lstrip().startswith(original))
    waivers.write_text(text.replace(line, line[: line.index("rationale:")] + "rationale: " + hostile))
    runner = CliRunner()
    outputs = []
    for arguments in (
        ["check", str(repo), "--as-of", "2026-11-26"],
        ["check", str(repo), "--as-of", "2026-11-26", "--color"],
        ["explain", "routing-optimizer", str(repo), "--as-of", "2026-11-26"],
        ["validate", str(repo)],
    ):
        result = runner.invoke(cli.main, arguments, catch_exceptions=False)
        assert result.exit_code != cli.EXIT_INTERNAL, result.stderr
        outputs.append((result.stdout + result.stderr, "--color" in arguments))
    assert "peak season␊::error::injected" in outputs[0][0]
    for output, color in outputs:
        assert_inert(output, color=color)


@settings(max_examples=100, deadline=None)
@given(TEXT)
def test_machine_formats_carry_the_data_exactly_and_no_command(text: str) -> None:
    """JSON, SARIF and JUnit printed on a CI log: `##[` spelled `#\\u0023[` / `#&#35;[`, which every
    reader decodes back, so the data is the same and the runner sees no command."""
    report = report_with(text)
    markdown = render_markdown(report, None, fail_on=FailOn.NOT_YET)
    assert_inert(markdown.replace("\t", " "))
    for rendered in (render_json(report), render_sarif(report, None, fail_on=FailOn.NOT_YET)):
        assert "##[" not in rendered
        assert UNSAFE.search(rendered.replace("\n", "")) is None  # JSON escapes the rest itself
    assert "##[" not in render_junit(report, None, fail_on=FailOn.NOT_YET)
    assert json.loads(render_json(report)) == json.loads(json.dumps(report_to_dict(report)))

"""Hostile policy text: the work of parsing and checking stays proportional to the input, bounded by
generous CPU and memory ceilings (measured with `resource` and `tracemalloc`, never with a clock)."""

from __future__ import annotations

import resource
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from decisionlang.cli import main
from decisionlang.core.spans import SourceFile
from decisionlang.engine.project import load_project
from decisionlang.inputs.sources import SourceSet
from decisionlang.language.nesting import MAX_DEPTH
from decisionlang.language.parser import MAX_SYNTAX_ERRORS, parse_module
from decisionlang.language.patterns import BadPattern, compile_pattern, search

SIZE = 1_900_000  # just under the 2 MB policy file limit


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def bounded(cpu_seconds: float, megabytes: float) -> Iterator[None]:
    """Fail when the block uses more CPU time or a larger peak of Python memory than given."""
    tracemalloc.start()
    start = _cpu()
    try:
        yield
        spent = _cpu() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert spent < cpu_seconds, f"{spent:.1f} s of CPU, over the ceiling of {cpu_seconds} s"
    assert peak < megabytes * 2**20, f"{peak / 2**20:.0f} MiB at peak, over the ceiling of {megabytes} MiB"


def repeated(unit: str) -> str:
    return unit * (SIZE // len(unit))


# One bad token repeated over 1.9 MB used to be diagnosed once per token: 91 s of CPU for `@`,
# over 200 s for `)`, 11 s for `define`. Each kind of bad token, on one line and on many.
BAD_TOKENS = {
    "unknown character": "@",
    "closing parenthesis": ")",
    "closing brace": "}",
    "keyword": "define ",
    "number": "1 ",
    "operator line": "+\n",
    "unclosed text per line": '"\n',
    "unusual space": "\u00a0",
    "accented letters and symbols": "é€ ",
    "half a rule": "policy p { no_go when\n",
}


@pytest.mark.parametrize("unit", BAD_TOKENS.values(), ids=list(BAD_TOKENS))
def test_a_file_of_one_bad_token_is_refused_in_linear_time(unit: str) -> None:
    source = SourceFile("bad.policy", repeated(unit))
    with bounded(cpu_seconds=5, megabytes=200):
        module, diagnostics = parse_module(source)
    assert module is None
    assert 1 <= len(diagnostics) <= MAX_SYNTAX_ERRORS
    assert all(d.code.startswith("DL-PARSE-") and d.span is not None for d in diagnostics)


# A 1.9 MB text without its closing quote took 785 MiB (the lexer's regular expression kept a
# backtracking point per character); the same for a long run of escapes and of grouped digits.
LONG_TOKENS: dict[str, tuple[str, str]] = {
    "unclosed text": ('const x = "' + repeated("a"), "DL-PARSE-STRING"),
    "unclosed text of escapes": ('const x = "' + repeated('\\"'), "DL-PARSE-STRING"),
    "grouped digits": ("const x = " + repeated("1_") + "1", "DL-PARSE-RANGE"),
}


@pytest.mark.parametrize("case", LONG_TOKENS.values(), ids=list(LONG_TOKENS))
def test_a_long_token_is_read_in_bounded_memory(case: tuple[str, str]) -> None:
    text, code = case
    with bounded(cpu_seconds=5, megabytes=100):
        _, diagnostics = parse_module(SourceFile("long.policy", text))
    assert [d.code for d in diagnostics] == [code]
    assert (diagnostics[0].span.line, diagnostics[0].span.column) == (1, 11)


def _literal(text: str) -> Callable[[], Any]:
    return lambda: parse_module(SourceFile("n.policy", f"const x = {text}\n"))


@pytest.mark.parametrize(
    "text",
    ["1" + "0" * 309, "9" * 400, "1" * 5000, "1" * 320 + "%", "2" * 310 + ".5", "1" + "0" * 306 + " years"],
    ids=["1e309", "400 digits", "5000 digits", "percent", "decimal", "duration"],
)
def test_a_number_beyond_the_range_of_numbers_is_a_located_error(text: str) -> None:
    _, diagnostics = _literal(text)()
    assert [(d.code, d.span.line, d.span.column) for d in diagnostics if d.span] == [
        ("DL-PARSE-RANGE", 1, 11)
    ]
    assert "1.8 × 10³⁰⁸" in (diagnostics[0].help or "")
    assert "Exceeds" not in diagnostics[0].message and "inf" not in diagnostics[0].message


@pytest.mark.parametrize("text", ["1" + "0" * 308, "179" + "0" * 306, "0." + "0" * 400 + "1", "100%"])
def test_the_largest_numbers_are_accepted(text: str) -> None:
    module, diagnostics = _literal(text)()
    assert module is not None and diagnostics == []


# ---------------------------------------------------------------- depth, through definitions

SCHEMA = "schema {\n  n: number\n}\n"
STATES = "services:\n  - {name: a, owner: t, n: 5, depends_on: [b]}\n  - {name: b, owner: t, n: 5}\n"

# Each shape: a definition using the previous one, and the levels of expression it adds.
CHAINS: dict[str, tuple[Callable[[int], str], int]] = {
    "sum": (lambda i: f"define e{i} = e{i - 1} + 1", 2),
    "call": (lambda i: f"define e{i} = abs(e{i - 1})", 2),
    "extremum": (lambda i: f"define e{i} = max(e{i - 1}, 1)", 2),
    "negation": (lambda i: f"define e{i} = -(e{i - 1})", 2),
    "list": (lambda i: f"define e{i} = max([e{i - 1}, 1])", 3),
    "aggregate": (lambda i: f"define e{i} = sum(d in depends_on: e{i - 1})", 2),
    "condition": (lambda i: f"define e{i} = not (e{i - 1})", 2),
}


def chained_policy(shape: Callable[[int], str], count: int) -> str:
    first = "define e0 = n > 1" if shape(1).startswith("define e1 = not") else "define e0 = n"
    lines = [SCHEMA, first, *(shape(i) for i in range(1, count + 1))]
    test = f"e{count}" if first.endswith("> 1") else f"e{count} > 3"
    lines.append(f'policy p {{\n  no_go x when {test} because "{{e{count}}}" until "{{e{count}}}"\n}}\n')
    return "\n".join(lines)


def _project(tmp_path: Path, policy: str) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "services").mkdir()
    (tmp_path / "policies" / "p.policy").write_text(policy, encoding="utf-8")
    (tmp_path / "services" / "s.yaml").write_text(STATES, encoding="utf-8")
    return tmp_path


def _frames_below() -> int:
    """How many frames the stack holds under this call (pytest's, and a worker's under xdist)."""
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return depth


@pytest.mark.parametrize("shape", list(CHAINS))
def test_every_stage_runs_at_the_depth_limit_with_room_to_spare(shape: str, tmp_path: Path) -> None:
    """At the deepest a policy may go, every command and format runs with a third of Python's
    default stack (1000 frames): the checker, compiler, evaluator and traces all recurse over
    expressions, through definitions, and none may reach the limit."""
    define, levels = CHAINS[shape]
    root = _project(tmp_path, chained_policy(define, (MAX_DEPTH - 3) // levels))
    commands = [
        ["validate", str(root)],
        *(
            ["check", str(root), "--format", f]
            for f in ("text", "json", "markdown", "sarif", "junit", "github")
        ),
        ["explain", "a", str(root)],
        ["report", str(root), "-o", str(tmp_path / "report.html")],
    ]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_frames_below() + 370)  # 370 frames from here, however deep the runner is
    try:
        results = [CliRunner().invoke(main, command) for command in commands]
    finally:
        sys.setrecursionlimit(limit)
    for command, result in zip(commands, results, strict=True):
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            command,
            result.exception,
        )
        assert result.exit_code in (0, 1, 3), (command, result.output[-400:])


@pytest.mark.parametrize("shape", list(CHAINS))
def test_200_chained_definitions_are_a_located_error_naming_the_chain(shape: str) -> None:
    define, levels = CHAINS[shape]
    files = {"policies/p.policy": chained_policy(define, 200), "services/s.yaml": STATES}
    project = load_project(SourceSet.from_memory(files))
    errors = [d for d in project.diagnostics if d.is_error]
    first_too_deep = (MAX_DEPTH - 1) // levels + (
        1 if shape in ("sum", "call", "extremum", "negation") else 0
    )
    assert [d.code for d in errors] == ["DL-CHECK-LIMIT"]
    assert errors[0].span is not None and errors[0].span.path == "policies/p.policy"
    assert errors[0].span.text().startswith("e")
    assert "`e0`" in errors[0].message and f"more than the {MAX_DEPTH} allowed" in errors[0].message
    assert abs(int(errors[0].span.text()[1:]) - first_too_deep) <= 1


# One expression on one line, deeper than any walker could follow: refused before anything recurses
# (or, for parentheses, which add no level, accepted).
DEEP_LINES = {
    "not": ("not " * 10_000 + "n > 1", "DL-PARSE-LIMIT"),
    # 30,000 terms: 300 times the depth limit. Parsing is linear (Lark reads ~40,000 tokens a second
    # under tracemalloc, which `bounded` runs); 100,000 terms took 22 s of CPU here, over the ceiling
    # of runaway work on a loaded machine without saying anything more (tests/test_bad_inputs.py
    # has a 100,000-term file).
    "terms": (" + ".join(["n"] * 30_000) + " > 1", "DL-PARSE-LIMIT"),
    "calls": ("abs(" * 10_000 + "n" + ")" * 10_000 + " > 1", "DL-PARSE-LIMIT"),
    "lists": ("n in " + "[" * 10_000 + "1" + "]" * 10_000, "DL-PARSE-LIMIT"),
    "negations": ("-" * 10_000 + "n > 1", "DL-PARSE-LIMIT"),
    "conditionals": ("if n > 1 then " * 5_000 + "true" + " else false" * 5_000, "DL-PARSE-LIMIT"),
    "aggregates": ("all(d in depends_on: " * 2_000 + "true" + ")" * 2_000, "DL-PARSE-LIMIT"),
    "fields": ("n" + ".n" * 10_000 + " > 1", "DL-PARSE-LIMIT"),
    "message": ('true because "{' + "-" * 10_000 + 'n}"', "DL-PARSE-LIMIT"),
    "parentheses": ("(" * 10_000 + "n" + ")" * 10_000 + " > 1", None),
}


@pytest.mark.parametrize("case", DEEP_LINES.values(), ids=list(DEEP_LINES))
def test_a_deep_expression_on_one_line_never_overflows_the_stack(case: tuple[str, str | None]) -> None:
    condition, code = case
    files = {
        "policies/p.policy": f"{SCHEMA}policy p {{\n  no_go x when {condition}\n}}\n",
        "services/s.yaml": STATES,
    }
    with bounded(cpu_seconds=20, megabytes=500):
        project = load_project(SourceSet.from_memory(files))
    codes = [d.code for d in project.diagnostics if d.is_error]
    assert codes == ([code] if code else [])
    if code:
        assert project.diagnostics[0].span is not None and project.diagnostics[0].span.line == 5


# ---------------------------------------------------------------- regular expressions (RE2)

# Patterns from the literature on catastrophic backtracking: Python's `re` takes over a minute on
# `(a|a)*$` and 40 characters; RE2 is linear in the text whatever the pattern.
CATASTROPHIC = ["(a|a)*$", "(a+)+$", "(a|aa)+$", "(.*a){20}", "^(\\w+\\s?)*$", "(x+x+)+y"]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_run_in_linear_time(pattern: str) -> None:
    compiled = compile_pattern(pattern)
    assert not isinstance(compiled, BadPattern)
    with bounded(cpu_seconds=2, megabytes=50):
        for text in ("a" * 40 + "!", "a" * 100_000 + "!", "x" * 50_000, "é" * 50_000 + "!"):
            search(compiled, text)


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        ("^\\w+$", "criticité", True),
        ("^[\\w-]+$", "équipe-paiement", True),
        ("^\\w+$", "a b", False),
        ("^.{9}$", "criticité", True),
        ("\\d", "lot-٣", True),
        ("^\\D+$", "abc", True),
        ("^\\s$", "\u00a0", True),
        ("^\\S+$", "coût", True),
        ("^\\W$", "é", False),
        ("(?i)^CRITICITÉ$", "criticité", True),
        ("[]a]", "]", True),
        ("\\\\w", "\\w", True),  # an escaped backslash, then a plain w
        ("^[a-z]+-v[0-9]+$", "api-v2", True),
    ],
)
def test_matching_keeps_python_meaning_for_unicode_classes(pattern: str, text: str, found: bool) -> None:
    compiled = compile_pattern(pattern)
    assert not isinstance(compiled, BadPattern)
    assert search(compiled, text) is found


@pytest.mark.parametrize(
    ("pattern", "hint"),
    [
        ("(a)\\1", "backreferences"),
        ("(?P<x>a)(?P=x)", "RE2"),
        ("^pay(?=-api)", "lookahead"),
        ("(?<!x)y", "lookbehind"),
        ("(?>ab)", "atomic"),
        ("a*+", "possessive"),
        ("a\\Z", "\\z"),
        ("[\\S]", "outside brackets"),
        ("\\pL{1000}", "too large"),
        ("(unclosed", "RE2"),
    ],
)
def test_what_re2_refuses_is_explained(pattern: str, hint: str) -> None:
    refused = compile_pattern(pattern)
    assert isinstance(refused, BadPattern)
    assert hint in refused.help or hint in refused.message
    assert "b'" not in refused.message and "Error" not in refused.message


def test_a_text_that_is_not_unicode_is_not_a_crash() -> None:
    compiled = compile_pattern("a")
    assert not isinstance(compiled, BadPattern)
    assert search(compiled, "a\ud800") is None

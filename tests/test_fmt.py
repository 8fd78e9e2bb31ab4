"""`decisionlang fmt`: the canonical layout of policy files (decisionlang/language/formatter.py).

Goldens fix the layout (tests/fixtures/fmt/*.policy -> tests/golden/fmt/*.policy); properties check
on every shipped policy, on shipped policies with their spacing and comments shuffled, and on
generated policies that formatting keeps the meaning (the parsed declarations, spans aside) and
the comments (same texts, same order), and that formatting twice changes nothing more.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from decisionlang.cli import main
from decisionlang.core.spans import SourceFile
from decisionlang.language.formatter import FormatResult, comment_texts, format_policy
from decisionlang.language.parser import parse_concrete, parse_module
from tests.support import check_golden

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "fmt"
SHIPPED = sorted([*ROOT.glob("policies/**/*.policy"), *ROOT.glob("examples/**/*.policy")])
# Costly properties (each example formats a whole file two or three times): few examples, and no
# shrinking (a failing shipped file shrinks slowly; the example is reported as drawn).
_COSTLY = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow],
    "phases": [Phase.explicit, Phase.reuse, Phase.generate],
}
FEW = settings(max_examples=6, **_COSTLY)
SOME = settings(max_examples=25, **_COSTLY)


def declarations(text: str) -> object:
    module, diagnostics = parse_module(SourceFile("<text>", text))
    assert module is not None, diagnostics
    return module.declarations  # equality ignores spans


def formatted(text: str, width: int = 100) -> str:
    result = format_policy(text, width=width)
    assert result.text is not None, result.diagnostics
    return result.text


def assert_formats_faithfully(text: str) -> str:
    once = formatted(text)
    assert declarations(once) == declarations(text)
    assert comment_texts(once) == comment_texts(text)
    assert formatted(once) == once
    assert once == "" or (once.endswith("\n") and not once.endswith("\n\n"))
    assert "\r" not in once and not any(line != line.rstrip() for line in once.splitlines())
    return once


# ---------------------------------------------------------------- the library function


def test_signature_and_result() -> None:
    result = format_policy("const a=1\n", "a.policy", width=100)
    assert isinstance(result, FormatResult)
    assert result == FormatResult("const a = 1\n", ())


def test_a_file_that_does_not_parse_gives_the_parser_diagnostics() -> None:
    result = format_policy("policy p {\n  go when\n}\n", "bad.policy")
    assert result.text is None
    assert result.diagnostics
    assert result.diagnostics[0].where.startswith("bad.policy:3:")


def test_an_empty_file_stays_empty_and_line_endings_become_lf() -> None:
    assert formatted("") == ""
    assert formatted("\n\n  \n") == ""
    assert formatted("const a = 1\r\nconst b = 2") == "const a = 1\nconst b = 2\n"


def test_texts_names_and_numbers_are_kept_as_written() -> None:
    text = 'const coût_é = 12_000.50\ndefine 名前 "Titre « é »" = "x\\"y {coût_é}"\n'
    assert formatted(text) == text


def test_the_width_decides_where_lines_break() -> None:
    text = "define d = alpha and beta and gamma\n"
    assert formatted(text) == text
    assert formatted(text, width=20) == "define d =\n  alpha\n  and beta\n  and gamma\n"


@pytest.mark.parametrize("name", sorted(path.stem for path in FIXTURES.glob("*.policy")))
def test_layout_golden(name: str) -> None:
    """Layouts, comments in awkward places, `# fmt: off` regions: each fixture's canonical form."""
    text = (FIXTURES / f"{name}.policy").read_text(encoding="utf-8")
    once = assert_formats_faithfully(text)
    check_golden(f"fmt/{name}.policy", once)


def test_fmt_off_regions_are_kept_byte_for_byte() -> None:
    region = "# fmt: off\nconst   keep  =   [1,2,   3]   # as written\n# fmt: on\n"
    text = f"const  a = 1\n{region}const  b = 2\n"
    assert formatted(text) == f"const a = 1\n{region}const b = 2\n"
    unclosed = "policy p {\n  applies to all\n  # fmt: off\n  go   x   when   a\n}\n"
    assert formatted(unclosed) == unclosed


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: str(path.relative_to(ROOT)))
def test_shipped_policies_keep_their_meaning_and_comments(path: Path) -> None:
    assert_formats_faithfully(path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- properties


_SPACING = [" ", "  ", "\n", "\n\n", "\n\n\n", "\n    ", " # note\n", "\n# a line of its own\n\n"]


def _shuffled(text: str, seed: int) -> str:
    """TEXT with the spacing between its tokens changed and comments added (never inside a token
    or an existing comment), so it means the same."""
    concrete, _ = parse_concrete(SourceFile("<text>", text))
    assert concrete is not None
    chooser = random.Random(seed)
    pieces: list[str] = []
    position = 0
    for token in concrete.tokens:
        gap = text[position : token.start]
        if "#" not in gap and chooser.random() < 0.3:
            gap = chooser.choice(_SPACING)
        pieces += [gap, text[token.start : token.end]]
        position = token.end
    pieces.append(text[position:])
    return "".join(pieces)


@FEW
@given(st.sampled_from(SHIPPED), st.integers(0, 2**32))
def test_shipped_policies_reshuffled_format_faithfully(path: Path, seed: int) -> None:
    text = path.read_text(encoding="utf-8")
    shuffled = _shuffled(text, seed)
    assert declarations(shuffled) == declarations(text)
    assert_formats_faithfully(shuffled)


_NAMES = st.sampled_from(["a", "b", "tier", "cost.monthly_eur", "d.x", "名前", "kind"])
_LEAVES = st.one_of(
    _NAMES,
    st.sampled_from(
        ["1", "2.5", "15%", "1_000", '"text"', '"é {a}"', "2024-01-31", "3 days", "true", "today"]
    ),
)


def _compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binary = st.tuples(inner, st.sampled_from(["and", "or", "==", "<", "+", "*", "-", "??", "in"]), inner)
    return st.one_of(
        binary.map(lambda parts: " ".join(parts)),
        inner.map(lambda operand: f"({operand})"),
        inner.map(lambda operand: f"not {operand}"),
        inner.map(lambda operand: f"{operand} is present"),
        st.tuples(inner, inner, inner).map(lambda p: f"if {p[0]} then {p[1]} else {p[2]}"),
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(inner, max_size=3).map(lambda args: "max(" + ", ".join(args) + ")"),
        inner.map(lambda body: f"any(t in targets: {body})"),
    )


_EXPRESSIONS = st.recursive(_LEAVES, _compound, max_leaves=12)


@st.composite
def _policies(draw: st.DrawFn) -> str:
    """A small policy file from the grammar: constants, definitions, a policy of rules, with
    comments in some places (its meaning is not checked, only its syntax)."""
    lines: list[str] = []
    for number in range(draw(st.integers(0, 3))):
        lines.append(f"const c{number} = {draw(_EXPRESSIONS)}")
    for number in range(draw(st.integers(0, 2))):
        lines.append(f'define d{number} "Title" = {draw(_EXPRESSIONS)}')
    rules = []
    for number in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["go", "no_go", "not_yet", "warn"]))
        because = draw(
            st.sampled_from(["", ' because "why {a}"', ' because "a long reason ' + "x" * 60 + '"'])
        )
        rules.append(f"  {kind} r{number} when {draw(_EXPRESSIONS)}{because}")
    lines.append("policy p {\n  applies to all\n" + "\n".join(rules) + "\n}")
    comment_at = draw(st.lists(st.integers(0, len(lines)), max_size=3))
    for index in sorted(comment_at, reverse=True):
        lines.insert(index, f"# comment {index}")
    separator = draw(st.sampled_from(["\n", "\n\n", "\n\n\n"]))
    return separator.join(lines) + "\n"


@SOME
@given(_policies())
def test_generated_policies_format_faithfully(text: str) -> None:
    module, diagnostics = parse_module(SourceFile("<text>", text))
    if module is None or any(d.is_error for d in diagnostics):  # a drawn text the parser refuses
        assert format_policy(text).text is None
        return
    assert_formats_faithfully(text)
    assert_formats_faithfully(_shuffled(text, len(text)))


# ---------------------------------------------------------------- the command


def _project(tmp_path: Path) -> Path:
    (tmp_path / "policies" / ".hidden").mkdir(parents=True)
    (tmp_path / "policies" / "good.policy").write_text("const a = 1\n", encoding="utf-8")
    (tmp_path / "policies" / "messy.policy").write_text("const  b=2 # two\n", encoding="utf-8")
    (tmp_path / "policies" / "bad.policy").write_text("policy p {\n  go when\n}\n", encoding="utf-8")
    (tmp_path / "policies" / ".hidden" / "skipped.policy").write_text("const  c=3\n", encoding="utf-8")
    return tmp_path


def test_fmt_rewrites_in_place_and_reports_what_does_not_parse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(_project(tmp_path))
    result = CliRunner().invoke(main, ["fmt"])
    assert result.exit_code == 2
    assert "policies/bad.policy:3:1: error[DL-PARSE-TOKEN]" in result.stderr
    assert "reformatted policies/messy.policy" in result.stderr
    assert (tmp_path / "policies" / "messy.policy").read_text(encoding="utf-8") == "const b = 2  # two\n"
    assert (tmp_path / "policies" / ".hidden" / "skipped.policy").read_text(
        encoding="utf-8"
    ) == "const  c=3\n"
    assert "1 file reformatted, 1 unchanged, 1 file could not be formatted" in result.stderr


def test_fmt_check_lists_what_would_change_and_writes_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "policies" / "bad.policy").unlink()
    before = (project / "policies" / "messy.policy").read_bytes()
    result = CliRunner().invoke(main, ["fmt", "--check", str(project / "policies")])
    assert result.exit_code == 1
    assert result.stdout == f"{(project / 'policies' / 'messy.policy').as_posix()}\n"
    assert (project / "policies" / "messy.policy").read_bytes() == before
    clean = CliRunner().invoke(main, ["fmt", "--check", str(project / "policies" / "good.policy")])
    assert clean.exit_code == 0 and clean.stdout == ""


def test_fmt_diff_prints_a_unified_diff_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(_project(tmp_path))
    result = CliRunner().invoke(main, ["fmt", "--diff", "policies/messy.policy"])
    assert result.exit_code == 0
    assert result.stdout == (
        "--- a/policies/messy.policy\n+++ b/policies/messy.policy\n@@ -1 +1 @@\n"
        "-const  b=2 # two\n+const b = 2  # two\n"
    )
    assert (tmp_path / "policies" / "messy.policy").read_text(encoding="utf-8") == "const  b=2 # two\n"


def test_fmt_reads_standard_input_and_writes_standard_output() -> None:
    result = CliRunner().invoke(main, ["fmt", "-"], input="const  x=[1,2]\n")
    assert result.exit_code == 0
    assert result.stdout == "const x = [1, 2]\n"
    broken = CliRunner().invoke(main, ["fmt", "-"], input="const = 1\n")
    assert broken.exit_code == 2 and broken.stdout == ""
    assert "<stdin>:1:7: error" in broken.stderr


def test_fmt_reports_a_file_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "latin1.policy").write_bytes("const é = 1\n".encode("latin-1"))
    result = CliRunner().invoke(
        main, ["fmt", str(tmp_path / "missing.policy"), str(tmp_path / "latin1.policy")]
    )
    assert result.exit_code == 2
    assert "DL-FMT-READ" in result.stderr and "is not UTF-8 text" in result.stderr

"""The prebuilt parser shipped next to the grammar (grammar/decisionlang.lark-parser): it is the one
of today's grammar and Lark, it parses every policy of the repo as a fresh build does, and a stale or
damaged one is never used. After a grammar change, `make parser` rewrites it."""

from __future__ import annotations

from pathlib import Path

import pytest
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedInput

from decisionlang.language import parser

ROOT = Path(__file__).parent.parent
POLICIES = sorted(path for path in ROOT.rglob("*.policy") if ".git" not in path.parts)
BROKEN = [
    'policy p "x" {\n  applies to kind service\n  no_go r when a >= because "x"\n}\n',
    "scale s { a < b \n",
    'policy p "x" { applies to kind service go r when 1 +* 2 because "x" }',
    "schema { x: number 0..\n}",
]


@pytest.fixture(scope="module")
def fresh() -> Lark:
    return parser._build(parser._grammar_text(), strict=False, cache=False)


@pytest.fixture(scope="module")
def prebuilt() -> Lark:
    loaded = parser._load_prebuilt(parser._grammar_text())
    assert loaded is not None, (
        "grammar/decisionlang.lark-parser is not the parser of grammar/decisionlang.lark for this "
        "version of Lark: run `make parser` and commit the file"
    )
    return loaded


def test_the_runs_parser_is_the_prebuilt_one() -> None:
    assert parser._lark() is not None
    header = parser._prebuilt_header(parser._grammar_text())
    assert parser._grammar_file(parser.PREBUILT_FILE).read_bytes().startswith(header)


def _tokens(tree: Tree[Token]) -> list[tuple[str, str, int | None, int | None, int | None, int | None]]:
    return [
        (token.type, str(token), token.line, token.column, token.end_line, token.end_column)
        for token in tree.scan_values(lambda value: isinstance(value, Token))
    ]


def _shape(tree: Tree[Token]) -> list[tuple[str, int, int]]:
    return [
        (str(node.data), node.meta.line, node.meta.column)
        for node in tree.iter_subtrees()
        if not node.meta.empty
    ]


@pytest.mark.parametrize("path", POLICIES, ids=[str(path.relative_to(ROOT)) for path in POLICIES])
def test_every_policy_parses_as_with_a_fresh_build(path: Path, fresh: Lark, prebuilt: Lark) -> None:
    text = path.read_text(encoding="utf-8")
    expected = fresh.parse(text, start="start")
    actual = prebuilt.parse(text, start="start")
    assert actual == expected
    assert _tokens(actual) == _tokens(expected)
    assert _shape(actual) == _shape(expected)


@pytest.mark.parametrize("text", BROKEN)
def test_syntax_errors_are_the_same(text: str, fresh: Lark, prebuilt: Lark) -> None:
    errors = []
    for built in (fresh, prebuilt):
        with pytest.raises(UnexpectedInput) as raised:
            built.parse(text, start="start")
        error = raised.value
        errors.append((type(error), error.line, error.column, sorted(getattr(error, "expected", ()) or ())))
    assert errors[0] == errors[1]


@pytest.mark.parametrize("damage", ["stale grammar", "other lark", "payload", "empty"])
def test_a_stale_or_damaged_prebuilt_parser_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    grammar = parser._grammar_text()
    data = parser._grammar_file(parser.PREBUILT_FILE).read_bytes()
    if damage == "stale grammar":
        data = data.replace(b"grammar ", b"grammar 0", 1)
    elif damage == "other lark":
        data = data.replace(b"lark ", b"lark 0.", 1)
    elif damage == "payload":
        data = data[:-100] + bytes(100)
    else:
        data = b""
    (tmp_path / parser.PREBUILT_FILE).write_bytes(data)
    monkeypatch.setattr(parser, "_grammar_file", lambda name: tmp_path / name)
    assert parser._load_prebuilt(grammar) is None


def test_make_parser_writes_a_loadable_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    grammar = parser._grammar_text()
    (tmp_path / parser.GRAMMAR_FILE).write_text(grammar, encoding="utf-8")
    written = parser.write_prebuilt_parser(tmp_path)
    assert written == tmp_path / parser.PREBUILT_FILE
    assert sorted(path.name for path in tmp_path.iterdir()) == [parser.GRAMMAR_FILE, parser.PREBUILT_FILE]
    monkeypatch.setattr(parser, "_grammar_file", lambda name: tmp_path / name)
    loaded = parser._load_prebuilt(grammar)
    assert loaded is not None
    assert loaded.parse("scale s { a < b }\n", start="start") == Lark.parse(
        parser._build(grammar, strict=False, cache=False), "scale s { a < b }\n", start="start"
    )

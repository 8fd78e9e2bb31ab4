"""`decisionlang fmt`: the canonical layout of policy files (decisionlang/language/formatter.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from decisionlang.core.spans import SourceFile
from decisionlang.language.formatter import FormatResult, comment_texts, format_policy
from decisionlang.language.parser import parse_module

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted([*ROOT.glob("policies/**/*.policy"), *ROOT.glob("examples/**/*.policy")])


def declarations(text: str) -> object:
    module, diagnostics = parse_module(SourceFile("<text>", text))
    assert module is not None, diagnostics
    return module.declarations  # equality ignores spans


def formatted(text: str, width: int = 100) -> str:
    result = format_policy(text, width=width)
    assert result.text is not None, result.diagnostics
    return result.text


def test_signature_and_result() -> None:
    result = format_policy("const a=1\n", "a.policy", width=100)
    assert isinstance(result, FormatResult)
    assert result == FormatResult("const a = 1\n", ())


def test_a_file_that_does_not_parse_gives_the_parser_diagnostics() -> None:
    result = format_policy("policy p {\n  go when\n}\n", "bad.policy")
    assert result.text is None
    assert result.diagnostics
    assert result.diagnostics[0].where.startswith("bad.policy:3:")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: str(path.relative_to(ROOT)))
def test_shipped_policies_keep_their_meaning_and_comments(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    once = formatted(text)
    assert declarations(once) == declarations(text)
    assert comment_texts(once) == comment_texts(text)
    assert formatted(once) == once

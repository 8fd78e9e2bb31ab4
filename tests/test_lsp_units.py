"""`decisionlang lsp` without a client: the command without the extra, and the conversion of
positions between the project's code point columns and LSP's units."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from decisionlang.api import SourceSet
from decisionlang.cli import main
from decisionlang.language.parser import expected_at
from decisionlang.lsp.positions import UTF8, UTF16, UTF32, from_client, to_client


def test_without_the_extra_the_command_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pygls", None)  # as if it were not installed
    result = CliRunner().invoke(main, ["lsp"])
    assert result.exit_code == 2
    assert "pip install 'decisionlang[lsp]'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("encoding", "expected"), [(UTF16, [0, 1, 2, 4, 5]), (UTF8, [0, 1, 3, 7, 8]), (UTF32, [0, 1, 2, 3, 4])]
)
def test_positions_round_trip(encoding: str, expected: list[int]) -> None:
    line = "aé😀b"
    assert [to_client(line, column, encoding) for column in range(1, 6)] == expected
    assert [from_client(line, character, encoding) for character in expected] == [0, 1, 2, 3, 4]


def test_edits_are_read_over_the_disk(tmp_path: Path) -> None:
    """An editor's unsaved text is read instead of the file; a path with no file is not discovered."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "a.policy").write_text("const x = 1\n", encoding="utf-8")
    edits = {"policies/a.policy": "const x = 2\n", "policies/new.policy": "const y = 3\n"}
    files = SourceSet.from_disk(tmp_path, edits=edits)
    assert [(f.path, f.text) for f in files.policies] == [("policies/a.policy", "const x = 2\n")]
    assert SourceSet.from_disk(tmp_path).policies[0].text == "const x = 1\n"


def test_expected_at_lists_what_the_grammar_accepts() -> None:
    assert expected_at("") == frozenset(
        {"const", "criteria", "define", "import", "maturity", "policy", "scale", "schema", "tradeoff"}
    )
    inside = expected_at('policy x "t" {\n  no_go a when ')
    assert inside is not None and {"NAME", "not", "true", "("} <= inside and "policy" not in inside
    assert expected_at("policy x { ) ") is None  # a syntax error before the cursor


def test_the_library_log_is_one_line_without_traceback() -> None:
    """pygls logs a malformed message from the client with its traceback: ours writes one line."""
    from decisionlang.lsp.server import _OneLine

    try:
        raise ValueError("Expecting property name")
    except ValueError:
        record = logging.LogRecord(
            "pygls", logging.ERROR, __file__, 1, "Unable to handle message", None, sys.exc_info()
        )
    assert _OneLine().format(record) == (
        "decisionlang lsp: Unable to handle message: ValueError('Expecting property name')"
    )

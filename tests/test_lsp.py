"""`decisionlang lsp` end to end: a real LSP client (pytest-lsp) drives the server over stdio.

One server serves the whole module (starting one costs about a second); each test works on its
own files of a copy of examples/quickstart, so the tests do not depend on each other's order.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "quickstart"
pytestmark = pytest.mark.asyncio(loop_scope="module")
WAIT = 30.0  # seconds a test waits for the server's diagnostics: a bound on a hang, not a speed target


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lsp") / "quickstart"
    shutil.copytree(EXAMPLE, root)
    return root


@pytest_lsp.fixture(
    scope="module", config=ClientServerConfig(server_command=[sys.executable, "-m", "decisionlang", "lsp"])
)
async def client(lsp_client: LanguageClient, project: Path) -> AsyncIterator[None]:
    params = types.InitializeParams(
        capabilities=types.ClientCapabilities(), root_uri=project.as_uri(), process_id=None
    )
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


# ---------------------------------------------------------------- helpers


async def diagnostics_of(
    client: LanguageClient, uri: str, *, until: object = None, timeout: float = WAIT
) -> list[types.Diagnostic]:
    """The diagnostics the server published for URI, once it has (and, with UNTIL a predicate,
    once they satisfy it)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        published = client.diagnostics.get(uri)
        found = list(published) if published is not None else None
        if found is not None and (until is None or until(found)):  # type: ignore[operator]
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"no diagnostics as expected for {uri}: {found}")
        await asyncio.sleep(0.02)


def open_document(client: LanguageClient, path: Path, text: str, language: str = "decisionlang") -> str:
    uri = path.as_uri()
    client.diagnostics.pop(uri, None)
    item = types.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
    client.text_document_did_open(types.DidOpenTextDocumentParams(item))
    return uri


def change_document(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.diagnostics.pop(uri, None)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def close_document(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))


def codes(diagnostics: Sequence[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


def checks(diagnostics: Sequence[types.Diagnostic]) -> list[types.Diagnostic]:
    """The parser's, checker's and loader's diagnostics (`DL-...`), without lint's findings."""
    return [d for d in diagnostics if str(d.code).startswith("DL-")]


# ---------------------------------------------------------------- diagnostics


async def test_a_clean_document_has_no_diagnostics(client: LanguageClient, project: Path) -> None:
    path = project / "policies" / "vocabulary.policy"
    uri = open_document(client, path, path.read_text(encoding="utf-8"))
    assert checks(await diagnostics_of(client, uri)) == []
    close_document(client, uri)


async def test_a_syntax_error_as_you_type_then_cleared(client: LanguageClient, project: Path) -> None:
    path = project / "policies" / "production.policy"
    text = path.read_text(encoding="utf-8")
    uri = open_document(client, path, text)
    assert checks(await diagnostics_of(client, uri)) == []
    broken = text.replace("enforcement hard", "enforcement hard\n  no_go when (")
    change_document(client, uri, broken, 2)
    found = await diagnostics_of(
        client, uri, until=lambda ds: any(str(d.code).startswith("DL-PARSE") for d in ds)
    )
    assert [d.code for d in found][:1] and str(found[0].code).startswith("DL-PARSE")
    assert found[0].severity == types.DiagnosticSeverity.Error
    assert found[0].source == "decisionlang"
    change_document(client, uri, text, 3)
    await diagnostics_of(client, uri, until=lambda ds: not checks(ds))
    close_document(client, uri)


async def test_a_check_error_across_files_uses_unsaved_text(client: LanguageClient, project: Path) -> None:
    """Removing a field from the (unsaved) vocabulary makes the rule that reads it wrong in the
    other file, which the client never changed."""
    vocabulary = project / "policies" / "vocabulary.policy"
    production = project / "policies" / "production.policy"
    text = vocabulary.read_text(encoding="utf-8")
    without = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("on_call:"))
    vocabulary_uri = open_document(client, vocabulary, without)
    found = await diagnostics_of(
        client, production.as_uri(), until=lambda ds: "DL-CHECK-UNDEFINED" in codes(ds)
    )
    assert "DL-CHECK-UNDEFINED" in codes(found)
    where = next(d for d in found if d.code == "DL-CHECK-UNDEFINED")
    line = production.read_text(encoding="utf-8").splitlines()[where.range.start.line]
    assert line[where.range.start.character : where.range.end.character] == "on_call"
    close_document(client, vocabulary_uri)  # the disk's text again: fixed
    await diagnostics_of(client, production.as_uri(), until=lambda ds: not checks(ds))


async def test_state_yaml_diagnostics(client: LanguageClient, project: Path) -> None:
    path = project / "services" / "crm.yaml"
    text = path.read_text(encoding="utf-8")
    uri = open_document(client, path, text, language="yaml")
    assert await diagnostics_of(client, uri) == []
    change_document(client, uri, text.replace("tier: ", "tier: 7 #", 1), 2)
    found = await diagnostics_of(client, uri, until=lambda ds: ds != [])
    assert all(str(d.code).startswith("DL-STATE") for d in found), found
    change_document(client, uri, text, 3)
    assert await diagnostics_of(client, uri, until=lambda ds: ds == []) == []
    close_document(client, uri)


async def test_ranges_count_utf16_units(client: LanguageClient, project: Path) -> None:
    """An accented name and an emoji before the error: the range is in UTF-16 code units."""
    path = project / "policies" / "production.policy"
    text = path.read_text(encoding="utf-8")
    line = '  warn émoji when nosuchfield because "😀 {criticality}"'
    broken = text.replace("enforcement advisory", f"enforcement advisory\n{line}")
    uri = open_document(client, path, broken)
    found = await diagnostics_of(client, uri, until=lambda ds: "DL-CHECK-UNDEFINED" in codes(ds))
    undefined = [d for d in found if d.code == "DL-CHECK-UNDEFINED"]
    assert undefined, found
    start = line.index("nosuchfield")
    assert undefined[0].range.start.character == start  # é is one UTF-16 unit
    assert undefined[0].range.end.character == start + len("nosuchfield")
    emoji = '  warn late when criticality == "😀" + nosuchfield because "x"'
    change_document(client, uri, text.replace("enforcement advisory", f"enforcement advisory\n{emoji}"), 2)
    found = await diagnostics_of(
        client, uri, until=lambda ds: any(d.code == "DL-CHECK-UNDEFINED" for d in ds)
    )
    undefined = [d for d in found if d.code == "DL-CHECK-UNDEFINED"]
    assert undefined[0].range.start.character == emoji.index("nosuchfield") + 1  # 😀 is two units
    change_document(client, uri, text, 3)
    await diagnostics_of(client, uri, until=lambda ds: not checks(ds))
    close_document(client, uri)


async def test_a_policy_outside_the_project_is_parsed(client: LanguageClient, project: Path) -> None:
    path = project / "drafts" / "idea.policy"
    path.parent.mkdir(exist_ok=True)
    uri = open_document(client, path, 'policy idea "x" {\n  applies to\n}\n')
    found = await diagnostics_of(client, uri, until=lambda ds: ds != [])
    assert str(found[0].code).startswith("DL-PARSE")
    close_document(client, uri)
    assert await diagnostics_of(client, uri, until=lambda ds: ds == []) == []


async def test_a_document_that_is_no_file_is_ignored(client: LanguageClient, project: Path) -> None:
    """An untitled buffer: nothing is published, nothing breaks; the server still answers."""
    item = types.TextDocumentItem(uri="untitled:Untitled-1", language_id="decisionlang", version=1, text="{{")
    client.text_document_did_open(types.DidOpenTextDocumentParams(item))
    path = project / "policies" / "vocabulary.policy"
    uri = open_document(client, path, path.read_text(encoding="utf-8"))
    assert checks(await diagnostics_of(client, uri)) == []
    assert "untitled:Untitled-1" not in client.diagnostics
    close_document(client, uri)


# ---------------------------------------------------------------- hover, definition, references


def position_of(path: Path, needle: str, occurrence: int = 0, offset: int = 1) -> types.Position:
    """Where NEEDLE's OFFSET-th character stands in PATH (its OCCURRENCE-th appearance)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    seen = 0
    for number, line in enumerate(lines):
        start = line.find(needle)
        while start >= 0:
            if seen == occurrence:
                return types.Position(number, start + offset)
            seen += 1
            start = line.find(needle, start + 1)
    raise AssertionError(f"{needle!r} not in {path}")


async def opened(client: LanguageClient, path: Path) -> str:
    uri = open_document(client, path, path.read_text(encoding="utf-8"))
    await diagnostics_of(client, uri)
    return uri


async def hover_text(client: LanguageClient, uri: str, position: types.Position) -> str:
    result = await client.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), position)
    )
    assert result is not None
    assert isinstance(result.contents, types.MarkupContent)
    return result.contents.value


async def test_hover_a_field_shows_its_declaration(client: LanguageClient, project: Path) -> None:
    path = project / "policies" / "production.policy"
    uri = await opened(client, path)
    text = await hover_text(client, uri, position_of(path, "risk.security >= 8", offset=6))
    assert "risk.security: integer 0..10" in text
    assert "Security risk, 0 to 10" in text
    assert "policies/vocabulary.policy:10" in text
    text = await hover_text(client, uri, position_of(path, "criticality >= high", offset=16))
    assert "high  (scale criticality)" in text and "value 3 of 4" in text
    close_document(client, uri)


async def test_hover_a_rule_says_what_it_decides(client: LanguageClient, project: Path) -> None:
    path = project / "policies" / "production.policy"
    uri = await opened(client, path)
    text = await hover_text(client, uri, position_of(path, "no_go unsupported", offset=8))
    assert "no_go change_readiness.unsupported" in text
    assert "fires for 1 subject: legacy-crm" in text
    text = await hover_text(client, uri, position_of(path, "go worth_it", offset=4))
    assert "fires for 3 subjects: ledger-db, payments-api, website" in text
    assert "undecided (missing information) for 1: data-lake" in text
    close_document(client, uri)


async def test_definition_and_references(client: LanguageClient, project: Path) -> None:
    production = project / "policies" / "production.policy"
    vocabulary = project / "policies" / "vocabulary.policy"
    uri = await opened(client, production)
    where = position_of(production, "score(value_case)", offset=8)
    found = await client.text_document_definition_async(
        types.DefinitionParams(types.TextDocumentIdentifier(uri), where)
    )
    assert isinstance(found, list) and len(found) == 1
    assert found[0].uri == vocabulary.as_uri()
    assert found[0].range.start == position_of(vocabulary, "value_case", offset=0)
    references = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri),
            position=position_of(production, "criticality >= high", offset=16),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert references is not None
    places = [(r.uri.rsplit("/", 1)[-1], r.range.start.line) for r in references]
    assert places[0] == ("vocabulary.policy", 2)  # the scale's value, declared first
    assert sum(1 for name, _ in places if name == "production.policy") == 2  # `>= high` twice
    close_document(client, uri)


# ---------------------------------------------------------------- symbols, formatting, lenses, commands


async def test_document_symbols_outline_the_file(client: LanguageClient, project: Path) -> None:
    path = project / "policies" / "vocabulary.policy"
    uri = await opened(client, path)
    found = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(uri))
    )
    assert found is not None
    names = [(symbol.name, symbol.kind) for symbol in found]  # type: ignore[union-attr]
    assert names[0] == ("criticality", types.SymbolKind.Enum)
    assert ("risk.security", types.SymbolKind.Field) in names
    assert ("value_case", types.SymbolKind.Struct) in names
    scale = found[0]
    assert isinstance(scale, types.DocumentSymbol) and scale.children is not None
    assert [value.name for value in scale.children] == ["low", "medium", "high", "critical"]
    close_document(client, uri)


async def test_formatting_gives_the_canonical_layout(client: LanguageClient, project: Path) -> None:
    path = project / "policies" / "production.policy"
    text = path.read_text(encoding="utf-8")
    messy = text.replace("  enforcement hard", "        enforcement     hard")
    uri = open_document(client, path, messy)
    await diagnostics_of(client, uri)
    options = types.FormattingOptions(tab_size=2, insert_spaces=True)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(types.TextDocumentIdentifier(uri), options)
    )
    assert edits is not None and len(edits) == 1
    assert "\n  enforcement hard\n" in edits[0].new_text
    assert edits[0].range.start == types.Position(0, 0)
    change_document(client, uri, edits[0].new_text, 2)
    again = await client.text_document_formatting_async(
        types.DocumentFormattingParams(types.TextDocumentIdentifier(uri), options)
    )
    assert again is not None and list(again) == []  # already canonical
    close_document(client, uri)


async def test_code_lenses_and_their_commands(client: LanguageClient, project: Path) -> None:
    path = project / "policies" / "production.policy"
    uri = await opened(client, path)
    lenses = await client.text_document_code_lens_async(
        types.CodeLensParams(types.TextDocumentIdentifier(uri))
    )
    assert lenses is not None
    titles = [lens.command.title for lens in lenses if lens.command is not None]
    assert titles[:3] == ["explain on subject…", "run tests", "explain on subject… (fires for 1)"]
    unsupported = lenses[2].command
    assert unsupported is not None and unsupported.arguments is not None
    assert unsupported.arguments[0]["subjects"][0] == "legacy-crm"
    argument = {**unsupported.arguments[0], "subject": "legacy-crm"}
    text = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=unsupported.command, arguments=[argument])
    )
    assert isinstance(text, str) and "legacy-crm" in text and "NO-GO" in text
    tests = lenses[1].command
    assert tests is not None
    report = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=tests.command, arguments=tests.arguments)
    )
    assert isinstance(report, str) and report  # the quickstart has no tests: the report says so
    asked = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=unsupported.command, arguments=[{"uri": uri}])
    )
    assert isinstance(asked, str) and "name the subject" in asked and "legacy-crm" in asked
    close_document(client, uri)


# ---------------------------------------------------------------- completion


async def complete_at(
    client: LanguageClient, uri: str, position: types.Position
) -> list[types.CompletionItem]:
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), position)
    )
    assert isinstance(result, types.CompletionList)
    return list(result.items)


async def test_completion_offers_keywords_fields_and_values(client: LanguageClient, project: Path) -> None:
    path = project / "policies" / "production.policy"
    text = path.read_text(encoding="utf-8")
    typing = text.replace("  enforcement advisory\n", "  enforcement advisory\n  warn late when risk.se\n")
    uri = open_document(client, path, text)
    await diagnostics_of(client, uri)
    change_document(client, uri, typing, 2)
    line = typing.splitlines().index("  warn late when risk.se")
    items = await complete_at(client, uri, types.Position(line, len("  warn late when risk.se")))
    labels = [item.label for item in items]
    assert "risk.security" in labels and "tier" not in labels  # the fields under `risk.`
    field = next(item for item in items if item.label == "risk.security")
    assert field.detail == "integer 0..10" and field.documentation == "Security risk, 0 to 10"
    assert isinstance(field.text_edit, types.TextEdit)
    assert field.text_edit.range.start == types.Position(line, len("  warn late when "))
    items = await complete_at(client, uri, types.Position(line, len("  warn late when ")))
    labels = [item.label for item in items]
    assert {"tier", "high", "value_case", "not", "true", "any"} <= set(labels)
    assert "policy" not in labels  # a keyword the grammar does not accept there
    items = await complete_at(client, uri, types.Position(line, 0))
    keywords = {item.label for item in items if item.kind == types.CompletionItemKind.Keyword}
    assert {"no_go", "warn", "otherwise", "enforcement"} <= keywords
    close_document(client, uri)


# ---------------------------------------------------------------- bad documents


BAD_TEXTS = [
    "\x00\x01 policy \ufffd {{{{",
    "(" * 5_000,  # deeper than the parser's nesting limit
    'policy p "t" {\r  no_go x when tier > \r}\r',  # lone carriage returns
    "schema {\n  a: integer 5..1\n}\npolicy p {\n  applies to kind service\n  warn when a > 1\n}\n",
    "😀" * 300 + "\n" + "é" * 300,
]


async def test_bad_documents_never_stop_the_server(client: LanguageClient, project: Path) -> None:
    """Every request on every bad text is answered (with something or nothing), and the server
    still serves a good document afterwards."""
    path = project / "policies" / "bad.policy"
    path.write_text("", encoding="utf-8")  # a file of the project: checked with the others
    try:
        uri = open_document(client, path, "")
        for version, text in enumerate(BAD_TEXTS, 2):
            change_document(client, uri, text, version)
            await diagnostics_of(client, uri)
            identifier = types.TextDocumentIdentifier(uri)
            for position in (
                types.Position(0, 0),
                types.Position(0, 3),
                types.Position(1, 400),
                types.Position(99, 0),
            ):
                await client.text_document_hover_async(types.HoverParams(identifier, position))
                await client.text_document_completion_async(types.CompletionParams(identifier, position))
                await client.text_document_definition_async(types.DefinitionParams(identifier, position))
            await client.text_document_document_symbol_async(types.DocumentSymbolParams(identifier))
            await client.text_document_code_lens_async(types.CodeLensParams(identifier))
            options = types.FormattingOptions(tab_size=2, insert_spaces=True)
            await client.text_document_formatting_async(types.DocumentFormattingParams(identifier, options))
        close_document(client, uri)
    finally:
        path.unlink()
    good = project / "policies" / "vocabulary.policy"
    good_uri = await opened(client, good)
    assert "risk.security" in await hover_text(
        client, good_uri, position_of(good, "risk.security:", offset=2)
    )
    errors = [m.message for m in client.log_messages if m.type == types.MessageType.Error]
    assert errors == [], errors[:1]
    close_document(client, good_uri)


async def test_lint_findings_are_diagnostics(client: LanguageClient, project: Path) -> None:
    """`decisionlang lint`'s findings, at their configured severity, with a link to the rule."""
    path = project / "policies" / "production.policy"
    uri = await opened(client, path)
    found = await diagnostics_of(client, uri, until=lambda ds: "L501" in codes(ds))
    untested = next(d for d in found if d.code == "L501")
    assert "has no test" in untested.message
    assert untested.severity == types.DiagnosticSeverity.Warning
    assert untested.code_description is not None and "l501" in untested.code_description.href
    vocabulary = project / "policies" / "vocabulary.policy"
    found = await diagnostics_of(client, vocabulary.as_uri(), until=lambda ds: "L304" in codes(ds))
    assert next(d for d in found if d.code == "L304").severity == types.DiagnosticSeverity.Information
    close_document(client, uri)


async def test_hover_and_definition_in_a_state_file(client: LanguageClient, project: Path) -> None:
    """A key of a state file: the field it writes (its type, range, description), its declaration."""
    path = project / "services" / "crm.yaml"
    uri = open_document(client, path, path.read_text(encoding="utf-8"), language="yaml")
    await diagnostics_of(client, uri)
    text = await hover_text(client, uri, position_of(path, "security: 6", offset=3))
    assert "risk.security: integer 0..10" in text and "Security risk, 0 to 10" in text
    text = await hover_text(client, uri, position_of(path, "risk:", offset=1))
    assert "risk  (group of 2 fields)" in text and "`risk.compliance`" in text
    found = await client.text_document_definition_async(
        types.DefinitionParams(types.TextDocumentIdentifier(uri), position_of(path, "security: 6", offset=3))
    )
    vocabulary = project / "policies" / "vocabulary.policy"
    assert isinstance(found, list) and found[0].uri == vocabulary.as_uri()
    assert found[0].range.start == position_of(vocabulary, "risk.security:", offset=0)
    close_document(client, uri)


TEST_FILE = """\
as_of: 2026-11-26
cases:
  - name: a service out of vendor support is NO-GO
    states: [../../services/crm.yaml]
    expect:
      verdict: no-go
  - name: it is wrongly expected to go
    states: [../../services/crm.yaml]
    expect:
      verdict: go
"""


async def test_policy_tests_are_run_while_a_test_file_is_open(client: LanguageClient, project: Path) -> None:
    """A failing case is an error at its line; a mistake in the test file is located; fixed, clear."""
    path = project / "policies" / "tests" / "production.test.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(TEST_FILE, encoding="utf-8")
    try:
        uri = open_document(client, path, TEST_FILE, language="yaml")
        found = await diagnostics_of(client, uri, until=lambda ds: "DL-TEST-FAILED" in codes(ds))
        failed = next(d for d in found if d.code == "DL-TEST-FAILED")
        assert failed.range.start.line == TEST_FILE.splitlines().index(
            "  - name: it is wrongly expected to go"
        )
        assert "expected verdict go, got no-go" in failed.message
        change_document(client, uri, TEST_FILE.replace("verdict: go", "verdcit: go"), 2)
        found = await diagnostics_of(client, uri, until=lambda ds: "DL-TEST-KEY" in codes(ds))
        change_document(client, uri, TEST_FILE.replace("verdict: go", "verdict: no-go"), 3)
        await diagnostics_of(client, uri, until=lambda ds: not checks(ds))
        close_document(client, uri)
    finally:
        path.unlink()


async def test_references_of_a_field_include_the_state_files(client: LanguageClient, project: Path) -> None:
    path = project / "services" / "crm.yaml"
    uri = open_document(client, path, path.read_text(encoding="utf-8"), language="yaml")
    await diagnostics_of(client, uri)
    references = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri),
            position=position_of(path, "security: 6", offset=2),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    assert references is not None
    files = [r.uri.rsplit("/", 1)[-1] for r in references]
    assert "production.policy" in files and "vocabulary.policy" in files  # the rules, the criteria
    assert "crm.yaml" in files and "payments.yaml" in files  # every subject that writes it
    mine = next(r for r in references if r.uri == uri)
    assert mine.range.start == position_of(path, "security: 6", offset=0)
    close_document(client, uri)

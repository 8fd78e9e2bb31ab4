"""The language server itself: pygls glue between the client and `decisionlang.lsp.analysis`.

Every handler is guarded: a bad document, or a defect of ours, is logged to the client
(`window/logMessage`) and answered with nothing; the server never stops on one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sys
import traceback
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from lsprotocol import types
from pygls.capabilities import get_capability
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from decisionlang import __version__
from decisionlang.api import SourceSet, evaluate_project, what_it_takes
from decisionlang.core.diagnostics import DecisionlangError, render_text
from decisionlang.core.spans import Span
from decisionlang.engine.testing import run_tests
from decisionlang.inputs.sources import TEST_SUFFIX
from decisionlang.language.checker import Program
from decisionlang.language.types import FieldSpec
from decisionlang.lsp.analysis import Analysis, analyse, find_root, lone_policy, relative_path, span_range
from decisionlang.lsp.completion import completions, typed_word
from decisionlang.lsp.hover import RuleOutcomes, hover_markdown, state_hover
from decisionlang.lsp.outline import (
    EXPLAIN_COMMAND,
    TEST_COMMAND,
    code_lenses,
    document_symbols,
    formatting_edits,
)
from decisionlang.lsp.positions import UTF16, from_client, split_lines, to_client
from decisionlang.lsp.states import field_of, key_at, keys_of
from decisionlang.lsp.symbols import Key, declarations_of
from decisionlang.render.explain import render_explain
from decisionlang.render.testreport import render_test_text

P = ParamSpec("P")
R = TypeVar("R")

WATCHED_SUFFIXES = (".policy", ".yaml", ".yml", ".json")
DEBOUNCE_SECONDS = 0.25  # typing pauses this long before the project is loaded again


class DecisionlangServer(LanguageServer):
    """The server, with what it knows of each decision repo that holds an open document."""

    def __init__(self) -> None:
        super().__init__("decisionlang", __version__)
        self.analyses: dict[Path, Analysis] = {}
        self.published: dict[Path, set[str]] = {}  # by root: the URIs given diagnostics
        self.pending: dict[Path, asyncio.Task[None]] = {}
        self.versions: dict[Path, int] = {}
        self.good: dict[Path, Analysis] = {}  # by root: the last analysis whose policies parsed
        self.decided: dict[Path, tuple[int, RuleOutcomes]] = {}  # by root: (version, outcomes)
        self.debounce = DEBOUNCE_SECONDS
        # One load at a time, off the event loop: requests are answered from the last analysis
        # while the next is computed.
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decisionlang-analysis")

    # -- logging
    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def log_error(self, what: str, error: BaseException) -> None:
        details = "".join(traceback.format_exception(error)).rstrip()
        self.log(f"decisionlang: {what} failed: {error!r}\n{details}", types.MessageType.Error)

    # -- where documents belong
    @property
    def encoding(self) -> str:
        encoding = self.workspace.position_encoding if self.workspace is not None else None
        return str(encoding.value if isinstance(encoding, types.PositionEncodingKind) else encoding or UTF16)

    def boundary(self, path: Path) -> Path | None:
        """The workspace folder holding PATH, if any: the search for its project stops there."""
        folders = [Path(to_fs_path(folder.uri) or "") for folder in self.workspace.folders.values()]
        if self.workspace.root_path:
            folders.append(Path(self.workspace.root_path))
        holding = [folder for folder in folders if folder == path or folder in path.parents]
        return max(holding, key=lambda folder: len(folder.parts)) if holding else None

    def root_of(self, uri: str) -> Path | None:
        path = to_fs_path(uri)
        if path is None:  # not a file: an untitled buffer, a git revision
            return None
        document = Path(path)
        return find_root(document, self.boundary(document))

    def open_documents(self, root: Path) -> dict[str, tuple[str, str]]:
        """The open documents of ROOT: root-relative path -> (URI, text)."""
        found: dict[str, tuple[str, str]] = {}
        for uri, document in self.workspace.text_documents.items():
            path = to_fs_path(uri)
            if path is None or not path.endswith(WATCHED_SUFFIXES):
                continue
            relative = relative_path(root, Path(path))
            if relative is not None and not relative.startswith(".."):
                found[relative] = (uri, document.source)
        return found

    # -- analysis
    def schedule(self, uri: str, *, delay: float | None = None) -> None:
        root = self.root_of(uri)
        if root is not None:
            self.schedule_root(root, delay=self.debounce if delay is None else delay)

    def schedule_root(self, root: Path, *, delay: float) -> None:
        previous = self.pending.pop(root, None)
        if previous is not None and not previous.done():
            previous.cancel()
        self.pending[root] = asyncio.ensure_future(self._refresh(root, delay))

    async def _refresh(self, root: Path, delay: float) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            documents = self.open_documents(root)
            edits = {path: text for path, (_, text) in documents.items() if _edited(root / path, text)}
            version = self.versions[root] = self.versions.get(root, 0) + 1
            tests = any(path.endswith(TEST_SUFFIX) for path in documents)  # a test file is open
            encoding = self.encoding
            loop = asyncio.get_running_loop()
            analysis = await loop.run_in_executor(
                self.executor,
                functools.partial(analyse, root, edits, version=version, encoding=encoding, tests=tests),
            )
            if self.versions.get(root) != version:  # a newer load started meanwhile
                return
            self.analyses[root] = analysis
            if not any(d.code.startswith("DL-PARSE") for d in analysis.project.errors):
                self.good[root] = analysis  # names for completion while a file does not parse
            self.publish(analysis, documents)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # never stop the server on a document
            self.log_error(f"loading {root}", error)

    def publish(self, analysis: Analysis, documents: dict[str, tuple[str, str]]) -> None:
        """Diagnostics for every file of the project that has some, for every open document
        (none when it is clean: that clears what was shown), and none for a file shown before."""
        root = analysis.root
        shown: dict[str, list[types.Diagnostic]] = {}
        for path, diagnostics in analysis.diagnostics.items():
            uri = documents[path][0] if path in documents else from_fs_path(str(root / path))
            if uri is not None:
                shown[uri] = diagnostics
        for path, (uri, text) in documents.items():
            if uri not in shown:
                shown[uri] = [] if analysis.knows(path) else lone_policy(path, text, self.encoding)
        for uri in self.published.get(root, set()) - set(shown):
            shown[uri] = []
        for uri, diagnostics in sorted(shown.items()):
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, diagnostics))
        self.published[root] = {uri for uri, diagnostics in shown.items() if diagnostics}

    def analysis_of(self, uri: str) -> Analysis | None:
        root = self.root_of(uri)
        return self.analyses.get(root) if root is not None else None

    async def analysis_for(self, uri: object) -> Analysis | None:
        """The analysis of URI's project (loaded now if it was not yet), else of the only project
        loaded, else of the workspace's root."""
        if isinstance(uri, str):
            root = self.root_of(uri)
        elif len(self.analyses) == 1:
            root = next(iter(self.analyses))
        else:
            root = Path(self.workspace.root_path) if self.workspace.root_path else None
        if root is None:
            return None
        if root not in self.analyses:
            self.schedule_root(root, delay=0)
            with contextlib.suppress(asyncio.CancelledError):  # a newer load took its place
                await asyncio.shield(self.pending[root])
        return self.analyses.get(root)

    def uri_of(self, root: Path, path: str) -> str:
        """The URI of a root-relative file: the open document's own when it is open."""
        for uri in self.workspace.text_documents:
            fs_path = to_fs_path(uri)
            if fs_path is not None and relative_path(root, Path(fs_path)) == path:
                return str(uri)
        return str(from_fs_path(str(root / path)) or (root / path).as_uri())

    def location(self, analysis: Analysis, span: Span) -> types.Location:
        return types.Location(self.uri_of(analysis.root, span.path), span_range(span, self.encoding))

    def name_at(self, uri: str, position: types.Position) -> tuple[Analysis, str, tuple[Span, Key]] | None:
        """The analysis of URI's project, URI's root-relative path, and the name at POSITION."""
        analysis = self.analysis_of(uri)
        fs_path = to_fs_path(uri)
        if analysis is None or fs_path is None:
            return None
        path = relative_path(analysis.root, Path(fs_path))
        if path is None or path not in analysis.texts:
            return None
        lines = split_lines(analysis.texts[path])
        if not 0 <= position.line < len(lines):
            return None
        column = from_client(lines[position.line], position.character, self.encoding) + 1
        found = analysis.index.at(path, position.line + 1, column)
        return (analysis, path, found) if found is not None else None

    def state_field_at(
        self, uri: str, position: types.Position
    ) -> tuple[Analysis, types.Range, str, FieldSpec | None] | None:
        """In a state file of a project: the schema field (or group) the key at POSITION writes."""
        analysis = self.analysis_of(uri)
        fs_path = to_fs_path(uri)
        if analysis is None or fs_path is None:
            return None
        path = relative_path(analysis.root, Path(fs_path))
        if path is None or path not in {source.path for source in analysis.project.sources.states}:
            return None
        text = analysis.texts.get(path, "")
        lines = split_lines(text)
        if not 0 <= position.line < len(lines):
            return None
        line_text = lines[position.line]
        column = from_client(line_text, position.character, self.encoding) + 1
        written = key_at(keys_of(path, text), position.line + 1, column)
        if written is None:
            return None
        (_, start, end), keys = written
        found = field_of(keys, analysis.project.program.all_fields())
        if found is None:
            return None
        where = types.Range(
            types.Position(position.line, to_client(line_text, start, self.encoding)),
            types.Position(position.line, to_client(line_text, end, self.encoding)),
        )
        return analysis, where, found[0], found[1]

    async def outcomes(self, analysis: Analysis) -> RuleOutcomes | None:
        """What each rule decides on the project's portfolio: evaluated once per loaded version,
        without traces, and only for a project without errors."""
        cached = self.decided.get(analysis.root)
        if cached is not None and cached[0] == analysis.version:
            return cached[1]
        if analysis.project.errors:
            return None
        loop = asyncio.get_running_loop()
        report = await loop.run_in_executor(
            self.executor, functools.partial(evaluate_project, analysis.project, trace=False)
        )
        outcomes = RuleOutcomes.of(report)
        self.decided[analysis.root] = (analysis.version, outcomes)
        return outcomes


def _edited(path: Path, text: str) -> bool:
    """Whether an open document's text differs from its file (a new, unsaved file differs)."""
    try:
        return path.read_text(encoding="utf-8-sig") != text
    except (OSError, UnicodeDecodeError, ValueError):
        return True


def guarded(
    server: DecisionlangServer, what: str
) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], Callable[P, Coroutine[Any, Any, R | None]]]:
    """A handler that logs its failure to the client and answers nothing, instead of failing."""

    def wrap(handler: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, Coroutine[Any, Any, R | None]]:
        @functools.wraps(handler)
        async def run(*args: P.args, **kwargs: P.kwargs) -> R | None:
            try:
                return await handler(*args, **kwargs)
            except Exception as error:
                server.log_error(what, error)
                return None

        return run

    return wrap


def create_server() -> DecisionlangServer:
    server = DecisionlangServer()

    @server.feature(types.INITIALIZED)
    @guarded(server, "initialized")
    async def initialized(params: types.InitializedParams) -> None:
        server.log(f"decisionlang {__version__} language server ready", types.MessageType.Info)
        dynamic = get_capability(
            server.client_capabilities, "workspace.did_change_watched_files.dynamic_registration", False
        )
        if dynamic:  # files changed outside the editor (a checkout, a generator) reload the project
            watchers = [types.FileSystemWatcher(glob_pattern=f"**/*{suffix}") for suffix in WATCHED_SUFFIXES]
            options = types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers)
            registration = types.Registration(
                id="decisionlang-files",
                method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=options,
            )
            await server.client_register_capability_async(types.RegistrationParams([registration]))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded(server, "opening a document")
    async def did_open(params: types.DidOpenTextDocumentParams) -> None:
        server.schedule(params.text_document.uri, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded(server, "a change")
    async def did_change(params: types.DidChangeTextDocumentParams) -> None:
        server.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @guarded(server, "saving a document")
    async def did_save(params: types.DidSaveTextDocumentParams) -> None:
        server.schedule(params.text_document.uri, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded(server, "closing a document")
    async def did_close(params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        root = server.root_of(uri)
        if root is None:
            return
        analysis = server.analyses.get(root)
        relative = relative_path(root, Path(to_fs_path(uri) or ""))
        if analysis is None or relative is None or not analysis.knows(relative):
            # a file of no project: nobody will clear what it showed
            server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))
        server.schedule_root(root, delay=0)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded(server, "a change of files")
    async def did_change_watched_files(params: types.DidChangeWatchedFilesParams) -> None:
        for root in list(server.analyses):
            server.schedule_root(root, delay=0)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded(server, "hover")
    async def hover(params: types.HoverParams) -> types.Hover | None:
        in_state = server.state_field_at(params.text_document.uri, params.position)
        if in_state is not None:
            analysis, where, name, spec = in_state
            markdown = state_hover(name, spec, analysis.index, analysis.project.program)
            contents = types.MarkupContent(kind=types.MarkupKind.Markdown, value=markdown)
            return types.Hover(contents=contents, range=where)
        found = server.name_at(params.text_document.uri, params.position)
        if found is None:
            return None
        analysis, _, (span, key) = found
        outcomes = await server.outcomes(analysis) if key[0] == "rule" else None
        text = hover_markdown(key, analysis.index, analysis.project.program, outcomes)
        if text is None:
            return None
        contents = types.MarkupContent(kind=types.MarkupKind.Markdown, value=text)
        return types.Hover(contents=contents, range=span_range(span, server.encoding))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @guarded(server, "go to definition")
    async def definition(params: types.DefinitionParams) -> list[types.Location] | None:
        in_state = server.state_field_at(params.text_document.uri, params.position)
        if in_state is not None:
            declared = in_state[0].index.declarations.get(("field", in_state[2]))
            return [server.location(in_state[0], declared.span)] if declared is not None else None
        found = server.name_at(params.text_document.uri, params.position)
        if found is None:
            return None
        analysis, path, (_, key) = found
        if key[0] == "import":
            target = imported_file(analysis, path, key[1])
            if target is None:
                return None
            start = types.Position(0, 0)
            return [types.Location(server.uri_of(analysis.root, target), types.Range(start, start))]
        declared = analysis.index.declarations.get(key)
        if declared is None:
            return None
        return [server.location(analysis, declared.span)]

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @guarded(server, "find references")
    async def references(params: types.ReferenceParams) -> list[types.Location] | None:
        uri = params.text_document.uri
        in_state = server.state_field_at(uri, params.position)
        found = server.name_at(uri, params.position) if in_state is None else None
        key: Key
        if in_state is not None:
            analysis, key = in_state[0], ("field", in_state[2])
        elif found is not None:
            analysis, _, (_, key) = found
        else:
            return None
        spans = analysis.index.uses(key)
        declared = analysis.index.declarations.get(key)
        if params.context.include_declaration and declared is not None:
            spans = [declared.span, *spans]
        locations = [server.location(analysis, span) for span in spans]
        if key[0] == "field":  # and where the state files write it
            loop = asyncio.get_running_loop()
            written = await loop.run_in_executor(
                server.executor, functools.partial(field_written, analysis, key[1], server.encoding)
            )
            locations += [
                types.Location(server.uri_of(analysis.root, path), where) for path, where in written
            ]
        return locations

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[".", " "]))
    @guarded(server, "completion")
    async def complete(params: types.CompletionParams) -> types.CompletionList | None:
        uri = params.text_document.uri
        document = server.workspace.get_text_document(uri)
        if not uri.endswith(".policy") and document.language_id != "decisionlang":
            return None
        lines = document.lines
        line = params.position.line
        if not 0 <= line < len(lines):
            return None
        text = lines[line].rstrip("\r\n")
        column = from_client(text, params.position.character, server.encoding)
        prefix = "".join(lines[:line]) + text[:column]
        typed = len(typed_word(prefix))
        start = types.Position(line, to_client(text, column - typed + 1, server.encoding))
        analysis = server.good.get(server.root_of(uri) or Path())
        program = analysis.project.program if analysis is not None else Program()
        items = completions(prefix, program, start, params.position)
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded(server, "document symbols")
    async def symbols(params: types.DocumentSymbolParams) -> list[types.DocumentSymbol] | None:
        document = server.workspace.get_text_document(params.text_document.uri)
        if not document.uri.endswith(".policy") and document.language_id != "decisionlang":
            return None
        return document_symbols(declarations_of(document.uri, document.source), server.encoding)

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    @guarded(server, "formatting")
    async def formatting(params: types.DocumentFormattingParams) -> list[types.TextEdit] | None:
        document = server.workspace.get_text_document(params.text_document.uri)
        if not document.uri.endswith(".policy") and document.language_id != "decisionlang":
            return None
        return formatting_edits(document.uri, document.source, server.encoding)

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS)
    @guarded(server, "code lenses")
    async def lenses(params: types.CodeLensParams) -> list[types.CodeLens] | None:
        uri = params.text_document.uri
        analysis = server.analysis_of(uri)
        if analysis is None or not uri.endswith(".policy"):
            return None
        document = server.workspace.get_text_document(uri)
        outcomes = await server.outcomes(analysis)
        return code_lenses(uri, declarations_of(uri, document.source), outcomes, server.encoding)

    @server.command(EXPLAIN_COMMAND)
    @guarded(server, "explain")
    async def explain_subject(*arguments: Any) -> str | None:
        argument = _argument(arguments)
        analysis = await server.analysis_for(argument.get("uri"))
        if analysis is None:
            return "decisionlang: open a file of a decision repo first"
        subject = argument.get("subject")
        if not isinstance(subject, str) or not subject:
            names = ", ".join(analysis.project.portfolio.by_name) or "none"
            return f"decisionlang: name the subject to explain; the subjects: {names}"
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(server.executor, functools.partial(explained, analysis, subject))

    @server.command(TEST_COMMAND)
    @guarded(server, "run tests")
    async def run_policy_tests(*arguments: Any) -> str | None:
        argument = _argument(arguments)
        analysis = await server.analysis_for(argument.get("uri"))
        if analysis is None:
            return "decisionlang: open a file of a decision repo first"
        edits = {path: analysis.texts[path] for path in analysis.edited if path in analysis.texts}
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(server.executor, functools.partial(tested, analysis.root, edits))

    return server


def _argument(arguments: tuple[Any, ...]) -> dict[str, Any]:
    """A command's one argument: an object (`{"uri": ..., "subject": ...}`) or a URI alone."""
    first = arguments[0] if arguments else None
    if isinstance(first, dict):
        return first
    return {"uri": first} if isinstance(first, str) else {}


def explained(analysis: Analysis, subject: str) -> str:
    """What `decisionlang explain SUBJECT` prints for the project as the editor has it."""
    try:
        report = evaluate_project(analysis.project, services=[subject])
    except DecisionlangError as error:
        return "\n".join(render_text(diagnostic) for diagnostic in error.diagnostics) + "\n"
    return render_explain(what_it_takes(analysis.project, report).subjects[0], color=False)


def tested(root: Path, edits: dict[str, str]) -> str:
    """What `decisionlang test` prints for the project as the editor has it."""
    report = run_tests(SourceSet.from_disk(root, edits=edits, tests=True))
    return render_test_text(report, color=False)


MAX_STATE_FILES_SEARCHED = 2_000  # state files read for a field's references; beyond, none are


def field_written(analysis: Analysis, field: str, encoding: str) -> list[tuple[str, types.Range]]:
    """Where the project's state files write FIELD (a key per subject), in file order. A
    portfolio of more than `MAX_STATE_FILES_SEARCHED` files is not searched: a references
    request must stay quick."""
    states = analysis.project.sources.states
    if len(states) > MAX_STATE_FILES_SEARCHED:
        return []
    fields = analysis.project.program.all_fields()
    found: list[tuple[str, types.Range]] = []
    for source in states:
        text = analysis.texts.get(source.path, source.text)
        lines = split_lines(text)
        for (line, start, end), keys in sorted(keys_of(source.path, text)):
            named = field_of(keys, fields)
            if named is None or named[0] != field or named[1] is None:
                continue
            line_text = lines[line - 1] if 0 < line <= len(lines) else ""
            where = types.Range(
                types.Position(line - 1, to_client(line_text, start, encoding)),
                types.Position(line - 1, to_client(line_text, end, encoding)),
            )
            found.append((source.path, where))
    return found


def imported_file(analysis: Analysis, importer: str, written: str) -> str | None:
    """The root-relative file an `import` of IMPORTER names, when it is one of the project's."""
    try:
        return analysis.project.sources.real_path(importer, written)
    except ValueError:  # it leaves the root: never followed
        return None


class _OneLine(logging.Formatter):
    """pygls's own log lines on standard error as one line each: what went wrong, never a
    traceback (a malformed message from the client is logged so, and the server goes on)."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message += f": {record.exc_info[1]!r}"
        return f"decisionlang lsp: {message}"


def serve() -> None:
    """Run the server on standard input and output until the client says exit."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    library = logging.getLogger("pygls")
    library.addHandler(handler)
    library.setLevel(logging.WARNING)
    library.propagate = False
    create_server().start_io()

"""What the language server knows of one decision repo: the project loaded with the editor's
unsaved texts over the disk, and its diagnostics by file, as LSP ranges.

Everything here is plain data and functions over the library API (`decisionlang.api`); the
server (`decisionlang.lsp.server`) only moves it to and from the client.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types

from decisionlang.api import Project, SourceSet, load_project
from decisionlang.core.diagnostics import Diagnostic, Severity
from decisionlang.core.spans import SourceFile as LinedSource
from decisionlang.core.spans import Span
from decisionlang.engine.testing import run_tests
from decisionlang.inputs.sources import CONFIG_FILE, DEFAULT_POLICY_DIRS, POLICY_SUFFIX
from decisionlang.language.parser import parse_module
from decisionlang.lint import lint_config, lint_project
from decisionlang.lint.rules import BY_CODE
from decisionlang.lsp.positions import UTF16, split_lines, to_client
from decisionlang.lsp.symbols import Index, build_index
from decisionlang.render.testreport import aspect_words, shown

SOURCE = "decisionlang"  # the `source` of every diagnostic the server publishes


def find_root(document: Path, boundary: Path | None = None) -> Path:
    """The decision repo a file belongs to: the nearest directory at or above it holding a
    `decisionlang.yaml`, else the nearest holding a `policies/` folder, else the file's own
    directory (a bare folder of policies). The search stops at BOUNDARY (the workspace folder)
    when the file is inside it."""
    start = document.parent
    chain = [start, *start.parents]
    if boundary is not None and (start == boundary or boundary in start.parents):
        chain = chain[: chain.index(boundary) + 1]
    for marker in (CONFIG_FILE, *DEFAULT_POLICY_DIRS):
        for directory in chain:
            if (directory / marker).exists():
                return directory
    return start


def relative_path(root: Path, document: Path) -> str | None:
    """DOCUMENT's root-relative POSIX path (links resolved, as discovery names files), or None
    when it is not inside ROOT."""
    try:
        return document.resolve().relative_to(root.resolve()).as_posix()
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class Analysis:
    """One load of a decision repo, and what the client is shown of it."""

    root: Path
    project: Project
    texts: Mapping[str, str]  # the text of every file read, by root-relative path
    diagnostics: Mapping[str, list[types.Diagnostic]] = field(default_factory=dict)
    edited: frozenset[str] = frozenset()  # the paths whose text came from the editor
    version: int = 0
    files: frozenset[str] = frozenset()  # the paths the project reads (discovered or imported)
    index: Index = field(default_factory=Index)  # declarations and references of its policy files

    def knows(self, path: str) -> bool:
        return path in self.files


def analyse(
    root: Path, edits: Mapping[str, str], *, version: int = 0, encoding: str = UTF16, tests: bool = False
) -> Analysis:
    """Load the decision repo at ROOT with EDITS (unsaved texts by root-relative path) read over
    the files on disk, and place its diagnostics. The user's cache is used only when nothing is
    edited: a keystroke's version is not worth keeping. With TESTS (a policy test file is open),
    the policy tests are run too, and their problems and failing cases are diagnostics."""
    files = SourceSet.from_disk(root, edits=edits, tests=True)
    project = load_project(files, cache=not edits)
    texts: dict[str, str] = {}
    for source in (*files.states, *files.waivers, *files.tests, *project.policy_files):
        texts[source.path] = source.text
    if files.config is not None:
        texts[files.config.path] = files.config.text
    read = frozenset(texts)
    for path, text in edits.items():
        texts.setdefault(path, text)
    found = [*project.diagnostics, *lint_findings(project)]
    if tests and files.tests:
        found += test_findings(files)
    placed = place_all(found, texts, root, encoding)
    policy_texts = {path: texts[path] for path in read if path.endswith(POLICY_SUFFIX)}
    index = build_index(policy_texts, project.program)
    return Analysis(root, project, texts, placed, frozenset(edits), version, read, index)


def lint_findings(project: Project) -> list[Diagnostic]:
    """What `decisionlang lint` finds (its rules as the project's `lint:` configuration sets
    them, inline ignores applied), and the problems of that configuration; nothing for a project
    with errors, which the rules do not read."""
    if project.errors:
        return []
    config, problems = lint_config(project)
    report = lint_project(project, config)
    return [*problems, *report.findings]


FAILED_CASE = "DL-TEST-FAILED"  # a policy test case that fails (shown by the language server)


def test_findings(files: SourceSet) -> list[Diagnostic]:
    """What `decisionlang test` reports of the policy tests: the problems of the test files, and
    each failing case at the line where it is written."""
    report = run_tests(files)
    found = list(report.diagnostics)
    for result in report.cases:
        if result.passed:
            continue
        case = result.case
        differences = "; ".join(
            f"expected {aspect_words(m.aspect)} {shown(m.expected)}, got {shown(m.actual)}"
            for m in result.mismatches
        )
        found.append(
            Diagnostic(
                FAILED_CASE,
                f"case `{case.name}` fails: {differences}",
                help=f"`decisionlang explain {case.subject}` shows why; or run the tests from the code lens",
                file=case.file,
                line=case.line,
                column=1,
            )
        )
    return found


def place_all(
    diagnostics: Sequence[Diagnostic],
    texts: Mapping[str, str],
    root: Path,
    encoding: str = UTF16,
) -> dict[str, list[types.Diagnostic]]:
    """The diagnostics by the root-relative file they are in; a problem of no file of the project
    (of the command, of the library's own policies) has no document to be shown in."""
    placed: dict[str, list[types.Diagnostic]] = {}
    for diagnostic in diagnostics:
        path = diagnostic.span.path if diagnostic.span is not None else diagnostic.file
        if path is None or not _is_file(root, path, texts):
            continue
        placed.setdefault(path, []).append(to_lsp(diagnostic, texts.get(path, ""), encoding))
    return placed


def _is_file(root: Path, path: str, texts: Mapping[str, str]) -> bool:
    if path in texts:
        return True
    if path.startswith(("/", "..")) or "\0" in path:
        return False
    return os.path.isfile(root / path)


def to_lsp(diagnostic: Diagnostic, text: str, encoding: str = UTF16) -> types.Diagnostic:
    """One diagnostic as LSP shows it: its range in the client's units, its code, the help line
    after the message."""
    message = diagnostic.message + (f"\n{diagnostic.help}" if diagnostic.help else "")
    severity = _SEVERITIES[diagnostic.severity]
    rule = BY_CODE.get(diagnostic.code)
    return types.Diagnostic(
        code_description=types.CodeDescription(href=rule.help_uri) if rule is not None else None,
        range=span_range(diagnostic.span, encoding)
        if diagnostic.span is not None
        else _at(diagnostic, text, encoding),
        message=message,
        severity=severity,
        code=diagnostic.code,
        source=SOURCE,
    )


_SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


def span_range(span: Span, encoding: str = UTF16) -> types.Range:
    start = types.Position(span.line - 1, to_client(span.source.line_text(span.line), span.column, encoding))
    end = types.Position(
        span.end_line - 1, to_client(span.source.line_text(span.end_line), span.end_column, encoding)
    )
    return types.Range(start, end)


def _at(diagnostic: Diagnostic, text: str, encoding: str) -> types.Range:
    """The range of a problem known by line and column only: that character (the file's start
    when it has no line)."""
    if diagnostic.line is None:
        return types.Range(types.Position(0, 0), types.Position(0, 0))
    lines = split_lines(text)
    line_text = lines[diagnostic.line - 1] if 0 < diagnostic.line <= len(lines) else ""
    column = diagnostic.column or 1
    start = to_client(line_text, column, encoding)
    end = to_client(line_text, column + 1, encoding) if column <= len(line_text) else start
    return types.Range(types.Position(diagnostic.line - 1, start), types.Position(diagnostic.line - 1, end))


def lone_policy(path: str, text: str, encoding: str = UTF16) -> list[types.Diagnostic]:
    """The syntax problems of a policy file that no decision repo reads (outside its policy
    folders): it is at least parsed."""
    if not path.endswith(POLICY_SUFFIX):
        return []
    _, problems = parse_module(LinedSource(path, text))
    return [to_lsp(problem, text, encoding) for problem in problems]

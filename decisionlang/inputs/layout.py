"""Policy files and their imports, parsed: the first stage that reads a `SourceSet`'s policies.

Every import stays inside the project root: an import that leaves it is an error.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from pathlib import Path

from decisionlang.core.diagnostics import Diagnostic
from decisionlang.core.spans import SourceFile, Span, point
from decisionlang.inputs import sources
from decisionlang.inputs.sources import CONFIG_FILE, POLICY_SUFFIX, SourceSet
from decisionlang.language import ast
from decisionlang.language.parser import parse_module

__all__ = ["CONFIG_FILE", "POLICY_SUFFIX", "display_path", "load_modules", "policy_source"]

# Tab, line breaks and form feed are fine; surrogates only reach here in text given in memory.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def display_path(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


# ---------------------------------------------------------------- policy files and imports


def policy_source(file: sources.SourceFile) -> tuple[SourceFile | None, Diagnostic | None]:
    """A policy file's text, ready to parse: one spelling per accented letter, no control characters."""
    text = unicodedata.normalize("NFC", file.text.lstrip("\ufeff"))
    source = SourceFile(file.path, text)
    control = _CONTROL.search(text)
    if control is not None:
        line, column = source.position(control.start())
        return None, Diagnostic(
            "DL-PARSE-ENCODING",
            f"{_what(control.group())} U+{ord(control.group()):04X} in a policy file",
            span=point(source, line, column),
            help="policies hold printable text, tabs and line breaks only",
        )
    return source, None


def _what(character: str) -> str:
    return "surrogate (not a character)" if "\ud800" <= character <= "\udfff" else "control character"


def load_modules(files: SourceSet) -> tuple[list[ast.Module], list[Diagnostic]]:
    """Parse every policy file and, transitively, what they import; report import cycles."""
    modules: dict[str, ast.Module] = {}
    imports: dict[str, list[tuple[str, Span]]] = {}
    diagnostics: list[Diagnostic] = []
    pending: list[sources.SourceFile | str] = list(files.policies)
    while pending:
        item = pending.pop(0)
        path = item if isinstance(item, str) else item.path
        if path in modules or path in imports:
            continue
        imports[path] = []
        file = files.open("", path) if isinstance(item, str) else item
        if file is None:
            continue
        if isinstance(file, Diagnostic):
            diagnostics.append(file)
            continue
        source, problem = policy_source(file)
        if problem is not None or source is None:
            if problem is not None:
                diagnostics.append(problem)
            continue
        module, problems = parse_module(source)
        diagnostics.extend(problems)
        if module is None:
            continue
        modules[path] = module
        for decl in module.declarations:
            if isinstance(decl, ast.Import):
                target = _resolve_import(files, path, decl, diagnostics)
                if target is not None:
                    imports[path].append((target, decl.span))
                    pending.append(target)
    diagnostics.extend(_import_cycles(imports))
    ordered = [modules[path] for path in sorted(modules)]
    return ordered, diagnostics


def _resolve_import(
    files: SourceSet, importer: str, decl: ast.Import, diagnostics: list[Diagnostic]
) -> str | None:
    try:
        target = files.real_path(importer, decl.path)
    except ValueError:
        diagnostics.append(
            Diagnostic(
                "DL-CHECK-IMPORT-OUTSIDE",
                f"import `{decl.path}` leaves the project root",
                span=decl.span,
                help="imports are confined to the project directory; copy the file into the project",
            )
        )
        return None
    if target is None:
        diagnostics.append(
            Diagnostic(
                "DL-CHECK-IMPORT-NOT-FOUND",
                f"import `{decl.path}`: no such file",
                span=decl.span,
                help="paths are relative to the importing file",
            )
        )
        return None
    return target


def _import_cycles(imports: dict[str, list[tuple[str, Span]]]) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(path: str) -> None:
        state[path] = 1
        stack.append(path)
        for target, span in imports.get(path, []):
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                names = " -> ".join(posixpath.basename(p) for p in cycle)
                diagnostics.append(
                    Diagnostic(
                        "DL-CHECK-IMPORT-CYCLE",
                        f"import cycle: {names}",
                        span=span,
                        help="move the shared declarations into a file that both import",
                    )
                )
            elif state.get(target) is None:
                visit(target)
        stack.pop()
        state[path] = 2

    for path in sorted(imports):
        if path not in state:
            visit(path)
    return diagnostics

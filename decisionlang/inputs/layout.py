"""Policy files and their imports, parsed: the first stage that reads a `SourceSet`'s policies.

Every import stays inside the project root: an import that leaves it is an error. The one
exception is the library shipped with decisionlang, imported by name (`decisionlang:dora`).
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from dataclasses import replace
from pathlib import Path

from decisionlang.core.diagnostics import Diagnostic
from decisionlang.core.hints import did_you_mean
from decisionlang.core.spans import SourceFile, Span, point
from decisionlang.inputs import sources
from decisionlang.inputs.library import PREFIX, is_library, library_names, library_path, read_library_file
from decisionlang.inputs.sources import CONFIG_FILE, POLICY_SUFFIX, SourceSet
from decisionlang.language import ast, namespaces
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


MAX_NAMESPACE_DEPTH = 4  # `a.b.c.d`: aliases inside aliased files; deeper is refused (and is a cycle)


def load_modules(files: SourceSet) -> tuple[list[ast.Module], list[Diagnostic]]:
    """Parse every policy file and, transitively, what they import; report import cycles.

    A file imported `as lib` is loaded into the namespace `lib` (with what it imports plainly), and
    every module comes back with its names qualified (`lib.name`; see `language.namespaces`)."""
    modules: dict[tuple[str, str], ast.Module] = {}
    texts: dict[str, SourceFile | None] = {}  # each file is read and checked once, whatever its namespaces
    imports: dict[str, list[tuple[str, Span]]] = {}
    diagnostics: list[Diagnostic] = []
    pending: list[tuple[str, sources.SourceFile | str]] = [("", file) for file in files.policies]
    seen: set[tuple[str, str]] = set()
    discovered = {file.path for file in files.policies}
    while pending:
        namespace, item = pending.pop(0)
        path = item if isinstance(item, str) else item.path
        if (namespace, path) in seen:
            continue
        seen.add((namespace, path))
        if path not in texts:
            texts[path] = _source(files, item, diagnostics)
        source = texts[path]
        if source is None:
            continue
        first = path not in imports  # a file's own problems are reported once, whatever its namespaces
        edges = imports.setdefault(path, [])
        module, problems = parse_module(source)
        if first:
            diagnostics.extend(problems)
        if module is None:
            continue
        module = replace(module, namespace=namespace)
        modules[(namespace, path)] = module
        for decl in module.declarations:
            if not isinstance(decl, ast.Import):
                continue
            target = _resolve_import(files, path, decl, diagnostics if first else [])
            if target is None:
                continue
            if first:
                edges.append((target, decl.span))
            if decl.alias is not None and target in discovered:
                if first:
                    diagnostics.append(_aliased_twice(decl, target))
                continue
            inner = namespaces.qualify(namespace, decl.alias) if decl.alias else namespace
            if inner.count(".") < MAX_NAMESPACE_DEPTH:
                pending.append((inner, target))
    diagnostics.extend(_import_cycles(imports))
    ordered = [modules[key] for key in sorted(modules, key=lambda key: (key[1], key[0]))]
    qualified, problems = namespaces.resolve(ordered)
    return qualified, diagnostics + problems


def _source(
    files: SourceSet, item: sources.SourceFile | str, diagnostics: list[Diagnostic]
) -> SourceFile | None:
    if isinstance(item, str) and is_library(item):
        text = read_library_file(item)
        file: sources.SourceFile | Diagnostic | None = (
            sources.SourceFile(item, text) if text is not None else None
        )
    else:
        file = files.open("", item) if isinstance(item, str) else item
    if file is None:
        return None
    if isinstance(file, Diagnostic):
        diagnostics.append(file)
        return None
    source, problem = policy_source(file)
    if problem is not None:
        diagnostics.append(problem)
    return source


def _resolve_import(
    files: SourceSet, importer: str, decl: ast.Import, diagnostics: list[Diagnostic]
) -> str | None:
    if is_library(decl.path) or is_library(importer):
        return _resolve_library(decl, diagnostics)
    try:
        target = files.real_path(importer, decl.path)
    except ValueError:
        diagnostics.append(
            Diagnostic(
                "DL-CHECK-IMPORT-OUTSIDE",
                f"import `{decl.path}` leaves the project root",
                span=decl.span,
                help="imports are confined to the project directory; copy the file into the project, "
                f"or import the shipped library by name (`{PREFIX}<name>`)",
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


def _aliased_twice(decl: ast.Import, target: str) -> Diagnostic:
    return Diagnostic(
        "DL-CHECK-IMPORT-ALIAS",
        f"`{target}` is one of the project's own policy files, so its names are the project's: "
        f"it cannot be imported `as {decl.alias}` too",
        span=decl.span,
        help="every policy file found in the policy folders is loaded with the project's names; keep a file "
        "imported with an alias elsewhere (a `lib/` folder, say), or import it without `as`",
    )


def _resolve_library(decl: ast.Import, diagnostics: list[Diagnostic]) -> str | None:
    """A library file: `decisionlang:name` anywhere, or a plain file name inside the library itself."""
    name = decl.path.removeprefix(PREFIX)
    target = library_path(name)
    if target is None:
        names = library_names()
        hint = did_you_mean(name.removesuffix(POLICY_SUFFIX), names)
        listing = ", ".join(f"`{PREFIX}{n}`" for n in names)
        diagnostics.append(
            Diagnostic(
                "DL-CHECK-IMPORT-NOT-FOUND",
                f"import `{decl.path}`: the decisionlang library has no file `{name}`",
                span=decl.span,
                help=(hint + " The library" if hint else "the library") + f" files are {listing}",
            )
        )
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

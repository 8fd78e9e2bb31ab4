"""A decision repository on disk: which policy and state files it holds, read safely.

Every path stays inside the project root: imports and configured paths that leave it are errors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from decisionlang.core.diagnostics import Diagnostic, Severity
from decisionlang.core.spans import SourceFile, Span, point
from decisionlang.language import ast
from decisionlang.language.parser import parse_module

CONFIG_FILE = "decisionlang.yaml"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")  # tab, line breaks, form feed are fine
POLICY_SUFFIX = ".policy"
STATE_SUFFIXES = (".yaml", ".yml")
MAX_POLICY_BYTES = 2_000_000
DEFAULT_POLICY_DIRS = ("policies",)
DEFAULT_STATE_DIRS = ("services", "initiatives")
DEFAULT_WAIVER_DIRS = ("waivers",)


@dataclass(frozen=True)
class Layout:
    """Where a project's files are; paths are absolute and inside `root`."""

    root: Path
    policy_files: tuple[Path, ...]
    state_files: tuple[Path, ...]
    waiver_files: tuple[Path, ...] = ()

    def display(self, path: Path) -> str:
        return display_path(self.root, path)


def display_path(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _inside(root: Path, path: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def _files_under(
    root: Path, entries: Sequence[str], suffixes: tuple[str, ...], what: str, *, configured: bool = False
) -> tuple[list[Path], list[Diagnostic]]:
    """The files with these suffixes under each entry; a configured entry must exist."""
    files: list[Path] = []
    diagnostics: list[Diagnostic] = []
    for entry in entries:
        path = root / entry
        if not _inside(root, path):
            diagnostics.append(
                Diagnostic(
                    "DL-CONFIG-OUTSIDE",
                    f"{what} path `{entry}` leaves the project root",
                    file=CONFIG_FILE,
                    help="policies and states must live inside the project directory",
                )
            )
            continue
        if path.is_dir():
            found = [p for p in path.rglob("*") if p.is_file() and p.suffix in suffixes]
            for escaping in (p for p in found if not _inside(root, p)):
                diagnostics.append(
                    Diagnostic(
                        "DL-CONFIG-OUTSIDE",
                        f"{what} file `{display_path(root, escaping)}` links to a file outside the project",
                        file=display_path(root, escaping),
                        help="it was skipped: copy the file into the project instead of linking it",
                        severity=Severity.WARNING,
                    )
                )
            inside = [p for p in found if _inside(root, p)]
            files.extend(sorted(inside, key=lambda p: p.as_posix()))
        elif path.is_file():
            files.append(path)
        elif configured:
            diagnostics.append(
                Diagnostic(
                    "DL-CONFIG",
                    f"{what} path `{entry}` does not exist",
                    file=CONFIG_FILE,
                    help=f"fix the path in {CONFIG_FILE}, or remove it",
                )
            )
    return files, diagnostics


def _read_config(root: Path) -> tuple[dict[str, list[str]], list[Diagnostic]]:
    config_path = root / CONFIG_FILE
    defaults = {
        "policies": list(DEFAULT_POLICY_DIRS),
        "states": list(DEFAULT_STATE_DIRS),
        "waivers": list(DEFAULT_WAIVER_DIRS),
    }
    if not config_path.is_file():
        return defaults, []
    text = config_path.read_text(encoding="utf-8", errors="replace")
    source = SourceFile(CONFIG_FILE, text)
    try:
        data: Any = YAML(typ="safe", pure=True).load(text)
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        return defaults, [
            Diagnostic(
                "DL-CONFIG",
                f"invalid YAML: {getattr(error, 'problem', error)}",
                span=point(source, line, column),
            )
        ]
    if data is None:
        return defaults, []
    diagnostics: list[Diagnostic] = []
    if not isinstance(data, dict):
        return defaults, [Diagnostic("DL-CONFIG", "the configuration must be a mapping", file=CONFIG_FILE)]
    config = dict(defaults)
    for key, value in data.items():
        if key not in defaults:
            diagnostics.append(
                Diagnostic(
                    "DL-CONFIG",
                    f"unknown setting `{key}`",
                    file=CONFIG_FILE,
                    help="the settings are `policies`, `states` and `waivers`: lists of files or folders",
                )
            )
            continue
        entries = [value] if isinstance(value, str) else value
        if not isinstance(entries, list) or not all(isinstance(entry, str) for entry in entries):
            diagnostics.append(Diagnostic("DL-CONFIG", f"`{key}` must be a list of paths", file=CONFIG_FILE))
            continue
        config[key] = entries
        config.setdefault("explicit", []).append(key)  # paths the user wrote must exist
    return config, diagnostics


def _is_bare_policy_directory(root: Path) -> bool:
    """A directory of policy files without the decision-repo layout or a configuration."""
    if (root / CONFIG_FILE).exists() or any((root / name).exists() for name in DEFAULT_POLICY_DIRS):
        return False
    return any(root.glob(f"*{POLICY_SUFFIX}"))


def discover(root: Path) -> tuple[Layout, list[Diagnostic]]:
    """Find the policy and state files of the decision repo at `root`."""
    root = root.resolve()
    if not root.is_dir():
        return Layout(root, (), ()), [
            Diagnostic(
                "DL-CONFIG",
                f"`{root}` is not a directory",
                file=str(root),
                help="give the decision repo's directory",
            )
        ]
    config, diagnostics = _read_config(root)
    if _is_bare_policy_directory(root):
        config["policies"] = ["."]  # `decisionlang validate policies/`: the directory is the policy set
    explicit = set(config.pop("explicit", []))
    policies, policy_problems = _files_under(
        root, config["policies"], (POLICY_SUFFIX,), "policy", configured="policies" in explicit
    )
    states, state_problems = _files_under(
        root, config["states"], STATE_SUFFIXES, "state", configured="states" in explicit
    )
    waivers, waiver_problems = _files_under(
        root, config["waivers"], STATE_SUFFIXES, "waiver", configured="waivers" in explicit
    )
    diagnostics += waiver_problems
    diagnostics += policy_problems + state_problems
    if not policies:
        diagnostics.append(
            Diagnostic(
                "DL-CONFIG",
                "no policy file found",
                file=display_path(root, root),
                help=f"put `*{POLICY_SUFFIX}` files under `policies/`, or list them in {CONFIG_FILE}",
            )
        )
    if not states:
        diagnostics.append(
            Diagnostic(
                "DL-CONFIG-NO-STATES",
                "no state file found: there is nothing to decide on",
                file=display_path(root, root),
                help=f"declare subjects in `services/*.yaml`, or list state paths in {CONFIG_FILE}",
                severity=Severity.WARNING,
            )
        )
    return Layout(root, tuple(policies), tuple(states), tuple(waivers)), diagnostics


# ---------------------------------------------------------------- policy files and imports


def read_source(root: Path, path: Path) -> tuple[SourceFile | None, Diagnostic | None]:
    shown = display_path(root, path)
    try:
        size = path.stat().st_size
        if size > MAX_POLICY_BYTES:
            return None, Diagnostic(
                "DL-PARSE-LIMIT",
                f"policy file is {size} bytes, over the {MAX_POLICY_BYTES} limit",
                file=shown,
            )
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        return None, Diagnostic(
            "DL-PARSE-ENCODING",
            f"not UTF-8 text (byte {error.start})",
            file=shown,
            help="save the file as UTF-8",
        )
    except OSError as error:
        return None, Diagnostic("DL-PARSE-READ", f"cannot read the file: {error.strerror}", file=shown)
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))  # one spelling per accented letter
    control = _CONTROL.search(text)
    if control is not None:
        source = SourceFile(shown, text)
        line, column = source.position(control.start())
        return None, Diagnostic(
            "DL-PARSE-ENCODING",
            f"control character U+{ord(control.group()):04X} in a policy file",
            span=point(source, line, column),
            help="policies hold printable text, tabs and line breaks only",
        )
    return SourceFile(shown, text), None


def load_modules(layout: Layout) -> tuple[list[ast.Module], list[Diagnostic]]:
    """Parse every policy file and, transitively, what they import; report import cycles."""
    root = layout.root
    modules: dict[Path, ast.Module] = {}
    imports: dict[Path, list[tuple[Path, Span]]] = {}
    diagnostics: list[Diagnostic] = []
    pending = [path.resolve() for path in layout.policy_files]
    while pending:
        path = pending.pop(0)
        if path in modules or path in imports:
            continue
        source, problem = read_source(root, path)
        imports[path] = []
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
                target = _resolve_import(root, path, decl, diagnostics)
                if target is not None:
                    imports[path].append((target, decl.span))
                    pending.append(target)
    diagnostics.extend(_import_cycles(imports))
    ordered = [modules[path] for path in sorted(modules, key=lambda p: display_path(root, p))]
    return ordered, diagnostics


def _resolve_import(
    root: Path, importer: Path, decl: ast.Import, diagnostics: list[Diagnostic]
) -> Path | None:
    try:
        target = (importer.parent / decl.path).resolve()
        outside, exists = not _inside(root, target), target.is_file()
    except (OSError, ValueError):  # a NUL byte, a name too long for the file system
        outside, exists, target = False, False, importer
    if outside:
        diagnostics.append(
            Diagnostic(
                "DL-CHECK-IMPORT-OUTSIDE",
                f"import `{decl.path}` leaves the project root",
                span=decl.span,
                help="imports are confined to the project directory; copy the file into the project",
            )
        )
        return None
    if not exists:
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


def _import_cycles(imports: dict[Path, list[tuple[Path, Span]]]) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    state: dict[Path, int] = {}  # 1 visiting, 2 done
    stack: list[Path] = []

    def visit(path: Path) -> None:
        state[path] = 1
        stack.append(path)
        for target, span in imports.get(path, []):
            if state.get(target) == 1:
                cycle = [*stack[stack.index(target) :], target]
                names = " -> ".join(p.name for p in cycle)
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

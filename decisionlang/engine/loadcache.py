"""What `load_project` keeps in the cache (`decisionlang.inputs.cache`), and how it is keyed.

Two entries per project, measured at 10,000 services before choosing them:
- the policies: parsed, imports resolved, checked (`Program` and the diagnostics), keyed by the
  engine and the text of every policy file discovery found. The files they import are recorded in
  the entry (where each import led, and the digest of each file read) and checked on use. A hit
  skips the parser entirely (~80-100 ms in a fresh process; the grammar is not even imported).
  Compiling the program again from it takes a few milliseconds: compiled policies are closures,
  which do not pickle, and are not worth making picklable.
- the states: the validated portfolio and the state diagnostics, keyed by the engine, the limits,
  the text of every policy file read (the schema is theirs) and the path and text of every state
  file. Loading it is ~20-40 times faster than reading and validating the YAML again.

One file's parsed YAML is not cached alone: unpickling a file's positioned tree costs about as much
as parsing it again (it is as many Python objects), so such an entry would save little; the
validated portfolio is plain values, far fewer objects than the trees it comes from.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from decisionlang.core.diagnostics import Diagnostic
from decisionlang.core.subjects import Portfolio
from decisionlang.inputs.cache import Cache, engine_fingerprint, from_environment
from decisionlang.inputs.limits import YamlLimits
from decisionlang.inputs.sources import SourceFile, SourceSet
from decisionlang.language import ast
from decisionlang.language.checker import Program
from decisionlang.language.types import FieldSpec

__all__ = ["CheckedPolicies", "checked_policies", "loaded_states", "store_of"]

# The tables of `Program` keyed by id() of a node: ids change when the nodes are unpickled.
_ID_TABLES = ("rule_ids", "resolutions", "types", "term_ranges", "term_weights")
_OUTSIDE = "\0outside"  # an import leaving the root, in the record of where imports led


@dataclass(frozen=True)
class CheckedPolicies:
    """The policies of a project as parsed and checked, before compiling."""

    policy_files: tuple[SourceFile, ...]  # as parsed, imported files included
    parse_problems: tuple[Diagnostic, ...]
    program: Program
    check_problems: tuple[Diagnostic, ...]
    # (importer, import as written, where it led) for imports of the project's own files
    imports: tuple[tuple[str, str, str | None], ...] = ()


def store_of(cache: Cache | bool | None) -> Cache | None:
    """The cache to use: True is the environment's (`DECISIONLANG_CACHE_DIR`, `DECISIONLANG_NO_CACHE`)."""
    if cache is True:
        return from_environment()
    return cache if isinstance(cache, Cache) else None


# ---------------------------------------------------------------------------------------------
# policies


def checked_policies(files: SourceSet, store: Cache | None) -> CheckedPolicies:
    if store is None:
        return _check(files)
    key = Cache.key("policies", [*_context(files), *_texts(files.policies)])
    found = store.get(key)
    if isinstance(found, _StoredPolicies) and _imports_unchanged(files, found):
        checked = found.restored()
        if checked is not None:
            return checked
    checked = _check(files)
    read = _read_outside(files, checked)
    if read is not None:
        store.put(key, _StoredPolicies.of(checked, read))
    return checked


def _check(files: SourceSet) -> CheckedPolicies:
    from decisionlang.inputs.layout import load_modules  # the parser, only when it must run
    from decisionlang.language.checker import check_program

    modules, parse_problems = load_modules(files)
    # once per file, though a file imported into several namespaces is parsed in each
    parsed = tuple(
        {module.path: SourceFile(module.path, module.span.source.text) for module in modules}.values()
    )
    imports = tuple(dict.fromkeys(_imports(files, modules)))
    if any(d.is_error for d in parse_problems):
        return CheckedPolicies(parsed, tuple(parse_problems), Program(), (), imports)
    program, check_problems = check_program(modules)
    return CheckedPolicies(parsed, tuple(parse_problems), program, tuple(check_problems), imports)


def _imports(files: SourceSet, modules: list[ast.Module]) -> Iterator[tuple[str, str, str | None]]:
    from decisionlang.inputs.library import is_library

    for module in modules:
        if is_library(module.path):
            continue
        for declaration in module.declarations:
            if isinstance(declaration, ast.Import) and not is_library(declaration.path):
                yield module.path, declaration.path, _led_to(files, module.path, declaration.path)


def _led_to(files: SourceSet, importer: str, written: str) -> str | None:
    try:
        return files.real_path(importer, written)
    except ValueError:
        return _OUTSIDE


def _read_outside(files: SourceSet, checked: CheckedPolicies) -> tuple[tuple[str, str], ...] | None:
    """The text of each file the policies imported from outside the policy folders (whose texts
    are in the key), as it is now, for the entry to compare with on use; None when the entry could
    not tell: an import that led to no file read, or a file that changed since it was parsed."""
    import unicodedata

    read = {file.path: file.text for file in checked.policy_files}
    if not all(target in read for _, _, target in checked.imports):
        return None
    discovered = {file.path for file in files.policies}
    texts = []
    for path, parsed in read.items():
        if path in discovered or path.startswith("decisionlang:"):
            continue  # in the key; library files are the engine's, in its fingerprint
        current = files.open("", path)
        # what layout.policy_source makes of the text: it must be what was parsed
        if (
            not isinstance(current, SourceFile)
            or unicodedata.normalize("NFC", current.text.lstrip("\ufeff")) != parsed
        ):
            return None
        texts.append((path, current.text))
    return tuple(texts)


def _imports_unchanged(files: SourceSet, stored: _StoredPolicies) -> bool:
    """Every import leads where it led, and every file read outside the policy folders has the
    same text as when the entry was written."""
    imports = stored.checked.imports
    if any(_led_to(files, importer, written) != target for importer, written, target in imports):
        return False
    for path, text in stored.read:
        current = files.open("", path)
        if not isinstance(current, SourceFile) or current.text != text:
            return False
    return True


@dataclass(frozen=True)
class _StoredPolicies:
    """`CheckedPolicies` as pickled: the id-keyed tables of the program as (node, value) pairs,
    the nodes pickled with the program, so that they are keyed by the new nodes' ids once loaded."""

    checked: CheckedPolicies
    tables: tuple[tuple[str, tuple[tuple[Any, Any], ...]], ...]
    read: tuple[tuple[str, str], ...]  # (path, text) of the files imported from outside the policy folders

    @staticmethod
    def of(checked: CheckedPolicies, read: tuple[tuple[str, str], ...]) -> _StoredPolicies:
        program = checked.program
        empty: dict[str, Any] = {name: {} for name in _ID_TABLES}
        stripped = dataclasses.replace(program, **empty)
        nodes = _reachable(dataclasses.replace(checked, program=stripped))
        tables = tuple(
            (
                name,
                tuple((nodes[key], value) for key, value in getattr(program, name).items() if key in nodes),
            )
            for name in _ID_TABLES
        )
        return _StoredPolicies(dataclasses.replace(checked, program=stripped), tables, read)

    def restored(self) -> CheckedPolicies | None:
        try:
            tables: dict[str, Any] = {
                name: {id(node): value for node, value in pairs} for name, pairs in self.tables
            }
            program = dataclasses.replace(self.checked.program, **tables)
        except (TypeError, ValueError):
            return None
        return dataclasses.replace(self.checked, program=program)


def _reachable(value: Any) -> dict[int, Any]:
    """The project's objects VALUE holds (what pickling it would write), by id."""
    import io
    import pickle

    seen: dict[int, Any] = {}

    class _Collector(pickle.Pickler):
        def persistent_id(self, obj: Any) -> None:
            if type(obj).__module__.startswith("decisionlang."):
                seen[id(obj)] = obj
            return None

    _Collector(io.BytesIO(), protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return seen


# ---------------------------------------------------------------------------------------------
# states


def loaded_states(
    files: SourceSet,
    states: Sequence[SourceFile],
    checked: CheckedPolicies,
    limits: YamlLimits,
    store: Cache | None,
) -> tuple[Portfolio, list[Diagnostic]]:
    """`load_states` of the project's state files (STATES: `files.states`, maybe counting progress
    as they are read) against its program's schema."""
    fields = checked.program.fields
    if store is None:
        return _load_states(states, fields, limits)
    key = Cache.key(
        "states",
        [
            *_context(files),
            repr(limits),
            *_texts(checked.policy_files),
            "\0states",
            *_texts(files.states),
        ],
    )
    found = store.get(key)
    if _is_states(found):
        for _ in states:  # each file is loaded (from the entry): a progress display counts them
            pass
        portfolio, problems = found  # type: ignore[misc]
        return portfolio, list(problems)
    portfolio, problems = _load_states(states, fields, limits)
    store.put(key, (portfolio, tuple(problems)))
    return portfolio, problems


def _load_states(
    states: Sequence[SourceFile], fields: Mapping[str, FieldSpec], limits: YamlLimits
) -> tuple[Portfolio, list[Diagnostic]]:
    from decisionlang.inputs.states import load_states  # pydantic: only when the states are read

    return load_states(states, fields, limits=limits)


def _is_states(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], Portfolio)
        and isinstance(value[1], tuple)
    )


def _context(files: SourceSet) -> list[str]:
    """What every entry depends on besides its files: the engine, and the settings and limits
    the files were read with (a setting a later version reads is then in the key already)."""
    return [engine_fingerprint(), repr(files.limits), repr(files.settings)]


def _texts(sources: tuple[SourceFile, ...]) -> Iterator[str]:
    for source in sources:
        yield source.path
        yield source.text

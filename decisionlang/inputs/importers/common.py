"""What every importer shares: the files it reads, the report of what became of each item, and
the state file it writes.

An importer reads items (Backstage entities, Terraform resource changes, OpenSLO objects) and
returns an `ImportResult`: the subjects to write, and one `Outcome` per item saying what it became
(the subject and the fields mapped) or why it was skipped, with every part that was not imported
(`Finding`), where it is written. The report (text or JSON, on stderr) and the state file
(YAML, with a header naming the source files) are rendered here, once, for all of them, so the
three commands word and lay out the same things the same way, and the same inputs always give
the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic
from decisionlang.core.escapes import inert_json, safe_text, visible
from decisionlang.inputs.walk import files_under
from decisionlang.inputs.yamlreader import Entry, Located, describe

__all__ = [
    "REPORT_SCHEMA",
    "Annotated",
    "Draft",
    "Finding",
    "ImportResult",
    "NotAnObject",
    "ObjectHeader",
    "Outcome",
    "Unknown",
    "input_files",
    "object_header",
    "plain_value",
    "plural",
    "render_report_json",
    "render_report_text",
    "render_state",
    "report_to_dict",
]

REPORT_SCHEMA = "decisionlang/import-report/v2"
READ = "DL-IMPORT-READ"
LIMIT = "DL-IMPORT-LIMIT"


# ---------------------------------------------------------------------------------------------
# files


def input_files(paths: Sequence[Path], suffixes: Sequence[str], noun: str) -> list[tuple[str, Path]]:
    """The files to read: each file as given, and the files under each directory with a suffix.

    Pairs display paths (as the user wrote them) with real paths, in a stable order; a file given
    twice is read once. A directory holding no such file is an error.
    """
    files: list[tuple[str, Path]] = []
    seen: set[Path] = set()
    problems: list[Diagnostic] = []
    for path in paths:
        if path.is_dir():
            found = [f for f in files_under(path, code=LIMIT) if f.suffix.lower() in suffixes]
            if not found:
                wanted = " or ".join(f"`*{suffix}`" for suffix in suffixes)
                problems.append(Diagnostic(READ, f"no {noun} ({wanted}) under `{path}`", file=str(path)))
        else:
            found = [path]
        for file in found:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append((str(file), file))
    if problems:
        raise DecisionlangError(problems)
    return files


# ---------------------------------------------------------------------------------------------
# items written as Kubernetes-style objects (Backstage entities, OpenSLO objects)


@dataclass(frozen=True)
class ObjectHeader:
    """What an object's header says: `apiVersion` and `kind` (text), and `metadata.name`."""

    api_version: str
    kind: str
    metadata: dict[str, Entry]
    name: Entry  # `metadata.name`, text (as written: not stripped)
    body: dict[str, Entry]


@dataclass(frozen=True)
class NotAnObject:
    """Why an item is not an object, and where: the importer words the diagnostic."""

    at: Located
    message: str


def object_header(
    item: Located, *, version_problem: Callable[[str], str | None] = lambda _: None
) -> ObjectHeader | NotAnObject:
    """The header of a mapping with `apiVersion`, `kind` and `metadata.name`, or its first problem.

    `version_problem` says what is wrong with an `apiVersion` (None when it is one the importer
    reads); it is asked once `apiVersion` and `kind` are known to be text, before `metadata`.
    """
    body = item.value
    if not isinstance(body, dict):
        return NotAnObject(item, f"expected a mapping, got {describe(body)}")
    for key in ("apiVersion", "kind", "metadata"):
        if key not in body:
            return NotAnObject(item, f"no `{key}`")
    for key in ("apiVersion", "kind"):
        value = body[key].value.value
        if not isinstance(value, str) or not value.strip():
            return NotAnObject(body[key].value, f"`{key}` must be text, got {describe(value)}")
    version = str(body["apiVersion"].value.value)
    problem = version_problem(version)
    if problem is not None:
        return NotAnObject(body["apiVersion"].value, problem)
    metadata = body["metadata"].value
    if not isinstance(metadata.value, dict):
        return NotAnObject(metadata, f"`metadata` must be a mapping, got {describe(metadata.value)}")
    name = metadata.value.get("name")
    if name is None:
        return NotAnObject(metadata, "no `metadata.name`")
    if not isinstance(name.value.value, str) or not name.value.value.strip():
        return NotAnObject(name.value, f"`metadata.name` must be text, got {describe(name.value.value)}")
    return ObjectHeader(version, str(body["kind"].value.value), metadata.value, name, body)


# ---------------------------------------------------------------------------------------------
# the result of an import


@dataclass(frozen=True)
class Finding:
    """Something of an item that was not imported (or a link not made), and why."""

    file: str
    line: int
    column: int
    field: str  # the source's field, e.g. `spec.definition`; "" for the whole item
    message: str
    reference: bool = False  # a link to something that is not imported, left out

    def to_json(self) -> dict[str, object]:
        return {
            "field": self.field or None,
            "message": self.message,
            "reference_left_out": self.reference,
            "location": {"file": self.file, "line": self.line, "column": self.column},
        }


@dataclass(frozen=True)
class Outcome:
    """What became of one item: the subject it was imported as, or why not, and its findings."""

    file: str
    line: int
    column: int
    kind: str  # as the source says, e.g. `Component`, `SLO`, `delete`
    ref: str  # how the source names it, e.g. `component:default/artist-lookup`, a resource address
    subject: str | None
    subject_kind: str | None
    mapped: tuple[str, ...]  # `source field -> decisionlang field`
    findings: tuple[Finding, ...]
    renamed: str | None = None  # why the subject is not named as the source names the item

    @property
    def imported(self) -> bool:
        return self.subject is not None

    def to_json(self) -> dict[str, object]:
        return {
            "ref": self.ref,
            "kind": self.kind,
            "location": {"file": self.file, "line": self.line, "column": self.column},
            "imported_as": None
            if self.subject is None
            else {"name": self.subject, "kind": self.subject_kind},
            "renamed": self.renamed,
            "mapped": list(self.mapped),
            "not_imported": [finding.to_json() for finding in self.findings],
        }


@dataclass(frozen=True)
class ImportResult:
    """The subjects to write (in order, fields in order), and what became of every item."""

    source: str  # the command's name: `backstage`, `terraform-plan`, `openslo`
    describes: str  # what the files are, for the header: "Backstage catalog files"
    noun: tuple[str, str]  # an item, items: ("entity", "entities")
    files: tuple[str, ...]
    subjects: tuple[dict[str, Any], ...]  # dotted paths -> values (which may be nested mappings)
    items: tuple[Outcome, ...]
    schema_note: str  # where the schema declaring the written fields is
    notes: tuple[str, ...] = ()  # lines the summary adds, specific to the source
    # `--observed`: the day every imported fact was observed (else the source's own, if it says)
    observed: dt.date | None = None

    @property
    def entities(self) -> tuple[Outcome, ...]:
        """The items, under the name the Backstage importer has always used."""
        return self.items

    @property
    def left_out_references(self) -> int:
        return sum(1 for item in self.items for finding in item.findings if finding.reference)

    @property
    def fields_not_imported(self) -> int:
        return sum(1 for item in self.items if item.imported for f in item.findings if not f.reference)


def plural(count: int, word: str, many: str | None = None) -> str:
    return word if count == 1 else (many or word + "s")


# ---------------------------------------------------------------------------------------------
# the report


def render_report_text(result: ImportResult) -> str:
    """What became of each item, then a summary; lines start with `file:line:column`."""
    lines: list[str] = []
    for item in result.items:
        where = f"{item.file}:{item.line}:{item.column}"
        if item.subject is None:
            lines.append(f"{where}: {item.ref}: {item.findings[0].message}")
            for finding in item.findings[1:]:
                lines.append(f"  {finding.file}:{finding.line}:{finding.column}: {finding.message}")
            continue
        renamed = f" ({item.renamed})" if item.renamed else ""
        lines.append(f"{where}: {item.ref} imported as {item.subject_kind} `{item.subject}`{renamed}")
        if item.mapped:
            lines.append(f"  mapped: {', '.join(item.mapped)}")
        for finding in item.findings:
            lines.append(
                f"  {finding.file}:{finding.line}:{finding.column}: {finding.field}: {finding.message}"
            )
    lines.append("")
    lines.append(_summary(result))
    lines.extend(result.notes)
    return safe_text(lines)  # names and messages are data: each stays on its line


def _summary(result: ImportResult) -> str:
    imported = [item for item in result.items if item.imported]
    kinds: dict[str, int] = {}
    for item in imported:
        kinds[str(item.subject_kind)] = kinds.get(str(item.subject_kind), 0) + 1
    by_kind = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    skipped = len(result.items) - len(imported)
    fields = result.fields_not_imported
    one, many = result.noun
    files = len(result.files)
    return (
        f"imported {len(imported)} of {len(result.items)} {plural(len(result.items), one, many)}"
        f" from {files} {plural(files, 'file')} as {len(result.subjects)}"
        f" {plural(len(result.subjects), 'subject')} ({by_kind or 'none'});"
        f" {skipped} {plural(skipped, one, many)} and {fields} {plural(fields, 'field')} not imported"
    )


def render_report_json(
    result: ImportResult | None, diagnostics: Iterable[Diagnostic] = (), *, source: str = ""
) -> str:
    """The report as JSON; without a result (nothing imported) it only carries the diagnostics."""
    payload = report_to_dict(result, source=source)
    payload["diagnostics"] = [diagnostic.to_json() for diagnostic in diagnostics]
    return inert_json(json.dumps(payload, indent=2, ensure_ascii=False)) + "\n"


def report_to_dict(result: ImportResult | None, *, source: str = "") -> dict[str, Any]:
    items = result.items if result is not None else ()
    imported = sum(1 for item in items if item.imported)
    return {
        "schema": REPORT_SCHEMA,
        "source": result.source if result is not None else source,
        "files": list(result.files) if result is not None else [],
        "summary": {
            "items": len(items),
            "imported": imported,
            "skipped": len(items) - imported,
            "subjects": len(result.subjects) if result is not None else 0,
            "fields_not_imported": result.fields_not_imported if result is not None else 0,
            "references_left_out": result.left_out_references if result is not None else 0,
        },
        "items": [item.to_json() for item in items],
    }


# ---------------------------------------------------------------------------------------------
# the state file


@dataclass(kw_only=True)
class Draft:
    """A subject being built from one item: its fields, what each came from, and the findings."""

    fields: dict[str, Any] = field(default_factory=dict)
    mapped: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def set(self, source: str, path: str, value: Any) -> None:
        self.fields[path] = value
        self.mapped.append(f"{source} -> {path}")


@dataclass(frozen=True)
class Annotated:
    """A value written with a comment at the end of its line: how it was derived."""

    value: Any
    why: str


@dataclass(frozen=True)
class Unknown:
    """A value the source does not know yet: written as null (missing information), with why."""

    why: str


def plain_value(value: Any) -> Any:
    """The value a state file holds for `value`: an annotation dropped, an unknown as None."""
    if isinstance(value, Annotated):
        return value.value
    if isinstance(value, Unknown):
        return None
    return value


def render_state(result: ImportResult) -> str:
    """The state file: a header naming the source files, then a `services:` list with explicit kinds."""
    header = [
        f"# Generated by `decisionlang import {result.source}` from these {result.describes}:",
        *(f"#   {path}" for path in result.files),
        f"# Importing again rewrites this file. {result.schema_note}",
    ]
    document = {"services": [_nested(with_origin(subject, result)) for subject in result.subjects]}
    yaml = YAML(typ="rt")
    yaml.width = 4096  # never fold long text
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(type(None), _null)
    yaml.representer.ignore_aliases = lambda data: True  # one date on every subject: no `&id001`
    stream = io.StringIO()
    yaml.dump(document, stream)
    return "".join(visible(line) + "\n" for line in header) + stream.getvalue()


def with_origin(subject: Mapping[str, Any], result: ImportResult) -> dict[str, Any]:
    """The subject with where its facts come from, after its name and kind: `source:` the importer
    (`backstage`, `terraform-plan`, `openslo`), and `observed:` the day given (`--observed`), else
    the one the source says (a Terraform plan's timestamp), when there is one. A schema's `fresh
    for` counts from that day."""
    head = {key: subject[key] for key in ("name", "kind") if key in subject}
    observed = result.observed if result.observed is not None else subject.get("observed")
    origin: dict[str, Any] = {"source": result.source}
    if observed is not None:
        origin["observed"] = observed
    rest = {key: value for key, value in subject.items() if key not in head and key != "observed"}
    return {**head, **origin, **rest}


def _null(representer: Any, _: None) -> Any:
    """`null`, spelt out: an empty value after a key reads as a mistake."""
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _nested(subject: Mapping[str, Any]) -> CommentedMap:
    """Dotted paths as nested mappings; values converted for writing."""
    nested = CommentedMap()
    for path, value in subject.items():
        *parents, last = path.split(".")
        target = nested
        for parent in parents:
            if parent not in target:
                target[parent] = CommentedMap()
            target = target[parent]
        _put(target, last, value)
    return nested


def _put(target: CommentedMap, key: Any, value: Any) -> None:
    target[key] = _written(value)
    if isinstance(value, Unknown | Annotated):
        target.yaml_add_eol_comment(f"# {value.why}", key, column=0)


def _written(value: Any) -> Any:
    if isinstance(value, Unknown):
        return None
    if isinstance(value, Annotated):
        return _written(value.value)
    if isinstance(value, Mapping):
        mapping = CommentedMap()
        for key, item in value.items():
            _put(mapping, key, item)
        return mapping
    if isinstance(value, list | tuple):
        sequence = CommentedSeq()
        for index, item in enumerate(value):
            sequence.append(None)
            sequence[index] = _written(item)
            if isinstance(item, Unknown | Annotated):
                sequence.yaml_add_eol_comment(f"# {item.why}", index, column=0)
        return sequence
    if isinstance(value, str) and "\n" in value and _literal_safe(value):
        return LiteralScalarString(value)
    return value


def _literal_safe(text: str) -> bool:
    """A literal block keeps text exactly only when it holds no control character or blank line ends."""
    if text.startswith((" ", "\t")) or not text.replace("\n", "").isprintable():
        return False
    return not any(line != line.rstrip(" \t") for line in text.split("\n"))

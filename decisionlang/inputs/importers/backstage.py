"""`decisionlang import backstage`: Backstage catalog entities as decisionlang subjects.

Backstage describes software as entities (https://backstage.io/docs/features/software-catalog/
descriptor-format). The kinds decisions are about become subjects:

    Component -> kind `service`      Resource -> kind `resource`
    System    -> kind `system`       API      -> kind `api`

Group, User and Domain entities are not imported (owners are read as text from `spec.owner`, a
system's domain as the `domain` field); Location entities are listed with their targets, which are
not followed. Every field that does not map is reported with where it is written.

Names: a subject is named after `metadata.name`, prefixed with `namespace/` outside the default
namespace. When entities of different kinds share a name (a component and the API it provides,
typically), the first kind of Component, Resource, System, API keeps the name and the others are
named like a Backstage reference, `api:wayback-archive`.

Dependencies: `depends_on` holds the subjects named by `spec.dependsOn` and `spec.consumesApis`,
the entities that name this one in their `spec.dependencyOf`, and, for an API, the components that
provide it (`spec.providesApis`), so a chain runs consumer -> API -> provider. decisionlang requires
every name in `depends_on` to be a subject, so references to entities that are not in the imported
files are reported and left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic, capped, sorted_diagnostics
from decisionlang.core.spans import point
from decisionlang.inputs.importers.common import (
    Draft,
    Finding,
    ImportResult,
    NotAnObject,
    Outcome,
    object_header,
    plural,
    render_report_json,
    render_report_text,
    render_state,
    report_to_dict,
)
from decisionlang.inputs.yamlreader import Entry, Located, YamlFile, YamlLimits, describe, load_yaml

__all__ = [
    "ENTITY",
    "KINDS",
    "NO_ENTITY",
    "USEFUL_ANNOTATIONS",
    "BackstageImport",
    "EntityOutcome",
    "Finding",
    "import_backstage",
    "render_report_json",
    "render_report_text",
    "render_state",
    "report_to_dict",
]

ENTITY = "DL-IMPORT-ENTITY"
NO_ENTITY = "DL-IMPORT-NO-ENTITY"

DEFAULT_NAMESPACE = "default"

# Backstage kind (lower case) -> decisionlang kind; the order decides who keeps a shared name.
KINDS: dict[str, str] = {"component": "service", "resource": "resource", "system": "system", "api": "api"}

# Why the other kinds are not imported.
_SKIPPED_KINDS: dict[str, str] = {
    "group": "a team: owners are read as text from `spec.owner`, teams are not subjects",
    "user": "a person: owners are read as text from `spec.owner`, people are not subjects",
    "domain": "a business area: a system's `spec.domain` is kept as its `domain` field instead",
    "location": "a pointer to other catalog files, which are not followed: import those files directly",
    "template": "a software template for creating components, not something decisions are about",
}

# Annotations worth a field: each says where a practice is set up (docs, on-call, code quality,
# monitoring, deployment), which readiness and maturity policies can test with `is present`.
USEFUL_ANNOTATIONS: dict[str, tuple[str, str]] = {
    "backstage.io/techdocs-ref": ("techdocs_ref", "where the documentation is built from"),
    "backstage.io/source-location": ("source_location", "where the source code is"),
    "backstage.io/kubernetes-id": ("kubernetes_id", "the workloads that run it on Kubernetes"),
    "github.com/project-slug": ("github_project_slug", "its GitHub repository"),
    "gitlab.com/project-slug": ("gitlab_project_slug", "its GitLab project"),
    "pagerduty.com/service-id": ("pagerduty_service_id", "its PagerDuty service (on-call)"),
    "opsgenie.com/team": ("opsgenie_team", "its Opsgenie team (on-call)"),
    "sonarqube.org/project-key": ("sonarqube_project_key", "its SonarQube project (code quality)"),
    "snyk.io/org-name": ("snyk_org_name", "its Snyk organisation (vulnerability scanning)"),
    "grafana/dashboard-selector": ("grafana_dashboard_selector", "its Grafana dashboards (monitoring)"),
    "sentry.io/project-slug": ("sentry_project_slug", "its Sentry project (error tracking)"),
    "argocd/app-name": ("argocd_app_name", "its Argo CD application (deployment)"),
}

# Annotations Backstage sets itself when it reads the catalog: not the team's information.
_BACKSTAGE_SET_PREFIXES = ("backstage.io/managed-by-", "backstage.io/orphan", "backstage.io/view-url")
_BACKSTAGE_SET_ANNOTATIONS = frozenset({"backstage.io/edit-url"})

# Why some fields are not imported; any other field "has no decisionlang equivalent".
_FIELD_REASONS: dict[str, str] = {
    "metadata.links": "no decisionlang rule reads a URL",
    "metadata.labels": "copy the labels a policy needs into the state by hand",
    "metadata.uid": "set by Backstage itself",
    "metadata.etag": "set by Backstage itself",
    "metadata.generation": "set by Backstage itself",
    "spec.definition": "an API's definition (its schema text) is not something policies read",
    "relations": "computed by Backstage when it processes the catalog: the imported references are used",
    "status": "computed by Backstage when it processes the catalog",
}

# What each imported kind reads under `spec`.
_SPEC_FIELDS: dict[str, frozenset[str]] = {
    "component": frozenset(
        {
            "type",
            "lifecycle",
            "owner",
            "system",
            "subcomponentOf",
            "providesApis",
            "consumesApis",
            "dependsOn",
            "dependencyOf",
        }
    ),
    "resource": frozenset({"type", "owner", "system", "dependsOn", "dependencyOf"}),
    "system": frozenset({"type", "owner", "domain"}),
    "api": frozenset({"type", "lifecycle", "owner", "system", "apiConsumedBy"}),
}
_METADATA_FIELDS = frozenset({"name", "namespace", "title", "description", "tags", "annotations"})
_TOP_FIELDS = frozenset({"apiVersion", "kind", "metadata", "spec"})

# Key order of a generated subject; `backstage.*` fields come last.
_FIELD_ORDER = (
    "name",
    "kind",
    "title",
    "description",
    "owner",
    "lifecycle",
    "system",
    "domain",
    "subcomponent_of",
    "tags",
    "depends_on",
    "provides_apis",
    "backstage.ref",
    "backstage.type",
    "backstage.owner_kind",
)

# ---------------------------------------------------------------------------------------------
# results


EntityOutcome = Outcome  # the names this module has always exported
BackstageImport = ImportResult


# ---------------------------------------------------------------------------------------------
# entities and references


@dataclass(frozen=True)
class _Entity:
    file: str
    line: int
    column: int
    kind: str
    namespace: str
    name: str
    body: dict[str, Entry]

    @property
    def kind_key(self) -> str:
        return self.kind.lower()

    @property
    def key(self) -> tuple[str, str, str]:
        """Backstage compares references without regard to case."""
        return (self.kind_key, self.namespace.lower(), self.name.lower())

    @property
    def ref(self) -> str:
        return f"{self.kind_key}:{self.namespace}/{self.name}"

    def finding(self, at: Entry | Located | None, path: str, message: str) -> Finding:
        line, column = (at.line, at.column) if at is not None else (self.line, self.column)
        return Finding(self.file, line, column, path, message)


@dataclass(frozen=True)
class _Ref:
    """A parsed entity reference `[kind:][namespace/]name`."""

    kind: str | None  # lower case; None when neither written nor implied by the field
    namespace: str
    name: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind or "", self.namespace.lower(), self.name.lower())

    def text(self) -> str:
        return f"{self.kind or '?'}:{self.namespace}/{self.name}"


def _parse_ref(text: str, default_kind: str | None, namespace: str) -> _Ref | None:
    kind, colon, rest = text.partition(":")
    if not colon:
        kind, rest = "", text
    ref_namespace, slash, name = rest.partition("/")
    if not slash:
        ref_namespace, name = namespace, rest
    if not name.strip() or not ref_namespace.strip():
        return None
    return _Ref(kind.lower() or default_kind, ref_namespace, name)


def _qualified(namespace: str, name: str) -> str:
    """`name` in the default namespace, `namespace/name` elsewhere."""
    return name if namespace.lower() == DEFAULT_NAMESPACE else f"{namespace}/{name}"


# ---------------------------------------------------------------------------------------------
# reading entities


def _entities(file: YamlFile) -> tuple[list[_Entity], list[Diagnostic]]:
    entities: list[_Entity] = []
    problems: list[Diagnostic] = []
    for document in file.documents:
        entity = _entity(file, document)
        if isinstance(entity, Diagnostic):
            problems.append(entity)
        else:
            entities.append(entity)
    if not file.documents:
        message = "no Backstage entity in this file"
        problems.append(Diagnostic(NO_ENTITY, message, file=file.source.path, help=_ENTITY_HELP))
    return entities, problems


_ENTITY_HELP = "a catalog entity is a mapping with `apiVersion`, `kind` and `metadata.name`"


def _entity(file: YamlFile, document: Located) -> _Entity | Diagnostic:
    """The entity a document describes, or why it is not a Backstage entity."""
    header = object_header(document)
    if isinstance(header, NotAnObject):
        return _not_entity(file, header.at, header.message)
    namespace = header.metadata.get("namespace")
    if namespace is not None:
        value = namespace.value.value
        if not isinstance(value, str) or not value.strip():
            return _not_entity(
                file, namespace.value, f"`metadata.namespace` must be text, got {describe(value)}"
            )
    return _Entity(
        file.source.path,
        document.line,
        document.column,
        header.kind,
        str(namespace.value.value) if namespace is not None else DEFAULT_NAMESPACE,
        str(header.name.value.value),
        header.body,
    )


def _not_entity(file: YamlFile, at: Located, message: str) -> Diagnostic:
    where = point(file.source, at.line, at.column)
    return Diagnostic(ENTITY, f"not a Backstage entity: {message}", where, _ENTITY_HELP)


# ---------------------------------------------------------------------------------------------
# the import


def import_backstage(
    files: Sequence[tuple[str, Path]], *, limits: YamlLimits | None = None
) -> BackstageImport:
    """Read the catalog files (display path, real path) and map their entities to subjects.

    Raises `DecisionlangError` when a file cannot be read, is not YAML, or holds something that is
    not a Backstage entity (or nothing at all); every file is read before raising.
    """
    entities: list[_Entity] = []
    problems: list[Diagnostic] = []
    for display_path, path in files:
        try:
            loaded = load_yaml(display_path, path, limits)
        except DecisionlangError as error:
            problems.extend(error.diagnostics)
            continue
        file_entities, file_problems = _entities(loaded)
        entities.extend(file_entities)
        problems.extend(file_problems)
    if not files:
        problems.append(Diagnostic(NO_ENTITY, "no catalog file to import", help=_ENTITY_HELP))
    if problems:
        raise DecisionlangError(capped(sorted_diagnostics(problems)))
    result = _Importer(entities).run(tuple(display for display, _ in files))
    if not result.subjects:  # only groups, users, locations...: an empty state file helps nobody
        raise DecisionlangError([_nothing_to_import(item) for item in result.items])
    return result


def _nothing_to_import(item: Outcome) -> Diagnostic:
    message = f"no entity to import: {item.ref} is {item.findings[0].message}"
    help = (
        "decisionlang imports Component, Resource, System and API entities; give the catalog files "
        "that declare them"
    )
    return Diagnostic(NO_ENTITY, message, file=item.file, line=item.line, column=item.column, help=help)


@dataclass
class _Draft(Draft):
    """A subject being built from one entity."""

    entity: _Entity
    name: str
    depends_on: set[str] = field(default_factory=set)
    provides: list[str] = field(default_factory=list)  # the APIs it provides
    dependency_of: list[str] = field(default_factory=list)  # the subjects that depend on it
    consumed_by: list[str] = field(default_factory=list)  # the subjects that consume this API


class _Importer:
    """Names every imported entity, then maps each one's fields and resolves its references."""

    def __init__(self, entities: Sequence[_Entity]) -> None:
        self.entities = entities
        self.skipped: dict[int, Finding] = {}  # entity index -> why it is not imported
        self.by_key: dict[tuple[str, str, str], _Entity] = {}
        self.renamed: dict[tuple[str, str, str], str] = {}
        self._index()
        self.names = self._names()

    def run(self, files: tuple[str, ...]) -> BackstageImport:
        drafts = {
            id(entity): self._draft(entity)
            for index, entity in enumerate(self.entities)
            if index not in self.skipped
        }
        self._reverse_relations(drafts)
        outcomes = [self._outcome(index, entity, drafts) for index, entity in enumerate(self.entities)]
        subjects = sorted((_subject(draft) for draft in drafts.values()), key=lambda subject: subject["name"])
        return ImportResult(
            source="backstage",
            describes="Backstage catalog files",
            noun=("entity", "entities"),
            files=files,
            subjects=tuple(subjects),
            items=tuple(outcomes),
            schema_note="The schema block of docs/backstage.md declares its fields.",
            notes=_notes(outcomes),
        )

    # --- which entities become subjects, under which names

    def _index(self) -> None:
        for index, entity in enumerate(self.entities):
            if entity.kind_key not in KINDS:
                self.skipped[index] = self._skipped_kind(entity)
                continue
            first = self.by_key.setdefault(entity.key, entity)
            if first is not entity:
                message = f"not imported: the same entity as {first.ref} at {first.file}:{first.line}"
                self.skipped[index] = entity.finding(None, "", message)

    def _skipped_kind(self, entity: _Entity) -> Finding:
        reason = _SKIPPED_KINDS.get(entity.kind_key, f"kind `{entity.kind}` has no decisionlang equivalent")
        message = f"not imported: {reason}"
        if entity.kind_key == "location":
            targets = _location_targets(entity)
            message += f"; targets: {', '.join(targets)}" if targets else "; it names no target"
        return entity.finding(None, "", message)

    def _names(self) -> dict[tuple[str, str, str], str]:
        """Subject names: qualified names, with a `kind:` prefix for all but one of a shared name."""
        by_name: dict[str, list[_Entity]] = {}
        for entity in self.by_key.values():
            by_name.setdefault(_qualified(entity.namespace, entity.name).lower(), []).append(entity)
        names: dict[tuple[str, str, str], str] = {}
        order = list(KINDS)
        for group in by_name.values():
            group.sort(key=lambda entity: order.index(entity.kind_key))
            keeper = group[0]
            names[keeper.key] = _qualified(keeper.namespace, keeper.name)
            for entity in group[1:]:
                names[entity.key] = f"{entity.kind_key}:{_qualified(entity.namespace, entity.name)}"
                self.renamed[entity.key] = f"`{names[keeper.key]}` is the name of {keeper.ref}"
        return names

    def resolve(self, ref: _Ref) -> str | None:
        """The subject a reference names, if it was imported; a kind-less reference must be unique."""
        if ref.kind is not None:
            return self.names.get(ref.key)
        matches = [name for key, name in self.names.items() if key[1:] == ref.key[1:]]
        return matches[0] if len(matches) == 1 else None

    # --- one entity

    def _draft(self, entity: _Entity) -> _Draft:
        draft = _Draft(entity, self.names[entity.key])
        draft.set("metadata.name", "name", draft.name)
        draft.fields["kind"] = KINDS[entity.kind_key]
        draft.fields["backstage.ref"] = entity.ref
        for key, entry in entity.body.items():
            if key == "metadata":
                _MetadataMapper(draft).map(entry)
            elif key == "spec":
                _SpecMapper(draft, self).map(entry)
            elif key not in _TOP_FIELDS:
                draft.findings.append(entity.finding(entry, key, f"not imported: {_field_reason(key)}"))
        return draft

    def _reverse_relations(self, drafts: Mapping[int, _Draft]) -> None:
        """Dependencies written on the other end: `dependencyOf`, and an API on its providers."""
        by_name = {draft.name: draft for draft in drafts.values()}
        for draft in drafts.values():
            for api in draft.provides:
                if api in by_name:
                    by_name[api].depends_on.add(draft.name)
                    by_name[api].mapped.append(f"spec.providesApis of {draft.name} -> depends_on")
            for dependent in draft.dependency_of:
                by_name[dependent].depends_on.add(draft.name)
                by_name[dependent].mapped.append(f"spec.dependencyOf of {draft.name} -> depends_on")
            self._consumers(draft, by_name)

    @staticmethod
    def _consumers(api: _Draft, by_name: Mapping[str, _Draft]) -> None:
        """`apiConsumedBy` is `consumesApis` written on the API: the consumer depends on the API."""
        if not api.consumed_by:
            return
        already = [name for name in api.consumed_by if api.name in by_name[name].depends_on]
        added = [name for name in api.consumed_by if name not in already]
        for name in added:
            by_name[name].depends_on.add(api.name)
            by_name[name].mapped.append(f"spec.apiConsumedBy of {api.name} -> depends_on")
        parts = []
        if added:
            parts.append(f"depends_on of {', '.join(added)}")
        if already:
            parts.append(f"the same link as spec.consumesApis of {', '.join(already)}")
        api.mapped.append(f"spec.apiConsumedBy -> {'; '.join(parts)}")

    def _outcome(self, index: int, entity: _Entity, drafts: Mapping[int, _Draft]) -> EntityOutcome:
        place = (entity.file, entity.line, entity.column, entity.kind, entity.ref)
        if index in self.skipped:
            return EntityOutcome(*place, None, None, (), (self.skipped[index],))
        draft = drafts[id(entity)]
        findings = tuple(sorted(draft.findings, key=lambda finding: (finding.line, finding.column)))
        kind = str(draft.fields["kind"])
        renamed = self.renamed.get(entity.key)
        return EntityOutcome(*place, draft.name, kind, tuple(draft.mapped), findings, renamed)


def _location_targets(entity: _Entity) -> list[str]:
    spec = entity.body.get("spec")
    if spec is None or not isinstance(spec.value.value, dict):
        return []
    targets: list[str] = []
    for key in ("target", "targets"):
        entry = spec.value.value.get(key)
        if entry is None:
            continue
        values = entry.value.value if isinstance(entry.value.value, list) else [entry.value]
        targets.extend(str(item.value) for item in values if isinstance(item.value, str))
    return targets


def _field_reason(path: str) -> str:
    return _FIELD_REASONS.get(path, "no decisionlang equivalent")


# ---------------------------------------------------------------------------------------------
# mapping fields


class _Mapper:
    """Reads the values of one mapping of an entity, reporting those of the wrong type."""

    prefix = ""

    def __init__(self, draft: _Draft) -> None:
        self.draft = draft
        self.entity = draft.entity

    def report(self, at: Entry | Located, path: str, message: str) -> None:
        self.draft.findings.append(self.entity.finding(at, path, message))

    def text(self, key: str, entry: Entry) -> str | None:
        value = entry.value.value
        if value is None:
            return None
        if not isinstance(value, str):
            self.report(entry, self.prefix + key, f"not imported: must be text, got {describe(value)}")
            return None
        return value

    def texts(self, key: str, entry: Entry) -> list[tuple[str, Located]]:
        """The text items of a list (a single text counts as a list of one, as in Backstage)."""
        value = entry.value.value
        if value is None:
            return []
        items = value if isinstance(value, list) else [entry.value]
        texts: list[tuple[str, Located]] = []
        for item in items:
            if isinstance(item.value, str):
                texts.append((item.value, item))
            else:
                self.report(
                    item, self.prefix + key, f"not imported: must be text, got {describe(item.value)}"
                )
        return texts

    def unmapped(self, key: str, entry: Entry) -> None:
        path = self.prefix + key
        self.report(entry, path, f"not imported: {_field_reason(path)}")


class _MetadataMapper(_Mapper):
    prefix = "metadata."

    def map(self, metadata: Entry) -> None:
        assert isinstance(metadata.value.value, dict)  # checked when the entity was read
        for key, entry in metadata.value.value.items():
            if key in ("title", "description"):
                value = self.text(key, entry)
                if value is not None:
                    self.draft.set(self.prefix + key, key, value)
            elif key == "tags":
                tags = list(dict.fromkeys(text for text, _ in self.texts(key, entry)))
                if tags:
                    self.draft.set("metadata.tags", "tags", tags)
            elif key == "annotations":
                self._annotations(entry)
            elif key not in _METADATA_FIELDS:
                self.unmapped(key, entry)

    def _annotations(self, entry: Entry) -> None:
        annotations = entry.value.value
        if annotations is None:
            return
        if not isinstance(annotations, dict):
            self.report(
                entry, "metadata.annotations", f"not imported: must be a mapping, got {describe(annotations)}"
            )
            return
        for key, annotation in annotations.items():
            self._annotation(key, annotation)

    def _annotation(self, key: str, entry: Entry) -> None:
        path = f"metadata.annotations.{key}"
        useful = USEFUL_ANNOTATIONS.get(key)
        if useful is None:
            self.report(entry, path, f"not imported: {_annotation_reason(key)}")
            return
        value = entry.value.value
        if not isinstance(value, str) or not value:
            self.report(entry, path, f"not imported: must be text, got {describe(value)}")
            return
        self.draft.set(f"annotation {key}", f"backstage.annotations.{useful[0]}", value)


def _annotation_reason(key: str) -> str:
    if key in _BACKSTAGE_SET_ANNOTATIONS or key.startswith(_BACKSTAGE_SET_PREFIXES):
        return "set by Backstage itself"
    return "not an annotation decisionlang maps (see docs/backstage.md); add it by hand if a policy needs it"


class _SpecMapper(_Mapper):
    prefix = "spec."

    def __init__(self, draft: _Draft, importer: _Importer) -> None:
        super().__init__(draft)
        self.importer = importer
        self.namespace = draft.entity.namespace

    def map(self, spec: Entry) -> None:
        if not isinstance(spec.value.value, dict):
            if spec.value.value is not None:
                self.report(
                    spec, "spec", f"not imported: must be a mapping, got {describe(spec.value.value)}"
                )
            return
        allowed = _SPEC_FIELDS[self.entity.kind_key]
        for key, entry in spec.value.value.items():
            if key not in allowed:
                self.unmapped(key, entry)
            else:
                self._field(key, entry)
        self._finish_dependencies()

    def _field(self, key: str, entry: Entry) -> None:
        if key in ("type", "lifecycle"):
            value = self.text(key, entry)
            if value is not None:
                self.draft.set(f"spec.{key}", "backstage.type" if key == "type" else key, value)
        elif key == "owner":
            self._owner(entry)
        elif key in ("system", "domain"):
            self._named(key, entry, key, key)
        elif key == "subcomponentOf":
            self._named(key, entry, "subcomponent_of", "component")
        elif key == "providesApis":
            self._provides(entry)
        else:  # dependsOn, consumesApis, dependencyOf
            self._dependencies(key, entry)

    def _named(self, key: str, entry: Entry, path: str, default_kind: str) -> None:
        """A reference kept as the text of its (qualified) name: it need not be imported."""
        text = self.text(key, entry)
        if text is None:
            return
        ref = _parse_ref(text, default_kind, self.namespace)
        if ref is None:
            self.report(entry, f"spec.{key}", f"not imported: `{text}` is not an entity reference")
            return
        self.draft.set(f"spec.{key}", path, _qualified(ref.namespace, ref.name))

    def _owner(self, entry: Entry) -> None:
        """The owner's name as text; its kind (`user:` or `group:`, group when not written) as a field."""
        text = self.text("owner", entry)
        if text is None:
            return
        ref = _parse_ref(text, "group", self.namespace)
        if ref is None:
            self.report(entry, "spec.owner", f"not imported: `{text}` is not an entity reference")
            return
        self.draft.fields["owner"] = _qualified(ref.namespace, ref.name)
        self.draft.fields["backstage.owner_kind"] = ref.kind
        if ":" in text:
            how = f"`{text.partition(':')[0]}:` dropped from the name, kept as backstage.owner_kind"
        else:
            how = "no kind written: a group, as for Backstage, in backstage.owner_kind"
        self.draft.mapped.append(f"spec.owner -> owner ({how})")

    def _references(
        self, key: str, entry: Entry, default_kind: str | None
    ) -> list[tuple[str, _Ref, Located]]:
        references: list[tuple[str, _Ref, Located]] = []
        for text, item in self.texts(key, entry):
            ref = _parse_ref(text, default_kind, self.namespace)
            if ref is None:
                self.report(item, f"spec.{key}", f"not imported: `{text}` is not an entity reference")
            else:
                references.append((text, ref, item))
        return references

    def _resolved(self, key: str, entry: Entry, default_kind: str | None) -> list[str]:
        """The subjects a list of references names; the others are reported as left out."""
        names: list[str] = []
        for text, ref, item in self._references(key, entry, default_kind):
            name = self.importer.resolve(ref)
            if name is None:
                finding = self.entity.finding(item, f"spec.{key}", _left_out(key, text, ref))
                self.draft.findings.append(replace(finding, reference=True))
            else:
                names.append(name)
        return names

    def _dependencies(self, key: str, entry: Entry) -> None:
        default_kind = {"consumesApis": "api", "apiConsumedBy": "component"}.get(key)
        names = self._resolved(key, entry, default_kind)
        if not names:
            return
        if key == "apiConsumedBy":
            self.draft.consumed_by.extend(names)
            return
        if key == "dependencyOf":
            self.draft.dependency_of.extend(names)
            self.draft.mapped.append(f"spec.dependencyOf -> depends_on of {', '.join(names)}")
            return
        self.draft.depends_on.update(names)
        self.draft.mapped.append(f"spec.{key} -> depends_on")

    def _provides(self, entry: Entry) -> None:
        names = self._resolved("providesApis", entry, "api")
        if names:
            self.draft.provides.extend(dict.fromkeys(names))
            self.draft.mapped.append("spec.providesApis -> provides_apis")

    def _finish_dependencies(self) -> None:
        self.draft.depends_on.discard(self.draft.name)


def _left_out(key: str, text: str, ref: _Ref) -> str:
    if ref.kind is None:
        why = f"`{text}` names no kind, and no single imported entity has that name"
    else:
        full = "" if text == ref.text() else f" ({ref.text()})"
        why = f"`{text}`{full} is not among the imported entities"
    if key in ("dependencyOf", "apiConsumedBy"):
        return f"left out: {why}, so no `depends_on` can name this subject"
    into = "provides_apis" if key == "providesApis" else "depends_on"
    return f"left out of `{into}`: {why}, and decisionlang requires every name in `{into}` to be a subject"


def _subject(draft: _Draft) -> dict[str, Any]:
    fields = dict(draft.fields)
    if draft.depends_on:
        fields["depends_on"] = sorted(draft.depends_on)
    if draft.provides:
        fields["provides_apis"] = list(draft.provides)
    ordered = {path: fields.pop(path) for path in _FIELD_ORDER if path in fields}
    ordered.update(sorted(fields.items()))  # the annotations, by field name
    return ordered


# ---------------------------------------------------------------------------------------------
# output


def _notes(outcomes: Sequence[Outcome]) -> tuple[str, ...]:
    count = sum(1 for outcome in outcomes for finding in outcome.findings if finding.reference)
    if not count:
        return ()
    return (
        f"{count} {plural(count, 'reference')} to entities outside the imported files left out: "
        "decisionlang requires every name in `depends_on` and `provides_apis` to be a subject; "
        "import the files that declare them to keep those links",
    )

"""`decisionlang import terraform-plan`: the changes of a Terraform plan as decisionlang subjects.

The input is the JSON that `terraform show -json PLANFILE` prints (HashiCorp's "JSON output
format", `format_version` 0.x or 1.x). Each entry of `resource_changes` becomes a subject of kind
`resource_change`, and each plan a subject of kind `terraform_plan` whose `targets` are its
changes, so a policy can decide on each change (`applies to kind resource_change`) or on the plan
as a whole (`any(c in targets: ...)`).

Values known only after apply (`after_unknown`) are written as null, so reading them is missing
information: a rule that needs one is NOT YET, never a pass. Sensitive values (`before_sensitive`,
`after_sensitive`) are not written at all (the plan holds them in clear): they read as missing too.

A change is linked to the service that owns it by a mapping the user declares: a tag or label of
the resource (`--service-tag tags.service`: the `service` key of its `tags` attribute), or an
address prefix (`--service-module module.orders=orders-api`). The `service` field names that
subject, so `service.tier` reads the owning service's tier.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from decisionlang.core.dates import parse_datetime
from decisionlang.core.diagnostics import DecisionlangError, Diagnostic, capped, sorted_diagnostics
from decisionlang.core.spans import SourceFile, point, undecodable
from decisionlang.inputs.importers.common import Finding, ImportResult, Outcome, Unknown, plural
from decisionlang.inputs.limits import PLAN_LIMITS
from decisionlang.inputs.yamlreader import Entry, Located, YamlLimits, describe, load_yaml, plain_data

__all__ = [
    "ACTIONS",
    "CHANGE_KIND",
    "JSON_CODE",
    "PLAN_CODE",
    "PLAN_KIND",
    "STDIN",
    "ServiceMapping",
    "import_terraform_plans",
    "parse_module_mapping",
]

JSON_CODE = "DL-IMPORT-JSON"
PLAN_CODE = "DL-IMPORT-PLAN"
LIMIT_CODE = "DL-IMPORT-LIMIT"
READ_CODE = "DL-IMPORT-READ"

CHANGE_KIND = "resource_change"
PLAN_KIND = "terraform_plan"

# What Terraform writes in `change.actions` (terraform-json's Action constants).
ACTIONS = ("no-op", "create", "read", "update", "delete", "forget")
# `terraform.changes.*` on the plan subject: one count per summarised action, always all written.
COUNTED = ("create", "update", "replace", "delete", "read", "no-op", "forget")

SUPPORTED_MAJORS = ("0", "1")  # terraform-json accepts format_version >= 0.1, < 2.0

KNOWN_AFTER_APPLY = "known after apply"
STDIN = "<stdin>"  # the display path of a plan read from standard input (`-`): its plan is `plan`

_PLAN_HELP = (
    "give the JSON of a plan: `terraform plan -out=tfplan && terraform show -json tfplan > plan.json`"
)

# Top-level keys of a plan that are not imported, and why (anything else is ignored silently:
# Terraform adds keys over versions).
_PLAN_NOT_IMPORTED: dict[str, str] = {
    "output_changes": "output values are not subjects",
    "resource_drift": "changes made outside Terraform since the last apply (a refreshed plan holds them)",
    "checks": "the results of check blocks and conditions, not read yet",
    "deferred_changes": "changes Terraform deferred to a later plan",
}


@dataclass(frozen=True)
class ServiceMapping:
    """How a change names the service that owns it: tag keys first (in order), then address prefixes."""

    tags: tuple[str, ...] = ()  # `tags.service`: attribute `tags`, key `service`
    modules: tuple[tuple[str, str], ...] = ()  # (address prefix, service name)

    @property
    def declared(self) -> bool:
        return bool(self.tags or self.modules)

    def service(self, address: str, values: Sequence[Mapping[str, Any] | None]) -> tuple[str, str] | None:
        """The service and the mapping that named it (`tags.service`, `module.orders`), if any."""
        for tag in self.tags:
            attribute, _, key = tag.partition(".")
            for value in values:
                if value is None:
                    continue
                found = value.get(attribute)
                if isinstance(found, Mapping) and isinstance(found.get(key), str) and found[key].strip():
                    return found[key].strip(), tag
        matches = [(prefix, name) for prefix, name in self.modules if _under_prefix(address, prefix)]
        if matches:
            prefix, name = max(matches, key=lambda match: len(match[0]))
            return name, prefix
        return None


def _under_prefix(address: str, prefix: str) -> bool:
    """`module.a` covers `module.a.x.y` and `module.a["k"].x`, not `module.ab.x`."""
    return address == prefix or address.startswith((prefix + ".", prefix + "["))


def parse_module_mapping(text: str) -> tuple[str, str] | None:
    """`PREFIX=SERVICE` as a pair, or None when either side is empty."""
    prefix, equals, name = text.partition("=")
    if not equals or not prefix.strip() or not name.strip():
        return None
    return prefix.strip(), name.strip()


# ---------------------------------------------------------------------------------------------
# reading a plan file


@dataclass(frozen=True)
class _PlanFile:
    display: str
    source: SourceFile
    root: dict[str, Entry]
    line: int
    column: int


def _read(display: str, path: Path | bytes, limits: YamlLimits) -> _PlanFile | list[Diagnostic]:
    if isinstance(path, bytes):  # standard input, read by the caller
        data = path
    else:
        try:
            with path.open("rb") as stream:
                data = stream.read(limits.max_bytes + 1)
        except OSError as error:
            return [Diagnostic(READ_CODE, f"cannot read plan file: {error.strerror or error}", file=display)]
    if len(data) > limits.max_bytes:
        message = f"plan file is larger than the limit of {limits.max_bytes:,} bytes"
        return [Diagnostic(LIMIT_CODE, message, file=display)]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        where, byte = undecodable(display, data, error)
        return [
            Diagnostic(JSON_CODE, f"plan file is not valid UTF-8: {byte}", where, help="save it as UTF-8")
        ]
    problem = _json_problem(display, text)
    if problem is not None:
        return [problem]
    try:
        loaded = load_yaml(display, text, limits, noun="plan file")  # the same values, with positions
    except DecisionlangError as error:
        return list(error.diagnostics)
    if len(loaded.documents) != 1 or not isinstance(loaded.documents[0].value, dict):
        got = describe(plain_data(loaded.documents[0])) if loaded.documents else "nothing"
        where = point(loaded.source, 1, 1)
        return [
            Diagnostic(
                PLAN_CODE, f"not a Terraform plan: expected a JSON object, got {got}", where, _PLAN_HELP
            )
        ]
    document = loaded.documents[0]
    assert isinstance(document.value, dict)
    return _PlanFile(display, loaded.source, document.value, document.line, document.column)


def _json_problem(display: str, text: str) -> Diagnostic | None:
    """Why the text is not JSON (YAML would read more than JSON does), located."""

    def refuse(constant: str) -> Any:
        raise ValueError(f"`{constant}` is not a JSON number")

    try:
        json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as error:
        source = SourceFile(display, text)
        where = point(source, error.lineno, error.colno)
        return Diagnostic(JSON_CODE, f"not JSON: {error.msg}", where, _PLAN_HELP)
    except (ValueError, RecursionError) as error:
        message = str(error) if isinstance(error, ValueError) else "nested too deeply"
        return Diagnostic(JSON_CODE, f"not JSON: {message}", file=display, help=_PLAN_HELP)
    return None


# ---------------------------------------------------------------------------------------------
# checking the shape, with positions


class _Shape:
    """Located type checks of one plan file; problems are collected, not raised."""

    def __init__(self, plan: _PlanFile) -> None:
        self.plan = plan
        self.problems: list[Diagnostic] = []

    def problem(self, at: Entry | Located | None, message: str, help: str | None = None) -> None:
        line, column = (at.line, at.column) if at is not None else (self.plan.line, self.plan.column)
        where = point(self.plan.source, line, column)
        self.problems.append(Diagnostic(PLAN_CODE, message, where, help))

    def text(
        self,
        mapping: dict[str, Entry],
        key: str,
        path: str,
        *,
        required: bool,
        within: Located | None = None,
    ) -> str | None:
        """The text at `key`; a required key that is absent is reported at `within`, the mapping
        that lacks it (the plan's start when None)."""
        entry = mapping.get(key)
        if entry is None or entry.value.value is None:
            if required:
                self.problem(within if entry is None else entry.value, f"`{path}` is missing")
            return None
        value = entry.value.value
        if not isinstance(value, str):
            self.problem(entry.value, f"`{path}` must be text, got {describe(value)}")
            return None
        return value

    def mapping(self, entry: Entry | None, path: str) -> dict[str, Entry] | None:
        if entry is None:
            return None
        if not isinstance(entry.value.value, dict):
            self.problem(entry.value, f"`{path}` must be an object, got {describe(plain_data(entry.value))}")
            return None
        return entry.value.value


@dataclass
class _Change:
    """One resource change as read, before naming."""

    file: str
    line: int
    column: int
    address: str
    fields: dict[str, Any]
    before: Any
    after: Any
    findings: list[Finding] = field(default_factory=list)
    mapped: list[str] = field(default_factory=list)
    action: str = ""


@dataclass
class _Plan:
    file: _PlanFile
    fields: dict[str, Any]
    changes: list[_Change]
    findings: list[Finding]
    observed: dt.date | None = None  # the day of its `timestamp` (UTC): when the plan was made


def _check_version(shape: _Shape, root: dict[str, Entry]) -> None:
    version = shape.text(root, "format_version", "format_version", required=True)
    if version is None:
        if "format_version" not in root:
            shape.problems[-1] = Diagnostic(
                PLAN_CODE,
                "not a Terraform plan: no `format_version`",
                point(shape.plan.source, shape.plan.line, shape.plan.column),
                _PLAN_HELP,
            )
        return
    if not re.fullmatch(r"[0-9]+\.[0-9]+", version) or version.split(".")[0] not in SUPPORTED_MAJORS:
        shape.problem(
            root["format_version"].value,
            f"unsupported `format_version` {version!r}: decisionlang reads plan JSON format 0.x and 1.x",
            "export the plan with Terraform 0.12 or later (`terraform show -json`)",
        )


def _read_plan(plan: _PlanFile) -> tuple[_Plan | None, list[Diagnostic]]:
    shape = _Shape(plan)
    root = plan.root
    _check_version(shape, root)
    if shape.problems:
        return None, shape.problems
    fields: dict[str, Any] = {"terraform.format_version": plain_data(root["format_version"].value)}
    version = shape.text(root, "terraform_version", "terraform_version", required=False)
    if version is not None:
        fields["terraform.terraform_version"] = version
    for key in ("errored", "complete", "applyable"):
        entry = root.get(key)
        if entry is None or entry.value.value is None:
            continue
        if isinstance(entry.value.value, bool):
            fields[f"terraform.{key}"] = entry.value.value
        else:
            shape.problem(
                entry.value, f"`{key}` must be true or false, got {describe(plain_data(entry.value))}"
            )
    findings = [
        Finding(plan.display, entry.line, entry.column, key, f"not imported: {why}")
        for key, why in _PLAN_NOT_IMPORTED.items()
        if (entry := root.get(key)) is not None and entry.value.value not in (None, [], {})
    ]
    changes = _read_changes(shape, root)
    if shape.problems:
        return None, shape.problems
    return _Plan(plan, fields, changes, findings, _plan_day(root)), []


def _plan_day(root: dict[str, Entry]) -> dt.date | None:
    """The day (UTC) a plan was made, from its `timestamp` (Terraform 1.5 and later), when it has
    a readable one: what its subjects' facts were observed on."""
    entry = root.get("timestamp")
    instant = None if entry is None else parse_datetime(entry.value.value)
    return None if instant is None else instant.astimezone(dt.UTC).date()


def _read_changes(shape: _Shape, root: dict[str, Entry]) -> list[_Change]:
    entry = root.get("resource_changes")
    if entry is None:
        if "planned_values" in root:  # Terraform leaves the key out of a plan without changes
            return []
        shape.problems.append(
            Diagnostic(
                PLAN_CODE,
                "not a Terraform plan: no `resource_changes` (nor `planned_values`)",
                point(shape.plan.source, shape.plan.line, shape.plan.column),
                "this may be the JSON of a state (`terraform show -json` without a plan file): " + _PLAN_HELP,
            )
        )
        return []
    items = entry.value.value
    if items is None:
        return []
    if not isinstance(items, list):
        shape.problem(
            entry.value, f"`resource_changes` must be a list, got {describe(plain_data(entry.value))}"
        )
        return []
    changes: list[_Change] = []
    for index, item in enumerate(items):
        change = _read_change(shape, item, f"resource_changes[{index}]")
        if change is not None:
            changes.append(change)
    return changes


def _read_change(shape: _Shape, item: Located, path: str) -> _Change | None:
    if not isinstance(item.value, dict):
        shape.problem(
            item, f"`{path}` must be an object (one resource change), got {describe(plain_data(item))}"
        )
        return None
    body = item.value
    before = len(shape.problems)
    address = shape.text(body, "address", f"{path}.address", required=True, within=item)
    texts = {
        key: shape.text(body, key, f"{path}.{key}", required=key in ("type", "name"), within=item)
        for key in (
            "mode",
            "type",
            "name",
            "provider_name",
            "module_address",
            "previous_address",
            "deposed",
            "action_reason",
        )
    }
    change = shape.mapping(body.get("change"), f"{path}.change")
    if change is None and "change" not in body:
        shape.problem(item, f"`{path}.change` is missing")
    actions = _actions(shape, change, f"{path}.change", body["change"].value) if change is not None else None
    if len(shape.problems) > before or address is None or change is None or actions is None:
        return None
    fields: dict[str, Any] = {"terraform.address": address}
    if texts["previous_address"]:
        fields["terraform.previous_address"] = texts["previous_address"]
    fields["terraform.module"] = texts["module_address"] or "root"
    fields["terraform.mode"] = texts["mode"] or "managed"
    fields["terraform.type"] = texts["type"]
    fields["terraform.resource_name"] = texts["name"]
    index = body.get("index")
    if index is not None and index.value.value is not None:
        value = index.value.value
        fields["terraform.index"] = value if isinstance(value, str) else json.dumps(plain_data(index.value))
    if texts["provider_name"]:
        fields["terraform.provider"] = texts["provider_name"]
    if texts["deposed"]:
        fields["terraform.deposed"] = texts["deposed"]
    summary = _summary_action(actions)
    fields["terraform.actions"] = actions
    fields["terraform.action"] = summary
    if texts["action_reason"]:
        fields["terraform.action_reason"] = texts["action_reason"]
    fields["terraform.creates"] = "create" in actions
    fields["terraform.deletes"] = "delete" in actions
    importing = change.get("importing")
    if importing is not None and importing.value.value is not None:
        fields["terraform.importing"] = True
    plain = {key: plain_data(entry.value) for key, entry in change.items()}
    display = shape.plan.display
    result = _Change(
        display, item.line, item.column, address, fields, plain.get("before"), plain.get("after")
    )
    result.action = summary
    _values(result, plain, change)
    return result


def _actions(shape: _Shape, change: dict[str, Entry], path: str, within: Located) -> list[str] | None:
    entry = change.get("actions")
    if entry is None:
        shape.problem(within, f"`{path}.actions` is missing")
        return None
    items = entry.value.value
    if not isinstance(items, list) or not items:
        shape.problem(
            entry.value,
            f"`{path}.actions` must be a non-empty list of actions, got {describe(plain_data(entry.value))}",
        )
        return None
    actions: list[str] = []
    for item in items:
        if not isinstance(item.value, str) or item.value not in ACTIONS:
            shape.problem(
                item,
                f"unknown action {describe(item.value)} in `{path}.actions`",
                f"Terraform writes {', '.join(ACTIONS)}",
            )
            return None
        actions.append(item.value)
    return actions


def _summary_action(actions: Sequence[str]) -> str:
    """One word: the action itself, or `replace` for a delete and a create in either order."""
    if sorted(actions) == ["create", "delete"]:
        return "replace"
    return "+".join(actions)


# ---------------------------------------------------------------------------------------------
# values: unknown after apply, sensitive


def _values(change: _Change, plain: Mapping[str, Any], located: Mapping[str, Entry]) -> None:
    unknown_paths: list[str] = []
    sensitive_paths: list[str] = []
    before = _redacted(plain.get("before"), plain.get("before_sensitive"), "", sensitive_paths, "before")
    after = _redacted(plain.get("after"), plain.get("after_sensitive"), "", sensitive_paths, "after")
    after = _with_unknown(after, plain.get("after_unknown"), "", unknown_paths)
    if isinstance(before, Mapping):
        change.fields["change.before"] = before
    if isinstance(after, Mapping | Unknown):
        change.fields["change.after"] = after
    if unknown_paths:
        change.fields["terraform.after_unknown"] = unknown_paths
        count = len(unknown_paths)
        change.mapped.append(
            f"change.after_unknown -> {count} {plural(count, 'value')} missing ({KNOWN_AFTER_APPLY})"
        )
    if sensitive_paths:
        change.fields["terraform.sensitive"] = sensitive_paths
        at = located.get("after_sensitive") or located.get("before_sensitive")
        line, column = (at.line, at.column) if at is not None else (change.line, change.column)
        count = len(sensitive_paths)
        change.findings.append(
            Finding(
                change.file,
                line,
                column,
                "change.after_sensitive" if "after_sensitive" in located else "change.before_sensitive",
                f"not imported: {count} sensitive {plural(count, 'value')} ({', '.join(sensitive_paths)}), "
                "never written to a state file; listed in terraform.sensitive",
            )
        )


def _redacted(value: Any, sensitive: Any, path: str, paths: list[str], side: str) -> Any:
    """`value` without what `sensitive` marks (true at a path, or inside the same shape)."""
    if sensitive is True:
        if value is not None:
            paths.append(f"{side}.{path}" if path else side)
        return Unknown("sensitive: not written") if value is not None else None
    if isinstance(value, Mapping) and isinstance(sensitive, Mapping):
        return {
            key: _redacted(item, sensitive.get(key), _join(path, key), paths, side)
            for key, item in value.items()
        }
    if isinstance(value, list) and isinstance(sensitive, list):
        return [
            _redacted(
                item, sensitive[index] if index < len(sensitive) else None, f"{path}[{index}]", paths, side
            )
            for index, item in enumerate(value)
        ]
    return value


def _with_unknown(value: Any, unknown: Any, path: str, paths: list[str]) -> Any:
    """`value` with what `unknown` marks replaced by `Unknown` (missing information)."""
    if unknown is True:
        paths.append(path or "(the whole object)")
        return Unknown(KNOWN_AFTER_APPLY)
    if isinstance(unknown, Mapping):
        base = dict(value) if isinstance(value, Mapping) else {}
        if value is not None and not isinstance(value, Mapping):
            return value
        for key, marker in unknown.items():
            if marker is True or isinstance(marker, Mapping | list):
                base[key] = _with_unknown(base.get(key), marker, _join(path, key), paths)
        return base if (base or value is not None) else None
    if isinstance(unknown, list) and isinstance(value, list):
        return [
            _with_unknown(item, unknown[index] if index < len(unknown) else None, f"{path}[{index}]", paths)
            for index, item in enumerate(value)
        ]
    if isinstance(unknown, list) and value is None and any(marker is True for marker in unknown):
        paths.append(path)
        return Unknown(KNOWN_AFTER_APPLY)
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# ---------------------------------------------------------------------------------------------
# the import


def import_terraform_plans(
    files: Sequence[tuple[str, Path | bytes]],
    mapping: ServiceMapping | None = None,
    *,
    plan_name: str | None = None,
    limits: YamlLimits | None = None,
) -> ImportResult:
    """Read the plan files (display path, real path, or the bytes of standard input) and map their
    changes to subjects.

    Raises `DecisionlangError` when a file cannot be read, is not JSON, or is not a Terraform plan
    of a supported format (every file is read before raising).
    """
    mapping = mapping or ServiceMapping()
    plans: list[_Plan] = []
    problems: list[Diagnostic] = []
    for display, path in files:
        read = _read(display, path, limits or PLAN_LIMITS)
        if isinstance(read, list):
            problems.extend(read)
            continue
        plan, plan_problems = _read_plan(read)
        problems.extend(plan_problems)
        if plan is not None:
            plans.append(plan)
    if not files:
        problems.append(Diagnostic(READ_CODE, "no plan file to import", help=_PLAN_HELP))
    if problems:
        raise DecisionlangError(capped(sorted_diagnostics(problems)))
    names = _plan_names(plans, plan_name)
    subjects: list[dict[str, Any]] = []
    outcomes: list[Outcome] = []
    for plan in plans:
        plan_subjects, plan_outcomes = _subjects(plan, names[id(plan)], mapping, prefixed=len(plans) > 1)
        subjects.extend(plan_subjects)
        outcomes.extend(plan_outcomes)
    return ImportResult(
        source="terraform-plan",
        describes="Terraform plans (terraform show -json)",
        noun=("item", "items"),
        files=tuple(display for display, _ in files),
        subjects=tuple(subjects),
        items=tuple(outcomes),
        schema_note="The schema block of docs/inputs.md (Terraform plans) declares its fields.",
        notes=_notes(outcomes, mapping, prefixed=len(plans) > 1),
    )


def _plan_names(plans: Sequence[_Plan], given: str | None) -> dict[int, str]:
    """A plan is named after its file (`plan.json` -> `plan`); the path tells apart files of one name."""
    if given is not None and len(plans) == 1:
        return {id(plans[0]): given}
    stems = [Path(plan.file.display).stem if plan.file.display != STDIN else "plan" for plan in plans]
    names: dict[int, str] = {}
    for plan, stem in zip(plans, stems, strict=True):
        shared = stems.count(stem) > 1
        names[id(plan)] = str(Path(plan.file.display).with_suffix("")) if shared else stem
    return names


def _subjects(
    plan: _Plan, plan_name: str, mapping: ServiceMapping, *, prefixed: bool
) -> tuple[list[dict[str, Any]], list[Outcome]]:
    subjects: list[dict[str, Any]] = []
    outcomes: list[Outcome] = []
    names: list[str] = []
    services: dict[str, None] = {}
    counts = dict.fromkeys(COUNTED, 0)
    for change in plan.changes:
        name = change.address + (
            f":deposed:{change.fields['terraform.deposed']}" if "terraform.deposed" in change.fields else ""
        )
        name = f"{plan_name}:{name}" if prefixed else name
        names.append(name)
        counts[change.action] = counts.get(change.action, 0) + 1
        service = _link_service(change, mapping)
        if service is not None and change.action not in ("no-op", "read"):
            services[service] = None
        subject = {"name": name, "kind": CHANGE_KIND, **_observed(plan)}
        if service is not None:
            subject["service"] = service
        subject["terraform.plan"] = plan_name
        subject.update(change.fields)
        subjects.append(subject)
        outcomes.append(
            Outcome(
                change.file,
                change.line,
                change.column,
                change.action,
                change.address,
                name,
                CHANGE_KIND,
                tuple(change.mapped),
                tuple(change.findings),
            )
        )
    plan_subject: dict[str, Any] = {"name": plan_name, "kind": PLAN_KIND, **_observed(plan)}
    if names:
        plan_subject["targets"] = names
    plan_subject.update(plan.fields)
    if services:
        plan_subject["terraform.services"] = list(services)
    for action in COUNTED:
        plan_subject[f"terraform.changes.{action.replace('-', '_')}"] = counts[action]
    plan_subject["terraform.changes.total"] = len(plan.changes)
    file = plan.file
    count = len(plan.changes)
    plan_outcome = Outcome(
        file.display,
        file.line,
        file.column,
        "plan",
        file.display,
        plan_name,
        PLAN_KIND,
        (f"resource_changes -> targets ({count} {plural(count, 'change')})",),
        tuple(plan.findings),
    )
    return [plan_subject, *subjects], [plan_outcome, *outcomes]


def _observed(plan: _Plan) -> dict[str, Any]:
    return {} if plan.observed is None else {"observed": plan.observed}


def _link_service(change: _Change, mapping: ServiceMapping) -> str | None:
    values = [value if isinstance(value, Mapping) else None for value in (change.after, change.before)]
    found = mapping.service(change.address, values)
    if found is not None:
        service, how = found
        change.mapped.append(f"{how} -> service {service}")
        return service
    if mapping.declared:
        ways = [f"no `{tag}` value" for tag in mapping.tags]
        if mapping.modules:
            ways.append("no --service-module prefix covers the address")
        message = f"no service: {' and '.join(ways)}; a policy reading `service` finds it missing"
        change.findings.append(
            Finding(change.file, change.line, change.column, "service", message, reference=True)
        )
    return None


def _notes(outcomes: Sequence[Outcome], mapping: ServiceMapping, *, prefixed: bool) -> tuple[str, ...]:
    changes = [outcome for outcome in outcomes if outcome.subject_kind == CHANGE_KIND]
    notes: tuple[str, ...] = ()
    if prefixed:
        notes = ("several plans are imported: each change is named PLAN:ADDRESS, after its plan",)
    if not changes:
        return notes
    if not mapping.declared:
        return (
            *notes,
            "no service mapping declared: no change names the service it belongs to; give "
            "--service-tag KEY (e.g. tags.service) or --service-module PREFIX=SERVICE",
        )
    unlinked = sum(1 for outcome in changes for finding in outcome.findings if finding.reference)
    if not unlinked:
        return notes
    return (
        *notes,
        f"{unlinked} of {len(changes)} {plural(len(changes), 'change')} have no service:"
        " see the `service:` lines above",
    )

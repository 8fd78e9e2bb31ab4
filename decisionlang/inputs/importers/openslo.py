"""`decisionlang import openslo`: OpenSLO service level objectives as decisionlang subjects.

OpenSLO (https://openslo.com, `apiVersion: openslo/v1`; the earlier `openslo/v1alpha` and the
draft `openslo.com/v2alpha` are read too) describes SLOs as YAML objects. Each objective of each
SLO becomes a subject of kind `slo`, named `slo:` and the SLO's name (`slo:search-slo`: an SLO is
often named after its service, and the two must not collide), with `/OBJECTIVE` when the SLO has
several objectives (`slo:service-availability/sla`). Its `service` names the service the
SLO is about, so a policy reads `service.tier` next to `slo.target`. `Service` objects become
subjects of kind `service`. SLIs, data sources and alerting objects are reported, not imported.

A file holds one object, a list of objects, or several `---` documents of either.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from decisionlang.core.diagnostics import DecisionlangError, Diagnostic, capped, sorted_diagnostics
from decisionlang.core.spans import point
from decisionlang.inputs.importers.common import (
    Annotated,
    Draft,
    Finding,
    ImportResult,
    NotAnObject,
    Outcome,
    object_header,
    plural,
)
from decisionlang.inputs.yamlreader import Entry, Located, YamlFile, YamlLimits, describe, load_yaml

__all__ = ["API_VERSIONS", "NO_OBJECT", "OBJECT", "SLO_KIND", "import_openslo"]

OBJECT = "DL-IMPORT-OPENSLO"
NO_OBJECT = "DL-IMPORT-NO-ENTITY"
SLO_KIND = "slo"

API_VERSIONS = ("openslo/v1", "openslo/v1alpha", "openslo.com/v2alpha", "openslo/v2alpha")
BUDGETING_METHODS = ("Occurrences", "Timeslices", "RatioTimeslices")
OPERATORS = ("lt", "lte", "gt", "gte")

_HELP = "an OpenSLO object is a mapping with `apiVersion` (openslo/v1, ...), `kind` and `metadata.name`"

_SKIPPED_KINDS: dict[str, str] = {
    "sli": "an indicator that no imported SLO names in `indicatorRef`",
    "datasource": "where metrics come from, not something decisions are about",
    "alertpolicy": "alerting: an SLO's `slo.alert_policies` counts the alert policies it names",
    "alertcondition": "alerting: an SLO's `slo.alert_policies` counts the alert policies it names",
    "alertnotificationtarget": "where alerts go, not something decisions are about",
}

# OpenSLO duration shorthand: a whole number and a unit (m minute, h hour, d day, w week, M month,
# Q quarter, Y year); months count 30 days and years 365, as decisionlang durations do.
_SHORTHAND = re.compile(r"([1-9][0-9]*)([mhdwMQY])")
_WORDS = {
    "m": ("minute", 1),
    "h": ("hour", 1),
    "d": ("day", 1),
    "w": ("week", 1),
    "M": ("month", 1),
    "Q": ("month", 3),
    "Y": ("year", 1),
}
_V1ALPHA_UNITS = {
    "second": None,
    "minute": "m",
    "hour": "h",
    "day": "d",
    "week": "w",
    "month": "M",
    "quarter": "Q",
    "year": "Y",
}

# Key order of a generated subject.
_FIELD_ORDER = (
    "name",
    "kind",
    "title",
    "description",
    "service",
    "tags",
    "slo.name",
    "slo.objective",
    "slo.objectives",
    "slo.target",
    "slo.op",
    "slo.threshold",
    "slo.budgeting_method",
    "slo.time_slice_target",
    "slo.time_slice_window",
    "slo.time_window",
    "slo.rolling",
    "slo.calendar.start",
    "slo.calendar.time_zone",
    "slo.indicator",
    "slo.indicator_kind",
    "slo.metric_source",
    "slo.alert_policies",
    "openslo.api_version",
)


@dataclass(frozen=True)
class _Object:
    file: str
    line: int
    column: int
    api_version: str
    kind: str
    name: str
    body: dict[str, Entry]

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"

    def finding(self, at: Entry | Located | None, path: str, message: str) -> Finding:
        line, column = (at.line, at.column) if at is not None else (self.line, self.column)
        return Finding(self.file, line, column, path, message)


# ---------------------------------------------------------------------------------------------
# reading objects


def _objects(file: YamlFile) -> tuple[list[_Object], list[Diagnostic]]:
    objects: list[_Object] = []
    problems: list[Diagnostic] = []
    for document in file.documents:
        items = document.value if isinstance(document.value, list) else [document]
        for item in items:
            read = _object(file, item)
            if isinstance(read, Diagnostic):
                problems.append(read)
            else:
                objects.append(read)
    if not file.documents:
        problems.append(
            Diagnostic(NO_OBJECT, "no OpenSLO object in this file", file=file.source.path, help=_HELP)
        )
    return objects, problems


def _object(file: YamlFile, item: Located) -> _Object | Diagnostic:
    header = object_header(item, version_problem=_version_problem)
    if isinstance(header, NotAnObject):
        return _not_object(file, header.at, header.message)
    name = str(header.name.value.value).strip()
    return _Object(
        file.source.path, item.line, item.column, header.api_version, header.kind, name, header.body
    )


def _version_problem(version: str) -> str | None:
    if version in API_VERSIONS:
        return None
    return (
        f"`apiVersion` {version!r} is not an OpenSLO version decisionlang reads ({', '.join(API_VERSIONS)})"
    )


def _not_object(file: YamlFile, at: Located, message: str) -> Diagnostic:
    where = point(file.source, at.line, at.column)
    return Diagnostic(OBJECT, f"not an OpenSLO object: {message}", where, _HELP)


# ---------------------------------------------------------------------------------------------
# the import


def import_openslo(files: Sequence[tuple[str, Path]], *, limits: YamlLimits | None = None) -> ImportResult:
    """Read the OpenSLO files (display path, real path) and map their SLOs and services to subjects.

    Raises `DecisionlangError` when a file cannot be read, is not YAML, holds something that is not
    an OpenSLO object, or when the files hold no SLO or Service at all.
    """
    objects: list[_Object] = []
    problems: list[Diagnostic] = []
    for display, path in files:
        try:
            loaded = load_yaml(display, path, limits, noun="OpenSLO file")
        except DecisionlangError as error:
            problems.extend(error.diagnostics)
            continue
        found, file_problems = _objects(loaded)
        objects.extend(found)
        problems.extend(file_problems)
    if not files:
        problems.append(Diagnostic(NO_OBJECT, "no OpenSLO file to import", help=_HELP))
    if problems:
        raise DecisionlangError(capped(sorted_diagnostics(problems)))
    objects.sort(key=lambda obj: (obj.file, obj.line, obj.column))  # the same result in any order
    result = _Importer(objects).run(tuple(display for display, _ in files))
    if not result.subjects:
        raise DecisionlangError([_nothing_to_import(item) for item in result.items])
    return result


def _nothing_to_import(item: Outcome) -> Diagnostic:
    message = f"no SLO or Service to import: {item.ref} is {item.findings[0].message}"
    help = "decisionlang imports the SLO and Service objects of OpenSLO files"
    return Diagnostic(NO_OBJECT, message, file=item.file, line=item.line, column=item.column, help=help)


class _Importer:
    def __init__(self, objects: Sequence[_Object]) -> None:
        self.objects = objects
        self.first: dict[tuple[str, str], _Object] = {}
        services = {obj.name for obj in objects if obj.kind.lower() == "service"}
        self.services = services
        self.slis: dict[str, _Object] = {}
        for obj in objects:
            if obj.kind.lower() == "sli":
                self.slis.setdefault(obj.name, obj)
        self.sli_users: dict[str, list[str]] = {}  # SLI name -> the SLOs whose indicatorRef names it
        for obj in objects:
            ref = _indicator_ref(obj) if obj.kind.lower() == "slo" else None
            if ref is not None:
                self.sli_users.setdefault(ref, []).append(f"slo:{obj.name}")

    def run(self, files: tuple[str, ...]) -> ImportResult:
        subjects: list[dict[str, Any]] = []
        outcomes: list[Outcome] = []
        named: set[str] = set()
        for obj in self.objects:
            made, outcome = self._one(obj)
            subjects.extend(made)
            outcomes.append(outcome)
            named.update(str(subject["service"]) for subject in made if "service" in subject)
        subjects.sort(key=lambda subject: str(subject["name"]))
        return ImportResult(
            source="openslo",
            describes="OpenSLO files",
            noun=("object", "objects"),
            files=files,
            subjects=tuple(subjects),
            items=tuple(outcomes),
            schema_note="The schema block of docs/inputs.md (OpenSLO) declares its fields.",
            notes=_notes(sorted(named - self.services)),
        )

    def _one(self, obj: _Object) -> tuple[list[dict[str, Any]], Outcome]:
        place = (obj.file, obj.line, obj.column, obj.kind, obj.ref)
        kind = obj.kind.lower()
        if kind == "sli" and obj.name in self.sli_users and self.slis.get(obj.name) is obj:
            users = ", ".join(self.sli_users[obj.name])
            message = f"not a subject: an indicator, read into the SLOs that name it ({users})"
            return [], Outcome(*place, None, None, (), (obj.finding(None, "", message),))
        if kind not in ("slo", "service"):
            reason = _SKIPPED_KINDS.get(kind, f"kind `{obj.kind}` has no decisionlang equivalent")
            return [], Outcome(*place, None, None, (), (obj.finding(None, "", f"not imported: {reason}"),))
        first = self.first.setdefault((kind, obj.name), obj)
        if first is not obj:
            message = f"not imported: the same {obj.kind} as at {first.file}:{first.line}"
            return [], Outcome(*place, None, None, (), (obj.finding(None, "", message),))
        if kind == "service":
            draft = _common(obj, "service")
            subject = _ordered(draft.fields)
            return [subject], Outcome(
                *place, str(subject["name"]), "service", tuple(draft.mapped), tuple(draft.findings)
            )
        return self._slo(obj)

    def _slo(self, obj: _Object) -> tuple[list[dict[str, Any]], Outcome]:
        place = (obj.file, obj.line, obj.column, obj.kind, obj.ref)
        base = f"slo:{obj.name}"  # an SLO is often named after its service: never the same name
        draft = _common(obj, SLO_KIND, name=base)
        draft.set("metadata.name", "slo.name", obj.name)
        spec = _mapping(obj, draft, obj.body.get("spec"), "spec")
        objectives: list[Located] = []
        if spec is not None:
            _SloSpec(obj, draft, self.slis).map(spec)
            entry = spec.get("objectives")
            if entry is not None and isinstance(entry.value.value, list):
                objectives = [item for item in entry.value.value if isinstance(item.value, dict)]
        if not objectives:
            finding = obj.finding(None, "spec.objectives", "not imported: the SLO has no objective")
            return [], Outcome(*place, None, None, (), (finding, *draft.findings))
        draft.fields["slo.objectives"] = len(objectives)
        subjects: list[dict[str, Any]] = []
        names = _objective_names(base, objectives)
        for objective, name in zip(objectives, names, strict=True):
            fields = dict(draft.fields)
            fields["name"] = name
            fields.update(_objective(obj, draft, objective))
            subjects.append(_ordered(fields))
        mapped = tuple(dict.fromkeys(draft.mapped))
        return subjects, Outcome(*place, ", ".join(names), SLO_KIND, mapped, tuple(draft.findings))


def _notes(unknown_services: Sequence[str]) -> tuple[str, ...]:
    if not unknown_services:
        return ()
    count = len(unknown_services)
    return (
        f"{count} {plural(count, 'service')} named by SLOs but declared by no imported Service object:"
        f" {', '.join(unknown_services)}; each must be a subject of the decision repo (a Backstage"
        " import or a hand-written state), or `decisionlang validate` reports DL-STATE-DANGLING",
    )


def _ordered(fields: dict[str, Any]) -> dict[str, Any]:
    ordered = {path: fields.pop(path) for path in _FIELD_ORDER if path in fields}
    ordered.update(sorted(fields.items()))
    return ordered


def _objective_names(base: str, objectives: Sequence[Located]) -> list[str]:
    """The SLO's name for one objective; `SLO/key` for several, keys from names or display names."""
    if len(objectives) == 1:
        return [base]
    names: list[str] = []
    for index, objective in enumerate(objectives, start=1):
        assert isinstance(objective.value, dict)
        key = ""
        for field_name in ("name", "displayName"):
            entry = objective.value.get(field_name)
            if entry is not None and isinstance(entry.value.value, str):
                key = _slug(entry.value.value)
                if key:
                    break
        key = key or str(index)
        name = f"{base}/{key}"
        while name in names:
            name = f"{base}/{key}-{index}"
        names.append(name)
    return names


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", text.lower()).strip("-")


# ---------------------------------------------------------------------------------------------
# fields


def _common(obj: _Object, kind: str, *, name: str | None = None) -> Draft:
    draft = Draft()
    draft.set("metadata.name", "name", name or obj.name)
    draft.fields["kind"] = kind
    draft.fields["openslo.api_version"] = obj.api_version
    metadata = obj.body["metadata"].value.value
    assert isinstance(metadata, dict)
    display = _text(obj, draft, metadata.get("displayName"), "metadata.displayName")
    if display:
        draft.set("metadata.displayName", "title", display)
    labels = metadata.get("labels")
    if labels is not None:
        tags = _labels(obj, draft, labels)
        if tags:
            draft.set("metadata.labels", "tags", tags)
    spec = obj.body.get("spec")
    if spec is not None and isinstance(spec.value.value, dict):
        description = _text(obj, draft, spec.value.value.get("description"), "spec.description")
        if description:
            draft.set("spec.description", "description", description)
    return draft


def _labels(obj: _Object, draft: Draft, entry: Entry) -> list[str]:
    """`key: value` or `key: [values]` labels as `key:value` tags."""
    if not isinstance(entry.value.value, dict):
        draft.findings.append(
            obj.finding(
                entry,
                "metadata.labels",
                f"not imported: must be a mapping, got {describe(entry.value.value)}",
            )
        )
        return []
    tags: list[str] = []
    for key, value in entry.value.value.items():
        items = value.value.value if isinstance(value.value.value, list) else [value.value]
        for item in items:
            if isinstance(item.value, str | int | float) and not isinstance(item.value, bool):
                tags.append(f"{key}:{item.value}")
            else:
                draft.findings.append(
                    obj.finding(
                        item,
                        f"metadata.labels.{key}",
                        f"not imported: must be text, got {describe(item.value)}",
                    )
                )
    return list(dict.fromkeys(tags))


def _text(obj: _Object, draft: Draft, entry: Entry | None, path: str) -> str | None:
    if entry is None or entry.value.value is None:
        return None
    value = entry.value.value
    if not isinstance(value, str):
        draft.findings.append(
            obj.finding(entry.value, path, f"not imported: must be text, got {describe(value)}")
        )
        return None
    return value


def _choice(obj: _Object, draft: Draft, entry: Entry | None, path: str, choices: Sequence[str]) -> str | None:
    """Text that is one of `choices`; other text is reported and not imported."""
    value = _text(obj, draft, entry, path)
    if value is None or value in choices:
        return value
    assert entry is not None  # _text read it
    draft.findings.append(
        obj.finding(entry.value, path, f"not imported: {value!r} is not {', '.join(choices)}")
    )
    return None


def _number(obj: _Object, draft: Draft, entry: Entry | None, path: str) -> float | int | None:
    if entry is None or entry.value.value is None:
        return None
    value = entry.value.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        draft.findings.append(
            obj.finding(entry.value, path, f"not imported: must be a number, got {describe(value)}")
        )
        return None
    return value


def _mapping(obj: _Object, draft: Draft, entry: Entry | None, path: str) -> dict[str, Entry] | None:
    if entry is None or entry.value.value is None:
        return None
    if not isinstance(entry.value.value, dict):
        draft.findings.append(
            obj.finding(
                entry.value, path, f"not imported: must be a mapping, got {describe(entry.value.value)}"
            )
        )
        return None
    return entry.value.value


class _SloSpec:
    """The fields every objective of an SLO shares."""

    def __init__(self, obj: _Object, draft: Draft, slis: dict[str, _Object]) -> None:
        self.obj = obj
        self.draft = draft
        self.slis = slis  # the SLI objects read, by name, for `indicatorRef`

    def map(self, spec: dict[str, Entry]) -> None:
        obj, draft = self.obj, self.draft
        service = _text(obj, draft, spec.get("service"), "spec.service")
        if service:
            draft.set("spec.service", "service", service.strip())
        else:
            draft.findings.append(
                obj.finding(None, "spec.service", "no service: a policy reading `service` finds it missing")
            )
        method = _choice(obj, draft, spec.get("budgetingMethod"), "spec.budgetingMethod", BUDGETING_METHODS)
        if method is not None:
            draft.set("spec.budgetingMethod", "slo.budgeting_method", method)
        self._window(spec)
        self._indicator(spec)
        alerts = spec.get("alertPolicies")
        count = len(alerts.value.value) if alerts is not None and isinstance(alerts.value.value, list) else 0
        draft.set("spec.alertPolicies", "slo.alert_policies", count)

    def _window(self, spec: dict[str, Entry]) -> None:
        obj, draft = self.obj, self.draft
        key = "timeWindow" if "timeWindow" in spec else "timeWindows"  # v1alpha: `timeWindows`
        entry = spec.get(key)
        if entry is None or entry.value.value is None:
            draft.findings.append(
                obj.finding(None, f"spec.{key}", "no time window: `slo.time_window` is missing")
            )
            return
        windows = entry.value.value if isinstance(entry.value.value, list) else [entry.value]
        if not windows or not isinstance(windows[0].value, dict):
            draft.findings.append(
                obj.finding(entry.value, f"spec.{key}", "not imported: must be a list of time windows")
            )
            return
        if len(windows) > 1:
            draft.findings.append(
                obj.finding(
                    windows[1],
                    f"spec.{key}",
                    "not imported: only the first time window is read (OpenSLO allows one)",
                )
            )
        window = windows[0].value
        assert isinstance(window, dict)
        path = f"spec.{key}[0]"
        shorthand = self._shorthand(window, path)
        source = f"{path}.duration" if "duration" in window else f"{path}.count, unit"
        if shorthand is not None:
            duration = _duration(shorthand)
            if duration is None:
                draft.findings.append(
                    obj.finding(
                        windows[0],
                        path,
                        f"not imported: {shorthand!r} is not an OpenSLO duration (e.g. 28d, 4w, 1M)",
                    )
                )
            else:
                value, note = duration
                draft.set(source, "slo.time_window", Annotated(value, f"{shorthand}{note}"))
        rolling = window.get("isRolling")
        if rolling is not None and isinstance(rolling.value.value, bool):
            draft.set(f"{path}.isRolling", "slo.rolling", rolling.value.value)
        calendar = _mapping(obj, draft, window.get("calendar"), f"{path}.calendar")
        if calendar is not None:
            start = calendar.get("startTime")
            if start is not None and start.value.value is not None:
                draft.set(f"{path}.calendar.startTime", "slo.calendar.start", str(start.value.value))
            zone = _text(obj, draft, calendar.get("timeZone"), f"{path}.calendar.timeZone")
            if zone:
                draft.set(f"{path}.calendar.timeZone", "slo.calendar.time_zone", zone)

    def _shorthand(self, window: dict[str, Entry], path: str) -> str | None:
        """v1's `duration: 28d`, or v1alpha's `count: 28` and `unit: Day`, as shorthand."""
        duration = _text(self.obj, self.draft, window.get("duration"), f"{path}.duration")
        if duration is not None:
            return duration.strip()
        count, unit = window.get("count"), window.get("unit")
        if count is None or unit is None:
            return None
        letter = _V1ALPHA_UNITS.get(str(unit.value.value).lower())
        if not isinstance(count.value.value, int) or letter is None:
            self.draft.findings.append(
                self.obj.finding(
                    unit.value,
                    f"{path}.unit",
                    f"not imported: {count.value.value} {unit.value.value} is not a time window"
                    " decisionlang reads",
                )
            )
            return None
        return f"{count.value.value}{letter}"

    def _indicator(self, spec: dict[str, Entry]) -> None:
        obj, draft = self.obj, self.draft
        for key in ("indicator", "sli"):  # v1, v2alpha
            entry = spec.get(key)
            indicator = _mapping(obj, draft, entry, f"spec.{key}")
            if indicator is None:
                continue
            metadata = indicator.get("metadata")
            if metadata is not None and isinstance(metadata.value.value, dict):
                name = metadata.value.value.get("name")
                if name is not None and isinstance(name.value.value, str):
                    draft.set(f"spec.{key}.metadata.name", "slo.indicator", name.value.value)
            body = indicator.get("spec")
            metrics = (
                body.value.value if body is not None and isinstance(body.value.value, dict) else indicator
            )
            _metric(obj, draft, metrics, f"spec.{key}")
        ref = _text(obj, draft, spec.get("indicatorRef"), "spec.indicatorRef")
        if ref:
            draft.set("spec.indicatorRef", "slo.indicator", ref.strip())
            self._referenced(spec["indicatorRef"], ref.strip())

    def _referenced(self, at: Entry, name: str) -> None:
        """An SLI defined apart (`indicatorRef`): its metric, when the SLI is among the files read."""
        sli = self.slis.get(name)
        body = sli.body.get("spec") if sli is not None else None
        if sli is None or body is None or not isinstance(body.value.value, dict):
            message = (
                f"left out: `{name}` names no SLI object among the imported files, so"
                " slo.indicator_kind and slo.metric_source are missing; import the file that defines it"
            )
            self.draft.findings.append(
                replace(self.obj.finding(at, "spec.indicatorRef", message), reference=True)
            )
            return
        _metric(self.obj, self.draft, body.value.value, f"SLI {name} spec")


def _indicator_ref(obj: _Object) -> str | None:
    spec = obj.body.get("spec")
    if spec is None or not isinstance(spec.value.value, dict):
        return None
    entry = spec.value.value.get("indicatorRef")
    if entry is None or not isinstance(entry.value.value, str) or not entry.value.value.strip():
        return None
    return entry.value.value.strip()


def _metric(obj: _Object, draft: Draft, metrics: dict[str, Entry], path: str) -> None:
    """`ratioMetric` or `thresholdMetric` (v1alpha: `ratioMetrics`), and its source's type."""
    for key, kind in (
        ("ratioMetric", "ratioMetric"),
        ("ratioMetrics", "ratioMetric"),
        ("thresholdMetric", "thresholdMetric"),
    ):
        entry = metrics.get(key)
        if entry is None or not isinstance(entry.value.value, dict):
            continue
        draft.set(f"{path}.{key}", "slo.indicator_kind", kind)
        source = _source_type(entry.value.value)
        if source:
            draft.set(f"{path}.{key} source", "slo.metric_source", source)
        return


def _source_type(metric: dict[str, Entry]) -> str | None:
    """The data source: v1's `metricSource.type`, v1alpha's `source`, v2alpha's `dataSourceRef`."""
    good = metric.get("good")
    for body in (good.value.value if good is not None else None, metric):
        if not isinstance(body, dict):
            continue
        source = body.get("metricSource")
        if source is not None and isinstance(source.value.value, dict):
            kind = source.value.value.get("type")
            if kind is not None and isinstance(kind.value.value, str):
                return kind.value.value
        for key in ("source", "dataSourceRef"):
            entry = body.get(key)
            if entry is not None and isinstance(entry.value.value, str):
                return entry.value.value
    return None


def _objective(obj: _Object, draft: Draft, objective: Located) -> dict[str, Any]:
    """The fields of one objective (its findings and mapped fields join the SLO's)."""
    body = objective.value
    assert isinstance(body, dict)
    fields: dict[str, Any] = {}
    scratch = Draft()
    display = _text(obj, scratch, body.get("displayName"), "objectives[].displayName")
    if display:
        fields["slo.objective"] = display
        draft.mapped.append("objectives[].displayName -> slo.objective")
    target = _number(obj, scratch, body.get("target"), "objectives[].target")
    percent = _number(obj, scratch, body.get("targetPercent"), "objectives[].targetPercent")
    if target is not None:
        fields["slo.target"] = target
        draft.mapped.append("objectives[].target -> slo.target")
    elif percent is not None:
        fields["slo.target"] = Annotated(round(percent / 100, 12), f"targetPercent {percent}")
        draft.mapped.append("objectives[].targetPercent / 100 -> slo.target")
    else:
        scratch.findings.append(
            obj.finding(objective, "objectives[].target", "no target: `slo.target` is missing")
        )
    op = _choice(obj, scratch, body.get("op"), "objectives[].op", OPERATORS)
    if op is not None:
        fields["slo.op"] = op
        draft.mapped.append("objectives[].op -> slo.op")
    value = _number(obj, scratch, body.get("value"), "objectives[].value")
    if value is not None:
        fields["slo.threshold"] = value
        draft.mapped.append("objectives[].value -> slo.threshold")
    slice_target = _number(obj, scratch, body.get("timeSliceTarget"), "objectives[].timeSliceTarget")
    if slice_target is not None:
        fields["slo.time_slice_target"] = slice_target
        draft.mapped.append("objectives[].timeSliceTarget -> slo.time_slice_target")
    window = _text(obj, scratch, body.get("timeSliceWindow"), "objectives[].timeSliceWindow")
    if window is not None:
        duration = _slice(window.strip())
        if duration is None:
            scratch.findings.append(
                obj.finding(
                    body["timeSliceWindow"].value,
                    "objectives[].timeSliceWindow",
                    f"not imported: {window!r} is not a duration like 1m or 30s",
                )
            )
        else:
            fields["slo.time_slice_window"] = Annotated(duration, window.strip())
            draft.mapped.append("objectives[].timeSliceWindow -> slo.time_slice_window")
    ratio = body.get("ratioMetrics")  # v1alpha: the metric is on the objective
    if ratio is not None and isinstance(ratio.value.value, dict):
        fields["slo.indicator_kind"] = "ratioMetric"
        source = _source_type(ratio.value.value)
        if source:
            fields["slo.metric_source"] = source
        draft.mapped.append("objectives[].ratioMetrics -> slo.indicator_kind, slo.metric_source")
    for key in ("indicator", "indicatorRef", "compositeWeight"):
        if key in body:
            scratch.findings.append(
                obj.finding(body[key], f"objectives[].{key}", "not imported: composite SLOs are not read yet")
            )
    for finding in scratch.findings:
        if finding not in draft.findings:
            draft.findings.append(finding)
    return fields


def _duration(shorthand: str) -> tuple[str, str] | None:
    """An OpenSLO duration as a decisionlang one: `2w` is "2 weeks", `1m` "1 minute", `1Q` "3 months"."""
    match = _SHORTHAND.fullmatch(shorthand)
    if match is None:
        return None
    count, unit = int(match.group(1)), match.group(2)
    word, times = _WORDS[unit]
    total = count * times
    note = " (m is a minute in OpenSLO, M a month)" if unit == "m" else ""
    return f"{total} {word}{'s' if total != 1 else ''}", note


def _slice(text: str) -> str | None:
    """A time slice's window (`1m`, `30s`, `5m`) as a decisionlang duration."""
    match = re.fullmatch(r"([1-9][0-9]*)([smhd])", text)
    if match is None:
        return None
    count = int(match.group(1))
    word = {"s": "second", "m": "minute", "h": "hour", "d": "day"}[match.group(2)]
    return f"{count} {word}{'s' if count != 1 else ''}"

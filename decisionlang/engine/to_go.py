"""What it would take to reach GO: the smallest sets of fact changes that make a subject GO.

The search asks the evaluator itself, never a second reading of the policies: every option it
reports was evaluated, with its changes applied, and came out GO.

- **What may change.** The subject's own facts that the rules holding it back read (the deciding
  rules, the rules that fire behind them, the `go` rules a fallback stands in for, the facts they
  lack), of a type a team can move: numbers (within the schema's range, on integers for
  `integer`, on the `in {...}` values when the schema lists them), scale values (one step at a
  time, in the scale's order), booleans, dates and durations. Never a field the schema marks
  `fixed`, never another subject's fact, never a name, text or list.
- **Where to.** For a comparison that holds the subject back, the value of the field at which the
  comparison turns: the margin is measured again with the field moved by one step, and the value
  that closes it is computed from that slope (scores and most conditions are linear in each
  field), then rounded to the field's step in the helpful direction and clamped to its range
  (the range's bound when the field alone cannot close the margin, so that a second change can
  finish). A scale or a boolean tries its other values; a missing number tries its range's ends.
- **In which order.** Breadth first over the number of facts changed: every option reported has the
  fewest facts any option found has; among them, the smallest normalised distance first (a number
  counts its change over its range's width, a scale its steps over its length, a date its days
  over a year, a boolean or a missing fact 1).
- **Within bounds.** At most `max_changes` facts and `max_evaluations` evaluations per subject;
  past them the answer says so (`note`) rather than claim nothing reaches GO. Every single change
  is tried; from one number of changes to the next, only the `beam` changed states closest to GO
  (fewest rules holding it back, smallest margins against it) go on, so that a subject held back
  by many rules costs a bounded search: an option of two or three facts is the smallest found,
  not proven the smallest of all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from decisionlang.core.dates import parse_duration
from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.core.format import json_number, json_value
from decisionlang.core.model import (
    ChangeOption,
    Direction,
    Location,
    Outcome,
    PathToGo,
    ProposedChange,
    Report,
    RuleKind,
    RuleTrace,
    SubjectResult,
    Verdict,
)
from decisionlang.core.subjects import Duration
from decisionlang.core.views import blocking_policies, verdict_fact_rules
from decisionlang.engine.compiler import STEPS
from decisionlang.engine.evaluator import EvaluationOptions, evaluate_subject
from decisionlang.engine.project import Project
from decisionlang.language.types import BOOL, DATE, DURATION, NUMBER, FieldSpec, ScaleType

__all__ = ["ToGoLimits", "path_to_go", "with_path_to_go", "with_paths_to_go"]


@dataclass(frozen=True)
class ToGoLimits:
    max_changes: int = 3  # facts changed together, at most
    max_options: int = 3  # options reported, at most
    max_evaluations: int = 3000  # evaluations of the subject, at most, per subject
    beam: int = 12  # changed states carried from one number of changes to the next, the closest to GO


def with_paths_to_go(
    project: Project,
    report: Report,
    *,
    strict: bool = False,
    limits: ToGoLimits = ToGoLimits(),
) -> Report:
    """The report with `to_go` set on every subject that is not GO."""
    subjects = tuple(
        with_path_to_go(project, subject, as_of=report.as_of, strict=strict, limits=limits)
        for subject in report.subjects
    )
    return dataclasses.replace(report, subjects=subjects)


def with_path_to_go(
    project: Project,
    result: SubjectResult,
    *,
    as_of: dt.date | None,
    strict: bool = False,
    limits: ToGoLimits = ToGoLimits(),
) -> SubjectResult:
    """The result with `to_go` set when it is not GO (`as_of` None: today), unchanged when GO."""
    if result.verdict is Verdict.GO:
        return result
    today = as_of or dt.date.today()
    path = path_to_go(project, result, as_of=today, strict=strict, limits=limits)
    return dataclasses.replace(result, to_go=path)


def path_to_go(
    project: Project,
    result: SubjectResult,
    *,
    as_of: dt.date,
    strict: bool = False,
    limits: ToGoLimits = ToGoLimits(),
) -> PathToGo:
    """The smallest sets of fact changes that make the subject of `result` GO (see the module)."""
    search = _Search(project, result.subject, as_of, strict, limits)
    root = search.evaluate(())  # traced, whatever `result` was evaluated with
    return search.run(root if root is not None else result)


@dataclass(frozen=True)
class _Node:
    changes: tuple[tuple[str, Any], ...]  # sorted by field
    result: SubjectResult

    @property
    def changed(self) -> dict[str, Any]:
        return dict(self.changes)


class _Search:
    def __init__(self, project: Project, name: str, as_of: dt.date, strict: bool, limits: ToGoLimits) -> None:
        self.project = project
        self.name = name
        # the facts as they stand on the day: a stale one is unknown, to be observed again
        self.portfolio = project.portfolio.observed_on(as_of)
        self.subject = self.portfolio.by_name[name]
        self.as_of = as_of
        self.strict = strict
        self.limits = limits
        self.fields = project.program.all_fields()
        self.evaluations = 0
        self.evaluation = EvaluationOptions(
            today=as_of,
            strict=strict,
            waivers=project.waivers,
            steps=project.sources.settings.evaluation_steps or STEPS,
        )
        self.seen: dict[tuple[tuple[str, Any], ...], SubjectResult | None] = {}

    # ------------------------------------------------------------ the search

    def run(self, root: SubjectResult) -> PathToGo:
        blocked_by = self.fixed_blockers(root)
        frontier = [_Node((), root)]
        visited: set[tuple[tuple[str, Any], ...]] = {()}
        for _depth in range(self.limits.max_changes):
            found: list[_Node] = []
            following: list[_Node] = []
            for node in frontier:
                for field, value in self.moves(node):
                    changes = tuple(sorted({**node.changed, field: value}.items(), key=lambda item: item[0]))
                    if changes in visited:
                        continue
                    visited.add(changes)
                    child = self.evaluate(changes)  # perhaps evaluated already, as a probe
                    if child is None:
                        continue
                    if child.verdict is Verdict.GO:
                        found.append(_Node(changes, child))
                    elif _progress(node.result, child):
                        following.append(_Node(changes, child))
                if self.exhausted:
                    break
            if found:
                return PathToGo(True, self.options(found), ())
            if self.exhausted or not following:
                break
            # the closest to GO go on (a beam): every single change is tried, and the search for
            # two or three stays bounded on a subject held back by many rules
            following.sort(
                key=lambda node: (_standing(node.result), [str(c) for c in node.changes]), reverse=True
            )
            frontier = following[: self.limits.beam]
        if blocked_by:
            return PathToGo(False, (), blocked_by, None)
        if self.exhausted:
            note = f"the search stopped after {self.evaluations} evaluations without reaching GO"
        else:
            note = (
                f"no change of at most {self.limits.max_changes} of its facts, within the schema's "
                "types and ranges, reaches GO"
            )
        return PathToGo(False, (), (), note)

    @property
    def exhausted(self) -> bool:
        return self.evaluations >= self.limits.max_evaluations

    def evaluate(self, changes: tuple[tuple[str, Any], ...]) -> SubjectResult | None:
        """The subject's result with `changes` applied (None once the budget is spent, or when the
        evaluation itself spends its step budget: such a change is no answer)."""
        if changes in self.seen:
            return self.seen[changes]
        result: SubjectResult | None = None
        if not self.exhausted:
            self.evaluations += 1
            portfolio = self.portfolio.with_facts(self.name, dict(changes))
            subject = portfolio.by_name[self.name]
            try:
                result, _ = evaluate_subject(self.project.policies, subject, portfolio, self.evaluation)
            except DecisionlangError:
                result = None
        self.seen[changes] = result
        return result

    # ------------------------------------------------------------ what may change, and where to

    def holding_rules(self, result: SubjectResult) -> list[RuleTrace]:
        """The rules that hold the subject back, the ones firing behind the deciding ones too."""
        rules = list(verdict_fact_rules(result))
        for policy in blocking_policies(result):
            rules.extend(
                rule for rule in policy.rules if rule.outcome is not Outcome.NOT_FIRED and rule not in rules
            )
        return rules

    def changeable(self, path: str) -> FieldSpec | None:
        spec = self.fields.get(path)
        if spec is None or spec.fixed:  # names, texts, lists and subjects are not numbers or scales
            return None
        if spec.type in (NUMBER, BOOL, DATE, DURATION) or isinstance(spec.type, ScaleType):
            return spec
        return None

    def candidate_fields(self, result: SubjectResult, changed: Mapping[str, Any]) -> list[str]:
        paths: dict[str, None] = {}
        for rule in self.holding_rules(result):
            for fact in rule.facts:
                if fact.subject == self.name:
                    paths.setdefault(fact.path)
        for missing in result.missing:
            if missing.subject == self.name:
                paths.setdefault(missing.path)
        return [path for path in paths if path not in changed and self.changeable(path) is not None]

    def fixed_blockers(self, result: SubjectResult) -> tuple[str, ...]:
        """The rules holding the subject back that read none of the facts a change may touch."""
        blockers = []
        for rule in self.holding_rules(result):
            if rule.kind is RuleKind.OTHERWISE or rule.kind is RuleKind.GO:
                continue
            own = [fact for fact in rule.facts if fact.subject == self.name and self.changeable(fact.path)]
            if rule.facts and not own:
                blockers.append(rule.rule)
        return tuple(dict.fromkeys(blockers))

    def moves(self, node: _Node) -> list[tuple[str, Any]]:
        changed = node.changed
        values = {**self.subject.fields, **changed}
        moves: list[tuple[str, Any]] = []
        for path in self.candidate_fields(node.result, changed):
            spec = self.changeable(path)
            assert spec is not None
            current = values.get(path)
            if isinstance(spec.type, ScaleType):
                moves.extend((path, value) for value in spec.type.values if value != current)
            elif spec.type == BOOL:
                moves.extend((path, value) for value in (False, True) if value != current)
            elif current is None:
                few = _few_values(spec)
                moves.extend((path, value) for value in (few or _ends(spec, self.as_of)))
            else:
                turning = self.turning_values(node, path, spec, current)
                if not turning:  # no margin to follow (`tier == 1`): a field of few values tries each
                    turning = [value for value in _few_values(spec) if value != current]
                moves.extend((path, value) for value in turning)
        return list(dict.fromkeys(moves))

    def turning_values(self, node: _Node, path: str, spec: FieldSpec, current: Any) -> list[Any]:
        """Where each comparison holding the subject back turns, as the field moves alone."""
        here = _as_number(current)
        step = _step(spec)
        probe_at = here + step
        high = _high(spec)
        if high is not None and probe_at > high:
            probe_at = here - step
        probe_changes = tuple(sorted({**node.changed, path: _from_number(probe_at, spec)}.items()))
        probed = self.evaluate(probe_changes)
        if probed is None:
            return []
        before = _against_go(self.holding_rules(node.result))
        after = _margins(probed)
        targets: list[Any] = []
        for key, (margin, holds) in before.items():
            if key not in after:
                continue
            slope = (after[key] - margin) / (probe_at - here)
            if slope == 0:
                continue
            boundary = here - margin / slope
            if boundary != here:
                helpful = 1.0 if boundary > here else -1.0
            else:  # at the threshold: move to the side where the comparison turns
                helpful = (-1.0 if holds else 1.0) * math.copysign(1.0, slope)
            for value in _landing(boundary, helpful, spec):
                if value != here:
                    targets.append(_from_number(value, spec))
        return targets

    # ------------------------------------------------------------ the answer

    def options(self, found: list[_Node]) -> tuple[ChangeOption, ...]:
        """The options found, the smallest first, one per set of fields changed (a larger change of
        the same fields is not another way)."""
        options = []
        for node in found:
            changed, bounds = self.least_demanding(node.changed)
            options.append(ChangeOption(self.fact_changes(changed, bounds), self.distance(changed)))
        options.sort(key=lambda option: (option.distance, [(c.path, str(c.after)) for c in option.changes]))
        unique: dict[tuple[str, ...], ChangeOption] = {}
        for option in options:
            unique.setdefault(tuple(change.path for change in option.changes), option)
        return tuple(list(unique.values())[: self.limits.max_options])

    def least_demanding(self, changed: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """For a missing number or date, where the bar is rather than an end of its range: the
        value farthest from the one found that still reaches GO, and which way it binds
        (`at-most`, `at-least`; `any` when the fact reaches GO whatever its value)."""
        result = dict(changed)
        bounds: dict[str, str] = {}
        for path, value in changed.items():
            spec = self.fields[path]
            if path in self.subject.fields or spec.type not in (NUMBER, DURATION, DATE):
                continue
            spread = _spread(spec, self.as_of)
            reach = [self.reaches_go({**result, path: each}) for each in spread]
            if all(reach):
                bounds[path] = "any"
                continue
            few = _few_values(spec)
            if few:  # the value that reaches GO next to one that does not: where the bar is
                for index, each in enumerate(few):
                    if reach[index] and index + 1 < len(few) and not reach[index + 1]:
                        result[path], bounds[path] = each, "at-most"
                    elif reach[index] and index > 0 and not reach[index - 1] and path not in bounds:
                        result[path], bounds[path] = each, "at-least"
                continue
            failing = next(each for each, reached in zip(spread, reach, strict=True) if not reached)
            good, bad = _as_number(value), _as_number(failing)
            for _ in range(40):
                middle = _landing((good + bad) / 2, 1.0 if bad > good else -1.0, spec)
                if not middle or middle[0] in (good, bad):
                    break
                if self.reaches_go({**result, path: _from_number(middle[0], spec)}):
                    good = middle[0]
                else:
                    bad = middle[0]
            result[path] = _from_number(good, spec)
            bounds[path] = "at-most" if bad > good else "at-least"
        return result, bounds

    def reaches_go(self, changed: Mapping[str, Any]) -> bool:
        result = self.evaluate(tuple(sorted(changed.items())))
        return result is not None and result.verdict is Verdict.GO

    def fact_changes(
        self, changed: Mapping[str, Any], bounds: Mapping[str, str] | None = None
    ) -> tuple[ProposedChange, ...]:
        changes = []
        for path in sorted(changed):
            present = path in self.subject.fields
            if present or path in self.subject.stale:  # a stale fact: to be observed again, where it is
                file, line, column = self.subject.origin_of(path)
                location = Location(file, line, column)
            else:
                location = Location(self.subject.add_to(), None, None)
            before = json_value(self.subject.fields[path]) if present else None
            changes.append(
                ProposedChange(
                    self.name, path, before, json_value(changed[path]), location, (bounds or {}).get(path)
                )
            )
        return tuple(changes)

    def distance(self, changed: Mapping[str, Any]) -> float:
        total = 0.0
        for path, value in changed.items():
            spec = self.fields[path]
            current = self.subject.fields.get(path)
            total += _distance(spec, current, value)
        return round(total, 6)


# ---------------------------------------------------------------- values as numbers, and back


def option_facts(project: Project, subject: str, option: ChangeOption) -> dict[str, Any]:
    """The facts of `subject` an option sets, as the evaluator holds them (a date, a duration: the
    option carries them JSON-ready): what `Portfolio.with_facts` takes to see the subject once the
    option is done. Changes of other subjects' facts are not among them."""
    fields = project.program.all_fields()
    facts: dict[str, Any] = {}
    for change in option.changes:
        if change.subject != subject:
            continue
        value, spec = change.after, fields.get(change.path)
        if spec is not None and spec.type is DATE and isinstance(value, str):
            value = dt.date.fromisoformat(value)
        elif spec is not None and spec.type is DURATION and isinstance(value, str):
            days = parse_duration(value)
            value = Duration(days) if days is not None else value
        facts[change.path] = value
    return facts


def _as_number(value: Any) -> float:
    if isinstance(value, dt.date):
        return float(value.toordinal())
    if isinstance(value, Duration):
        return float(value.days)
    return float(value)


def _from_number(number: float, spec: FieldSpec) -> Any:
    if spec.type == DATE:
        return dt.date.fromordinal(round(number))
    if spec.type == DURATION:
        return Duration(float(json_number(number) or 0))
    return round(number) if spec.integer else json_number(number)  # no float noise (0.30000000000000004)


def _step(spec: FieldSpec) -> float:
    if spec.type in (DATE, DURATION) or spec.integer:
        return 1.0
    if spec.allowed is not None:
        return 1.0
    low, high = _low(spec), _high(spec)
    if low is not None and high is not None and high > low:
        return (high - low) / 10
    return 1.0


def _low(spec: FieldSpec) -> float | None:
    if spec.allowed is not None:
        return min(spec.allowed)
    return spec.minimum


def _high(spec: FieldSpec) -> float | None:
    if spec.allowed is not None:
        return max(spec.allowed)
    return spec.maximum


def _landing(boundary: float, helpful: float, spec: FieldSpec) -> list[float]:
    """The values just at and just past `boundary` in the helpful direction, on the field's grid
    and within its range (its bound when the boundary lies beyond it)."""
    low, high = _low(spec), _high(spec)
    if high is not None and boundary > high:
        return [high] if helpful > 0 else []
    if low is not None and boundary < low:
        return [low] if helpful < 0 else []
    if spec.allowed is not None:
        ordered = sorted(spec.allowed)
        ahead = [value for value in ordered if (value - boundary) * helpful >= 0]
        ahead.sort(key=lambda value: abs(value - boundary))
        return ahead[:2]
    if spec.type in (DATE, DURATION) or spec.integer:
        whole = float(math.ceil(boundary - 1e-9) if helpful > 0 else math.floor(boundary + 1e-9))
        return [v for v in (whole, whole + helpful) if _within(v, low, high)]
    grain = _grain(spec)
    at = (math.ceil(boundary / grain - 1e-9) if helpful > 0 else math.floor(boundary / grain + 1e-9)) * grain
    return [v for v in (round(at, 9), round(at + helpful * grain, 9)) if _within(v, low, high)]


def _grain(spec: FieldSpec) -> float:
    """The rounding of a real field's proposed values: a hundredth of its range, as a power of ten."""
    low, high = _low(spec), _high(spec)
    width = (high - low) if low is not None and high is not None and high > low else 1.0
    return float(10 ** math.floor(math.log10(width / 100)))


def _within(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def _spread(spec: FieldSpec, as_of: dt.date) -> list[Any]:
    """Values far apart across a field's range (every value of a field of few values): a missing
    fact that reaches GO at each of them reaches GO whatever it is."""
    few = _few_values(spec)
    if few:
        return few
    if spec.type == DATE:
        return [as_of - dt.timedelta(days=3650), as_of, as_of + dt.timedelta(days=3650)]
    low, high = _low(spec), _high(spec)
    start = low if low is not None else (high - 1e6 if high is not None else -1e6)
    end = high if high is not None else start + 1e6
    return [_from_number(value, spec) for value in (start, (start + end) / 2, end)]


def _few_values(spec: FieldSpec) -> list[Any]:
    """Every value of a field with a dozen values or fewer (`in {1, 2, 3, 5, 8}`, `integer 1..3`):
    tried one by one, since a comparison such as `tier == 1` has no margin to follow."""
    if spec.allowed is not None and len(spec.allowed) <= 12:
        return [_from_number(value, spec) for value in sorted(spec.allowed)]
    low, high = spec.minimum, spec.maximum
    if spec.integer and low is not None and high is not None and high - low <= 11:
        return list(range(math.ceil(low), math.floor(high) + 1))
    return []


def _ends(spec: FieldSpec, as_of: dt.date) -> list[Any]:
    """The values a missing fact is tried at: its range's ends (for a date, today)."""
    if spec.type == DATE:
        return [as_of]
    values = [bound for bound in (_low(spec), _high(spec)) if bound is not None]
    return [_from_number(value, spec) for value in dict.fromkeys(values)]


def _distance(spec: FieldSpec, before: Any, after: Any) -> float:
    if before is None or spec.type == BOOL:
        return 1.0
    if isinstance(spec.type, ScaleType):
        steps = abs(spec.type.rank(after) - spec.type.rank(before))
        return steps / max(len(spec.type.values) - 1, 1)
    change = abs(_as_number(after) - _as_number(before))
    if spec.type in (DATE, DURATION):
        return change / 365
    low, high = _low(spec), _high(spec)
    if low is not None and high is not None and high > low:
        return change / (high - low)
    return change / max(abs(_as_number(before)), 1.0)


# ---------------------------------------------------------------- margins and progress

_Key = tuple[str, int | None, int | None, str | None]


def _key(rule: RuleTrace, comparison: Any) -> _Key:
    location = comparison.location
    return (f"{rule.rule}@{location.file}", location.line, location.column, comparison.bound)


def _against_go(rules: Iterable[RuleTrace]) -> dict[_Key, tuple[float, bool]]:
    """The comparisons that hold the subject back, with their margins (the sign of holding)."""
    found: dict[_Key, tuple[float, bool]] = {}
    for rule in rules:
        for comparison in rule.comparisons:
            if comparison.direction is Direction.AGAINST_GO and comparison.margin is not None:
                holds = bool(comparison.holds)
                found[_key(rule, comparison)] = (comparison.margin, holds)
    return found


def _margins(result: SubjectResult) -> dict[_Key, float]:
    return {
        _key(rule, comparison): comparison.margin
        for policy in result.policies
        for rule in policy.rules
        for comparison in rule.comparisons
        if comparison.margin is not None
    }


def _standing(result: SubjectResult) -> tuple[int, int, float]:
    """How far from GO: the verdict, the rules holding it back, and their margins against GO."""
    holding = [
        rule for policy in blocking_policies(result) for rule in policy.rules if rule.outcome is Outcome.FIRED
    ]
    against = sum(abs(margin) for margin, _ in _against_go(verdict_fact_rules(result)).values())
    return (-result.verdict.severity, -len(holding) - len(result.missing), -against)


def _progress(before: SubjectResult, after: SubjectResult) -> bool:
    return _standing(after) > _standing(before)

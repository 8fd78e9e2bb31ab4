"""Verdicts and the recorded trace of an evaluation. Renderers read these; nothing here prints."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, ClassVar

from decisionlang.core.diagnostics import Diagnostic

REPORT_SCHEMA = "decisionlang/report/v3"
READABLE_REPORT_SCHEMAS = ("decisionlang/report/v2", REPORT_SCHEMA)  # v2 reads as v3 does


class Verdict(enum.Enum):
    GO = "go"
    NOT_YET = "not-yet"
    NO_GO = "no-go"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @property
    def label(self) -> str:
        return _LABELS[self]

    @staticmethod
    def worst(verdicts: list[Verdict]) -> Verdict:
        return max(verdicts, key=lambda verdict: verdict.severity, default=Verdict.GO)


_SEVERITY = {Verdict.GO: 0, Verdict.NOT_YET: 1, Verdict.NO_GO: 2}
_LABELS = {Verdict.GO: "GO", Verdict.NOT_YET: "NOT YET", Verdict.NO_GO: "NO-GO"}


class VerdictValue(str):
    """The value of `verdict(p)` in a policy: the `verdict` scale value (`not_yet`), which compares,
    orders and is written to JSON as that text, and knows the verdict it stands for, so that people
    read it as every verdict is printed (`NOT YET`, by `core.format.show`)."""

    __slots__ = ()

    @staticmethod
    def of(verdict: Verdict) -> VerdictValue:
        return VerdictValue(verdict.value.replace("-", "_"))

    @property
    def verdict(self) -> Verdict:
        return Verdict(str(self).replace("_", "-"))


class RuleKind(enum.Enum):
    """What a rule does when its condition holds. `otherwise` is a policy's fallback and `applies`
    stands for an undecided `applies to ... where` (no rule of the policy was evaluated)."""

    NO_GO = "no_go"
    NOT_YET = "not_yet"
    GO = "go"
    WARN = "warn"
    OTHERWISE = "otherwise"
    APPLIES = "applies"

    @property
    def blocks(self) -> bool:
        """A rule of this kind, when it fires, holds a subject back from GO."""
        return self in _BLOCKING_KINDS

    @property
    def verdict(self) -> Verdict | None:
        """The verdict a rule of this kind gives when it decides (`otherwise` and `applies` have none
        of their own)."""
        return _VERDICT_OF_KIND.get(self)


_BLOCKING_KINDS = frozenset({RuleKind.NO_GO, RuleKind.NOT_YET})


class Enforcement(enum.Enum):
    """How much a policy's verdict counts: hard (no waiver lifts it), soft (a waiver may), advisory
    (shown, never decides)."""

    ADVISORY = "advisory"
    SOFT = "soft"
    HARD = "hard"

    @property
    def decides(self) -> bool:
        return self is not Enforcement.ADVISORY


class FailOn(enum.Enum):
    """Which verdicts fail a CI check (`--fail-on`): NO-GO only, or NOT YET as well."""

    NO_GO = "no-go"
    NOT_YET = "not-yet"

    def fails(self, verdict: Verdict) -> bool:
        if verdict is Verdict.NO_GO:
            return True
        return verdict is Verdict.NOT_YET and self is FailOn.NOT_YET


_VERDICT_OF_KIND = {RuleKind.NO_GO: Verdict.NO_GO, RuleKind.NOT_YET: Verdict.NOT_YET, RuleKind.GO: Verdict.GO}


class Outcome(enum.Enum):
    FIRED = "fired"  # the condition held: a no_go/not_yet/warn fired, a go rule held
    NOT_FIRED = "not-fired"
    UNKNOWN = "unknown"  # missing information
    ERROR = "error"  # an evaluation problem
    APPLIED = "applied"  # the `otherwise` fallback decided


class Direction(enum.Enum):
    """Which way a margin points: in favour of GO (the check passes by it) or against GO (it blocks
    by it). Decided by the engine from the rule's kind and where the check sits in its condition."""

    FOR_GO = "for-go"
    AGAINST_GO = "against-go"


@dataclass(frozen=True)
class Location:
    file: str
    line: int | None
    column: int | None

    # Written as a list: ["services/a.yaml", 12, 5] (a trace holds hundreds of locations); within a
    # subject, the file as its position in the subject's `files`: [0, 12, 5].
    __as_list__: ClassVar[bool] = True
    __filed__: ClassVar[str] = "file"

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column}


@dataclass(frozen=True)
class Fact:
    """A state value a rule read: whose, which field, what value, from where."""

    subject: str
    path: str
    value: Any  # JSON-ready (dates as ISO text, durations as "N days"); None when missing
    location: Location
    missing: bool = False  # unknown: not written, or stale (then `value` is the stale value)
    # Its evidence, when the state gives it (`observed:`, `source:`): the day it was observed, by
    # what, its age in days on the day of the decision, and the schema's `fresh for`.
    observed: str | None = None  # ISO date
    source: str | None = None
    age_days: int | None = None
    fresh_for: str | None = None  # `90 days`
    stale: bool = False  # older than `fresh_for`: read as unknown

    __keys__: ClassVar[Mapping[str, str]] = {"path": "field"}
    # Within a subject, written only when it is another subject's fact (a dependency's).
    __in_scope__: ClassVar[tuple[str, ...]] = ("subject",)


@dataclass(frozen=True)
class Comparison:
    """A comparison as evaluated: both sides, and for numbers the margin to the threshold.

    `margin` is the distance to the threshold in `unit` (days for dates and durations, % when the
    threshold is a percentage, else the schema field's unit, None when it has none), positive on the
    side where the comparison holds; `direction` says whether that is in favour of GO or against it
    (None when the check's place in the rule does not say, e.g. inside a `count`)."""

    expression: str
    left: Any
    operator: str
    right: Any
    holds: bool | None
    margin: float | None
    location: Location
    bound: str | None = None  # inside an aggregate: which item, e.g. "t = observability-platform"
    unit: str | None = None
    direction: Direction | None = None


@dataclass(frozen=True)
class ScoreTerm:
    expression: str
    value: Any
    normalized: float | None
    weight: float
    contribution: float | None
    waiver: str | None = None  # the id of the waiver that leaves the term out of the score


@dataclass(frozen=True)
class ScoreTrace:
    criteria: str
    title: str | None
    total: float | None
    terms: tuple[ScoreTerm, ...]
    normalized_to: float | None = None
    # with `normalize to`: the sum of the contributions, and the lowest and highest sums possible,
    # which `total` rescales to 0..normalized_to
    raw_total: float | None = None
    raw_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class TradeoffTrace:
    tradeoff: str
    title: str | None
    first: str
    first_value: Any
    second: str
    second_value: Any
    acceptable: bool | None
    margin: float | None  # to the zone's edge, positive inside it: the deciding check's, in its unit
    unit: str | None = None
    direction: Direction | None = None


@dataclass(frozen=True)
class RequirementTrace:
    requirement: str
    level: str
    holds: bool | None
    message: str | None
    waiver: str | None = None  # the id of the waiver that counts it as met


@dataclass(frozen=True)
class MaturityTrace:
    maturity: str
    title: str | None
    level: str | None  # highest level reached, None when none
    rank: int  # 0 when no level is reached
    next_level: str | None
    missing: tuple[RequirementTrace, ...]  # requirements of the next level that do not hold
    exempted: tuple[RequirementTrace, ...] = ()  # requirements a waiver counts as met


@dataclass(frozen=True)
class DefaultUsed:
    """A default that stood in for missing information (`x ?? 0`, `missing as false`): the rule
    was decided on it, and its trace says so."""

    expression: str  # what was missing, as written: `dora.deploys_per_week`, or a whole condition
    value: Any  # the default, JSON-ready
    location: Location  # where the default is written
    missing: tuple[tuple[str, str, str], ...] = ()  # (subject, file, field) that were missing
    written: str = "??"  # `??` or `missing as`


@dataclass(frozen=True)
class VerdictRead:
    """Another policy's verdict a rule read (`verdict(h1_foundations)`): a link to that decision."""

    policy: str
    subject: str
    verdict: Verdict  # GO when the policy does not apply to the subject
    location: Location  # where that policy is declared
    applies: bool = True


# RuleTrace, PolicyResult and SubjectResult are built in the evaluator's hot loop: they are plain
# slotted dataclasses, not frozen ones (a frozen dataclass sets every field through
# object.__setattr__, 7 % of evaluation time). Nothing changes them once built; treat them as read-only.
@dataclass(slots=True)
class RuleTrace:
    """One rule's outcome and what it read and compared.

    A traced evaluation records what each rule read as it goes, cheaply, and builds the parts of
    the trace (`RECORDED_PARTS`: facts, comparisons, scores...) from that record when one of them is
    first read (`RuleTrace.recorded`); a trace that no output reads costs only its recording. Once
    built, the parts are ordinary fields: equality, the codec and pickling see a plain dataclass."""

    rule: str  # stable id: policy.name or policy.kind#n
    kind: RuleKind
    outcome: Outcome
    message: str | None
    until: str | None
    location: Location
    facts: tuple[Fact, ...] = ()
    comparisons: tuple[Comparison, ...] = ()
    scores: tuple[ScoreTrace, ...] = ()
    tradeoffs: tuple[TradeoffTrace, ...] = ()
    maturities: tuple[MaturityTrace, ...] = ()
    error: Diagnostic | None = None
    decisive: bool = False
    missing: tuple[tuple[str, str, str], ...] = ()  # (subject, file, field) the rule lacked
    defaults: tuple[DefaultUsed, ...] = ()  # defaults used in place of missing information
    verdicts: tuple[VerdictRead, ...] = ()  # other policies' verdicts the rule read
    exemptions: tuple[AppliedExemption, ...] = ()  # waivers counted in the levels and scores it read
    # (build, *arguments) while the recorded parts are not built yet: build(*arguments) gives them
    _recorded: tuple[Any, ...] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def recorded(
        cls,
        rule: str,
        kind: RuleKind,
        outcome: Outcome,
        message: str | None,
        until: str | None,
        location: Location,
        error: Diagnostic | None,
        decisive: bool,
        missing: tuple[tuple[str, str, str], ...],
        build: Callable[..., tuple[Any, ...]],
        *arguments: Any,
    ) -> RuleTrace:
        """A trace whose `RECORDED_PARTS` are built by `build(*arguments)` when first read (a
        tuple of them, in that order). `build` must give the same parts whenever it is called."""
        trace = cls.__new__(cls)
        trace.rule = rule
        trace.kind = kind
        trace.outcome = outcome
        trace.message = message
        trace.until = until
        trace.location = location
        trace.error = error
        trace.decisive = decisive
        trace.missing = missing
        trace._recorded = (build, *arguments)
        return trace

    if not TYPE_CHECKING:  # for the type checker, every field is an attribute as declared

        def __getattr__(self, name: str) -> Any:
            """Called only for a slot not set: a recorded part not built yet. Builds all of them."""
            if name not in RECORDED_PARTS or self._recorded is None:
                raise AttributeError(name)
            build, *arguments = self._recorded
            for part, value in zip(RECORDED_PARTS, build(*arguments), strict=True):
                setattr(self, part, value)
            self._recorded = None
            return getattr(self, name)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (by a worker process) as the plain trace, its recorded parts built."""
        return (RuleTrace, tuple(getattr(self, name) for name in _RULE_TRACE_FIELDS))

    @property
    def missing_facts(self) -> tuple[Fact, ...]:
        return tuple(fact for fact in self.facts if fact.missing)


# The parts of a RuleTrace that a traced evaluation builds when they are first read.
RECORDED_PARTS = (
    "facts",
    "comparisons",
    "scores",
    "tradeoffs",
    "maturities",
    "defaults",
    "verdicts",
    "exemptions",
)
_RULE_TRACE_FIELDS = tuple(spec.name for spec in fields(RuleTrace) if spec.init)


@dataclass(frozen=True)
class AppliedWaiver:
    """A waiver that lifted a soft policy's verdict: the compromise, knowingly accepted."""

    id: str
    expires: dt.date
    owner: str
    approver: str
    rationale: str
    compensating_measure: str
    location: Location


@dataclass(frozen=True)
class AppliedExemption:
    """A waiver that exempts a subject from one maturity requirement (counted as met) or one
    criteria term (left out of the score), as scorecard exemptions do."""

    waiver: AppliedWaiver
    target: str  # the requirement (`model.level.name`) or term (`criteria.name`) id
    kind: str  # "requirement" or "term"
    holds: bool | None = None  # what the requirement or term gave without the waiver (None: unknown)


@dataclass(slots=True)
class PolicyResult:
    policy: str
    title: str | None
    enforcement: Enforcement
    verdict: Verdict  # after waivers
    location: Location
    rules: tuple[RuleTrace, ...]  # the rules that fired stay here, waived or not
    waived_by: tuple[AppliedWaiver, ...] = ()
    unwaived: Verdict | None = None  # the verdict a waiver lifted, when one did
    waived_rules: tuple[str, ...] = ()  # the rules that fired but were waived
    review_after_days: float | None = None  # `review after 6 months`: a decision is due that long after

    __keys__: ClassVar[Mapping[str, str]] = {"waived_by": "waivers", "unwaived": "unwaived_verdict"}
    # Written for readers of the JSON (the decisive rules' ids), recomputed when read back.
    __derived__: ClassVar[Mapping[str, Callable[[Any], Any]]] = {
        "reasons": lambda policy: [rule.rule for rule in policy.reasons]
    }

    @property
    def reasons(self) -> tuple[RuleTrace, ...]:
        return tuple(rule for rule in self.rules if rule.decisive)


@dataclass(frozen=True)
class Warning:
    policy: str
    rule: str
    message: str
    location: Location


@dataclass(frozen=True)
class MissingInformation:
    path: str
    subject: str
    file: str
    policy: str
    rule: str
    # Written but stale: why (`observed 2026-05-01 by dora-exporter, older than 90 days`).
    stale: str | None = None

    __keys__: ClassVar[Mapping[str, str]] = {"path": "field"}

    def __str__(self) -> str:
        if self.stale is not None:
            return f"stale information: {self.path} ({self.stale})"
        return f"missing information: {self.path} ({self.file})"


@dataclass(frozen=True)
class ProposedChange:
    """One fact of a change that leads to GO: whose, which field, from what to what, and where it
    is written (`from` None: the fact is missing, to be added to `location`'s file)."""

    subject: str
    path: str
    before: Any  # JSON-ready, as `Fact.value`; None when missing
    after: Any
    location: Location
    # For a missing fact: `at-most` or `at-least` (`after` is the bar), `any` (any value reaches GO)
    bound: str | None = None

    __keys__: ClassVar[Mapping[str, str]] = {"path": "field", "before": "from", "after": "to"}


@dataclass(frozen=True)
class ChangeOption:
    """A set of fact changes that, applied together, make the subject GO (checked by evaluating the
    subject again with them); `distance` is their summed normalised size (see `engine/to_go.py`)."""

    changes: tuple[ProposedChange, ...]
    distance: float


@dataclass(frozen=True)
class PathToGo:
    """What it would take to reach GO: the smallest sets of fact changes that do (fewest facts
    first, then the smallest normalised distance), or why none does (`blocked_by`: the rules that
    hold the subject back on facts no change may touch, `fixed` ones or other subjects')."""

    reachable: bool
    options: tuple[ChangeOption, ...]
    blocked_by: tuple[str, ...]
    note: str | None = None  # why the search found nothing, when no rule is to blame


@dataclass(frozen=True)
class Fragility:
    """A GO that one parameter flips: `parameter` (`const NAME`, or `weight CRITERIA.TERM` with the
    term's id) moved from `before` to `after` (a relative change of `relative`, e.g. -0.13) makes
    the subject `becomes`; no smaller change of it that way does."""

    parameter: str
    description: str  # "the constant value_bar", "the weight of business_value in value_case"
    before: float
    after: float
    relative: float
    becomes: Verdict

    __keys__: ClassVar[Mapping[str, str]] = {"before": "from", "after": "to"}


@dataclass(slots=True)
class SubjectResult:
    subject: str
    kind: str
    verdict: Verdict
    location: Location
    policies: tuple[PolicyResult, ...]
    warnings: tuple[Warning, ...]
    missing: tuple[MissingInformation, ...]
    # Computed on demand (`check --to-go`, `explain`, the report): what it would take to reach GO.
    to_go: PathToGo | None = None
    # Computed on demand (`check --fragile`, the report): the parameters that flip a GO; () when
    # searched and none does, None when not searched.
    fragile: tuple[Fragility, ...] | None = None

    __keys__: ClassVar[Mapping[str, str]] = {"subject": "service"}
    __derived__: ClassVar[Mapping[str, Callable[[Any], Any]]] = {
        "must_hold": lambda subject: list(subject.must_hold)
    }
    # Its facts are written once, in `facts`, and its rules refer to them by position; the files
    # its locations name are written once, in `files`, and its locations name them by position; its
    # facts name their subject only when it is another one.
    __tables__: ClassVar[Mapping[str, type[Any]]] = {"facts": Fact}
    __files__: ClassVar[str] = "files"
    __scope__: ClassVar[str] = "subject"

    def to_dict(self) -> dict[str, Any]:
        """The subject's result as JSON-ready data, the inverse of `from_dict` (see core/codec.py)."""
        from decisionlang.core.codec import to_data  # the codec reads this module's classes

        data: dict[str, Any] = to_data(self)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> SubjectResult:
        """The result `to_dict` wrote; bad data raises `CodecError` naming the key and what was expected."""
        from decisionlang.core.codec import from_data

        return from_data(cls, data)

    @property
    def facts(self) -> tuple[Fact, ...]:
        """The facts its rules read, each once, in the order first read: the table its JSON writes.
        The engine records a fact once per subject, and every rule that reads it shares it."""
        table: dict[int, Fact] = {}
        for policy in self.policies:
            for rule in policy.rules:
                for fact in rule.facts:
                    table.setdefault(id(fact), fact)
        return tuple(table.values())

    @property
    def waivers(self) -> tuple[AppliedWaiver, ...]:
        """The waivers applied to it: those that lifted a policy, then those that exempt it from a
        maturity requirement or a criteria term (`core.views.applied_waivers`)."""
        from decisionlang.core.views import applied_waivers

        return applied_waivers(self)

    @property
    def must_hold(self) -> tuple[str, ...]:
        """What must change to reach GO (S15; `core.views.must_hold`)."""
        from decisionlang.core.views import must_hold

        return must_hold(self)


@dataclass(frozen=True)
class Report:
    verdict: Verdict
    subjects: tuple[SubjectResult, ...]
    diagnostics: tuple[Diagnostic, ...] = ()
    as_of: dt.date | None = field(default=None, compare=False)

    __keys__: ClassVar[Mapping[str, str]] = {"subjects": "services"}
    __derived__: ClassVar[Mapping[str, Callable[[Any], Any]]] = {
        "schema": lambda report: REPORT_SCHEMA,
        "summary": lambda report: report.summary(),
    }

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (schema `decisionlang/report/v3`), the inverse of `from_dict`."""
        from decisionlang.core.codec import to_data  # the codec reads this module's classes

        data: dict[str, Any] = to_data(self)
        return data

    @classmethod
    def from_dict(cls, data: Any) -> Report:
        """The report `to_dict` wrote (schema v3, or v2: the codec reads both shapes); bad data raises
        `CodecError` naming the key and what was expected."""
        from decisionlang.core.codec import CodecError, from_data

        if isinstance(data, dict) and data.get("schema") not in READABLE_REPORT_SCHEMAS:
            raise CodecError(
                "schema", f"`{REPORT_SCHEMA}` (or `{READABLE_REPORT_SCHEMAS[0]}`)", data.get("schema")
            )
        return from_data(cls, data)

    def summary(self) -> dict[str, int]:
        counts = {verdict.value: 0 for verdict in Verdict}
        for subject in self.subjects:
            counts[subject.verdict.value] += 1
        return counts

"""Policy unit tests: the `*.test.yaml` files that `decisionlang test DIR` runs.

A run goes through three stages; each reports problems as diagnostics instead of raising:

1. discover: the project root (DIR, or its nearest parent holding `decisionlang.yaml`), every
   `*.policy` file under DIR (one policy set, compiled once) and every `*.test.yaml` file;
2. prepare: read each test file, check it against the policy set (known policies, rule ids and
   fields), and load each case's subjects. Inline subjects go through the state loader itself,
   fed the test file's own text with everything but the case's `subjects:`/`initiatives:` blanked
   out, so they are validated like state files and every position points into the test file;
3. run, only when nothing is invalid: evaluate each case's subject under test with a trace,
   compare it with the expectation, and record which rule outcomes the cases reached (coverage).
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from decisionlang.core.dates import DATE_HELP, parse_date
from decisionlang.core.diagnostics import DecisionlangError, Diagnostic, Severity, capped, sorted_diagnostics
from decisionlang.core.hints import closest, did_you_mean
from decisionlang.core.model import (
    Location,
    Outcome,
    PolicyResult,
    RuleKind,
    SubjectResult,
    Verdict,
)
from decisionlang.core.spans import SourceFile, Span
from decisionlang.core.subjects import Portfolio, Subject
from decisionlang.core.views import policy_reasons
from decisionlang.engine.compiler import CompiledPolicy, compile_program
from decisionlang.engine.evaluator import EvaluationOptions, evaluate_subject
from decisionlang.inputs import sources
from decisionlang.inputs.layout import CONFIG_FILE, POLICY_SUFFIX, display_path, load_modules
from decisionlang.inputs.limits import RequestedLimits, effective_limits, requested_file_size
from decisionlang.inputs.sources import Role, SizeLimits, SourceSet
from decisionlang.inputs.states import load_states
from decisionlang.inputs.walk import files_under
from decisionlang.inputs.yamlreader import Located, YamlLimits, located, read_yaml, text_of, token_width
from decisionlang.language.checker import Program, check_program

__all__ = [
    "Case",
    "CaseResult",
    "Coverage",
    "Expectation",
    "Mismatch",
    "RuleCoverage",
    "TestReport",
    "compare",
    "find_root",
    "measure_coverage",
    "rule_ids_of",
    "run_tests",
]

TEST_SUFFIX = ".test.yaml"
DEFAULT_POLICIES = "policies"  # where a decision repo without decisionlang.yaml keeps its policies

# The YAML reader codes a test file's own problems: DL-TEST-READ (cannot be read), DL-TEST-LIMIT
# (size, depth, aliases), DL-TEST-YAML (not UTF-8, not YAML, several documents, a key given twice).
READ = "DL-TEST-READ"
LIMIT = "DL-TEST-LIMIT"  # also: a folder too deep or too large to walk
YAML_SYNTAX = "DL-TEST-YAML"
SHAPE = "DL-TEST-SHAPE"  # a value of the wrong shape: not a mapping, not a list of text...
KEY = "DL-TEST-KEY"  # an unknown key (with a suggestion); a key given twice is DL-TEST-YAML
REQUIRED = "DL-TEST-REQUIRED"  # `cases`, a case's `name` or `expect`, or `expect.verdict` is missing
VERDICT = "DL-TEST-VERDICT"  # not one of go, no-go, not-yet
DATE = "DL-TEST-DATE"  # an `as_of` that is not a date
DUPLICATE = "DL-TEST-DUPLICATE"  # two cases of one file with the same name
POLICY = "DL-TEST-POLICY"  # `expect.policies` names no policy of the set
RULE = "DL-TEST-RULE"  # `expect.rules` or `expect.warnings` names no rule of the set
FIELD = "DL-TEST-FIELD"  # `expect.missing` names no declared field (or no subject of the case)
SUBJECT = "DL-TEST-SUBJECT"  # the subject under test is unknown, or not named among several
STATE_OUTSIDE = "DL-TEST-STATE-OUTSIDE"  # a `states:` file outside the project root
STATE_NOT_FOUND = "DL-TEST-STATE-NOT-FOUND"  # a `states:` file that does not exist
NO_TESTS = "DL-TEST-NO-TESTS"  # no `*.test.yaml` file under the directory, or not a directory
NO_POLICIES = "DL-TEST-NO-POLICIES"  # no `*.policy` file under the directory
EMPTY = "DL-TEST-EMPTY"  # (warning) a test file without cases

_FILE_KEYS = ("as_of", "policies", "cases")
_ALL = "all"  # `policies: all`: the cases test every policy of the set
_CASE_KEYS = ("name", "policies", "subjects", "initiatives", "states", "subject", "as_of", "expect")
_EXPECT_KEYS = ("verdict", "policies", "rules", "missing", "warnings", "message_contains")
# A case's inline lists and the state-file key each one is read as: both keys have the same length,
# so the state loader sees the test file's columns unchanged.
_INLINE_KEYS = {"subjects": "services", "initiatives": "initiatives"}
_VERDICTS = {verdict.value: verdict for verdict in Verdict}
_KEY_CUTOFF = 0.6  # a key this close to a known one is taken for a typo of it
_MISSING_OWNER = " of "  # `tier of ledger-db`: a field missing on another subject than the one tested


# ---------------------------------------------------------------------------------------------
# what a run produces


@dataclass(frozen=True)
class Expectation:
    """What a case expects of its subject; None (or empty) where it expects nothing."""

    verdict: Verdict
    policies: tuple[tuple[str, Verdict], ...] = ()
    rules: frozenset[str] | None = None
    missing: frozenset[str] | None = None
    warnings: frozenset[str] | None = None
    message_contains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    """One test case, as run: where it is written, its subject under test and its date."""

    name: str
    file: str
    line: int
    subject: str
    as_of: dt.date
    expect: Expectation
    policies: tuple[str, ...] = ()  # the policies under test (their verdict is the case's); () for all


@dataclass(frozen=True)
class Mismatch:
    """One expectation that does not hold: what was expected and what the evaluation gave."""

    aspect: str  # verdict, policy <name>, rules, missing, warnings, message_contains
    expected: str | tuple[str, ...]
    actual: str | tuple[str, ...]


@dataclass(frozen=True)
class CaseResult:
    case: Case
    result: SubjectResult
    mismatches: tuple[Mismatch, ...]

    @property
    def passed(self) -> bool:
        return not self.mismatches


@dataclass(frozen=True)
class RuleCoverage:
    """Whether any case saw the rule fire, and saw it evaluated without firing."""

    rule: str
    policy: str
    kind: RuleKind
    location: Location
    fired: bool
    not_fired: bool

    @property
    def covered(self) -> int:
        return int(self.fired) + int(self.not_fired)


@dataclass(frozen=True)
class Coverage:
    """Rule coverage: two outcomes per rule (and per declared `otherwise`), fired and not fired."""

    rules: tuple[RuleCoverage, ...]

    @property
    def covered(self) -> int:
        return sum(rule.covered for rule in self.rules)

    @property
    def total(self) -> int:
        return 2 * len(self.rules)

    @property
    def percent(self) -> float:
        return 100.0 if not self.total else 100.0 * self.covered / self.total

    @property
    def never_fired(self) -> tuple[RuleCoverage, ...]:
        return tuple(rule for rule in self.rules if not rule.fired)

    @property
    def never_failed(self) -> tuple[RuleCoverage, ...]:
        return tuple(rule for rule in self.rules if not rule.not_fired)


@dataclass(frozen=True)
class TestReport:
    """The outcome of `decisionlang test`: every case run, the coverage, and the diagnostics.

    When a diagnostic is an error (a bad test file, policy or state), no case is run."""

    __test__ = False  # not a pytest test class

    root: Path
    test_files: tuple[str, ...]
    cases: tuple[CaseResult, ...]
    coverage: Coverage
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def passed(self) -> int:
        return sum(1 for case in self.cases if case.passed)

    @property
    def failed(self) -> int:
        return len(self.cases) - self.passed


# ---------------------------------------------------------------------------------------------
# the run


def run_tests(
    directory: str | Path | SourceSet, *, as_of: dt.date | None = None, limits: RequestedLimits = None
) -> TestReport:
    """Run every test file under `directory` against the policies under it, or the tests and
    policies of a `SourceSet` (`SourceSet.from_memory(texts, tests=True)`). Never raises on bad
    input: see `TestReport.diagnostics`.

    `as_of` is the date of the cases whose file and case give none (default: today)."""
    if isinstance(directory, SourceSet):
        suite, diagnostics = _suite_of(directory)
    else:
        suite, diagnostics = _discover(Path(directory), requested_file_size(limits))
    limits = effective_limits(limits, suite.sources.settings.yaml_limits)
    policy_set, problems = _compile(suite)
    diagnostics += problems
    prepared: list[_Prepared] = []
    if not any(d.is_error for d in diagnostics):
        loader = _CaseLoader(suite.sources, policy_set, limits, as_of or dt.date.today())
        for test_file in suite.sources.tests:
            cases, file_problems = loader.load_file(test_file)
            prepared.extend(cases)
            diagnostics += file_problems
    results: list[CaseResult] = []
    if not any(d.is_error for d in diagnostics):  # a case runs only in a valid suite
        for case in prepared:
            try:
                result, evaluation_problems = _run_case(case, policy_set.policies)
            except DecisionlangError as error:  # a case over the evaluation budget (DL-EVAL-LIMIT)
                diagnostics += error.diagnostics
                break
            results.append(result)
            diagnostics += evaluation_problems
    coverage = measure_coverage(policy_set.policies, [result.result for result in results])
    shown = suite.shown_tests
    report = tuple(capped(sorted_diagnostics(diagnostics)))
    return TestReport(suite.root, shown, tuple(results), coverage, report)


@dataclass(frozen=True)
class _Suite:
    root: Path
    sources: SourceSet  # every policy and test file under the directory (states come per case)
    shown_tests: tuple[str, ...]  # every test file found, read or not


def find_root(directory: Path) -> Path:
    """The project root: the nearest of `directory` and its parents holding decisionlang.yaml, else
    the nearest whose `policies/` folder holds `directory` (or is in it), else `directory`."""
    directory = directory.resolve()
    candidates = (directory, *directory.parents)
    for candidate in candidates:
        if (candidate / CONFIG_FILE).is_file():
            return candidate
    for candidate in candidates:
        folder = candidate / DEFAULT_POLICIES
        if folder.is_dir() and (candidate == directory or directory.is_relative_to(folder)):
            return candidate
    return directory


def _discover(directory: Path, file_size: int | None) -> tuple[_Suite, list[Diagnostic]]:
    if not directory.is_dir():
        problem = Diagnostic(
            NO_TESTS, f"`{directory}` is not a directory", file=str(directory), help="give a directory"
        )
        root = directory.resolve()
        return _Suite(root, SourceSet.of_files(root), ()), [problem]
    root = find_root(directory)
    size = SizeLimits(yaml_bytes=file_size)
    try:
        tests = _files_under(root, directory, f"*{TEST_SUFFIX}")
    except DecisionlangError as error:  # a folder too deep or too large to walk
        return _Suite(root, SourceSet.of_files(root), ()), list(error.diagnostics)
    found = tuple(display_path(root, path) for path in tests)
    shown = display_path(root, directory) or "."
    project = SourceSet.from_disk(root, limits=size) if _is_decision_repo(root) else None
    if project is not None and project.policies and _holds(project, shown):
        # The policies `check` reads: decisionlang.yaml's folders, or policies/; its limits too.
        read = SourceSet.of_files(root, tests=list(found), limits=size)
        files = replace(project, tests=read.tests, diagnostics=(*project.diagnostics, *read.diagnostics))
        return _suite_of(files, shown, found)
    try:  # a folder of policies and their tests, apart from the project's policy folders
        policies = _files_under(root, directory, f"*{POLICY_SUFFIX}")
    except DecisionlangError as error:
        return _Suite(root, SourceSet.of_files(root), ()), list(error.diagnostics)
    files = SourceSet.of_files(
        root, policies=[display_path(root, path) for path in policies], tests=list(found), limits=size
    )
    return _suite_of(files, shown, found)


def _is_decision_repo(root: Path) -> bool:
    return (root / CONFIG_FILE).is_file() or (root / DEFAULT_POLICIES).is_dir()


def _holds(project: SourceSet, directory: str) -> bool:
    """Whether `directory` (root-relative) is the project root, holds its policies, or is inside one
    of its policy folders (`policies/tests/`)."""
    if directory in ("", "."):
        return True
    folders = {posixpath.dirname(policy.path) for policy in project.policies}
    return any(policy.path.startswith(f"{directory}/") for policy in project.policies) or any(
        directory == folder or directory.startswith(f"{folder}/") for folder in folders if folder
    )


def _suite_of(
    files: SourceSet, shown: str = ".", found: tuple[str, ...] | None = None
) -> tuple[_Suite, list[Diagnostic]]:
    """The suite of these files; `found` are the test files discovered, read or not."""
    found = found if found is not None else tuple(test.path for test in files.tests)
    root = files.directory or Path(files.root)
    # States come per case: a repo without state files is no concern of its tests.
    diagnostics = [d for d in files.diagnostics if d.code != "DL-CONFIG-NO-STATES"]
    if not files.policies:
        diagnostics.append(
            Diagnostic(
                NO_POLICIES,
                f"no `*{POLICY_SUFFIX}` file under `{shown}`",
                file=shown,
                help="run `decisionlang test` on the directory that holds the policies and their tests",
            )
        )
    if not found:
        diagnostics.append(
            Diagnostic(
                NO_TESTS,
                f"no `*{TEST_SUFFIX}` file under `{shown}`",
                file=shown,
                help=f"write test cases in files named like `policies/tests/<policy>{TEST_SUFFIX}`",
            )
        )
    return _Suite(root, files, found), diagnostics


def _files_under(root: Path, directory: Path, pattern: str) -> list[Path]:
    suffix = pattern.removeprefix("*")
    found = (
        path.resolve() for path in files_under(directory, code=LIMIT, root=root) if path.name.endswith(suffix)
    )
    inside = {path for path in found if path.is_relative_to(root)}
    return sorted(inside, key=lambda path: display_path(root, path))


@dataclass(frozen=True)
class _PolicySet:
    """The compiled policies and what a test file may name: policies, rule ids, fields."""

    program: Program
    policies: tuple[CompiledPolicy, ...]
    rule_ids: frozenset[str] = field(default=frozenset())

    @property
    def policy_ids(self) -> frozenset[str]:
        return frozenset(policy.id for policy in self.policies)

    @property
    def field_paths(self) -> frozenset[str]:
        return frozenset(self.program.all_fields())

    def rules_of(self, policies: Iterable[str]) -> frozenset[str]:
        return rule_ids_of(policy for policy in self.policies if policy.id in set(policies))

    def declared_in(self, path: str) -> tuple[str, ...]:
        """The policies declared in the policy file `path`, in declaration order."""
        return tuple(
            policy.id
            for policy in self.policies
            if policy.id in self.program.policies and self.program.policies[policy.id].span.path == path
        )


def _compile(suite: _Suite) -> tuple[_PolicySet, list[Diagnostic]]:
    modules, diagnostics = load_modules(suite.sources)
    program, problems = check_program(modules)
    diagnostics += problems
    if any(d.is_error for d in diagnostics):
        return _PolicySet(program, ()), diagnostics
    policies = compile_program(program)
    return _PolicySet(program, policies, rule_ids_of(policies)), diagnostics


def rule_ids_of(policies: Iterable[CompiledPolicy]) -> frozenset[str]:
    """Every id a policy's trace may give a rule, the `otherwise` and `applies` pseudo-rules included."""
    ids: set[str] = set()
    for policy in policies:
        ids.update(rule.id for rule in policy.rules)
        if policy.go_rules or policy.otherwise_span is not None:
            ids.add(f"{policy.id}.otherwise")
        if policy.where is not None:
            ids.add(f"{policy.id}.applies")
    return frozenset(ids)


# ---------------------------------------------------------------------------------------------
# running a case


@dataclass(frozen=True)
class _Prepared:
    case: Case
    subject: Subject
    portfolio: Portfolio


def _run_case(prepared: _Prepared, policies: Sequence[CompiledPolicy]) -> tuple[CaseResult, list[Diagnostic]]:
    """The subject under the policies under test only: a repo's other policies do not move the verdict,
    the rules, the warnings or the missing information a case expects."""
    under_test = prepared.case.policies
    if under_test:
        policies = [policy for policy in policies if policy.id in under_test]
    options = EvaluationOptions(today=prepared.case.as_of, trace=True)
    result, problems = evaluate_subject(policies, prepared.subject, prepared.portfolio, options)
    return CaseResult(prepared.case, result, compare(prepared.case.expect, result)), problems


def compare(expect: Expectation, result: SubjectResult) -> tuple[Mismatch, ...]:
    """Every expectation the subject's evaluation does not meet: verdict, policies, rules, missing,
    warnings, then messages."""
    mismatches: list[Mismatch] = []
    if result.verdict is not expect.verdict:
        mismatches.append(Mismatch("verdict", expect.verdict.value, result.verdict.value))
    verdicts = policy_verdicts(result)
    for policy, verdict in expect.policies:
        given = verdicts.get(policy, "does not apply")
        if given != verdict.value:
            mismatches.append(Mismatch(f"policy {policy}", verdict.value, given))
    for aspect, expected, actual in (
        ("rules", expect.rules, reason_ids(result)),
        ("missing", expect.missing, missing_fields(result)),
        ("warnings", expect.warnings, warning_rules(result)),
    ):
        if expected is not None and expected != frozenset(actual):
            mismatches.append(Mismatch(aspect, tuple(sorted(expected)), actual))
    messages = deciding_messages(result)
    absent = tuple(text for text in expect.message_contains if not any(text in m for m in messages))
    if absent:
        mismatches.append(Mismatch("message_contains", absent, messages))
    return tuple(mismatches)


def policy_verdicts(result: SubjectResult) -> dict[str, str]:
    return {policy.policy: policy.verdict.value for policy in result.policies}


def reason_ids(result: SubjectResult) -> tuple[str, ...]:
    return tuple(sorted({rule.rule for rule in policy_reasons(result)}))


def missing_fields(result: SubjectResult) -> tuple[str, ...]:
    """Missing fields as a test names them: `tier`, or `tier of ledger-db` for another subject's."""
    names = {
        item.path if item.subject == result.subject else f"{item.path}{_MISSING_OWNER}{item.subject}"
        for item in result.missing
    }
    return tuple(sorted(names))


def warning_rules(result: SubjectResult) -> tuple[str, ...]:
    return tuple(sorted({warning.rule for warning in result.warnings}))


def deciding_messages(result: SubjectResult) -> tuple[str, ...]:
    messages = (rule.message for rule in policy_reasons(result) if rule.message)
    return tuple(dict.fromkeys(messages))


# ---------------------------------------------------------------------------------------------
# coverage


def measure_coverage(policies: Sequence[CompiledPolicy], results: Iterable[SubjectResult]) -> Coverage:
    """Which rule outcomes the subjects under test reached: fired (or applied) and not fired.

    A rule that could not be decided (missing information, an evaluation problem) covers neither."""
    fired: set[str] = set()
    not_fired: set[str] = set()
    for result in results:
        for policy in result.policies:
            _observe(policy, fired, not_fired)
    rules = [
        RuleCoverage(rule_id, policy, kind, location, rule_id in fired, rule_id in not_fired)
        for rule_id, policy, kind, location in _coverage_targets(policies)
    ]
    return Coverage(tuple(rules))


def _observe(policy: PolicyResult, fired: set[str], not_fired: set[str]) -> None:
    if any(
        rule.kind is RuleKind.APPLIES for rule in policy.rules
    ):  # undecided `where`: no rule was evaluated
        return
    for rule in policy.rules:
        if rule.outcome in (Outcome.FIRED, Outcome.APPLIED):
            fired.add(rule.rule)
        elif rule.outcome is Outcome.NOT_FIRED:
            not_fired.add(rule.rule)
    # The policy was evaluated and its `otherwise` did not decide (it is traced only when it does).
    otherwise = f"{policy.policy}.otherwise"
    if all(rule.rule != otherwise for rule in policy.rules):
        not_fired.add(otherwise)


def _coverage_targets(policies: Sequence[CompiledPolicy]) -> list[tuple[str, str, RuleKind, Location]]:
    targets: list[tuple[str, str, RuleKind, Location]] = []
    for policy in policies:
        targets.extend((rule.id, policy.id, rule.kind, rule.location) for rule in policy.rules)
        if policy.otherwise_span is not None:
            span = policy.otherwise_span
            location = Location(span.path, span.line, span.column)
            targets.append((f"{policy.id}.otherwise", policy.id, RuleKind.OTHERWISE, location))
    return targets


# ---------------------------------------------------------------------------------------------
# reading test files


_Pair = tuple[Located, Located]  # a mapping entry: its key (as text, where written) and its value


class _Entries(dict[str, _Pair]):
    """A mapping's entries by key (key, value), and the known keys its typos stand for."""

    def __init__(self) -> None:
        super().__init__()
        self.typos: set[str] = set()

    def lacks(self, key: str) -> bool:
        """Whether `key` is absent, and not merely misspelt (already reported)."""
        return key not in self and key not in self.typos


class _TestFile:
    """One test file being read: its text, its located values, and the problems found so far."""

    def __init__(self, source: SourceFile, path: Path) -> None:
        self.source = source
        self.path = path
        self.problems: list[Diagnostic] = []
        self._blank: str | None = None
        self._line_starts = [0]
        for line in source.text.split("\n")[:-1]:
            self._line_starts.append(self._line_starts[-1] + len(line) + 1)

    def _offset(self, line: int, column: int) -> int:
        return (
            self._line_starts[line - 1] + column - 1
            if line <= len(self._line_starts)
            else len(self.source.text)
        )

    def inline_text(self, key: Located, value: Located, collection: str) -> str:
        """The text with everything blanked but `key: value`, the key renamed to `collection`.

        Lines and columns are kept, so the state loader's positions are positions in the test file."""
        if self._blank is None:
            self._blank = re.sub(r"[^\n]", " ", self.source.text)
        text, blank = self.source.text, self._blank
        start = self._offset(key.line, key.column)
        key_end = start + token_width(self.source.line_text(key.line), key.column - 1)
        end = self._offset(*value.end) if value.end is not None else key_end
        renamed = text[start:key_end].replace(str(key.value), collection)
        return blank[:start] + renamed + text[key_end:end] + blank[end:]

    # --- positions

    def span(self, node: Located) -> Span:
        return node.span(self.source)

    def report(self, code: str, message: str, node: Located, help: str | None = None) -> None:
        self.problems.append(Diagnostic(code, message, self.span(node), help))

    # --- shapes

    def mapping(self, node: Located, allowed: Sequence[str], what: str) -> _Entries | None:
        """The entries of a mapping, reporting unknown keys (the reader refuses repeated ones)."""
        if not isinstance(node.value, dict):
            self.report(SHAPE, f"{what} must be a mapping, got {_shape(node)}", node)
            return None
        entries = _Entries()
        for name, key, value in _pairs(node):
            if name not in allowed:
                entries.typos.update(self._unknown_key(key, name, allowed, what))
            else:
                entries[name] = (key, value)
        return entries

    def _unknown_key(self, key: Located, name: str, allowed: Sequence[str], what: str) -> list[str]:
        """Reports the key; returns the known key it is most likely a typo of, if any."""
        known = ", ".join(f"`{option}`" for option in allowed)
        match = closest(name, allowed, cutoff=_KEY_CUTOFF)
        help = f"did you mean `{match}`? the keys are {known}" if match else f"the keys are {known}"
        self.report(KEY, f"unknown key `{name}` in {what}", key, help)
        return [match] if match else []

    def text(self, node: Located, what: str) -> str | None:
        value = node.value
        if value is not None and not isinstance(value, dict | list) and text_of(value).strip():
            return text_of(value)
        self.report(SHAPE, f"{what} must be text, got {_shape(node)}", node)
        return None

    def items(self, node: Located, what: str) -> list[Located] | None:
        if isinstance(node.value, list):
            return list(node.value)
        self.report(
            SHAPE, f"{what} must be a list, got {_shape(node)}", node, "write `[a, b]` or `- a` lines"
        )
        return None

    def texts(self, node: Located, what: str) -> list[tuple[str, Located]] | None:
        """A list of text, each item with where it is written."""
        items = self.items(node, what)
        if items is None:
            return None
        texts = [(self.text(item, f"each item of {what}"), item) for item in items]
        return [(text, item) for text, item in texts if text is not None]

    def date(self, node: Located, what: str) -> dt.date | None:
        day = parse_date(node.value)  # the reader keeps dates as text
        if day is None:
            self.report(DATE, f"{what} must be a date like 2027-03-31, got {_shape(node)}", node, DATE_HELP)
        return day

    def verdict(self, node: Located, what: str) -> Verdict | None:
        text = self.text(node, what)
        if text is None:
            return None
        if text in _VERDICTS:
            return _VERDICTS[text]
        self.report(VERDICT, f"unknown verdict `{text}` for {what}", node, _verdict_help(text))
        return None


def _pairs(node: Located) -> list[tuple[str, Located, Located]]:
    """A mapping's entries: the key's text, the key where written, and the value."""
    assert isinstance(node.value, dict)
    return [
        (name, Located(name, entry.line, entry.column), entry.value) for name, entry in node.value.items()
    ]


def _shape(node: Located) -> str:
    if isinstance(node.value, dict):
        return "a mapping"
    if isinstance(node.value, list):
        return "a list"
    if node.value is None:
        return "nothing"
    return f"`{text_of(node.value)}`"


def _verdict_help(text: str) -> str:
    spelled = re.sub(r"[\s_]+", "-", text.strip().lower())
    squeezed = {verdict.replace("-", ""): verdict for verdict in _VERDICTS}
    guess = spelled if spelled in _VERDICTS else squeezed.get(spelled.replace("-", ""))
    if guess is None:
        guess = closest(spelled, _VERDICTS, cutoff=_KEY_CUTOFF)
    choices = "the verdicts are `go`, `no-go` and `not-yet`"
    return f"did you mean `{guess}`? {choices}" if guess else choices


def _did_you_mean(name: str, candidates: Iterable[str], otherwise: str) -> str:
    return did_you_mean(name, candidates) or otherwise


def _read_test_file(
    test_file: sources.SourceFile, limits: YamlLimits
) -> tuple[SourceFile, Located | None, list[Diagnostic]]:
    """The file's text and its one document with every value located, or why it cannot be read."""
    read = read_yaml(test_file, prefix="DL-TEST", noun="test file", limits=limits, single=True)
    if read.diagnostics or not read.documents:
        return read.source, None, list(read.diagnostics)
    root, problem = located(read.documents[0], read.source, "DL-TEST")
    return read.source, root, [problem] if problem is not None else []


@dataclass
class _Draft:
    """A case as written, before its subjects are loaded."""

    name: str
    node: Located  # the case's mapping
    expect: Expectation
    subject: tuple[str, Located] | None = None  # the subject under test, and its node
    as_of: dt.date | None = None
    inline: list[tuple[str, str]] = field(default_factory=list)  # state texts, with their key
    states: list[str] = field(default_factory=list)  # root-relative, links followed
    missing: list[tuple[str, Located]] = field(default_factory=list)  # `expect.missing`, checked once loaded
    broken: bool = False  # its keys or subjects have a problem already
    scope: tuple[str, ...] = ()  # the policies under test; () for all


class _CaseLoader:
    """Reads test files against one policy set, and loads each case's subjects."""

    def __init__(self, files: SourceSet, policy_set: _PolicySet, limits: YamlLimits, today: dt.date) -> None:
        self.files = files
        self.root = Path(files.root)
        self.policy_set = policy_set
        self.limits = limits
        self.today = today
        self.scope: tuple[str, ...] = ()  # the policies under test of the file being read; () for all

    def load_file(self, test_file: sources.SourceFile) -> tuple[list[_Prepared], list[Diagnostic]]:
        source, root, problems = _read_test_file(test_file, self.limits)
        if problems:
            return [], problems
        file = _TestFile(source, self.root / test_file.path)
        as_of, drafts = self._file(file, root)
        prepared = [case for draft in drafts if (case := self._prepare(file, draft, as_of)) is not None]
        return prepared, file.problems

    # --- the file and its cases

    def _file(self, file: _TestFile, root: Located | None) -> tuple[dt.date | None, list[_Draft]]:
        if root is None:
            file.problems.append(Diagnostic(REQUIRED, "test file has no `cases`", file=file.source.path))
            return None, []
        entries = file.mapping(root, _FILE_KEYS, "a test file")
        if entries is None:
            return None, []
        as_of = file.date(entries["as_of"][1], "`as_of`") if "as_of" in entries else None
        self.scope = (
            self._declared_scope(file, entries["policies"][1])
            if "policies" in entries
            else self._scope_by_name(file.source.path)
        )
        if entries.lacks("cases"):
            file.report(
                REQUIRED, "test file has no `cases`", root, "add `cases:` with one `- name: ...` per case"
            )
            return as_of, []
        if "cases" not in entries:
            return as_of, []
        cases = file.items(entries["cases"][1], "`cases`")
        if cases is None:
            return as_of, []
        if not cases:
            file.problems.append(
                Diagnostic(
                    EMPTY, "test file has no case", file.span(entries["cases"][0]), severity=Severity.WARNING
                )
            )
        drafts = [draft for node in cases if (draft := self._case(file, node)) is not None]
        self._check_names(file, drafts)
        return as_of, drafts

    def _declared_scope(self, file: _TestFile, node: Located) -> tuple[str, ...]:
        """`policies: [a, b]` (or `policies: all`) at the top of a test file."""
        if node.value == _ALL:
            return ()
        known = self.policy_set.policy_ids
        named: list[str] = []
        for name, item in file.texts(node, "`policies`") or []:
            if name in known:
                named.append(name)
            else:
                help = _did_you_mean(name, known, _listing("policies", known))
                file.report(POLICY, f"unknown policy `{name}` in `policies`", item, help)
        return tuple(dict.fromkeys(named)) if named else ()

    def _scope_by_name(self, test_path: str) -> tuple[str, ...]:
        """The policies of the policy file a test file is named after: `tests/dora.test.yaml` tests
        those of `dora.policy` (in its folder, the folder above, or anywhere when only one has that
        name); the whole set when no policy file has its name."""
        stem = posixpath.basename(test_path).removesuffix(TEST_SUFFIX)
        folder = posixpath.dirname(test_path)
        candidates = sorted(
            {
                policy.span.path
                for policy in self.policy_set.program.policies.values()
                if posixpath.basename(policy.span.path) == f"{stem}{POLICY_SUFFIX}"
            }
        )
        for place in (folder, posixpath.dirname(folder)):
            near = [path for path in candidates if posixpath.dirname(path) == place]
            if len(near) == 1:
                return self.policy_set.declared_in(near[0])
        return self.policy_set.declared_in(candidates[0]) if len(candidates) == 1 else ()

    def _check_names(self, file: _TestFile, drafts: list[_Draft]) -> None:
        first: dict[str, _Draft] = {}
        for draft in drafts:
            original = first.setdefault(draft.name, draft)
            if original is not draft:
                line = original.node.line
                file.report(
                    DUPLICATE, f"duplicate case name `{draft.name}`: already used at line {line}", draft.node
                )

    def _case(self, file: _TestFile, node: Located) -> _Draft | None:
        known_problems = len(file.problems)
        entries = file.mapping(node, _CASE_KEYS, "a case")
        if entries is None:
            return None
        misspelt = len(file.problems) > known_problems
        name = file.text(entries["name"][1], "a case's `name`") if "name" in entries else None
        if entries.lacks("name"):
            file.report(
                REQUIRED, "case has no `name`", node, "name each case: `- name: a critical service is NO-GO`"
            )
        if entries.lacks("expect"):
            file.report(
                REQUIRED, f"case `{name or '?'}` has no `expect`", node, "add `expect: {verdict: go}`"
            )
            return None
        if "expect" not in entries:
            return None
        file_scope = self.scope
        if "policies" in entries:  # this case tests other policies than the file's
            self.scope = self._declared_scope(file, entries["policies"][1])
        try:
            expect, missing = self._expectation(file, entries["expect"][1])
        finally:
            case_scope, self.scope = self.scope, file_scope
        if name is None or expect is None:
            return None
        draft = _Draft(name, node, expect, missing=missing, scope=case_scope)
        known_problems = len(file.problems)
        self._case_details(file, entries, draft)
        # A case whose keys or subjects have a problem still has its subjects loaded (to report theirs),
        # but its subject under test is not looked for: a misspelt `subjects:` would make it unknown too.
        draft.broken = misspelt or len(file.problems) > known_problems
        return draft

    def _case_details(self, file: _TestFile, entries: Mapping[str, _Pair], draft: _Draft) -> None:
        if "subject" in entries:
            text = file.text(entries["subject"][1], "`subject`")
            draft.subject = (text, entries["subject"][1]) if text is not None else None
        if "as_of" in entries:
            draft.as_of = file.date(entries["as_of"][1], "`as_of`")
        for key, collection in _INLINE_KEYS.items():
            if key in entries and file.items(entries[key][1], f"`{key}`") is not None:
                key_node, value = entries[key]
                draft.inline.append((key, file.inline_text(key_node, value, collection)))
        if "states" in entries:
            draft.states = self._state_files(file, entries["states"][1])

    def _state_files(self, file: _TestFile, node: Located) -> list[str]:
        paths: list[str] = []
        for text, item in file.texts(node, "`states`") or []:
            try:
                path = self.files.real_path(file.source.path, text)
            except ValueError:
                help = "state files of a test must be inside the project root, like the policies"
                file.report(STATE_OUTSIDE, f"state file `{text}` is outside the project root", item, help)
                continue
            if path is None:
                file.report(
                    STATE_NOT_FOUND,
                    f"state file `{text}`: no such file",
                    item,
                    "paths are relative to the test file",
                )
            else:
                paths.append(path)
        return paths

    # --- expectations

    def _expectation(
        self, file: _TestFile, node: Located
    ) -> tuple[Expectation | None, list[tuple[str, Located]]]:
        """The expectation, and the `missing` entries with their nodes (checked once subjects are loaded)."""
        entries = file.mapping(node, _EXPECT_KEYS, "`expect`")
        if entries is None:
            return None, []
        if "verdict" not in entries:
            if entries.lacks("verdict"):
                help = "add `verdict: go` (or `no-go`, `not-yet`)"
                file.report(REQUIRED, "`expect` has no `verdict`", node, help)
            return None, []
        verdict = file.verdict(entries["verdict"][1], "`expect.verdict`")
        policies = self._policy_verdicts(file, entries["policies"][1]) if "policies" in entries else ()
        rules = self._rule_ids(file, entries, "rules")
        warned = self._rule_ids(file, entries, "warnings")
        missing = file.texts(entries["missing"][1], "`expect.missing`") if "missing" in entries else None
        contains = (
            file.texts(entries["message_contains"][1], "`expect.message_contains`") or []
            if "message_contains" in entries
            else []
        )
        if verdict is None:
            return None, []
        expectation = Expectation(
            verdict,
            policies,
            rules,
            frozenset(text for text, _ in missing) if missing is not None else None,
            warned,
            tuple(text for text, _ in contains),
        )
        return expectation, missing or []

    def _policy_verdicts(self, file: _TestFile, node: Located) -> tuple[tuple[str, Verdict], ...]:
        if not isinstance(node.value, dict):
            file.report(
                SHAPE,
                f"`expect.policies` must be a mapping, got {_shape(node)}",
                node,
                "write `{policy: go}`",
            )
            return ()
        known = self.policy_set.policy_ids
        verdicts: list[tuple[str, Verdict]] = []
        for _, key, value in _pairs(node):
            name = file.text(key, "a policy name")
            verdict = file.verdict(value, f"policy `{name}`")
            if name is not None and name not in known:
                file.report(
                    POLICY,
                    f"unknown policy `{name}`",
                    key,
                    _did_you_mean(name, known, _listing("policies", known)),
                )
            elif name is not None and self.scope and name not in self.scope:
                file.report(
                    POLICY, f"policy `{name}` is not under test in this file", key, self._scope_help()
                )
            elif name is not None and verdict is not None:
                verdicts.append((name, verdict))
        return tuple(verdicts)

    def _rule_ids(self, file: _TestFile, entries: Mapping[str, _Pair], key: str) -> frozenset[str] | None:
        if key not in entries:
            return None
        texts = file.texts(entries[key][1], f"`expect.{key}`")
        if texts is None:
            return None
        known = self.policy_set.rule_ids
        tested = self.policy_set.rules_of(self.scope) if self.scope else known
        for text, item in texts:
            if text not in known:
                help = _did_you_mean(
                    text, known, "rule ids are `policy.name`, or `policy.no_go#1` for unnamed rules"
                )
                file.report(RULE, f"unknown rule `{text}` in `expect.{key}`", item, help)
            elif text not in tested:
                message = f"rule `{text}` in `expect.{key}` is not a rule of the policies under test"
                file.report(RULE, message, item, self._scope_help())
        return frozenset(text for text, _ in texts)

    def _scope_help(self) -> str:
        tested = ", ".join(f"`{name}`" for name in self.scope)
        return (
            f"this file tests {tested} (the policies of the file it is named after): a case expects what "
            "they decide; name others in `policies: [...]` at the top of the file, or `policies: all`"
        )

    # --- subjects

    def _prepare(self, file: _TestFile, draft: _Draft, file_as_of: dt.date | None) -> _Prepared | None:
        # State files first: a name given both there and inline is reported in the test file.
        files, problems = [], []
        for path in draft.states:
            read = self.files.read(path, Role.STATE)
            if isinstance(read, Diagnostic):
                problems.append(read)
            else:
                files.append(read)
        files += [sources.SourceFile(file.source.path, text) for _, text in draft.inline]
        portfolio, loaded = load_states(files, self.policy_set.program.fields, limits=self.limits)
        problems += loaded
        file.problems.extend(_into_test_file(problem, file.source) for problem in problems)
        if draft.broken or any(problem.is_error for problem in problems):
            return None
        subject = self._subject_under_test(file, draft, portfolio)
        if subject is None or not self._missing_known(file, draft, portfolio):
            return None
        as_of = draft.as_of or file_as_of or self.today
        case = Case(
            draft.name, file.source.path, draft.node.line, subject.name, as_of, draft.expect, draft.scope
        )
        return _Prepared(case, subject, portfolio)

    def _subject_under_test(self, file: _TestFile, draft: _Draft, portfolio: Portfolio) -> Subject | None:
        names = portfolio.by_name
        if draft.subject is not None:
            name, node = draft.subject
            if name in names:
                return names[name]
            help = _did_you_mean(name, names, _listing("subjects of this case", names))
            file.report(
                SUBJECT, f"unknown subject `{name}`: the case declares no subject of that name", node, help
            )
            return None
        if len(portfolio.subjects) == 1:
            return portfolio.subjects[0]
        if not portfolio.subjects:
            file.report(
                SUBJECT, f"case `{draft.name}` has no subject", draft.node, "add `subjects:` or `states:`"
            )
        else:
            help = f"add `subject: <name>`; {_listing('subjects of this case', names)}"
            file.report(
                SUBJECT,
                f"case `{draft.name}` has several subjects: which one is under test?",
                draft.node,
                help,
            )
        return None

    def _missing_known(self, file: _TestFile, draft: _Draft, portfolio: Portfolio) -> bool:
        fields = self.policy_set.field_paths
        valid = True
        for text, node in draft.missing:
            path, _, owner = text.partition(_MISSING_OWNER)
            if owner and owner not in portfolio.by_name:
                help = _did_you_mean(
                    owner, portfolio.by_name, _listing("subjects of this case", portfolio.by_name)
                )
                file.report(FIELD, f"`{text}` names unknown subject `{owner}`", node, help)
                valid = False
            elif path not in fields:
                help = _did_you_mean(
                    path, fields, "write a declared field, or `field of subject` for another subject's"
                )
                file.report(FIELD, f"unknown field `{path}` in `expect.missing`", node, help)
                valid = False
        return valid


def _listing(what: str, names: Iterable[str]) -> str:
    shown = sorted(names)
    more = f", ... ({len(shown)} in all)" if len(shown) > 8 else ""
    return (
        f"the {what} are " + ", ".join(f"`{name}`" for name in shown[:8]) + more
        if shown
        else f"there are no {what}"
    )


def _into_test_file(problem: Diagnostic, source: SourceFile) -> Diagnostic:
    """A state loader diagnostic about an inline subject, shown on the test file's own text."""
    if problem.span is None or problem.span.path != source.path:
        return problem
    message = problem.message.replace("`services`", "`subjects`")
    return replace(problem, message=message, span=replace(problem.span, source=source))

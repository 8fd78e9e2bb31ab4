"""Verdict diffs between two revisions of a decision repo: what a change does to the decisions.

The base revision is read with git alone (`SourceSet.from_git`): the decision repo's subtree at
that commit is listed (`git ls-tree`) and only the blobs the project needs are read
(`git cat-file --batch`), straight into memory. The working tree, the index and the refs are never
touched, nothing is checked out and nothing is written to disk. Both sides
are evaluated on the same date and compared subject by subject into a `VerdictDiff`.

A base that cannot be evaluated (its policies do not parse, say) does not block the head: the
diff then reports every head subject as new, and `before.diagnostics` says why (`BASE_INVALID`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from decisionlang.compare.changes import BASE_INVALID, ChangeKind, FactChange, SubjectChange, VerdictDiff
from decisionlang.core.diagnostics import DecisionlangError, Diagnostic, Severity
from decisionlang.core.format import json_value, show
from decisionlang.core.model import (
    Fact,
    Location,
    Outcome,
    Report,
    RuleKind,
    RuleTrace,
    SubjectResult,
    Verdict,
)
from decisionlang.core.subjects import Portfolio
from decisionlang.core.views import deciding_rules, fact_rules
from decisionlang.engine.project import Project, evaluate_project, load_project
from decisionlang.inputs.sources import Git, SourceSet, first_line, git_error

BASE_ABSENT = "DL-GIT-BASE-ABSENT"  # in `before.diagnostics`: the directory did not exist at the base
SUMMARY_FACTS = 3  # facts named in a one-line summary; the rest are counted
_GRAPH_FIELDS = frozenset({"dependents", "all_dependencies", "all_dependents"})  # computed, not declared
_FULL_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def diff_against(
    directory: Path,
    base: str,
    *,
    as_of: dt.date | None = None,
    services: Iterable[str] | None = None,
    strict: bool = False,
) -> VerdictDiff:
    """Evaluate the decision repo at DIRECTORY in the working tree and at the git revision BASE,
    and compare them subject by subject.

    Raises DecisionlangError (codes DL-GIT-...) when git cannot give the base revision, and the
    head's own errors when the working tree does not evaluate."""
    today = as_of or dt.date.today()  # one date for both sides, even across midnight
    repository = locate_repository(Path(directory))
    commit = resolve_commit(repository, base)
    head_project = load_project(directory)
    if head_project.errors:
        raise DecisionlangError(list(head_project.errors))
    base_project, base_problems = load_base(repository, commit, base)
    wanted = _wanted(services, head_project, base_project, today)
    head = evaluate_project(head_project, as_of=today, services=_present(wanted, head_project), strict=strict)
    before = _evaluate_base(base_project, base_problems, today, wanted, strict)
    base_portfolio = base_project.portfolio if base_project is not None else Portfolio.of(())
    changes, unchanged = compare(
        Side.of(before, base_portfolio),
        Side.of(head, head_project.portfolio),
        base_evaluated=not _has(before, BASE_INVALID),
        edited=edited_rules(base_project, head_project),
    )
    return VerdictDiff(base, commit, head, before, changes, unchanged)


# ---------------------------------------------------------------- helpers for renderers and the CLI


def _has(report: Report, code: str) -> bool:
    return any(diagnostic.code == code for diagnostic in report.diagnostics)


# ---------------------------------------------------------------- git


@dataclass(frozen=True)
class Repository:
    """The git working tree holding a decision repo, and where the decision repo sits in it."""

    top: Path
    prefix: str  # the decision repo's directory, relative to `top`, POSIX, "" at the top
    shown: str  # the directory as the user gave it, for messages


def locate_repository(directory: Path) -> Repository:
    shown = directory.as_posix()
    if not directory.is_dir():
        raise DecisionlangError(
            [
                Diagnostic(
                    "DL-CONFIG",
                    f"`{shown}` is not a directory",
                    file=shown,
                    help="give the decision repo's directory",
                )
            ]
        )
    result = _git(directory, shown, "rev-parse", "--show-toplevel", "--show-prefix")
    if result.returncode != 0:
        detail = _first_line(result.stderr)
        if "not a git repository" in detail:
            raise _error(
                "DL-GIT-NOT-A-REPOSITORY",
                f"`{shown}` is not inside a git repository, so there is no revision to compare with",
                shown,
                "run the check in a clone of the decision repo, or without --base",
            )
        raise _error("DL-GIT", f"git cannot read the repository of `{shown}`: {detail}", shown, None)
    top, _, prefix = os.fsdecode(result.stdout).rstrip("\n").partition("\n")
    return Repository(Path(top), prefix.strip("/"), shown)


def resolve_commit(repository: Repository, revision: str) -> str:
    """The full id of the commit REVISION names; a clear error, with what to fetch, otherwise."""
    if revision and not revision.startswith("-"):  # never let a revision pass as an option
        result = _run(repository, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
        if result.returncode == 0:
            return os.fsdecode(result.stdout).strip()
    if revision and _is_shallow(repository):
        raise _error(
            "DL-GIT-SHALLOW",
            f"revision `{revision}` is not in this shallow clone: its history was not fetched",
            repository.shown,
            _fetch_help(repository, revision),
        )
    raise _error(
        "DL-GIT-REVISION",
        f"unknown revision `{revision}`: no commit of this repository has that name",
        repository.shown,
        "give a branch, tag or commit id that exists here, e.g. `origin/main`; "
        "`git branch -a` lists the branches, and `git fetch origin main` fetches a remote one",
    )


def _is_shallow(repository: Repository) -> bool:
    result = _run(repository, "rev-parse", "--is-shallow-repository")
    return result.returncode == 0 and result.stdout.strip() == b"true"


def _fetch_help(repository: Repository, revision: str) -> str:
    """Exactly what to fetch to make REVISION resolvable in a shallow clone."""
    remotes = os.fsdecode(_run(repository, "remote").stdout).split()
    remote, _, branch = revision.partition("/")
    unshallow = "or `git fetch --unshallow` to fetch the whole history"
    if remote in remotes and branch:
        return (
            f"fetch it: `git fetch --depth=1 {remote} {branch}:refs/remotes/{remote}/{branch}`, {unshallow}"
        )
    default = "origin" if "origin" in remotes or not remotes else remotes[0]
    if _FULL_COMMIT.fullmatch(revision):
        return f"fetch it: `git fetch --depth=1 {default} {revision}`, {unshallow}"
    if re.fullmatch(r"[\w.][\w./-]*", revision) and "/" not in revision:
        return (
            f"fetch it: `git fetch --depth=1 {default} {revision}:refs/remotes/{default}/{revision}` and "
            f"pass `--base {default}/{revision}`, {unshallow}"
        )
    return "fetch more history: `git fetch --unshallow` (or `git fetch --deepen=N` for N more commits)"


def _git(cwd: Path, shown: str, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return Git(cwd, shown).run(*args, stdin=stdin)


def _run(
    repository: Repository, *args: str, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return _git(repository.top, repository.shown, *args, stdin=stdin)


_first_line = first_line
_error = git_error


# ---------------------------------------------------------------- the base, read from git


def load_base(repository: Repository, commit: str, revision: str) -> tuple[Project | None, list[Diagnostic]]:
    """The decision repo at COMMIT, loaded from its blobs; None (with the reason) when it did not
    exist at that commit or does not load."""
    tree = f"{commit}:{repository.prefix}" if repository.prefix else f"{commit}^{{tree}}"
    kind = _run(repository, "cat-file", "-t", tree)
    if kind.returncode != 0 or kind.stdout.strip() != b"tree":
        where = f"`{repository.prefix}`" if repository.prefix else "the decision repo"
        return None, [
            Diagnostic(
                BASE_ABSENT,
                f"{where} does not exist at `{revision}`: every subject is new",
                file=repository.shown,
                severity=Severity.WARNING,
            )
        ]
    files = SourceSet.from_git(
        repository.top, commit, repository.prefix, label=revision, shown=repository.shown
    )
    project = load_project(files)
    problems = [d for d in files.diagnostics if d.code == "DL-GIT-BASE-SKIPPED"]
    if project.errors:
        count = len(project.errors)
        marker = Diagnostic(
            BASE_INVALID,
            f"the decision repo at `{revision}` could not be evaluated ({count} error"
            f"{'s' if count != 1 else ''}): every subject of the head is reported as new",
            file=repository.shown,
            help="the errors below are in the base revision, not in the working tree",
            severity=Severity.WARNING,
        )
        return None, [marker, *problems, *project.errors]
    return project, []  # the skipped files are among the project's own warnings


# ---------------------------------------------------------------- evaluation of both sides


def _wanted(
    services: Iterable[str] | None, head: Project, base: Project | None, today: dt.date
) -> list[str] | None:
    """The named subjects; a name in neither revision is an error (with a did-you-mean)."""
    if services is None:
        return None
    wanted = list(dict.fromkeys(services))
    if not wanted:
        return None
    known = set(head.portfolio.by_name) | (set(base.portfolio.by_name) if base is not None else set())
    unknown = [name for name in wanted if name not in known]
    if unknown:
        evaluate_project(head, as_of=today, services=unknown)  # raises, naming the closest subjects
    return wanted


def _present(wanted: list[str] | None, project: Project) -> list[str] | None:
    if wanted is None:
        return None
    return [name for name in wanted if name in project.portfolio.by_name]


def _evaluate_base(
    project: Project | None,
    problems: list[Diagnostic],
    today: dt.date,
    wanted: list[str] | None,
    strict: bool,
) -> Report:
    if project is None:
        return Report(Verdict.GO, (), tuple(problems), today)
    report = evaluate_project(project, as_of=today, services=_present(wanted, project), strict=strict)
    return dataclasses.replace(report, diagnostics=(*problems, *report.diagnostics))


# ---------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Known:
    """A state value on one side: JSON-ready (None when absent) and where it is written."""

    value: Any
    location: Location | None


@dataclass(frozen=True)
class Side:
    """One revision's report, with the state values behind it."""

    report: Report
    portfolio: Portfolio
    results: Mapping[str, SubjectResult]
    traced: Mapping[tuple[str, str], Fact]

    @staticmethod
    def of(report: Report, portfolio: Portfolio) -> Side:
        results = {result.subject: result for result in report.subjects}
        traced: dict[tuple[str, str], Fact] = {}
        for result in report.subjects:
            for policy in result.policies:
                for rule in policy.rules:
                    for fact in rule.facts:
                        traced.setdefault((fact.subject, fact.path), fact)
        return Side(report, portfolio, results, traced)

    def read(self, subject: str, path: str) -> Known | None:
        """The value of SUBJECT's PATH on this side; None when it cannot be told (a computed
        field no rule read on this side)."""
        owner = self.portfolio.by_name.get(subject)
        if owner is None:
            return Known(None, None)
        if path in owner.fields:
            line, column = owner.location_of(path)
            return Known(json_value(owner.fields[path]), Location(owner.file, line, column))
        fact = self.traced.get((subject, path))
        if fact is not None:
            return Known(fact.value, None if fact.missing else fact.location)
        return None if path in _GRAPH_FIELDS else Known(None, None)


def edited_rules(base: Project | None, head: Project) -> dict[str, tuple[str, str]]:
    """Rules whose text differs between the two sides: id -> (text at the base, text now)."""
    if base is None:
        return {}
    old, new = _rule_texts(base), _rule_texts(head)
    return {rule: (old[rule], new[rule]) for rule in old.keys() & new.keys() if old[rule] != new[rule]}


def _rule_texts(project: Project) -> dict[str, str]:
    program = project.program
    return {
        program.rule_ids[id(rule)]: " ".join(rule.span.text().split())
        for policy in program.policies.values()
        for rule in policy.rules
        if id(rule) in program.rule_ids
    }


def compare(
    before: Side,
    head: Side,
    *,
    base_evaluated: bool = True,
    edited: Mapping[str, tuple[str, str]] | None = None,
) -> tuple[tuple[SubjectChange, ...], int]:
    """Every subject of either side, by name: its change, or counted as unchanged."""
    changes: list[SubjectChange] = []
    unchanged = 0
    for name in sorted(before.results.keys() | head.results.keys()):
        change = compare_subject(name, before, head, base_evaluated=base_evaluated, edited=edited or {})
        if change is None:
            unchanged += 1
        else:
            changes.append(change)
    return tuple(changes), unchanged


def compare_subject(
    name: str,
    before: Side,
    head: Side,
    *,
    base_evaluated: bool = True,
    edited: Mapping[str, tuple[str, str]] | None = None,
) -> SubjectChange | None:
    old, new = before.results.get(name), head.results.get(name)
    old_rules = deciding_rules(old) if old is not None else ()
    new_rules = deciding_rules(new) if new is not None else ()
    old_ids, new_ids = _ids(old_rules), _ids(new_rules)
    rules_now = tuple(rule for rule in new_ids if rule not in old_ids)
    rules_before = tuple(rule for rule in old_ids if rule not in new_ids)
    facts = fact_changes(fact_rules(new), fact_rules(old), before, head)
    kind = _kind(old, new, rules_now or rules_before or facts)
    if kind is None:
        return None
    change = SubjectChange(
        subject=name,
        kind=kind,
        before=old.verdict if old is not None else None,
        after=new.verdict if new is not None else None,
        facts=facts,
        rules_now=rules_now,
        rules_before=rules_before,
        summary="",
    )
    summary = summarise(change, new_rules, old_rules, new, base_evaluated=base_evaluated)
    rewritten = [rule.rule for rule in (*new_rules, *old_rules) if rule.rule in (edited or {})]
    if rewritten and change.kind in (ChangeKind.MOVED, ChangeKind.CHANGED):
        was, now = (edited or {})[rewritten[0]]
        summary += f"; rule {rewritten[0]} was edited: `{one_line(was)}` -> `{one_line(now)}`"
    return dataclasses.replace(change, summary=summary)


def _ids(rules: Iterable[RuleTrace]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(rule.rule for rule in rules))


def _kind(old: SubjectResult | None, new: SubjectResult | None, differs: object) -> ChangeKind | None:
    if old is None:
        return ChangeKind.ADDED
    if new is None:
        return ChangeKind.REMOVED
    if old.verdict is not new.verdict:
        return ChangeKind.MOVED
    return ChangeKind.CHANGED if differs else None


def fact_changes(
    new_rules: Sequence[RuleTrace], old_rules: Sequence[RuleTrace], before: Side, head: Side
) -> tuple[FactChange, ...]:
    """The facts read by the deciding rules of either side whose values differ between sides."""
    keys = dict.fromkeys(
        (fact.subject, fact.path) for rule in (*new_rules, *old_rules) for fact in rule.facts
    )
    changes = []
    for subject, path in keys:
        old, new = before.read(subject, path), head.read(subject, path)
        if old is None or new is None or _same(old.value, new.value):
            continue
        location = new.location if new.value is not None and new.location else old.location
        changes.append(FactChange(subject, path, old.value, new.value, location or new.location))
    return tuple(changes)


def _same(first: Any, second: Any) -> bool:
    """Equal as JSON data: `true` is not `1`, `1` is `1.0`."""
    return json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


# ---------------------------------------------------------------- one-line summaries


def summarise(
    change: SubjectChange,
    new_rules: Sequence[RuleTrace],
    old_rules: Sequence[RuleTrace],
    new: SubjectResult | None,
    *,
    base_evaluated: bool = True,
) -> str:
    """`payments-api: GO -> NOT YET because change_readiness.unmapped now decides (flows ...):
    maturity.readability 3 -> 2 (services/payments.yaml:14)`, on one line."""
    text = f"{change.subject}: {_transition(change, base_evaluated=base_evaluated)}"
    text += _reason(change, new_rules, old_rules, new)
    if change.kind in (ChangeKind.MOVED, ChangeKind.CHANGED) and change.facts:
        text += ": " + facts_text(change.facts, change.subject)
    return text


def _transition(change: SubjectChange, *, base_evaluated: bool) -> str:
    after = change.after.label if change.after is not None else ""
    before = change.before.label if change.before is not None else ""
    if change.kind is ChangeKind.ADDED:
        return f"added, {after}" if base_evaluated else f"{after} (the base could not be evaluated)"
    if change.kind is ChangeKind.REMOVED:
        return f"removed (was {before})"
    if change.kind is ChangeKind.MOVED:
        return f"{before} -> {after}"
    return f"still {after}"


def _reason(
    change: SubjectChange,
    new_rules: Sequence[RuleTrace],
    old_rules: Sequence[RuleTrace],
    new: SubjectResult | None,
) -> str:
    if change.kind is ChangeKind.REMOVED:
        return ""
    if change.kind is ChangeKind.MOVED and change.after is Verdict.GO:
        gone = [rule for rule in old_rules if rule.rule in change.rules_before] or list(old_rules)
        if not gone:
            return ""
        waived = new is not None and gone[0].rule in _waived_rules(new)
        return f" because {gone[0].rule} {'is now waived' if waived else 'no longer applies'}"
    if not new_rules:
        return ""
    fresh = [rule for rule in new_rules if rule.rule in change.rules_now]
    rule = (fresh or list(new_rules))[0]
    verb = " now decides" if fresh and change.kind is not ChangeKind.ADDED else ""
    message = f" ({one_line(rule.message)})" if rule.message else ""
    return f" because {rule.rule}{verb}{message}"


def _waived_rules(result: SubjectResult) -> set[str]:
    """Blocking rules that held but decided nothing, because a waiver lifted them."""
    return {
        rule.rule
        for policy in result.policies
        if policy.waived_by
        for rule in policy.rules
        if rule.kind in (RuleKind.NO_GO, RuleKind.NOT_YET, RuleKind.OTHERWISE)
        and rule.outcome is not Outcome.NOT_FIRED
    }


def facts_text(facts: Sequence[FactChange], subject: str) -> str:
    """`maturity.readability 3 -> 2 (services/payments.yaml:14), and 2 more`."""
    shown = ", ".join(fact_text(fact, subject) for fact in facts[:SUMMARY_FACTS])
    rest = len(facts) - SUMMARY_FACTS
    return shown + (f", and {rest} more" if rest > 0 else "")


def fact_text(fact: FactChange, subject: str) -> str:
    """`tier of fax-gateway 2 -> 1 (services/payments.yaml:33)`."""
    name = fact.path if fact.subject == subject else f"{fact.path} of {fact.subject}"
    text = f"{name} {show(fact.before, missing='absent')} -> {show(fact.after, missing='absent')}"
    if fact.location is not None:
        line = f":{fact.location.line}" if fact.location.line is not None else ""
        text += f" ({fact.location.file}{line})"
    return text


def one_line(text: str) -> str:
    return " ".join(text.split())

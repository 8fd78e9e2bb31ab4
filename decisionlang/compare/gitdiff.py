"""Verdict diffs between two revisions of a decision repo: what a change does to the decisions.

The base revision is read with git alone (`SourceSet.from_git`): the decision repo's subtree at
that commit is listed (`git ls-tree`) and only the blobs the project needs are read
(`git cat-file --batch`), straight into memory. The working tree, the index and the refs are never
touched, nothing is checked out and nothing is written to disk. Both sides
are evaluated on the same date and the two reports are compared (`compare.changes.compare`).

A base that cannot be evaluated (its policies do not parse, say) does not block the head: the
diff then reports every head subject as new, and `before.diagnostics` says why (`BASE_INVALID`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from decisionlang.compare.changes import BASE_INVALID, VerdictDiff, compare
from decisionlang.core.diagnostics import DecisionlangError, Diagnostic, Severity
from decisionlang.core.model import Report, Verdict
from decisionlang.engine.project import Project, evaluate_project, load_project
from decisionlang.inputs.sources import Git, SourceSet, first_line, git_error

BASE_ABSENT = "DL-GIT-BASE-ABSENT"  # in `before.diagnostics`: the directory did not exist at the base
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
    return VerdictDiff(base, commit, compare(before, head, edited=edited_rules(base_project, head_project)))


# ---------------------------------------------------------------- git


@dataclass(frozen=True)
class Repository:
    """The git working tree holding a decision repo, and where the decision repo sits in it."""

    top: Path
    prefix: str  # the decision repo's directory, relative to `top`, POSIX, "" at the top
    shown: str  # the directory as the user gave it, for messages


def locate_repository(
    directory: Path, *, outside: str = "run the check in a clone of the decision repo, or without --base"
) -> Repository:
    """Where DIRECTORY sits in its git working tree; `outside` is the hint when it is in none."""
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
                outside,
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


# ---------------------------------------------------------------- what only the projects know


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

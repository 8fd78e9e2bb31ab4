"""A decision record from an evaluated project: which inputs, which engine, which commit, what was decided.

The decision id is a short hash of the policies' contents, the states' contents and the engine
version: the same inputs give the same id, whenever and wherever they are evaluated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path

from decisionlang import __version__
from decisionlang.core.model import Report
from decisionlang.engine.project import Project
from decisionlang.governance.decisionlog.model import DecisionRecord, SubjectDecision
from decisionlang.governance.decisionlog.store import timestamp
from decisionlang.governance.decisionlog.traces import trace_text

ENGINE_VERSION = __version__
ID_LENGTH = 12  # hex digits: collisions stay unlikely for millions of distinct decisions
GIT_TIMEOUT_SECONDS = 10
_LOG_SIDECARS = ("", "-wal", "-shm", "-journal")


def decision_record(
    project: Project,
    report: Report,
    *,
    scope: Sequence[str] | None = None,
    now: dt.datetime | None = None,
    log: Path | None = None,
) -> DecisionRecord:
    """The record of `report`, evaluated on `project`. `scope`: the subjects asked for, if not all;
    `log`: the log file, ignored when telling whether the working tree is dirty."""
    policies = policies_digest(project)
    states = states_digest(project)
    subjects = tuple(
        SubjectDecision(subject.subject, subject.kind, subject.verdict.value, trace_text(subject))
        for subject in report.subjects
    )
    return DecisionRecord(
        decision_id=decision_id(
            policies, states, ENGINE_VERSION, report.as_of.isoformat() if report.as_of else ""
        ),
        revision=_revision(project, log),
        recorded_at=timestamp(now or dt.datetime.now(dt.UTC)),
        as_of=report.as_of.isoformat() if report.as_of is not None else None,
        engine_version=ENGINE_VERSION,
        policies_digest=policies,
        states_digest=states,
        verdict=report.verdict.value,
        subjects=subjects,
        scope=tuple(scope) if scope else None,
        waivers_applied=tuple(
            {
                "subject": subject.subject,
                "policy": policy.policy,
                "waiver": waiver.id,
                "expires": waiver.expires.isoformat(),
                "approver": waiver.approver,
                "lifted": policy.unwaived.value if policy.unwaived is not None else None,
            }
            for subject in report.subjects
            for policy in subject.policies
            for waiver in policy.waived_by
        ),
    )


def decision_id(policies_digest: str, states_digest: str, engine_version: str, as_of: str = "") -> str:
    """Same policies, states, engine and evaluation date: the same decision, the same id. The date
    counts because `today` does: a replay `--as-of` another day is another decision."""
    text = f"decisionlang-decision/2\0{policies_digest}\0{states_digest}\0{engine_version}\0{as_of}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:ID_LENGTH]


def policies_digest(project: Project) -> str:
    """The policy files as read (every file a policy imports too), by path relative to the root."""
    return _digest((file.path, file.text.encode("utf-8")) for file in project.policy_files)


def states_digest(project: Project) -> str:
    """The state files, and the waiver files beside them: all the data a decision is made on."""
    files = (*project.sources.states, *project.sources.waivers)
    return _digest((file.path, file.text.encode("utf-8")) for file in files)


def _revision(project: Project, log: Path | None) -> str | None:
    """The commit of the directory the project was read from; None when it was not read from disk."""
    directory = project.sources.directory
    if directory is None:
        return None
    return git_revision(directory, ignore=[log] if log is not None else [])


def _digest(files: Iterable[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, content in sorted(files):
        digest.update(f"{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def git_revision(root: Path, *, ignore: Sequence[Path] = ()) -> str | None:
    """The commit checked out at `root`, with "+dirty" when files under `root` differ from it
    (untracked ones included, ignored ones and the `ignore` files not); None outside git."""
    head = _git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    if not head:
        return None
    pathspecs = ["."]
    for path in ignore:
        try:
            relative = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            continue  # outside the tree: it cannot make it dirty
        pathspecs += [f":(exclude,literal){relative}{suffix}" for suffix in _LOG_SIDECARS]
    status = _git(root, "status", "--porcelain", "--untracked-files=normal", "--", *pathspecs)
    return head + ("+dirty" if status else "")


def _git(root: Path, *arguments: str) -> str | None:
    environment = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # never take the index lock of a CI checkout
    try:
        completed = subprocess.run(
            ["git", *arguments],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            env=environment,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None

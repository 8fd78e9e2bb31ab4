"""What a policy change would have decided: every recorded decision replayed under candidate policies.

Each recorded decision is replayed on its own inputs: the state and waiver files at its git
revision (read from the repository, never checked out), on its `--as-of` date, for the subjects
it recorded; only the policies are the candidate's (a directory's, or a git revision's). Its
recorded verdicts are the *before*, the replay's the *after*, compared subject by subject with
the same comparison as `check --base` (`compare.changes.compare`).

- Decisions recorded on the same revision and date are replayed once.
- A decision recorded outside git (no revision) cannot be replayed: it is listed, not guessed.
- A `+dirty` revision (files changed but not committed when it was recorded) is replayed from its
  commit, and said to be inexact: the uncommitted changes are not in the repository.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from decisionlang.compare.changes import ChangeKind, ReportDiff, compare
from decisionlang.compare.gitdiff import Repository, locate_repository, resolve_commit
from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.core.model import Report, Verdict
from decisionlang.engine.project import Project, evaluate_project, load_project
from decisionlang.governance.decisionlog.model import LoggedDecision
from decisionlang.governance.decisionlog.store import EPOCH, DecisionStore
from decisionlang.governance.decisionlog.traces import read_trace
from decisionlang.inputs.sources import SourceSet

__all__ = ["Replay", "Simulation", "simulate"]

DIRTY = "+dirty"


@dataclass(frozen=True)
class Replay:
    """One recorded decision (or several on the same revision and date) under the candidate."""

    entries: tuple[int, ...]  # the log entries replayed by this replay
    decision_id: str
    recorded_at: str
    as_of: dt.date
    revision: str | None
    exact: bool  # False for a `+dirty` revision, replayed from its commit
    diff: ReportDiff | None  # None when it could not be replayed
    problem: str | None = None  # why it could not be replayed

    @property
    def moved(self) -> tuple[str, ...]:
        """The subjects whose verdict the candidate moves, by name."""
        if self.diff is None:
            return ()
        return tuple(change.subject for change in self.diff.changes if change.kind is ChangeKind.MOVED)


@dataclass(frozen=True)
class Simulation:
    candidate: str  # as given: a directory or a revision
    replays: tuple[Replay, ...]

    @property
    def replayed(self) -> tuple[Replay, ...]:
        return tuple(replay for replay in self.replays if replay.diff is not None)

    def count(self, before: Verdict, after: Verdict | None = None) -> tuple[int, int]:
        """(how many recorded `before` verdicts the candidate moves (to `after`, when given), how
        many recorded `before` verdicts there were), over the replayed decisions."""
        moved = total = 0
        for replay in self.replayed:
            assert replay.diff is not None
            for subject in replay.diff.before.subjects:
                if subject.verdict is not before:
                    continue
                total += 1
                change = next((c for c in replay.diff.changes if c.subject == subject.subject), None)
                is_moved = change is not None and change.kind is ChangeKind.MOVED
                if is_moved and change is not None and (after is None or change.after is after):
                    moved += 1
        return moved, total


def simulate(
    store: DecisionStore,
    directory: Path,
    candidate: str,
    *,
    since: dt.datetime | None = None,
) -> Simulation:
    """Replay every decision of `store` (recorded on or after `since`) for the decision repo at
    `directory`, under the policies of `candidate`: a directory, else a git revision."""
    hint = "replay in a clone of the decision repo that recorded the log: its decisions name its commits"
    repository = locate_repository(directory, outside=hint)
    policies = _candidate_policies(repository, directory, candidate)
    entries = store.entries_since(since if since is not None else EPOCH)
    groups: dict[tuple[str | None, str], list[LoggedDecision]] = {}
    for logged in entries:
        record = logged.record
        groups.setdefault((record.revision, record.as_of or record.recorded_at[:10]), []).append(logged)
    replays = [_replay(repository, policies, group) for group in groups.values()]
    return Simulation(candidate, tuple(replays))


def _candidate_policies(repository: Repository, directory: Path, candidate: str) -> SourceSet:
    """The candidate's policy files, their imports resolved (loaded once to resolve them)."""
    path = Path(candidate)
    if path.is_dir():
        files = SourceSet.from_disk(path)
    else:
        commit = resolve_commit(repository, candidate)
        files = SourceSet.from_git(
            repository.top, commit, repository.prefix, label=candidate, shown=repository.shown
        )
    project = load_project(files, cache=False)
    if project.errors:
        raise DecisionlangError(list(project.errors))
    return files.policy_set()


def _replay(repository: Repository, policies: SourceSet, group: list[LoggedDecision]) -> Replay:
    first = group[-1]  # the latest of the group: its verdicts are the before
    record = first.record
    as_of = dt.date.fromisoformat(record.as_of or record.recorded_at[:10])
    entries = tuple(logged.entry for logged in group)
    base = Replay(entries, record.decision_id, record.recorded_at, as_of, record.revision, True, None)
    if record.revision is None:
        return dataclasses.replace(base, problem="recorded outside git: its state files cannot be read back")
    commit = record.revision.removesuffix(DIRTY)
    exact = not record.revision.endswith(DIRTY)
    try:
        states = SourceSet.from_git(repository.top, commit, repository.prefix, label=commit[:12])
        project = _project(policies, states)
    except DecisionlangError as error:
        problem = error.diagnostics[0].message if error.diagnostics else str(error)
        return dataclasses.replace(base, exact=exact, problem=problem)
    if project.errors:
        problem = f"its state files do not load under the candidate policies: {project.errors[0].message}"
        return dataclasses.replace(base, exact=exact, problem=problem)
    before = _recorded(first, as_of)
    names = [subject.subject for subject in before.subjects if subject.subject in project.portfolio.by_name]
    after = evaluate_project(project, as_of=as_of, services=names)
    return dataclasses.replace(base, exact=exact, diff=compare(before, after))


def _project(policies: SourceSet, states: SourceSet) -> Project:
    """The candidate's policies (and configuration) with the recorded revision's states and waivers."""
    files = dataclasses.replace(
        policies, states=states.states, waivers=states.waivers, diagnostics=states.diagnostics
    )
    return load_project(files, cache=False)


def _recorded(logged: LoggedDecision, as_of: dt.date) -> Report:
    subjects = tuple(
        read_trace(decision.trace, subject=decision.subject) for decision in logged.record.subjects
    )
    return Report(Verdict(logged.record.verdict), subjects, (), as_of)

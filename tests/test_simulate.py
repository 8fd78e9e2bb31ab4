"""`decisionlang simulate`: every recorded decision replayed (its states at its revision, its
`--as-of`) under candidate policies, from a directory or a git revision."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support import check_golden

from decisionlang import cli
from decisionlang.api import evaluate_project, load_project
from decisionlang.core.model import Verdict
from decisionlang.governance.decisionlog import read_simulation, record_report

ROOT = Path(__file__).parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *arguments: str) -> str:
    environment = {**os.environ, **GIT_ENV}
    result = subprocess.run(
        ["git", *arguments], cwd=repo, env=environment, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def record(repo: Path, log: Path, day: str) -> None:
    project = load_project(repo, cache=False)
    as_of = dt.date.fromisoformat(day)
    now = dt.datetime.combine(as_of, dt.time(9), dt.UTC)
    record_report(log, project, evaluate_project(project, as_of=as_of), now=now)


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, Path]:
    """A decision repo with two recorded decisions: website at readability 4 (September), then 3
    (October); the log outside the repository."""
    repo = tmp_path / "repo"
    shutil.copytree(QUICKSTART, repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "the quickstart")
    log = tmp_path / "decisions.sqlite"
    record(repo, log, "2026-09-01")
    edit(repo / "services" / "analytics.yaml", "maturity: { readability: 4 }", "maturity: { readability: 3 }")
    git(repo, "commit", "-qam", "website re-assessed")
    record(repo, log, "2026-10-01")
    return repo, log


def stricter(repo: Path) -> None:
    edit(repo / "policies" / "production.policy", "maturity.readability < 3", "maturity.readability < 4")


def run(*arguments: str) -> Result:
    return CliRunner().invoke(cli.main, list(arguments), catch_exceptions=False)


def test_a_stricter_threshold_from_a_directory(history: tuple[Path, Path], tmp_path: Path) -> None:
    repo, log = history
    candidate = tmp_path / "candidate"
    shutil.copytree(repo, candidate, ignore=shutil.ignore_patterns(".git"))
    stricter(candidate)
    simulation = read_simulation(log, repo, str(candidate))
    assert len(simulation.replays) == 2
    september, october = simulation.replays
    assert september.moved == ()  # readability 4 passes `< 4`
    assert october.moved == ("website",)
    (change,) = [c for c in october.diff.changes if c.subject == "website"]  # type: ignore[union-attr]
    assert (change.before, change.after) == (Verdict.GO, Verdict.NOT_YET)
    assert simulation.count(Verdict.GO) == (1, 4)  # 2 GO in each of the two decisions
    assert all(replay.exact for replay in simulation.replays)


def test_from_a_git_revision_with_text_and_markdown(history: tuple[Path, Path]) -> None:
    repo, log = history
    git(repo, "checkout", "-q", "-b", "stricter")
    stricter(repo)
    git(repo, "commit", "-qam", "stricter readability")
    git(repo, "checkout", "-q", "main")
    result = run("simulate", str(repo), "--log", str(log), "--policies", "stricter")
    assert result.exit_code == 0, result.output
    ids = {line.split()[1] for line in result.output.splitlines() if line.startswith("decision ")}
    text = result.output
    for number, decision_id in enumerate(sorted(ids)):
        text = text.replace(decision_id, f"DECISION{number}")
    revision = git(repo, "rev-parse", "HEAD")[:12]
    check_golden("simulate/stricter.txt", text.replace(revision, "REVISION"))
    markdown = run("simulate", str(repo), "--log", str(log), "--policies", "stricter", "--format", "markdown")
    assert "| website | GO | NOT YET | change_readiness.unmapped now decides" in markdown.output
    assert markdown.output.startswith("### What these policies would have decided\n")
    payload = json.loads(
        run("simulate", str(repo), "--log", str(log), "--policies", "stricter", "--format", "json").output
    )
    assert payload["schema"] == "decisionlang/simulation/v1"
    assert (payload["go_moved"], payload["go_recorded"]) == (1, 4)
    since = run("simulate", str(repo), "--log", str(log), "--policies", "stricter", "--since", "2026-12-31")
    assert "in 0 replayed decisions" in since.output


def test_a_dirty_revision_is_said_to_be_inexact(history: tuple[Path, Path], tmp_path: Path) -> None:
    repo, log = history
    edit(repo / "services" / "crm.yaml", "business_value: 6", "business_value: 7")  # not committed
    record(repo, log, "2026-11-01")
    candidate = tmp_path / "candidate"
    shutil.copytree(repo, candidate, ignore=shutil.ignore_patterns(".git"))
    simulation = read_simulation(log, repo, str(candidate))
    dirty = simulation.replays[-1]
    assert dirty.revision is not None and dirty.revision.endswith("+dirty")
    assert not dirty.exact
    text = run("simulate", str(repo), "--log", str(log), "--policies", str(candidate)).output
    assert dirty.moved == ()
    assert "the uncommitted changes it was recorded with are not known: nothing would have moved" in text


def test_bad_candidates_are_clear_errors(history: tuple[Path, Path]) -> None:
    repo, log = history
    result = run("simulate", str(repo), "--log", str(log), "--policies", "no-such-branch")
    assert result.exit_code == 2
    assert "no-such-branch" in result.output
    assert "nothing was replayed" in result.output

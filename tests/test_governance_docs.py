"""docs/governance.md's re-review and simulation samples are real output on examples/scaleup.

The scale-up is copied into a git repository of its own (fixed author and dates), its decisions
are recorded as the page says (at fixed times: a recorded decision carries the time it was
recorded), and `due` and `simulate` are run as the page shows them. Decision ids and revisions are
content hashes of the scale-up's files: they are compared as such, so that a change of the example
only asks for the samples to be run again when their words change."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support import docs_sample

from decisionlang import cli
from decisionlang.api import evaluate_project, load_project
from decisionlang.governance.decisionlog import record_report

ROOT = Path(__file__).resolve().parent.parent
SCALEUP = ROOT / "examples" / "scaleup"
AS_OF = dt.date(2026, 11, 26)
AGENDA = ["nordics-expansion", "eta-prediction-ml"]
GIT = {
    "GIT_AUTHOR_NAME": "board",
    "GIT_AUTHOR_EMAIL": "board@example.com",
    "GIT_COMMITTER_NAME": "board",
    "GIT_COMMITTER_EMAIL": "board@example.com",
    "GIT_AUTHOR_DATE": "2026-11-26T09:00:00Z",
    "GIT_COMMITTER_DATE": "2026-11-26T09:00:00Z",
}
HASHES = re.compile(r"\b(decision|annotate|revision) [0-9a-f]{12}\b|`[0-9a-f]{12}`")


def _hashless(text: str) -> str:
    return HASHES.sub(lambda match: match.group(0)[:-12] + "<hash>" if match.group(1) else "`<hash>`", text)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    base = tmp_path_factory.mktemp("governance")
    repo = base / "scaleup"
    shutil.copytree(SCALEUP, repo)
    environment = {**os.environ, **GIT}
    for command in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-qm", "Colibri's decision repo"],
    ):
        subprocess.run(["git", *command], cwd=repo, env=environment, check=True, capture_output=True)
    project = load_project(repo, cache=False)
    record_report(
        repo / "decisions.sqlite",
        project,
        evaluate_project(project, as_of=AS_OF),
        now=dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC),
    )
    board = record_report(
        repo / "board.sqlite",
        project,
        evaluate_project(project, as_of=AS_OF, services=AGENDA),
        scope=AGENDA,
        now=dt.datetime(2026, 11, 26, 14, 0, tzinfo=dt.UTC),
    )
    stricter = base / "stricter"
    shutil.copytree(repo / "policies", stricter / "policies")
    value = stricter / "policies" / "value_prioritisation.policy"
    text = value.read_text(encoding="utf-8")
    assert "const value_bar   = 55 " in text
    value.write_text(text.replace("const value_bar   = 55 ", "const value_bar   = 70 "), encoding="utf-8")
    note = "Nordics: re-arbitrate at the board of 19 January, with the ETA model"
    flags = ["--log", "board.sqlite", "--review-by", "2027-01-19", "--note", note]
    annotated = _run(repo, "annotate", board.record.decision_id, *flags)
    assert annotated.exit_code == 0, annotated.output
    docs = (ROOT / "docs" / "governance.md").read_text(encoding="utf-8")
    shown = (
        f"decisionlang annotate {board.record.decision_id} --log board.sqlite --review-by 2027-01-19 "
        f'--note\n"{note}"'
    )
    assert _hashless(shown) in _hashless(docs)
    return repo


def _run(cwd: Path, *arguments: str) -> Result:
    previous = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli.main, list(arguments), catch_exceptions=False)
    finally:
        os.chdir(previous)


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ("due --log board.sqlite --as-of 2027-01-04 --within 30d", 1),
        ("simulate . --log decisions.sqlite --policies ../stricter", 0),
    ],
)
def test_governance_samples_are_real_output(recorded: Path, command: str, code: int) -> None:
    result = _run(recorded, *command.split())
    assert result.exit_code == code, result.output
    assert _hashless(result.stdout) == _hashless(docs_sample("governance.md", command))

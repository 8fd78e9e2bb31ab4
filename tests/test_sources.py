"""Sources from disk, git or memory: one discovery, one reading, the same decisions.

A decision repo read from a directory, from a git commit (blobs only, no checkout) or from a
mapping of texts gives the same report, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import decisionlang
from decisionlang.engine.project import evaluate_project, load_project
from decisionlang.engine.testing import run_tests
from decisionlang.inputs import sources
from decisionlang.inputs.sources import SizeLimits, SourceFile, SourceSet
from decisionlang.render.json import render_json

ROOT = Path(__file__).parent.parent
SCALEUP = ROOT / "examples" / "scaleup"
QUICKSTART = ROOT / "examples" / "quickstart"
TODAY = dt.date(2026, 11, 26)
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def texts(directory: Path) -> dict[str, str]:
    return {
        path.relative_to(directory).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def report_json(files: str | Path | SourceSet) -> str:
    project = load_project(files)
    assert not project.errors, project.errors
    return render_json(evaluate_project(project, as_of=TODAY))


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def committed(top: Path) -> str:
    git(top, "init", "--quiet")
    git(top, "add", "--all")
    git(top, "commit", "--quiet", "-m", "decisions")
    return git(top, "rev-parse", "HEAD")


# ---------------------------------------------------------------- the same report from every origin


def test_memory_gives_the_report_the_disk_gives() -> None:
    assert report_json(SourceSet.from_memory(texts(SCALEUP))) == report_json(SCALEUP)


@needs_git
def test_git_gives_the_report_the_disk_gives(tmp_path: Path, git_env: None) -> None:
    top = tmp_path / "repo"
    shutil.copytree(SCALEUP, top / "infra" / "decisions")
    commit = committed(top)
    shutil.rmtree(top / "infra")  # nothing left on disk: the commit is all there is
    files = SourceSet.from_git(top, commit, "infra/decisions")
    assert report_json(files) == report_json(SCALEUP)


def test_the_library_takes_a_source_set() -> None:
    files = decisionlang.SourceSet.from_memory(texts(QUICKSTART))
    assert isinstance(files.policies[0], decisionlang.SourceFile)
    assert decisionlang.load_project(files).portfolio == load_project(QUICKSTART).portfolio


# ---------------------------------------------------------------- git reads only what it needs


@needs_git
def test_an_unrelated_large_blob_is_never_read(
    tmp_path: Path, git_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = tmp_path / "repo"
    shutil.copytree(QUICKSTART, top / "decisions")
    (top / "assets").mkdir()
    (top / "assets" / "video.bin").write_bytes(bytes(range(256)) * 40_000)  # 10 MB
    (top / "decisions" / "services" / "huge.yaml.bak").write_bytes(b"x" * 1_000_000)
    commit = committed(top)
    large = {git(top, "rev-parse", f"{commit}:{path}") for path in ("assets/video.bin",)}
    large.add(git(top, "rev-parse", f"{commit}:decisions/services/huge.yaml.bak"))
    asked: list[str] = []
    blobs = sources.Git.blobs

    def spy(self: sources.Git, oids: list[str], label: str) -> dict[str, bytes]:
        asked.extend(oids)
        return blobs(self, oids, label)

    monkeypatch.setattr(sources.Git, "blobs", spy)
    files = SourceSet.from_git(top, commit, "decisions")
    assert files.states and files.policies
    assert asked and not large & set(asked)
    assert len(asked) == len(files.policies) + len(files.states) + len(files.waivers)


@needs_git
def test_a_state_file_over_the_limit_is_not_read_from_git(
    tmp_path: Path, git_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = tmp_path / "repo"
    shutil.copytree(QUICKSTART, top)
    (top / "services" / "big.yaml").write_text("name: big\n" + "# padding\n" * 2_000, encoding="utf-8")
    commit = committed(top)
    big = git(top, "rev-parse", f"{commit}:services/big.yaml")
    asked: list[str] = []
    blobs = sources.Git.blobs
    monkeypatch.setattr(
        sources.Git, "blobs", lambda self, oids, label: asked.extend(oids) or blobs(self, oids, label)
    )
    files = SourceSet.from_git(top, commit, limits=SizeLimits(yaml_bytes=10_000))
    assert big not in asked
    assert [(d.code, d.file) for d in files.diagnostics] == [("DL-STATE-LIMIT", "services/big.yaml")]


@needs_git
def test_an_unknown_revision_is_a_git_error(tmp_path: Path, git_env: None) -> None:
    top = tmp_path / "repo"
    shutil.copytree(QUICKSTART, top)
    committed(top)
    with pytest.raises(decisionlang.DecisionlangError) as raised:
        SourceSet.from_git(top, "no-such-revision")
    assert raised.value.diagnostics[0].code == "DL-GIT-READ"


# ---------------------------------------------------------------- discovery over texts


POLICY = """schema {
  tier: integer 1..3 "1 = the business stops without it"
}

policy tiers "Tier one waits" {
  applies to kind service
  no_go critical when tier == 1 because "tier one"
  otherwise go
}
"""


def test_memory_follows_the_configuration_and_confines_imports() -> None:
    files = SourceSet.from_memory(
        {
            "decisionlang.yaml": "policies: [rules]\nstates: [subjects/a.yaml]\n",
            "rules/main.policy": 'import "../shared/lib.policy"\n' + POLICY,
            "shared/lib.policy": 'scale level "Levels" { low < high }\n',
            "subjects/a.yaml": "name: a\ntier: 1\n",
            "subjects/ignored.yaml": "name: b\ntier: 2\n",
        }
    )
    assert [f.path for f in files.policies] == ["rules/main.policy"]
    assert [f.path for f in files.states] == ["subjects/a.yaml"]
    project = load_project(files)
    assert not project.errors, project.errors
    assert [f.path for f in project.policy_files] == ["rules/main.policy", "shared/lib.policy"]
    assert [s.name for s in project.portfolio.subjects] == ["a"]


def test_an_import_leaving_the_root_is_an_error_in_memory_too() -> None:
    files = SourceSet.from_memory(
        {"policies/p.policy": 'import "../../etc/x.policy"\n' + POLICY, "services/a.yaml": "name: a\n"}
    )
    codes = [d.code for d in load_project(files).diagnostics]
    assert "DL-CHECK-IMPORT-OUTSIDE" in codes


def test_a_bare_directory_of_policies_in_memory() -> None:
    files = SourceSet.from_memory({"a.policy": POLICY})
    assert [f.path for f in files.policies] == ["a.policy"]
    assert [d.code for d in files.diagnostics] == ["DL-CONFIG-NO-STATES"]


def test_a_state_file_that_is_not_utf8_points_at_the_byte(tmp_path: Path) -> None:
    shutil.copytree(QUICKSTART, tmp_path / "repo")
    (tmp_path / "repo" / "services" / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    files = SourceSet.from_disk(tmp_path / "repo")
    (problem,) = [d for d in files.diagnostics if d.is_error]
    assert (problem.code, str(problem.span)) == ("DL-STATE-YAML", "services/latin1.yaml:1:10")
    assert "not valid UTF-8: byte 0xe9" in problem.message


def test_sources_are_plain_data() -> None:
    first, second = SourceSet.from_memory(texts(QUICKSTART)), SourceSet.from_memory(texts(QUICKSTART))
    assert first == second
    assert SourceFile("a", "x") == SourceFile("a", "x")


# ---------------------------------------------------------------- any small project, any origin

NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)


@settings(max_examples=25, deadline=None)
@given(
    subjects=st.dictionaries(NAMES, st.integers(min_value=1, max_value=3), min_size=1, max_size=6),
    files=st.integers(min_value=1, max_value=3),
)
def test_memory_and_disk_agree_on_generated_projects(
    tmp_path_factory: pytest.TempPathFactory, subjects: dict[str, int], files: int
) -> None:
    texts = {"policies/tiers.policy": POLICY}
    for index, (name, tier) in enumerate(sorted(subjects.items())):
        path = f"services/f{index % files}.yaml"
        texts[path] = texts.get(path, "services:\n") + f"  - name: {name}\n    tier: {tier}\n"
    directory = tmp_path_factory.mktemp("project")
    for path, text in texts.items():
        (directory / path).parent.mkdir(parents=True, exist_ok=True)
        (directory / path).write_text(text, encoding="utf-8")
    assert report_json(SourceSet.from_memory(texts)) == report_json(directory)


@needs_git
def test_git_follows_links_that_stay_inside_and_skips_the_others(tmp_path: Path, git_env: None) -> None:
    top = tmp_path / "repo"
    shutil.copytree(QUICKSTART, top / "decisions")
    services = top / "decisions" / "services"
    (services / "alias.yaml").symlink_to("crm.yaml")  # the same file twice: read once
    (services / "up.yaml").symlink_to("../../README.md")  # leaves the decision repo
    (top / "README.md").write_text("name: intruder\n", encoding="utf-8")
    commit = committed(top)
    from_git = SourceSet.from_git(top, commit, "decisions", label="HEAD")
    from_disk = SourceSet.from_disk(top / "decisions")
    assert [f.path for f in from_git.states] == [f.path for f in from_disk.states]
    assert "services/alias.yaml" not in [f.path for f in from_git.states]
    (skipped,) = [d.message for d in from_git.diagnostics if d.code == "DL-GIT-BASE-SKIPPED"]
    assert (
        skipped == "`decisions/services/up.yaml` at `HEAD` was not read: it links outside the decision repo"
    )
    assert [d.code for d in from_disk.diagnostics] == ["DL-CONFIG-OUTSIDE"]


def test_policy_tests_run_from_memory_as_from_disk() -> None:
    library = ROOT / "policies"
    on_disk = run_tests(library, as_of=TODAY)
    # `test policies/` in this repo: the project is the repo, whose policy folder is policies/
    repo = {f"policies/{path}": text for path, text in texts(library).items()}
    in_memory = run_tests(SourceSet.from_memory(repo, tests=True), as_of=TODAY)
    assert on_disk.cases and not on_disk.diagnostics
    assert in_memory.test_files == on_disk.test_files
    assert in_memory.cases == on_disk.cases
    assert in_memory.coverage == on_disk.coverage
    assert in_memory.diagnostics == on_disk.diagnostics


def test_policy_tests_are_read_only_when_asked_for() -> None:
    library = texts(ROOT / "policies")
    assert SourceSet.from_memory(library).tests == ()
    assert all(f.path.endswith(".test.yaml") for f in SourceSet.from_memory(library, tests=True).tests)

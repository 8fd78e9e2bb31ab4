"""The ready-made CI integrations, tested for real: the GitHub Action, its example workflow, the
pre-commit hooks, and the GitLab CI snippet of docs/ci.md.

- `action.yml` and `examples/github-workflow.yml` are validated against GitHub's own schemas (as
  vendored by check-jsonschema), their references are cross-checked, and the action's shell steps
  pass shellcheck.
- The action's `run:` steps are then *run*, here, the way the GitHub runner runs them (`bash
  --noprofile --norc -eo pipefail`, `${{ }}` expressions evaluated into `env:`, `GITHUB_OUTPUT`,
  `GITHUB_STEP_SUMMARY`, `RUNNER_TEMP`): on a shallow clone of a pull request whose base branch is
  not fetched, with a fake `gh` that keeps the pull request's comments.
- The pre-commit hooks are run by pre-commit itself (`pre-commit try-repo`) in a temporary git
  repository; see `test_pre_commit_*` for what that installs.

Slow tests (a hook environment installed from PyPI, the action's install step) are skipped with
DECISIONLANG_SKIP_SLOW=1; they run by default.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from decisionlang.render.markdown import MARKER

ROOT = Path(__file__).parents[1]
QUICKSTART = ROOT / "examples" / "quickstart"
ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "examples" / "github-workflow.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
CI_DOCS = ROOT / "docs" / "ci.md"
SARIF_SCHEMA = ROOT / "tests" / "fixtures" / "sarif-schema-2.1.0.json"
BIN = Path(sys.executable).parent  # the test environment's scripts: decisionlang, shellcheck

slow = pytest.mark.skipif(
    os.environ.get("DECISIONLANG_SKIP_SLOW") == "1", reason="DECISIONLANG_SKIP_SLOW=1: slow test skipped"
)
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SIMPLE_REFERENCE = re.compile(r"^[A-Za-z_][\w-]*(\.[\w-]+)*$")


def load_yaml(path: Path) -> Any:
    """YAML 1.2, as GitHub reads it: `on:` stays the string "on"."""
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


ACTION_DATA = load_yaml(ACTION)
STEPS: list[dict[str, Any]] = ACTION_DATA["runs"]["steps"]


def step(name: str) -> dict[str, Any]:
    (found,) = [s for s in STEPS if s["name"] == name]
    return found


def expressions(node: Any) -> Iterator[str]:
    """Every `${{ }}` expression in a YAML tree."""
    if isinstance(node, dict):
        for value in node.values():
            yield from expressions(value)
    elif isinstance(node, list):
        for value in node:
            yield from expressions(value)
    elif isinstance(node, str):
        yield from (m.group(1) for m in EXPRESSION.finditer(node))


def git_env(home: Path) -> dict[str, str]:
    """Git with an identity and without the user's or the system's configuration."""
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text("", encoding="utf-8")
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.invalid",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.invalid",
    )
    return env


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


# ---------------------------------------------------------------- structure


def test_action_and_workflow_match_githubs_schemas() -> None:
    for schema, path in (("vendor.github-actions", ACTION), ("vendor.github-workflows", WORKFLOW)):
        result = subprocess.run(
            [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{path.name}: {result.stdout}{result.stderr}"


def test_action_inputs_and_defaults() -> None:
    inputs = ACTION_DATA["inputs"]
    assert set(inputs) == {
        "directory",
        "base",
        "fail-on",
        "all",
        "python-version",
        "version",
        "github-token",
        "sarif",
    }
    assert inputs["base"]["default"] == "origin/${{ github.base_ref }}"
    assert inputs["fail-on"]["default"] == "not-yet"
    assert inputs["github-token"]["default"] == ""  # no token, no comment
    assert inputs["sarif"]["default"] == inputs["all"]["default"] == "false"
    assert ACTION_DATA["runs"]["using"] == "composite"
    assert "${{ github.action_path }}" in step("Install decisionlang")["env"].values()


def test_action_references_exist() -> None:
    """Every `inputs.X` and `steps.X.outputs` is declared; every input is used; `run:` steps are bash."""
    used_inputs = set()
    step_ids = [s["id"] for s in STEPS if "id" in s]
    for expression in expressions(ACTION_DATA):
        for name in re.findall(r"\binputs\.([\w-]+)", expression):
            assert name in ACTION_DATA["inputs"], f"unknown input {name} in ${{{{ {expression} }}}}"
            used_inputs.add(name)
        for name in re.findall(r"\bsteps\.([\w-]+)\.outputs\.", expression):
            assert name in step_ids, f"unknown step {name} in ${{{{ {expression} }}}}"
    assert used_inputs == set(ACTION_DATA["inputs"])
    for position, entry in enumerate(STEPS):
        if "run" in entry:
            assert entry["shell"] == "bash", entry["name"]
        else:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", entry["uses"]), entry["uses"]
        for expression in expressions(entry):  # a step reads only the outputs of earlier steps
            for name in re.findall(r"\bsteps\.([\w-]+)\.", expression):
                assert name in [s.get("id") for s in STEPS[:position]], f"{entry['name']} reads {name}"
    for name, output in ACTION_DATA["outputs"].items():
        (expression,) = expressions(output["value"])
        stepid, _, key = expression.removeprefix("steps.").partition(".outputs.")
        assert f"{key}=" in next(s for s in STEPS if s.get("id") == stepid)["run"], name


def test_run_steps_take_inputs_from_env_only() -> None:
    """No `${{ }}` inside a script: a branch name or a path cannot inject shell code."""
    for entry in STEPS:
        if "run" in entry:
            assert "${{" not in entry["run"], entry["name"]


def test_run_steps_pass_shellcheck() -> None:
    for entry in STEPS:
        if "run" not in entry:
            continue
        result = subprocess.run(
            [str(BIN / "shellcheck"), "--shell=bash", "--severity=style", "-"],
            input=entry["run"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, f"{entry['name']}:\n{result.stdout}"


def test_the_comment_is_found_by_the_renderers_marker() -> None:
    assert MARKER == "<!-- decisionlang:report -->"
    assert f"marker='{MARKER}'" in step("Comment on the pull request")["run"]


def test_example_workflow_uses_the_action() -> None:
    workflow = load_yaml(WORKFLOW)
    assert "pull_request" in workflow["on"]
    assert workflow["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "security-events": "write",
    }
    (job,) = workflow["jobs"].values()
    assert job["steps"][0]["uses"].startswith("actions/checkout@")
    (uses,) = [s for s in job["steps"] if s.get("uses", "").split("@")[0].endswith("/decisionlang")]
    assert set(uses["with"]) <= set(ACTION_DATA["inputs"])
    assert uses["with"]["github-token"] == "${{ secrets.GITHUB_TOKEN }}"
    assert uses["with"]["sarif"] is True


def test_pre_commit_manifest() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(HOOKS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = {hook["id"]: hook for hook in load_yaml(HOOKS)}
    assert set(hooks) == {
        "decisionlang-fmt",
        "decisionlang-lint",
        "decisionlang-validate",
        "decisionlang-check",
    }
    fmt = hooks.pop("decisionlang-fmt")
    assert fmt["entry"] == "decisionlang fmt"
    assert "pass_filenames" not in fmt  # the commit's policy files, formatted in place
    assert re.compile(fmt["files"]).search("policies/production.policy")
    assert not re.compile(fmt["files"]).search("services/crm.yaml")
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False
        assert hook["entry"].split()[0] == "decisionlang"
        files = re.compile(hook["files"])
        for path in (
            "policies/production.policy",
            "services/crm.yaml",
            "initiatives/a.yml",
            "decisionlang.yaml",
        ):
            assert files.search(path), path
        assert not files.search("README.md")
    assert hooks["decisionlang-validate"]["entry"] == "decisionlang validate"
    assert hooks["decisionlang-check"]["entry"] == "decisionlang check"
    assert hooks["decisionlang-lint"]["entry"] == "decisionlang lint"


# ---------------------------------------------------------------- the action's steps, run here


@dataclass
class LocalRunner:
    """Runs action.yml's `run:` steps as the GitHub runner does, in `workspace`."""

    workspace: Path
    temp: Path
    env: dict[str, str]
    github: dict[str, Any]
    inputs: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    summary: Path = field(init=False)

    def __post_init__(self) -> None:
        self.temp.mkdir(parents=True, exist_ok=True)
        self.summary = self.temp / "step-summary.md"
        self.summary.touch()

    def context(self) -> dict[str, Any]:
        inputs = {name: spec.get("default", "") for name, spec in ACTION_DATA["inputs"].items()} | self.inputs
        return {
            "github": self.github,
            "runner": {"temp": str(self.temp)},
            "inputs": {name: self.evaluate(str(value), inputs={}) for name, value in inputs.items()},
            "steps": {s["id"]: {"outputs": self.outputs.get(s["id"], {})} for s in STEPS if "id" in s},
        }

    def evaluate(self, text: str, inputs: dict[str, Any] | None = None) -> str:
        """`${{ a.b.c }}` references only, which is all the action's `env:` and defaults use."""
        context = self.context() if inputs is None else {"github": self.github}

        def value(match: re.Match[str]) -> str:
            reference = match.group(1)
            assert SIMPLE_REFERENCE.match(reference), f"not a plain reference: {reference}"
            node: Any = context
            parts = reference.split(".")
            for position, part in enumerate(parts):
                if parts[0] == "steps" and position == 3:  # an output not set is empty
                    return str(node.get(part, ""))
                assert isinstance(node, dict) and part in node, f"unknown reference {reference}"
                node = node[part]
            return "" if node is None else str(node)

        return EXPRESSION.sub(value, text)

    def run(self, name: str, path: Path | None = None) -> subprocess.CompletedProcess[str]:
        entry = step(name)
        output = self.temp / "github-output"
        output.write_text("", encoding="utf-8")
        env = dict(self.env)
        env.update({key: self.evaluate(str(value)) for key, value in entry.get("env", {}).items()})
        env.update(
            GITHUB_OUTPUT=str(output),
            GITHUB_STEP_SUMMARY=str(self.summary),
            GITHUB_WORKSPACE=str(self.workspace),
            RUNNER_TEMP=str(self.temp),
        )
        if path is not None:
            env["PATH"] = f"{path}{os.pathsep}{env['PATH']}"
        script = self.temp / "step.sh"
        script.write_text(entry["run"], encoding="utf-8")
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if "id" in entry:
            lines = output.read_text(encoding="utf-8").splitlines()
            self.outputs[entry["id"]] = dict(line.split("=", 1) for line in lines if "=" in line)
        return result


FAKE_GH = """\
#!{python}
'''A stand-in for `gh api`: the pull request's comments live in $FAKE_GH_STATE.'''
import json, os, subprocess, sys
from pathlib import Path

state = Path(os.environ["FAKE_GH_STATE"])
args = sys.argv[1:]
with open(os.environ["FAKE_GH_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if os.environ.get("FAKE_GH_FAIL"):
    sys.exit("HTTP 403: Resource not accessible by integration")
assert args[0] == "api"
if args[1] == "graphql":  # the token's identity: viewer login
    assert "viewer" in args[args.index("-f") + 1] and args[-2:] == ["--jq", ".data.viewer.login"]
    print(os.environ.get("FAKE_GH_LOGIN", "github-actions"))
    sys.exit(0)
options, rest = {{}}, []
position = 1
while position < len(args):
    if args[position] in ("--method", "--input", "--jq"):
        options[args[position]] = args[position + 1]
        position += 2
    elif args[position] == "--paginate":
        position += 1
    else:
        rest.append(args[position])
        position += 1
(endpoint,) = rest
comments = json.loads(state.read_text())
method = options.get("--method", "GET")
if method == "GET":
    assert endpoint.endswith("/issues/7/comments"), endpoint
    text = json.dumps(comments)
    if "--jq" in options:
        text = subprocess.run(["jq", "-r", options["--jq"]], input=text, capture_output=True,
                              text=True, check=True).stdout
    sys.stdout.write(text)
    sys.exit(0)
body = json.loads(Path(options["--input"]).read_text())["body"]
if method == "POST":
    assert endpoint.endswith("/issues/7/comments"), endpoint
    login = os.environ.get("FAKE_GH_LOGIN", "github-actions")
    author = login if os.environ.get("FAKE_GH_LOGIN") else login + "[bot]"
    comments.append({{"id": 1000 + len(comments), "body": body, "user": {{"login": author}}}})
else:
    assert method == "PATCH" and "/issues/comments/" in endpoint, (method, endpoint)
    (comment,) = [c for c in comments if str(c["id"]) == endpoint.rsplit("/", 1)[1]]
    comment["body"] = body
state.write_text(json.dumps(comments))
print("{{}}")
"""


@pytest.fixture
def pull_request(tmp_path: Path) -> dict[str, Any]:
    """A repository with the quickstart under decisions/ on main, and a pull request branch that
    makes ledger-db NO-GO; the workspace is a depth-1 clone of the branch, without origin/main."""
    env = git_env(tmp_path / "home")
    seed = tmp_path / "seed"
    shutil.copytree(QUICKSTART, seed / "decisions")
    (seed / "README.md").write_text("platform\n", encoding="utf-8")
    git(tmp_path, env, "init", "-q", str(seed))
    git(seed, env, "add", ".")
    git(seed, env, "commit", "-q", "-m", "decisions")
    git(tmp_path, env, "clone", "-q", "--bare", str(seed), str(tmp_path / "origin.git"))
    git(seed, env, "checkout", "-q", "-b", "retire-ledger")
    payments = seed / "decisions" / "services" / "payments.yaml"
    text = payments.read_text(encoding="utf-8")
    payments.write_text(text.replace("support_ends: 2030-01-31", "support_ends: 2025-01-31"), "utf-8")
    git(seed, env, "commit", "-q", "-am", "ledger-db: support ended")
    git(seed, env, "push", "-q", str(tmp_path / "origin.git"), "retire-ledger")
    workspace = tmp_path / "workspace"
    origin = (tmp_path / "origin.git").as_uri()
    git(tmp_path, env, "clone", "-q", "--depth=1", "--branch=retire-ledger", origin, str(workspace))
    github = {
        "action_path": str(ROOT),
        "base_ref": "main",
        "event": {"pull_request": {"number": 7}},
        "repository": "acme/platform",
        "run_id": "42",
        "server_url": "https://github.com",
    }
    runner = LocalRunner(workspace, tmp_path / "runner-temp", env, github, {"directory": "decisions"})
    runner.outputs["install"] = {"bin": str(BIN / "decisionlang")}  # the test's own decisionlang
    return {"runner": runner, "env": env, "workspace": workspace, "tmp": tmp_path}


def test_fetch_step_fetches_a_missing_base_shallowly(pull_request: dict[str, Any]) -> None:
    runner: LocalRunner = pull_request["runner"]
    workspace: Path = pull_request["workspace"]
    env = pull_request["env"]
    assert subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "origin/main"], cwd=workspace
    ).returncode
    result = runner.run("Fetch the base revision")
    assert result.returncode == 0, result.stderr
    assert "fetching main from origin (depth 1)" in result.stdout
    assert runner.outputs["base"] == {"revision": "origin/main"}
    assert git(workspace, env, "rev-parse", "--is-shallow-repository") == "true"
    main = git(pull_request["tmp"] / "origin.git", env, "rev-parse", "main")
    assert git(workspace, env, "rev-parse", "origin/main") == main
    # Fetched once: a second run finds it and fetches nothing.
    again = runner.run("Fetch the base revision")
    assert again.returncode == 0 and "fetching" not in again.stdout


def test_fetch_step_outside_a_pull_request_checks_everything(pull_request: dict[str, Any]) -> None:
    runner: LocalRunner = pull_request["runner"]
    runner.github["base_ref"] = ""  # a push: the default base is "origin/"
    result = runner.run("Fetch the base revision")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("::notice title=decisionlang::no base revision")
    assert runner.outputs["base"] == {"revision": ""}


def test_fetch_step_fetches_a_commit_id(pull_request: dict[str, Any]) -> None:
    runner: LocalRunner = pull_request["runner"]
    env = pull_request["env"]
    main = git(pull_request["tmp"] / "origin.git", env, "rev-parse", "main")
    runner.inputs["base"] = main
    result = runner.run("Fetch the base revision")
    assert result.returncode == 0, result.stderr
    assert runner.outputs["base"] == {"revision": main}


def run_action(runner: LocalRunner) -> subprocess.CompletedProcess[str]:
    """The base fetched, then the check (the install step is the test's own decisionlang)."""
    fetched = runner.run("Fetch the base revision")
    assert fetched.returncode == 0, fetched.stderr
    checked = runner.run("Check the decisions")
    assert checked.returncode == 0, checked.stderr  # the step records the verdict, never fails
    return checked


def annotations(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.match(r"::(error|warning|notice) ", line)]


def test_check_step_on_a_pull_request(pull_request: dict[str, Any]) -> None:
    runner: LocalRunner = pull_request["runner"]
    runner.inputs["sarif"] = "true"
    result = run_action(runner)
    outputs = runner.outputs["check"]
    assert outputs["exit-code"] == "1"  # ledger-db, which the change touches, is NO-GO
    found = annotations(result.stdout)
    assert found, result.stdout
    assert all(line.startswith("::") and " file=decisions/" in line for line in found), found
    assert any(line.startswith("::error file=decisions/services/payments.yaml,") for line in found)
    assert not any("legacy-crm" in line for line in found)  # a known NO-GO the change does not touch
    # The comment, also the job summary.
    markdown = Path(outputs["markdown-file"]).read_text(encoding="utf-8")
    assert markdown.splitlines()[0] == MARKER
    assert "ledger-db" in markdown
    assert runner.summary.read_text(encoding="utf-8") == markdown
    # SARIF for code scanning: valid, with URIs relative to the git repository.
    sarif = json.loads(Path(outputs["sarif-file"]).read_text(encoding="utf-8"))
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    uris = [m.group(1) for m in re.finditer(r'"uri": "([^"]*)"', json.dumps(sarif))]
    assert uris and all(uri.startswith("decisions/") for uri in uris if not uri.startswith("http")), uris
    assert (runner.workspace / uris[-1]).is_file()


def test_check_step_gates_on_the_changed_subjects_unless_all(pull_request: dict[str, Any]) -> None:
    runner: LocalRunner = pull_request["runner"]
    runner.inputs["fail-on"] = "no-go"
    crm = runner.workspace / "decisions" / "services" / "crm.yaml"
    crm.write_text(crm.read_text(encoding="utf-8") + "# owned by team-crm\n", encoding="utf-8")
    website = runner.workspace / "decisions" / "services" / "analytics.yaml"
    text = website.read_text(encoding="utf-8")
    website.write_text(text.replace("readability: 4", "readability: 2"), encoding="utf-8")
    payments = runner.workspace / "decisions" / "services" / "payments.yaml"  # undo the NO-GO
    text = payments.read_text(encoding="utf-8")
    payments.write_text(text.replace("support_ends: 2025-01-31", "support_ends: 2030-01-31"), "utf-8")
    run_action(runner)
    assert runner.outputs["check"]["exit-code"] == "0"  # a NOT YET under fail-on no-go
    runner.inputs["all"] = "true"
    run_action(runner)
    assert runner.outputs["check"]["exit-code"] == "1"  # legacy-crm, NO-GO all along


def test_check_step_without_a_base_checks_every_subject(pull_request: dict[str, Any]) -> None:
    runner: LocalRunner = pull_request["runner"]
    runner.github["base_ref"] = ""
    result = run_action(runner)
    assert runner.outputs["check"]["exit-code"] == "1"
    assert any(
        line.startswith("::error file=decisions/services/crm.yaml,") for line in annotations(result.stdout)
    ), result.stdout


def test_check_step_on_invalid_policies(pull_request: dict[str, Any]) -> None:
    runner: LocalRunner = pull_request["runner"]
    policy = runner.workspace / "decisions" / "policies" / "production.policy"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("criticality >= high", "criticality >= hihg", 1), encoding="utf-8")
    result = run_action(runner)
    assert runner.outputs["check"]["exit-code"] == "2"
    assert "markdown-file" not in runner.outputs["check"]
    assert (
        "::error file=decisions/policies/production.policy,line=7,col=66,"
        "title=decisionlang DL-CHECK-SCALE-VALUE::`hihg` is not a value of scale `criticality`"
        "%0Ahelp: did you mean `high`?"
    ) in annotations(result.stdout)
    assert "error[DL-CHECK-SCALE-VALUE]" in result.stderr  # the full diagnostic, in the log


@pytest.fixture
def fake_gh(tmp_path: Path, pull_request: dict[str, Any]) -> dict[str, Any]:
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH.format(python=sys.executable), encoding="utf-8")
    gh.chmod(0o755)
    state = tmp_path / "comments.json"
    state.write_text(
        json.dumps([{"id": 1, "body": "Looks good to me", "user": {"login": "octocat"}}]), encoding="utf-8"
    )
    log = tmp_path / "gh.log"
    runner: LocalRunner = pull_request["runner"]
    runner.env.update(FAKE_GH_STATE=str(state), FAKE_GH_LOG=str(log))
    runner.inputs["github-token"] = "a-token"
    return {"path": bin_dir, "state": state, "log": log}


def gh_calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_comment_step_posts_then_updates_in_place(
    pull_request: dict[str, Any], fake_gh: dict[str, Any]
) -> None:
    runner: LocalRunner = pull_request["runner"]
    run_action(runner)
    result = runner.run("Comment on the pull request", path=fake_gh["path"])
    assert result.returncode == 0, result.stderr
    assert "commented on pull request #7" in result.stdout
    comments = json.loads(fake_gh["state"].read_text(encoding="utf-8"))
    assert [c["id"] for c in comments] == [1, 1001]
    report = Path(runner.outputs["check"]["markdown-file"]).read_text(encoding="utf-8")
    assert comments[1]["body"] == report
    # The next push: the same comment is updated, no second one is posted.
    payments = runner.workspace / "decisions" / "services" / "payments.yaml"
    text = payments.read_text(encoding="utf-8")
    payments.write_text(text.replace("support_ends: 2025-01-31", "support_ends: 2030-01-31"), "utf-8")
    run_action(runner)
    result = runner.run("Comment on the pull request", path=fake_gh["path"])
    assert result.returncode == 0, result.stderr
    assert "updated comment 1001 on pull request #7" in result.stdout
    comments = json.loads(fake_gh["state"].read_text(encoding="utf-8"))
    assert [c["id"] for c in comments] == [1, 1001]
    assert comments[1]["body"] != report
    assert comments[1]["body"].startswith(MARKER + "\n")
    calls = gh_calls(fake_gh["log"])
    assert [call[:3] for call in calls if "--method" in call] == [
        ["api", "--method", "POST"],
        ["api", "--method", "PATCH"],
    ]
    assert calls[-1][3] == "repos/acme/platform/issues/comments/1001"


def test_comment_step_never_updates_someone_elses_comment(
    pull_request: dict[str, Any], fake_gh: dict[str, Any]
) -> None:
    """Anyone can post a comment holding the marker: only the token's own comment is updated."""
    runner: LocalRunner = pull_request["runner"]
    planted = {"id": 2, "body": MARKER + "\nall GO, merge away", "user": {"login": "mallory"}}
    quoting = {"id": 3, "body": "see " + MARKER, "user": {"login": "github-actions[bot]"}}
    comments = [*json.loads(fake_gh["state"].read_text(encoding="utf-8")), planted, quoting]
    fake_gh["state"].write_text(json.dumps(comments), encoding="utf-8")
    run_action(runner)
    result = runner.run("Comment on the pull request", path=fake_gh["path"])
    assert result.returncode == 0, result.stderr
    assert "commented on pull request #7" in result.stdout
    comments = json.loads(fake_gh["state"].read_text(encoding="utf-8"))
    assert [c["id"] for c in comments] == [1, 2, 3, 1003]
    assert comments[1]["body"] == MARKER + "\nall GO, merge away"  # left alone
    assert comments[3]["user"]["login"] == "github-actions[bot]"
    run_action(runner)
    result = runner.run("Comment on the pull request", path=fake_gh["path"])
    assert "updated comment 1003 on pull request #7" in result.stdout


def test_comment_step_updates_the_comment_of_a_personal_token(
    pull_request: dict[str, Any], fake_gh: dict[str, Any]
) -> None:
    runner: LocalRunner = pull_request["runner"]
    runner.env["FAKE_GH_LOGIN"] = "release-bot"  # a personal access token of a machine user
    own = {"id": 5, "body": MARKER + "\nold report", "user": {"login": "release-bot"}}
    bots = {"id": 6, "body": MARKER + "\nanother bot", "user": {"login": "github-actions[bot]"}}
    comments = [*json.loads(fake_gh["state"].read_text(encoding="utf-8")), bots, own]
    fake_gh["state"].write_text(json.dumps(comments), encoding="utf-8")
    run_action(runner)
    result = runner.run("Comment on the pull request", path=fake_gh["path"])
    assert "updated comment 5 on pull request #7" in result.stdout, result.stdout + result.stderr
    comments = json.loads(fake_gh["state"].read_text(encoding="utf-8"))
    assert comments[1]["body"] == MARKER + "\nanother bot"


def test_comment_step_defuses_mentions_from_data(
    pull_request: dict[str, Any], fake_gh: dict[str, Any]
) -> None:
    """A state text naming a team: the comment shows it, and GitHub notifies nobody."""
    runner: LocalRunner = pull_request["runner"]
    payments = runner.workspace / "decisions" / "services" / "payments.yaml"
    text = payments.read_text(encoding="utf-8")
    payments.write_text(text.replace("name: payments-api", "name: payments-api-@acme/security"), "utf-8")
    run_action(runner)
    runner.run("Comment on the pull request", path=fake_gh["path"])
    body = json.loads(fake_gh["state"].read_text(encoding="utf-8"))[-1]["body"]
    assert "@\u200bacme/security" in body
    assert re.search(r"@[A-Za-z0-9]", body) is None


def test_comment_step_reports_invalid_input(pull_request: dict[str, Any], fake_gh: dict[str, Any]) -> None:
    runner: LocalRunner = pull_request["runner"]
    policy = runner.workspace / "decisions" / "policies" / "production.policy"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace("criticality >= high", "criticality >= hihg", 1), encoding="utf-8")
    run_action(runner)
    result = runner.run("Comment on the pull request", path=fake_gh["path"])
    assert result.returncode == 0, result.stderr
    body = json.loads(fake_gh["state"].read_text(encoding="utf-8"))[-1]["body"]
    assert body.startswith(MARKER + "\n### decisionlang: the decisions could not be evaluated (exit code 2)")
    assert "error[DL-CHECK-SCALE-VALUE]: `hihg` is not a value of scale `criticality`" in body


def test_comment_step_without_permission_warns(pull_request: dict[str, Any], fake_gh: dict[str, Any]) -> None:
    runner: LocalRunner = pull_request["runner"]
    runner.env["FAKE_GH_FAIL"] = "1"  # a pull request from a fork: a read-only token
    run_action(runner)
    result = runner.run("Comment on the pull request", path=fake_gh["path"])
    assert result.returncode == 0, result.stderr
    assert "::warning title=decisionlang::could not read the comments of pull request #7" in result.stdout


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("0", "decisionlang: no subject fails --fail-on not-yet"),
        ("1", "::error title=decisionlang::NO-GO"),
        ("2", "::error title=decisionlang::invalid policies, states or options"),
        ("3", "::error title=decisionlang::NOT YET"),
        ("70", "::error title=decisionlang::decisionlang failed with exit code 70"),
    ],
)
def test_fail_step_keeps_the_exit_code(pull_request: dict[str, Any], code: str, message: str) -> None:
    runner: LocalRunner = pull_request["runner"]
    runner.outputs["check"] = {"exit-code": code}
    result = runner.run("Fail per fail-on")
    assert result.returncode == int(code)
    assert result.stdout.startswith(message)


@slow
def test_install_step_installs_from_the_action_path(tmp_path: Path) -> None:
    """The default install: `pip install` of the action's own directory into a fresh venv (its
    dependencies come from PyPI, as on a runner)."""
    github = {"action_path": str(ROOT), "base_ref": ""}
    runner = LocalRunner(tmp_path, tmp_path / "runner-temp", dict(os.environ), github)
    runner.outputs["python"] = {"python-path": sys.executable}
    result = runner.run("Install decisionlang")
    assert result.returncode == 0, result.stdout + result.stderr
    installed = Path(runner.outputs["install"]["bin"])
    assert installed.parent.parent == runner.temp / "decisionlang-venv"
    version = subprocess.run([str(installed), "--version"], capture_output=True, text=True, check=True)
    assert "version" in version.stdout


@slow
def test_install_from_a_git_url_pinned_to_a_commit(tmp_path: Path) -> None:
    """The README's install: `pip install "decisionlang @ git+URL@COMMIT"` (PyPI has no release yet)
    builds the package from git: the grammar, the policy library and the `py.typed` marker that
    tells type checkers the library is typed (PEP 561) are in it. About 6 s: pip clones and builds."""
    env = git_env(tmp_path / "home")
    head = git(ROOT, env, "rev-parse", "HEAD")
    target = tmp_path / "site"
    command = ["install", "--quiet", "--no-deps", "--disable-pip-version-check", "--target", str(target)]
    result = subprocess.run(
        [sys.executable, "-m", "pip", *command, f"decisionlang @ git+{ROOT.as_uri()}@{head}"],
        env={**env, "PIP_NO_INPUT": "1", "PIP_CACHE_DIR": str(Path.home() / ".cache" / "pip")},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    package = target / "decisionlang"
    assert (package / "py.typed").is_file()
    assert (package / "grammar" / "decisionlang.lark").is_file()
    assert (package / "library" / "dora.policy").is_file()


# ---------------------------------------------------------------- pre-commit, for real


@pytest.fixture(scope="module")
def pre_commit_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A PRE_COMMIT_HOME of the test session's own: the user's pre-commit cache is left alone."""
    base = tmp_path_factory.mktemp("pre-commit")
    env = git_env(base / "home")
    env["PRE_COMMIT_HOME"] = str(base / "cache")
    env.pop("VIRTUAL_ENV", None)
    return env


@pytest.fixture
def decision_repo(tmp_path: Path, pre_commit_env: dict[str, str]) -> Path:
    """A git repository holding a copy of the quickstart, committed."""
    repo = tmp_path / "decisions"
    shutil.copytree(QUICKSTART, repo)
    git(tmp_path, pre_commit_env, "init", "-q", str(repo))
    git(repo, pre_commit_env, "add", ".")
    git(repo, pre_commit_env, "commit", "-q", "-m", "the quickstart")
    return repo


def try_repo(repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`pre-commit try-repo` with every hook of this checkout's HEAD commit, on every file of `repo`."""
    head = git(ROOT, env, "rev-parse", "HEAD")
    command = ["try-repo", str(ROOT), "--ref", head, "--all-files", "--color=never"]
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", *command],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    result.stdout += result.stderr
    return result


def hook_status(output: str, name: str) -> str:
    """`Passed` or `Failed`, from pre-commit's `decisionlang check.....Passed` line."""
    match = re.search(rf"^{re.escape(name)}\.+(Passed|Failed)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@slow
def test_pre_commit_hooks(decision_repo: Path, pre_commit_env: dict[str, str]) -> None:
    """pre-commit itself runs both hooks, as in a decision repo's commit.

    `pre-commit try-repo --ref HEAD` clones this checkout at its HEAD commit and pip-installs that
    commit (its dependencies from PyPI) into the hooks' environment: it tests the *committed*
    `.pre-commit-hooks.yaml` and code, never uncommitted edits — commit before running it.
    try-repo builds that environment afresh on every call (about 10 s with pip's cache), so each
    call runs both hooks (try-repo without a hook id), three calls in all.
    """
    # A change that leaves a subject NOT YET: validate passes, and so does check (--fail-on no-go),
    # although legacy-crm is NO-GO: it was so at HEAD already and the change does not touch it.
    analytics = decision_repo / "services" / "analytics.yaml"
    edit(analytics, "readability: 4", "readability: 2")  # website: GO -> NOT YET
    passed = try_repo(decision_repo, pre_commit_env)
    assert passed.returncode == 0, passed.stdout
    assert hook_status(passed.stdout, "decisionlang validate") == "Passed"
    assert hook_status(passed.stdout, "decisionlang check") == "Passed"
    assert hook_status(passed.stdout, "decisionlang fmt") == "Passed"  # the quickstart is formatted
    assert hook_status(passed.stdout, "decisionlang lint") == "Passed"  # warnings only

    # A change that makes a subject NO-GO: check fails and shows why.
    payments = decision_repo / "services" / "payments.yaml"
    edit(payments, "support_ends: 2030-01-31", "support_ends: 2025-01-31")  # ledger-db: GO -> NO-GO
    no_go = try_repo(decision_repo, pre_commit_env)
    assert no_go.returncode == 1, no_go.stdout
    assert hook_status(no_go.stdout, "decisionlang validate") == "Passed"
    assert hook_status(no_go.stdout, "decisionlang check") == "Failed"
    assert "ledger-db: GO -> NO-GO" in no_go.stdout
    assert "vendor support ended on 2025-01-31" in no_go.stdout

    # A broken policy: both fail, with the diagnostic.
    edit(payments, "support_ends: 2025-01-31", "support_ends: 2030-01-31")
    # A broken policy, and one of its lines out of the canonical layout (after the error's line):
    # fmt rewrites the file in place and fails; the three others fail on the error.
    production = decision_repo / "policies" / "production.policy"
    edit(production, "criticality >= high", "criticality >= hihg")
    formatted_header = 'policy on_call "Critical services have someone on call" {'
    edit(production, formatted_header, formatted_header.replace(" ", "   ", 2))
    broken = try_repo(decision_repo, pre_commit_env)
    assert broken.returncode == 1, broken.stdout
    assert hook_status(broken.stdout, "decisionlang fmt") == "Failed"
    assert "files were modified by this hook" in broken.stdout
    assert formatted_header in production.read_text(encoding="utf-8")
    assert hook_status(broken.stdout, "decisionlang lint") == "Failed"
    assert hook_status(broken.stdout, "decisionlang validate") == "Failed"
    assert hook_status(broken.stdout, "decisionlang check") == "Failed"
    diagnostic = (
        "policies/production.policy:7:66: error[DL-CHECK-SCALE-VALUE]: "
        "`hihg` is not a value of scale `criticality`"
    )
    assert broken.stdout.count(diagnostic) == 3, broken.stdout  # once per hook: lint, validate, check
    assert "help: did you mean `high`?" in broken.stdout


# ---------------------------------------------------------------- docs/ci.md: GitLab CI and samples


def doc_block(name: str) -> str:
    """The fenced block between `<!-- name -->` and `<!-- /name -->` in docs/ci.md."""
    text = CI_DOCS.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name} -->\n```\w*\n(.*?)```\n<!-- /{name} -->", text, re.DOTALL)
    assert match, f"no {name} block in docs/ci.md"
    return match.group(1)


GITLAB_JOB = YAML(typ="safe").load(doc_block("gitlab-ci"))["decisionlang"]


def test_gitlab_job_matches_gitlabs_schema(tmp_path: Path) -> None:
    config = tmp_path / ".gitlab-ci.yml"
    config.write_text(doc_block("gitlab-ci"), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.gitlab-ci", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert GITLAB_JOB["artifacts"]["reports"] == {
        "junit": "decisionlang-junit.xml",
        "codequality": "gl-code-quality-report.json",
    }


def run_gitlab_job(
    workspace: Path, env: dict[str, str], **variables: str
) -> subprocess.CompletedProcess[str]:
    """The job's `script:` as the GitLab runner runs it: one shell, stopping at the first failure
    (its `before_script`, `pip install`, is the test's own decisionlang on PATH)."""
    job_env = dict(env) | {key: str(value) for key, value in GITLAB_JOB["variables"].items()} | variables
    job_env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    return subprocess.run(
        ["bash", "-e", "-c", "\n".join(GITLAB_JOB["script"])],
        cwd=workspace,
        env=job_env,
        capture_output=True,
        text=True,
        check=False,
    )


CODE_QUALITY_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}
CODE_CLIMATE_CATEGORIES = {
    "Bug Risk",
    "Clarity",
    "Compatibility",
    "Complexity",
    "Duplication",
    "Performance",
    "Security",
    "Style",
}


def check_code_quality(report: Any, workspace: Path) -> None:
    """GitLab's Code Quality format: the fields its merge-request widget reads."""
    assert isinstance(report, list) and report
    for finding in report:
        assert set(finding) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert set(finding) <= {
            "description",
            "check_name",
            "fingerprint",
            "severity",
            "location",
            "type",
            "categories",
        }
        assert finding.get("type", "issue") == "issue"
        assert set(finding.get("categories", [])) <= CODE_CLIMATE_CATEGORIES
        assert all(isinstance(finding[key], str) and finding[key] for key in ("description", "check_name"))
        assert re.fullmatch(r"[0-9a-f]{16,}", finding["fingerprint"])
        assert finding["severity"] in CODE_QUALITY_SEVERITIES
        assert (workspace / finding["location"]["path"]).is_file(), finding["location"]
        assert (
            isinstance(finding["location"]["lines"]["begin"], int)
            and finding["location"]["lines"]["begin"] >= 1
        )
    assert len({finding["fingerprint"] for finding in report}) == len(report)


def test_gitlab_job_on_a_merge_request(pull_request: dict[str, Any]) -> None:
    import junitparser

    workspace: Path = pull_request["workspace"]
    result = run_gitlab_job(
        workspace, pull_request["env"], DECISIONS="decisions", CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main"
    )
    assert result.returncode == 1, result.stdout + result.stderr  # ledger-db is NO-GO
    assert "ledger-db: GO -> NO-GO" in result.stdout
    report = json.loads((workspace / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    check_code_quality(report, workspace)
    (ledger,) = [f for f in report if f["description"].startswith("ledger-db is NO-GO")]
    assert ledger["severity"] == "blocker"
    assert ledger["location"] == {"path": "decisions/services/payments.yaml", "lines": {"begin": 27}}
    # GitLab's own variable says where the repository is, wherever the job runs from.
    elsewhere = subprocess.run(
        [str(BIN / "decisionlang"), "check", str(workspace / "decisions"), "--format", "gitlab"],
        cwd=workspace.parent,
        env=pull_request["env"] | {"CI_PROJECT_DIR": str(workspace)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert {f["location"]["path"] for f in json.loads(elsewhere.stdout)} >= {
        "decisions/services/payments.yaml"
    }
    # JUnit, read by a real JUnit consumer.
    suites = junitparser.JUnitXml.fromfile(str(workspace / "decisionlang-junit.xml"))
    failed = {(case.classname, case.name) for suite in suites for case in suite if not case.is_passed}
    assert ("change_readiness", "ledger-db") in failed


def test_gitlab_job_on_the_default_branch(pull_request: dict[str, Any]) -> None:
    workspace: Path = pull_request["workspace"]
    result = run_gitlab_job(workspace, pull_request["env"], DECISIONS="decisions")
    assert result.returncode == 1, result.stdout + result.stderr  # every subject: legacy-crm is NO-GO
    report = json.loads((workspace / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    check_code_quality(report, workspace)
    assert any(f["location"]["path"] == "decisions/services/crm.yaml" for f in report)


SAMPLE = re.compile(r"(<!-- sample: (?P<name>[\w-]+) -->\n)(.*?)(<!-- /sample -->)", re.DOTALL)
SAMPLE_AS_OF = "2026-11-26"
SAMPLE_DATE = "2026-11-20T09:00:00+00:00"  # fixed commit dates: the base commit id is the same every run


def sample_pull_request(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The quickstart on main (a clone has origin/main), and the pull request's edits in the work tree."""
    env = git_env(tmp_path / "home") | {"GIT_AUTHOR_DATE": SAMPLE_DATE, "GIT_COMMITTER_DATE": SAMPLE_DATE}
    seed = tmp_path / "seed"
    shutil.copytree(QUICKSTART, seed)
    git(tmp_path, env, "init", "-q", str(seed))
    git(seed, env, "add", ".")
    git(seed, env, "commit", "-q", "-m", "the quickstart")
    workspace = tmp_path / "platform"
    git(tmp_path, env, "clone", "-q", str(seed), str(workspace))
    edit(workspace / "services" / "payments.yaml", "support_ends: 2030-01-31", "support_ends: 2025-01-31")
    edit(workspace / "services" / "analytics.yaml", "readability: 4", "readability: 2")  # website's
    return workspace, env


def render_samples(tmp_path: Path) -> dict[str, str]:
    workspace, env = sample_pull_request(tmp_path)

    def check(*args: str) -> str:
        command = [str(BIN / "decisionlang"), "check", ".", "--base", "origin/main", "--as-of", SAMPLE_AS_OF]
        result = subprocess.run(
            [*command, *args], cwd=workspace, env=env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 1, result.stderr
        return result.stdout

    def jq(expression: str, path: str) -> str:
        result = subprocess.run(
            ["jq", expression, path], cwd=workspace, capture_output=True, text=True, check=True
        )
        return result.stdout

    markdown = check("--format", "markdown")
    quoted = "".join(f"> {line}".rstrip() + "\n" for line in markdown.splitlines())
    check("--format", "sarif", "--output", "decisionlang.sarif")
    check("--format", "json", "--output", "report.json")
    check("--format", "gitlab", "--output", "gl-code-quality-report.json")
    codequality = json.loads((workspace / "gl-code-quality-report.json").read_text(encoding="utf-8"))
    (ledger,) = [f for f in codequality if f["description"].startswith("ledger-db")]
    command = f"$ decisionlang check . --base origin/main --as-of {SAMPLE_AS_OF}"
    return {
        "markdown": f"````markdown\n{markdown}````\n\nAs GitHub shows it:\n\n{quoted}",
        "github": f"```text\n{check('--format', 'github')}```\n",
        "sarif": "```json\n"
        + jq('.runs[0].results[] | select(.properties.subject == "ledger-db")', "decisionlang.sarif")
        + "```\n",
        "junit": f"```xml\n{check('--format', 'junit')}```\n",
        "json": f"```json\n{jq('.changes', 'report.json')}```\n",
        "text": f"```\n{command}\n{check()}$ echo $?\n1\n```\n",
        "codequality": f"```json\n{json.dumps(ledger, indent=2)}\n```\n",
    }


def test_docs_samples_are_current(tmp_path: Path) -> None:
    """docs/ci.md shows real outputs; `make golden` (DECISIONLANG_UPDATE_GOLDEN=1) rewrites them."""
    samples = render_samples(tmp_path)
    doc = CI_DOCS.read_text(encoding="utf-8")
    assert {m.group("name") for m in SAMPLE.finditer(doc)} == set(samples)
    current = SAMPLE.sub(lambda m: m.group(1) + samples[m.group("name")] + m.group(4), doc)
    if os.environ.get("DECISIONLANG_UPDATE_GOLDEN") == "1":
        CI_DOCS.write_text(current, encoding="utf-8")
        return
    assert current == doc, "the samples in docs/ci.md differ from the outputs: `make golden`, then review"

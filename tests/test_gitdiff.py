"""`check --base REV`: verdict diffs between two revisions of a decision repo, in real git repositories.

Each test builds a temporary repository with the quickstart in a subdirectory, commits it, changes
something and commits again (or leaves the change in the working tree), then compares.
Set DECISIONLANG_UPDATE_GOLDEN=1 (or `make golden`) to rewrite the golden files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result
from support import check_golden

from decisionlang import cli
from decisionlang.compare.changes import BASE_INVALID, ChangeKind, FactChange, VerdictDiff
from decisionlang.compare.gitdiff import BASE_ABSENT, diff_against
from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.core.model import FailOn, Location, Verdict
from decisionlang.render.diff import change_summary

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

ROOT = Path(__file__).parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
SCHEMA = json.loads((ROOT / "schemas" / "report-v3.schema.json").read_text(encoding="utf-8"))
AS_OF = ["--as-of", "2026-11-26"]
TODAY = dt.date(2026, 11, 26)
SUBJECTS = {"data-lake", "fax-gateway", "ledger-db", "legacy-crm", "payments-api", "website"}


# ---------------------------------------------------------------- repositories


@pytest.fixture(autouse=True)
def git_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A git configuration of our own: the machine's global and system settings play no part."""
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # never find an enclosing repository
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository whose first commit holds the quickstart under `infra/decisions`."""
    top = tmp_path / "repo"
    shutil.copytree(QUICKSTART, top / "infra" / "decisions")
    (top / "README.md").write_text("an application repository with its decision repo inside\n")
    git(top, "init", "--quiet")
    commit(top, "the quickstart")
    return top


def decisions(repo: Path) -> Path:
    return repo / "infra" / "decisions"


def commit(top: Path, message: str) -> str:
    git(top, "add", "--all")
    git(top, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(top, "rev-parse", "HEAD").strip()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def change_states(repo: Path) -> None:
    """The main scenario: website fails too many changes, ledger-db's map is outdated, and
    fax-gateway becomes tier 1 (which lifts payments-api's fragile dependency)."""
    services = decisions(repo) / "services"
    edit(
        services / "analytics.yaml",
        "deploys_per_week: 20, change_failure_rate: 0.05",
        "deploys_per_week: 20, change_failure_rate: 0.2",
    )
    edit(
        services / "payments.yaml",
        "compliance: 3 }\n    maturity: { readability: 4 }",
        "compliance: 3 }\n    maturity: { readability: 2 }",
    )
    edit(services / "payments.yaml", "criticality: medium\n    tier: 2", "criticality: medium\n    tier: 1")


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli.main, list(args), env=env, catch_exceptions=False)


def check_base(repo: Path, *args: str, base: str = "HEAD~1", env: dict[str, str] | None = None) -> Result:
    return run("check", str(decisions(repo)), "--base", base, *AS_OF, "--no-color", *args, env=env)


def normalised(text: str, diff_commit: str) -> str:
    """Commit ids change with every run: the goldens hold `<base>` instead."""
    return text.replace(diff_commit, "<base>").replace(diff_commit[:12], "<base>")


def diff(repo: Path, base: str = "HEAD~1", **options: Any) -> VerdictDiff:
    return diff_against(decisions(repo), base, as_of=TODAY, **options)


def fact_values(fact: FactChange) -> tuple[str, str, Any, Any]:
    """Whose fact, which field, its value before and after (None: missing or not read)."""
    before = fact.before.value if fact.before is not None else None
    after = fact.after.value if fact.after is not None else None
    return (fact.subject, fact.path, before, after)


def kinds(verdict_diff: VerdictDiff) -> dict[str, ChangeKind]:
    return {change.subject: change.kind for change in verdict_diff.changes}


# ---------------------------------------------------------------- the main scenario: states change


def test_state_change_transitions_facts_and_summaries(repo: Path) -> None:
    change_states(repo)
    base_commit = git(repo, "rev-parse", "HEAD")
    commit(repo, "state changes")
    result = diff(repo)
    assert result.base == "HEAD~1" and result.base_commit == base_commit.strip()
    assert result.unchanged == 3  # data-lake, fax-gateway (its fallback reads no tier), legacy-crm
    by_name = {change.subject: change for change in result.changes}
    assert list(by_name) == ["ledger-db", "payments-api", "website"]
    ledger, payments, website = by_name["ledger-db"], by_name["payments-api"], by_name["website"]
    assert (ledger.kind, ledger.before, ledger.after) == (ChangeKind.MOVED, Verdict.GO, Verdict.NOT_YET)
    assert ledger.rules_now == ("change_readiness.unmapped",)
    assert ledger.rules_before == ("change_readiness.worth_it",)
    assert [fact_values(fact) for fact in ledger.facts] == [("ledger-db", "maturity.readability", 4, 2)]
    assert ledger.facts[0].location == Location("services/payments.yaml", 25, 30)
    assert change_summary(ledger) == (
        "ledger-db: GO -> NOT YET because change_readiness.unmapped now decides (flows and dependencies "
        "are mapped at level 2/5 only): maturity.readability 4 -> 2 (services/payments.yaml:25)"
    )
    # A dependency's fact: payments-api is lifted by a change in fax-gateway's state.
    assert (payments.before, payments.after) == (Verdict.NOT_YET, Verdict.GO)
    assert change_summary(payments) == (
        "payments-api: NOT YET -> GO because change_readiness.fragile_dependency no longer applies: "
        "tier of fax-gateway 2 -> 1 (services/payments.yaml:33)"
    )
    assert [fact_values(fact) for fact in payments.facts] == [("fax-gateway", "tier", 2, 1)]
    assert change_summary(website) == (
        "website: GO -> NOT YET because change_readiness.unstable now decides (changes fail too often "
        "for the pace of delivery): dora.change_failure_rate 0.05 -> 0.2 (services/analytics.yaml:22)"
    )
    assert result.changed_subjects == ("ledger-db", "payments-api", "website")
    assert result.changed_verdict is Verdict.NOT_YET and result.head.verdict is Verdict.NO_GO
    assert result.before.verdict is Verdict.NO_GO and result.base_evaluated


def test_state_change_text_golden(repo: Path) -> None:
    change_states(repo)
    commit(repo, "state changes")
    result = check_base(repo)
    assert result.exit_code == cli.EXIT_NOT_YET, result.output
    check_golden(
        "gitdiff/state-change.txt", normalised(result.stdout, git(repo, "rev-parse", "HEAD~1").strip())
    )


def test_state_change_json_golden_and_schema(repo: Path) -> None:
    change_states(repo)
    commit(repo, "state changes")
    result = check_base(repo, "--format", "json")
    assert result.exit_code == cli.EXIT_NOT_YET
    payload = json.loads(result.stdout)
    jsonschema.validate(payload, SCHEMA)
    changes = payload["changes"]
    assert changes["verdict"] == "not-yet" and payload["verdict"] == "no-go"
    assert [(s["service"], s["change"], s["before"], s["after"]) for s in changes["subjects"]] == [
        ("ledger-db", "moved", "go", "not-yet"),
        ("payments-api", "moved", "not-yet", "go"),
        ("website", "moved", "go", "not-yet"),
    ]
    assert changes["base_commit"] == git(repo, "rev-parse", "HEAD~1").strip()
    check_golden("gitdiff/state-change.json", normalised(result.stdout, changes["base_commit"]))


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ([], cli.EXIT_NOT_YET),  # the changed subjects: at worst NOT YET
        (["--fail-on", "no-go"], cli.EXIT_OK),
        (["--all"], cli.EXIT_NO_GO),  # the whole head: legacy-crm, unchanged, is NO-GO
        (["--all", "--fail-on", "no-go"], cli.EXIT_NO_GO),
        (["--service", "payments-api"], cli.EXIT_OK),
    ],
)
def test_exit_code_follows_the_changed_subjects(repo: Path, args: list[str], code: int) -> None:
    change_states(repo)
    commit(repo, "state changes")
    assert check_base(repo, *args).exit_code == code


def test_all_gates_on_the_whole_report_and_says_so(repo: Path) -> None:
    change_states(repo)
    commit(repo, "state changes")
    output = check_base(repo, "--all").stdout
    assert output.rstrip().endswith("6 subjects: 1 GO, 4 NOT YET, 1 NO-GO — overall NO-GO")
    assert "--all: the exit code follows the whole head report" in output


# ---------------------------------------------------------------- other kinds of change


def test_policy_change_re_evaluates_every_subject(repo: Path) -> None:
    edit(
        decisions(repo) / "policies" / "production.policy",
        "maturity.readability < 3",
        "maturity.readability < 5",
    )
    commit(repo, "a stricter readability gate")
    result = diff(repo)
    # Every subject mapped below 5 is now held back by `unmapped`; legacy-crm stays NO-GO.
    assert kinds(result) == {
        "data-lake": ChangeKind.CHANGED,
        "fax-gateway": ChangeKind.CHANGED,
        "ledger-db": ChangeKind.MOVED,
        "payments-api": ChangeKind.CHANGED,
        "website": ChangeKind.MOVED,
    }
    assert result.unchanged == 1
    for change in result.changes:
        assert change.rules_now == ("change_readiness.unmapped",)
        assert not change.facts  # the facts did not change: the policy did
    payments = {change.subject: change for change in result.changes}["payments-api"]
    assert payments.rules_before == ()  # fragile_dependency still decides, next to unmapped
    assert change_summary(payments).startswith(
        "payments-api: still NOT YET because change_readiness.unmapped now also holds it back "
        "(flows and dependencies are mapped at level 4/5 only); "
        "rule change_readiness.unmapped was edited: `not_yet unmapped when maturity.readability < 3 "
    )
    assert "-> `not_yet unmapped when maturity.readability < 5 " in change_summary(payments)
    assert check_base(repo).exit_code == cli.EXIT_NOT_YET


def test_subject_added(repo: Path) -> None:
    (decisions(repo) / "services" / "billing.yaml").write_text(
        "name: billing\nowner: team-payments\ncriticality: medium\ntier: 2\nbusiness_value: 8\neffort: 2\n"
        "risk: { security: 2, compliance: 2 }\nmaturity: { readability: 4 }\n"
        "dora: { deploys_per_week: 5, change_failure_rate: 0.05 }\nsupport_ends: 2030-01-31\n",
        encoding="utf-8",
    )
    commit(repo, "billing")
    result = diff(repo)
    assert kinds(result) == {"billing": ChangeKind.ADDED}
    (added,) = result.changes
    assert (added.before, added.after) == (None, Verdict.GO)
    assert added.rules_now == ("change_readiness.worth_it",) and added.rules_before == ()
    assert all(fact.before is None for fact in added.facts)
    assert (
        change_summary(added) == "billing: added, GO because change_readiness.worth_it (value case scores 22)"
    )
    assert result.unchanged == 6
    # legacy-crm's known NO-GO does not block this change; --all does.
    assert check_base(repo).exit_code == cli.EXIT_OK
    assert check_base(repo, "--all").exit_code == cli.EXIT_NO_GO


def test_subject_removed(repo: Path) -> None:
    (decisions(repo) / "services" / "crm.yaml").unlink()
    commit(repo, "legacy-crm retired")
    result = diff(repo)
    assert kinds(result) == {"legacy-crm": ChangeKind.REMOVED}
    (removed,) = result.changes
    assert (removed.before, removed.after) == (Verdict.NO_GO, None)
    assert change_summary(removed) == "legacy-crm: removed (was NO-GO)"
    assert removed.rules_before == ("change_readiness.unsupported",)
    assert all(fact.after is None for fact in removed.facts)
    assert result.changed_subjects == ()
    cli_result = check_base(repo)
    assert cli_result.exit_code == cli.EXIT_OK
    assert "removed  legacy-crm: removed (was NO-GO)" in cli_result.stdout
    assert "Head report" not in cli_result.stdout  # no changed subject is left in the head


def test_renamed_state_file_is_no_change(repo: Path) -> None:
    git(repo, "mv", "infra/decisions/services/crm.yaml", "infra/decisions/services/sales.yaml")
    commit(repo, "rename")
    result = diff(repo)
    assert result.changes == () and result.unchanged == 6
    cli_result = check_base(repo)
    assert cli_result.exit_code == cli.EXIT_OK
    assert cli_result.stdout.startswith("Against HEAD~1 (commit ")
    assert cli_result.stdout.rstrip().endswith("no verdict changed; 6 subjects unchanged")


def test_unchanged_repository(repo: Path) -> None:
    commit(repo, "nothing")
    assert diff(repo).changes == ()
    assert diff(repo, "HEAD").changes == ()
    payload = json.loads(check_base(repo, "--format", "json").stdout)
    jsonschema.validate(payload, SCHEMA)
    assert payload["changes"]["subjects"] == [] and payload["changes"]["unchanged"] == 6
    assert payload["changes"]["verdict"] == "go"


def test_changed_facts_without_a_moved_verdict(repo: Path) -> None:
    # fax-gateway falls back to `otherwise`: the go rule's facts are what decided it.
    edit(decisions(repo) / "services" / "payments.yaml", "business_value: 3", "business_value: 4")
    commit(repo, "a little more value")
    (change,) = diff(repo).changes
    assert change.kind is ChangeKind.CHANGED and change.before is change.after is Verdict.NOT_YET
    assert change_summary(change) == (
        "fax-gateway: still NOT YET because change_readiness.otherwise (the value case scores 8, below 10): "
        "business_value 3 -> 4 (services/payments.yaml:34)"
    )


def test_a_waiver_lifts_a_verdict(repo: Path) -> None:
    edit(decisions(repo) / "policies" / "production.policy", "enforcement hard", "enforcement soft")
    commit(repo, "a soft policy")
    (decisions(repo) / "waivers").mkdir()
    (decisions(repo) / "waivers" / "payments.yaml").write_text(
        "waivers:\n  - id: W-1\n    subject: payments-api\n    rule: change_readiness.fragile_dependency\n"
        "    owner: team-payments\n    approver: CTO\n    rationale: fax-gateway is replaced in Q1\n"
        "    compensating_measure: manual fallback\n    granted: 2026-11-01\n    expires: 2027-03-31\n",
        encoding="utf-8",
    )
    commit(repo, "a waiver")
    (change,) = diff(repo).changes
    assert (change.subject, change.before, change.after) == ("payments-api", Verdict.NOT_YET, Verdict.GO)
    assert (
        change_summary(change)
        == "payments-api: NOT YET -> GO because change_readiness.fragile_dependency is now waived"
        " (W-1, expires 2027-03-31)"
    )


OWNERSHIP = """\
policy ownership "Services that matter are owned around the clock" {
  applies to kind service
  enforcement hard
  not_yet unowned when criticality >= high and not on_call
        because "nobody is on call for a {criticality} service"
}
"""


def test_a_second_policy_firing_on_a_subject_already_no_go_is_a_change(repo: Path) -> None:
    """legacy-crm is NO-GO (vendor support ended). Its on-call goes, and `ownership` holds it back
    too: same verdict, but one more policy to lift. Every format says so."""
    (decisions(repo) / "policies" / "ownership.policy").write_text(OWNERSHIP, encoding="utf-8")
    edit(decisions(repo) / "services" / "crm.yaml", "on_call: false", "on_call: true")
    commit(repo, "ownership, and legacy-crm on call")
    edit(decisions(repo) / "services" / "crm.yaml", "on_call: true", "on_call: false")
    commit(repo, "nobody on call for legacy-crm")
    (change,) = diff(repo).changes
    assert (change.subject, change.kind, change.after) == ("legacy-crm", ChangeKind.CHANGED, Verdict.NO_GO)
    assert change.rules_now == ("ownership.unowned",) and change.rules_before == ()
    assert (
        "legacy-crm: still NO-GO because ownership.unowned now also holds it back" in check_base(repo).stdout
    )
    outputs = {name: check_base(repo, "--format", name).stdout for name in FORMATS}
    assert json.loads(outputs["json"])["changes"]["subjects"][0]["rules_now"] == ["ownership.unowned"]
    assert "now: nobody is on call for a high service (`ownership.unowned`)" in outputs["markdown"]
    assert 'name="legacy-crm" classname="ownership"' in outputs["junit"]
    assert "title=legacy-crm%3A NOT YET (ownership.unowned)" in outputs["github"]
    sarif_results = json.loads(outputs["sarif"])["runs"][0]["results"]
    assert [r["baselineState"] for r in sarif_results if r["ruleId"] == "ownership.unowned"] == ["new"]
    assert json.loads(outputs["sarif"])["runs"][0]["properties"]["changedSubjects"] == ["legacy-crm"]


FORMATS = ("text", "json", "markdown", "sarif", "junit", "github")


def test_a_new_warning_on_an_edited_subject_is_a_change_in_every_format(repo: Path) -> None:
    """payments-api is no longer on call: only the advisory `on_call` policy notices, with a
    warning. The verdict and its reasons stay; the pull-request check must still show it."""
    edit(
        decisions(repo) / "services" / "payments.yaml",
        "on_call: true\n    depends_on",
        "on_call: false\n    depends_on",
    )
    commit(repo, "payments-api off call")
    (change,) = diff(repo).changes
    assert (change.subject, change.kind) == ("payments-api", ChangeKind.CHANGED)
    assert [warning.rule for warning in change.warnings_added] == ["on_call.no_on_call"]
    outputs = {name: check_base(repo, "--format", name).stdout for name in FORMATS}
    assert "new warning   nobody is on call for a critical service (on_call.no_on_call)" in outputs["text"]
    (subject,) = json.loads(outputs["json"])["changes"]["subjects"]
    assert [warning["rule"] for warning in subject["warnings_added"]] == ["on_call.no_on_call"]
    assert (
        "new warning: nobody is on call for a critical service (`on_call.no_on_call`)" in outputs["markdown"]
    )
    assert 'name="payments-api" classname="on_call"' in outputs["junit"]
    assert "nobody is on call for a critical service" in outputs["junit"]
    assert "::notice file=services/payments.yaml" in outputs["github"]
    assert "title=payments-api%3A warning (on_call.no_on_call)" in outputs["github"]
    run_log = json.loads(outputs["sarif"])["runs"][0]
    states = [r["baselineState"] for r in run_log["results"] if r["ruleId"] == "on_call.no_on_call"]
    assert "new" in states and run_log["properties"]["changedSubjects"] == ["payments-api"]


def test_the_working_tree_is_the_head(repo: Path) -> None:
    change_states(repo)  # not committed: compared with HEAD
    result = diff(repo, "HEAD")
    assert set(kinds(result)) == {"ledger-db", "payments-api", "website"}


def test_the_decision_repo_at_the_top_of_the_git_repository(tmp_path: Path) -> None:
    top = tmp_path / "decisions"
    shutil.copytree(QUICKSTART, top)
    git(top, "init", "--quiet")
    commit(top, "one")
    edit(top / "services" / "crm.yaml", "support_ends: 2025-12-31", "support_ends: 2027-12-31")
    result = diff_against(top, "HEAD", as_of=TODAY)
    (change,) = result.changes
    assert (change.subject, change.before, change.after) == ("legacy-crm", Verdict.NO_GO, Verdict.NOT_YET)
    assert change_summary(change).startswith(
        "legacy-crm: NO-GO -> NOT YET because change_readiness.unmapped now decides"
    )


def test_services_limit_both_sides(repo: Path) -> None:
    change_states(repo)
    commit(repo, "state changes")
    result = diff(repo, services=["website", "legacy-crm"])
    assert kinds(result) == {"website": ChangeKind.MOVED} and result.unchanged == 1
    with pytest.raises(DecisionlangError) as error:
        diff(repo, services=["webiste"])
    assert "no subject named `webiste`" in str(error.value)


def test_a_subject_named_that_only_the_base_has(repo: Path) -> None:
    (decisions(repo) / "services" / "crm.yaml").unlink()
    commit(repo, "legacy-crm retired")
    assert kinds(diff(repo, services=["legacy-crm"])) == {"legacy-crm": ChangeKind.REMOVED}


# ---------------------------------------------------------------- the base that cannot be evaluated


def test_invalid_base_does_not_block_the_head(repo: Path) -> None:
    policy = decisions(repo) / "policies" / "production.policy"
    good = policy.read_text(encoding="utf-8")
    policy.write_text(good.replace("enforcement hard", "enforcement hard {{{"), encoding="utf-8")
    commit(repo, "broken")
    policy.write_text(good, encoding="utf-8")
    commit(repo, "fixed")
    result = diff(repo)
    assert not result.base_evaluated
    assert result.before.diagnostics[0].code == BASE_INVALID
    assert any(d.code.startswith("DL-PARSE") for d in result.before.diagnostics)
    assert set(kinds(result).values()) == {ChangeKind.ADDED} and set(kinds(result)) == SUBJECTS
    website = {change.subject: change for change in result.changes}["website"]
    assert change_summary(website, base_evaluated=False).startswith(
        "website: GO (the base could not be evaluated)"
    )
    cli_result = check_base(repo)
    assert cli_result.exit_code == cli.EXIT_NO_GO  # every subject is gated, legacy-crm included
    assert "could not be evaluated" in cli_result.stdout and "DL-PARSE" in cli_result.stdout
    payload = json.loads(check_base(repo, "--format", "json").stdout)
    jsonschema.validate(payload, SCHEMA)
    assert payload["changes"]["base_evaluated"] is False and payload["changes"]["base_verdict"] is None


def test_decision_repo_absent_at_the_base(repo: Path) -> None:
    shutil.copytree(QUICKSTART, repo / "more")
    commit(repo, "a second decision repo")
    result = diff_against(repo / "more", "HEAD~1", as_of=TODAY)
    assert result.base_evaluated
    assert [d.code for d in result.before.diagnostics] == [BASE_ABSENT]
    assert set(kinds(result)) == SUBJECTS and set(kinds(result).values()) == {ChangeKind.ADDED}


def test_an_invalid_head_is_an_error(repo: Path) -> None:
    edit(decisions(repo) / "policies" / "production.policy", "enforcement hard", "enforcement hard {{{")
    result = check_base(repo, base="HEAD")
    assert result.exit_code == cli.EXIT_INVALID and "DL-PARSE" in result.stderr
    assert "Traceback" not in result.output


# ------------------------------------------------ the working tree and the index stay untouched


def snapshot(top: Path) -> dict[str, tuple[int, int]]:
    """Every file of the repository, .git included: size and modification time."""
    files = {}
    for path in sorted(top.rglob("*")):
        if path.is_file() or path.is_symlink():
            status = path.lstat()
            files[path.relative_to(top).as_posix()] = (status.st_size, status.st_mtime_ns)
    return files


def test_reading_the_base_touches_neither_the_working_tree_nor_the_index(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    change_states(repo)
    commit(repo, "state changes")
    # A staged change and an unstaged one, to see that both survive.
    edit(decisions(repo) / "services" / "crm.yaml", "effort: 4", "effort: 5")
    git(repo, "add", "infra/decisions/services/crm.yaml")
    edit(decisions(repo) / "services" / "crm.yaml", "tier: 2", "tier: 3")
    status, staged = git(repo, "status", "--porcelain"), git(repo, "diff", "--cached")
    before = snapshot(repo)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    assert check_base(repo, base="HEAD~1").exit_code == cli.EXIT_NOT_YET
    assert check_base(repo, "--format", "json", base="HEAD~1").exit_code == cli.EXIT_NOT_YET
    assert snapshot(repo) == before  # not one byte, not one timestamp
    assert git(repo, "status", "--porcelain") == status and git(repo, "diff", "--cached") == staged
    assert list(temporary.iterdir()) == []  # the materialised base is gone


# ---------------------------------------------------------------- git problems: clear messages, exit 2


def test_unknown_revision(repo: Path) -> None:
    result = check_base(repo, base="no-such-branch")
    assert result.exit_code == cli.EXIT_INVALID
    assert "error[DL-GIT-REVISION]: unknown revision `no-such-branch`" in result.stderr
    assert "help: give a branch, tag or commit id" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("revision", ["--output=/tmp/x", "", "HEAD:README.md"])
def test_revisions_that_are_options_or_not_commits(repo: Path, revision: str) -> None:
    result = check_base(repo, base=revision)
    assert result.exit_code == cli.EXIT_INVALID and "DL-GIT-REVISION" in result.stderr


def test_unknown_revision_as_json(repo: Path) -> None:
    result = check_base(repo, "--format", "json", base="nope")
    assert result.exit_code == cli.EXIT_INVALID
    assert json.loads(result.stdout)["diagnostics"][0]["code"] == "DL-GIT-REVISION"


def test_not_a_git_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(QUICKSTART, plain)
    result = run("check", str(plain), "--base", "origin/main")
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-GIT-NOT-A-REPOSITORY" in result.stderr and "is not inside a git repository" in result.stderr
    assert "Traceback" not in result.output


def test_git_missing(repo: Path, tmp_path: Path) -> None:
    empty = tmp_path / "no-git-here"
    empty.mkdir()
    result = check_base(repo, env={"PATH": str(empty)})
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-GIT-MISSING" in result.stderr and "git is not installed" in result.stderr


def test_missing_directory_with_base(tmp_path: Path) -> None:
    result = run("check", str(tmp_path / "nowhere"), "--base", "HEAD")
    assert result.exit_code == cli.EXIT_INVALID and "is not a directory" in result.stderr


@pytest.fixture
def shallow(repo: Path, tmp_path: Path) -> Path:
    """A depth-1 clone of a feature branch: main, the base of the pull request, is not in it."""
    git(repo, "switch", "--quiet", "-c", "feature")
    change_states(repo)
    commit(repo, "state changes")
    clone = tmp_path / "clone"
    git(
        tmp_path,
        "clone",
        "--quiet",
        "--depth=1",
        "--single-branch",
        "--branch",
        "feature",
        f"file://{repo}",
        str(clone),
    )
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"
    return clone


def test_shallow_clone_without_the_base_says_what_to_fetch(shallow: Path) -> None:
    result = check_base(shallow, base="origin/main")
    assert result.exit_code == cli.EXIT_INVALID
    assert "error[DL-GIT-SHALLOW]: revision `origin/main` is not in this shallow clone" in result.stderr
    fetch = "git fetch --depth=1 origin main:refs/remotes/origin/main"
    assert fetch in result.stderr and "git fetch --unshallow" in result.stderr
    # Do as told: then it works, still shallow.
    git(shallow, *fetch.split()[1:])
    fetched = check_base(shallow, base="origin/main")
    assert fetched.exit_code == cli.EXIT_NOT_YET, fetched.output
    assert "3 subjects changed (3 moved), 3 unchanged" in fetched.stdout


def test_shallow_clone_relative_revision(shallow: Path) -> None:
    result = check_base(shallow, base="HEAD~1")
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-GIT-SHALLOW" in result.stderr and "git fetch --unshallow" in result.stderr


def test_shallow_clone_branch_name(shallow: Path) -> None:
    result = check_base(shallow, base="main")
    assert "git fetch --depth=1 origin main:refs/remotes/origin/main" in result.stderr
    assert "pass `--base origin/main`" in result.stderr


# ---------------------------------------------------------------- the base is read safely


def test_links_leaving_the_base_are_not_followed(repo: Path) -> None:
    services = decisions(repo) / "services"
    (services / "outside.yaml").symlink_to("../../../../../../../../etc/hostname")
    (services / "here").symlink_to(".")
    (services / "sneaky.yaml").symlink_to("here/../../../../README.md")  # lexically inside, really not
    commit(repo, "links")
    for path in ("outside.yaml", "here", "sneaky.yaml"):
        (services / path).unlink()
    result = diff(repo, "HEAD")
    skipped = [d.message for d in result.before.diagnostics if d.code == "DL-GIT-BASE-SKIPPED"]
    assert any("services/outside.yaml" in message for message in skipped)
    assert any("services/sneaky.yaml" in message for message in skipped)
    assert result.changes == ()


# ---------------------------------------------------------------- formats


def test_text_and_json_without_base_are_unchanged(repo: Path) -> None:
    plain = run("check", str(decisions(repo)), *AS_OF, "--no-color")
    assert run("check", str(decisions(repo)), *AS_OF, "--no-color", "--all").stdout == plain.stdout
    assert (
        "Against" not in plain.stdout
        and "changes" not in run("check", str(decisions(repo)), *AS_OF, "--format", "json").stdout
    )


@pytest.mark.parametrize("output_format", ["markdown", "sarif", "junit", "github"])
def test_a_format_not_written_yet_is_a_usage_error(
    output_format: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, f"decisionlang.render.{output_format}", None)  # as if absent
    result = run("check", str(QUICKSTART), *AS_OF, "--format", output_format)
    assert result.exit_code == cli.EXIT_INVALID
    assert f"--format {output_format} is not available yet" in result.output


@pytest.mark.parametrize("with_base", [False, True])
def test_ci_formats_receive_the_report_the_diff_and_fail_on(
    repo: Path, monkeypatch: pytest.MonkeyPatch, with_base: bool
) -> None:
    calls: list[tuple[Any, Any, str]] = []

    def render_sarif(report: Any, diff: Any, *, fail_on: FailOn) -> str:
        calls.append((report, diff, fail_on))
        return "rendered\n"

    fake = types.ModuleType("decisionlang.render.sarif")
    fake.render_sarif = render_sarif  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "decisionlang.render.sarif", fake)
    change_states(repo)
    commit(repo, "state changes")
    args = ["--base", "HEAD~1"] if with_base else []
    result = run("check", str(decisions(repo)), *AS_OF, "--format", "sarif", "--fail-on", "no-go", *args)
    assert result.stdout == "rendered\n"
    ((report, verdict_diff, fail_on),) = calls
    assert fail_on is FailOn.NO_GO and len(report.subjects) == 6
    assert (verdict_diff is not None) is with_base
    assert result.exit_code == (cli.EXIT_OK if with_base else cli.EXIT_NO_GO)


def test_output_file(repo: Path, tmp_path: Path) -> None:
    change_states(repo)
    commit(repo, "state changes")
    target = tmp_path / "diff.json"
    result = check_base(repo, "--format", "json", "--output", str(target))
    assert result.stdout == "" and result.exit_code == cli.EXIT_NOT_YET
    jsonschema.validate(json.loads(target.read_text(encoding="utf-8")), SCHEMA)


def test_environment_is_not_leaked_into_goldens() -> None:
    # The goldens hold `<base>` and relative paths only: no commit id, no temporary directory.
    for name in ("state-change.txt", "state-change.json"):
        path = Path(__file__).parent / "golden" / "gitdiff" / name
        if path.exists():
            text = path.read_text(encoding="utf-8")
            assert "<base>" in text and os.sep + "tmp" not in text and "decisionlang-base-" not in text

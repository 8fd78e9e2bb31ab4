"""One decision, one account: each scenario runs through `check`, `explain`, `check --base` in every
format, `history` and the board report, and every output must tell the same thing.

The repo is small and written here, so that each scenario changes exactly one thing between a base
commit and a head commit.
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from decisionlang import cli

AS_OF = "2026-11-26"

VOCABULARY = """\
scale criticality "Impact of an outage" { low < medium < high < critical }

schema {
  criticality: criticality       "Impact of an outage"
  tier:        integer 1..3      "1 = the business stops without it"
  readability: integer 0..5      "Flows and dependencies mapped"
  cost:        number >= 0 unit "€" "Monthly run cost"
  on_call:     bool              "Someone is on call"
  secrets_in_repo: bool          "Secrets committed to the repository"
}
"""

POLICIES = """\
policy safety "Services must be steerable" {
  applies to kind service
  enforcement hard
  not_yet unmapped when readability < 3
        because "flows mapped at level {readability}/5 only"
        until   "readability reaches 3"
  not_yet fragile_dependency when tier == 1 and any(d in depends_on: d.tier > 1)
        because "a tier-1 service rests on a lower-tier dependency"
        until   "every dependency of a tier-1 service is tier 1"
}

policy secrets "No secrets in repositories" {
  applies to kind service
  enforcement hard
  no_go leaked when secrets_in_repo
        because "secrets are committed to the repository"
        until   "rotate and remove the secrets"
}

policy exposure "Critical services are watched" {
  applies to kind service
  enforcement hard
  no_go unwatched when criticality == critical and not on_call
        because "a critical service with nobody on call"
        until   "someone is on call"
}

policy budget "Run cost under control" {
  applies to kind service
  enforcement soft
  not_yet over_budget when cost > 10000
        because "costs {cost} € a month"
        until   "cost at most 10000 € a month"
}

policy care "On-call for important services" {
  applies to kind service where criticality >= high
  enforcement advisory
  warn no_on_call when not on_call because "nobody is on call for a {criticality} service"
}
"""

STATES = """\
services:
  - name: orders
    criticality: high
    tier: 1
    readability: 4
    cost: 4000
    on_call: true
    secrets_in_repo: false
    depends_on: [ledger]
  - name: ledger
    criticality: high
    tier: 1
    readability: 4
    cost: 3000
    on_call: true
    secrets_in_repo: false
  - name: router
    criticality: medium
    tier: 2
    readability: 4
    cost: 16000
    on_call: true
    secrets_in_repo: false
  - name: edi
    criticality: medium
    tier: 2
    readability: 1
    cost: 12500
    on_call: true
    secrets_in_repo: false
  - name: vault
    criticality: critical
    tier: 1
    readability: 4
    cost: 2000
    on_call: true
    secrets_in_repo: true
"""

WAIVERS = """\
waivers:
  - id: W-1
    subject: router
    rule: budget.over_budget
    owner: team-routing
    approver: CFO
    rationale: doubled instances through the peak season
    compensating_measure: the excess is reported to finance every week
    granted: 2026-11-01
    expires: 2027-02-28
  - id: W-2
    subject: edi
    rule: budget.over_budget
    owner: team-edi
    approver: architecture board
    rationale: the bridge is retired in December
    compensating_measure: no new carrier goes through it
    granted: 2026-11-01
    expires: 2027-01-31
"""


def git(repo: Path, *args: str) -> str:
    environment = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    done = subprocess.run(
        ["git", *args], cwd=repo, env=environment, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for relative, text in {
        "policies/vocabulary.policy": VOCABULARY,
        "policies/gates.policy": POLICIES,
        "services/portfolio.yaml": STATES,
        "waivers/waivers.yaml": WAIVERS,
    }.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    return root


def run(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli.main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code in (0, 1, 3), result.output
    return result.stdout


def edit(repo: Path, old: str, new: str, *, after: str) -> None:
    """Replace OLD by NEW in the first place after the text AFTER (a subject's `- name: x` line)."""
    path = repo / "services" / "portfolio.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index(after)
    at = text.index(old, start)
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")


@dataclass(frozen=True)
class Outputs:
    """Everything decisionlang says about the head, and about the change from base to head."""

    check: str
    explain: dict[str, str]
    json_report: dict[str, object]
    base: dict[str, str]  # --base output per format
    history: str
    history_json: dict[str, object]
    report: str


FORMATS = ("text", "json", "markdown", "sarif", "junit", "github")


def outputs(repo: Path, tmp: Path, subjects: tuple[str, ...]) -> Outputs:
    log = tmp / "decisions.sqlite"
    git(repo, "stash", "-q")  # the base, as committed
    run("check", str(repo), "--as-of", AS_OF, "--record", str(log))
    git(repo, "stash", "pop", "-q")
    git(repo, "commit", "-q", "-am", "head")
    run("check", str(repo), "--as-of", AS_OF, "--record", str(log))
    base = {
        name: run("check", str(repo), "--as-of", AS_OF, "--base", "HEAD~1", "--format", name)
        for name in FORMATS
    }
    report_file = tmp / "report.html"
    run("report", str(repo), "--as-of", AS_OF, "--log", str(log), "-o", str(report_file))
    return Outputs(
        check=run("check", str(repo), "--as-of", AS_OF),
        explain={name: run("explain", name, str(repo), "--as-of", AS_OF) for name in subjects},
        json_report=json.loads(run("check", str(repo), "--as-of", AS_OF, "--format", "json")),
        base=base,
        history=run("history", "--log", str(log)),
        history_json=json.loads(run("history", "--log", str(log), "--format", "json")),
        report=report_file.read_text(encoding="utf-8"),
    )


def line_of(text: str, subject: str) -> str:
    return next(line for line in text.splitlines() if f" {subject} (" in line)


def mentions(output: str, *words: str) -> bool:
    return all(word in output for word in words)


def sarif_results(text: str) -> list[dict[str, object]]:
    results: list[dict[str, object]] = json.loads(text)["runs"][0]["results"]
    return results


def junit_text(text: str) -> str:
    return " ".join(element.text or "" for element in ET.fromstring(text).iter()) + " " + text


# ---------------------------------------------------------------- scenarios without a change


def test_a_waived_soft_policy_is_told_as_waived_everywhere(repo: Path, tmp_path: Path) -> None:
    edit(repo, "cost: 4000", "cost: 4001", after="- name: orders")  # a harmless change, for --base
    out = outputs(repo, tmp_path, ("router",))
    # check: GO, through the waiver
    assert "GO (waived: W-1, expires 2027-02-28)" in line_of(out.check, "router")
    # explain: the same verdict line, the waiver named, and the waived rule not "deciding" a GO policy
    explain = out.explain["router"]
    assert "Verdict: ✓ GO (waived: W-1, expires 2027-02-28)" in explain
    assert "It is GO only because of 1 waiver (W-1)" in explain
    assert "every policy that applies to it allows it" not in explain
    assert "GO (lifted from NOT YET by waiver W-1)" in explain
    assert "waived by W-1" in explain
    assert "this decided the policy's verdict" not in explain.split("Policy budget")[1].split("Policy ")[0]
    # JSON: the policy keeps its unwaived verdict and the waiver
    router = next(s for s in out.json_report["services"] if s["service"] == "router")  # type: ignore[attr-defined]
    budget = next(p for p in router["policies"] if p["policy"] == "budget")
    assert router["verdict"] == "go"
    assert budget["verdict"] == "go" and "W-1" in json.dumps(budget) and "not-yet" in json.dumps(budget)
    # the report: GO only because of the waiver
    assert "It is GO only because of 1 waiver (W-1)" in out.report


def test_a_waiver_that_lifts_nothing_is_not_credited(repo: Path, tmp_path: Path) -> None:
    """edi: its soft budget policy is waived, but the hard safety policy keeps it NOT YET anyway."""
    edit(repo, "cost: 4000", "cost: 4001", after="- name: orders")
    out = outputs(repo, tmp_path, ("edi",))
    assert "NOT YET (waiver changes nothing: W-2, expires 2027-01-31)" in line_of(out.check, "edi")
    explain = out.explain["edi"]
    assert "it stays NOT YET whatever the waivers do: policy safety holds it back" in explain
    assert "NOT YET only because of" not in out.report
    assert "it stays NOT YET whatever the waivers do: policy safety holds it back" in out.report
    assert "only because of" not in explain


# ---------------------------------------------------------------- scenarios with a change


def changed_subjects(out: Outputs) -> dict[str, set[str]]:
    """Which subjects each output reports as changed (moved or changed), from base to head."""
    changes = out.base["json"]
    data = json.loads(changes)["changes"]
    history_moves = {
        move["subject"]
        for move in out.history_json["moves"]  # type: ignore[union-attr]
        if move.get("kind") in ("moved", "changed")
    }
    return {"json": {c["service"] for c in data["subjects"]}, "history": history_moves}


def test_a_dependency_fact_change_is_the_same_in_base_and_history(repo: Path, tmp_path: Path) -> None:
    """orders (tier 1) depends on ledger; ledger drops to tier 2: orders is NOT YET by
    fragile_dependency, and every output names the dependency's fact with its owner."""
    edit(repo, "tier: 1", "tier: 2", after="- name: ledger")
    out = outputs(repo, tmp_path, ("orders",))
    assert "NOT YET" in line_of(out.check, "orders")
    assert "tier of ledger 1 -> 2" in out.base["text"]
    assert "`tier` of `ledger` `1` → `2`" in out.base["markdown"]
    assert "tier of ledger 1 -> 2" in out.history
    assert "(missing)" not in out.history
    assert any(
        "fragile_dependency" in str(result.get("ruleId")) for result in sarif_results(out.base["sarif"])
    )
    assert "orders" in out.base["github"] and "fragile_dependency" in out.base["github"]
    assert "fragile_dependency" in junit_text(out.base["junit"])


def test_an_unchanged_dependency_fact_is_never_reported_missing(repo: Path, tmp_path: Path) -> None:
    """Only orders' own readability changes; ledger's tier, read by orders' rules, stays 1."""
    edit(repo, "readability: 4", "readability: 2", after="- name: orders")
    out = outputs(repo, tmp_path, ("orders",))
    assert "(missing)" not in out.history
    assert "tier of ledger" not in out.history
    assert "tier of ledger" not in out.base["text"]
    assert "readability: 4 -> 2" in out.history or "readability 4 -> 2" in out.history


def test_a_second_policy_firing_on_a_no_go_subject_is_a_change_everywhere(repo: Path, tmp_path: Path) -> None:
    """vault is already NO-GO (secrets); losing its on-call makes `exposure` fire too: same verdict,
    one more deciding rule. check --base and history must both report it."""
    edit(repo, "on_call: true", "on_call: false", after="- name: vault")
    out = outputs(repo, tmp_path, ("vault",))
    assert "vault" in changed_subjects(out)["json"]
    assert "vault" in changed_subjects(out)["history"]
    for name in ("text", "markdown"):
        assert mentions(out.base[name], "vault", "exposure.unwatched"), name
    assert "exposure.unwatched" in out.history
    assert "no change" not in out.base["text"].lower().split("vault")[0][-200:]


def test_a_new_warning_on_an_edited_subject_appears_in_every_ci_format(repo: Path, tmp_path: Path) -> None:
    """orders loses its on-call: `care.no_on_call` warns; the verdict does not move."""
    edit(repo, "on_call: true", "on_call: false", after="- name: orders")
    out = outputs(repo, tmp_path, ("orders",))
    checks: dict[str, Callable[[str], bool]] = {
        "text": lambda text: "no_on_call" in text or "nobody is on call" in text,
        "markdown": lambda text: "nobody is on call" in text,
        "sarif": lambda text: any(r.get("ruleId") == "care.no_on_call" for r in sarif_results(text)),
        "junit": lambda text: "nobody is on call" in junit_text(text),
        "github": lambda text: "care.no_on_call" in text,
        "json": lambda text: "care.no_on_call" in json.dumps(json.loads(text)["changes"]),
    }
    for name, holds in checks.items():
        assert holds(out.base[name]), f"the new warning is missing from --format {name}"
    assert "orders" in changed_subjects(out)["json"]

"""What a policy test case pins: the policies under test, not the whole subject (docs/cli.md).

A test file named after a policy file (`tests/dora.test.yaml`, `dora.policy`) tests the policies
declared there; `policies: [...]` at the top of the file, or in one case, says otherwise. And
`decisionlang test DIR` reads the policies `decisionlang check` reads.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from decisionlang import cli
from decisionlang.engine.testing import run_tests

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "policies"
AS_OF = "2026-11-26"

GATES = """\
schema { tier: integer 1..3 }
policy a_gate { no_go low_tier when tier == 3 }
"""
STRICT = """\
policy b_gate { no_go always when tier >= 1 because "b blocks everything" }
"""
TEST = """\
as_of: 2026-11-26
cases:
  - name: tier 1 passes a_gate
    subjects: [{name: s, tier: 1}]
    expect: {verdict: go, rules: []}
  - name: tier 3 is stopped by a_gate
    subjects: [{name: s, tier: 3}]
    expect: {verdict: no-go, rules: [a_gate.low_tier]}
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _results(report: object) -> dict[str, bool]:
    return {case.case.name: case.passed for case in report.cases}  # type: ignore[attr-defined]


def test_a_test_file_named_after_a_policy_file_pins_that_file_s_policies(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {"policies/a.policy": GATES, "policies/b.policy": STRICT, "policies/tests/a.test.yaml": TEST},
    )
    report = run_tests(root / "policies")
    assert not report.errors, report.errors
    assert _results(report) == {"tier 1 passes a_gate": True, "tier 3 is stopped by a_gate": True}
    # Coverage counts what the cases of each policy reached: b_gate has no test of its own.
    covered = {rule.rule: rule.covered for rule in report.coverage.rules}
    assert covered == {"a_gate.low_tier": 2, "b_gate.always": 0}


def test_policies_all_tests_the_whole_set_as_before(tmp_path: Path) -> None:
    test = TEST.replace("as_of: 2026-11-26\n", "as_of: 2026-11-26\npolicies: all\n")
    root = _write(
        tmp_path,
        {"policies/a.policy": GATES, "policies/b.policy": STRICT, "policies/tests/a.test.yaml": test},
    )
    report = run_tests(root / "policies")
    assert _results(report) == {"tier 1 passes a_gate": False, "tier 3 is stopped by a_gate": False}
    first = report.cases[0].mismatches
    assert [(m.aspect, m.expected, m.actual) for m in first] == [
        ("verdict", "go", "no-go"),
        ("rules", (), ("b_gate.always",)),
    ]


def test_a_case_names_its_own_policies(tmp_path: Path) -> None:
    test = TEST + (
        "  - name: b blocks tier 1\n"
        "    policies: [b_gate]\n"
        "    subjects: [{name: s, tier: 1}]\n"
        "    expect: {verdict: no-go, rules: [b_gate.always], message_contains: [b blocks everything]}\n"
    )
    root = _write(
        tmp_path,
        {"policies/a.policy": GATES, "policies/b.policy": STRICT, "policies/tests/a.test.yaml": test},
    )
    report = run_tests(root / "policies")
    assert set(_results(report).values()) == {True} and len(report.cases) == 3


def test_expecting_a_rule_of_another_policy_is_a_located_error(tmp_path: Path) -> None:
    test = TEST.replace("rules: [a_gate.low_tier]", "rules: [a_gate.low_tier, b_gate.always]")
    test += (
        "  - name: x\n    subjects: [{name: s, tier: 1}]\n    expect: {verdict: go, policies: {b_gate: go}}\n"
    )
    root = _write(
        tmp_path,
        {"policies/a.policy": GATES, "policies/b.policy": STRICT, "policies/tests/a.test.yaml": test},
    )
    report = run_tests(root / "policies")
    shown = [(d.code, d.span.line if d.span else None, d.message) for d in report.errors]
    assert shown == [
        (
            "DL-TEST-RULE",
            8,
            "rule `b_gate.always` in `expect.rules` is not a rule of the policies under test",
        ),
        ("DL-TEST-POLICY", 11, "policy `b_gate` is not under test in this file"),
    ]
    assert "this file tests `a_gate`" in (report.errors[0].help or "")
    assert not report.cases


def test_an_unknown_policy_in_policies_is_a_located_error(tmp_path: Path) -> None:
    test = TEST.replace("as_of: 2026-11-26\n", "as_of: 2026-11-26\npolicies: [a_gat]\n")
    root = _write(tmp_path, {"policies/a.policy": GATES, "policies/tests/a.test.yaml": test})
    report = run_tests(root / "policies")
    assert [(d.code, d.message, d.help) for d in report.errors] == [
        ("DL-TEST-POLICY", "unknown policy `a_gat` in `policies`", "did you mean `a_gate`?")
    ]


def test_the_library_s_tests_pass_when_a_repo_adds_policies_of_its_own(tmp_path: Path) -> None:
    """The library copied into a repo beside a policy of the repo's that blocks every subject."""
    shutil.copytree(LIBRARY, tmp_path / "policies")
    (tmp_path / "policies" / "ours.policy").write_text(
        'policy house_rule "Ours" { applies to all\n  no_go frozen when true because "change freeze" }\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli.main, ["test", str(tmp_path / "policies"), "--as-of", AS_OF])
    assert result.exit_code == cli.EXIT_OK, result.output[-3000:]
    assert result.stdout.rstrip().endswith("113 passed, 0 failed")


def test_tuning_a_threshold_breaks_only_the_cases_that_depend_on_it(tmp_path: Path) -> None:
    """value_bar (GO from 55/100) raised to 80, and the change failure rate bar lowered to 10 %:
    only the cases of value_case fail (every test file had failing cases, 50 in all, when a case
    pinned the whole subject's verdict)."""
    shutil.copytree(LIBRARY, tmp_path / "policies")
    for name, old, new in (
        ("value_prioritisation.policy", "const value_bar   = 55", "const value_bar   = 80"),
        (
            "tradeoffs.policy",
            "const max_change_failure_rate    = 15%",
            "const max_change_failure_rate    = 10%",
        ),
    ):
        path = tmp_path / "policies" / name
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new), encoding="utf-8")
    report = run_tests(tmp_path / "policies")
    failed = [case.case for case in report.cases if not case.passed]
    # each one tests value_case, the gate whose bar moved; the change failure rate moved no verdict
    assert all("value_case" in case.policies for case in failed), [(c.file, c.policies) for c in failed]
    assert sorted({Path(case.file).name for case in failed}) == [
        "initiatives.test.yaml",
        "value_prioritisation.test.yaml",
    ]
    assert report.failed == 10


def test_test_and_check_read_the_same_policies(tmp_path: Path) -> None:
    """decisionlang.yaml lists rules/: a stray policy file elsewhere in the repo is read by neither."""
    root = _write(
        tmp_path,
        {
            "decisionlang.yaml": "policies: [rules]\nstates: [inventory]\n",
            "rules/a.policy": GATES,
            "rules/tests/a.test.yaml": TEST,
            "archive/old.policy": "policy old { no_go when",  # does not even parse
            "inventory/s.yaml": "services:\n  - {name: s, tier: 1}\n",
        },
    )
    for directory in (root, root / "rules", root / "rules" / "tests"):
        report = run_tests(directory)
        assert not report.errors, (directory, report.errors)
        assert report.passed == 2
    check = CliRunner().invoke(cli.main, ["check", str(root), "--as-of", AS_OF])
    assert check.exit_code == cli.EXIT_OK, check.output


def test_states_paths_work_as_the_docs_show(tmp_path: Path) -> None:
    """docs/cli.md: a copy of the quickstart, a test file in policies/tests/ reading
    `../../services/crm.yaml`; `decisionlang test` on the repo, its policies/ or policies/tests/."""
    shutil.copytree(ROOT / "examples" / "quickstart", tmp_path / "qs")
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    start = docs.index("# /tmp/qs/policies/tests/production.test.yaml\n")
    test = docs[start : docs.index("```", start)]
    _write(tmp_path / "qs", {"policies/tests/production.test.yaml": test})
    for directory in ("qs", "qs/policies", "qs/policies/tests"):
        report = run_tests(tmp_path / directory)
        assert not report.errors, (directory, report.errors)
        assert (report.passed, report.failed) == (3, 0), directory
        assert report.test_files == ("policies/tests/production.test.yaml",)

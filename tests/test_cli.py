"""The CLI end to end on the quickstart: outputs (golden), exit codes, and bad input of every kind."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result
from support import check_golden

from decisionlang import cli

ROOT = Path(__file__).parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
SCHEMA = json.loads((ROOT / "schemas" / "report-v3.schema.json").read_text(encoding="utf-8"))
AS_OF = ["--as-of", "2026-11-26"]


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli.main, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(QUICKSTART, target)
    return target


def test_check_text_golden() -> None:
    result = run("check", str(QUICKSTART), *AS_OF, "--no-color")
    assert result.exit_code == cli.EXIT_NO_GO
    check_golden("cli/check-quickstart.txt", result.stdout)
    assert "\x1b[" not in result.stdout


def test_check_json_golden_and_schema() -> None:
    result = run("check", str(QUICKSTART), *AS_OF, "--format", "json")
    assert result.exit_code == cli.EXIT_NO_GO
    payload = json.loads(result.stdout)
    jsonschema.validate(payload, SCHEMA)
    assert payload["summary"] == {"go": 2, "no-go": 1, "not-yet": 3}
    assert payload["verdict"] == "no-go"
    check_golden("cli/check-quickstart.json", result.stdout)


@pytest.mark.parametrize(
    "subject", ["data-lake", "fax-gateway", "ledger-db", "legacy-crm", "payments-api", "website"]
)
def test_explain_golden(subject: str) -> None:
    result = run("explain", subject, str(QUICKSTART), *AS_OF, "--no-color")
    assert result.exit_code == 0
    check_golden(f"cli/explain-{subject}.txt", result.stdout)


def test_explain_json_is_one_subject() -> None:
    result = run("explain", "legacy-crm", str(QUICKSTART), *AS_OF, "--format", "json")
    payload = json.loads(result.stdout)
    assert payload["service"] == "legacy-crm" and payload["verdict"] == "no-go"


def test_output_is_deterministic() -> None:
    first = run("check", str(QUICKSTART), *AS_OF, "--format", "json").stdout
    second = run("check", str(QUICKSTART), *AS_OF, "--format", "json").stdout
    assert first == second


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--service", "website"], cli.EXIT_OK),
        (["--service", "data-lake"], cli.EXIT_NOT_YET),
        (["--service", "data-lake", "--fail-on", "no-go"], cli.EXIT_OK),
        (["--service", "legacy-crm", "--fail-on", "no-go"], cli.EXIT_NO_GO),
        (["--service", "website", "--service", "legacy-crm"], cli.EXIT_NO_GO),
        (["--fail-on", "no-go"], cli.EXIT_NO_GO),
    ],
)
def test_exit_codes(args: list[str], code: int) -> None:
    assert run("check", str(QUICKSTART), *AS_OF, *args).exit_code == code


def test_as_of_replays_a_past_day() -> None:
    # On 2025-06-01 legacy-crm's vendor support had not ended yet: no NO-GO from `unsupported`.
    result = run(
        "check", str(QUICKSTART), "--as-of", "2025-06-01", "--service", "legacy-crm", "--format", "json"
    )
    rules = [rule for p in json.loads(result.stdout)["services"][0]["policies"] for rule in p["reasons"]]
    assert "change_readiness.unsupported" not in rules


def test_strict_turns_missing_information_into_an_error() -> None:
    result = run("check", str(QUICKSTART), *AS_OF, "--strict", "--service", "data-lake")
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-EVAL-MISSING" in result.stderr and "risk.compliance" in result.stderr


def test_unknown_service_suggests_a_name() -> None:
    result = run("check", str(QUICKSTART), "--service", "paymnts-api")
    assert result.exit_code == cli.EXIT_INVALID
    assert "no subject named `paymnts-api`" in result.stderr and "payments-api" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "--as-of", "31/03/2027"], "is not a date"),
        (["check", "--fail-on", "maybe"], "'maybe' is not one of"),
        (["check", "--format", "xml"], "'xml' is not one of"),
        (["check", "--bogus"], "No such option"),
        (["explain"], "Missing argument"),
    ],
)
def test_bad_flags_are_usage_errors(args: list[str], expected: str) -> None:
    result = run(*args, str(QUICKSTART)) if args != ["explain"] else run(*args)
    assert result.exit_code == cli.EXIT_INVALID
    assert expected in result.output


def test_missing_directory() -> None:
    result = run("check", "/nonexistent/decisions")
    assert result.exit_code == cli.EXIT_INVALID
    assert "is not a directory" in result.stderr


def test_output_file_is_written_atomically(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    result = run("check", str(QUICKSTART), *AS_OF, "--format", "json", "--output", str(target))
    assert result.exit_code == cli.EXIT_NO_GO and result.stdout == ""
    jsonschema.validate(json.loads(target.read_text(encoding="utf-8")), SCHEMA)
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_output_into_a_missing_directory_fails_cleanly(tmp_path: Path) -> None:
    result = run("check", str(QUICKSTART), *AS_OF, "--output", str(tmp_path / "no" / "report.txt"))
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-CLI-OUTPUT" in result.stderr
    assert not (tmp_path / "no").exists()


def test_color_is_forced_or_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    assert "\x1b[" in run("check", str(QUICKSTART), *AS_OF, "--color").stdout
    assert "\x1b[" not in run("check", str(QUICKSTART), *AS_OF, env={"NO_COLOR": "1"}).stdout
    # FORCE_COLOR colours output that is not a terminal (force-color.org); --no-color still wins
    forced = {"FORCE_COLOR": "1", "NO_COLOR": ""}
    assert "\x1b[" in run("check", str(QUICKSTART), *AS_OF, env=forced).stdout
    assert "\x1b[" not in run("check", str(QUICKSTART), *AS_OF, "--no-color", env=forced).stdout


@pytest.mark.parametrize(
    ("environment", "is_terminal", "colored"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # no-color.org: present and not empty
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),  # NO_COLOR first, as CPython 3.13
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "0"}, False, True),  # force-color.org: any non-empty value
        ({"FORCE_COLOR": ""}, False, False),
        ({"TERM": "dumb"}, True, False),
        ({"TERM": "dumb", "FORCE_COLOR": "1"}, True, True),
        ({"TERM": "xterm-256color"}, True, True),
    ],
)
def test_colour_follows_the_environment_conventions(
    environment: dict[str, str], is_terminal: bool, colored: bool
) -> None:
    from decisionlang.cli.common import color_from_environment

    assert color_from_environment(environment, is_terminal=is_terminal) is colored


def test_invalid_policy_exits_2_with_located_diagnostics(repo: Path) -> None:
    (repo / "policies" / "broken.policy").write_text(
        "policy broken {\n  no_go when tier = 1\n}\n", encoding="utf-8"
    )
    result = run("check", str(repo))
    assert result.exit_code == cli.EXIT_INVALID
    assert "policies/broken.policy:2:19: error[DL-PARSE-TOKEN]" in result.stderr
    assert "help: to compare, write `==`" in result.stderr
    assert "Traceback" not in result.output


def test_invalid_policy_in_json_mode_still_prints_one_object(repo: Path) -> None:
    (repo / "policies" / "broken.policy").write_text(
        "policy broken { no_go when critcality }\n", encoding="utf-8"
    )
    result = run("check", str(repo), "--format", "json")
    assert result.exit_code == cli.EXIT_INVALID
    payload = json.loads(result.stdout)
    assert payload["verdict"] is None
    assert payload["diagnostics"][0]["code"] == "DL-CHECK-UNDEFINED"
    assert payload["diagnostics"][0]["span"] == {
        "file": "policies/broken.policy",
        "line": 1,
        "column": 28,
        "end_line": 1,
        "end_column": 38,
    }
    jsonschema.validate(payload, SCHEMA)


def test_invalid_state_names_the_value(repo: Path) -> None:
    (repo / "services" / "bad.yaml").write_text("name: bad\ncriticality: hihg\ntier: 7\n", encoding="utf-8")
    result = run("validate", str(repo))
    assert result.exit_code == cli.EXIT_INVALID
    assert "services/bad.yaml:2:14" in result.stderr and "high" in result.stderr
    assert "services/bad.yaml:3:7" in result.stderr


def test_validate_clean_repo() -> None:
    result = run("validate", str(QUICKSTART))
    assert result.exit_code == cli.EXIT_OK
    assert result.stdout.startswith("valid: 5 files, 6 subjects, 0 errors")


def test_validate_json(repo: Path) -> None:
    (repo / "services" / "bad.yaml").write_text("name: website\n", encoding="utf-8")
    payload = json.loads(run("validate", str(repo), "--format", "json").stdout)
    assert payload["valid"] is False
    assert [d["code"] for d in payload["diagnostics"]] == ["DL-STATE-DUPLICATE"]


def test_import_outside_the_root_is_refused(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.policy").write_text("const x = 1\n", encoding="utf-8")
    (repo / "policies" / "escape.policy").write_text('import "../../secret.policy"\n', encoding="utf-8")
    result = run("validate", str(repo))
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-CHECK-IMPORT-OUTSIDE" in result.stderr


def test_binary_policy_file_is_a_clear_error(repo: Path) -> None:
    (repo / "policies" / "binary.policy").write_bytes(b"\xff\xfe\x00junk")
    result = run("check", str(repo))
    assert result.exit_code == cli.EXIT_INVALID
    assert "DL-PARSE-ENCODING" in result.stderr


def test_internal_errors_exit_70_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import decisionlang.api

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(decisionlang.api, "load_project", explode)
    result = CliRunner().invoke(cli.main, ["check", str(QUICKSTART)])
    assert result.exit_code == cli.EXIT_INTERNAL
    assert "internal error: RuntimeError: boom" in result.stderr
    assert "Traceback" not in result.output


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    completed = subprocess.run(
        [sys.executable, "-m", "decisionlang", "check", str(QUICKSTART), *AS_OF, "--service", "website"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "website" in completed.stdout


def test_a_bare_policy_directory_is_validated_as_a_policy_set() -> None:
    result = run("validate", str(QUICKSTART / "policies"))
    assert result.exit_code == cli.EXIT_OK
    assert result.stdout.startswith("valid: 2 files, 0 subjects, 0 errors, 1 warning")
    assert "DL-CONFIG-NO-STATES" in result.stderr


def test_a_configured_path_that_does_not_exist_is_an_error(repo: Path) -> None:
    (repo / "decisionlang.yaml").write_text("states: [services, typo_dir]\n", encoding="utf-8")
    result = run("validate", str(repo))
    assert result.exit_code == cli.EXIT_INVALID
    assert "state path `typo_dir` does not exist" in result.stderr


def test_a_linked_file_outside_the_project_is_skipped_with_a_warning(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("name: intruder\n", encoding="utf-8")
    (repo / "services" / "linked.yaml").symlink_to(outside)
    result = run("validate", str(repo))
    assert result.exit_code == cli.EXIT_OK
    assert "DL-CONFIG-OUTSIDE" in result.stderr and "services/linked.yaml" in result.stderr
    assert "6 subjects" in result.stdout


def test_no_trace_keeps_verdicts_and_reasons_without_facts() -> None:
    traced = json.loads(run("check", str(QUICKSTART), *AS_OF, "--format", "json").stdout)
    lean = json.loads(run("check", str(QUICKSTART), *AS_OF, "--format", "json", "--no-trace").stdout)
    jsonschema.validate(lean, SCHEMA)

    def reasons(report: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [
            (s["service"], s["verdict"], rule)
            for s in report["services"]
            for p in s["policies"]
            for rule in p["reasons"]
        ]

    assert reasons(lean) == reasons(traced)
    assert all("facts" not in r for s in lean["services"] for p in s["policies"] for r in p.get("rules", []))


def test_check_json_streamed_to_a_file_is_the_report_written_whole(tmp_path: Path) -> None:
    """`--format json` is written as evaluated: to a file (atomically) and to stdout, the bytes of
    render_json; a path that cannot be written leaves nothing behind."""
    from decisionlang.api import evaluate_project, load_project
    from decisionlang.render import render_json

    whole = render_json(evaluate_project(load_project(QUICKSTART), as_of=dt.date(2026, 11, 26)))
    target = tmp_path / "report.json"
    target.write_text("old", encoding="utf-8")
    result = run("check", str(QUICKSTART), *AS_OF, "--format", "json", "-o", str(target))
    assert result.exit_code == cli.EXIT_NO_GO
    assert target.read_text(encoding="utf-8") == whole
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.json"]  # no temporary left
    assert run("check", str(QUICKSTART), *AS_OF, "--format", "json").stdout == whole
    missing = tmp_path / "no-such-dir" / "report.json"
    failed = run("check", str(QUICKSTART), *AS_OF, "--format", "json", "-o", str(missing))
    assert failed.exit_code == cli.EXIT_INVALID and not missing.parent.exists()


def test_explain_one_rule_keeps_its_number_and_the_subjects_sections() -> None:
    full = run("explain", "legacy-crm", str(QUICKSTART), *AS_OF, "--no-color").stdout
    result = run(
        "explain", "legacy-crm", str(QUICKSTART), *AS_OF, "--no-color", "--rule", "change_readiness.unmapped"
    )
    assert result.exit_code == 0
    check_golden("cli/explain-legacy-crm-one-rule.txt", result.stdout)
    assert (
        "  3. rule change_readiness.unmapped" in result.stdout
        and "change_readiness.unsupported (no-go" not in result.stdout
    )
    assert result.stdout.split("What must hold for GO")[1] == full.split("What must hold for GO")[1]
    policy = run("explain", "legacy-crm", str(QUICKSTART), *AS_OF, "--rule", "on_call", "--format", "json")
    assert [item["policy"] for item in json.loads(policy.stdout)["policies"]] == ["on_call"]
    rule = run(
        "explain",
        "legacy-crm",
        str(QUICKSTART),
        *AS_OF,
        "--rule",
        "change_readiness.unmapped",
        "--format",
        "json",
    )
    assert [[r["rule"] for r in p["rules"]] for p in json.loads(rule.stdout)["policies"]] == [
        ["change_readiness.unmapped"]
    ]


def test_explain_an_unknown_rule_suggests_the_name_meant() -> None:
    result = run("explain", "legacy-crm", str(QUICKSTART), *AS_OF, "--rule", "change_readiness.unsuported")
    assert result.exit_code == cli.EXIT_INVALID
    assert (
        "error[DL-CLI-UNKNOWN-RULE]: no policy or rule named `change_readiness.unsuported`" in result.stderr
    )
    assert "did you mean `change_readiness.unsupported`?" in result.stderr

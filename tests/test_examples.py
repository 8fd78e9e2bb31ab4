"""The examples: the scale-up portfolio's verdicts (golden and explicit), its library copy, the quickstart.

examples/scaleup/ is a decision repo for a fictional 300-person scale-up that adopts the policy library
by copying it, with the waivers its board granted (examples/scaleup/waivers/). Its report is
golden-tested; the key verdicts are also asserted one by one with the rule that decides them, so that
a reviewer reads the intent here and a change of verdict is reviewed as such, not only as a golden
diff. DECISIONLANG_UPDATE_GOLDEN=1 (or `make golden`) regenerates the golden files.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner, Result
from support import check_golden

from decisionlang import cli

ROOT = Path(__file__).parent.parent
LIBRARY = ROOT / "policies"
SCALEUP = ROOT / "examples" / "scaleup"
QUICKSTART = ROOT / "examples" / "quickstart"
SCHEMA = json.loads((ROOT / "schemas" / "report-v3.schema.json").read_text(encoding="utf-8"))
AS_OF = ["--as-of", "2026-11-26"]


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def report_json() -> str:
    result = run("check", str(SCALEUP), *AS_OF, "--format", "json")
    assert result.exit_code == cli.EXIT_NO_GO, result.output
    return result.stdout


@pytest.fixture(scope="module")
def report(report_json: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(report_json)
    return payload


def subject(report: dict[str, Any], name: str) -> dict[str, Any]:
    found = [s for s in report["services"] if s["service"] == name]
    assert len(found) == 1, f"{name} is not in the report"
    return found[0]


def reasons(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """The decisive rules of a policy in the JSON report (`reasons` lists their ids)."""
    rules = [rule for rule in policy.get("rules", []) if rule.get("decisive")]
    assert [rule["rule"] for rule in rules] == policy["reasons"]
    return rules


def deciding_rules(entry: dict[str, Any]) -> set[str]:
    """Ids of the rules behind a NOT YET or a NO-GO: the `reasons` of the policies that did not say GO."""
    return {r["rule"] for p in entry["policies"] if p["verdict"] != "go" for r in reasons(p)}


def messages(entry: dict[str, Any]) -> str:
    return "\n".join(r["message"] for p in entry["policies"] for r in reasons(p))


def blocking_messages(entry: dict[str, Any]) -> list[str]:
    """The messages of the rules behind a NOT YET or a NO-GO."""
    return [r["message"] for p in entry["policies"] if p["verdict"] != "go" for r in reasons(p)]


def warning_rules(entry: dict[str, Any]) -> set[str]:
    return {w["rule"] for w in entry.get("warnings", [])}


def waiver_notes(report: dict[str, Any]) -> dict[str, str]:
    """The waiver warnings of a report, by code: {"DL-WAIVER-EXPIRED": message, ...}."""
    notes = [d for d in report["diagnostics"] if d["code"].startswith("DL-WAIVER-")]
    assert all(d["severity"] == "warning" for d in notes)
    assert all(d.get("span", d)["file"] == "waivers/delivery.yaml" for d in notes)
    return {d["code"]: d["message"] for d in notes}


def waived(entry: dict[str, Any]) -> dict[str, tuple[str, list[str]]]:
    """The policies a waiver lifted: {policy: (verdict without the waiver, waiver ids)}."""
    return {
        p["policy"]: (p.get("unwaived_verdict"), [w["id"] for w in p.get("waivers", [])])
        for p in entry["policies"]
        if p.get("waivers")
    }


# ---------------------------------------------------------------- the library copy


def test_scaleup_policies_are_an_exact_copy_of_the_library() -> None:
    """Decision repos adopt the library by copying it: `cp policies/*.policy examples/scaleup/policies/`."""
    library = {p.name: p.read_bytes() for p in sorted(LIBRARY.glob("*.policy"))}
    copy = {p.name: p.read_bytes() for p in sorted((SCALEUP / "policies").iterdir())}
    assert library, "the library has no .policy file"
    assert sorted(copy) == sorted(library), "examples/scaleup/policies/ must hold exactly policies/*.policy"
    drifted = [name for name in library if copy[name] != library[name]]
    resync = "cp policies/*.policy examples/scaleup/policies/"
    assert not drifted, f"out of sync with policies/: {drifted}; run `{resync}`"


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize("example", [SCALEUP, QUICKSTART], ids=["scaleup", "quickstart"])
def test_example_validates_without_errors_or_warnings(example: Path) -> None:
    result = run("validate", str(example))
    assert result.exit_code == cli.EXIT_OK, result.output
    assert result.stdout.startswith("valid: ")
    assert result.stdout.rstrip().endswith(" 0 errors, 0 warnings")


def test_scaleup_size() -> None:
    result = run("validate", str(SCALEUP))
    assert result.stdout.strip() == "valid: 19 files, 39 subjects, 0 errors, 0 warnings"


# ---------------------------------------------------------------- golden reports


def test_scaleup_check_text_golden() -> None:
    result = run("check", str(SCALEUP), *AS_OF, "--no-color")
    assert result.exit_code == cli.EXIT_NO_GO
    assert "\x1b[" not in result.stdout
    assert "39 subjects: 27 GO, 10 NOT YET, 2 NO-GO — overall NO-GO" in result.stdout.splitlines()
    assert "✓ GO (waived: W-2026-031, expires 2027-02-28)  routing-optimizer (service)" in result.stdout
    check_golden("examples/scaleup-check.txt", result.stdout)


def test_scaleup_check_json_golden_and_schema(report_json: str, report: dict[str, Any]) -> None:
    jsonschema.validate(report, SCHEMA)
    assert report["summary"] == {"go": 27, "no-go": 2, "not-yet": 10}
    assert report["verdict"] == "no-go"
    assert set(waiver_notes(report)) == {"DL-WAIVER-EXPIRED", "DL-WAIVER-EXPIRING", "DL-WAIVER-STALE"}
    assert len(report["diagnostics"]) == 3  # the three waiver warnings, nothing else
    check_golden("examples/scaleup-check.json", report_json)


def test_scaleup_explain_of_the_aiops_pilot_golden() -> None:
    """The `explain` the README walks through."""
    result = run("explain", "aiops-anomaly-detection", str(SCALEUP), *AS_OF, "--no-color")
    assert result.exit_code == cli.EXIT_OK
    check_golden("examples/scaleup-explain-aiops-anomaly-detection.txt", result.stdout)


# ---------------------------------------------------------------- the stories, verdict by verdict


def test_the_aiops_pilot_waits_for_the_h1_foundations_of_its_targets(report: dict[str, Any]) -> None:
    aiops = subject(report, "aiops-anomaly-detection")
    assert aiops["verdict"] == "not-yet"
    assert deciding_rules(aiops) == {"horizon_sequencing.h1_not_secured", "ai_readiness.storage_headroom"}
    text = messages(aiops)
    h1 = "H3 initiative on services whose H1 foundations do not hold: observability-platform, message-bus"
    assert h1 in text  # the trace names the targets
    assert "on observability-platform" in text  # the storage headroom names its target too
    assert "missing" not in aiops  # a reasoned NOT YET, not missing information


def test_the_groundwork_the_aiops_pilot_waits_for_is_go(report: dict[str, Any]) -> None:
    assert subject(report, "observability-foundations")["verdict"] == "go"
    observability = subject(report, "observability-platform")
    assert observability["verdict"] == "not-yet"
    assert deciding_rules(observability) == {
        "h1_foundations.fragility_unreviewed",
        "h1_foundations.costs_invisible",
    }
    assert warning_rules(observability) == {"weak_signals.bus_factor", "weak_signals.no_capacity_plan"}
    message_bus = subject(report, "message-bus")
    assert message_bus["verdict"] == "not-yet"
    assert deciding_rules(message_bus) == {"h1_foundations.fragility_unreviewed"}


def test_ai_is_sequenced_not_refused(report: dict[str, Any]) -> None:
    eta = subject(report, "eta-prediction-ml")
    assert eta["verdict"] == "go"
    assert "warnings" not in eta


def test_the_colo_exit_is_no_go_because_it_moves_an_unsupported_bridge(report: dict[str, Any]) -> None:
    colo = subject(report, "colo-exit-migration")
    assert colo["verdict"] == "no-go"
    assert "initiative_charter.builds_on_end_of_life" in deciding_rules(colo)
    assert "building on services past their end of support: carrier-edi-bridge" in messages(colo)


def test_billing_is_no_go_under_a_change_freeze(report: dict[str, Any]) -> None:
    billing = subject(report, "billing-engine")
    assert billing["verdict"] == "no-go"
    no_go = {r["rule"] for p in billing["policies"] if p["verdict"] == "no-go" for r in reasons(p)}
    assert no_go == {"delivery_balance.change_freeze"}
    assert "changes fail 34 % of the time (freeze from 30 %)" in messages(billing)
    # what else must change once the freeze lifts: its DORA class, and a dependency's H1 foundations
    assert deciding_rules(billing) == {
        "delivery_balance.change_freeze",
        "dora_delivery.below_expected_class",
        "h1_foundations.fragile_dependency",
    }
    assert "resting on dependencies whose H1 foundations do not hold: event-pipeline" in messages(billing)


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        (
            "returns-portal",
            {
                "maturity.readability",
                "dora.deploys_per_week",
                "dora.lead_time_hours",
                "dora.change_failure_rate",
                "dora.restore_hours",
                "slo.measured",
                "slo.target",
                "load.monthly_units",
                "cost.unit_target_eur",
            },
        ),
        ("warehouse-cost-cut", {"business_value"}),
    ],
)
def test_not_yet_for_missing_information_names_the_facts_and_the_file(
    report: dict[str, Any], name: str, fields: set[str]
) -> None:
    entry = subject(report, name)
    assert entry["verdict"] == "not-yet"
    assert {m["field"] for m in entry["missing"]} == fields
    assert all(m["file"].startswith(("services/", "initiatives/")) for m in entry["missing"])


@pytest.mark.parametrize(
    ("name", "verdict", "rules"),
    [
        ("carrier-edi-bridge", "not-yet", {"maturity_floor.below_floor"}),  # off standard: waived
        ("label-service", "not-yet", {"dora_delivery.below_expected_class"}),  # its waiver expired
        ("nordics-expansion", "not-yet", {"initiative_charter.awaiting_arbitration"}),
    ],
)
def test_other_not_yets_and_their_deciding_rules(
    report: dict[str, Any], name: str, verdict: str, rules: set[str]
) -> None:
    entry = subject(report, name)
    assert entry["verdict"] == verdict
    assert deciding_rules(entry) == rules


@pytest.mark.parametrize(
    ("name", "verdict", "warnings"),
    [
        ("secrets-vault", "go", {"weak_signals.bus_factor"}),
        ("event-pipeline", "go", {"weak_signals.bus_factor"}),
        ("corporate-vpn", "go", {"weak_signals.no_capacity_plan"}),
        ("erp", "go", {"weak_signals.end_of_life_soon", "dora_delivery.stale_measurement"}),
        ("carrier-edi-replacement", "go", {"weak_signals.emergency_driven"}),
        ("warehouse-cost-cut", "not-yet", {"weak_signals.budget_only", "weak_signals.no_criteria"}),
        (
            "carrier-edi-bridge",
            "not-yet",
            {"weak_signals.bus_factor", "weak_signals.no_capacity_plan", "weak_signals.end_of_life"},
        ),
    ],
)
def test_weak_signals_warn_without_deciding(
    report: dict[str, Any], name: str, verdict: str, warnings: set[str]
) -> None:
    entry = subject(report, name)
    assert entry["verdict"] == verdict
    assert warning_rules(entry) == warnings


def test_the_tier_1_carrier_gateway_is_held_by_the_fragile_bridge_it_rests_on(report: dict[str, Any]) -> None:
    """A critical service is only as solid as what it rests on: the tier-1 gateway passes every gate on
    its own facts, and is NOT YET because two of its direct dependencies do not hold their H1
    foundations; the message names them, and not the dependencies that hold (k8s-platform, secrets-vault)."""
    states = (SCALEUP / "services" / "delivery.yaml").read_text(encoding="utf-8")
    assert "depends_on: [carrier-edi-bridge, message-bus, k8s-platform, secrets-vault]" in states
    gateway = subject(report, "carrier-gateway")
    assert gateway["verdict"] == "not-yet"
    assert deciding_rules(gateway) == {"h1_foundations.fragile_dependency"}
    reason = "a critical service resting on dependencies whose H1 foundations do not hold: "
    assert blocking_messages(gateway) == [reason + "carrier-edi-bridge, message-bus"]
    assert "missing" not in gateway
    assert subject(report, "carrier-edi-bridge")["verdict"] == "not-yet"
    assert subject(report, "carrier-edi-replacement")["verdict"] == "go"  # the H1 fix of the bridge


def test_the_dependency_chain_reads_direct_dependencies_of_critical_services_only(
    report: dict[str, Any],
) -> None:
    intake = subject(report, "order-intake-api")
    assert intake["verdict"] == "not-yet"
    assert deciding_rules(intake) == {"h1_foundations.fragile_dependency"}
    assert blocking_messages(intake) == [
        "a critical service resting on dependencies whose H1 foundations do not hold: message-bus"
    ]
    # public-api rests on order-intake-api, whose own H1 foundations hold: the chain is not transitive
    assert subject(report, "public-api")["verdict"] == "go"
    # tracking-api (high) rests on message-bus too: the rule applies from criticité critical
    assert subject(report, "tracking-api")["verdict"] == "go"


# ---------------------------------------------------------------- waivers: assumed compromises


def test_an_active_waiver_lifts_the_cost_drift_of_the_routing_optimizer(report: dict[str, Any]) -> None:
    routing = subject(report, "routing-optimizer")
    assert routing["verdict"] == "go"
    assert waived(routing) == {"cost_discipline": ("not-yet", ["W-2026-031"])}
    cost = next(p for p in routing["policies"] if p["policy"] == "cost_discipline")
    assert [r["rule"] for r in reasons(cost)] == ["cost_discipline.off_balance"]  # the trace keeps it
    waiver = cost["waivers"][0]
    who = (waiver["owner"], waiver["approver"], waiver["expires"])
    assert who == ("team-orchestration", "CFO", "2027-02-28")
    assert "W-2026-031" not in "\n".join(waiver_notes(report).values())  # in force, not expiring
    assert warning_rules(routing) == {"cost_discipline.gold_plating"}


def test_the_text_report_shows_the_waiver_and_its_expiry() -> None:
    result = run("check", str(SCALEUP), *AS_OF, "--no-color", "-s", "routing-optimizer")
    assert result.exit_code == cli.EXIT_OK
    verdict = "✓ GO (waived: W-2026-031, expires 2027-02-28)  routing-optimizer (service)"
    assert result.stdout.startswith(verdict)
    assert "accepted by team-orchestration, approved by CFO, expires 2027-02-28" in result.stdout


def test_an_expired_waiver_no_longer_lifts_the_label_service(report: dict[str, Any]) -> None:
    label = subject(report, "label-service")
    assert label["verdict"] == "not-yet"
    assert deciding_rules(label) == {"dora_delivery.below_expected_class"}
    assert waived(label) == {}
    note = waiver_notes(report)["DL-WAIVER-EXPIRED"]
    assert note == "waiver `W-2026-019` on `label-service`: expired on 2026-10-31; it no longer applies"


def test_a_replay_before_the_expiry_sees_the_expired_waiver_still_lifting_its_subject() -> None:
    result = run("check", str(SCALEUP), "--as-of", "2026-10-15", "--format", "json", "-s", "label-service")
    assert result.exit_code == cli.EXIT_OK
    replay = json.loads(result.stdout)
    label = subject(replay, "label-service")
    assert label["verdict"] == "go"
    assert waived(label) == {"dora_delivery": ("not-yet", ["W-2026-019"])}
    assert waiver_notes(replay) == {
        "DL-WAIVER-EXPIRING": "waiver `W-2026-019` on `label-service`: expires on 2026-10-31, in 16 days"
    }


def test_a_waiver_expiring_within_30_days_lifts_one_policy_and_is_warned_about(
    report: dict[str, Any],
) -> None:
    """The architecture board waived the bridge's off-standard stack until its replacement's cut-over,
    not its maturity floor: the standards policy is lifted, the bridge stays NOT YET on the floor."""
    bridge = subject(report, "carrier-edi-bridge")
    assert bridge["verdict"] == "not-yet"
    assert waived(bridge) == {"standards_discipline": ("not-yet", ["W-2026-037"])}
    assert deciding_rules(bridge) == {"maturity_floor.below_floor"}
    note = waiver_notes(report)["DL-WAIVER-EXPIRING"]
    assert note == "waiver `W-2026-037` on `carrier-edi-bridge`: expires on 2026-12-18, in 22 days"


def test_a_waiver_whose_rule_no_longer_fires_is_stale(report: dict[str, Any]) -> None:
    note = waiver_notes(report)["DL-WAIVER-STALE"]
    waiver = "waiver `W-2026-004` on `carrier-gateway`"
    assert note == f"{waiver}: `standards_discipline.off_standard` no longer blocks `carrier-gateway`"
    gateway = subject(report, "carrier-gateway")
    assert waived(gateway) == {}
    standards = next(p for p in gateway["policies"] if p["policy"] == "standards_discipline")
    assert standards["verdict"] == "go"


def test_a_waiver_never_lifts_the_hard_dependency_chain(tmp_path: Path) -> None:
    """The dependency chain is hard: a waiver on it is an error at the waiver, nothing is evaluated."""
    copy = tmp_path / "scaleup"
    shutil.copytree(SCALEUP, copy)
    waivers = copy / "waivers" / "delivery.yaml"
    hard = (
        "  - id: W-2026-040\n    subject: carrier-gateway\n    rule: h1_foundations.fragile_dependency\n"
        "    owner: team-carriers\n    approver: CTO\n    rationale: the bridge is replaced in December\n"
        "    compensating_measure: a second engineer on call\n"
        "    granted: 2026-11-20\n    expires: 2027-01-31\n"
    )
    waivers.write_text(waivers.read_text(encoding="utf-8") + hard, encoding="utf-8")
    result = run("check", str(copy), *AS_OF, "-s", "carrier-gateway")
    assert result.exit_code == cli.EXIT_INVALID
    assert (
        "waivers/delivery.yaml:80:5: error[DL-WAIVER-HARD]: waiver `W-2026-040` on `carrier-gateway` names"
        in (result.stderr)
    )


# ---------------------------------------------------------------- the README


def test_readme_table_matches_the_report(report: dict[str, Any]) -> None:
    """The README's table of every subject gives the verdict the engine gives."""
    readme = (SCALEUP / "README.md").read_text(encoding="utf-8")
    row = re.compile(r"^\| `([a-z0-9-]+)` \| (service|initiative) \| (GO|NOT YET|NO-GO) \|", re.MULTILINE)
    rows = row.findall(readme)
    words = {"go": "GO", "not-yet": "NOT YET", "no-go": "NO-GO"}
    actual = {(s["service"], s["kind"], words[s["verdict"]]) for s in report["services"]}
    assert len(rows) == len(report["services"])
    assert set(rows) == actual


# ---------------------------------------------------------------------------------------------
# examples/terraform-gate and examples/slo: decisions on imported real files

TERRAFORM_GATE = Path("examples/terraform-gate")  # relative to ROOT: the import headers name these paths
SLO_EXAMPLE = Path("examples/slo")
GATE_AS_OF = ["--as-of", "2026-12-02"]

# How each plan of the gate is imported: the README gives the same commands.
GATE_IMPORTS = {
    "drop-orders-db": ["--service-tag", "tags.service"],
    "replace-tainted": ["--service-module", "null_resource.example=orders-api"],
    "gke-cluster": [
        "--service-module",
        "google_container_cluster=platform",
        "--service-module",
        "google_container_node_pool=platform",
    ],
}


def verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {entry["service"]: entry["verdict"] for entry in report["services"]}


@pytest.mark.parametrize("plan", sorted(GATE_IMPORTS))
def test_terraform_gate_imports_are_what_the_commands_give(
    plan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    source = TERRAFORM_GATE / "plans" / f"{plan}.json"
    result = run("import", "terraform-plan", str(source), *GATE_IMPORTS[plan])
    assert result.exit_code == 0, result.stderr
    committed = (TERRAFORM_GATE / "services" / f"{plan}.yaml").read_text(encoding="utf-8")
    assert result.stdout == committed, f"re-run the import of {source}: see examples/terraform-gate/README.md"
    readme = " ".join((TERRAFORM_GATE / "README.md").read_text(encoding="utf-8").replace("\\\n", " ").split())
    command = f"decisionlang import terraform-plan {source} {' '.join(GATE_IMPORTS[plan])}"
    assert command in readme


def test_terraform_gate_real_plans_are_the_shared_files() -> None:
    fixtures = ROOT / "tests" / "fixtures" / "tfplan"
    plans = ROOT / TERRAFORM_GATE / "plans"
    assert (plans / "replace-tainted.json").read_bytes() == (
        fixtures / "terraform-json__action_reason__plan.json"
    ).read_bytes()
    assert (plans / "gke-cluster.json").read_bytes() == (
        fixtures / "conftest__hcl1__gke-show.json"
    ).read_bytes()


def test_terraform_gate_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = run("check", str(TERRAFORM_GATE), *GATE_AS_OF)
    assert result.exit_code == cli.EXIT_NO_GO, result.output
    check_golden("examples/terraform-gate-check.txt", result.stdout)
    report = json.loads(run("check", str(TERRAFORM_GATE), *GATE_AS_OF, "--format", "json").stdout)
    assert verdicts(report) == {
        "aws_cloudwatch_log_group.batch": "not-yet",
        "aws_db_instance.orders": "no-go",
        "aws_s3_bucket.exports": "go",
        "aws_security_group.orders": "go",
        "drop-orders-db": "no-go",
        "gke-cluster": "go",
        "google_container_cluster.primary": "go",
        "google_container_node_pool.primary_preemptible_nodes": "not-yet",  # tier 1 on preemptible nodes
        "null_resource.example": "not-yet",
        "orders-api": "go",
        "platform": "go",
        "replace-tainted": "go",
        "reporting": "go",
    }
    database = subject(report, "aws_db_instance.orders")
    assert deciding_rules(database) == {"change_gate.destroys_data"}
    assert blocking_messages(database) == ["deletes `aws_db_instance.orders` of tier-1 service orders-api"]
    assert blocking_messages(subject(report, "drop-orders-db")) == ["it deletes aws_db_instance.orders"]
    assert blocking_messages(subject(report, "null_resource.example")) == [
        "replaces `null_resource.example` of tier-1 service orders-api (replace_because_tainted)"
    ]
    assert deciding_rules(subject(report, "aws_cloudwatch_log_group.batch")) == {"change_gate.unowned"}
    pool = subject(report, "google_container_node_pool.primary_preemptible_nodes")
    assert deciding_rules(pool) == {"gke_nodes.preemptible_nodes"}
    assert warning_rules(database) == {"database_deletes.no_final_snapshot"}
    cluster = subject(report, "google_container_cluster.primary")  # enable_legacy_abac = false, read
    assert [(p["policy"], p["verdict"]) for p in cluster["policies"]] == [
        ("change_gate", "go"),
        ("gke_clusters", "go"),
    ]


def test_terraform_gate_never_writes_the_sensitive_password() -> None:
    plan = (ROOT / TERRAFORM_GATE / "plans" / "drop-orders-db.json").read_text(encoding="utf-8")
    assert "redacted-in-this-example" in plan
    for state in (ROOT / TERRAFORM_GATE / "services").glob("*.yaml"):
        assert "redacted-in-this-example" not in state.read_text(encoding="utf-8"), state.name


def test_slo_import_is_what_the_command_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = run("import", "openslo", str(SLO_EXAMPLE / "openslo"))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (SLO_EXAMPLE / "services" / "slos.yaml").read_text(encoding="utf-8")
    shared = ROOT / "tests" / "fixtures" / "openslo"
    for copy in sorted((ROOT / SLO_EXAMPLE / "openslo").glob("*.yaml")):
        assert copy.read_bytes() == (shared / copy.name).read_bytes(), copy.name


def test_slo_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = run("check", str(SLO_EXAMPLE), *GATE_AS_OF)
    assert result.exit_code == cli.EXIT_NO_GO, result.output
    check_golden("examples/slo-check.txt", result.stdout)
    report = json.loads(run("check", str(SLO_EXAMPLE), *GATE_AS_OF, "--format", "json").stdout)
    slos = {name: verdict for name, verdict in verdicts(report).items() if name.startswith("slo:")}
    assert slos == {
        "slo:main-page": "not-yet",  # web-shop is tier 1; 0.99 < 0.995
        "slo:my-amazing-slo": "go",
        "slo:ratio": "not-yet",  # v1alpha Timeslices without a timeSliceWindow
        "slo:search-slo": "not-yet",
        "slo:service-availability/internal-objective": "no-go",  # `duration: 1m` is one minute
        "slo:service-availability/sla": "no-go",
        "slo:web-availability": "go",  # web is tier 2
    }
    assert deciding_rules(subject(report, "slo:service-availability/sla")) == {
        "slo_ambition.window_too_short"
    }
    assert deciding_rules(subject(report, "slo:ratio")) == {"slo_completeness.timeslices_without_slice"}
    assert warning_rules(subject(report, "slo:search-slo")) == {"slo_ambition.no_alerting"}
    # the services, from their objectives read backwards (`referrers(service)`)
    # an imported Service object, given its tier by a hand-written overlay
    assert verdicts(report)["example-service"] == "no-go"
    assert blocking_messages(subject(report, "example-service")) == ["no SLO names example-service"]
    for name in ("web-shop", "web-availability"):
        assert deciding_rules(subject(report, name)) == {"service_objectives.no_usable_objective"}
    assert verdicts(report)["web"] == "go"  # tier 2

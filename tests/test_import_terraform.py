"""`decisionlang import terraform-plan`: every real plan in tests/fixtures/tfplan/ (copies of the
shared real-world files), what each contains, the golden import, and malformed plans."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from support import check_golden

from decisionlang import cli
from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.inputs.importers.common import Unknown, input_files
from decisionlang.inputs.importers.terraform import ServiceMapping, import_terraform_plans

ROOT = Path(__file__).parent.parent
FIXTURES = Path("tests/fixtures/tfplan")  # relative to ROOT: display paths in goldens stay short
GKE = FIXTURES / "conftest__hcl1__gke-show.json"
REPLACE = FIXTURES / "terraform-json__action_reason__plan.json"
BASIC = FIXTURES / "terraform-json__120_basic__plan.json"


@pytest.fixture(autouse=True)
def _at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, ["import", "terraform-plan", *args], catch_exceptions=False)


def imported(path: Path, mapping: ServiceMapping | None = None) -> list[dict[str, Any]]:
    return list(import_terraform_plans([(str(path), path)], mapping).subjects)


# What each real plan holds, read from the files by hand: format version, then every resource
# change's address, summarised action and the values Terraform marks as known only after apply.
PLANS: dict[str, tuple[str, list[tuple[str, str, list[str]]]]] = {
    "conftest__hcl1__gke-show.json": (
        "0.1",
        [
            (
                "google_container_cluster.primary",
                "create",
                [
                    "additional_zones", "addons_config", "cluster_autoscaling", "cluster_ipv4_cidr",
                    "enable_binary_authorization", "enable_tpu", "endpoint", "id", "instance_group_urls",
                    "ip_allocation_policy", "logging_service", "master_auth[0].client_certificate",
                    "master_auth[0].client_key", "master_auth[0].cluster_ca_certificate", "master_version",
                    "monitoring_service", "network_policy", "node_config", "node_locations", "node_pool",
                    "node_version", "project", "region", "subnetwork", "zone",
                ],
            ),
            (
                "google_container_node_pool.primary_preemptible_nodes",
                "create",
                [
                    "id", "initial_node_count", "instance_group_urls", "management", "max_pods_per_node",
                    "name_prefix", "node_config[0].disk_size_gb", "node_config[0].disk_type",
                    "node_config[0].guest_accelerator", "node_config[0].image_type",
                    "node_config[0].local_ssd_count", "node_config[0].service_account", "project", "region",
                    "version", "zone",
                ],
            ),
        ],
    ),
    "terraform-json__013_module_depends_on__plan.json": (
        "0.1",
        [
            (
                "module.foo.data.null_data_source.data",
                "read",
                ["has_computed_default", "id", "outputs", "random"],
            ),
            ("module.foo.null_resource.resource", "create", ["id"]),
            ("null_resource.bar", "create", ["id"]),
        ],
    ),
    "terraform-json__120_basic__plan.json": (
        "1.1",
        [
            ("module.foo.null_resource.aliased", "create", ["id"]),
            ("module.foo.null_resource.foo", "create", ["id"]),
            ("null_resource.bar", "create", ["id", "triggers"]),
            ("null_resource.baz[0]", "create", ["id", "triggers"]),
            ("null_resource.baz[1]", "create", ["id", "triggers"]),
            ("null_resource.baz[2]", "create", ["id", "triggers"]),
            ("null_resource.foo", "create", ["id"]),
        ],
    ),
    "terraform-json__action_reason__plan.json": ("1.2", [("null_resource.example", "replace", ["id"])]),
    "terraform-json__config_resource_depends_on__plan.json": (
        "0.1",
        [("null_resource.bar", "replace", ["id"]), ("null_resource.foo", "no-op", [])],
    ),
    "terraform-json__has_changes__plan.json": (
        "0.1",
        [
            ("module.foo.null_resource.foo", "no-op", []),
            ("null_resource.bar", "no-op", []),
            ("null_resource.baz[0]", "no-op", []),
            ("null_resource.baz[1]", "no-op", []),
            ("null_resource.baz[2]", "no-op", []),
            ("null_resource.foo", "no-op", []),
        ],
    ),
    "terraform-json__has_checks__plan.json": (
        "1.2",
        [
            (
                'module.files.local_file.foo["file1.txt"]',
                "create",
                [
                    "content_base64sha256", "content_base64sha512", "content_md5", "content_sha1",
                    "content_sha256", "content_sha512", "id",
                ],
            ),
            (
                'module.files.local_file.foo["file2.txt"]',
                "create",
                [
                    "content_base64sha256", "content_base64sha512", "content_md5", "content_sha1",
                    "content_sha256", "content_sha512", "id",
                ],
            ),
        ],
    ),
    "terraform-json__moved_block__plan.json": ("1.2", [("random_id.test2", "no-op", [])]),
}  # fmt: skip


def test_every_real_plan_is_listed() -> None:
    assert sorted(path.name for path in FIXTURES.glob("*.json")) == sorted(PLANS)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_real_plan_changes(name: str) -> None:
    version, expected = PLANS[name]
    plan, *changes = imported(FIXTURES / name)
    assert plan["kind"] == "terraform_plan"
    assert plan["name"] == name.removesuffix(".json")
    assert plan["terraform.format_version"] == version
    assert plan.get("targets", []) == [address for address, _, _ in expected]
    assert [
        (c["name"], c["terraform.action"], c.get("terraform.after_unknown", [])) for c in changes
    ] == expected
    assert all(change["kind"] == "resource_change" for change in changes)
    assert all(change["terraform.plan"] == plan["name"] for change in changes)
    counts = {
        key.removeprefix("terraform.changes."): value for key, value in plan.items() if ".changes." in key
    }
    assert counts["total"] == len(expected)
    for action in ("create", "update", "replace", "delete", "read", "no-op"):
        assert counts[action.replace("-", "_")] == sum(1 for _, done, _ in expected if done == action)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_real_plan_matches_the_raw_json(name: str) -> None:
    """The fields come from the JSON itself: read it independently and compare."""
    raw = json.loads((ROOT / FIXTURES / name).read_text(encoding="utf-8"))
    _, *changes = imported(FIXTURES / name)
    for change, source in zip(changes, raw["resource_changes"], strict=True):
        assert change["terraform.address"] == source["address"]
        assert change["terraform.type"] == source["type"]
        assert change["terraform.provider"] == source["provider_name"]
        assert change["terraform.actions"] == source["change"]["actions"]
        assert change["terraform.module"] == source.get("module_address", "root")
        assert change["terraform.mode"] == source["mode"]
        assert change["terraform.deletes"] == ("delete" in source["change"]["actions"])
        assert change.get("terraform.action_reason") == source.get("action_reason")
        assert change.get("terraform.previous_address") == source.get("previous_address")


def test_values_known_after_apply_are_missing_never_guessed() -> None:
    _, cluster, pool = imported(GKE)
    after = cluster["change.after"]
    assert after["name"] == "my-gke-cluster"
    assert after["enable_legacy_abac"] is False
    assert isinstance(after["endpoint"], Unknown)  # written as null: missing information
    assert isinstance(after["master_auth"][0]["client_key"], Unknown)
    assert after["master_auth"][0]["username"] is None  # null in the plan, not unknown
    assert pool["change.after"]["node_config"][0]["preemptible"] is True
    assert isinstance(pool["change.after"]["node_config"][0]["disk_size_gb"], Unknown)


def test_replace_keeps_the_reason_and_both_sides() -> None:
    _, change = imported(REPLACE)
    assert change["terraform.actions"] == ["delete", "create"]
    assert change["terraform.action"] == "replace"
    assert change["terraform.action_reason"] == "replace_because_tainted"
    assert change["terraform.deletes"] is True and change["terraform.creates"] is True
    assert change["change.before"]["id"] == "8868159889619753631"
    assert isinstance(change["change.after"]["id"], Unknown)


# ---------------------------------------------------------------------------------------------
# services


def test_service_from_a_module_prefix_longest_wins() -> None:
    mapping = ServiceMapping(modules=(("module.foo", "foo-api"), ("module.foo.null_resource.foo", "foo-db")))
    _, *changes = imported(BASIC, mapping)
    services = {change["name"]: change.get("service") for change in changes}
    assert services["module.foo.null_resource.aliased"] == "foo-api"
    assert services["module.foo.null_resource.foo"] == "foo-db"
    assert services["null_resource.foo"] is None  # `module.foo` does not cover the root module


def test_service_from_a_tag_before_the_prefix(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path,
        [
            change("aws_db_instance.orders", ["delete"], before={"tags": {"service": "orders-api"}}),
            change("aws_s3_bucket.logs", ["create"], after={"tags": {"service": "logs"}}),
            change("aws_s3_bucket.raw", ["create"], after={"tags": {}}),
        ],
    )
    mapping = ServiceMapping(tags=("tags.service",), modules=(("aws_s3_bucket", "storage"),))
    result = import_terraform_plans([(plan.name, plan)], mapping)
    services = {s["name"]: s.get("service") for s in result.subjects}
    assert services["aws_db_instance.orders"] == "orders-api"  # a delete: read from `before`
    assert services["aws_s3_bucket.logs"] == "logs"
    assert services["aws_s3_bucket.raw"] == "storage"
    assert result.subjects[0]["terraform.services"] == ["orders-api", "logs", "storage"]


def test_unmapped_changes_are_reported(tmp_path: Path) -> None:
    result = run(str(BASIC), "--service-module", "module.foo=foo-api")
    assert result.exit_code == 0, result.stderr
    assert "module.foo -> service foo-api" in result.stderr
    assert "null_resource.bar: service: no service" not in result.stderr  # the finding is on its own line
    assert "5 of 7 changes have no service" in result.stderr
    unmapped = run(str(BASIC))
    assert "no service mapping declared" in unmapped.stderr


def test_sensitive_values_are_never_written(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path,
        [
            change(
                "aws_db_instance.orders",
                ["update"],
                before={"password": "old-secret", "engine": "postgres"},
                after={"password": "new-secret", "engine": "postgres"},
                before_sensitive={"password": True},
                after_sensitive={"password": True},
            )
        ],
    )
    result = run(str(plan))
    assert result.exit_code == 0, result.stderr
    assert "secret" not in result.stdout
    assert "password: null # sensitive: not written" in result.stdout
    assert "before.password, after.password" in result.stderr


# ---------------------------------------------------------------------------------------------
# golden output, determinism


def test_golden_import_of_every_real_plan() -> None:
    result = run(str(FIXTURES), "--service-tag", "tags.service", "--service-module", "module.foo=foo-api")
    assert result.exit_code == 0, result.stderr
    check_golden("import/terraform-plans.yaml", result.stdout)
    check_golden("import/terraform-report.txt", result.stderr)
    report = run(str(FIXTURES), "--report-format", "json", "--service-module", "module.foo=foo-api")
    check_golden("import/terraform-report.json", report.stderr)
    payload = json.loads(report.stderr)
    assert payload["source"] == "terraform-plan"
    assert payload["summary"]["items"] == 8 + sum(len(changes) for _, changes in PLANS.values())


def test_one_plan_golden() -> None:
    result = run(str(GKE), "--plan-name", "gke")
    assert result.exit_code == 0, result.stderr
    check_golden("import/terraform-gke.yaml", result.stdout)


def test_same_input_same_bytes() -> None:
    assert run(str(FIXTURES)).stdout == run(str(FIXTURES)).stdout


def test_several_plans_prefix_the_change_names() -> None:
    files = input_files([FIXTURES], (".json",), "plan file")
    result = import_terraform_plans(files)
    names = [subject["name"] for subject in result.subjects]
    assert len(names) == len(set(names))
    assert "terraform-json__120_basic__plan:null_resource.bar" in names
    assert "terraform-json__has_changes__plan:null_resource.bar" in names


# ---------------------------------------------------------------------------------------------
# malformed plans: located DL-IMPORT-* errors, exit 2, nothing written


def change(address: str, actions: list[str], **values: Any) -> dict[str, Any]:
    kind, _, name = address.rpartition(".")
    body = {"actions": actions, "before": None, "after": None, "after_unknown": {}}
    body.update(values)
    return {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": body,
    }


def write_plan(tmp_path: Path, changes: list[dict[str, Any]], name: str = "plan.json") -> Path:
    path = tmp_path / name
    plan = {"format_version": "1.2", "terraform_version": "1.9.5", "resource_changes": changes}
    path.write_text(json.dumps(plan, indent=2), encoding="utf-8")
    return path


ONE_CHANGE = (
    '{"format_version": "1.2", "resource_changes": [{"address": %s, "type": "t", "name": "n", "change": %s}]}'
)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("resource_changes: []\n", "plan.json:1:1: DL-IMPORT-JSON: not JSON: Expecting value"),
        ('{"format_version": "1.2",\n "resource_changes": [}\n', "plan.json:2:23: DL-IMPORT-JSON: not JSON"),
        ('{"format_version": NaN}', "DL-IMPORT-JSON: not JSON: `NaN` is not a JSON number"),
        ("[1, 2]", "plan.json:1:1: DL-IMPORT-PLAN: not a Terraform plan: expected a JSON object, got a list"),
        (
            '{"resource_changes": []}',
            "plan.json:1:1: DL-IMPORT-PLAN: not a Terraform plan: no `format_version`",
        ),
        (
            '{"format_version": "2.0", "resource_changes": []}',
            "plan.json:1:20: DL-IMPORT-PLAN: unsupported `format_version` '2.0'",
        ),
        ('{"format_version": 1.2}', "plan.json:1:20: DL-IMPORT-PLAN: `format_version` must be text, got 1.2"),
        (
            '{"format_version": "1.2", "values": {}}',
            "plan.json:1:1: DL-IMPORT-PLAN: not a Terraform plan: no `resource_changes`",
        ),
        (
            '{"format_version": "1.2", "resource_changes": {}}',
            "plan.json:1:47: DL-IMPORT-PLAN: `resource_changes` must be a list, got a mapping",
        ),
        (
            '{"format_version": "1.2", "resource_changes": [3]}',
            "plan.json:1:48: DL-IMPORT-PLAN: `resource_changes[0]` must be an object",
        ),
        (
            ONE_CHANGE % ("7", '{"actions": ["create"]}'),
            "plan.json:1:60: DL-IMPORT-PLAN: `resource_changes[0].address` must be text, got 7",
        ),
        (
            ONE_CHANGE % ('"t.n"', '{"actions": ["explode"]}'),
            'DL-IMPORT-PLAN: unknown action "explode" in `resource_changes[0].change.actions`',
        ),
        (
            ONE_CHANGE % ('"t.n"', '{"actions": "create"}'),
            "DL-IMPORT-PLAN: `resource_changes[0].change.actions` must be a non-empty list of actions",
        ),
        (
            '{"format_version": "1.2", "resource_changes": [{"address": "t.n", "type": "t", "name": "n"}]}',
            "DL-IMPORT-PLAN: `resource_changes[0].change` is missing",
        ),
        (
            b'{"format_version": "\xff"}',
            "plan.json:1:21: DL-IMPORT-JSON: plan file is not valid UTF-8: byte 0xff",
        ),
        ('{"a": 1, "a": 2}', "plan.json:1:10: DL-IMPORT-JSON"),  # a key given twice: located too
        (  # a key that is absent is reported at the object that lacks it, not at the plan's start
            '{"format_version": "1.2", "resource_changes": [{"address": "t.n", "change": {}}]}',
            "plan.json:1:48: DL-IMPORT-PLAN: `resource_changes[0].type` is missing",
        ),
        (
            '{"format_version": "1.2", "resource_changes": [{"address": "t.n", "change": {}}]}',
            "plan.json:1:77: DL-IMPORT-PLAN: `resource_changes[0].change.actions` is missing",
        ),
    ],
)
def test_malformed_plan_is_located(tmp_path: Path, content: str | bytes, expected: str) -> None:
    path = tmp_path / "plan.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(DecisionlangError) as caught:
        import_terraform_plans([("plan.json", path)])
    rendered = "\n".join(f"{d.where}: {d.code}: {d.message}" for d in caught.value.diagnostics)
    assert expected in rendered


def test_a_plan_without_changes_is_a_plan(tmp_path: Path) -> None:
    path = tmp_path / "empty.json"
    path.write_text('{"format_version": "1.2", "planned_values": {}}', encoding="utf-8")
    [plan] = import_terraform_plans([("empty.json", path)]).subjects
    assert plan["terraform.changes.total"] == 0
    assert "targets" not in plan


def test_cli_exits_2_writes_nothing_and_reports_every_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    state = tmp_path / "state.json"
    state.write_text('{"format_version": "1.0", "values": {}}', encoding="utf-8")
    target = tmp_path / "out.yaml"
    result = run(str(GKE), str(bad), str(state), "--output", str(target))
    assert result.exit_code == cli.EXIT_INVALID
    assert not target.exists()
    assert f"{bad}:1:2: error[DL-IMPORT-JSON]" in result.stderr
    assert f"{state}:1:1: error[DL-IMPORT-PLAN]" in result.stderr
    assert "this may be the JSON of a state" in result.stderr
    assert "decisionlang: 2 errors; nothing was imported" in result.stderr
    as_json = run(str(bad), "--report-format", "json")
    assert json.loads(as_json.stderr)["diagnostics"][0]["code"] == "DL-IMPORT-JSON"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--service-module", "module.orders"], "expected PREFIX=SERVICE"),
        (["--service-tag", "service"], "expected ATTRIBUTE.KEY"),
        (["--plan-name", "x", str(REPLACE)], "--plan-name names one plan"),
    ],
)
def test_bad_flags_are_usage_errors(args: list[str], message: str) -> None:
    result = run(str(GKE), *args)
    assert result.exit_code == cli.EXIT_INVALID
    assert message in result.stderr


def test_fixtures_are_the_shared_real_files() -> None:
    shared = ROOT.parent / "shared" / "realworld" / "tfplan"
    if not shared.is_dir():
        pytest.skip("the shared real-world files are not available")
    for fixture in sorted((ROOT / FIXTURES).glob("*.json")):
        assert fixture.read_bytes() == (shared / fixture.name).read_bytes(), fixture.name


def docs_schema() -> str:
    section = (ROOT / "docs" / "inputs.md").read_text(encoding="utf-8").split("## Terraform plans", 1)[1]
    match = re.search(r"```decisionlang\n(schema \{\n.*?\n\})\n```", section, re.S)
    assert match, "docs/inputs.md has no Terraform schema block"
    return match.group(1) + "\n"


def test_imported_plans_validate_with_the_docs_schema(tmp_path: Path) -> None:
    project = tmp_path / "repo"
    (project / "policies").mkdir(parents=True)
    (project / "services").mkdir()
    (project / "policies" / "terraform.policy").write_text(docs_schema(), encoding="utf-8")
    assert run(str(FIXTURES), "--output", str(project / "services" / "plans.yaml")).exit_code == 0
    result = CliRunner().invoke(cli.main, ["validate", str(project)])
    assert result.exit_code == cli.EXIT_OK, result.output
    assert "32 subjects, 0 errors" in result.output  # `change.before` / `change.after` are not declared
    declared = set(re.findall(r"^  ([a-z_.]+):", docs_schema(), re.M))
    written = {
        path
        for subject in import_terraform_plans(input_files([FIXTURES], (".json",), "p")).subjects
        for path in subject
    }
    # `observed` (a plan's timestamp) says when its facts were true: evidence, not a field
    assert written - {"name", "kind", "targets", "observed", "change.before", "change.after"} <= declared


def test_a_plan_from_standard_input() -> None:
    data = (ROOT / REPLACE).read_bytes()
    piped = CliRunner().invoke(
        cli.main,
        ["import", "terraform-plan", "-", "--plan-name", "pr-42"],
        input=data,
        catch_exceptions=False,
    )
    assert piped.exit_code == 0, piped.stderr
    from_file = run(str(REPLACE), "--plan-name", "pr-42")
    assert piped.stdout.replace("#   <stdin>", f"#   {REPLACE}") == from_file.stdout
    default = CliRunner().invoke(cli.main, ["import", "terraform-plan", "-"], input=data)
    assert "  - name: plan\n    kind: terraform_plan" in default.stdout
    bad = CliRunner().invoke(cli.main, ["import", "terraform-plan", "-"], input=b"{")
    assert bad.exit_code == cli.EXIT_INVALID
    assert (
        "<stdin>:2:1: error[DL-IMPORT-JSON]" in bad.stderr
        or "<stdin>:1:2: error[DL-IMPORT-JSON]" in bad.stderr
    )
    twice = run("-", "-")
    assert twice.exit_code == cli.EXIT_INVALID
    assert "standard input (`-`) can be read once" in twice.stderr

"""What to fund (`decisionlang plan`): the plan on examples/scaleup (golden outputs, the docs'
sample), the solver against a brute force over every subset of small random portfolios, the next
budget step against a scan of the budgets, table-driven cases of each reason to leave an initiative
out, bad inputs, the infeasible case and the missing extra."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import check_golden, docs_sample

from decisionlang import cli
from decisionlang.api import SourceSet, evaluate_project, load_project, plan
from decisionlang.core.diagnostics import DecisionlangError
from decisionlang.core.plan import PLAN_SCHEMA, LeftOutReason
from decisionlang.engine import solver
from decisionlang.engine.solver import Problem
from decisionlang.render.plan import render_plan_json, render_plan_markdown, render_plan_text

ROOT = Path(__file__).parent.parent
SCALEUP = ROOT / "examples" / "scaleup"
AS_OF = dt.date(2026, 11, 26)
SAMPLE = "plan examples/scaleup --as-of 2026-11-26 --budget 600000 --capacity team-platform=1"


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli.main, list(arguments), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def scaleup_plan():  # type: ignore[no-untyped-def]
    project = load_project(SCALEUP)
    report = evaluate_project(project, as_of=AS_OF)
    return plan(project, report, budget=600_000, capacities={"team-platform": 1})


# ---------------------------------------------------------------- scaleup


def test_scaleup_plan_tells_the_story(scaleup_plan) -> None:  # type: ignore[no-untyped-def]
    funded = {item.name: item for item in scaleup_plan.funded}
    assert set(funded) == {
        "zero-trust-programme",
        "carrier-edi-replacement",
        "observability-foundations",
        "nordics-expansion",
        "warehouse-cost-cut",
    }
    not_yet = {"nordics-expansion", "warehouse-cost-cut"}
    assert all(funded[name].mandatory for name in funded if name not in not_yet)
    assert all(funded[name].once is not None for name in not_yet)  # NOT YET, funded on their path to GO
    # counted as its path leaves it: a business value of at least 4 puts it at the bar of 55
    assert funded["warehouse-cost-cut"].value == 55
    reasons = {item.name: item.reason for item in scaleup_plan.left_out}
    assert reasons == {
        "eta-prediction-ml": LeftOutReason.DOES_NOT_FIT,
        "aiops-anomaly-detection": LeftOutReason.NOT_YET,
        "colo-exit-migration": LeftOutReason.NO_GO,
    }
    step = scaleup_plan.next_step
    assert step is not None and step.increase == 55_000
    assert step.added == ("eta-prediction-ml",) and step.removed == ("nordics-expansion",)
    assert scaleup_plan.budget_use.used == 585_000 and scaleup_plan.budget_use.binds


@pytest.mark.parametrize(
    ("name", "render"),
    [("txt", render_plan_text), ("md", render_plan_markdown), ("json", render_plan_json)],
)
def test_scaleup_golden(scaleup_plan, name, render) -> None:  # type: ignore[no-untyped-def]
    check_golden(f"plan/scaleup.{name}", render(scaleup_plan))


def test_json_is_deterministic_and_versioned(scaleup_plan) -> None:  # type: ignore[no-untyped-def]
    text = render_plan_json(scaleup_plan)
    data = json.loads(text)
    assert data["schema"] == PLAN_SCHEMA
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_the_governance_sample_is_the_output() -> None:
    sample = docs_sample("governance.md", SAMPLE)
    code, output = run(*SAMPLE.replace("examples/scaleup", str(SCALEUP)).split())
    assert code == cli.EXIT_OK
    assert output == sample


def test_the_cli_writes_markdown_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "plan.md"
    code, _ = run("plan", str(SCALEUP), "--as-of", "2026-11-26", "--budget", "600000", "-o", str(target))
    assert code == 0
    assert target.read_text(encoding="utf-8").startswith("What to fund")


def test_other_value_expressions(scaleup_plan) -> None:  # type: ignore[no-untyped-def]
    project = load_project(SCALEUP)
    report = evaluate_project(project, as_of=AS_OF)
    wsjf = plan(project, report, budget=600_000, value="wsjf_score")
    # the initiatives without WSJF figures are left out for it, with where to add them
    missing = [item for item in wsjf.left_out if item.reason is LeftOutReason.NO_VALUE]
    assert missing and all(item.missing for item in missing)


# ---------------------------------------------------------------- small portfolios, every reason


VOCABULARY = """\
scale horizon "Horizon" { H1 < H2 < H3 }
schema {
  horizon:           horizon "Horizon"
  worth:             number  "Value"
  cost.delivery_eur: number unit "€" "Cost"
  blocked:           bool    "Blocked"
}
policy gate "Gate" {
  applies to kind initiative
  no_go stop when blocked because "blocked by the board"
  go fine when not blocked
}
"""


def portfolio_files(items: list[dict[str, object]]) -> dict[str, str]:
    lines = ["initiatives:"]
    for item in items:
        lines.append(f"  - name: {item['name']}")
        lines.append(f"    owner: {item.get('owner', 'team-a')}")
        lines.append(f"    horizon: {item.get('horizon', 'H2')}")
        lines.append(f"    blocked: {str(item.get('blocked', False)).lower()}")
        if "worth" in item:
            lines.append(f"    worth: {item['worth']}")
        if "cost" in item:
            lines.append(f"    cost: {{delivery_eur: {item['cost']}}}")
        if item.get("depends_on"):
            lines.append(f"    depends_on: [{', '.join(item['depends_on'])}]")  # type: ignore[arg-type]
    return {"policies/v.policy": VOCABULARY, "initiatives/i.yaml": "\n".join(lines) + "\n"}


def plan_of(items: list[dict[str, object]], budget: float, capacities: dict[str, int] | None = None):  # type: ignore[no-untyped-def]
    project = load_project(SourceSet.from_memory(portfolio_files(items)), cache=False)
    assert not project.errors, project.errors
    report = evaluate_project(project, as_of=AS_OF)
    return plan(project, report, budget=budget, capacities=capacities, value="worth")


CASES = [
    (
        "displaced",
        [
            {"name": "a", "worth": 10, "cost": 60},
            {"name": "b", "worth": 6, "cost": 50},
            {"name": "c", "worth": 5, "cost": 50},
        ],
        100,
        None,
        {"b", "c"},
        {"a": LeftOutReason.DISPLACED},
    ),
    (
        "does not fit",
        [{"name": "a", "worth": 10, "cost": 160}, {"name": "b", "worth": 6, "cost": 50}],
        100,
        None,
        {"b"},
        {"a": LeftOutReason.DOES_NOT_FIT},
    ),
    (
        "capacity",
        [{"name": "a", "worth": 10, "cost": 10}, {"name": "b", "worth": 6, "cost": 10, "owner": "team-a"}],
        100,
        {"team-a": 1},
        {"a"},
        {"b": LeftOutReason.AT_CAPACITY},
    ),
    (
        "dependencies",
        [
            {"name": "a", "worth": 10, "cost": 10, "depends_on": ["x"]},
            {"name": "x", "worth": 1, "cost": 10, "blocked": True},
            {"name": "b", "worth": 1, "cost": 10, "depends_on": ["c"]},
            {"name": "c", "worth": 1, "cost": 95},
        ],
        100,
        None,
        {"c"},
        {
            "a": LeftOutReason.DEPENDS_ON_INELIGIBLE,
            "x": LeftOutReason.NO_GO,
            "b": LeftOutReason.DOES_NOT_FIT,
        },
    ),
    (
        "no cost, tie to the cheaper",
        [
            {"name": "a", "worth": 5},
            {"name": "b", "worth": 5, "cost": 20},
            {"name": "c", "worth": 5, "cost": 10},
        ],
        20,
        None,
        {"c"},
        {"a": LeftOutReason.NO_COST, "b": LeftOutReason.NO_GAIN},
    ),
    (
        "a budget is a hard limit, whatever the size of the other costs",
        [{"name": "a", "worth": 10, "cost": 1001}, {"name": "huge", "worth": 1, "cost": 10_000_000_000}],
        1000,
        None,
        set(),
        {"a": LeftOutReason.DOES_NOT_FIT, "huge": LeftOutReason.DOES_NOT_FIT},
    ),
    (
        "a small value beside a huge one still counts",
        [{"name": "a", "worth": 10_000_000_000, "cost": 0}, {"name": "b", "worth": 500, "cost": 10}],
        100,
        None,
        {"a", "b"},
        {},
    ),
    (
        "a mandatory initiative without a value is funded",
        [{"name": "a", "cost": 10, "horizon": "H1"}, {"name": "b", "worth": 3, "cost": 95}],
        100,
        None,
        {"a"},
        {"b": LeftOutReason.DOES_NOT_FIT},
    ),
    (
        "depending on itself asks nothing more",
        [{"name": "c", "worth": 4, "cost": 10, "owner": "team-b", "depends_on": ["c"]}],
        100,
        {"team-b": 0},
        set(),
        {"c": LeftOutReason.AT_CAPACITY},
    ),
    (
        "mandatory first",
        [{"name": "a", "worth": 1, "cost": 60, "horizon": "H1"}, {"name": "b", "worth": 9, "cost": 60}],
        100,
        None,
        {"a"},
        {"b": LeftOutReason.DOES_NOT_FIT},
    ),
]


@pytest.mark.parametrize(
    ("case", "items", "budget", "capacities", "funded", "reasons"), CASES, ids=[c[0] for c in CASES]
)
def test_conformance_cases(case, items, budget, capacities, funded, reasons) -> None:  # type: ignore[no-untyped-def]
    found = plan_of(items, budget, capacities)
    assert {item.name for item in found.funded} == funded
    assert {item.name: item.reason for item in found.left_out} == reasons
    for item in found.left_out:
        assert render_plan_text(found).count(item.name) >= 1


def test_infeasible_mandatory_says_which_constraint_and_by_how_much() -> None:
    items = [
        {"name": "a", "worth": 1, "cost": 70, "horizon": "H1", "owner": "t"},
        {"name": "b", "worth": 1, "cost": 50, "horizon": "H1", "owner": "t"},
    ]
    found = plan_of(items, 100, {"t": 1})
    assert not found.feasible and found.funded == ()
    budget, capacity = found.infeasible
    assert (budget.constraint, budget.needed, budget.over) == ("budget", 120, 20)
    assert (capacity.constraint, capacity.owner, capacity.over) == ("capacity", "t", 1)
    text = render_plan_text(found)
    assert "over the budget of 100 € by 20 €" in text and "over its capacity of 1 by 1" in text


def test_infeasible_exit_code(tmp_path: Path) -> None:
    sources = portfolio_files([{"name": "a", "worth": 1, "cost": 70, "horizon": "H1"}])
    for name, text in sources.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    code, output = run("plan", str(tmp_path), "--budget", "10", "--value", "worth", "--as-of", "2026-11-26")
    assert code == 1 and "No plan" in output


# ---------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--budget", "-1"], "out of range"),
        (["--budget", "nan"], "not a finite number"),
        (["--budget", "10", "--capacity", "foo"], "is not OWNER=N"),
        (["--budget", "10", "--capacity", "team=x"], "is not OWNER=N"),
        (["--budget", "10", "--capacity", "t1=1", "--capacity", "t1=5"], "gives t1 twice (1 and 5)"),
    ],
)
def test_usage_errors(arguments: list[str], expected: str) -> None:
    result = CliRunner().invoke(cli.main, ["plan", str(SCALEUP), *arguments])
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


def test_unknown_value_expression_is_a_located_diagnostic() -> None:
    result = CliRunner().invoke(
        cli.main,
        ["plan", str(SCALEUP), "--budget", "10", "--value", "value_scor + 1", "--as-of", "2026-11-26"],
    )
    assert result.exit_code == 2
    assert "--value:1:1" in result.output and "value_scor" in result.output
    assert "Traceback" not in result.output


def test_a_value_that_is_not_a_number() -> None:
    result = CliRunner().invoke(cli.main, ["plan", str(SCALEUP), "--budget", "10", "--value", "horizon"])
    assert result.exit_code == 2 and "DL-PLAN-TYPE" in result.output


def test_the_api_refuses_a_negative_budget() -> None:
    project = load_project(SCALEUP)
    report = evaluate_project(project, as_of=AS_OF)
    with pytest.raises(DecisionlangError):
        plan(project, report, budget=-1)
    with pytest.raises(DecisionlangError):
        plan(project, report, budget=1, capacities={"team-a": -1})


def test_without_highspy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(solver, "_loaded", [])
    monkeypatch.setitem(sys.modules, "highspy", None)  # `import highspy` raises ImportError
    code, output = run("plan", str(SCALEUP), "--budget", "10")
    assert code == cli.EXIT_INVALID
    lines = output.strip().splitlines()
    assert len(lines) == 1 and "pip install 'decisionlang[plan]'" in lines[0]
    project = load_project(SCALEUP)
    with pytest.raises(DecisionlangError, match="highspy"):
        plan(project, evaluate_project(project, as_of=AS_OF), budget=10)


# ---------------------------------------------------------------- the solver against a brute force


@st.composite
def portfolios(draw):  # type: ignore[no-untyped-def]
    n = draw(st.integers(0, 7))
    values = draw(st.lists(st.integers(0, 20), min_size=n, max_size=n))
    costs = draw(st.lists(st.integers(0, 30), min_size=n, max_size=n))
    owners = draw(st.lists(st.sampled_from(["p", "q", "r"]), min_size=n, max_size=n))
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    requires = draw(st.lists(st.sampled_from(pairs), max_size=4, unique=True)) if pairs else []
    forced = draw(st.sets(st.integers(0, n - 1), max_size=2)) if n else set()
    budget = draw(st.integers(0, 80))
    limits = draw(st.dictionaries(st.sampled_from(["p", "q", "r"]), st.integers(0, 3), max_size=2))
    groups: dict[str, list[int]] = {}
    for i, owner in enumerate(owners):
        groups.setdefault(owner, []).append(i)
    problem = Problem(
        values=[float(v) for v in values],
        costs=[float(c) for c in costs],
        groups={owner: tuple(items) for owner, items in groups.items()},
        requires=tuple(requires),
        forced=frozenset(forced),
    )
    return problem, float(budget), limits


def allowed(problem: Problem, chosen: frozenset[int], budget: float | None, limits: dict[str, int]) -> bool:
    if budget is not None and problem.cost_of(chosen) > budget:
        return False
    if not problem.forced <= chosen:
        return False
    if any(i in chosen and j not in chosen for i, j in problem.requires):
        return False
    return all(
        sum(1 for i in members if i in chosen) <= limits[group]
        for group, members in problem.groups.items()
        if group in limits
    )


def subsets(n: int):  # type: ignore[no-untyped-def]
    for size in range(n + 1):
        for chosen in itertools.combinations(range(n), size):
            yield frozenset(chosen)


def brute_best(problem: Problem, budget: float | None, limits: dict[str, int]) -> frozenset[int] | None:
    feasible = [chosen for chosen in subsets(problem.size) if allowed(problem, chosen, budget, limits)]
    if not feasible:
        return None
    # the highest value, then the lowest cost, then the earliest items kept
    return min(
        feasible,
        key=lambda chosen: (
            -problem.value_of(chosen),
            problem.cost_of(chosen),
            [i not in chosen for i in range(problem.size)],
        ),
    )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolios())
def test_the_solver_is_the_brute_force_optimum(case) -> None:  # type: ignore[no-untyped-def]
    problem, budget, limits = case
    expected = brute_best(problem, budget, limits)
    found = problem.best(budget, limits)
    assert found == expected
    if found is not None:
        assert allowed(problem, found, budget, limits)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolios())
def test_the_next_budget_step_is_the_smallest_that_raises_the_value(case) -> None:  # type: ignore[no-untyped-def]
    problem, budget, limits = case
    best = brute_best(problem, budget, limits)
    if best is None:
        return
    value = problem.value_of(best)
    cheapest = problem.cheapest_above(value, limits)
    # scanning every whole budget (costs are whole numbers): the first that buys more value
    scanned = None
    for more in range(0, 30 * max(problem.size, 1) + 1):
        raised = brute_best(problem, budget + more, limits)
        if raised is not None and problem.value_of(raised) > value:
            scanned = more
            break
    if scanned is None:
        assert cheapest is None
    else:
        assert cheapest is not None
        assert problem.cost_of(cheapest) - budget == scanned


def test_a_mandatory_initiative_that_cannot_be_funded_means_no_plan() -> None:
    found = plan_of([{"name": "a", "worth": 5, "horizon": "H1"}, {"name": "b", "worth": 3, "cost": 10}], 100)
    assert not found.feasible and [problem.constraint for problem in found.infeasible] == ["unfundable"]
    text = render_plan_text(found)
    assert "the mandatory initiative a cannot be funded as it stands: no cost given" in text


def test_a_not_yet_initiative_is_counted_as_its_path_to_go_leaves_it() -> None:
    """Its path to GO may change the very facts its value and cost are read from."""
    policy = VOCABULARY.replace(
        "  go fine when not blocked\n",
        '  not_yet pricey when cost.delivery_eur > 100 because "too dear"\n'
        '  not_yet weak when worth < 50 because "not worth it yet"\n'
        "  go fine when not blocked\n",
    )
    files = portfolio_files(
        [
            {"name": "a", "worth": 60, "cost": 500},
            {"name": "b", "worth": 10, "cost": 50},
            {"name": "c", "worth": 55, "cost": 80},
        ]
    )
    files["policies/v.policy"] = policy
    project = load_project(SourceSet.from_memory(files), cache=False)
    found = plan(project, evaluate_project(project, as_of=AS_OF), budget=200, value="worth")
    funded = {item.name: (item.cost, item.value) for item in found.funded}
    assert funded == {"a": (100, 60), "c": (80, 55)}  # a once its cost is cut to 100
    [b] = found.left_out
    assert (b.name, b.value, b.cost) == ("b", 50, 50)  # b once its worth reaches 50


def test_a_capacity_for_an_owner_nobody_has_is_warned_of() -> None:
    result = CliRunner().invoke(
        cli.main,
        [
            "plan",
            str(SCALEUP),
            "--as-of",
            "2026-11-26",
            "--budget",
            "600000",
            "--capacity",
            "team-platfrom=1",
        ],
    )
    assert result.exit_code == 0
    assert (
        "decisionlang: warning: --capacity team-platfrom: no initiative has this owner; "
        "did you mean `team-platform`?"
    ) in result.stderr


def test_a_stale_value_is_said_stale_not_missing() -> None:
    files = portfolio_files([{"name": "a", "worth": 5, "cost": 10}, {"name": "b", "worth": 4, "cost": 10}])
    files["policies/v.policy"] = VOCABULARY.replace(
        '  worth:             number  "Value"', '  worth:             number fresh for 30 days "Value"'
    )
    files["initiatives/i.yaml"] = files["initiatives/i.yaml"].replace(
        "    worth: 5\n", "    worth: {value: 5, observed: 2026-01-01, source: survey}\n"
    )
    project = load_project(SourceSet.from_memory(files), cache=False)
    found = plan(project, evaluate_project(project, as_of=AS_OF), budget=100, value="worth")
    [a] = found.left_out
    assert a.reason is LeftOutReason.NO_VALUE and a.missing == ()
    said = "worth is stale (observed 2026-01-01 by survey, older than 30 days): observe it again"
    assert f"no value given: `worth` is unknown: {said}" in render_plan_text(found)


def test_amounts_keep_their_cents_and_group_thousands() -> None:
    from decisionlang.render.plan import amount

    assert amount(600_000.5, "€") == "600 000.50 €"
    assert amount(120_000, "€") == "120 000 €"
    assert amount(12.25, None) == "12.25"

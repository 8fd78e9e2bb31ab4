"""Lists of objects (S45): aggregates over generated lists agree with a reference written from
docs/semantics.md (three-valued `any`/`all`/`none`, unknown `count`/`sum` when an item's field is
absent), through the real pipeline from YAML text; and the trace names the items it read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisionlang.api import evaluate_project, load_project
from decisionlang.core.model import Outcome
from decisionlang.inputs.sources import SourceSet

AS_OF = dt.date(2026, 11, 26)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Item = dict[str, Any]  # `size` and `ok` may be absent: missing information

items_strategy = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "size": st.integers(-20, 20),
            "ok": st.booleans(),
            "label": st.sampled_from(["a", "é", "z"]),
        },
    ),
    max_size=6,
)


def _yaml(items: list[Item]) -> str:
    def scalar(value: Any) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    lines = ["name: s", "items:" if items else "items: []"]
    for item in items:
        body = ", ".join(f"{key}: {scalar(value)}" for key, value in item.items())
        lines.append(f"  - {{{body}}}")
    return "\n".join(lines) + "\n"


def _any(values: list[bool | None]) -> bool | None:
    return True if True in values else None if None in values else False


def _all(values: list[bool | None]) -> bool | None:
    return False if False in values else None if None in values else True


def _size_above(item: Item, k: int) -> bool | None:
    return None if "size" not in item else item["size"] > k


def _both(item: Item, k: int) -> bool | None:
    """`i.ok and i.size > k`, Kleene."""
    ok, big = item.get("ok"), _size_above(item, k)
    if ok is False or big is False:
        return False
    return None if ok is None or big is None else True


def _outcomes(items: list[Item], k: int) -> dict[str, bool | None]:
    policy = f"""
schema {{ items: list of {{ size: integer, ok: bool, label: text }} }}
policy probe {{
  warn any_big when any(i in items: i.size > {k})
  warn all_big when all(i in items: i.size > {k})
  warn none_big when none(i in items: i.size > {k})
  warn any_both when any(i in items: i.ok and i.size > {k})
  warn count_big when count(i in items: i.size > {k}) == {{count}}
  warn sum_sizes when sum(i in items: i.size) == {{sum}}
  warn count_filter when count(filter(i in items: i.ok)) == {{kept}}
  warn labelled when any(i in items: i.label == "é")
}}
"""
    sizes = [item.get("size") for item in items]
    count = sum(1 for size in sizes if size is not None and size > k)
    total = sum(size for size in sizes if size is not None)
    kept = sum(1 for item in items if item.get("ok") is True)
    text = policy.replace("{count}", str(count)).replace("{sum}", str(total)).replace("{kept}", str(kept))
    project = load_project(
        SourceSet.from_memory({"policies/p.policy": text, "services/s.yaml": _yaml(items)})
    )
    assert not project.errors, [str(d) for d in project.errors]
    report = evaluate_project(project, as_of=AS_OF)
    traced = {
        rule.rule.split(".")[1]: rule.outcome
        for policy in report.subjects[0].policies
        for rule in policy.rules
    }
    meaning = {Outcome.FIRED: True, Outcome.NOT_FIRED: False, Outcome.UNKNOWN: None}
    return {name: meaning[outcome] for name, outcome in traced.items()}


@SETTINGS
@given(items_strategy, st.integers(-20, 20))
def test_aggregates_over_objects_follow_three_valued_logic(items: list[Item], k: int) -> None:
    found = _outcomes(items, k)
    big = [_size_above(item, k) for item in items]
    any_missing_size = any(value is None for value in big)
    assert found["any_big"] == _any(big)
    assert found["all_big"] == _all(big)
    assert found["none_big"] == (None if _any(big) is None else not _any(big))
    assert found["any_both"] == _any([_both(item, k) for item in items])
    assert found["count_big"] == (None if any_missing_size else True)
    assert found["sum_sizes"] == (None if any("size" not in item for item in items) else True)
    assert found["count_filter"] == (None if any("ok" not in item for item in items) else True)
    assert found["labelled"] == _any([None if "label" not in i else i["label"] == "é" for i in items])


def test_the_trace_names_each_item_read_and_where_it_is_written() -> None:
    policy = """
schema { git.pull_requests: list of { status: text, age_days: integer } }
policy hygiene {
  not_yet stale when any(pr in git.pull_requests: pr.status == "OPEN" and pr.age_days > 30)
}
"""
    state = (
        "name: s\ngit:\n  pull_requests:\n"
        "    - {status: MERGED, age_days: 90}\n    - status: OPEN\n      age_days: 45\n"
    )
    project = load_project(SourceSet.from_memory({"policies/p.policy": policy, "services/s.yaml": state}))
    report = evaluate_project(project, as_of=AS_OF)
    (rule,) = report.subjects[0].policies[0].rules
    facts = {fact.path: (fact.value, fact.location.line, fact.location.column) for fact in rule.facts}
    assert facts["git.pull_requests[1].status"] == ("OPEN", 5, 15)
    assert facts["git.pull_requests[1].age_days"] == (45, 6, 17)
    assert facts["git.pull_requests[0].status"] == ("MERGED", 4, 16)
    assert "git.pull_requests[0].age_days" not in facts  # `and` stopped at the status
    bound = [(c.expression, c.holds, c.bound) for c in rule.comparisons]
    assert bound == [
        ('pr.status == "OPEN"', False, "pr = git.pull_requests[0]"),
        ('pr.status == "OPEN"', True, "pr = git.pull_requests[1]"),
        ("pr.age_days > 30", True, "pr = git.pull_requests[1]"),
    ]


def test_an_error_inside_an_object_is_located_at_the_value() -> None:
    policy = "schema { changes: list of { action: text, after: { size: integer 0..10 } } }\n"
    state = "name: s\nchanges:\n  - action: create\n    after:\n      size: 11\n  - {action: 3}\n"
    project = load_project(SourceSet.from_memory({"policies/p.policy": policy, "services/s.yaml": state}))
    found = sorted((d.code, d.message, d.where) for d in project.errors)
    assert found == [
        (
            "DL-STATE-RANGE",
            "`size` of `after` of item 1 of `changes` must be an integer between 0 and 10, got 11",
            "services/s.yaml:5:13",
        ),
        ("DL-STATE-TYPE", "`action` of item 2 of `changes` must be text, got 3", "services/s.yaml:6:14"),
    ]


def test_an_allowed_value_set_is_checked_inside_objects_as_at_the_top_level() -> None:
    policy = (
        "schema {\n  job_size: integer in {1, 2, 3, 5, 8, 13, 20}\n"
        "  jobs: list of { size: integer in {1, 2, 3, 5, 8, 13, 20}, ok: bool }\n}\n"
    )
    state = "name: s\njob_size: 4\njobs:\n  - {size: 2, ok: true}\n  - size: 21\n    ok: false\n"
    project = load_project(SourceSet.from_memory({"policies/p.policy": policy, "services/s.yaml": state}))
    found = [(d.code, d.message, d.where, d.help) for d in project.errors]
    assert found == [
        (
            "DL-STATE-RANGE",
            "`job_size` must be one of 1, 2, 3, 5, 8, 13, 20, got 4",
            "services/s.yaml:2:11",
            "the closest allowed value is 3",
        ),
        (
            "DL-STATE-RANGE",
            "`size` of item 2 of `jobs` must be one of 1, 2, 3, 5, 8, 13, 20, got 21",
            "services/s.yaml:5:11",
            "the closest allowed value is 20",
        ),
    ]

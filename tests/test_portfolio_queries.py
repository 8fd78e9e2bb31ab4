"""Portfolio and reverse queries (S47, S48), and objects in the decision model: `referrers(f)` agrees
with a brute-force reading of every subject's field over generated portfolios, and a report holding
objects and referrers goes through the JSON codec unchanged."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisionlang.api import evaluate_project, load_project
from decisionlang.core.model import Report
from decisionlang.inputs.sources import SourceSet
from decisionlang.render import render_json

AS_OF = dt.date(2026, 11, 26)
NAMES = ("a", "b", "c", "d", "é")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

POLICY = """
schema { system: subject  uses: list of subject }
policy probe {
  warn who when true because "{name}|{referrers(system)}|{referrers(uses)}|{count(subjects)}"
}
"""

portfolios = st.dictionaries(
    st.sampled_from(NAMES),
    st.tuples(st.none() | st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), max_size=4)),
    min_size=1,
)


def _state(portfolio: dict[str, tuple[str | None, list[str]]]) -> str:
    lines = ["services:"]
    for name, (system, uses) in portfolio.items():
        fields = [f"name: {name}", f"uses: [{', '.join(u for u in uses if u in portfolio)}]"]
        if system is not None and system in portfolio:
            fields.append(f"system: {system}")
        lines.append("  - {" + ", ".join(fields) + "}")
    return "\n".join(lines) + "\n"


@SETTINGS
@given(portfolios)
def test_referrers_is_the_reverse_of_the_field(portfolio: dict[str, tuple[str | None, list[str]]]) -> None:
    files = {"policies/p.policy": POLICY, "services/s.yaml": _state(portfolio)}
    project = load_project(SourceSet.from_memory(files))
    assert not project.errors, [str(d) for d in project.errors]
    report = evaluate_project(project, as_of=AS_OF)
    found = {w.message.split("|")[0]: w.message.split("|")[1:] for s in report.subjects for w in s.warnings}
    names = sorted(portfolio)
    for name in names:
        by_system = [
            other for other in names if other != name and portfolio[other][0] == name and name in portfolio
        ]
        by_uses = [other for other in names if other != name and name in portfolio[other][1]]
        assert found[name] == [
            ", ".join(by_system) or "none",
            ", ".join(by_uses) or "none",
            str(len(names)),
        ]


def test_a_report_with_objects_and_referrers_goes_through_the_codec_unchanged() -> None:
    policy = """
schema { system: subject  changes: list of { action: text, after: { size: integer } } }
policy gate {
  not_yet big when count(referrers(system)) >= 0 and any(c in changes: c.after.size > 3)
    because "{filter(c in changes: c.after.size > 3)}"
}
"""
    state = (
        "services:\n  - {name: shop, changes: [{action: create, after: {size: 9}}, {action: update}]}\n"
        "  - {name: cart, system: shop, changes: []}\n"
    )
    project = load_project(SourceSet.from_memory({"policies/p.policy": policy, "services/s.yaml": state}))
    report = evaluate_project(project, as_of=AS_OF)
    data = json.loads(json.dumps(report.to_dict()))
    assert Report.from_dict(data) == report
    assert render_json(Report.from_dict(data)) == render_json(report)
    (shop,) = [subject for subject in report.subjects if subject.subject == "shop"]
    facts = {f.path: f.value for p in shop.policies for r in p.rules for f in r.facts}
    assert facts["changes"] == [{"action": "create", "after": {"size": 9}}, {"action": "update"}]
    assert facts["changes[0].after.size"] == 9
    assert facts["changes[1].after"] is None  # missing: the item has no `after`
    assert facts["referrers(system)"] == ["cart"]

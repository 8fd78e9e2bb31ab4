"""Property: `level`, `level_name` and `at_least` agree with a plain three-valued reference over
generated subjects, exemptions included (S36, S37, S50, S52): at_least(m, l) is decided whenever the
levels up to l are, whatever the levels above say."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from decisionlang.api import SourceSet, evaluate_project, load_project
from decisionlang.core.model import Outcome

LEVELS = ("bronze", "silver", "gold")
REQUIREMENTS = {level: (f"{level}_a", f"{level}_b") for level in LEVELS}
POLICY = (
    "schema { "
    + "  ".join(f"{name}: bool" for level in LEVELS for name in REQUIREMENTS[level])
    + " }\nmaturity ops {\n"
    + "".join(
        f"  level {level} {{ {' '.join(f'{name}: {name}' for name in REQUIREMENTS[level])} }}\n"
        for level in LEVELS
    )
    + "}\npolicy probe {\n"
    + "".join(f"  warn at_{level} when at_least(ops, {level})\n" for level in LEVELS)
    + '  warn shown when true because "{level(ops)} {level_name(ops)}"\n}\n'
)
WAIVER = """  - id: W-{n}
    subject: s{n}
    requirement: ops.{level}.{name}
    owner: o
    approver: a
    rationale: r
    compensating_measure: m
    granted: 2026-01-01
    expires: 2027-12-31
"""

Value = bool | None  # None: missing
Generated = tuple[dict[str, Value], tuple[str, str] | None]  # a subject's values, its exemption
subjects = st.lists(
    st.tuples(
        st.fixed_dictionaries(
            {name: st.sampled_from([True, False, None]) for level in LEVELS for name in REQUIREMENTS[level]}
        ),
        st.none() | st.sampled_from([(level, name) for level in LEVELS for name in REQUIREMENTS[level]]),
    ),
    min_size=1,
    max_size=6,
)


def _and(values: list[Value]) -> Value:
    if any(value is False for value in values):
        return False
    return None if any(value is None for value in values) else True


def _reference(values: dict[str, Value]) -> tuple[list[Value], str]:
    per_level = [_and([values[name] for name in REQUIREMENTS[level]]) for level in LEVELS]
    at_least = [_and(per_level[: k + 1]) for k in range(len(LEVELS))]
    reached, shown = 0, None
    for status in per_level:
        if status is True:
            reached += 1
            continue
        shown = "unknown unknown" if status is None else None
        break
    if shown is None:
        shown = f"{reached} {LEVELS[reached - 1] if reached else 'none'}"
    return at_least, shown


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=subjects)
def test_levels_agree_with_the_reference(
    generated: list[tuple[dict[str, Value], tuple[str, str] | None]],
) -> None:
    lines, waivers = ["services:"], []
    for n, (values, exempt) in enumerate(generated):
        given_values = ", ".join(f"{k}: {str(v).lower()}" for k, v in values.items() if v is not None)
        lines.append(f"  - {{name: s{n}{', ' if given_values else ''}{given_values}}}")
        if exempt is not None:
            waivers.append(WAIVER.format(n=n, level=exempt[0], name=exempt[1]))
    files = {"policies/p.policy": POLICY, "services/s.yaml": "\n".join(lines) + "\n"}
    if waivers:
        files["waivers/w.yaml"] = "waivers:\n" + "".join(waivers)
    project = load_project(SourceSet.from_memory(files))
    assert not project.errors, project.errors
    report = evaluate_project(project, as_of=dt.date(2026, 12, 2))
    outcome_of = {Outcome.FIRED: True, Outcome.NOT_FIRED: False, Outcome.UNKNOWN: None}
    for n, (values, exempt) in enumerate(generated):
        effective = dict(values)
        if exempt is not None and effective[exempt[1]] is not True:
            effective[exempt[1]] = True  # an exempted requirement counts as met (S52)
        at_least, shown = _reference(effective)
        result = next(subject for subject in report.subjects if subject.subject == f"s{n}")
        rules = {rule.rule: rule for rule in result.policies[0].rules}
        found = [outcome_of[rules[f"probe.at_{level}"].outcome] for level in LEVELS]
        assert found == at_least, (values, exempt)
        assert rules["probe.shown"].message == shown, (values, exempt)

"""Hypothesis strategies of YAML inputs: states, waivers, policy tests and `decisionlang.yaml`, written
as text so that odd scalars (`.inf`, `1e999`, 400-digit integers, compact and week dates, lone
surrogates as escapes), anchors and aliases, merge keys and keys that are not strings all occur."""

from __future__ import annotations

from hypothesis import strategies as st

from .mutate import ODD_SCALARS

FIELDS = ("name", "owner", "kind", "criticality", "risk", "note", "support_ends", "tags", "depends_on")
WAIVER_FIELDS = (
    "id",
    "subject",
    "rule",
    "policy",
    "owner",
    "approver",
    "rationale",
    "compensating_measure",
    "granted",
    "expires",
)
TEST_FIELDS = (
    "name",
    "subjects",
    "initiatives",
    "states",
    "subject",
    "as_of",
    "expect",
    "verdict",
    "decided_by",
)
CONFIG_FIELDS = ("policies", "states", "waivers", "polices")

PLAIN_SCALARS = (
    "alpha",
    "team-a",
    "critical",
    "low",
    "9",
    "0",
    "-1",
    "8.5",
    "2026-11-26",
    "2028-01-01",
    "gate.risky",
    "gate",
    "go",
    "no-go",
    "not-yet",
    "true",
    "false",
    "criticité",
    "12 000 €",
    "policies",
    "services",
    "../outside",
    "/etc/passwd",
    "services/a.yaml",
)

scalars = st.one_of(st.sampled_from(PLAIN_SCALARS), st.sampled_from(ODD_SCALARS), st.text(max_size=12))


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _scalar_text(value: str) -> str:
    if value in PLAIN_SCALARS or value in ODD_SCALARS:
        return value
    return _quoted(value)


@st.composite
def flow_value(draw: st.DrawFn, keys: tuple[str, ...] = FIELDS, depth: int = 0) -> str:
    """A flow-style YAML value: a scalar, a list, a mapping, possibly anchored or an alias."""
    kind = draw(st.integers(0, 9 if depth < 4 else 2))
    if kind <= 2:
        return _scalar_text(draw(scalars))
    if kind <= 4:
        items = draw(st.lists(flow_value(keys, depth + 1), max_size=4))
        return "[" + ", ".join(items) + "]"
    if kind <= 7:
        pairs = draw(st.lists(st.tuples(_key(keys), flow_value(keys, depth + 1)), max_size=5))
        return "{" + ", ".join(f"{key}: {value}" for key, value in pairs) + "}"
    if kind == 8:
        return f"&n{draw(st.integers(0, 3))} " + draw(flow_value(keys, depth + 1))
    return f"*n{draw(st.integers(0, 3))}"


def _key(keys: tuple[str, ...]) -> st.SearchStrategy[str]:
    odd = st.sampled_from(
        ("1", "null", "true", "[1, 2]", "? x", "<<", '"\\ud800"', ".inf", "2026-01-01", '""')
    )
    return st.one_of(st.sampled_from(keys), st.sampled_from(keys), odd)


@st.composite
def block_list(draw: st.DrawFn, top: str, keys: tuple[str, ...], template: dict[str, str]) -> str:
    """`top:` and a block list of mappings built from `template`, with keys and values replaced."""
    lines = [f"{top}:"]
    for _ in range(draw(st.integers(1, 3))):
        entry = dict(template)
        for _ in range(draw(st.integers(0, 3))):
            key = draw(_key(keys))
            entry[key] = draw(flow_value(keys))
        if draw(st.booleans()) and entry:
            del entry[draw(st.sampled_from(sorted(entry)))]
        first = True
        for key, value in entry.items():
            lines.append(f"  {'- ' if first else '  '}{key}: {value}")
            first = False
        if first:
            lines.append("  - {}")
    return "\n".join(lines) + "\n"


SUBJECT = {
    "name": "alpha",
    "owner": "team-a",
    "criticality": "critical",
    "risk": "9",
    "note": "fine",
    "support_ends": "2028-01-01",
}
WAIVER = {
    "id": "W-1",
    "subject": "alpha",
    "rule": "gate.risky",
    "owner": "team-a",
    "approver": "CIO",
    "rationale": "r",
    "compensating_measure": "m",
    "granted": "2026-01-01",
    "expires": "2027-03-31",
}


@st.composite
def yaml_input(draw: st.DrawFn) -> dict[str, str]:
    """The minimal repo with one YAML file generated: a state, a waiver file, a test file or the
    configuration."""
    from support import MINIMAL_PROJECT

    files = dict(MINIMAL_PROJECT)
    role = draw(st.sampled_from(("state", "waiver", "test", "config")))
    prefix = draw(st.sampled_from(("", "", "%YAML 1.1\n---\n", "\ufeff", "---\n", "x: &n0 [1]\n")))
    if role == "state":
        files["services/a.yaml"] = prefix + draw(block_list("services", FIELDS, SUBJECT))
    elif role == "waiver":
        files["waivers/w.yaml"] = prefix + draw(block_list("waivers", WAIVER_FIELDS, WAIVER))
    elif role == "test":
        subjects = draw(block_list("subjects", FIELDS, SUBJECT)).replace("\n", "\n    ").rstrip()
        expect = draw(flow_value(TEST_FIELDS))
        files["policies/gate.test.yaml"] = (
            f"{prefix}as_of: {draw(st.sampled_from(('2026-11-26', '20261126', '.inf', '2027-W09-7')))}\n"
            f"cases:\n  - name: {draw(flow_value(TEST_FIELDS))}\n    {subjects}\n    expect: {expect}\n"
        )
    else:
        value = draw(flow_value(CONFIG_FIELDS))
        files["decisionlang.yaml"] = f"{prefix}{draw(_key(CONFIG_FIELDS))}: {value}\n"
    return files

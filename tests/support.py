"""Shared test helpers: golden files. Set DECISIONLANG_UPDATE_GOLDEN=1 (or `make golden`) to rewrite them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

GOLDEN = Path(__file__).parent / "golden"


def check_golden(relative: str, actual: str) -> None:
    path = GOLDEN / relative
    if os.environ.get("DECISIONLANG_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"missing golden file {path}; run `make golden`"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{relative} differs from its golden file; review, then `make golden`"


def docs_sample(page: str, command: str) -> str:
    """The output docs/PAGE shows under `$ decisionlang COMMAND`, up to the end of its code block."""
    docs = (Path(__file__).parent.parent / "docs" / page).read_text(encoding="utf-8")
    prompt = f"$ decisionlang {command}\n"
    assert prompt in docs, f"docs/{page} shows no `decisionlang {command}`"
    return docs[docs.index(prompt) + len(prompt) :].split("```", 1)[0]


# A small decision repo that is valid and evaluates cleanly (no warning): the base that bad-input
# tests and the fuzzer change one file of. alpha is NO-GO on `gate.risky`, lifted by waiver W-1.
MINIMAL_PROJECT: dict[str, str] = {
    "policies/gate.policy": """\
scale criticality "Impact" { low < medium < high < critical }

schema {
  criticality:  criticality   "Impact of an outage"
  risk:         integer 0..10 "Security risk"
  note:         text          "A note"
  support_ends: date          "End of vendor support"
}

policy gate "Risky critical services wait" {
  applies to kind service
  enforcement soft
  no_go risky when criticality == critical and risk >= 8
        because "risk {risk}/10 on a critical service"
        until   "bring risk below 8"
  go supported when support_ends > today because "supported until {support_ends}"
}
""",
    "services/a.yaml": """\
services:
  - name: alpha
    owner: team-a
    criticality: critical
    risk: 9
    note: fine
    support_ends: 2028-01-01
""",
    "waivers/w.yaml": """\
waivers:
  - id: W-1
    subject: alpha
    rule: gate.risky
    owner: team-a
    approver: CIO
    rationale: replaced next quarter
    compensating_measure: weekly review
    granted: 2026-01-01
    expires: 2027-03-31
""",
    "policies/gate.test.yaml": """\
as_of: 2026-11-26
cases:
  - name: a low risk is GO
    subjects:
      - name: beta
        owner: team-b
        criticality: critical
        risk: 2
        note: ok
        support_ends: 2028-01-01
    expect:
      verdict: go
""",
}


def write_project(root: Path, files: Mapping[str, str | bytes | None] | None = None) -> Path:
    """Write MINIMAL_PROJECT under `root`, then `files` over it (text, bytes, or None to delete)."""
    for relative, content in {**MINIMAL_PROJECT, **(files or {})}.items():
        path = root / relative
        if content is None:
            path.unlink(missing_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return root

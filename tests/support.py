"""Shared test helpers: golden files. Set DECISIONLANG_UPDATE_GOLDEN=1 (or `make golden`) to rewrite them."""

from __future__ import annotations

import os
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

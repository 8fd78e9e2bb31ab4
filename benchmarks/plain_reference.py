"""The plain-Python reference of the end-to-end benchmark: the same decisions without decisionlang.

    .venv/bin/python benchmarks/plain_reference.py REPO -o OUT --as-of 2026-11-26

Reads every state file under REPO/services (both layouts: a `services:` list, or one subject as a
top-level mapping) with PyYAML's C loader (`yaml.load(..., CSafeLoader)`), flattens nested objects
into the dotted field names the engine uses, applies `portfolio.reference_decide` (the decisions of
`benchmarks/policies/bench.policy` written by hand) to every subject, and writes one JSON object:
`{"services": [{"service", "verdict", "warnings": [rule ids]}]}` in name order, as the JSON report
lists them. It validates nothing, keeps no positions and records no trace: it is the floor that
`decisionlang check REPO --format json` is compared with in `bench_scale.py`. Imports nothing of
decisionlang.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parent))

from portfolio import reference_decide

DAYS_PER_UNIT = {"day": 1, "week": 7, "month": 30, "year": 365}  # docs/semantics.md
DURATIONS = ("review_every",)
LISTS = ("tags", "depends_on")


@dataclass(frozen=True)
class PlainSubject:
    name: str
    fields: Mapping[str, Any]


@dataclass
class PlainPortfolio:
    subjects: list[PlainSubject]
    by_name: dict[str, PlainSubject] = field(default_factory=dict)
    dependents: dict[str, list[str]] = field(default_factory=dict)


def duration(text: str) -> dt.timedelta:
    """`90 days`, `12 weeks`, `6 months`, `1 year` as days."""
    amount, unit = text.split()
    return dt.timedelta(days=int(amount) * DAYS_PER_UNIT[unit.rstrip("s")])


def flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        if isinstance(value, dict):
            yield from flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def subject(data: Mapping[str, Any]) -> PlainSubject:
    fields = dict(flatten(data))
    for name in LISTS:
        fields.setdefault(name, [])
    for name in DURATIONS:
        if isinstance(fields.get(name), str):
            fields[name] = duration(fields[name])
    return PlainSubject(str(data["name"]), fields)


def read_states(root: Path) -> list[PlainSubject]:
    subjects: list[PlainSubject] = []
    for directory, _, names in os.walk(root / "services"):
        for name in names:
            if not name.endswith((".yaml", ".yml")):
                continue
            with open(os.path.join(directory, name), "rb") as stream:
                data = yaml.load(stream, Loader=yaml.CSafeLoader)
            items = data.get("services", [data])
            subjects.extend(subject(item) for item in items)
    return subjects


def portfolio_of(subjects: list[PlainSubject]) -> PlainPortfolio:
    ordered = sorted(subjects, key=lambda item: item.name)
    by_name = {item.name: item for item in ordered}
    dependents: dict[str, list[str]] = {item.name: [] for item in ordered}
    for item in ordered:
        for dependency in dict.fromkeys(item.fields["depends_on"]):
            if dependency in dependents and dependency != item.name:
                dependents[dependency].append(item.name)
    return PlainPortfolio(ordered, by_name, dependents)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("repo", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
    args = parser.parse_args(argv)
    portfolio = portfolio_of(read_states(args.repo))
    services = []
    for item in portfolio.subjects:
        verdict, warnings = reference_decide(item, portfolio, args.as_of)
        services.append({"service": item.name, "verdict": verdict, "warnings": list(warnings)})
    text = json.dumps({"services": services}, ensure_ascii=False, separators=(",", ":")) + "\n"
    partial = args.output.with_name(args.output.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Bad input of every kind, end to end: one row per input, run as a real `decisionlang` process.

Each row writes a few files over a small valid decision repo (`support.MINIMAL_PROJECT`), runs the
CLI in a subprocess and asserts what a user would see: the documented exit code, the `DL-*` code,
the `file:line:col`, no traceback and no Python internals, a bounded stderr, and generous ceilings
on the child's CPU time and peak memory (measured with wait4's rusage, so rows can run in
parallel). A row whose fix has not landed yet is marked `owner=...`: it runs as a strict xfail, and
the owner drops the mark with the fix.

Add a row: append a `BadInput(...)` to ROWS under your input kind. `{dir}` in `args` is the repo.
"""

from __future__ import annotations

import math
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest
from support import MINIMAL_PROJECT, write_project

from decisionlang.governance.decisionlog.store import MIGRATIONS

ROOT = Path(__file__).parent.parent
AS_OF = ("--as-of", "2026-11-26")

Kind = Literal[
    "policy", "state", "waiver", "test-file", "config", "flags", "git-base", "log", "output", "import"
]
Owner = Literal["outputs", "inputs", "language", "engine", "fuzz"]

# What a message must never show: a traceback, an exception class, a Python module's internals.
PYTHON_INTERNALS = re.compile(
    r"Traceback \(most recent call last\)|\b[A-Z][A-Za-z]*(?:Error|Exception)\b(?!\])"
    r"|\bdecimal\.|sys\.set_int_max_str_digits|<class '|object at 0x|File \"[^\"]+\.py\", line"
)
STDERR_CEILING = 64 * 1024  # bytes: a bad file gets a page of diagnostics, not a flood
OUTPUT_CEILING = 16 * 1024 * 1024  # bytes the child may write to any file before it is stopped


@dataclass(frozen=True)
class BadInput:
    id: str
    kind: Kind
    files: Mapping[str, str | bytes | None]  # relative path -> text, bytes, or None to delete
    args: tuple[str, ...]  # CLI arguments; "{dir}" is the decision repo
    exit_code: int
    code: str | None  # the DL-* code expected in stderr (or stdout for JSON); None: no diagnostic
    where: str | None = None  # a `file:line:col` substring expected next to it
    cpu_seconds: float = 5.0
    peak_mib: int = 300
    owner: Owner | None = None  # not fixed yet: a strict xfail until `owner` lands the fix
    git: bool = False  # commit MINIMAL_PROJECT in a git repo before writing `files`
    stderr_bytes: int = STDERR_CEILING
    absent: tuple[str, ...] = field(default=())  # texts that must not appear in stdout or stderr


def _repeat(text: str, times: int) -> str:
    return text * times


def _alias_chain(*, links: int, depth: int) -> str:
    """YAML anchors each `depth` lists deep around the previous one: shallow text, deep value."""
    lines = [f"d0: &a0 {'[' * depth}1{']' * depth}"]
    lines += [f"d{i}: &a{i} {'[' * depth}*a{i - 1}{']' * depth}" for i in range(1, links)]
    return "\n".join(lines) + "\n"


# A state whose `note` is 40 `a`s and a `!` (the regular-expression rows), and a waiver whose expiry
# date is in the compact form states refuse (the date rows replace it).
MINIMAL_STATE_WITH_NOTE = (
    "services:\n  - name: alpha\n    owner: team-a\n    criticality: low\n    risk: 1\n"
    f"    note: {'a' * 40}!\n    support_ends: 2028-01-01\n"
)
MINIMAL_WAIVER = (
    "waivers:\n  - id: W-1\n    subject: alpha\n    rule: gate.risky\n"
    "    owner: team-a\n    approver: CIO\n    rationale: r\n    compensating_measure: m\n"
    "    granted: 2026-01-01\n    expires: 20261218\n"
)


def _damaged_log(*, drop: str | None = None, page_of: str | None = None) -> bytes:
    """A decision log of the current schema, with `drop` run on it (a table or trigger dropped),
    or with the b-tree header of the root page of table `page_of` overwritten (a torn write)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "decisions.db"
        connection = sqlite3.connect(path)
        for step in MIGRATIONS:
            for statement in step:
                connection.execute(statement)
        connection.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        connection.execute(drop or "SELECT 1")
        connection.commit()
        page = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (page_of,)).fetchone()
        size = connection.execute("PRAGMA page_size").fetchone()[0]
        connection.close()
        data = bytearray(path.read_bytes())
    if page is not None:
        start = (page[0] - 1) * size
        data[start : start + 140] = b"\x0d\xff\xff\xff\xff\x00\x10" * 20
    return bytes(data)


ROWS: tuple[BadInput, ...] = (
    # ---- policy ----
    BadInput(
        "policy-duration-unknown-unit",
        "policy",
        {"policies/extra.policy": 'policy extra "E" {\n  warn w when support_ends - today < 4 hrs\n}\n'},
        ("check", "{dir}", *AS_OF),
        2,
        "DL-PARSE-TOKEN",
        "policies/extra.policy:2:40",
    ),
    BadInput(
        "policy-referrers-of-a-text-field",
        "policy",
        {"policies/extra.policy": 'policy extra "E" {\n  no_go x when count(referrers(note)) > 1\n}\n'},
        ("validate", "{dir}"),
        2,
        "DL-CHECK-TYPE",
        "policies/extra.policy:2:32",
    ),
    BadInput(
        "policy-object-unknown-field",
        "policy",
        {
            "policies/objects.policy": "schema { changes: list of { action: text } }\n"
            'policy o "O" {\n  no_go x when any(c in changes: c.actoin == "delete")\n}\n'
        },
        ("validate", "{dir}"),
        2,
        "DL-CHECK-UNDEFINED",
        "policies/objects.policy:3:34",
    ),
    BadInput(
        "policy-unclosed-brace",
        "policy",
        {"policies/gate.policy": 'policy p "P" {\n  applies to kind service\n'},
        ("validate", "{dir}"),
        2,
        "DL-PARSE",
        "policies/gate.policy:2:26",
    ),
    BadInput(
        "policy-unknown-field",
        "policy",
        {"policies/extra.policy": 'policy extra "E" {\n  no_go x when rsik >= 8 because "r"\n}\n'},
        ("validate", "{dir}"),
        2,
        "DL-CHECK-UNDEFINED",
        "policies/extra.policy:2:16",
    ),
    BadInput(
        "policy-library-import-is-a-path",
        "policy",
        {"policies/extra.policy": 'import "decisionlang:../../etc/passwd" as x\n'},
        ("validate", "{dir}"),
        2,
        "DL-CHECK-IMPORT-NOT-FOUND",
        "policies/extra.policy:1:1",
    ),
    BadInput(
        "policy-alias-of-an-own-file",
        "policy",
        {"policies/extra.policy": 'import "gate.policy" as g\n'},
        ("validate", "{dir}"),
        2,
        "DL-CHECK-IMPORT-ALIAS",
        "policies/extra.policy:1:1",
    ),
    BadInput(
        "policy-invalid-utf8",
        "policy",
        {"policies/extra.policy": b'policy extra "E\xff" {\n}\n'},
        ("validate", "{dir}"),
        2,
        "DL-",
        "policies/extra.policy:1:",
    ),
    BadInput(
        "policy-float-literal-too-large",
        "policy",
        {
            "policies/extra.policy": 'policy extra "E" {\n  no_go x when risk >= '
            + "9" * 400
            + '.5 because "r"\n}\n'
        },
        ("validate", "{dir}"),
        2,
        "DL-",
        "policies/extra.policy:2:24",
    ),
    BadInput(
        "policy-200-chained-defines",
        "policy",
        {
            "policies/extra.policy": "define e0 = risk\n"
            + "".join(f"define e{i} = e{i - 1} + 1\n" for i in range(1, 200))
            + 'policy extra "E" {\n  no_go x when e199 > 1000 because "r"\n}\n'
        },
        ("check", "{dir}", *AS_OF),
        2,
        "DL-CHECK-LIMIT",
        "policies/extra.policy:51:8",  # e50, the first of the chain over 100 levels deep
    ),
    BadInput(
        "policy-repeated-bad-token-1.9MB",
        "policy",
        {"policies/extra.policy": _repeat("} ", 950_000)},
        ("validate", "{dir}"),
        2,
        "DL-PARSE",
        "policies/extra.policy:1:1",
        cpu_seconds=5.0,
    ),
    BadInput(
        "policy-unclosed-string-1.9MB",
        "policy",
        {"policies/extra.policy": 'policy extra "' + _repeat("a", 1_900_000)},
        ("validate", "{dir}"),
        2,
        "DL-PARSE",
        "policies/extra.policy:1:",
    ),
    BadInput(
        "policy-regex-alternation-under-star",
        "policy",
        {
            "policies/extra.policy": 'policy extra "E" {\n  applies to kind service\n'
            '  no_go x when note matches "(a|a)*$" because "r"\n}\n',
            "services/a.yaml": MINIMAL_STATE_WITH_NOTE,
        },
        ("check", "{dir}", *AS_OF),
        1,  # the pattern matches (the empty match at the end): NO-GO, decided at once
        None,
    ),
    BadInput(
        "policy-regex-backreference",
        "policy",
        {
            "policies/extra.policy": 'policy extra "E" {\n'
            '  no_go x when note matches "(a)\\\\1" because "r"\n}\n'
        },
        ("validate", "{dir}"),
        2,
        "DL-CHECK-REGEX",
        "policies/extra.policy:2:29",
    ),
    BadInput(
        "policy-10000-nots",
        "policy",
        {
            "policies/extra.policy": 'policy extra "E" {\n  no_go x when '
            + _repeat("not ", 10_000)
            + "true\n}\n"
        },
        ("validate", "{dir}"),
        2,
        "DL-PARSE-LIMIT",
        "policies/extra.policy:2:",
    ),
    BadInput(
        "policy-100000-terms",
        "policy",
        {
            "policies/extra.policy": 'policy extra "E" {\n  no_go x when '
            + " + ".join(["risk"] * 100_000)
            + " > 1\n}\n"
        },
        ("validate", "{dir}"),
        2,
        "DL-PARSE-LIMIT",
        "policies/extra.policy:2:",
        cpu_seconds=10.0,  # 200,000 tokens: the parser reads about 100,000 a second
    ),
    BadInput(
        "policy-repeated-unknown-character-1.9MB",
        "policy",
        {"policies/extra.policy": _repeat("@", 1_900_000)},
        ("validate", "{dir}"),
        2,
        "DL-PARSE-CHARACTER",
        "policies/extra.policy:1:1",
    ),
    BadInput(
        "policy-unclosed-string-of-escapes-1.9MB",
        "policy",
        {"policies/extra.policy": 'policy extra "' + _repeat('\\"', 950_000)},
        ("validate", "{dir}"),
        2,
        "DL-PARSE-STRING",
        "policies/extra.policy:1:14",
    ),
    BadInput(
        "policy-duration-literal-too-large",
        "policy",
        {
            "policies/extra.policy": 'policy extra "E" {\n  no_go x when 1'
            + "0" * 306
            + ' years > 1 day because "r"\n}\n'
        },
        ("validate", "{dir}"),
        2,
        "DL-PARSE-RANGE",
        "policies/extra.policy:2:16",
    ),
    BadInput(
        "policy-doubling-defines-30-levels",
        "policy",
        {
            "policies/extra.policy": "define e0 = risk\n"
            + "".join(f"define e{i} = e{i - 1} + e{i - 1}\n" for i in range(1, 31))
            + 'policy extra "E" {\n  applies to kind service\n  no_go x when e30 < 0 because "r"\n}\n'
        },
        ("check", "{dir}", *AS_OF),
        0,
        None,
    ),
    BadInput(
        "policy-arithmetic-beyond-range",
        "policy",
        {
            "policies/extra.policy": 'policy extra "E" {\n  no_go x when risk * '
            + "1"
            + "0" * 300
            + " * "
            + "1"
            + "0" * 300
            + ' > 5 because "r"\n}\n'
        },
        ("check", "{dir}", *AS_OF),
        3,
        "DL-EVAL-RANGE",  # a warning in the report on stdout (the rule is undecided: NOT YET)
    ),
    BadInput(
        "policy-nested-aggregates-over-budget",
        "policy",
        {
            "policies/extra.policy": "define pairs = count(a in [risk, risk]: all(b in [risk]: a + b > 0))\n"
            'policy extra "E" {\n  no_go x when pairs > 5 because "r"\n}\n',
            "decisionlang.yaml": "limits:\n  evaluation_steps: 20\n",
        },
        ("check", "{dir}", *AS_OF),
        2,
        "DL-EVAL-LIMIT",
        "policies/extra.policy:1:",
    ),
    BadInput(
        "policy-misspelt-kind",
        "policy",
        {
            "policies/gate.policy": MINIMAL_PROJECT["policies/gate.policy"].replace(
                "applies to kind service", "applies to kind servce"
            )
        },
        ("check", "{dir}", *AS_OF),
        2,
        "DL-CHECK-NO-SUBJECT",
        "policies/gate.policy:11:19",
    ),
    BadInput(
        "policy-misspelt-tag",
        "policy",
        {
            "policies/gate.policy": MINIMAL_PROJECT["policies/gate.policy"].replace(
                "applies to kind service", 'applies to tagged "on-clustr"'
            ),
            "services/a.yaml": MINIMAL_PROJECT["services/a.yaml"].replace(
                "    note: fine\n", "    note: fine\n    tags: [on-cluster]\n"
            ),
        },
        ("validate", "{dir}"),
        2,
        "DL-CHECK-NO-SUBJECT",
        "policies/gate.policy:11:21",
    ),
    # ---- state ----
    BadInput(
        "state-object-item-out-of-range",
        "state",
        {
            "policies/objects.policy": "schema { changes: list of { action: text, size: integer 0..10 } }\n",
            "services/b.yaml": "name: beta\nchanges:\n"
            "  - {action: create, size: 3}\n  - {action: update, size: 99}\n",
        },
        ("validate", "{dir}"),
        2,
        "DL-STATE-RANGE",
        "services/b.yaml:4:28",
    ),
    BadInput(
        "state-object-item-not-a-mapping",
        "state",
        {
            "policies/objects.policy": "schema { changes: list of { action: text } }\n",
            "services/b.yaml": "name: beta\nchanges:\n  - create\n",
        },
        ("validate", "{dir}"),
        2,
        "DL-STATE-TYPE",
        "services/b.yaml:3:5",
    ),
    BadInput(
        "state-object-key-misspelled",
        "state",
        {
            "policies/objects.policy": "schema { changes: list of { action: text } }\n",
            "services/b.yaml": "name: beta\nchanges:\n  - {actoin: delete}\n",
        },
        ("validate", "{dir}"),
        2,
        "DL-STATE-UNKNOWN-FIELD",
        "services/b.yaml:3:6",
    ),
    BadInput(
        "state-objects-deeply-nested",
        "state",
        {
            "policies/objects.policy": "schema { o: list of " + "{ a: " * 60 + "text" + " }" * 60 + " }\n",
            "services/b.yaml": "name: beta\no:\n  - " + "{a: " * 60 + "x" + "}" * 60 + "\n",
        },
        ("validate", "{dir}"),
        2,
        "DL-",
    ),
    BadInput(
        "policy-table-misses-a-scale-value",
        "policy",
        {
            "policies/extra.policy": "const weight = {low: 1, medium: 2, high: 3}\n"
            'policy extra "E" {\n  warn heavy when weight[criticality] > 2 because "w"\n}\n'
        },
        ("validate", "{dir}"),
        2,
        "DL-CHECK-TABLE",
        "policies/extra.policy:3:19",
    ),
    BadInput(
        "policy-300-policies-reading-each-others-verdict",
        "policy",
        {
            "policies/extra.policy": "".join(
                f"policy p{i} {{ not_yet when verdict(p{i + 1}) != go }}\n" for i in range(300)
            )
            + "policy p300 { not_yet when risk > 1 }\n"
        },
        ("check", "{dir}", *AS_OF),
        2,
        "DL-CHECK-LIMIT",
        "policies/extra.policy:",
    ),
    BadInput(
        "policy-default-of-another-type",
        "policy",
        {"policies/extra.policy": 'policy extra "E" {\n  warn x when risk ?? "high" > 2 because "w"\n}\n'},
        ("validate", "{dir}"),
        2,
        "DL-CHECK-TYPE",
        "policies/extra.policy:2:23",
    ),
    BadInput(
        "state-value-outside-its-allowed-set",
        "state",
        {
            "policies/size.policy": "schema { job_size: integer in {1, 2, 3, 5, 8} }\n",
            "services/b.yaml": "name: beta\njob_size: 4\n",
        },
        ("validate", "{dir}"),
        2,
        "DL-STATE-RANGE",
        "services/b.yaml:2:11",
    ),
    BadInput(
        "state-yaml-syntax-error",
        "state",
        {"services/a.yaml": "services:\n  - name: alpha\n    risk: [1, 2\n"},
        ("validate", "{dir}"),
        2,
        "DL-STATE",
        "services/a.yaml:",
    ),
    BadInput(
        "state-datetime-without-time-zone",
        "state",
        {
            "policies/extra.policy": "schema { deployed_at: datetime }\n",
            "services/b.yaml": "name: beta\ndeployed_at: 2026-05-01T10:00:00\n",
        },
        ("validate", "{dir}"),
        2,
        "DL-STATE-TYPE",
        "services/b.yaml:2:14",
    ),
    BadInput(
        "state-duration-unknown-unit",
        "state",
        {
            "policies/extra.policy": "schema { rto: duration }\n",
            "services/b.yaml": "name: beta\nrto: PT4X\n",
        },
        ("validate", "{dir}"),
        2,
        "DL-STATE-TYPE",
        "services/b.yaml:2:6",
    ),
    BadInput(
        "state-json-syntax-error",
        "state",
        {"services/b.json": '{"services": [{"name": "beta", "risk": 1,}]}\n'},
        ("validate", "{dir}"),
        2,
        "DL-STATE-JSON",
        "services/b.json:1:42",
    ),
    BadInput(
        "state-json-nan",
        "state",
        {"services/b.json": '{"name": "beta",\n "risk": NaN}\n'},
        ("check", "{dir}", *AS_OF),
        2,
        "DL-STATE-JSON",
        "services/b.json:2:10",
    ),
    BadInput(
        "state-json-duplicate-key",
        "state",
        {"services/b.json": '{"name": "beta", "risk": 1, "risk": 2}\n'},
        ("validate", "{dir}"),
        2,
        "DL-STATE-JSON",
        "services/b.json:1:29",
    ),
    BadInput(
        "state-out-of-range-value",
        "state",
        {"services/a.yaml": MINIMAL_STATE_WITH_NOTE.replace("risk: 1", "risk: 11")},
        ("validate", "{dir}"),
        2,
        "DL-STATE",
        "services/a.yaml:5:11",
    ),
    BadInput(
        "state-invalid-utf8",
        "state",
        {
            "services/a.yaml": MINIMAL_STATE_WITH_NOTE.replace("note: ", "note: \udcff").encode(
                "utf-8", "surrogateescape"
            )
        },
        ("validate", "{dir}"),
        2,
        "DL-STATE",
        "services/a.yaml:6:",
    ),
    BadInput(
        "state-lone-surrogate-in-name",
        "state",
        {"services/a.yaml": MINIMAL_STATE_WITH_NOTE.replace("name: alpha", 'name: "alpha\\ud800"')},
        ("check", "{dir}", *AS_OF, "--format", "json"),
        2,
        "DL-STATE",
        "services/a.yaml:2:",
    ),
    BadInput(
        "state-lone-surrogate-in-note",
        "state",
        {"services/a.yaml": MINIMAL_STATE_WITH_NOTE.replace(f"note: {'a' * 40}!", 'note: "x\\ud800"')},
        ("validate", "{dir}"),
        2,
        "DL-STATE",
        "services/a.yaml:6:",
    ),
    BadInput(
        "state-400-digit-integer",
        "state",
        {
            "policies/extra.policy": 'schema { big: number "B" }\n'
            'policy extra "E" {\n  applies to kind service\n  no_go x when big > 1 because "r"\n}\n',
            "services/a.yaml": MINIMAL_STATE_WITH_NOTE + "    big: " + "9" * 400 + "\n",
        },
        ("check", "{dir}", *AS_OF),
        3,  # a warning where it is written (on stdout); every rule reading it is NOT YET (DL-EVAL-RANGE)
        "DL-STATE-NUMBER",
    ),
    BadInput(
        "state-5000-digit-integer",
        "state",
        {"services/a.yaml": MINIMAL_STATE_WITH_NOTE.replace("risk: 1", "risk: " + "9" * 5000)},
        ("validate", "{dir}"),
        0,  # a warning: `validate --warnings-as-errors` fails on it
        "DL-STATE-NUMBER",
        "services/a.yaml:5:11",
    ),
    BadInput(
        "state-float-literal-overflows",
        "state",
        {"services/a.yaml": MINIMAL_STATE_WITH_NOTE.replace("risk: 1", "risk: -1e999")},
        ("validate", "{dir}"),
        0,
        "DL-STATE-NUMBER",
        "services/a.yaml:5:11",
    ),
    BadInput(
        "state-file-name-not-utf8",
        "state",
        {"services/b\udcff.yaml": MINIMAL_STATE_WITH_NOTE.replace("alpha", "beta")},
        ("check", "{dir}", *AS_OF, "--format", "json"),
        2,
        "DL-STATE-READ",
        "services/b\\xff.yaml",
    ),
    BadInput(
        "state-lone-surrogate-in-key",
        "state",
        {"services/a.yaml": MINIMAL_STATE_WITH_NOTE + '    "x\\udc00": 1\n'},
        ("check", "{dir}", *AS_OF),
        2,
        "DL-STATE-YAML",
        "services/a.yaml:8:7",
    ),
    BadInput(
        "state-alias-chain-depth",
        "state",
        {"services/a.yaml": _alias_chain(links=40, depth=60) + "services: []\n"},
        ("validate", "{dir}"),
        2,
        "DL-STATE",
        "services/a.yaml:",
    ),
    BadInput(
        # The last shape the long fuzz run found slow: a flow list 250 deep inside a field, unknown
        # aliases after it, and a policy test file beside it.
        "state-flow-list-250-deep-with-unknown-aliases",
        "state",
        {
            "services/a.yaml": "services:\n  - name: a\n    owner: [" + "[" * 250 + "]" * 250 + ", *x, *y]\n",
            "policies/gate.test.yaml": "cases: []\n",
        },
        ("validate", "{dir}"),
        2,
        "DL-STATE-LIMIT",
        "services/a.yaml:3:",
    ),
    BadInput(
        "state-tree-200-directories-deep",  # 1,000 deep: tests/test_input_hardening.py
        "state",
        {"services/" + "d/" * 200 + "b.yaml": MINIMAL_STATE_WITH_NOTE.replace("alpha", "beta")},
        ("validate", "{dir}"),
        2,
        "DL-CONFIG-LIMIT",
        "services/" + "d/" * 32 + "d:",
    ),
    BadInput(
        "state-one-line-2000-errors",
        "state",
        {
            "services/a.yaml": "services: ["
            + ", ".join(f"{{name: s{i}, risk: x}}" for i in range(2000))
            + "]\n"
        },
        ("validate", "{dir}"),
        2,
        "DL-STATE",
        "services/a.yaml:1:",
    ),
    BadInput(
        "state-workflow-command-injection",
        "state",
        {
            "policies/extra.policy": 'policy extra "E" {\n  applies to kind service\n'
            '  not_yet x when note != "" because "the note says {note}"\n}\n',
            "services/a.yaml": MINIMAL_STATE_WITH_NOTE.replace(
                f"note: {'a' * 40}!", 'note: "ok\\n::error::pwned"'
            ),
        },
        ("check", "{dir}", *AS_OF),
        3,
        None,
        absent=("\n::error",),
    ),
    # ---- waiver ----
    BadInput(
        "waiver-missing-field",
        "waiver",
        {"waivers/w.yaml": "waivers:\n  - id: W-1\n    subject: alpha\n    rule: gate.risky\n"},
        ("validate", "{dir}"),
        2,
        "DL-WAIVER",
        "waivers/w.yaml:2:",
    ),
    BadInput(
        "waiver-exempts-a-misspelt-requirement",
        "waiver",
        {
            "policies/ops.policy": "maturity ops { level basic { documented: risk < 5 } }\n",
            "waivers/w.yaml": MINIMAL_WAIVER.replace(
                "rule: gate.risky", "requirement: ops.basic.documentd"
            ).replace("20261218", "2026-12-18"),
        },
        ("validate", "{dir}"),
        2,
        "DL-WAIVER-STALE",
        "waivers/w.yaml:2:5",
    ),
    BadInput(
        "waiver-with-two-targets",
        "waiver",
        {
            "waivers/w.yaml": MINIMAL_WAIVER.replace(
                "rule: gate.risky", "rule: gate.risky\n    term: value.effort"
            ).replace("20261218", "2026-12-18"),
        },
        ("validate", "{dir}"),
        2,
        "DL-WAIVER-FIELD",
        "waivers/w.yaml:5:5",
    ),
    BadInput(
        "waiver-compact-date",
        "waiver",
        {"waivers/w.yaml": MINIMAL_WAIVER},
        ("validate", "{dir}"),
        2,
        "DL-WAIVER",
        "waivers/w.yaml:10:14",
    ),
    BadInput(
        "waiver-week-date",
        "waiver",
        {"waivers/w.yaml": MINIMAL_WAIVER.replace("20261218", "2027-W09-7")},
        ("validate", "{dir}"),
        2,
        "DL-WAIVER",
        "waivers/w.yaml:10:14",
    ),
    BadInput(
        "waiver-on-hard-policy",
        "waiver",
        {
            "policies/gate.policy": MINIMAL_PROJECT["policies/gate.policy"].replace(
                "enforcement soft", "enforcement hard"
            )
        },
        ("validate", "{dir}"),
        2,
        "DL-WAIVER-HARD",
        "waivers/w.yaml:2:",
    ),
    BadInput(
        "waiver-lone-surrogate",
        "waiver",
        {"waivers/w.yaml": MINIMAL_WAIVER.replace("rationale: r", 'rationale: "r\\ud800"')},
        ("check", "{dir}", *AS_OF, "--format", "sarif"),
        2,
        "DL-WAIVER-YAML",
        "waivers/w.yaml:7:18",
    ),
    # ---- test-file ----
    BadInput(
        "test-file-yaml-syntax-error",
        "test-file",
        {"policies/gate.test.yaml": "cases:\n  - name: [x\n"},
        ("test", "{dir}"),
        2,
        "DL-TEST",
        "policies/gate.test.yaml:",
    ),
    BadInput(
        "test-file-invalid-utf8",
        "test-file",
        {"policies/gate.test.yaml": b"cases:\n  - name: \xff\n"},
        ("test", "{dir}"),
        2,
        "DL-TEST",
        "policies/gate.test.yaml:2:",
    ),
    BadInput(
        "test-file-deep-nesting",
        "test-file",
        {"policies/gate.test.yaml": "cases: " + "[" * 5000 + "]" * 5000 + "\n"},
        ("test", "{dir}"),
        2,
        "DL-TEST",
        "policies/gate.test.yaml:1:",
    ),
    BadInput(
        "test-file-lone-surrogate",
        "test-file",
        {"policies/gate.test.yaml": 'cases:\n  - name: "x\\udbff"\n'},
        ("test", "{dir}"),
        2,
        "DL-TEST-YAML",
        "policies/gate.test.yaml:2:13",
    ),
    # ---- config ----
    BadInput(
        "config-unknown-setting",
        "config",
        {"decisionlang.yaml": "polices: [policies]\n"},
        ("validate", "{dir}"),
        2,
        "DL-CONFIG",
        "decisionlang.yaml",
    ),
    BadInput(
        "config-path-outside",
        "config",
        {"decisionlang.yaml": "policies: [../elsewhere]\n"},
        ("validate", "{dir}"),
        2,
        "DL-CONFIG-OUTSIDE",
        "decisionlang.yaml:1:12",
    ),
    BadInput(
        "config-nul-in-path",
        "config",
        {"decisionlang.yaml": 'policies: ["poli\\0cies"]\n'},
        ("validate", "{dir}"),
        2,
        "DL-CONFIG",
        "decisionlang.yaml:1:",
    ),
    BadInput(
        "config-invalid-utf8",
        "config",
        {"decisionlang.yaml": b"policies: [policies\xff]\n"},
        ("validate", "{dir}"),
        2,
        "DL-CONFIG",
        "decisionlang.yaml:1:",
    ),
    BadInput(
        "config-deep-nesting",
        "config",
        {"decisionlang.yaml": "policies: " + "[" * 5000 + "]" * 5000 + "\n"},
        ("validate", "{dir}"),
        2,
        "DL-CONFIG",
        "decisionlang.yaml:1:",
    ),
    BadInput(
        "config-lone-surrogate",
        "config",
        {"decisionlang.yaml": 'policies: ["pol\\udffficies"]\n'},
        ("validate", "{dir}"),
        2,
        "DL-CONFIG-YAML",
        "decisionlang.yaml:1:16",
    ),
    BadInput(
        "config-missing-path",
        "config",
        {"decisionlang.yaml": "policies: [policies, alpha]\n"},
        ("validate", "{dir}"),
        2,
        "DL-CONFIG",
        "decisionlang.yaml:1:22",
    ),
    BadInput(
        "config-path-outside-block-list",
        "config",
        {"decisionlang.yaml": "states:\n  - ../elsewhere\n"},
        ("validate", "{dir}"),
        2,
        "DL-CONFIG-OUTSIDE",
        "decisionlang.yaml:2:5",
    ),
    BadInput(
        "config-a-list",
        "config",
        {"decisionlang.yaml": "- policies\n"},
        ("validate", "{dir}"),
        2,
        "DL-CONFIG",
        "decisionlang.yaml:1:1",
    ),
    BadInput(
        "state-key-holding-a-list",
        "state",
        {"services/case.yaml": "name: x\n? {a: [1]}\n: 1\n"},
        ("validate", "{dir}"),
        2,
        "DL-STATE-YAML",
        "services/case.yaml:2:",
    ),
    # ---- flags ----
    BadInput("flags-unknown-option", "flags", {}, ("check", "{dir}", "--frobnicate"), 2, None),
    BadInput("flags-bad-as-of", "flags", {}, ("check", "{dir}", "--as-of", "2026-13-01"), 2, None),
    BadInput("flags-compact-as-of", "flags", {}, ("check", "{dir}", "--as-of", "20261126"), 2, None),
    BadInput(
        "flags-unknown-subject",
        "flags",
        {},
        ("explain", "nobody", "{dir}", *AS_OF),
        2,
        "DL-",
    ),
    BadInput(
        "flags-min-coverage-nan",
        "flags",
        {},
        ("test", "{dir}", "--min-coverage", "nan"),
        2,
        None,
    ),
    BadInput("flags-min-coverage-inf", "flags", {}, ("test", "{dir}", "--min-coverage", "1e400"), 2, None),
    BadInput("flags-min-coverage-over-100", "flags", {}, ("test", "{dir}", "--min-coverage", "101"), 2, None),
    BadInput("flags-warn-days-nan", "flags", {}, ("check", "{dir}", *AS_OF, "--warn-days", "nan"), 2, None),
    BadInput(
        "flags-warn-days-400-digits",
        "flags",
        {},
        ("check", "{dir}", *AS_OF, "--warn-days", "9" * 400),
        2,
        None,
    ),
    BadInput(
        "flags-as-of-with-a-line-break",
        "flags",
        {},
        ("check", "{dir}", "--as-of", "2026-11-26\n::error::pwned"),
        2,
        None,
        absent=("\n::error",),
    ),
    BadInput(
        "flags-warnings-as-errors",
        "flags",
        {
            "policies/gate.policy": MINIMAL_PROJECT["policies/gate.policy"].replace(
                "applies to kind service", "applies to kind service, database"
            )
        },
        ("validate", "{dir}", "--warnings-as-errors"),
        2,
        "DL-CHECK-NO-SUBJECT",
        "policies/gate.policy:11:28",
    ),
    # ---- git-base ----
    BadInput(
        "git-base-not-a-repo",
        "git-base",
        {},
        ("check", "{dir}", *AS_OF, "--base", "HEAD"),
        2,
        "DL-GIT",
    ),
    BadInput(
        "git-base-unknown-revision",
        "git-base",
        {},
        ("check", "{dir}", *AS_OF, "--base", "no-such-rev"),
        2,
        "DL-GIT",
        git=True,
    ),
    BadInput(
        "git-base-option-like-revision",
        "git-base",
        {},
        ("check", "{dir}", *AS_OF, "--base", "--output=/tmp/x"),
        2,
        "DL-GIT",
        git=True,
    ),
    # ---- log ----
    BadInput(
        "log-not-a-database",
        "log",
        {"decisions.db": b"this is not an SQLite file\n" * 100},
        ("check", "{dir}", *AS_OF, "--record", "{dir}/decisions.db"),
        2,
        "DL-LOG",
    ),
    BadInput(
        "log-history-not-a-database",
        "log",
        {"decisions.db": b"\x00" * 4096},
        ("history", "--log", "{dir}/decisions.db"),
        2,
        "DL-LOG",
    ),
    BadInput(
        "log-annotations-table-dropped",
        "log",
        {"decisions.db": _damaged_log(drop="DROP TABLE annotations")},
        ("check", "{dir}", *AS_OF, "--record", "{dir}/decisions.db"),
        2,
        "DL-LOG-SCHEMA",
        "decisions.db",
    ),
    BadInput(
        "log-append-only-trigger-dropped",
        "log",
        {"decisions.db": _damaged_log(drop="DROP TRIGGER verdicts_no_delete")},
        ("annotate", "abc", "--note", "n", "--log", "{dir}/decisions.db"),
        2,
        "DL-LOG-SCHEMA",
        "decisions.db",
    ),
    BadInput(
        "log-corrupt-page-annotate",
        "log",
        {"decisions.db": _damaged_log(page_of="decisions")},
        ("annotate", "abc", "--note", "n", "--log", "{dir}/decisions.db"),
        2,
        "DL-LOG-CORRUPT",
        "decisions.db",
    ),
    BadInput(
        "log-corrupt-page-record",
        "log",
        {"decisions.db": _damaged_log(page_of="traces")},
        ("check", "{dir}", *AS_OF, "--record", "{dir}/decisions.db"),
        2,
        "DL-LOG-CORRUPT",
        "decisions.db",
    ),
    BadInput(
        "log-corrupt-page-history",
        "log",
        {"decisions.db": _damaged_log(page_of="decisions_by_time")},
        ("history", "--log", "{dir}/decisions.db"),
        2,
        "DL-LOG-CORRUPT",
        "decisions.db",
    ),
    BadInput(
        "log-is-a-device",
        "log",
        {},
        ("check", "{dir}", *AS_OF, "--record", "/dev/null"),
        2,
        "DL-LOG-PATH",
    ),
    # ---- output ----
    BadInput(
        "output-missing-directory",
        "output",
        {},
        ("check", "{dir}", *AS_OF, "-o", "{dir}/no/such/dir/report.txt"),
        2,
        "DL-CLI-OUTPUT",
    ),
    BadInput(
        "output-a-directory",
        "output",
        {},
        ("report", "{dir}", *AS_OF, "-o", "{dir}/services"),
        2,
        "DL-CLI-OUTPUT",
    ),
    BadInput(
        "output-a-file-as-directory",
        "output",
        {},
        ("test", "{dir}", "-o", "{dir}/services/a.yaml/report.txt"),
        2,
        "DL-CLI-OUTPUT",
    ),
    BadInput("output-dev-null", "output", {}, ("report", "{dir}", *AS_OF, "-o", "/dev/null"), 0, None),
    BadInput(
        "output-no-such-device",
        "output",
        {},
        ("check", "{dir}", *AS_OF, "-o", "/dev/decisionlang-no-such-device"),
        2,
        "DL-CLI-OUTPUT",
    ),
    # ---- import ----
    BadInput(
        "import-plan-not-json",
        "import",
        {"plan.json": '{"format_version": "1.2",\n  "resource_changes": [}\n'},
        ("import", "terraform-plan", "{dir}/plan.json", "-o", "{dir}/out.yaml"),
        2,
        "DL-IMPORT-JSON",
        "plan.json:2:24",
    ),
    BadInput(
        "import-plan-is-a-state",
        "import",
        {"state.json": '{"format_version": "1.0", "values": {"root_module": {}}}'},
        ("import", "terraform-plan", "{dir}/state.json"),
        2,
        "DL-IMPORT-PLAN",
        "state.json:1:1",
    ),
    BadInput(
        "import-plan-format-2",
        "import",
        {"plan.json": '{"format_version": "2.0", "resource_changes": []}'},
        ("import", "terraform-plan", "{dir}/plan.json"),
        2,
        "DL-IMPORT-PLAN",
        "plan.json:1:20",
    ),
    BadInput(
        "import-plan-actions-not-a-list",
        "import",
        {
            "plan.json": '{"format_version": "1.2", "resource_changes": [\n'
            '  {"address": "a.b", "type": "a", "name": "b", "change": {"actions": "delete"}}]}'
        },
        ("import", "terraform-plan", "{dir}/plan.json", "--report-format", "json"),
        2,
        "DL-IMPORT-PLAN",
    ),
    BadInput(
        "import-plan-deep",
        "import",
        {"plan.json": "[" * 20_000 + "]" * 20_000},
        ("import", "terraform-plan", "{dir}/plan.json"),
        2,
        "DL-IMPORT-JSON",
    ),
    BadInput(
        "import-plan-not-utf8",
        "import",
        {"plan.json": b'{"format_version": "\xff"}'},
        ("import", "terraform-plan", "{dir}/plan.json"),
        2,
        "DL-IMPORT-JSON",
        "plan.json:1:21",
    ),
    BadInput(
        "import-openslo-other-version",
        "import",
        {"slo.yaml": "apiVersion: openslo/v9\nkind: SLO\nmetadata: {name: x}\n"},
        ("import", "openslo", "{dir}/slo.yaml"),
        2,
        "DL-IMPORT-OPENSLO",
        "slo.yaml:1:13",
    ),
    BadInput(
        "import-openslo-no-slo",
        "import",
        {"slo.yaml": "- apiVersion: openslo/v1\n  kind: DataSource\n  metadata: {name: prom}\n"},
        ("import", "openslo", "{dir}/slo.yaml"),
        2,
        "DL-IMPORT-NO-ENTITY",
        "slo.yaml:1:3",
    ),
    BadInput(
        "import-backstage-only-groups",
        "import",
        {"catalog.yaml": "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: team-a}\n"},
        ("import", "backstage", "{dir}/catalog.yaml", "-o", "{dir}/out.yaml"),
        2,
        "DL-IMPORT-NO-ENTITY",
        "catalog.yaml:1:1",
        absent=("services: []",),
    ),
)


def _run(row: BadInput, repo: Path) -> tuple[int, str, str, float, float]:
    """Run the CLI in a child; give its exit code, stdout, stderr, CPU seconds and peak MiB."""
    args = [arg.replace("{dir}", str(repo)) for arg in row.args]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "DECISIONLANG_LOG": str(repo / "log.db")}
    cpu_limit = math.ceil(row.cpu_seconds) + 1  # a hang is killed, and fails the CPU assertion

    def limit() -> None:  # in the child: never let a runaway row take the machine down
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit, cpu_limit + 1))
        memory = max(row.peak_mib * 4, 1024) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_CEILING, OUTPUT_CEILING))  # a flood stops here

    out_path, err_path = repo.parent / "stdout", repo.parent / "stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "decisionlang", *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            cwd=repo,
            preexec_fn=limit,
        )
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    stdout = out_path.read_bytes().decode("utf-8", "replace")
    stderr = err_path.read_bytes().decode("utf-8", "replace")
    return child.returncode, stdout, stderr, cpu, usage.ru_maxrss / 1024


def _git_commit(repo: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "base")


def _param(row: BadInput) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=f"not fixed yet: {row.owner}")] if row.owner else []
    return pytest.param(row, id=row.id, marks=marks)


@pytest.mark.parametrize("row", [_param(row) for row in ROWS])
def test_bad_input(row: BadInput, tmp_path: Path) -> None:
    repo = write_project(tmp_path / "repo")
    if row.git:
        _git_commit(repo)
    write_project(repo, row.files)
    code, stdout, stderr, cpu, peak = _run(row, repo)
    assert cpu <= row.cpu_seconds, f"{cpu:.1f} s CPU (ceiling {row.cpu_seconds} s)"
    assert peak <= row.peak_mib, f"{peak:.0f} MiB peak (ceiling {row.peak_mib} MiB)"
    assert len(stderr.encode()) <= row.stderr_bytes, f"{len(stderr.encode())} bytes on stderr"
    internals = PYTHON_INTERNALS.search(stdout + stderr)
    assert internals is None, f"Python internals in the output: {internals.group(0)!r}\n{stderr[-2000:]}"
    assert code == row.exit_code, f"exit {code}, expected {row.exit_code}\n{stderr[-2000:]}"
    if row.code is not None:
        assert row.code in stderr or row.code in stdout, f"no {row.code} in\n{stderr[-2000:]}"
    if row.where is not None:
        located = [line for line in stderr.splitlines() if row.where in line and (row.code or "") in line]
        assert located, f"no `{row.where}` next to {row.code} in\n{stderr[-2000:]}"
    for text in row.absent:
        assert text not in stdout and text not in stderr, f"{text!r} in the output"


def test_every_kind_has_a_row() -> None:
    kinds = {row.kind for row in ROWS}
    assert kinds == set(Kind.__args__)  # type: ignore[attr-defined]


def test_row_ids_are_unique() -> None:
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids))

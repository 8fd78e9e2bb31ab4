"""The DORA classes of the library, exactly on each cut-off, against the published table.

The expected class of each case is read from the 2023 Accelerate State of DevOps Report's table of
the four keys by performance level (DORA, Google Cloud, 2023), in its own words, not from the
library:

    level   deployment frequency                      change lead time
            change failure rate   failed deployment recovery time
    elite   on demand (multiple deploys per day)      less than one day
            5 %                   less than one hour
    high    between once per day and once per week    between one day and one week
            10 %                  less than one day
    medium  between once per week and once per month  between one week and one month
            15 %                  between one day and one week
    low     between once per week and once per month  between one week and one month
            64 %                  between one month and six months

"Less than" is strict; "between" includes its bounds; a failure rate is the level's at most. A
week is 168 h, a month 30 days (720 h), six months 182.5 days (4,380 h); "on demand" is at least
daily (7 a week), "once a month" 12 a year (0.23 a week). The class is the highest level whose
four cut-offs all hold (the weakest key sets it)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from decisionlang.api import load_project
from decisionlang.engine.expression import evaluate_for_each

LIBRARY = Path(__file__).resolve().parent.parent / "policies"
AS_OF = dt.date(2026, 11, 26)
ELITE = {"deploys_per_week": 10, "lead_time_hours": 2, "change_failure_rate": 0.01, "restore_hours": 0.5}
HIGH = {"deploys_per_week": 2, "lead_time_hours": 48, "change_failure_rate": 0.08, "restore_hours": 4}
MEDIUM = {"deploys_per_week": 0.5, "lead_time_hours": 300, "change_failure_rate": 0.12, "restore_hours": 48}

CASES = [
    # (name, base, the key on its boundary, value, class: why, in the report's words)
    ("elite-lead-time-24h", ELITE, "lead_time_hours", 24, "high"),  # elite: "less than one day"
    ("elite-lead-time-under-24h", ELITE, "lead_time_hours", 23.9, "elite"),
    ("elite-recovery-1h", ELITE, "restore_hours", 1, "high"),  # elite: "less than one hour"
    ("elite-recovery-under-1h", ELITE, "restore_hours", 0.99, "elite"),
    ("elite-failures-5pct", ELITE, "change_failure_rate", 0.05, "elite"),  # elite: 5 %
    ("elite-failures-over-5pct", ELITE, "change_failure_rate", 0.051, "high"),
    ("elite-deploys-daily", ELITE, "deploys_per_week", 7, "elite"),  # on demand: daily at least
    ("high-recovery-24h", HIGH, "restore_hours", 24, "medium"),  # high: "less than one day"
    ("high-recovery-under-24h", HIGH, "restore_hours", 23.9, "high"),
    ("high-lead-time-one-week", HIGH, "lead_time_hours", 168, "high"),  # "between one day and one week"
    ("high-lead-time-over-a-week", HIGH, "lead_time_hours", 168.5, "medium"),
    ("high-failures-10pct", HIGH, "change_failure_rate", 0.10, "high"),
    ("high-deploys-weekly", HIGH, "deploys_per_week", 1, "high"),  # "between once per day and once per week"
    ("high-deploys-under-weekly", HIGH, "deploys_per_week", 0.9, "medium"),
    ("medium-recovery-one-week", MEDIUM, "restore_hours", 168, "medium"),  # "between one day and one week"
    ("medium-recovery-over-a-week", MEDIUM, "restore_hours", 169, "low"),
    (
        "medium-lead-time-one-month",
        MEDIUM,
        "lead_time_hours",
        720,
        "medium",
    ),  # "between one week and one month"
    ("medium-failures-15pct", MEDIUM, "change_failure_rate", 0.15, "medium"),
    ("medium-failures-over-15pct", MEDIUM, "change_failure_rate", 0.16, "low"),
    ("medium-deploys-monthly", MEDIUM, "deploys_per_week", 0.23, "medium"),  # "once per month"
    ("low-recovery-six-months", MEDIUM, "restore_hours", 4380, "low"),  # "between one month and six months"
    ("low-recovery-over-six-months", MEDIUM, "restore_hours", 4381, "below low"),
    ("low-failures-64pct", MEDIUM, "change_failure_rate", 0.64, "low"),
    ("low-failures-over-64pct", MEDIUM, "change_failure_rate", 0.65, "below low"),
]


@pytest.fixture(scope="module")
def classes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("dora")
    (root / "policies").mkdir()
    for policy in LIBRARY.glob("*.policy"):
        shutil.copy(policy, root / "policies" / policy.name)
    (root / "services").mkdir()
    lines = ["services:"]
    for name, base, key, value, _ in CASES:
        keys = ", ".join(f"{field}: {value if field == key else number}" for field, number in base.items())
        lines.append(f"  - {{name: {name}, criticality: critical, dora: {{{keys}}}}}")
    (root / "services" / "cases.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    project = load_project(root, cache=False)
    assert not project.errors, project.errors
    found, _type, problems = evaluate_for_each(
        project, "dora_class", [case[0] for case in CASES], as_of=AS_OF
    )
    assert found is not None, problems
    return found


@pytest.mark.parametrize(("name", "expected"), [(case[0], case[4]) for case in CASES])
def test_each_cut_off_as_the_2023_report_words_it(
    classes: dict[str, object], name: str, expected: str
) -> None:
    assert classes[name] == expected

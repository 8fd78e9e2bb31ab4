"""Durations (hours, minutes, seconds, ISO 8601), date-times with time zones, and percentages in
states: the one rule of each (core/dates.py), as states and policies read them."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from support import check_golden

from decisionlang import cli
from decisionlang.core.dates import (
    DURATION_UNITS,
    days_of,
    parse_datetime,
    parse_duration,
    percent_text,
    within_a_day,
)
from decisionlang.core.format import show
from decisionlang.core.subjects import Duration
from decisionlang.inputs.states import load_states
from decisionlang.language.types import DATETIME, DURATION, NUMBER, FieldSpec

UNITS = sorted(DURATION_UNITS)


@given(
    amount=st.integers(0, 10_000),
    unit=st.sampled_from(UNITS),
    other=st.sampled_from(UNITS),
)
def test_the_same_time_in_two_units_is_the_same_duration(amount: int, unit: str, other: str) -> None:
    exact = amount * DURATION_UNITS[unit]
    in_other = exact / DURATION_UNITS[other]
    if in_other.denominator == 1:
        assert days_of(str(in_other.numerator), other) == days_of(str(amount), unit)


@given(parts=st.lists(st.integers(0, 400), min_size=7, max_size=7))
def test_iso_durations_count_each_unit_exactly(parts: list[int]) -> None:
    years, months, weeks, days, hours, minutes, seconds = parts
    date_part = "".join(f"{n}{u}" for n, u in zip((years, months, weeks, days), "YMWD", strict=True) if n)
    time_part = "".join(f"{n}{u}" for n, u in zip((hours, minutes, seconds), "HMS", strict=True) if n)
    text = "P" + date_part + (f"T{time_part}" if time_part else "")
    if text == "P":
        assert parse_duration(text) is None
        return
    exact = sum(
        (
            n * DURATION_UNITS[u]
            for n, u in zip(parts, ("year", "month", "week", "day", "hour", "minute", "second"), strict=True)
        ),
        Fraction(0),
    )
    assert parse_duration(text) == float(exact)


def test_iso_and_text_forms() -> None:
    assert parse_duration("P1W") == 7
    assert parse_duration("PT1H") == parse_duration("60 minutes") == parse_duration("3600 seconds") == 1 / 24
    assert parse_duration("P1DT12H") == 1.5
    assert parse_duration("PT0.5H") == parse_duration("30 minutes")
    assert parse_duration("P1Y2M") == 365 + 60
    for bad in ("P", "PT", "P1H", "1W", "p1w", "P-1D", "4 hrs", "PT1H30", "P1DT"):
        assert parse_duration(bad) is None, bad


def test_durations_below_a_day_read_in_hours_minutes_or_seconds() -> None:
    assert str(Duration(days_of("4", "hours"))) == "4 hours"
    assert str(Duration(days_of("90", "minutes"))) == "90 minutes"
    assert str(Duration(days_of("1", "second"))) == "1 second"
    assert str(Duration(1.5)) == "1.5 days" and str(Duration(1)) == "1 day"
    assert show(Duration(days_of("1.5", "hours"))) == "90 minutes"
    assert within_a_day(0) is None and within_a_day(2) is None
    assert str(Duration(17 + 23 / 24)) == "17 days 23 hours"  # not 17.958333333333332 days
    assert show(Duration(2.25)) == "2.25 days"  # a short decimal reads well as it is


def test_date_times_need_a_time_zone() -> None:
    assert parse_datetime("2026-05-01T10:00:00+02:00") == dt.datetime(2026, 5, 1, 8, tzinfo=dt.UTC)
    assert parse_datetime("2026-05-01 08:00Z") == dt.datetime(2026, 5, 1, 8, tzinfo=dt.UTC)
    assert parse_datetime("2026-05-01T10:00:00") is None
    assert parse_datetime(dt.datetime(2026, 5, 1, 10)) is None
    assert parse_datetime("2026-05-01") is None
    assert parse_datetime("2026-02-30T10:00:00Z") is None


def test_percentages_are_the_policy_literal() -> None:
    assert percent_text("99.9%") == 0.999
    assert percent_text("12.5 %") == 0.125
    assert percent_text("-5%") == -0.05
    assert percent_text("99.9") is None and percent_text("%") is None


SCHEMA = {
    spec.path: spec
    for spec in (
        FieldSpec("availability", NUMBER, minimum=0, maximum=1),
        FieldSpec("replicas", NUMBER, integer=True),
        FieldSpec("rto", DURATION),
        FieldSpec("deployed_at", DATETIME),
    )
}


def test_states_read_each_form_where_it_is_written() -> None:
    text = "name: a\navailability: 99.9%\nreplicas: 300%\nrto: PT4H\ndeployed_at: 2026-05-01T10:00:00+02:00\n"
    portfolio, diagnostics = load_states([("s.yaml", text)], SCHEMA)
    assert diagnostics == []
    fields = portfolio.by_name["a"].fields
    assert fields["availability"] == 0.999 and fields["replicas"] == 3
    assert fields["rto"] == Duration(1 / 6)
    assert fields["deployed_at"] == dt.datetime(2026, 5, 1, 8, tzinfo=dt.UTC)


def test_state_errors_say_what_the_forms_are() -> None:
    text = "name: a\nreplicas: 50%\nrto: 4 hrs\ndeployed_at: 2026-05-01T10:00:00\navailability: 101%\n"
    _, diagnostics = load_states([("s.yaml", text)], SCHEMA)
    found = {(d.code, d.where): d for d in diagnostics}
    assert set(found) == {
        ("DL-STATE-TYPE", "s.yaml:2:11"),
        ("DL-STATE-TYPE", "s.yaml:3:6"),
        ("DL-STATE-TYPE", "s.yaml:4:14"),
        ("DL-STATE-RANGE", "s.yaml:5:15"),
    }
    assert "seconds, minutes, hours, days, weeks, months, years" in (
        found["DL-STATE-TYPE", "s.yaml:3:6"].help or ""
    )
    assert "time zone is missing" in (found["DL-STATE-TYPE", "s.yaml:4:14"].help or "")


def test_the_trace_of_time_values(tmp_path: Path) -> None:
    """Durations under a day, ISO durations, date-times against dates: as `explain` shows them."""
    (tmp_path / "policies").mkdir()
    (tmp_path / "services").mkdir()
    (tmp_path / "policies" / "dr.policy").write_text(
        "schema { rto: duration  deployed_at: datetime  availability: number 0..1 }\n"
        'policy dr "Recovery and freshness" {\n'
        '  no_go slow when rto > 4 hours because "recovery takes {rto}"\n'
        '  not_yet stale when today - deployed_at > 30 days because "deployed {today - deployed_at} ago"\n'
        '  warn early when deployed_at < 2026-05-02 because "deployed before May 2 (UTC)"\n'
        '  go ok when availability >= 99.9% because "available {availability}"\n'
        "}\n",
        encoding="utf-8",
    )
    (tmp_path / "services" / "api.yaml").write_text(
        "name: api\nrto: PT4H\ndeployed_at: 2026-05-01T20:00:00-05:00\navailability: 99.9%\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli.main, ["explain", "api", str(tmp_path), "--as-of", "2026-05-20", "--no-color"]
    )
    assert result.exit_code == 0, result.output
    check_golden("inputs/time_trace.txt", result.stdout)
    assert "rto = 4 hours > 4 hours  (does not hold, passes at the threshold)" in result.stdout
    assert "deployed_at = 2026-05-02 < 2026-05-02  (does not hold" in result.stdout
    assert "today - deployed_at = 17 days 23 hours > 30 days" in result.stdout

"""Date matchers (``on_date``, ``before``, ``after``, ``on_or_before``, ``on_or_after``):
fixed and relative dates, the routing time in the org's zone, date-time values by their day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from routing.conditions import ConditionError, compile_condition
from routing.conditions.dates import ROUTING_TIME
from routing.config import parse_config
from routing.engine import Router
from routing.roster import Roster

# 02:30 UTC on 1 December 2026: still 30 November in New York.
NOW = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
NY = NOW.astimezone(ZoneInfo("America/New_York"))


def holds(matcher: str, bound: Any, value: Any, now: datetime | None = NY) -> bool:
    condition = compile_condition({"as_written": {"d": {matcher: bound}}})
    fields: dict[str, Any] = {"d": value}
    if now is not None:
        fields[ROUTING_TIME] = now
    return condition.evaluate(fields)


@pytest.mark.parametrize(
    ("matcher", "bound", "value", "expected"),
    [
        ("on_date", "TODAY", "2026-11-30", True),
        ("on_date", "TODAY", "2026-12-01", False),  # UTC's today, not New York's
        ("on_date", "TODAY", "2026-12-01T04:59:59.000+0000", True),  # 23:59:59 in New York
        ("on_date", "TODAY", "2026-12-01T05:00:00.000+0000", False),  # midnight: tomorrow
        ("on_date", "TODAY", "2026-11-30T05:00:00Z", True),
        ("on_date", "TODAY", "2026-11-30T00:00:00-05:00", True),
        ("on_date", "TODAY", "2026-12-01 04:00:00", True),  # no offset: UTC
        (
            "on_date",
            "TODAY",
            datetime(2026, 11, 30, 23, 0, tzinfo=ZoneInfo("America/New_York")),
            True,
        ),
        ("on_date", "TODAY", date(2026, 11, 30), True),
        ("on_date", "YESTERDAY", "2026-11-29", True),
        ("on_date", "TOMORROW", "2026-12-01", True),
        ("on_date", "LAST_N_DAYS:1", "2026-11-29", True),  # yesterday and today
        ("on_date", "LAST_N_DAYS:1", "2026-11-28", False),
        ("on_date", "last_n_days:7", "2026-11-23", True),
        ("on_date", "LAST_90_DAYS", "2026-09-01", True),
        ("on_date", "LAST_90_DAYS", "2026-08-31", False),
        ("on_date", "N_DAYS_AGO:3", "2026-11-27", True),
        ("on_date", "N_DAYS_AGO:3", "2026-11-28", False),
        ("on_date", "THIS_MONTH", "2026-11-01", True),
        ("on_date", "THIS_MONTH", "2026-12-01", False),
        ("on_date", "LAST_MONTH", "2026-10-31", True),
        ("on_date", "NEXT_MONTH", "2026-12-31", True),
        ("on_date", "THIS_YEAR", "2026-01-01", True),
        ("on_date", "LAST_YEAR", "2025-12-31", True),
        ("on_date", "NEXT_YEAR", "2026-12-31", False),
        ("before", "THIS_MONTH", "2026-10-31", True),
        ("before", "THIS_MONTH", "2026-11-01", False),
        ("after", "THIS_MONTH", "2026-11-30", False),
        ("after", "THIS_MONTH", "2026-12-01", True),
        ("on_or_before", "THIS_MONTH", "2026-11-30", True),
        ("on_or_after", "THIS_MONTH", "2026-11-01", True),
        ("on_or_after", "THIS_MONTH", "2026-10-31", False),
        ("before", "2024-01-31", "2024-01-30", True),
        ("before", "2024-01-31", "2024-01-31", False),
        ("on_or_before", date(2024, 1, 31), "2024-01-31T23:00:00Z", True),
        ("on_date", "2024-01-31", "not a date", False),
        ("on_date", "2024-01-31", "2024-02-30", False),
        ("on_date", "2024-01-31", 20240131, False),
    ],
)
def test_date_matchers(matcher: str, bound: Any, value: Any, expected: bool) -> None:
    assert holds(matcher, bound, value) is expected


def test_blank_fails_every_date_matcher_and_not_holds() -> None:
    for value in (None, "", "  "):
        assert not holds("on_date", "TODAY", value)
        assert not holds("before", "2024-01-01", value)
    negated = compile_condition({"as_written": {"not": {"d": {"on_date": "TODAY"}}}})
    assert negated.evaluate({ROUTING_TIME: NY})


def test_relative_bounds_need_the_routing_time_fixed_ones_read_utc() -> None:
    assert not holds("on_date", "TODAY", "2026-11-30", now=None)
    assert holds("on_date", "2026-12-01", "2026-12-01T04:00:00Z", now=None)  # UTC day
    assert not holds("on_date", "2026-12-01", "2026-12-01T04:00:00Z")  # New York: 30 Nov


@pytest.mark.parametrize(
    "bound", ["THIS_WEEK", "NEXT_N_DAYS:3", "1/31/2024", "2024-13-01", "", 5, None, [1]]
)
def test_bad_bounds_are_config_errors(bound: Any) -> None:
    with pytest.raises(ConditionError, match="on_date"):
        compile_condition({"d": {"on_date": bound}})


def test_the_engine_passes_the_routing_time_in_the_org_zone() -> None:
    rules = """
reps: [{id: a, name: A}, {id: b, name: B}]
rules:
  - {name: today, when: {as_written: {salesforce_created_at: {on_date: TODAY}}}, assign: {rep: a}}
  - {name: rest, assign: {rep: b}}
"""
    utc = Router(parse_config(rules))
    ny = Router(parse_config("timezone: America/New_York\n" + rules))
    # 12:00 UTC on 30 November: today in New York (where it is still 30 November), not in UTC.
    noon = {"salesforce_created_at": "2026-11-30T12:00:00.000+0000"}
    assert utc.route(noon, Roster(), NOW).rule == "rest"
    assert ny.route(noon, Roster(), NOW).rule == "today"
    # 06:00 UTC on 1 December: today in UTC; 1 December in New York, tomorrow there.
    six = {"salesforce_created_at": "2026-12-01T06:00:00.000+0000"}
    assert utc.route(six, Roster(), NOW).rule == "today"
    assert ny.route(six, Roster(), NOW).rule == "rest"
    # The routing time is the argument, not the clock: a day later the lead is not today.
    later = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert ny.route(noon, Roster(), later).rule == "rest"
    assert ny.route({}, Roster(), NOW).rule == "rest"  # no creation time: a blank date
    # A naive routing time is UTC, whatever the machine's zone.
    naive = datetime(2026, 12, 1, 2, 30)
    assert ny.route(noon, Roster(), naive).rule == "today"
    assert utc.route(six, Roster(), naive).rule == "today"

"""SLA time arithmetic (SPEC §8): business time, offer deadlines and the ladder.

Instants are written in the hours' own zone where that is what a person would read, and
every result is compared as an aware UTC instant. Business time is cross-checked against
``routing.hours.is_open`` (the engine's definition of "inside hours"), minute by minute on
DST days and by hypothesis elsewhere.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.config.models import WEEKDAYS, BusinessHours, EscalationStep, SlaPolicy
from routing.hours import is_open
from routing.sla import (
    MAX_CLOSED_DAYS,
    LadderStep,
    add_business_time,
    business_time_between,
    ladder,
    next_open,
    offer_deadline,
    open_intervals,
    subtract_business_time,
)

NY = ZoneInfo("America/New_York")
BERLIN_TZ = ZoneInfo("Europe/Berlin")
ALL_DAYS = list(WEEKDAYS)

US = BusinessHours(timezone="America/New_York", hours="09:00-18:00", holidays="US")
US_CA = BusinessHours(timezone="America/New_York", hours="09:00-18:00", holidays="US-CA")
PLAIN = BusinessHours(timezone="America/New_York", hours="09:00-18:00")  # no holidays
BERLIN = BusinessHours(timezone="Europe/Berlin", hours="09:00-17:00", holidays="DE")
NY_ALLDAY = BusinessHours(timezone="America/New_York", days=ALL_DAYS, hours="00:00-23:59")
BERLIN_ALLDAY = BusinessHours(timezone="Europe/Berlin", days=ALL_DAYS, hours="00:00-23:59")
NY_NIGHT = BusinessHours(timezone="America/New_York", days=ALL_DAYS, hours="01:00-03:00")
AUCKLAND = BusinessHours(timezone="Pacific/Auckland", hours="08:30-17:30", holidays="NZ")

M = timedelta(minutes=1)
H = timedelta(hours=1)


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NY)


def berlin(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN_TZ)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def policy(**fields: Any) -> SlaPolicy:
    return SlaPolicy.model_validate({"name": "p", **fields})


# --------------------------------------------------------------------------- SPEC example


def test_spec_example_friday_1750_falls_due_monday_0920() -> None:
    due = add_business_time(ny(2026, 1, 9, 17, 50), 30 * M, US)
    assert due == ny(2026, 1, 12, 9, 20)
    assert due.tzinfo is UTC
    assert due == utc(2026, 1, 12, 14, 20)


def test_spec_example_with_monday_holiday_falls_due_tuesday() -> None:
    # Monday 2026-01-19 is Martin Luther King Jr. Day.
    assert add_business_time(ny(2026, 1, 16, 17, 50), 30 * M, US) == ny(2026, 1, 20, 9, 20)
    # Without a holiday calendar Monday counts.
    assert add_business_time(ny(2026, 1, 16, 17, 50), 30 * M, PLAIN) == ny(2026, 1, 19, 9, 20)


def test_result_is_utc_whatever_the_input_zone() -> None:
    start = ny(2026, 1, 12, 10, 0).astimezone(ZoneInfo("Asia/Tokyo"))
    due = add_business_time(start, H, US)
    assert due.tzinfo is UTC
    assert due == ny(2026, 1, 12, 11, 0)


# --------------------------------------------------------------------------- holidays


def test_thanksgiving_is_skipped() -> None:
    # Wednesday 17:50 before Thanksgiving (Thursday 2026-11-26): due Friday.
    assert add_business_time(ny(2026, 11, 25, 17, 50), 30 * M, US) == ny(2026, 11, 27, 9, 20)


def test_us_ca_adds_day_after_thanksgiving() -> None:
    assert add_business_time(ny(2026, 11, 25, 17, 50), 30 * M, US_CA) == ny(2026, 11, 30, 9, 20)


def test_us_ca_only_holiday_cesar_chavez_day() -> None:
    # Tuesday 2026-03-31 is a California holiday, not a federal one.
    start = ny(2026, 3, 30, 17, 50)
    assert add_business_time(start, 30 * M, US) == ny(2026, 3, 31, 9, 20)
    assert add_business_time(start, 30 * M, US_CA) == ny(2026, 4, 1, 9, 20)


def test_offer_made_on_a_holiday_counts_from_next_working_day() -> None:
    assert add_business_time(ny(2026, 11, 26, 11, 0), 30 * M, US) == ny(2026, 11, 27, 9, 30)


def test_holiday_has_no_open_intervals() -> None:
    assert open_intervals(US, date(2026, 11, 26)) == ()
    assert open_intervals(US, date(2026, 11, 27)) == ((ny(2026, 11, 27, 9), ny(2026, 11, 27, 18)),)
    assert open_intervals(US_CA, date(2026, 11, 27)) == ()


# --------------------------------------------------------------------------- outside hours


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        pytest.param(ny(2026, 1, 12, 7, 0), ny(2026, 1, 12, 9, 30), id="before-opening"),
        pytest.param(ny(2026, 1, 12, 0, 0), ny(2026, 1, 12, 9, 30), id="midnight"),
        pytest.param(ny(2026, 1, 12, 18, 0), ny(2026, 1, 13, 9, 30), id="at-closing"),
        pytest.param(ny(2026, 1, 12, 19, 0), ny(2026, 1, 13, 9, 30), id="after-closing"),
        pytest.param(ny(2026, 1, 10, 12, 0), ny(2026, 1, 12, 9, 30), id="saturday"),
        pytest.param(ny(2026, 1, 11, 12, 0), ny(2026, 1, 12, 9, 30), id="sunday"),
        pytest.param(ny(2026, 1, 9, 23, 59), ny(2026, 1, 12, 9, 30), id="friday-night"),
    ],
)
def test_offer_outside_hours_counts_from_next_opening(start: datetime, expected: datetime) -> None:
    assert add_business_time(start, 30 * M, US) == expected


def test_inside_hours_plain_addition() -> None:
    assert add_business_time(ny(2026, 1, 12, 9, 0), 30 * M, US) == ny(2026, 1, 12, 9, 30)
    assert add_business_time(ny(2026, 1, 12, 13, 15), 2 * H, US) == ny(2026, 1, 12, 15, 15)


def test_span_ending_exactly_at_closing_stays_that_day() -> None:
    assert add_business_time(ny(2026, 1, 12, 17, 30), 30 * M, US) == ny(2026, 1, 12, 18, 0)
    assert add_business_time(ny(2026, 1, 12, 17, 30), 31 * M, US) == ny(2026, 1, 13, 9, 1)


def test_full_day_from_opening_ends_at_closing() -> None:
    assert add_business_time(ny(2026, 1, 12, 9, 0), 9 * H, US) == ny(2026, 1, 12, 18, 0)


# --------------------------------------------------------------------------- long spans


def test_twenty_hours_over_several_days() -> None:
    # Mon 10-18 (8h) + Tue 9-18 (9h) + Wed 3h.
    assert add_business_time(ny(2026, 1, 12, 10, 0), 20 * H, US) == ny(2026, 1, 14, 12, 0)


def test_twenty_hours_over_weekend_and_holiday() -> None:
    # Thu 12-18 (6h) + Fri (9h) + weekend + MLK Monday + Tue 5h.
    assert add_business_time(ny(2026, 1, 15, 12, 0), 20 * H, US) == ny(2026, 1, 20, 14, 0)


def test_week_of_business_time() -> None:
    # 45h = five full days: Mon 09:00 -> Fri 18:00.
    assert add_business_time(ny(2026, 1, 5, 9, 0), 45 * H, US) == ny(2026, 1, 9, 18, 0)
    assert add_business_time(ny(2026, 1, 5, 9, 0), 45 * H + M, US) == ny(2026, 1, 12, 9, 1)


def test_long_span_across_a_year_is_fast_and_consistent() -> None:
    start = ny(2026, 1, 5, 9, 0)
    due = add_business_time(start, 2000 * H, US)
    assert business_time_between(start, due, US) == 2000 * H
    assert subtract_business_time(due, 2000 * H, US) == start


# --------------------------------------------------------------------------- zero span


def test_zero_span_inside_hours_is_start() -> None:
    assert add_business_time(ny(2026, 1, 12, 10, 0), timedelta(0), US) == ny(2026, 1, 12, 10, 0)


def test_zero_span_outside_hours_is_next_opening() -> None:
    assert add_business_time(ny(2026, 1, 10, 10, 0), timedelta(0), US) == ny(2026, 1, 12, 9, 0)


def test_negative_span_counts_backwards() -> None:
    assert add_business_time(ny(2026, 1, 12, 9, 20), -30 * M, US) == ny(2026, 1, 9, 17, 50)


# --------------------------------------------------------------------------- rep time zones


def test_berlin_hours_offer_at_utc_instant() -> None:
    # 15:50Z Friday is 16:50 in Berlin (CET): 10 minutes left, 20 on Monday.
    due = add_business_time(utc(2026, 1, 9, 15, 50), 30 * M, BERLIN)
    assert due == berlin(2026, 1, 12, 9, 20)
    assert due == utc(2026, 1, 12, 8, 20)


def test_berlin_hours_before_opening_in_utc_terms() -> None:
    # 07:30Z Monday is 08:30 in Berlin: the clock starts at 09:00 CET (08:00Z).
    assert add_business_time(utc(2026, 1, 12, 7, 30), 30 * M, BERLIN) == utc(2026, 1, 12, 8, 30)


def test_same_instant_different_rep_zones() -> None:
    instant = utc(2026, 1, 12, 16, 30)  # 17:30 in Berlin (closed), 11:30 in New York
    assert add_business_time(instant, H, BERLIN) == berlin(2026, 1, 13, 10, 0)
    assert add_business_time(instant, H, US) == ny(2026, 1, 12, 12, 30)


def test_german_holiday() -> None:
    # Good Friday 2026-04-03 and Easter Monday 2026-04-06 are German holidays.
    assert add_business_time(berlin(2026, 4, 2, 16, 30), H, BERLIN) == berlin(2026, 4, 7, 9, 30)


def test_southern_hemisphere_zone() -> None:
    # Auckland leaves DST on Sunday 2026-04-05 (NZDT +13 -> NZST +12).
    due = add_business_time(utc(2026, 4, 2, 4, 0), H, AUCKLAND)  # Friday 17:00 NZDT
    # 30m Friday, then Monday 2026-04-06 (Easter Monday, NZ holiday) skipped -> Tue 09:00 NZST.
    assert due == datetime(2026, 4, 7, 9, 0, tzinfo=ZoneInfo("Pacific/Auckland"))
    assert due == utc(2026, 4, 6, 21, 0)


# --------------------------------------------------------------------------- DST: 09-18


def test_spring_forward_weekend_with_day_hours() -> None:
    # Friday 17:50 EST (22:50Z) -> Monday 09:20 EDT (13:20Z): one UTC hour less overnight.
    start = ny(2026, 3, 6, 17, 50)
    due = add_business_time(start, 30 * M, US)
    assert due == ny(2026, 3, 9, 9, 20)
    assert due == utc(2026, 3, 9, 13, 20)
    assert business_time_between(start, due, US) == 30 * M


def test_fall_back_weekend_with_day_hours() -> None:
    start = ny(2026, 10, 30, 17, 50)  # EDT
    due = add_business_time(start, 30 * M, US)
    assert due == ny(2026, 11, 2, 9, 20)  # EST
    assert due == utc(2026, 11, 2, 14, 20)


def test_berlin_spring_forward_weekend() -> None:
    start = berlin(2026, 3, 27, 16, 50)  # CET
    due = add_business_time(start, 30 * M, BERLIN)
    assert due == berlin(2026, 3, 30, 9, 20)  # CEST
    assert due == utc(2026, 3, 30, 7, 20)


def test_working_day_length_unchanged_by_dst() -> None:
    for day in (date(2026, 3, 9), date(2026, 11, 2)):
        ((a, b),) = open_intervals(US, day)
        assert b - a == 9 * H


# ------------------------------------------------------------- DST: windows over the change


def test_spring_forward_day_is_one_hour_shorter() -> None:
    ((a, b),) = open_intervals(NY_ALLDAY, date(2026, 3, 8))
    assert (a, b) == (ny(2026, 3, 8, 0, 0), ny(2026, 3, 9, 23, 59) - timedelta(days=1))
    assert b - a == 22 * H + 59 * M
    ((a, b),) = open_intervals(BERLIN_ALLDAY, date(2026, 3, 29))
    assert b - a == 22 * H + 59 * M


def test_fall_back_day_is_one_hour_longer() -> None:
    ((a, b),) = open_intervals(NY_ALLDAY, date(2026, 11, 1))
    assert a == utc(2026, 11, 1, 4, 0)  # 00:00 EDT
    assert b == utc(2026, 11, 2, 4, 59)  # 23:59 EST
    assert b - a == 24 * H + 59 * M


def test_span_crossing_spring_forward_gap() -> None:
    # 01:30 EST + 1h of working time = 03:30 EDT (the clock skipped 02:00-03:00).
    start = ny(2026, 3, 8, 1, 30)
    due = add_business_time(start, H, NY_ALLDAY)
    assert due == ny(2026, 3, 8, 3, 30)
    assert due == utc(2026, 3, 8, 7, 30)


def test_span_from_saturday_night_into_spring_forward_sunday() -> None:
    # Sat 23:00-23:59 (59m), closed 23:59-00:00, then 2h01m from Sun 00:00 EST = 03:01 EDT.
    due = add_business_time(ny(2026, 3, 7, 23, 0), 3 * H, NY_ALLDAY)
    assert due == ny(2026, 3, 8, 3, 1)
    assert due == utc(2026, 3, 8, 7, 1)


def test_span_crossing_fall_back_overlap() -> None:
    # 01:30 EDT + 1h = 01:30 EST (the repeated hour is counted once per pass).
    start = ny(2026, 11, 1, 1, 30)  # fold=0: EDT
    due = add_business_time(start, H, NY_ALLDAY)
    assert due == utc(2026, 11, 1, 6, 30)
    # (A fold=1 datetime never compares equal across zones, PEP 495: compare wall times.)
    local = due.astimezone(NY)
    assert (local.replace(tzinfo=None), local.fold) == (datetime(2026, 11, 1, 1, 30), 1)
    assert local.utcoffset() == -5 * H


def test_berlin_span_crossing_spring_forward() -> None:
    due = add_business_time(berlin(2026, 3, 29, 1, 30), H, BERLIN_ALLDAY)
    assert due == berlin(2026, 3, 29, 3, 30)
    assert due == utc(2026, 3, 29, 1, 30)


def test_whole_spring_forward_sunday_in_business_time() -> None:
    assert (
        business_time_between(ny(2026, 3, 8, 0, 0), ny(2026, 3, 9, 0, 0), NY_ALLDAY)
        == 22 * H + 59 * M
    )
    assert (
        business_time_between(ny(2026, 11, 1, 0, 0), ny(2026, 11, 2, 0, 0), NY_ALLDAY)
        == 24 * H + 59 * M
    )


def test_window_inside_the_gap_does_not_exist_that_day() -> None:
    gap = BusinessHours(timezone="America/New_York", days=["sun"], hours="02:00-03:00")
    assert open_intervals(gap, date(2026, 3, 8)) == ()
    # Offered on Saturday: the next 02:00 that exists is a week later (EDT).
    assert add_business_time(ny(2026, 3, 7, 12, 0), 30 * M, gap) == ny(2026, 3, 15, 2, 30)


def test_window_starting_in_the_gap_opens_at_the_change() -> None:
    late = BusinessHours(timezone="America/New_York", days=["sun"], hours="02:30-04:00")
    assert open_intervals(late, date(2026, 3, 8)) == (
        (utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 8, 0)),
    )
    assert next_open(ny(2026, 3, 8, 1, 0), late) == ny(2026, 3, 8, 3, 0)


def test_window_ending_in_the_gap_closes_at_the_change() -> None:
    early = BusinessHours(timezone="America/New_York", days=["sun"], hours="01:00-02:30")
    assert open_intervals(early, date(2026, 3, 8)) == (
        (utc(2026, 3, 8, 6, 0), utc(2026, 3, 8, 7, 0)),
    )


def test_window_ending_in_the_overlap_is_open_in_both_passes() -> None:
    short = BusinessHours(timezone="America/New_York", days=["sun"], hours="01:00-01:30")
    assert open_intervals(short, date(2026, 11, 1)) == (
        (utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 5, 30)),
        (utc(2026, 11, 1, 6, 0), utc(2026, 11, 1, 6, 30)),
    )
    # 10 minutes in the first pass, 10 in the second.
    assert add_business_time(utc(2026, 11, 1, 5, 20), 20 * M, short) == utc(2026, 11, 1, 6, 10)
    assert business_time_between(utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 7, 0), short) == H


def test_night_window_over_both_changes() -> None:
    # 01:00-03:00 loses its second hour in spring and gains one in autumn.
    ((a, b),) = open_intervals(NY_NIGHT, date(2026, 3, 8))
    assert (a, b) == (ny(2026, 3, 8, 1, 0), ny(2026, 3, 8, 3, 0))
    assert b - a == H
    ((a, b),) = open_intervals(NY_NIGHT, date(2026, 11, 1))
    assert b - a == 3 * H


@pytest.mark.parametrize(
    "hours", [NY_ALLDAY, NY_NIGHT, US, BERLIN_ALLDAY], ids=lambda h: f"{h.timezone}-{h.hours}"
)
@pytest.mark.parametrize("day", [date(2026, 3, 8), date(2026, 11, 1), date(2026, 3, 29)])
def test_matches_is_open_minute_by_minute_around_dst(hours: BusinessHours, day: date) -> None:
    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC) - timedelta(days=1)
    end = start + timedelta(days=3)
    minutes = int((end - start) / M)
    open_minutes = sum(is_open(hours, start + i * M) for i in range(minutes))
    assert business_time_between(start, end, hours) == open_minutes * M


# --------------------------------------------------------------------------- inverse and next_open


def test_business_time_between_examples() -> None:
    assert business_time_between(ny(2026, 1, 9, 17, 0), ny(2026, 1, 12, 10, 0), US) == 2 * H
    assert business_time_between(ny(2026, 1, 12, 10, 0), ny(2026, 1, 9, 17, 0), US) == -2 * H
    assert business_time_between(ny(2026, 1, 10, 0, 0), ny(2026, 1, 11, 23, 0), US) == timedelta(0)
    assert business_time_between(ny(2026, 1, 12, 10, 0), ny(2026, 1, 12, 10, 0), US) == timedelta(0)
    # A week with MLK day: 4 days of 9h.
    assert business_time_between(ny(2026, 1, 19, 0, 0), ny(2026, 1, 26, 0, 0), US) == 36 * H


def test_next_open() -> None:
    assert next_open(ny(2026, 1, 12, 10, 0), US) == ny(2026, 1, 12, 10, 0)
    assert next_open(ny(2026, 1, 12, 9, 0), US) == ny(2026, 1, 12, 9, 0)
    assert next_open(ny(2026, 1, 12, 18, 0), US) == ny(2026, 1, 13, 9, 0)
    assert next_open(ny(2026, 1, 9, 18, 0), US) == ny(2026, 1, 12, 9, 0)
    assert next_open(ny(2026, 1, 16, 18, 0), US) == ny(2026, 1, 20, 9, 0)  # MLK Monday
    assert next_open(utc(2026, 1, 12, 7, 0), BERLIN) == berlin(2026, 1, 12, 9, 0)
    assert next_open(ny(2026, 1, 10, 3, 0), None) == utc(2026, 1, 10, 8, 0)


def test_subtract_business_time() -> None:
    assert subtract_business_time(ny(2026, 1, 12, 9, 20), 30 * M, US) == ny(2026, 1, 9, 17, 50)
    # Reaching an opening edge stops there rather than jumping to the previous close.
    assert subtract_business_time(ny(2026, 1, 12, 9, 30), 30 * M, US) == ny(2026, 1, 12, 9, 0)
    # From a closed instant the clock runs back from the last closing.
    assert subtract_business_time(ny(2026, 1, 10, 12, 0), H, US) == ny(2026, 1, 9, 17, 0)
    assert subtract_business_time(ny(2026, 1, 20, 10, 0), 2 * H, US) == ny(2026, 1, 16, 17, 0)
    assert subtract_business_time(ny(2026, 3, 8, 3, 30), H, NY_ALLDAY) == ny(2026, 3, 8, 1, 30)


def test_always_open_when_hours_is_none() -> None:
    start = ny(2026, 1, 10, 3, 0)
    assert add_business_time(start, 30 * M, None) == start + 30 * M
    assert subtract_business_time(start, 30 * M, None) == start - 30 * M
    assert business_time_between(start, start + 5 * H, None) == 5 * H


# --------------------------------------------------------------------------- guards


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_time(datetime(2026, 1, 12, 10, 0), H, US)
    with pytest.raises(ValueError, match="aware"):
        business_time_between(utc(2026, 1, 12), datetime(2026, 1, 13), US)
    with pytest.raises(ValueError, match="aware"):
        offer_deadline(policy(accept_within="5m"), datetime(2026, 1, 12), None)


def test_hours_that_never_open_raise_instead_of_looping() -> None:
    never = BusinessHours(timezone="America/New_York", days=[], hours="09:00-18:00")
    with pytest.raises(ValueError, match=f"no open time in the {MAX_CLOSED_DAYS} days"):
        add_business_time(ny(2026, 1, 12, 10, 0), H, never)
    with pytest.raises(ValueError, match="no open time"):
        next_open(ny(2026, 1, 12, 10, 0), never)
    with pytest.raises(ValueError, match="no open time"):
        subtract_business_time(ny(2026, 1, 12, 10, 0), H, never)
    assert business_time_between(ny(2026, 1, 1), ny(2026, 2, 1), never) == timedelta(0)
    # Zero span still needs an opening to start the clock.
    with pytest.raises(ValueError, match="no open time"):
        add_business_time(ny(2026, 1, 12, 10, 0), timedelta(0), never)


def test_search_limit_counts_consecutive_closed_days_only() -> None:
    # Open one day a week: a year of business time spans ~7 years and is still found.
    sundays = BusinessHours(timezone="UTC", days=["sun"], hours="10:00-11:00")
    due = add_business_time(utc(2026, 1, 1), 400 * H, sundays)
    assert business_time_between(utc(2026, 1, 1), due, sundays) == 400 * H
    assert due.weekday() == 6


# --------------------------------------------------------------------------- offer_deadline


def test_deadline_always_clock_is_wall_time() -> None:
    p = policy(accept_within="30m", clock="always")
    assert offer_deadline(p, ny(2026, 1, 9, 17, 50), US) == ny(2026, 1, 9, 18, 20)
    assert offer_deadline(p, ny(2026, 1, 10, 3, 0), US) == ny(2026, 1, 10, 3, 30)


def test_deadline_always_clock_across_dst_is_elapsed_time() -> None:
    p = policy(accept_within="1d", clock="always")
    # 24 real hours from Saturday noon EST is Sunday 13:00 EDT.
    assert offer_deadline(p, ny(2026, 3, 7, 12, 0), None) == ny(2026, 3, 8, 13, 0)


def test_deadline_business_hours_clock() -> None:
    p = policy(accept_within="30m", clock="business_hours")
    assert offer_deadline(p, ny(2026, 1, 9, 17, 50), US) == ny(2026, 1, 12, 9, 20)
    assert offer_deadline(p, ny(2026, 1, 16, 17, 50), US) == ny(2026, 1, 20, 9, 20)
    assert offer_deadline(p, utc(2026, 1, 9, 15, 50), BERLIN) == berlin(2026, 1, 12, 9, 20)


def test_deadline_business_hours_without_hours_is_always_open() -> None:
    p = policy(accept_within="30m", clock="business_hours")
    assert offer_deadline(p, ny(2026, 1, 10, 3, 0), None) == ny(2026, 1, 10, 3, 30)


# --------------------------------------------------------------------------- ladder

HOT = policy(
    accept_within="5m",
    clock="always",
    remind=["3m"],
    escalate=[
        {"after": "0m", "notify": "manager"},
        {"after": "5m", "reassign": "next"},
        {"after": "15m", "open_claim": "triage", "notify": ["manager", "maria"]},
    ],
)


def test_ladder_spec_hot_policy() -> None:
    at = ny(2026, 1, 9, 17, 58)
    steps = ladder(HOT, at, US)  # clock: always ignores the hours
    assert [(s.index, s.kind, s.due) for s in steps] == [
        (0, "remind", at + 2 * M),
        (1, "escalate", at + 5 * M),
        (2, "escalate", at + 10 * M),
        (3, "escalate", at + 20 * M),
    ]
    assert steps[0].step == {"remind": "3m"}
    assert steps[1].step == {
        "after": "0s",
        "notify": ["manager"],
        "reassign": None,
        "open_claim": None,
    }
    assert steps[2].step["reassign"] == "next"
    assert steps[3].step["open_claim"] == "triage"
    assert steps[3].step["notify"] == ["manager", "maria"]
    assert all(s.due.tzinfo is UTC for s in steps)


def test_ladder_business_hours_over_a_weekend() -> None:
    p = policy(
        accept_within="30m",
        clock="business_hours",
        remind=["10m", "25m", "45m"],
        escalate=[
            {"after": "0m", "notify": "manager"},
            {"after": "1h", "reassign": "next"},
            {"after": "9h", "open_claim": "triage"},
        ],
    )
    at = ny(2026, 1, 9, 17, 50)
    steps = ladder(p, at, US)
    due = {s.index: s.due for s in steps}
    assert due == {
        0: ny(2026, 1, 12, 9, 10),  # 10m before Monday 09:20
        1: ny(2026, 1, 9, 17, 55),  # 25m back: 20m Monday + 5m Friday
        2: at,  # 45m back would be before the offer: fires at once
        3: ny(2026, 1, 12, 9, 20),  # the deadline
        4: ny(2026, 1, 12, 10, 20),
        5: ny(2026, 1, 13, 9, 20),  # 9h of working time after Monday 09:20
    }
    assert [s.index for s in steps] == [2, 1, 0, 3, 4, 5]


def test_ladder_deadline_at_closing_edge() -> None:
    p = policy(
        accept_within="30m",
        clock="business_hours",
        escalate=[{"after": "0m", "notify": "manager"}, {"after": "5m", "reassign": "next"}],
    )
    steps = ladder(p, ny(2026, 1, 9, 17, 30), US)
    # after: 0m fires at the deadline itself (Friday 18:00), not at Monday's opening.
    assert [s.due for s in steps] == [ny(2026, 1, 9, 18, 0), ny(2026, 1, 12, 9, 5)]


def test_ladder_offer_made_outside_hours() -> None:
    p = policy(
        accept_within="30m",
        clock="business_hours",
        remind=["10m", "30m"],
        escalate=[{"after": "0m", "notify": "manager"}],
    )
    at = ny(2026, 1, 10, 11, 0)  # Saturday
    steps = ladder(p, at, US)
    assert [(s.index, s.due) for s in steps] == [
        (1, ny(2026, 1, 12, 9, 0)),  # 30m before the deadline = Monday's opening
        (0, ny(2026, 1, 12, 9, 20)),
        (2, ny(2026, 1, 12, 9, 30)),
    ]


def test_ladder_always_clock_wall_time_escalation_over_closed_hours() -> None:
    p = policy(accept_within="30m", clock="always", escalate=[{"after": "2h", "notify": "manager"}])
    (step,) = ladder(p, ny(2026, 1, 9, 17, 50), US)
    assert step.due == ny(2026, 1, 9, 20, 20)


def test_ladder_remind_longer_than_window_on_always_clock() -> None:
    p = policy(accept_within="5m", clock="always", remind=["10m", "5m", "0m"])
    at = utc(2026, 1, 12, 12, 0)
    steps = ladder(p, at, None)
    assert [(s.index, s.due) for s in steps] == [(0, at), (1, at), (2, at + 5 * M)]


def test_ladder_ties_order_by_index() -> None:
    p = policy(
        accept_within="5m",
        remind=["0m"],
        escalate=[{"after": "0m", "notify": "manager"}, {"after": "0m", "notify": "#sales"}],
    )
    steps = ladder(p, utc(2026, 1, 12, 12, 0), None)
    assert [s.index for s in steps] == [0, 1, 2]
    assert [s.kind for s in steps] == ["remind", "escalate", "escalate"]
    assert len({s.due for s in steps}) == 1


def test_ladder_empty_policy() -> None:
    assert ladder(policy(accept_within="5m"), utc(2026, 1, 12), None) == []


def test_ladder_business_hours_in_rep_zone_over_dst() -> None:
    p = policy(
        accept_within="1h",
        clock="business_hours",
        remind=["15m"],
        escalate=[{"after": "30m", "notify": "manager"}],
    )
    steps = ladder(p, utc(2026, 3, 27, 15, 30), BERLIN)  # Friday 16:30 CET
    assert [s.due for s in steps] == [
        berlin(2026, 3, 30, 9, 15),  # CEST, after the spring-forward weekend
        berlin(2026, 3, 30, 10, 0),  # deadline Monday 09:30 + 30m
    ]
    assert offer_deadline(p, utc(2026, 3, 27, 15, 30), BERLIN) == utc(2026, 3, 30, 7, 30)


def test_ladder_step_round_trips_through_json() -> None:
    steps = ladder(HOT, ny(2026, 1, 9, 17, 58), None)
    snapshot = json.loads(json.dumps([s.to_dict() for s in steps]))
    assert [LadderStep.from_dict(d) for d in snapshot] == steps
    # The escalation step is the config's own shape again.
    restored = EscalationStep.model_validate(snapshot[3]["step"])
    assert restored == HOT.escalate[2]


def test_ladder_step_from_dict_tolerates_extra_keys_and_other_zones() -> None:
    data = {
        "index": 3,
        "kind": "escalate",
        "due": "2026-01-09T18:00:00-05:00",
        "step": {"after": "0s", "notify": ["manager"]},
        "breach": True,
    }
    step = LadderStep.from_dict(data)
    assert step.due == utc(2026, 1, 9, 23, 0)
    assert step.due.tzinfo is UTC
    assert step.to_dict()["due"] == "2026-01-09T23:00:00+00:00"


def test_ladder_step_validation() -> None:
    with pytest.raises(ValueError, match="kind"):
        LadderStep(0, "nudge", utc(2026, 1, 1), {})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="aware"):
        LadderStep(0, "remind", datetime(2026, 1, 1), {})
    step = LadderStep(0, "remind", utc(2026, 1, 1), {"remind": "1m"})
    with pytest.raises(AttributeError):
        step.index = 1  # type: ignore[misc]


# --------------------------------------------------------------------------- properties

HOURS = [US, US_CA, BERLIN, NY_ALLDAY, BERLIN_ALLDAY, NY_NIGHT, AUCKLAND, PLAIN]

starts = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
spans = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=120))
positive_spans = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(hours=120))
hours_st = st.sampled_from(HOURS)


@settings(max_examples=300, deadline=None)
@given(hours=hours_st, start=starts, a=spans, b=spans)
def test_add_is_monotonic_in_span(
    hours: BusinessHours, start: datetime, a: timedelta, b: timedelta
) -> None:
    lo, hi = sorted((a, b))
    assert add_business_time(start, lo, hours) <= add_business_time(start, hi, hours)


@settings(max_examples=300, deadline=None)
@given(hours=hours_st, start=starts, span=spans)
def test_between_inverts_add(hours: BusinessHours, start: datetime, span: timedelta) -> None:
    due = add_business_time(start, span, hours)
    assert business_time_between(start, due, hours) == span
    assert due >= start


@settings(max_examples=300, deadline=None)
@given(hours=hours_st, start=starts, span=spans)
def test_between_inverts_add_from_inside_hours(
    hours: BusinessHours, start: datetime, span: timedelta
) -> None:
    inside = next_open(start, hours)
    assert is_open(hours, inside)
    due = add_business_time(inside, span, hours)
    assert business_time_between(inside, due, hours) == span
    if span > timedelta(0):
        assert subtract_business_time(due, span, hours) == inside


@settings(max_examples=300, deadline=None)
@given(hours=hours_st, start=starts, span=spans)
def test_add_result_is_inside_hours_or_at_a_closing_edge(
    hours: BusinessHours, start: datetime, span: timedelta
) -> None:
    due = add_business_time(start, span, hours)
    if span == timedelta(0):
        assert is_open(hours, due)
    else:
        # Open just before: inside, or exactly at the closing instant.
        assert is_open(hours, due - timedelta(microseconds=1))


@settings(max_examples=300, deadline=None)
@given(hours=hours_st, end=starts, span=positive_spans)
def test_subtract_inverts_and_lands_inside_hours(
    hours: BusinessHours, end: datetime, span: timedelta
) -> None:
    begin = subtract_business_time(end, span, hours)
    assert begin <= end
    assert is_open(hours, begin)
    assert business_time_between(begin, end, hours) == span


@settings(max_examples=200, deadline=None)
@given(hours=hours_st, start=starts, x=spans, y=positive_spans)
def test_add_is_additive(hours: BusinessHours, start: datetime, x: timedelta, y: timedelta) -> None:
    assert add_business_time(add_business_time(start, x, hours), y, hours) == add_business_time(
        start, x + y, hours
    )


@settings(max_examples=200, deadline=None)
@given(hours=hours_st, at=starts)
def test_next_open_is_open_and_nothing_before_it(hours: BusinessHours, at: datetime) -> None:
    opening = next_open(at, hours)
    assert opening >= at
    assert is_open(hours, opening)
    assert business_time_between(at, opening, hours) == timedelta(0)
    if opening > at:
        assert not is_open(hours, opening - timedelta(microseconds=1))


@settings(max_examples=200, deadline=None)
@given(hours=hours_st, at=starts, a=starts, b=starts)
def test_between_is_additive(hours: BusinessHours, at: datetime, a: datetime, b: datetime) -> None:
    x, y, z = sorted((at, a, b))
    total = business_time_between(x, z, hours)
    assert total == business_time_between(x, y, hours) + business_time_between(y, z, hours)
    assert timedelta(0) <= total <= z - x


@settings(max_examples=200, deadline=None)
@given(
    hours=st.one_of(st.none(), hours_st),
    at=starts,
    accept=st.integers(min_value=1, max_value=600),
    remind=st.lists(st.integers(min_value=0, max_value=600), max_size=3),
    after=st.lists(st.integers(min_value=0, max_value=600), max_size=3),
    clock=st.sampled_from(["always", "business_hours"]),
)
def test_ladder_invariants(
    hours: BusinessHours | None,
    at: datetime,
    accept: int,
    remind: list[int],
    after: list[int],
    clock: str,
) -> None:
    p = policy(
        accept_within=f"{accept}m",
        clock=clock,
        remind=[f"{r}m" for r in remind],
        escalate=[{"after": f"{a}m", "notify": "manager"} for a in after],
    )
    deadline = offer_deadline(p, at, hours)
    steps = ladder(p, at, hours)
    assert sorted(s.index for s in steps) == list(range(len(remind) + len(after)))
    assert [(s.due, s.index) for s in steps] == sorted((s.due, s.index) for s in steps)
    for s in steps:
        assert s.due >= at
        if s.kind == "remind":
            assert s.due <= deadline
        else:
            assert s.due >= deadline
        assert LadderStep.from_dict(json.loads(json.dumps(s.to_dict()))) == s

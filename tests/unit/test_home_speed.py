"""Speed-to-lead: nearest-rank percentiles, local midnight, today's window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.home.speed import local_midnight, percentile, speed_to_lead, todays_speed


def minutes(*values: float) -> list[timedelta]:
    return [timedelta(minutes=v) for v in values]


def test_no_leads_has_no_percentiles() -> None:
    assert speed_to_lead([]) == speed_to_lead(iter(()))
    result = speed_to_lead([])
    assert (result.count, result.p50, result.p90) == (0, None, None)


def test_one_lead_is_both_percentiles() -> None:
    result = speed_to_lead(minutes(3))
    assert (result.count, result.p50, result.p90) == (1, timedelta(minutes=3), timedelta(minutes=3))


def test_nearest_rank_on_ten_values_in_any_order() -> None:
    result = speed_to_lead(minutes(10, 1, 9, 2, 8, 3, 7, 4, 6, 5))
    assert result.count == 10
    assert result.p50 == timedelta(minutes=5)  # rank ceil(0.5 * 10) = 5
    assert result.p90 == timedelta(minutes=9)  # rank ceil(0.9 * 10) = 9


def test_percentiles_are_observed_values() -> None:
    waits = minutes(1, 2, 100)
    result = speed_to_lead(waits)
    assert result.p50 == timedelta(minutes=2)
    assert result.p90 == timedelta(minutes=100)
    assert {result.p50, result.p90} <= set(waits)


def test_negative_waits_count_as_zero() -> None:
    result = speed_to_lead([timedelta(seconds=-5), timedelta(seconds=30)])
    assert result.p50 == timedelta(0)


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        percentile([], 50)


def test_local_midnight_in_the_config_time_zone() -> None:
    now = datetime(2024, 3, 5, 3, 30, tzinfo=UTC)  # 22:30 on March 4 in New York
    start = local_midnight(now, "America/New_York")
    assert start == datetime(2024, 3, 4, 5, 0, tzinfo=UTC)
    assert local_midnight(now, "UTC") == datetime(2024, 3, 5, tzinfo=UTC)


def test_local_midnight_on_a_dst_change_day() -> None:
    # Clocks went forward at 02:00 on 2024-03-10 in New York: midnight was still EST.
    now = datetime(2024, 3, 10, 18, 0, tzinfo=UTC)
    assert local_midnight(now, "America/New_York") == datetime(2024, 3, 10, 5, 0, tzinfo=UTC)


def test_todays_speed_counts_only_leads_accepted_since_local_midnight() -> None:
    now = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)  # 10:00 in New York
    day_start = datetime(2024, 3, 5, 5, 0, tzinfo=UTC)
    pairs = [
        # received yesterday, accepted today: counts, with its whole wait
        (day_start - timedelta(minutes=30), day_start + timedelta(minutes=10)),
        (now - timedelta(minutes=5), now - timedelta(minutes=3)),
        # accepted before local midnight: yesterday's
        (day_start - timedelta(hours=2), day_start - timedelta(minutes=1)),
        # later than now (clock skew): ignored
        (now, now + timedelta(minutes=1)),
    ]
    result = todays_speed(pairs, now, "America/New_York")
    assert result.count == 2
    assert result.p50 == timedelta(minutes=2)
    assert result.p90 == timedelta(minutes=40)

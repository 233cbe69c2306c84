"""routing.timezones.lead_timezone: a lead's own zone from its phone, state or country."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from routing import timezones
from routing.normalize import normalize_lead
from routing.timezones import lead_timezone


@pytest.mark.parametrize(
    ("fields", "zone"),
    [
        ({"phone": "+33 1 42 68 53 00"}, "Europe/Paris"),  # the phone pins one zone
        ({"country_code": "US", "state_code": "CA"}, "America/Los_Angeles"),
        ({"country_code": "CA", "state_code": "QC"}, "America/Toronto"),
        ({"country_code": "DE"}, "Europe/Berlin"),  # Berlin and Busingen: one clock
        ({"country_code": "JP"}, "Asia/Tokyo"),  # one zone
        ({"country_code": "US"}, None),  # many clocks, no state: no guess
        ({"country_code": "RU"}, None),
        ({"country_code": "ZZ"}, None),
        ({}, None),
    ],
)
def test_lead_timezone(fields: dict[str, str], zone: str | None) -> None:
    assert lead_timezone(fields) == zone


def test_normalize_fills_it() -> None:
    assert normalize_lead({"country": "Germany"})["timezone"] == "Europe/Berlin"
    assert "timezone" not in normalize_lead({"country": "United States"})


def _every_zone_read(country: str) -> str | None:
    """The reference: every zone of the country read, their clocks compared."""
    zones = timezones._country_zones().get(country, ())
    if not zones:
        return None
    clocks = {
        tuple(datetime(2026, month, 15, 12, tzinfo=ZoneInfo(z)).utcoffset() for month in (1, 7))
        for z in zones
    }
    return zones[0] if len(clocks) == 1 else None


def test_single_clock_stops_early_with_the_same_answers() -> None:
    countries = sorted(timezones._country_zones())
    assert len(countries) > 200
    for country in countries:
        assert timezones._single_clock(country) == _every_zone_read(country), country

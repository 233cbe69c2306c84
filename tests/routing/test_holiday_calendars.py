"""business_hours.holidays is checked against one country's calendar at a time (issue #15:
start-up), with exactly the answers of holidays.list_supported_countries()."""

from __future__ import annotations

import holidays
import pytest

from routing.config.models import BusinessHours, _holiday_subdivisions


def test_each_country_as_the_full_list_says() -> None:
    full = holidays.list_supported_countries()
    for country, subdivisions in full.items():
        assert _holiday_subdivisions(country) == subdivisions
    for unknown in ("XX", "", "us", "__CLASS__", "list_supported_countries"):
        assert _holiday_subdivisions(unknown) is full.get(unknown) is None


def test_validation_messages() -> None:
    hours = {"timezone": "UTC", "hours": "09:00-17:00"}
    assert BusinessHours(**hours, holidays="us-ca").holidays == "US-CA"
    with pytest.raises(ValueError, match="no holiday calendar for 'XX'"):
        BusinessHours(**hours, holidays="XX")
    with pytest.raises(ValueError, match="US has no subdivision 'ZZ'"):
        BusinessHours(**hours, holidays="US-ZZ")

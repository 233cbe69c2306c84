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


def test_generated_table_matches_installed_holidays() -> None:
    """routing/data/holiday_calendars.txt is what the installed holidays lists (stale ->
    regenerate with python -m routing.holiday_data)."""
    from routing.holiday_data import CALENDARS, DATA, render, supported

    assert (DATA / CALENDARS).read_text(encoding="utf-8") == render()
    assert supported() == holidays.list_supported_countries()


_SPECS = ["US", "US-CA", "USA", "DE", "DE-BE", "DE-BY", "GB", "GB-SCT", "FR", "CA-QC", "AU-NSW"]
_SPECS += ["JP", "IN", "BR", "MX", "IL", "CN", "NP", "AS", "PR", "ES-CT", "CH-ZH", "SE", "NZ"]


@pytest.mark.parametrize("spec", _SPECS)
def test_one_country_module_gives_the_same_calendar(spec: str) -> None:
    """A calendar loaded from its own module (no holidays.countries) has exactly the
    holidays (dates and names) holidays.country_holidays gives, 2020-2030."""
    from routing.holiday_data import load_country_class

    country, _, subdiv = spec.partition("-")
    years = range(2020, 2031)
    ours = load_country_class(country)(subdiv=subdiv or None, years=years)
    reference = holidays.country_holidays(country, subdiv=subdiv or None, years=years)
    assert dict(ours) == dict(reference)
    assert len(ours) > 0


def test_calendar_evaluation_imports_one_country() -> None:
    """Validating and evaluating a calendar does not import every holidays country."""
    import subprocess
    import sys

    code = (
        "import sys, datetime\n"
        "from routing.config.models import BusinessHours\n"
        "from routing.hours import is_holiday\n"
        "h = BusinessHours(timezone='UTC', hours='09:00-17:00', holidays='US-CA')\n"
        "assert is_holiday(h, datetime.date(2026, 7, 3))\n"
        "assert not is_holiday(h, datetime.date(2026, 7, 6))\n"
        "assert 'holidays.countries' not in sys.modules, 'all countries imported'\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "from routing.holiday_data import load_country_class\n"
        "codes = ['FR', 'GB', 'JP', 'FRA', 'GBR', 'JPN'] * 4\n"
        "with ThreadPoolExecutor(8) as pool:\n"
        "    classes = list(pool.map(load_country_class, codes))\n"
        "assert len(set(classes)) == 3\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

"""Working-hours arithmetic: is a rep inside their hours at a given instant."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from routing.config.models import BusinessHours

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=64)
def _calendar(spec: str) -> holidays_lib.HolidayBase:
    country, _, subdiv = spec.partition("-")
    return holidays_lib.country_holidays(country, subdiv=subdiv or None)


def is_holiday(hours: BusinessHours, day: date) -> bool:
    return bool(hours.holidays) and day in _calendar(str(hours.holidays))


def is_open(hours: BusinessHours, at: datetime) -> bool:
    local = at.astimezone(_zone(hours.timezone))
    if WEEKDAYS[local.weekday()] not in hours.days:
        return False
    if is_holiday(hours, local.date()):
        return False
    return hours.start <= local.time().replace(tzinfo=None) < hours.end

"""Working-hours arithmetic: is a rep inside their hours at a given instant."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from routing.config.models import BusinessHours
from routing.holiday_data import country_class

if TYPE_CHECKING:
    from holidays import HolidayBase

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=64)
def _calendar(spec: str) -> HolidayBase:
    """``holidays.country_holidays(country, subdiv=...)``, importing only that country's
    module (:func:`routing.holiday_data.country_class`)."""
    country, _, subdiv = spec.partition("-")
    return country_class(country)(subdiv=subdiv or None)


@lru_cache(maxsize=4096)
def _is_holiday(spec: str, day: date) -> bool:
    return day in _calendar(spec)


def is_holiday(hours: BusinessHours, day: date) -> bool:
    return bool(hours.holidays) and _is_holiday(str(hours.holidays), day)


class OpenHours:
    """``is_open`` for one ``BusinessHours``, its settings read once (routing hot path)."""

    __slots__ = ("days", "end", "holidays", "start", "zone")

    def __init__(self, hours: BusinessHours) -> None:
        self.zone = _zone(hours.timezone)
        self.days = frozenset(WEEKDAYS.index(day) for day in hours.days)
        self.holidays = str(hours.holidays) if hours.holidays else None
        self.start = hours.start
        self.end = hours.end

    def __call__(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        if local.weekday() not in self.days:
            return False
        if self.holidays is not None and _is_holiday(self.holidays, local.date()):
            return False
        return self.start <= local.time() < self.end


def is_open(hours: BusinessHours, at: datetime) -> bool:
    return OpenHours(hours)(at)

"""A lead's own time zone, for "their local time" on the card.

From the phone number when it pins one zone (phonenumbers' data), else the US state
or Canadian province, else the country when it has a single zone (the tz database's
zone.tab, from the tzdata package). Countries spanning several zones without a state
give no answer rather than a guess.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo


@cache
def _region_table() -> dict[str, str]:
    text = files("routing").joinpath("data/region_timezones.txt").read_text(encoding="utf-8")
    table = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            region, zone = line.split()
            table[region] = zone
    return table


@cache
def _country_zones() -> dict[str, tuple[str, ...]]:
    text = files("tzdata").joinpath("zoneinfo/zone.tab").read_text(encoding="utf-8")
    zones: dict[str, list[str]] = defaultdict(list)
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split("\t")
        zones[parts[0]].append(parts[2])
    return {country: tuple(names) for country, names in zones.items()}


@cache
def _from_phone(phone: str) -> str | None:
    # Imported here: phonenumbers' tables load only when a lead has a phone number.
    import phonenumbers
    from phonenumbers import timezone as phone_timezones

    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    found = [z for z in phone_timezones.time_zones_for_number(number) if "/" in z]
    return found[0] if len(found) == 1 else None


def lead_timezone(fields: Mapping[str, Any]) -> str | None:
    phone = fields.get("phone")
    if isinstance(phone, str) and phone.startswith("+"):
        zone = _from_phone(phone)
        if zone:
            return zone
    country = fields.get("country_code")
    if not isinstance(country, str):
        return None
    state = fields.get("state_code")
    if isinstance(state, str):
        zone = _region_table().get(f"{country}-{state}")
        if zone:
            return zone
    return _single_clock(country)


@cache
def _single_clock(country: str) -> str | None:
    """The country's zone when all its zones keep the same clock (Berlin and Büsingen)."""
    zones = _country_zones().get(country, ())
    if len(zones) < 2:
        return zones[0] if zones else None
    # Each zone read from disk only until one keeps another clock (the US's tenth, say).
    first = _clock(zones[0])
    if any(_clock(zone) != first for zone in zones[1:]):
        return None
    return zones[0]


def _clock(zone: str) -> tuple[Any, ...]:
    """The zone's UTC offsets in January and July."""
    tz = ZoneInfo(zone)
    return tuple(datetime(2026, month, 15, 12, tzinfo=tz).utcoffset() for month in (1, 7))

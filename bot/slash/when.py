"""``/leads away`` times: ``for 30m``, ``until 14:00``, ``until mon``, in the rep's zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from routing.durations import parse_duration

DAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6, "tomorrow": -1,
}  # fmt: skip

USAGE = "away [for 30m | until 14:00 | until mon | until 2026-12-01]"


class BadTime(ValueError):
    pass


def parse_away(words: list[str], *, now: datetime, tz: str, day_start: time) -> datetime | None:
    """When the away period ends (aware UTC), or None for "until I say back"."""
    if not words:
        return None
    head, rest = words[0].lower(), " ".join(words[1:]).strip().lower()
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    if head == "for" and rest:
        try:
            span = parse_duration(rest.replace(" ", ""))
        except ValueError as exc:
            raise BadTime(str(exc)) from None
        if span <= timedelta(0):
            raise BadTime("the away period must be longer than zero")
        return now + span
    if head == "until" and rest:
        return _until(rest, local_now, zone, day_start).astimezone(now.tzinfo)
    raise BadTime(f"I can't read `{' '.join(words)}`")


def _until(text: str, local_now: datetime, zone: ZoneInfo, day_start: time) -> datetime:
    if text in DAYS:
        if DAYS[text] == -1:
            day = local_now.date() + timedelta(days=1)
        else:
            ahead = (DAYS[text] - local_now.weekday()) % 7 or 7
            day = local_now.date() + timedelta(days=ahead)
        return datetime.combine(day, day_start, tzinfo=zone)
    try:
        clock = time.fromisoformat(text if len(text) > 2 else f"{int(text):02d}:00")
    except ValueError:
        clock = None
    if clock is not None:
        moment = datetime.combine(local_now.date(), clock, tzinfo=zone)
        return moment if moment > local_now else moment + timedelta(days=1)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadTime(f"I can't read `until {text}`: try 14:00, mon or 2026-12-01") from None
    moment = datetime.combine(day, day_start, tzinfo=zone)
    if moment <= local_now:
        raise BadTime(f"{text} is in the past")
    return moment

"""Date matchers: a field's date against a fixed or a relative date.

``{created: {on_date: TODAY}}``, ``{on_or_after: LAST_N_DAYS:30}``, ``{before: 2024-01-31}``.
The bound is an ISO date (``YYYY-MM-DD``) or one of Salesforce's relative date literals, each
a range of whole days around the routing time's day (SOQL "Date Formats and Date Literals"):

* ``TODAY``, ``YESTERDAY``, ``TOMORROW``: that day;
* ``LAST_N_DAYS:n``: today and the n days before it (``LAST_N_DAYS:1`` = yesterday and
  today); ``LAST_90_DAYS`` = ``LAST_N_DAYS:90``;
* ``N_DAYS_AGO:n``: the day n days before today;
* ``THIS_MONTH`` / ``LAST_MONTH`` / ``NEXT_MONTH``, ``THIS_YEAR`` / ``LAST_YEAR`` /
  ``NEXT_YEAR``: every day of that month or year.

A range compares as Salesforce documents: ``on_date`` = within it, ``before`` = before its
first day, ``after`` = after its last day, ``on_or_before`` = not after its last day,
``on_or_after`` = not before its first day. Dates are never normalised: the matchers are the
same inside and outside ``as_written:``.

"Today" is the routing time's day in the org's time zone: the engine puts the routing time
(``route(..., now)``, converted to routing.yml's ``timezone``) under :data:`ROUTING_TIME` in
the fields it evaluates; nothing here reads a clock. A field holding a date-time
(``2026-12-05T10:00:00.000+0000``, a ``datetime``) compares by its day in that same zone (a
date-time without an offset is UTC); a field holding a date (``2026-12-05``) by that date.
Without a routing time (a condition evaluated outside the engine) the zone is UTC and
relative bounds never hold. A blank field fails every date matcher; a value that is not a
date fails too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any

from routing.conditions.errors import ConditionError, PathItem

__all__ = [
    "DATE_MATCHERS",
    "RELATIVE_DATE_RE",
    "ROUTING_TIME",
    "DateTest",
    "build_date_test",
    "routing_time",
]

#: The key under which the engine passes the routing time (in the org's zone) to conditions.
ROUTING_TIME = "$routing_time"
DATE_MATCHERS = frozenset({"on_date", "before", "after", "on_or_before", "on_or_after"})

RELATIVE_DATE_RE = re.compile(
    r"(?i)\s*(TODAY|YESTERDAY|TOMORROW|LAST_90_DAYS|(?:THIS|LAST|NEXT)_(?:MONTH|YEAR)"
    r"|LAST_N_DAYS:(\d+)|N_DAYS_AGO:(\d+))\s*"
)
_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})\s*")
_DATE_TIME = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*",
    re.IGNORECASE,
)

Range = tuple[date, date]


def routing_time(now: datetime, zone: tzinfo) -> datetime:
    """``now`` in the org's zone; a naive ``now`` is UTC (never the machine's local time)."""
    return (now if now.tzinfo is not None else now.replace(tzinfo=UTC)).astimezone(zone)


def _month(day: date, shift: int) -> Range:
    index = day.year * 12 + day.month - 1 + shift
    first = date(index // 12, index % 12 + 1, 1)
    after = date((index + 1) // 12, (index + 1) % 12 + 1, 1)
    return first, after - timedelta(days=1)


def relative_range(literal: str, today: date) -> Range:
    """The days a relative date literal covers on ``today`` (raises ValueError if unknown)."""
    m = RELATIVE_DATE_RE.fullmatch(literal)
    if m is None:
        raise ValueError(literal)
    word = m[1].upper()
    one = timedelta(days=1)
    if word == "TODAY":
        return today, today
    if word == "YESTERDAY":
        return today - one, today - one
    if word == "TOMORROW":
        return today + one, today + one
    if word == "LAST_90_DAYS":
        return today - timedelta(days=90), today
    if m[2] is not None:
        return today - timedelta(days=int(m[2])), today
    if m[3] is not None:
        day = today - timedelta(days=int(m[3]))
        return day, day
    when, unit = word.split("_")
    shift = {"THIS": 0, "LAST": -1, "NEXT": 1}[when]
    if unit == "MONTH":
        return _month(today, shift)
    year = today.year + shift
    return date(year, 1, 1), date(year, 12, 31)


def value_date(value: Any, zone: tzinfo) -> date | None:
    """The day a field value falls on in ``zone``; None when it is no date."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(zone).date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    m = _ISO_DATE.fullmatch(value)
    try:
        if m is not None:
            return date(int(m[1]), int(m[2]), int(m[3]))
        m = _DATE_TIME.fullmatch(value)
        if m is None:
            return None
        offset = UTC if m[7] is None or m[7].upper() == "Z" else None
        if offset is None:
            sign = -1 if m[7][0] == "-" else 1
            digits = m[7][1:].replace(":", "")
            offset = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        moment = datetime(
            int(m[1]), int(m[2]), int(m[3]), int(m[4]), int(m[5]), int(m[6] or 0), tzinfo=offset
        )
    except ValueError:  # 2024-02-30, 25:00: not a date
        return None
    return moment.astimezone(zone).date()


_COMPARE: dict[str, Callable[[date, Range], bool]] = {
    "on_date": lambda d, r: r[0] <= d <= r[1],
    "before": lambda d, r: d < r[0],
    "after": lambda d, r: d > r[1],
    "on_or_before": lambda d, r: d <= r[1],
    "on_or_after": lambda d, r: d >= r[0],
}


class DateTest:
    """One date matcher: ``at(value, now)`` with ``now`` the routing time or None."""

    __slots__ = ("compare", "fixed", "literal")

    def __init__(self, name: str, fixed: Range | None, literal: str | None) -> None:
        self.compare = _COMPARE[name]
        self.fixed = fixed
        self.literal = literal

    def at(self, value: Any, now: Any) -> bool:
        zone = now.tzinfo if isinstance(now, datetime) and now.tzinfo is not None else UTC
        day = value_date(value, zone)
        if day is None:
            return False
        if self.fixed is not None:
            return self.compare(day, self.fixed)
        if not isinstance(now, datetime) or self.literal is None:
            return False  # relative to a time nobody gave
        return self.compare(day, relative_range(self.literal, now.astimezone(zone).date()))


def build_date_test(name: str, arg: Any, path: tuple[PathItem, ...]) -> DateTest:
    if isinstance(arg, datetime) or not isinstance(arg, date | str):
        raise ConditionError(
            path,
            f"'{name}' needs a date (YYYY-MM-DD) or a relative date such as TODAY or "
            f"LAST_N_DAYS:30, got {arg!r}",
        )
    if isinstance(arg, date):
        return DateTest(name, (arg, arg), None)
    if RELATIVE_DATE_RE.fullmatch(arg):
        return DateTest(name, None, arg.strip().upper())
    m = _ISO_DATE.fullmatch(arg)
    if m is not None:
        try:
            day = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise ConditionError(path, f"'{name}': {arg!r} is not a date") from None
        return DateTest(name, (day, day), None)
    raise ConditionError(
        path,
        f"'{name}' needs a date (YYYY-MM-DD) or one of TODAY, YESTERDAY, TOMORROW, "
        f"LAST_N_DAYS:n, LAST_90_DAYS, N_DAYS_AGO:n, THIS/LAST/NEXT_MONTH, THIS/LAST/NEXT_YEAR; "
        f"got {arg!r}",
    )

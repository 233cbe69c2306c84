"""Speed-to-lead: how long leads waited from arrival to acceptance. Pure functions."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class SpeedToLead:
    count: int
    p50: timedelta | None
    p90: timedelta | None


def percentile(ordered: list[timedelta], pct: float) -> timedelta:
    """Nearest-rank percentile of a non-empty, sorted list: always an observed value."""
    if not ordered:
        raise ValueError("percentile of no values")
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def speed_to_lead(waits: Iterable[timedelta]) -> SpeedToLead:
    """p50 and p90 of the waits; negative waits (clock skew) count as zero."""
    ordered = sorted(max(w, timedelta(0)) for w in waits)
    if not ordered:
        return SpeedToLead(0, None, None)
    return SpeedToLead(len(ordered), percentile(ordered, 50), percentile(ordered, 90))


def local_midnight(now: datetime, timezone: str) -> datetime:
    """The start of ``now``'s calendar day in ``timezone``, as an aware datetime."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def todays_speed(
    pairs: Iterable[tuple[datetime, datetime]], now: datetime, timezone: str
) -> SpeedToLead:
    """Speed-to-lead of (received_at, accepted_at) pairs accepted since local midnight."""
    start = local_midnight(now, timezone)
    return speed_to_lead(
        accepted - received for received, accepted in pairs if start <= accepted <= now
    )

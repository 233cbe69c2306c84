"""SLA time arithmetic (SPEC §8): deadlines and the remind/escalate ladder of one offer.

Pure functions: no I/O and no wall clock; every instant is passed in. Inputs are aware
datetimes in any zone, results are aware datetimes in UTC. ``hours=None`` means "always
open" (a rep without ``hours``), so business time is then plain elapsed time.

Working time is exactly the set of instants :func:`routing.hours.is_open` accepts: the
instant's wall time in the hours' zone falls on one of ``days``, is not a holiday of
``holidays`` and lies in ``[start, end)``. Each local day's window is converted to UTC
with zoneinfo, so daylight-saving changes are handled by construction:

* a window that contains the spring-forward gap is one hour shorter in real time
  (``00:00-23:59`` in New York on 2026-03-08 is 22h59m), and a window starting or ending
  inside the gap opens or closes at the instant of the change;
* a window that contains the fall-back overlap is one hour longer (``00:00-23:59`` on
  2026-11-01 is 24h59m); a window ending inside the repeated hour is open during both
  passes of it, as ``is_open`` says.

The arithmetic jumps from one open interval to the next (one local day at a time); it
never steps minute by minute. Zone offsets and holiday calendars are cached.

Half-open conventions: ``add_business_time`` returns the instant when the span has
elapsed, which may be the closing edge of a window (30m from 17:30 with hours
09:00-18:00 is 18:00 that day, not the next morning). Starting outside hours, the clock
starts at the next opening, so a zero span from a closed instant is that opening.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from routing.config.models import WEEKDAYS, BusinessHours, RoutingConfig, SlaPolicy
from routing.durations import format_duration
from routing.effects import Recipient
from routing.hours import is_holiday

__all__ = [
    "MAX_CLOSED_DAYS",
    "LadderStep",
    "add_business_time",
    "business_time_between",
    "ladder",
    "next_open",
    "offer_deadline",
    "open_intervals",
    "subtract_business_time",
]

#: Searching for working time gives up after this many consecutive local days without any
#: (a holiday calendar or a window lost to DST must not make the search run forever).
MAX_CLOSED_DAYS = 366

StepKind = Literal["remind", "escalate"]
Interval = tuple[datetime, datetime]

_ZERO = timedelta(0)
_DAY = timedelta(days=1)
# UTC offsets lie within +-26h (real zones: -12h..+14h): every instant whose wall time
# falls on a given local day is inside [day start - 26h, day end + 26h] in UTC terms.
_OFFSET_BOUND = timedelta(hours=26)
# Offset changes are months apart in every real zone; sampling every 3 hours finds each.
_SAMPLE_STEP = timedelta(hours=3)


# --------------------------------------------------------------------------- zones


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _offset(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _segments(zone: ZoneInfo, lo: datetime, hi: datetime) -> list[tuple[datetime, timedelta]]:
    """``(segment start, offset)`` for each constant-offset run of ``[lo, hi)`` (UTC)."""
    segments = [(lo, _offset(zone, lo))]
    cursor = lo
    while cursor < hi:
        step_end = min(cursor + _SAMPLE_STEP, hi)
        current = segments[-1][1]
        if _offset(zone, step_end) != current:
            # Bisect to the second (zoneinfo transitions fall on whole seconds).
            low, high = 0, int((step_end - cursor).total_seconds())
            while high - low > 1:
                mid = (low + high) // 2
                if _offset(zone, cursor + timedelta(seconds=mid)) == current:
                    low = mid
                else:
                    high = mid
            change = cursor + timedelta(seconds=high)
            segments.append((change, _offset(zone, change)))
            cursor = change
        else:
            cursor = step_end
    return segments


@lru_cache(maxsize=16384)
def _window(zone_name: str, day: date, start: time, end: time) -> tuple[Interval, ...]:
    """UTC intervals whose wall time in ``zone_name`` is in ``[day start, day end)``."""
    zone = _zone(zone_name)
    wall_start = datetime.combine(day, start, tzinfo=UTC)  # wall time, read as if UTC
    wall_end = datetime.combine(day, end, tzinfo=UTC)
    lo, hi = wall_start - _OFFSET_BOUND, wall_end + _OFFSET_BOUND
    segments = _segments(zone, lo, hi)
    out: list[Interval] = []
    for i, (seg_start, offset) in enumerate(segments):
        seg_end = segments[i + 1][0] if i + 1 < len(segments) else hi
        # Inside the segment wall time = instant + offset, a strictly increasing map.
        a = max(seg_start, wall_start - offset)
        b = min(seg_end, wall_end - offset)
        if a < b:
            if out and out[-1][1] == a:
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
    out.sort()
    return tuple(out)


def open_intervals(hours: BusinessHours, day: date) -> tuple[Interval, ...]:
    """The working intervals ``[open, close)`` in UTC of local ``day`` (empty if closed).

    Usually one interval; none on a closed weekday, a holiday, or when DST removes the
    whole window; two when a fall-back overlap splits it.
    """
    if WEEKDAYS[day.weekday()] not in hours.days or is_holiday(hours, day):
        return ()
    return _window(hours.timezone, day, hours.start, hours.end)


def _local_day(at: datetime, hours: BusinessHours) -> date:
    return at.astimezone(_zone(hours.timezone)).date()


def _forward(hours: BusinessHours, at: datetime) -> Iterator[Interval]:
    """Working intervals in time order, starting with the one that contains or follows
    ``at``; ValueError after ``MAX_CLOSED_DAYS`` local days in a row without any."""
    day = _local_day(at, hours) - _DAY
    closed = 0
    while True:
        found = False
        for a, b in open_intervals(hours, day):
            found = True
            if b > at:
                yield a, b
        closed = 0 if found else closed + 1
        if closed > MAX_CLOSED_DAYS:
            raise ValueError(_no_open_time(hours, at, "after"))
        day += _DAY


def _backward(hours: BusinessHours, at: datetime) -> Iterator[Interval]:
    """Working intervals in reverse time order, starting with the one that contains or
    precedes ``at``; ValueError after ``MAX_CLOSED_DAYS`` closed days in a row."""
    day = _local_day(at, hours) + _DAY
    closed = 0
    while True:
        found = False
        for a, b in reversed(open_intervals(hours, day)):
            found = True
            if a < at:
                yield a, b
        closed = 0 if found else closed + 1
        if closed > MAX_CLOSED_DAYS:
            raise ValueError(_no_open_time(hours, at, "before"))
        day -= _DAY


def _no_open_time(hours: BusinessHours, at: datetime, direction: str) -> str:
    return (
        f"business hours {hours.hours} on {', '.join(hours.days)} in {hours.timezone}"
        f"{f' with {hours.holidays} holidays' if hours.holidays else ''} have no open time "
        f"in the {MAX_CLOSED_DAYS} days {direction} {at.isoformat()}"
    )


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value.isoformat()}")
    return value.astimezone(UTC)


# --------------------------------------------------------------------------- arithmetic


def next_open(at: datetime, hours: BusinessHours | None) -> datetime:
    """``at`` itself if it is inside working hours, else the next opening (UTC)."""
    at = _aware(at, "at")
    if hours is None:
        return at
    a, _ = next(_forward(hours, at))
    return max(a, at)


def add_business_time(start: datetime, span: timedelta, hours: BusinessHours | None) -> datetime:
    """The instant when ``span`` of working time has elapsed since ``start`` (UTC).

    Only time inside ``hours`` counts; starting outside hours the clock starts at the next
    opening. The result is inside working hours or exactly at a closing edge. A negative
    span counts backwards (:func:`subtract_business_time`).
    """
    start = _aware(start, "start")
    if span < _ZERO:
        return subtract_business_time(start, -span, hours)
    if hours is None:
        return start + span
    remaining = span
    for a, b in _forward(hours, start):
        begin = max(a, start)
        available = b - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise AssertionError("unreachable: _forward never ends without raising")


def subtract_business_time(end: datetime, span: timedelta, hours: BusinessHours | None) -> datetime:
    """The latest instant ``p`` with ``business_time_between(p, end) == span`` (UTC).

    Counting backwards from a closed ``end``, the clock starts at the previous closing;
    the result is inside working hours or exactly at an opening edge. A negative span
    counts forwards (:func:`add_business_time`).
    """
    end = _aware(end, "end")
    if span < _ZERO:
        return add_business_time(end, -span, hours)
    if hours is None:
        return end - span
    remaining = span
    for a, b in _backward(hours, end):
        finish = min(b, end)
        available = finish - a
        if remaining <= available:
            return finish - remaining
        remaining -= available
    raise AssertionError("unreachable: _backward never ends without raising")


def business_time_between(a: datetime, b: datetime, hours: BusinessHours | None) -> timedelta:
    """Working time inside ``[a, b)``; negative when ``b`` is before ``a``."""
    a, b = _aware(a, "a"), _aware(b, "b")
    if b < a:
        return -business_time_between(b, a, hours)
    if hours is None:
        return b - a
    total = _ZERO
    day, last = _local_day(a, hours) - _DAY, _local_day(b, hours) + _DAY
    while day <= last:
        for start, end in open_intervals(hours, day):
            overlap = min(end, b) - max(start, a)
            if overlap > _ZERO:
                total += overlap
        day += _DAY
    return total


# --------------------------------------------------------------------------- SLA


def offer_deadline(
    policy: SlaPolicy, offered_at: datetime, hours: BusinessHours | None
) -> datetime:
    """When an offer made at ``offered_at`` must be accepted (UTC).

    ``clock: always`` counts wall-clock time; ``clock: business_hours`` counts the
    assignee's working hours (``hours=None``: a rep without hours, always open).
    """
    offered_at = _aware(offered_at, "offered_at")
    if policy.clock == "always":
        return offered_at + policy.accept_within
    return add_business_time(offered_at, policy.accept_within, hours)


@dataclass(frozen=True)
class LadderStep:
    """One scheduled step of an offer's SLA ladder.

    ``index`` is unique within one ladder: reminders are numbered first, in policy order
    (``policy.remind[index]``), then escalation steps (``policy.escalate[index - len(remind)]``).
    ``step`` is JSON-ready: ``{"remind": "3m"}`` for a reminder, the escalation step as
    ``EscalationStep.model_dump(mode="json")`` (``after``, ``notify``, ``reassign``,
    ``open_claim``) for an escalation.
    """

    index: int
    kind: StepKind
    due: datetime
    step: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in ("remind", "escalate"):
            raise ValueError(f"unknown ladder step kind {self.kind!r}")
        object.__setattr__(self, "due", _aware(self.due, "due"))
        object.__setattr__(self, "step", dict(self.step))

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "due": self.due.isoformat(),
            "step": dict(self.step),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LadderStep:
        """Inverse of :meth:`to_dict`; extra keys (e.g. a timer's own flags) are ignored."""
        due = data["due"]
        if isinstance(due, str):
            due = datetime.fromisoformat(due)
        if not isinstance(due, datetime):
            raise ValueError(f"ladder step due must be an ISO datetime, got {due!r}")
        return cls(
            index=int(data["index"]),
            kind=cast(StepKind, data["kind"]),
            due=due,
            step=dict(data.get("step") or {}),
        )


def ladder(
    policy: SlaPolicy, offered_at: datetime, hours: BusinessHours | None
) -> list[LadderStep]:
    """Every remind and escalate step of one offer with its due instant, in firing order.

    A reminder is due ``remind`` before the deadline (counted backwards in working time
    under ``clock: business_hours``), never before ``offered_at``. An escalation step is
    due ``after`` past the deadline on the policy's clock (``after: 0m`` is the deadline
    itself, even when the deadline is a closing edge). Sorted by due, then index.
    """
    offered_at = _aware(offered_at, "offered_at")
    deadline = offer_deadline(policy, offered_at, hours)
    business = policy.clock == "business_hours"
    steps: list[LadderStep] = []
    for i, before in enumerate(policy.remind):
        due = subtract_business_time(deadline, before, hours) if business else deadline - before
        steps.append(
            LadderStep(i, "remind", max(due, offered_at), {"remind": format_duration(before)})
        )
    for j, escalation in enumerate(policy.escalate):
        after = escalation.after
        if after <= _ZERO:
            due = deadline
        elif business:
            due = add_business_time(deadline, after, hours)
        else:
            due = deadline + after
        steps.append(
            LadderStep(len(policy.remind) + j, "escalate", due, escalation.model_dump(mode="json"))
        )
    steps.sort(key=lambda s: (s.due, s.index))
    return steps


def notify_recipients(config: RoutingConfig, rep_id: str, targets: list[str]) -> list[Recipient]:
    """Who an escalation step's ``notify`` reaches, in order, each once: ``manager`` is
    the rep's managers (admins when the rep has none), ``#name`` or a channel id is that
    channel, anything else a rep id."""
    found: list[Recipient] = []
    for target in targets:
        if target == "manager":
            managers = sorted(config.managers_of(rep_id)) or list(config.admins)
            found.extend(Recipient("rep", m) for m in managers)
        elif target.startswith("#") or (target[:1] in ("C", "G") and target.isupper()):
            found.append(Recipient("channel", target))
        else:
            found.append(Recipient("rep", target))
    return list(dict.fromkeys(found))


def fallback_queue(config: RoutingConfig, snapshot: Mapping[str, Any], rep_id: str) -> str | None:
    """Where a lead goes after too many reassignments (``snapshot`` is the offer's
    ladder snapshot): the ladder's own claim queue, else a queue the rep belongs to,
    else the first queue; None when the config has no queue."""
    for step in snapshot.get("policy", {}).get("escalate", []):
        if step.get("open_claim"):
            return str(step["open_claim"])
    for queue_id in config.queues:
        if rep_id in config.queue_member_ids(queue_id):
            return queue_id
    return next(iter(config.queues), None)

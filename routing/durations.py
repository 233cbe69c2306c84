"""Duration strings of ``routing.yml``: ``90s``, ``5m``, ``2h``, ``1d``, ``1w``, ``1h30m``.

>>> parse_duration("1h30m")
datetime.timedelta(seconds=5400)
>>> format_duration(parse_duration("90m"))
'1h30m'
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["ACCEPTED_FORMS", "MAX_CONFIG_DURATION", "format_duration", "parse_duration"]

ACCEPTED_FORMS = '"90s", "5m", "2h", "1d", "1w" or a combination such as "1h30m"'

_UNITS: tuple[tuple[str, int], ...] = (
    ("w", 7 * 24 * 3600),
    ("d", 24 * 3600),
    ("h", 3600),
    ("m", 60),
    ("s", 1),
)
_SECONDS = dict(_UNITS)

#: The longest duration routing.yml accepts: SLA steps and sync intervals are hours or days,
#: and a bound keeps deadlines far from datetime's range.
MAX_CONFIG_DURATION = timedelta(days=366)
# Without a ``maximum``: 100 years, which any date in use can still add, while timedelta
# itself raises OverflowError past 999,999,999 days.
_MAX_ANY = timedelta(days=36500)
# Units must appear largest first and at most once, so "5m2h" or "1m1m" are typos, not sums.
_DURATION_RE = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(text: str, maximum: timedelta | None = None) -> timedelta:
    """Parse a duration string; raise ValueError naming the accepted forms otherwise, or the
    bound when it is longer than ``maximum`` (default 100 years)."""
    if not isinstance(text, str):
        # YAML turns `5` into an int and `1:30` into 90: a unit-less number is ambiguous.
        raise ValueError(f"expected a duration like {ACCEPTED_FORMS}, got {text!r}")
    cleaned = text.strip()
    match = _DURATION_RE.fullmatch(cleaned)
    if cleaned.startswith("-"):
        raise ValueError(f"durations cannot be negative: {text!r}; expected {ACCEPTED_FORMS}")
    if not cleaned or match is None:
        raise ValueError(f"invalid duration {text!r}: expected {ACCEPTED_FORMS}")
    limit = _MAX_ANY if maximum is None else maximum
    amounts = [
        (unit, amount.lstrip("0") or "0")
        for (unit, _), amount in zip(_UNITS, match.groups(), strict=True)
        if amount is not None
    ]
    # An amount with more digits than the limit has seconds is too long in any unit; checking
    # first keeps int() off huge numbers (it refuses 4,300 digits with an unrelated message).
    if max((len(n) for _, n in amounts), default=0) > len(str(int(limit.total_seconds()))):
        raise _too_long(cleaned, limit)
    seconds = sum(int(n) * _SECONDS[unit] for unit, n in amounts)
    if seconds > limit.total_seconds():
        raise _too_long(cleaned, limit)
    return timedelta(seconds=seconds)


def _too_long(text: str, limit: timedelta) -> ValueError:
    bound = (
        f"{limit.days}d" if limit % timedelta(days=1) == timedelta(0) else format_duration(limit)
    )
    shown = text if len(text) <= 32 else f"{text[:24]}...{text[-4:]}"  # a wall of 9s helps no one
    return ValueError(f"duration {shown} is too long (at most {bound})")


def format_duration(td: timedelta) -> str:
    """Canonical string for ``td``, largest units first (``5400s`` -> ``"1h30m"``).

    ``parse_duration(format_duration(td)) == td`` for every non-negative whole-second ``td``.
    """
    if td < timedelta(0):
        raise ValueError(f"negative durations have no string form: {td!r}")
    if td.microseconds:
        raise ValueError(f"durations are whole seconds: {td!r}")
    remaining = td.days * 86400 + td.seconds
    if remaining == 0:
        return "0s"
    parts: list[str] = []
    for unit, size in _UNITS:
        amount, remaining = divmod(remaining, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts)

"""Duration strings of ``routing.yml``: ``90s``, ``5m``, ``2h``, ``1d``, ``1w``, ``1h30m``.

>>> parse_duration("1h30m")
datetime.timedelta(seconds=5400)
>>> format_duration(parse_duration("90m"))
'1h30m'
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["ACCEPTED_FORMS", "format_duration", "parse_duration"]

ACCEPTED_FORMS = '"90s", "5m", "2h", "1d", "1w" or a combination such as "1h30m"'

_UNITS: tuple[tuple[str, int], ...] = (
    ("w", 7 * 24 * 3600),
    ("d", 24 * 3600),
    ("h", 3600),
    ("m", 60),
    ("s", 1),
)
_SECONDS = dict(_UNITS)
# Units must appear largest first and at most once, so "5m2h" or "1m1m" are typos, not sums.
_DURATION_RE = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(text: str) -> timedelta:
    """Parse a duration string; raise ValueError naming the accepted forms otherwise."""
    if not isinstance(text, str):
        # YAML turns `5` into an int and `1:30` into 90: a unit-less number is ambiguous.
        raise ValueError(f"expected a duration like {ACCEPTED_FORMS}, got {text!r}")
    cleaned = text.strip()
    match = _DURATION_RE.fullmatch(cleaned)
    if cleaned.startswith("-"):
        raise ValueError(f"durations cannot be negative: {text!r}; expected {ACCEPTED_FORMS}")
    if not cleaned or match is None:
        raise ValueError(f"invalid duration {text!r}: expected {ACCEPTED_FORMS}")
    seconds = sum(
        int(amount) * _SECONDS[unit]
        for (unit, _), amount in zip(_UNITS, match.groups(), strict=True)
        if amount is not None
    )
    return timedelta(seconds=seconds)


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

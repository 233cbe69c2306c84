"""Fewest pending offers wins; ties go to the rep offered a lead least recently.

:func:`preference` orders members from most to least preferred, so a caller can check
eligibility lazily and stop at the first eligible member (the engine does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from routing.config.models import PoolMember
from routing.roster import RepLoad, Roster
from routing.strategies.base import NOBODY, Pick

_NEVER = datetime.min.replace(tzinfo=UTC)
_NO_LOAD = RepLoad()


def preference(order: Sequence[str], roster: Roster) -> list[str]:
    """Distinct members by (pending, last offered, position), the order of preference;
    a rep listed twice ranks by its last position."""
    loads = roster.reps
    keyed: dict[str, tuple[int, datetime, int, str]] = {}
    for i, rep in enumerate(order):
        load = loads.get(rep, _NO_LOAD)
        keyed[rep] = (load.pending, load.last_offered_at or _NEVER, i, rep)
    # Positions are distinct: tuples never compare past them.
    return [key[3] for key in sorted(keyed.values())]


def distinct_preference(
    members: Sequence[tuple[int, str]], loads: Mapping[str, RepLoad]
) -> list[str]:
    """:func:`preference` of members listed once each, given as ``enumerate(order)``."""
    get = loads.get
    keyed: list[tuple[int, datetime, int, str]] = []
    add = keyed.append
    for i, rep in members:
        load = get(rep, _NO_LOAD)
        add((load.pending, load.last_offered_at or _NEVER, i, rep))
    keyed.sort()
    return [key[3] for key in keyed]


def chosen_why(rep: str, roster: Roster) -> str:
    return f"least loaded: {roster.reps.get(rep, _NO_LOAD).pending} pending"


def chosen(rep: str, roster: Roster) -> Pick:
    return Pick(rep, None, chosen_why(rep, roster))


def pick_least_loaded(
    members: Sequence[PoolMember],
    eligible: Sequence[str],
    state: Mapping[str, Any],
    roster: Roster,
) -> Pick:
    if not eligible:
        return NOBODY
    ok = set(eligible)
    for rep in preference([m.rep for m in members], roster):
        if rep in ok:
            return chosen(rep, roster)
    return NOBODY

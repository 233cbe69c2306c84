"""Strict rotation over pool members, skipping ineligible ones.

State: ``{"last": rep_id}``, the member picked last. The next pick is the first
eligible member after it in member order, wrapping around. While every member
stays eligible, counts over any window differ by at most one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from routing.config.models import PoolMember
from routing.roster import Roster
from routing.strategies.base import NOBODY, Pick


def pick_round_robin(
    members: Sequence[PoolMember],
    eligible: Sequence[str],
    state: Mapping[str, Any],
    roster: Roster,
) -> Pick:
    if not eligible:
        return NOBODY
    order = [m.rep for m in members]
    ok = set(eligible)
    last = state.get("last")
    start = order.index(last) + 1 if last in order else 0
    for offset in range(len(order)):
        rep = order[(start + offset) % len(order)]
        if rep in ok:
            after = f"after {last}" if last in order else "first in rotation"
            return Pick(rep, {"last": rep}, f"round robin: next eligible {after}")
    return NOBODY

"""Fewest pending offers wins; ties go to the rep offered a lead least recently."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from routing.config.models import PoolMember
from routing.roster import Roster
from routing.strategies.base import NOBODY, Pick

_NEVER = datetime.min.replace(tzinfo=UTC)


def pick_least_loaded(
    members: Sequence[PoolMember],
    eligible: Sequence[str],
    state: Mapping[str, Any],
    roster: Roster,
) -> Pick:
    if not eligible:
        return NOBODY
    position = {m.rep: i for i, m in enumerate(members)}

    def key(rep: str) -> tuple[int, datetime, int]:
        load = roster.load(rep)
        return load.pending, load.last_offered_at or _NEVER, position.get(rep, 0)

    chosen = min(eligible, key=key)
    pending = roster.load(chosen).pending
    return Pick(chosen, None, f"least loaded: {pending} pending")

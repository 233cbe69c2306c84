"""Live roster state the engine reads: loads, presence, rotation pointers.

Storage builds it from the database inside the routing transaction; the engine
never touches the database itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RepLoad:
    pending: int = 0
    # Times of offers inside the widest cap window (a week), any order.
    recent_offers: tuple[datetime, ...] = ()
    last_offered_at: datetime | None = None
    away_until: datetime | None = None

    def offers_since(self, since: datetime) -> int:
        # sum(1 for t in recent_offers if t > since), compared in C
        return sum(map(since.__lt__, self.recent_offers))


@dataclass(frozen=True)
class Roster:
    reps: Mapping[str, RepLoad] = field(default_factory=dict)
    pools: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Reps who declined or timed out on this lead: never offered it again.
    excluded: frozenset[str] = frozenset()

    def load(self, rep_id: str) -> RepLoad:
        return self.reps.get(rep_id, _NO_LOAD)


_NO_LOAD = RepLoad()

"""Pool strategies: each picks one rep among the eligible members of a pool.

A strategy is ``pick(members, eligible, state, roster) -> Pick``; it never mutates
``state`` and returns the new state to store atomically with the assignment.
"""

from __future__ import annotations

from routing.strategies.base import NOBODY, Pick, Strategy
from routing.strategies.least_loaded import pick_least_loaded
from routing.strategies.round_robin import pick_round_robin
from routing.strategies.weighted import pick_weighted

STRATEGIES: dict[str, Strategy] = {
    "round_robin": pick_round_robin,
    "weighted": pick_weighted,
    "least_loaded": pick_least_loaded,
}

__all__ = ["NOBODY", "STRATEGIES", "Pick", "Strategy"]

"""Smooth weighted round robin (the nginx algorithm).

Each pick adds every eligible member's weight to its running credit, picks the
highest credit and subtracts the total. Over N picks with stable eligibility each
member's count is within one of N*w/sum(w), and picks interleave smoothly.
State: ``{"credit": {rep_id: int}}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from routing.config.models import PoolMember
from routing.roster import Roster
from routing.strategies.base import NOBODY, Pick


def pick_weighted(
    members: Sequence[PoolMember],
    eligible: Sequence[str],
    state: Mapping[str, Any],
    roster: Roster,
) -> Pick:
    ok = set(eligible)
    weights = {m.rep: m.weight for m in members if m.rep in ok}
    if not weights:
        return NOBODY
    old = state.get("credit") or {}
    credit = {m.rep: int(old.get(m.rep, 0)) for m in members}
    for rep, weight in weights.items():
        credit[rep] += weight
    # max() keeps the first of equal credits: member order breaks ties.
    chosen = max(weights, key=lambda rep: credit[rep])
    credit[chosen] -= sum(weights.values())
    return Pick(
        chosen, {"credit": credit}, f"weighted: weight {weights[chosen]} of {sum(weights.values())}"
    )


def pick_weighted_distinct(
    reps: Sequence[str],
    weights: Sequence[int],
    reasons: Sequence[str | None],
    state: Mapping[str, Any],
) -> Pick:
    """:func:`pick_weighted` for members listed once each (``reps`` with ``weights``, in
    member order), eligible where ``reasons`` holds None: one pass, same pick and state."""
    rep, new_state, why = weighted_choice(reps, weights, reasons, state)
    return NOBODY if rep is None else Pick(rep, new_state, why)


def weighted_choice(
    reps: Sequence[str],
    weights: Sequence[int],
    reasons: Sequence[str | None],
    state: Mapping[str, Any],
) -> tuple[str | None, dict[str, Any] | None, str]:
    """:func:`pick_weighted_distinct` as (rep, new state, why), without a :class:`Pick`."""
    old = state.get("credit") or {}
    credit: dict[str, int] = {}
    total = 0
    best: str | None = None
    best_credit = best_weight = 0
    for rep, weight, why in zip(reps, weights, reasons, strict=True):
        value = old.get(rep, 0)
        if value.__class__ is not int:
            value = int(value)
        if why is None:
            value += weight
            total += weight
            if best is None or value > best_credit:  # the first of equal credits wins
                best, best_credit, best_weight = rep, value, weight
        credit[rep] = value
    if best is None:
        return None, None, NOBODY.why
    credit[best] -= total
    return best, {"credit": credit}, f"weighted: weight {best_weight} of {total}"

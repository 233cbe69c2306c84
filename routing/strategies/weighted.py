"""Smooth weighted rotation that keeps every rep within one lead of their share.

Each pick adds every eligible member's weight ``w`` to its running credit; with ``W``
the eligible weights' sum, a member's credit is ``W`` times how far it lags its share
(``N*w/W - count``). The pick is the member whose next lead falls due soonest, that is
the smallest ``(W - credit) / w``, among those still owed a lead (credit > 0); the total
is then subtracted from it. This is earliest-deadline-first on the windows in which each
rep's k-th lead keeps it within one of its share, which such a schedule always meets
(Tijdeman's chairman assignment theorem; unit jobs with integer release times, where EDF
is optimal): over every prefix of N picks with stable eligibility each member's count
stays strictly within one of ``N*w/W``. The nginx rule (largest credit) does not: with
weights 1, 1, 1, 5, 5, 5 it drifts to 19/18 after 11 picks. Ties go to member order.
State: ``{"credit": {rep_id: int}}`` (the same as the nginx rule's, so state carries over).
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
    total = sum(weights.values())
    chosen, _ = due_first([(rep, credit[rep], weight) for rep, weight in weights.items()], total)
    credit[chosen] -= total
    return Pick(chosen, {"credit": credit}, f"weighted: weight {weights[chosen]} of {total}")


def due_first(eligible: Sequence[tuple[str, int, int]], total: int) -> tuple[str, int]:
    """``(rep, weight)`` of the rep whose next lead is due soonest: smallest
    ``(total - credit) / weight`` among ``(rep, credit, weight)`` with credit > 0 (else
    the largest credit); the first in member order on a tie. Compared by
    cross-multiplying: exact, no floats."""
    best = None
    best_gap = best_weight = 0
    for rep, value, weight in eligible:
        if value > 0:
            gap = total - value
            if best is None or gap * best_weight < best_gap * weight:
                best, best_gap, best_weight = rep, gap, weight
    if best is not None:
        return best, best_weight
    # Only after eligibility changes can nobody be owed a lead: fall back to the largest.
    top = eligible[0]
    for entry in eligible:
        if entry[1] > top[1]:
            top = entry
    return top[0], top[2]


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
    eligible: list[tuple[str, int, int]] = []
    for rep, weight, why in zip(reps, weights, reasons, strict=True):
        value = old.get(rep, 0)
        if value.__class__ is not int:
            value = int(value)
        if why is None:
            value += weight
            total += weight
            eligible.append((rep, value, weight))
        credit[rep] = value
    if not eligible:
        return None, None, NOBODY.why
    best, weight = due_first(eligible, total)
    credit[best] -= total
    return best, {"credit": credit}, f"weighted: weight {weight} of {total}"

"""Strict rotation over pool members, skipping ineligible ones.

State: ``{"last": rep_id}``, the member picked last. The next pick is the first
eligible member after it in member order, wrapping around. While every member
stays eligible, counts over any window differ by at most one.

:func:`rotation` gives the order members are tried in, so a caller can check
eligibility lazily and stop at the first eligible member (the engine does).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from routing.config.models import PoolMember
from routing.roster import Roster
from routing.strategies.base import NOBODY, Pick


def first_positions(order: Sequence[str]) -> dict[str, int]:
    """Each rep's first position in ``order`` (what ``order.index`` finds)."""
    out: dict[str, int] = {}
    for i, rep in enumerate(order):
        out.setdefault(rep, i)
    return out


def rotation(
    order: tuple[str, ...], state: Mapping[str, Any], positions: Mapping[str, int] | None = None
) -> tuple[tuple[str, ...], str, int]:
    """Members in the order round robin tries them (starting after the last pick), the
    ``why`` of a pick, and where in ``order`` the rotation starts. ``positions``:
    :func:`first_positions` of ``order``, if known."""
    last = state.get("last")
    if isinstance(last, str):
        at = (first_positions(order) if positions is None else positions).get(last)
        if at is not None:
            start = at + 1
            return (
                order[start:] + order[:start],
                f"round robin: next eligible after {last}",
                start,
            )
    return order, "round robin: next eligible first in rotation", 0


def pick_round_robin(
    members: Sequence[PoolMember],
    eligible: Sequence[str],
    state: Mapping[str, Any],
    roster: Roster,
) -> Pick:
    if not eligible:
        return NOBODY
    ok = set(eligible)
    order, why, _ = rotation(tuple(m.rep for m in members), state)
    for rep in order:
        if rep in ok:
            return Pick(rep, {"last": rep}, why)
    return NOBODY

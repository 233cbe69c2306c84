"""What every pool strategy returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from routing.config.models import PoolMember
from routing.roster import Roster


@dataclass(frozen=True)
class Pick:
    rep: str | None
    # New rotation state to store with the assignment; None leaves it unchanged.
    state: dict[str, Any] | None
    why: str


NOBODY = Pick(None, None, "no eligible member")

Strategy = Callable[[Sequence[PoolMember], Sequence[str], Mapping[str, Any], Roster], Pick]

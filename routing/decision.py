"""The engine's output: who gets a lead, why, and the full trace."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Outcome = Literal["rep", "queue", "unrouted"]


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str
    config_version: str
    rule: str | None = None
    # rep | pool | queue | account_owner | existing_owner
    target: str | None = None
    assignee: str | None = None
    queue: str | None = None
    pool: str | None = None
    strategy: str | None = None
    # Every rule tried, every candidate considered, the pick: JSON-ready dicts.
    trace: list[dict[str, Any]] = field(default_factory=list)
    # New rotation state of `pool`, to be stored atomically with the assignment.
    pool_state: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

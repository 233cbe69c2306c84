"""The engine's output: who gets a lead, why, and the full trace."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# kept: a keep_owner target stopped routing; the lead stays with its current owner.
Outcome = Literal["rep", "queue", "unrouted", "kept"]


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str
    config_version: str
    rule: str | None = None
    # rep | pool | queue | account_owner | existing_owner | keep_owner
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


_new = object.__new__
_set = object.__setattr__


def make_decision(
    outcome: Outcome,
    reason: str,
    config_version: str,
    trace: list[dict[str, Any]],
    rule: str | None = None,
    target: str | None = None,
    assignee: str | None = None,
    queue: str | None = None,
    pool: str | None = None,
    strategy: str | None = None,
    pool_state: dict[str, Any] | None = None,
) -> Decision:
    """``Decision(...)`` without the frozen dataclass's per-field ``object.__setattr__``
    (the engine builds one per route call): the same object, every field set."""
    decision: Decision = _new(Decision)
    _set(
        decision,
        "__dict__",
        {
            "outcome": outcome,
            "reason": reason,
            "config_version": config_version,
            "rule": rule,
            "target": target,
            "assignee": assignee,
            "queue": queue,
            "pool": pool,
            "strategy": strategy,
            "trace": trace,
            "pool_state": pool_state,
        },
    )
    return decision

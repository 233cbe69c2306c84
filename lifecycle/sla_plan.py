"""A new offer's SLA ladder: planned once, snapshotted onto the offer.

The ladder is computed when the offer starts and snapshotted onto it (``offer.sla``)
with a timer row per step, in the offer's own transaction: a config reload never
changes a ladder already running, and a crash never loses a step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from routing.config.models import BusinessHours, RoutingConfig, SlaPolicy
from routing.sla import LadderStep, ladder, offer_deadline
from storage.models import Offer, Timer, table_of


@dataclass(frozen=True)
class LadderPlan:
    """A new offer's ladder: its deadline and snapshot (set on the offer before it is
    inserted) and one timer row per step (inserted once the offer has its id)."""

    deadline: datetime
    snapshot: dict[str, Any]
    steps: list[LadderStep]

    def apply(self, offer: Offer) -> None:
        offer.deadline = self.deadline
        offer.sla = self.snapshot

    def timer_rows(self, offer: Offer) -> list[dict[str, Any]]:
        first_escalation = next((s.index for s in self.steps if s.kind == "escalate"), None)
        return [
            {
                "key": f"offer:{offer.id}:step:{step.index}",
                "kind": step.kind,
                "lead_id": offer.lead_id,
                "offer_id": offer.id,
                "due_at": step.due,
                "status": "pending",
                "locked_until": None,
                "attempts": 0,
                "payload": {**step.to_dict(), "breach": step.index == first_escalation},
                "fired_at": None,
            }
            for step in self.steps
        ]


def _hours(config: RoutingConfig, rep_id: str) -> BusinessHours | None:
    rep = config.reps_by_id.get(rep_id)
    return config.business_hours.get(rep.hours) if rep is not None and rep.hours else None


def plan_ladder(
    config: RoutingConfig, policy: SlaPolicy, rep_id: str, offered_at: datetime
) -> LadderPlan:
    hours = _hours(config, rep_id)
    steps = ladder(policy, offered_at, hours)
    snapshot = {
        "policy": policy.model_dump(mode="json"),
        "max_reassignments": config.max_reassignments_for(policy),
        "ladder": [step.to_dict() for step in steps],
    }
    return LadderPlan(offer_deadline(policy, offered_at, hours), snapshot, steps)


def replan_from(
    config: RoutingConfig, rep_id: str, snapshot: dict[str, Any] | None, start: datetime
) -> LadderPlan | None:
    """The offer's ladder counted from ``start`` instead (its card arrived late): the
    policy and bound it was snapshotted with, the steps and deadline moved. None for an
    offer without a ladder."""
    if not snapshot or "policy" not in snapshot:
        return None
    policy = SlaPolicy.model_validate(snapshot["policy"])
    hours = _hours(config, rep_id)
    steps = ladder(policy, start, hours)
    moved = {
        **{k: v for k, v in snapshot.items() if k != "card_wait"},
        "ladder": [step.to_dict() for step in steps],
        "clock_from": start.isoformat(),
    }
    return LadderPlan(offer_deadline(policy, start, hours), moved, steps)


def start_ladder(
    session: Session, config: RoutingConfig, policy: SlaPolicy, offer: Offer
) -> dict[str, Any]:
    """Deadline, snapshot and timers for a new offer (stored: it has its id); returns
    the snapshot."""
    plan = plan_ladder(config, policy, offer.rep_id, offer.offered_at)
    plan.apply(offer)
    rows = plan.timer_rows(offer)
    if rows:
        session.execute(insert(table_of(Timer)), rows)
    return plan.snapshot

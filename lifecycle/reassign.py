"""Manual reassignment by a manager or admin: revoke what is open, offer to the new rep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lifecycle.assign import create_offer
from lifecycle.offers import end_offer
from routing.effects import UpdateOfferCard, UpdateQueueCard
from routing.engine import Router
from routing.states import OfferEvent
from storage.events import record_event
from storage.locking import for_update
from storage.models import Decision, Lead
from storage.offers import pending_offer
from storage.outbox import enqueue_effect

Status = Literal["reassigned", "same_rep", "unknown"]


@dataclass(frozen=True)
class ReassignResult:
    status: Status
    lead: Lead | None = None
    offer_id: int | None = None
    previous: str | None = None


def reassign_lead(
    session: Session,
    router: Router,
    lead_id: int,
    *,
    to_rep: str,
    by: str,
    reason: str | None,
    now: datetime,
) -> ReassignResult:
    """The caller checks permissions; this moves the lead atomically."""
    stmt = select(Lead).where(Lead.id == lead_id).execution_options(populate_existing=True)
    lead = session.scalars(for_update(session, stmt)).first()
    if lead is None:
        return ReassignResult("unknown")
    pending = pending_offer(session, lead.id)
    current = pending.rep_id if pending is not None else lead.assignee
    if current == to_rep:
        return ReassignResult("same_rep", lead, previous=current)
    note = f"reassigned by {by}" + (f": {reason}" if reason else "")
    if pending is not None:
        end_offer(session, pending, OfferEvent.REVOKE, now, reason=note)
        enqueue_effect(
            session,
            UpdateOfferCard(offer_id=pending.id),
            key=f"offer:{pending.id}:revoked",
            now=now,
            lead_id=lead.id,
        )
    if lead.state == "queued" and lead.queue_message_ts:
        enqueue_effect(
            session,
            UpdateQueueCard(lead_id=lead.id),
            key=f"lead:{lead.id}:dequeued:{now.isoformat()}",
            now=now,
            lead_id=lead.id,
        )
    decision = Decision(
        lead_id=lead.id,
        decided_at=now,
        rule=None,
        target="rep",
        assignee=to_rep,
        reason=f"manual: {note}",
        trace=[{"step": "manual", "by": by, "from": current, "to": to_rep, "reason": reason}],
        config_version=router.version,
    )
    session.add(decision)
    session.flush()
    lead.assignee = None
    lead.accepted_at = None
    lead.queue_id = None
    record_event(
        session,
        lead_id=lead.id,
        kind="lead.reassigned",
        at=now,
        actor=by,
        previous=current,
        to=to_rep,
        reason=reason,
    )
    offer = create_offer(session, router, lead, decision, to_rep, now)
    return ReassignResult("reassigned", lead, offer.id, previous=current)

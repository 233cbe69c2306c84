"""Claiming a lead from an open-claim queue: the first eligible member wins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from routing.effects import UpdateQueueCard
from routing.states import LeadEvent, LeadState, OfferOutcome, lead_transition
from storage.events import record_event
from storage.locking import for_update
from storage.models import Lead, Offer
from storage.outbox import enqueue_effect

ClaimStatus = Literal["claimed", "already_claimed", "not_queued", "unknown"]


@dataclass(frozen=True)
class ClaimResult:
    """Plain values, safe to read once the transaction has ended."""

    status: ClaimStatus
    public_id: str | None = None
    owner: str | None = None


def claim_lead(session: Session, lead_id: int, rep_id: str, now: datetime) -> ClaimResult:
    """Caller checks membership; this makes the claim itself race-free."""
    stmt = (
        select(Lead)
        .where(Lead.id == lead_id)
        .options(lazyload(Lead.offers), lazyload(Lead.decisions))
        .execution_options(populate_existing=True)
    )
    lead = session.scalars(for_update(session, stmt)).first()
    if lead is None:
        return ClaimResult("unknown")
    if lead.state != LeadState.QUEUED:
        if lead.assignee:
            return ClaimResult("already_claimed", lead.public_id, lead.assignee)
        return ClaimResult("not_queued", lead.public_id)
    lead.state = lead_transition(lead.state, LeadEvent.CLAIM)
    lead.assignee = rep_id
    lead.accepted_at = now
    # A claim is an offer accepted on the spot: time-to-acknowledge counts from routing.
    offer = Offer(
        lead_id=lead.id,
        rep_id=rep_id,
        offered_at=lead.routed_at or lead.received_at,
        responded_at=now,
        outcome=OfferOutcome.ACCEPTED,
        reason=f"claimed from queue {lead.queue_id}",
    )
    session.add(offer)
    session.flush()
    record_event(
        session, lead_id=lead.id, kind="queue.claimed", at=now, actor=rep_id, queue=lead.queue_id
    )
    enqueue_effect(
        session,
        UpdateQueueCard(lead_id=lead.id),
        key=f"lead:{lead.id}:claimed",
        now=now,
        lead_id=lead.id,
    )
    return ClaimResult("claimed", lead.public_id, rep_id)

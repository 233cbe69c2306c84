"""Accepting and declining offers: conditional, so double clicks change nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.events import record_event
from storage.locking import for_update
from storage.models import Lead, Offer
from storage.outbox import enqueue
from storage.timers import cancel_for_offer

Status = Literal["accepted", "declined", "not_yours", "not_pending", "unknown"]


@dataclass(frozen=True)
class OfferAction:
    status: Status
    offer: Offer | None = None
    lead: Lead | None = None

    @property
    def changed(self) -> bool:
        return self.status in ("accepted", "declined")


def lock_offer(session: Session, offer_id: int) -> Offer | None:
    stmt = select(Offer).where(Offer.id == offer_id).execution_options(populate_existing=True)
    return session.scalars(for_update(session, stmt)).first()


def _load(session: Session, offer_id: int, rep_id: str) -> OfferAction | Offer:
    offer = lock_offer(session, offer_id)
    if offer is None:
        return OfferAction("unknown")
    lead = session.get(Lead, offer.lead_id)
    if offer.rep_id != rep_id:
        return OfferAction("not_yours", offer, lead)
    if offer.outcome != "pending":
        return OfferAction("not_pending", offer, lead)
    return offer


def accept_offer(session: Session, offer_id: int, rep_id: str, now: datetime) -> OfferAction:
    found = _load(session, offer_id, rep_id)
    if isinstance(found, OfferAction):
        return found
    offer = found
    lead = session.get(Lead, offer.lead_id)
    assert lead is not None
    offer.outcome = "accepted"
    offer.responded_at = now
    cancel_for_offer(session, offer.id)
    lead.state = "accepted"
    lead.assignee = rep_id
    lead.accepted_at = now
    seconds = (now - offer.offered_at).total_seconds()
    record_event(
        session,
        lead_id=lead.id,
        kind="offer.accepted",
        at=now,
        actor=rep_id,
        offer=offer.id,
        seconds_to_accept=seconds,
    )
    enqueue(
        session,
        key=f"offer:{offer.id}:accepted",
        kind="slack.offer_update",
        payload={"offer_id": offer.id},
        now=now,
        lead_id=lead.id,
    )
    return OfferAction("accepted", offer, lead)


def decline_offer(
    session: Session, offer_id: int, rep_id: str, now: datetime, *, reason: str | None
) -> OfferAction:
    """Mark the offer declined; the caller re-routes the lead in the same transaction."""
    found = _load(session, offer_id, rep_id)
    if isinstance(found, OfferAction):
        return found
    offer = found
    lead = session.get(Lead, offer.lead_id)
    assert lead is not None
    offer.outcome = "declined"
    offer.responded_at = now
    cancel_for_offer(session, offer.id)
    offer.reason = reason
    record_event(
        session,
        lead_id=lead.id,
        kind="offer.declined",
        at=now,
        actor=rep_id,
        offer=offer.id,
        reason=reason,
    )
    enqueue(
        session,
        key=f"offer:{offer.id}:declined",
        kind="slack.offer_update",
        payload={"offer_id": offer.id},
        now=now,
        lead_id=lead.id,
    )
    return OfferAction("declined", offer, lead)


def record_card(session: Session, offer_id: int, *, channel: str, ts: str) -> None:
    offer = session.get(Offer, offer_id)
    if offer is not None:
        offer.channel = channel
        offer.message_ts = ts

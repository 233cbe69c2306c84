"""Ending an offer (accept, decline, time out, revoke): conditional, so double clicks
change nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from routing.effects import UpdateOfferCard
from routing.states import (
    LeadEvent,
    OfferEvent,
    OfferOutcome,
    lead_transition,
    offer_transition,
)
from storage.events import record_event
from storage.leads import lead_row
from storage.models import Lead, Offer
from storage.offers import lock_offer
from storage.outbox import enqueue_effect
from storage.timers import cancel_for_offer

Status = Literal["accepted", "declined", "not_yours", "not_pending", "unknown"]


@dataclass(frozen=True)
class Answer:
    """What became of a rep's answer to an offer, as plain values: safe to read once the
    transaction has ended (listeners get this, never the rows)."""

    status: Status
    outcome: str | None = None  # the offer's outcome now (why a late click changed nothing)
    rep_id: str | None = None  # whom the offer was made to

    @property
    def changed(self) -> bool:
        return self.status in ("accepted", "declined")


@dataclass(frozen=True)
class OfferAction:
    status: Status
    offer: Offer | None = None
    lead: Lead | None = None

    @property
    def changed(self) -> bool:
        return self.status in ("accepted", "declined")

    def answer(self) -> Answer:
        offer = self.offer
        if offer is None:
            return Answer(self.status)
        return Answer(self.status, str(offer.outcome), offer.rep_id)


def _load(session: Session, offer_id: int, rep_id: str) -> OfferAction | Offer:
    offer = lock_offer(session, offer_id)
    if offer is None:
        return OfferAction("unknown")
    lead = lead_row(session, offer.lead_id)
    if offer.rep_id != rep_id:
        return OfferAction("not_yours", offer, lead)
    if offer.outcome != OfferOutcome.PENDING:
        return OfferAction("not_pending", offer, lead)
    return offer


def end_offer(
    session: Session,
    offer: Offer,
    event: OfferEvent,
    now: datetime,
    *,
    reason: str | None = None,
    stop_ladder: bool = True,
) -> OfferOutcome:
    """The one way an offer ends (accept, decline, time out, revoke): its outcome from
    the lifecycle table (IllegalTransition unless it is pending), when, why, and its
    SLA ladder stopped (unless the caller stops several ladders in one statement)."""
    outcome = offer_transition(offer.outcome, event)
    offer.outcome = outcome
    offer.responded_at = now
    offer.reason = reason
    if stop_ladder:
        cancel_for_offer(session, offer.id)
    return outcome


def _respond(
    session: Session,
    offer: Offer,
    rep_id: str,
    now: datetime,
    *,
    event: OfferEvent,
    reason: str | None = None,
    **details: object,
) -> Lead:
    """The rep's answer: the offer closes, its ladder stops, its card is updated."""
    lead = lead_row(session, offer.lead_id)
    assert lead is not None
    outcome = end_offer(session, offer, event, now, reason=reason)
    event_data = dict(details)
    if reason is not None:
        event_data["reason"] = reason
    record_event(
        session,
        lead_id=lead.id,
        kind=f"offer.{outcome}",
        at=now,
        actor=rep_id,
        offer=offer.id,
        **event_data,
    )
    enqueue_effect(
        session,
        UpdateOfferCard(offer_id=offer.id),
        key=f"offer:{offer.id}:{outcome}",
        now=now,
        lead_id=lead.id,
    )
    return lead


def accept_offer(session: Session, offer_id: int, rep_id: str, now: datetime) -> OfferAction:
    found = _load(session, offer_id, rep_id)
    if isinstance(found, OfferAction):
        return found
    seconds = (now - found.offered_at).total_seconds()
    lead = _respond(session, found, rep_id, now, event=OfferEvent.ACCEPT, seconds_to_accept=seconds)
    lead.state = lead_transition(lead.state, LeadEvent.ACCEPT)
    lead.assignee = rep_id
    lead.accepted_at = now
    return OfferAction("accepted", found, lead)


def decline_offer(
    session: Session, offer_id: int, rep_id: str, now: datetime, *, reason: str | None
) -> OfferAction:
    """Mark the offer declined; the caller re-routes the lead in the same transaction."""
    found = _load(session, offer_id, rep_id)
    if isinstance(found, OfferAction):
        return found
    lead = _respond(session, found, rep_id, now, event=OfferEvent.DECLINE, reason=reason)
    return OfferAction("declined", found, lead)

"""What the demo reads back from the database: new events for its live feed, what is
still due on the SLA ladders, and the leads, offers and event kinds of its summary.

Plain values only: the demo prints them after the transaction is over.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Event, Lead, Offer, Timer


@dataclass(frozen=True)
class EventLine:
    id: int
    lead_id: int | None
    at: datetime
    kind: str
    actor: str | None
    data: dict[str, Any]


@dataclass(frozen=True)
class LeadTimes:
    state: str
    received_at: datetime
    accepted_at: datetime | None


@dataclass(frozen=True)
class OfferTimes:
    rep_id: str
    outcome: str
    offered_at: datetime
    responded_at: datetime | None


def events_after(session: Session, last_id: int) -> list[EventLine]:
    """Events logged after event ``last_id``, in the order they were logged."""
    events = session.scalars(select(Event).where(Event.id > last_id).order_by(Event.id))
    return [EventLine(e.id, e.lead_id, e.at, e.kind, e.actor, e.data) for e in events]


def lead_fields(session: Session, lead_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The fields of these leads (those that exist), by lead id."""
    out = {}
    for lead_id in lead_ids:
        lead = session.get(Lead, lead_id)
        if lead is not None:
            out[lead_id] = lead.fields
    return out


def pending_timers_due_by(session: Session, horizon: datetime) -> int:
    """How many SLA steps are still to fire by ``horizon``."""
    due = session.scalar(
        select(func.count())
        .select_from(Timer)
        .where(Timer.status == "pending", Timer.due_at <= horizon)
    )
    return int(due or 0)


def all_lead_times(session: Session) -> list[LeadTimes]:
    return [
        LeadTimes(lead.state, lead.received_at, lead.accepted_at)
        for lead in session.scalars(select(Lead))
    ]


def all_event_kinds(session: Session) -> list[str]:
    return list(session.scalars(select(Event.kind)))


def all_offer_times(session: Session) -> list[OfferTimes]:
    return [
        OfferTimes(offer.rep_id, offer.outcome, offer.offered_at, offer.responded_at)
        for offer in session.scalars(select(Offer))
    ]

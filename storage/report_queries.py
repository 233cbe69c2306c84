"""The reads behind ``leadrouter report`` and ``/leadrouter stats``: what happened in a
period, from leads, offers, decisions and the event log.

The numbers are computed by the caller; these return the rows (ORM rows are for use
inside the same session: a lead's offers load on first access).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Decision, Event, Lead, Offer


@dataclass(frozen=True)
class EventRow:
    lead_id: int | None
    kind: str
    data: dict[str, Any] | None


def leads_received_since(session: Session, since: datetime) -> list[Lead]:
    return list(session.scalars(select(Lead).where(Lead.received_at >= since)))


def offers_made_since(session: Session, since: datetime) -> list[Offer]:
    return list(session.scalars(select(Offer).where(Offer.offered_at >= since)))


def decisions_since(session: Session, since: datetime) -> list[Decision]:
    return list(session.scalars(select(Decision).where(Decision.decided_at >= since)))


def event_kinds_since(session: Session, since: datetime) -> list[str]:
    """The kind of every event at or after ``since``, one entry per event."""
    return list(session.scalars(select(Event.kind).where(Event.at >= since)))


def events_of_kinds_since(
    session: Session, kinds: Collection[str], since: datetime
) -> list[EventRow]:
    """Events of ``kinds`` at or after ``since``, without their actor or time."""
    rows = session.execute(
        select(Event.lead_id, Event.kind, Event.data).where(
            Event.kind.in_(kinds), Event.at >= since
        )
    )
    return [EventRow(lead_id, kind, data) for lead_id, kind, data in rows]

"""The reads behind ``leadrouter explain``: a lead by the external id it arrived with,
and its event log in order.

``storage.leads.find_lead`` knows short ids and Salesforce ids; a lead from a CSV or a web
form may be known to its sender only by the id it came with.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Event, Lead


def lead_by_external_id(session: Session, external_id: str) -> Lead | None:
    return session.scalars(select(Lead).where(Lead.external_id == external_id)).first()


def lead_events(session: Session, lead_id: int) -> list[Event]:
    """Everything that happened to the lead, oldest first (ties in storage order)."""
    return list(
        session.scalars(select(Event).where(Event.lead_id == lead_id).order_by(Event.at, Event.id))
    )

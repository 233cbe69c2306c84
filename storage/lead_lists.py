"""Short lists of leads: a rep's pending offers and accepted leads, leads open for claim.

Plain values, so a caller may word them for Slack after the transaction is over.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Lead, Offer


@dataclass(frozen=True)
class LeadLine:
    public_id: str
    fields: dict[str, Any]
    queue_id: str | None = None
    deadline: datetime | None = None  # of the pending offer, when listed for one


def pending_offers_of(session: Session, rep_id: str) -> list[LeadLine]:
    """The leads waiting for the rep to accept (with the offer's deadline)."""
    pending = session.scalars(
        select(Offer).where(Offer.rep_id == rep_id, Offer.outcome == "pending")
    ).all()
    out = []
    for offer in pending:
        lead = session.get(Lead, offer.lead_id)
        if lead is not None:
            out.append(LeadLine(lead.public_id, lead.fields, deadline=offer.deadline))
    return out


def accepted_by(session: Session, rep_id: str, *, limit: int) -> list[LeadLine]:
    """The rep's accepted leads, latest first."""
    accepted = session.scalars(
        select(Lead)
        .where(Lead.assignee == rep_id, Lead.state == "accepted")
        .order_by(Lead.accepted_at.desc())
        .limit(limit)
    ).all()
    return [LeadLine(lead.public_id, lead.fields) for lead in accepted]


def open_for_claim(session: Session, queue_ids: Collection[str], *, limit: int) -> list[LeadLine]:
    """Leads queued for claim in these queues, longest waiting first."""
    open_leads = session.scalars(
        select(Lead)
        .where(Lead.state == "queued", Lead.queue_id.in_(queue_ids))
        .order_by(Lead.routed_at)
        .limit(limit)
    ).all()
    return [LeadLine(lead.public_id, lead.fields, queue_id=lead.queue_id) for lead in open_leads]

"""The reads behind an App Home: a rep's offers and accepted leads, their team's open
leads, who is away and today's accepts.

Each list comes with its total (``Page``) because the Home shows a few lines and says how
many more there are. Plain values, so the view can word them after the transaction.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from storage.models import Lead, Offer, RepPresence

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """The first rows of a list, and how many the whole list has."""

    rows: list[T]
    total: int


@dataclass(frozen=True)
class PendingOfferRow:
    offer_id: int
    offered_at: datetime
    deadline: datetime | None
    lead_id: int
    fields: dict[str, Any]
    salesforce_id: str | None


@dataclass(frozen=True)
class AcceptedLeadRow:
    lead_id: int
    fields: dict[str, Any]
    received_at: datetime
    accepted_at: datetime


@dataclass(frozen=True)
class TeamOfferRow:
    rep_id: str
    offered_at: datetime
    deadline: datetime | None
    lead_id: int
    fields: dict[str, Any]


@dataclass(frozen=True)
class QueuedLeadRow:
    lead_id: int
    fields: dict[str, Any]
    routed_at: datetime | None
    received_at: datetime
    queue_id: str | None


def _count(session: Session, stmt: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)


def pending_offers(session: Session, rep_id: str, *, limit: int) -> Page[PendingOfferRow]:
    """The rep's pending offers, oldest first."""
    stmt = (
        select(Offer.id, Offer.offered_at, Offer.deadline, Lead.id, Lead.fields, Lead.salesforce_id)
        .join(Lead, Lead.id == Offer.lead_id)
        .where(Offer.rep_id == rep_id, Offer.outcome == "pending")
    )
    rows = [
        PendingOfferRow(offer_id, offered_at, deadline, lead_id, fields, sf_id)
        for offer_id, offered_at, deadline, lead_id, fields, sf_id in session.execute(
            stmt.order_by(Offer.offered_at, Offer.id).limit(limit)
        )
    ]
    return Page(rows, _count(session, stmt))


def accepted_leads(session: Session, rep_id: str, *, limit: int) -> Page[AcceptedLeadRow]:
    """The leads the rep accepted, latest first."""
    stmt = select(Lead.id, Lead.fields, Lead.received_at, Lead.accepted_at).where(
        Lead.assignee == rep_id, Lead.accepted_at.is_not(None)
    )
    rows = [
        AcceptedLeadRow(lead_id, fields, received_at, accepted_at)
        for lead_id, fields, received_at, accepted_at in session.execute(
            stmt.order_by(Lead.accepted_at.desc(), Lead.id.desc()).limit(limit)
        )
    ]
    return Page(rows, _count(session, stmt))


def stored_away_until(session: Session, rep_id: str) -> datetime | None:
    """The rep's away-until as stored, past or not (the view compares it with now)."""
    presence = session.get(RepPresence, rep_id)
    return presence.away_until if presence is not None else None


def team_pending_offers(
    session: Session, reps: Collection[str], *, limit: int
) -> Page[TeamOfferRow]:
    """Pending offers to any of ``reps``, oldest first."""
    stmt = (
        select(Offer.rep_id, Offer.offered_at, Offer.deadline, Lead.id, Lead.fields)
        .join(Lead, Lead.id == Offer.lead_id)
        .where(Offer.rep_id.in_(reps), Offer.outcome == "pending")
    )
    rows = [
        TeamOfferRow(rep_id, offered_at, deadline, lead_id, fields)
        for rep_id, offered_at, deadline, lead_id, fields in session.execute(
            stmt.order_by(Offer.offered_at, Offer.id).limit(limit)
        )
    ]
    return Page(rows, _count(session, stmt))


def queued_leads(session: Session, queues: Collection[str], *, limit: int) -> Page[QueuedLeadRow]:
    """Leads waiting in any of ``queues``, longest routed first."""
    stmt = select(Lead.id, Lead.fields, Lead.routed_at, Lead.received_at, Lead.queue_id).where(
        Lead.state == "queued", Lead.queue_id.in_(queues)
    )
    rows = [
        QueuedLeadRow(lead_id, fields, routed_at, received_at, queue_id)
        for lead_id, fields, routed_at, received_at, queue_id in session.execute(
            stmt.order_by(Lead.routed_at, Lead.id).limit(limit)
        )
    ]
    return Page(rows, _count(session, stmt))


def away_among(
    session: Session, reps: Collection[str], now: datetime
) -> list[tuple[str, datetime]]:
    """``(rep_id, away_until)`` of those of ``reps`` away after ``now``, soonest back first."""
    rows = session.execute(
        select(RepPresence.rep_id, RepPresence.away_until)
        .where(RepPresence.rep_id.in_(reps), RepPresence.away_until > now)
        .order_by(RepPresence.away_until, RepPresence.rep_id)
    )
    return [(rep_id, until) for rep_id, until in rows if until is not None]


def accepts_since(
    session: Session, reps: Collection[str], since: datetime
) -> list[tuple[datetime, datetime]]:
    """``(received_at, accepted_at)`` of the leads ``reps`` accepted at or after ``since``."""
    rows = session.execute(
        select(Lead.received_at, Lead.accepted_at).where(
            Lead.assignee.in_(reps), Lead.accepted_at >= since
        )
    )
    return [(received, accepted) for received, accepted in rows if accepted is not None]

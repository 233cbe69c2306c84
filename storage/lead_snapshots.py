"""A lead with its offers and decisions as plain values, read in one transaction: what
an adapter may keep after the session has closed (an ORM row may not be read then)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.leads import find_lead


@dataclass(frozen=True)
class OfferSnapshot:
    id: int
    rep_id: str
    outcome: str
    offered_at: datetime
    responded_at: datetime | None
    reason: str | None


@dataclass(frozen=True)
class DecisionSnapshot:
    decided_at: datetime
    config_version: str | None
    reason: str | None
    trace: list[dict[str, Any]]


@dataclass(frozen=True)
class LeadSnapshot:
    id: int
    public_id: str
    fields: dict[str, Any]
    state: str
    assignee: str | None
    queue_id: str | None
    offers: tuple[OfferSnapshot, ...]
    decisions: tuple[DecisionSnapshot, ...]


def lead_snapshot(session: Session, ref: str) -> LeadSnapshot | None:
    """The lead a user names (short id, Salesforce id, external id), or None."""
    lead = find_lead(session, ref)
    if lead is None:
        return None
    return LeadSnapshot(
        id=lead.id,
        public_id=lead.public_id,
        fields=dict(lead.fields or {}),
        state=str(lead.state),
        assignee=lead.assignee,
        queue_id=lead.queue_id,
        offers=tuple(
            OfferSnapshot(o.id, o.rep_id, str(o.outcome), o.offered_at, o.responded_at, o.reason)
            for o in lead.offers
        ),
        decisions=tuple(
            DecisionSnapshot(d.decided_at, d.config_version, d.reason, list(d.trace or []))
            for d in lead.decisions
        ),
    )

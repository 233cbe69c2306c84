"""What the card handlers read about an offer, its lead and decision, and its card post.

The outbox handlers that post cards, reminders and escalation notices read these in one
transaction and talk to Slack after it: they get plain values, never a row, so nothing
is read from a closed session.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.leads import lead_row
from storage.models import Decision, Offer, OutboxItem


@dataclass(frozen=True)
class OfferFacts:
    id: int
    lead_id: int
    decision_id: int | None
    rep_id: str
    outcome: str
    offered_at: datetime
    deadline: datetime | None
    responded_at: datetime | None
    reason: str | None
    channel: str | None  # where the card lives, once posted
    message_ts: str | None
    sla: dict[str, Any] | None = None  # the ladder snapshot
    delivered_at: datetime | None = None  # when Slack took the card


@dataclass(frozen=True)
class LeadFacts:
    id: int
    public_id: str
    fields: dict[str, Any]
    salesforce_id: str | None
    score_reasons: list[Any] | None


@dataclass(frozen=True)
class DecisionFacts:
    rule: str | None
    reason: str
    pool_id: str | None


@dataclass(frozen=True)
class CardPost:
    """The outbox row that posts an offer's card."""

    status: str  # pending | done | dead
    next_attempt_at: datetime
    last_error: str | None


def offer_facts(session: Session, offer_id: int) -> OfferFacts | None:
    offer = session.get(Offer, offer_id)
    if offer is None:
        return None
    return OfferFacts(
        id=offer.id,
        lead_id=offer.lead_id,
        decision_id=offer.decision_id,
        rep_id=offer.rep_id,
        outcome=offer.outcome,
        offered_at=offer.offered_at,
        deadline=offer.deadline,
        responded_at=offer.responded_at,
        reason=offer.reason,
        channel=offer.channel,
        message_ts=offer.message_ts,
        sla=dict(offer.sla) if offer.sla else None,
        delivered_at=offer.delivered_at,
    )


def lead_facts(session: Session, lead_id: int) -> LeadFacts | None:
    lead = lead_row(session, lead_id)
    if lead is None:
        return None
    return LeadFacts(
        id=lead.id,
        public_id=lead.public_id,
        fields=lead.fields,
        salesforce_id=lead.salesforce_id,
        score_reasons=lead.score_reasons,
    )


def decision_facts(session: Session, decision_id: int | None) -> DecisionFacts | None:
    """The routing decision behind an offer; None when it has none (or it is gone)."""
    decision = session.get(Decision, decision_id) if decision_id else None
    if decision is None:
        return None
    return DecisionFacts(rule=decision.rule, reason=decision.reason, pool_id=decision.pool_id)


def card_post(session: Session, offer_id: int) -> CardPost | None:
    """The row posting the offer's card (the ``offer:{id}:post`` intent that
    lifecycle.assign queues with the offer); None if there is none."""
    row = session.execute(
        select(OutboxItem.status, OutboxItem.next_attempt_at, OutboxItem.last_error).where(
            OutboxItem.key == f"offer:{offer_id}:post"
        )
    ).first()
    if row is None:
        return None
    return CardPost(
        status=row.status, next_attempt_at=row.next_attempt_at, last_error=row.last_error
    )


def cards_still_coming(session: Session, offer_ids: Collection[int]) -> set[int]:
    """Those of ``offer_ids`` whose card post is still pending (not done, not dead)."""
    keys = {f"offer:{offer_id}:post": offer_id for offer_id in offer_ids}
    if not keys:
        return set()
    rows = session.scalars(
        select(OutboxItem.key).where(
            OutboxItem.key.in_(sorted(keys)), OutboxItem.status == "pending"
        )
    )
    return {keys[key] for key in rows}

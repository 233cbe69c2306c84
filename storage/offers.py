"""Offer rows: locking them, and where their Slack card lives."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.locking import for_update
from storage.models import Offer


def lock_offer(session: Session, offer_id: int) -> Offer | None:
    stmt = select(Offer).where(Offer.id == offer_id).execution_options(populate_existing=True)
    return session.scalars(for_update(session, stmt)).first()


def lock_offers(session: Session, offer_ids: Collection[int]) -> dict[int, Offer]:
    """These offers, row-locked in one statement, skipping those another transaction
    holds (an accept being clicked, a step of another replica): the caller leaves
    those for later instead of waiting while it holds other rows."""
    if not offer_ids:
        return {}
    stmt = (
        select(Offer)
        .where(Offer.id.in_(sorted(offer_ids)))
        .order_by(Offer.id)
        .execution_options(populate_existing=True)
    )
    return {o.id: o for o in session.scalars(for_update(session, stmt, skip_locked=True))}


def pending_offer(session: Session, lead_id: int) -> Offer | None:
    return session.scalars(
        select(Offer).where(Offer.lead_id == lead_id, Offer.outcome == "pending")
    ).first()


def record_card(
    session: Session, offer_id: int, *, channel: str, ts: str, at: datetime | None = None
) -> None:
    """Where the offer's card is, and when Slack first took it (``at``)."""
    offer = session.get(Offer, offer_id)
    if offer is not None:
        offer.channel = channel
        offer.message_ts = ts
        if at is not None and offer.delivered_at is None:
            offer.delivered_at = at

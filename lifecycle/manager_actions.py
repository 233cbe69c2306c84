"""What a manager does with a late offer from the escalation ping: nudge the rep, or
open the lead for claim."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lifecycle.open_claim import open_claim
from routing.effects import Remind
from routing.engine import Router
from routing.sla import fallback_queue
from storage.events import record_event
from storage.leads import lead_row
from storage.models import Offer
from storage.offers import lock_offer
from storage.outbox import enqueue_effect


def open_claim_now(
    session: Session, router: Router, offer_id: int, *, by: str, now: datetime
) -> str | None:
    """A manager opens a late offer for claim; returns the queue, or None if not pending."""
    offer = lock_offer(session, offer_id)
    if offer is None or offer.outcome != "pending":
        return None
    lead = lead_row(session, offer.lead_id)
    assert lead is not None
    queue = fallback_queue(router.config, offer.sla or {}, offer.rep_id)
    if queue is None:
        return None
    open_claim(session, router, offer, lead, queue, now, f"opened by {by}")
    return queue


def nudge_rep(session: Session, offer_id: int, *, by: str, now: datetime) -> bool:
    """A manager's Nudge: remind the rep of a pending offer again; False if not pending."""
    offer = session.get(Offer, offer_id)
    if offer is None or offer.outcome != "pending":
        return False
    enqueue_effect(
        session,
        Remind(offer_id=offer_id, by=by),
        key=f"offer:{offer_id}:nudge:{now.isoformat()}",
        now=now,
        lead_id=offer.lead_id,
    )
    record_event(session, lead_id=offer.lead_id, kind="sla.nudged", at=now, actor=by)
    return True

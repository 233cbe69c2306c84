"""Which Salesforce writes a change calls for, queued in its transaction.

``salesforce.owner_update`` (``on_offer | on_accept | never``) moves the Lead's owner;
``create_task`` adds a follow-up Task on accept or claim; ``write_score`` writes the
score and tier. Each is one outbox row per intent (its key), so a retried transaction
or a repeated click queues nothing twice; ``bot.salesforce.writeback`` performs them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy.orm import Session

from routing.config.models import RoutingConfig
from routing.effects import SalesforceOwner, SalesforceScore, SalesforceTask
from storage.leads import lead_row
from storage.models import Lead, Offer
from storage.outbox import enqueue_effect

Event = Literal["offer", "accept", "claim"]


def enqueue_salesforce_writes(
    session: Session,
    config: RoutingConfig,
    lead: Lead,
    rep_id: str,
    event: Event,
    *,
    now: datetime,
    offer_id: int | None = None,
) -> int:
    """Queue the Salesforce writes ``event`` calls for; returns how many were new."""
    if not lead.salesforce_id:
        return 0
    settings = config.salesforce
    queued = 0
    sf_id = lead.salesforce_id
    owner_now = (settings.owner_update == "on_offer" and event == "offer") or (
        settings.owner_update == "on_accept" and event in ("accept", "claim")
    )
    intent = f"offer:{offer_id}" if offer_id is not None else event
    if owner_now:
        queued += enqueue_effect(
            session,
            SalesforceOwner(lead_id=lead.id, salesforce_id=sf_id, rep_id=rep_id),
            key=f"lead:{lead.id}:sf_owner:{intent}:{rep_id}",
            now=now,
            lead_id=lead.id,
        )
    if event in ("accept", "claim"):
        if settings.create_task:
            queued += enqueue_effect(
                session,
                SalesforceTask(
                    lead_id=lead.id, salesforce_id=sf_id, rep_id=rep_id, public_id=lead.public_id
                ),
                key=f"lead:{lead.id}:sf_task:{rep_id}",
                now=now,
                lead_id=lead.id,
            )
        if settings.write_score and lead.score is not None:
            queued += enqueue_effect(
                session,
                SalesforceScore(
                    lead_id=lead.id,
                    salesforce_id=sf_id,
                    rep_id=rep_id,
                    score=lead.score,
                    tier=lead.tier,
                ),
                key=f"lead:{lead.id}:sf_score",
                now=now,
                lead_id=lead.id,
            )
    return queued


def enqueue_for_new_offer(
    session: Session, config: RoutingConfig, offer_id: int | None, *, now: datetime
) -> int:
    """``owner_update: on_offer``: the owner follows each new offer."""
    if offer_id is None or config.salesforce.owner_update != "on_offer":
        return 0
    offer = session.get(Offer, offer_id)
    lead = lead_row(session, offer.lead_id) if offer is not None else None
    if offer is None or lead is None:
        return 0
    return enqueue_salesforce_writes(
        session, config, lead, offer.rep_id, "offer", now=now, offer_id=offer.id
    )

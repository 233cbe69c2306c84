"""When a late lead leaves its rep: the offer timed out, the lead opened for claim in a
queue, and admins told when it went over its reassignment limit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lifecycle.offers import end_offer
from routing.config.models import RoutingConfig
from routing.effects import PostQueueCard, SlaAlert, UpdateOfferCard
from routing.engine import Router
from routing.sla import fallback_queue
from routing.states import LeadEvent, OfferEvent, lead_transition
from storage.events import record_event
from storage.models import Decision, Lead, Offer
from storage.outbox import enqueue_effect

TIMED_OUT = "not accepted in time"


def time_out_offer(
    session: Session, offer: Offer, now: datetime, reason: str, *, cancel: bool = True
) -> None:
    """The offer timed out: closed, its card updated; its ladder stopped (unless the
    caller stops several at once)."""
    end_offer(session, offer, OfferEvent.TIME_OUT, now, reason=reason, stop_ladder=cancel)
    enqueue_effect(
        session,
        UpdateOfferCard(offer_id=offer.id),
        key=f"offer:{offer.id}:timed_out",
        later=True,
        now=now,
        lead_id=offer.lead_id,
    )


def open_claim(
    session: Session,
    router: Router,
    offer: Offer,
    lead: Lead,
    queue: str,
    now: datetime,
    reason: str,
) -> str:
    time_out_offer(session, offer, now, f"{reason}; opened for claim in {queue}")
    lead.state = lead_transition(lead.state, LeadEvent.QUEUE)
    lead.queue_id = queue
    session.add(
        Decision(
            lead_id=lead.id,
            decided_at=now,
            rule=None,
            target="queue",
            queue_id=queue,
            reason=f"SLA: opened for claim in {queue} ({reason})",
            trace=[{"step": "sla", "action": "open_claim", "queue": queue, "offer": offer.id}],
            config_version=router.version,
        )
    )
    record_event(session, lead_id=lead.id, kind="lead.queued", at=now, queue=queue, by="sla")
    enqueue_effect(
        session,
        PostQueueCard(lead_id=lead.id, queue=queue),
        key=f"lead:{lead.id}:queue:offer{offer.id}",
        later=True,
        now=now,
        lead_id=lead.id,
    )
    return f"open claim in {queue}"


def alert_admins(
    session: Session,
    config: RoutingConfig,
    lead: Lead,
    offer_id: int,
    now: datetime,
    text: str,
) -> None:
    """One alert per admin per offer (an offer goes over the limit once): a re-run of
    the step never repeats it."""
    for admin in config.admins:
        enqueue_effect(
            session,
            # Plain facts: the bot words and escapes the message when it sends it.
            SlaAlert(admin=admin, lead=lead.public_id, sla_problem=text),
            key=f"offer:{offer_id}:sla_alert:{admin}",
            later=True,
            now=now,
            lead_id=lead.id,
        )


def over_limit(
    session: Session, router: Router, offer: Offer, lead: Lead, limit: int, now: datetime
) -> str:
    """Reassigned as often as allowed: open for claim (and tell admins), or unrouted."""
    queue = fallback_queue(router.config, offer.sla or {}, offer.rep_id)
    reason = f"{TIMED_OUT}; reassignment limit ({limit}) reached"
    if queue is None:
        time_out_offer(session, offer, now, reason)
        lead.state = lead_transition(lead.state, LeadEvent.NOBODY)
        alert_admins(session, router.config, lead, offer.id, now, f"{reason} and no queue to open")
        return "limit reached, unrouted"
    open_claim(session, router, offer, lead, queue, now, reason)
    alert_admins(
        session, router.config, lead, offer.id, now, f"{reason}; opened for claim in {queue}"
    )
    return f"limit reached, open claim in {queue}"

"""Moving a lead on: a manager or admin reassigns it (revoke what is open, offer to the
new rep), or the bot passes over a rep Slack cannot reach."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from lifecycle.assign import RouteResult, create_offer, route_lead
from lifecycle.offers import OfferAction, decline_offer, end_offer
from routing.effects import UpdateOfferCard, UpdateQueueCard
from routing.engine import Router
from routing.states import OfferEvent, OfferOutcome
from storage.events import record_event
from storage.leads import lead_row
from storage.locking import for_update
from storage.models import Decision, Lead
from storage.offers import lock_offer, pending_offer
from storage.outbox import enqueue_effect

Status = Literal["reassigned", "same_rep", "unknown"]


@dataclass(frozen=True)
class ReassignResult:
    """Plain values, safe to read once the transaction has ended."""

    status: Status
    public_id: str | None = None
    offer_id: int | None = None
    previous: str | None = None


def reassign_lead(
    session: Session,
    router: Router,
    lead_id: int,
    *,
    to_rep: str,
    by: str,
    reason: str | None,
    now: datetime,
) -> ReassignResult:
    """The caller checks permissions; this moves the lead atomically."""
    stmt = select(Lead).where(Lead.id == lead_id).execution_options(populate_existing=True)
    lead = session.scalars(for_update(session, stmt)).first()
    if lead is None:
        return ReassignResult("unknown")
    pending = pending_offer(session, lead.id)
    current = pending.rep_id if pending is not None else lead.assignee
    if current == to_rep:
        return ReassignResult("same_rep", lead.public_id, previous=current)
    note = f"reassigned by {by}" + (f": {reason}" if reason else "")
    if pending is not None:
        end_offer(session, pending, OfferEvent.REVOKE, now, reason=note)
        enqueue_effect(
            session,
            UpdateOfferCard(offer_id=pending.id),
            key=f"offer:{pending.id}:revoked",
            now=now,
            lead_id=lead.id,
        )
    if lead.state == "queued" and lead.queue_message_ts:
        enqueue_effect(
            session,
            UpdateQueueCard(lead_id=lead.id),
            key=f"lead:{lead.id}:dequeued:{now.isoformat()}",
            now=now,
            lead_id=lead.id,
        )
    decision = Decision(
        lead_id=lead.id,
        decided_at=now,
        rule=None,
        target="rep",
        assignee=to_rep,
        reason=f"manual: {note}",
        trace=[{"step": "manual", "by": by, "from": current, "to": to_rep, "reason": reason}],
        config_version=router.version,
    )
    session.add(decision)
    session.flush()
    lead.assignee = None
    lead.accepted_at = None
    lead.queue_id = None
    record_event(
        session,
        lead_id=lead.id,
        kind="lead.reassigned",
        at=now,
        actor=by,
        previous=current,
        to=to_rep,
        reason=reason,
    )
    offer = create_offer(session, router, lead, decision, to_rep, now)
    return ReassignResult("reassigned", lead.public_id, offer.id, previous=current)


@dataclass(frozen=True)
class PassedOver:
    lead: Lead
    to: str | None  # the rep or queue it went to next; None if unrouted
    offer_id: int | None  # the new offer, if it went to a rep


def pass_over(
    session: Session, router: Router, offer_id: int, *, why: str, now: datetime
) -> PassedOver | None:
    """A rep who cannot be reached never sits on a lead: the pending offer is revoked
    and the lead routed on, in one transaction; None if the offer is no longer pending."""
    offer = lock_offer(session, offer_id)
    if offer is None or offer.outcome != OfferOutcome.PENDING:
        return None
    end_offer(session, offer, OfferEvent.REVOKE, now, reason=why)
    lead = lead_row(session, offer.lead_id)
    assert lead is not None
    result = route_lead(session, router, lead.id, now, actor="delivery")
    decision = result.decision
    to = (decision.assignee or decision.queue) if decision is not None else None
    return PassedOver(lead, to, result.offer_id)


def decline_and_pass_on(
    session: Session,
    router: Router,
    offer_id: int,
    rep_id: str,
    now: datetime,
    *,
    reason: str | None,
) -> tuple[OfferAction, RouteResult | None]:
    """The rep declines and the lead is routed on in the same transaction: it is never
    without an owner or an open offer in between."""
    action = decline_offer(session, offer_id, rep_id, now, reason=reason)
    if not action.changed or action.lead is None:
        return action, None
    return action, route_lead(session, router, action.lead.id, now, actor=rep_id)

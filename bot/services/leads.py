"""Lead use cases: ingest, route, accept, decline. Store first, then act."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.errors import NotAQueueMember
from bot.runtime import Runtime
from lifecycle.assign import RouteResult, route_lead
from lifecycle.claims import ClaimResult, claim_lead
from lifecycle.home import request_home_refresh, request_lead_home_refresh
from lifecycle.manager_actions import nudge_rep, open_claim_now
from lifecycle.offers import Answer, accept_offer
from lifecycle.reassign import ReassignResult, decline_and_pass_on, reassign_lead
from lifecycle.salesforce_writes import enqueue_for_new_offer, enqueue_salesforce_writes
from routing.normalize import normalize_lead
from routing.states import LeadState
from routing.teams import home_audience
from storage import presence
from storage.leads import lead_row, stale_new_leads, store_lead
from storage.models import Lead, Offer

log = logging.getLogger(__name__)
# A lead still `new` this long after arrival lost its routing to a crash: retry it.
STALE_NEW = timedelta(seconds=5)


@dataclass(frozen=True)
class Ingested:
    lead_id: int
    public_id: str
    created: bool


def ingest_lead(
    rt: Runtime,
    *,
    raw: dict[str, Any],
    source: str,
    external_id: str | None = None,
    salesforce_id: str | None = None,
    idempotency_key: str | None = None,
    created_at: datetime | None = None,
    normalized: dict[str, Any] | None = None,
) -> Ingested:
    """Store ``raw`` and route it. ``normalized``: ``normalize_lead(raw)`` when the caller
    has it already (a CSV row checked as it was read), so it is not worked out twice."""
    now = rt.clock.now()
    with rt.db.session() as session:
        fields = normalize_lead(raw) if normalized is None else dict(normalized)
        fields = match_fields(rt, session, fields, salesforce_id=salesforce_id)
        stored = store_lead(
            session,
            fields=fields,
            raw=raw,
            source=source,
            received_at=now,
            created_at=created_at,
            external_id=external_id,
            salesforce_id=salesforce_id,
            idempotency_key=idempotency_key,
        )
        result = Ingested(stored.lead.id, stored.lead.public_id, stored.created)
    rt.metrics.leads_received.labels(source, "new" if result.created else "duplicate").inc()
    if result.created:
        try:
            route(rt, result.lead_id)
        except Exception:  # the lead is stored; the sweeper routes it on the next tick
            log.exception("routing_failed_will_retry", extra={"lead": result.public_id})
    return result


def match_fields(
    rt: Runtime, session: Any, fields: dict[str, Any], *, salesforce_id: str | None
) -> dict[str, Any]:
    """Normalised fields plus ``account.*``/``duplicate.*`` from the local CRM tables.

    Matching is local and pure, so it runs before the lead is stored; if it fails the lead
    is stored unmatched (and the failure logged) rather than lost."""
    try:
        return rt.matcher.enrich(
            session, rt.config.config, fields, salesforce_id=salesforce_id, db=rt.db
        )
    except Exception:
        log.exception("matching_failed", extra={"salesforce_id": salesforce_id})
        return fields


def route(rt: Runtime, lead_id: int, *, actor: str | None = None) -> RouteResult:
    with rt.metrics.routing_seconds.time(), rt.db.session() as session:
        now = rt.clock.now()
        result = route_lead(session, rt.config.router, lead_id, now, actor=actor)
        if result.decision is not None:
            request_lead_home_refresh(session, rt.config.config, lead_id, now)
        if rt.salesforce is not None:
            enqueue_for_new_offer(session, rt.config.config, result.offer_id, now=now)
    if result.decision is not None:
        rt.metrics.decisions.labels(result.decision.outcome).inc()
    return result


def accept(rt: Runtime, offer_id: int, rep_id: str) -> Answer:
    with rt.db.session() as session:
        now = rt.clock.now()
        action = accept_offer(session, offer_id, rep_id, now)
        if action.changed and action.lead is not None and rt.salesforce is not None:
            enqueue_salesforce_writes(
                session, rt.config.config, action.lead, rep_id, "accept", now=now, offer_id=offer_id
            )
        answer = action.answer()
    if answer.changed:
        rt.metrics.responses.labels("accepted").inc()
    return answer


def decline(rt: Runtime, offer_id: int, rep_id: str, reason: str | None) -> Answer:
    """Decline and re-route at once, in one transaction: the lead is never ownerless."""
    now = rt.clock.now()
    with rt.db.session() as session:
        action, routed = decline_and_pass_on(
            session, rt.config.router, offer_id, rep_id, now, reason=reason
        )
        if routed is not None and rt.salesforce is not None:
            enqueue_for_new_offer(session, rt.config.config, routed.offer_id, now=now)
        answer = action.answer()
    if answer.changed:
        rt.metrics.responses.labels("declined").inc()
    return answer


@dataclass(frozen=True)
class OfferView:
    """An offer as a listener shows it, read in one short transaction."""

    id: int
    rep_id: str
    outcome: str
    lead_id: int
    lead_public_id: str
    lead_fields: dict[str, Any]


def offer_view(rt: Runtime, offer_id: int) -> OfferView | None:
    with rt.db.session() as session:
        offer = session.get(Offer, offer_id)
        lead = session.get(Lead, offer.lead_id) if offer is not None else None
        if offer is None or lead is None:
            return None
        return OfferView(
            offer.id, offer.rep_id, str(offer.outcome), lead.id, lead.public_id, dict(lead.fields)
        )


def sweep_new_leads(rt: Runtime, limit: int = 50) -> int:
    """Route leads whose routing was interrupted (crash, outage) after they were stored."""
    cutoff = rt.clock.now() - STALE_NEW
    with rt.db.session() as session:
        ids = stale_new_leads(session, cutoff, limit=limit)
    for lead_id in ids:
        route(rt, lead_id, actor="sweeper")
    return len(ids)


def claim(rt: Runtime, lead_id: int, rep_id: str) -> ClaimResult:
    """Claim a queued lead; membership is checked here, the race inside storage."""
    config = rt.config.config
    with rt.db.session() as session:
        lead = lead_row(session, lead_id)
        if lead is None:
            return ClaimResult("unknown")
        if lead.queue_id and rep_id not in config.queue_member_ids(lead.queue_id):
            raise NotAQueueMember(lead.queue_id)
        if lead.state != LeadState.QUEUED and lead.assignee:
            # Already claimed (committed): answer without queueing for the lead's lock,
            # which fifty clicks on one card would otherwise take one after another.
            return ClaimResult("already_claimed", lead.public_id, lead.assignee)
        now = rt.clock.now()
        result = claim_lead(session, lead_id, rep_id, now)
        if result.status == "claimed":
            request_lead_home_refresh(session, config, lead_id, now)
            if rt.salesforce is not None:
                enqueue_salesforce_writes(session, config, lead, rep_id, "claim", now=now)
    if result.status == "claimed":
        rt.metrics.responses.labels("claimed").inc()
    return result


def reassign(
    rt: Runtime, lead_id: int, *, to_rep: str, by: str, reason: str | None
) -> ReassignResult:
    with rt.db.session() as session:
        result = reassign_lead(
            session,
            rt.config.router,
            lead_id,
            to_rep=to_rep,
            by=by,
            reason=reason,
            now=rt.clock.now(),
        )
        if result.status == "reassigned" and rt.salesforce is not None:
            enqueue_for_new_offer(session, rt.config.config, result.offer_id, now=rt.clock.now())
    return result


def set_away(rt: Runtime, rep_id: str, *, until: datetime | None, by: str) -> None:
    with rt.db.session() as session:
        now = rt.clock.now()
        presence.set_away(session, rep_id, until=until, now=now, by=by)
        request_home_refresh(session, home_audience(rt.config.config, [rep_id]), now)


def set_back(rt: Runtime, rep_id: str, *, by: str) -> bool:
    with rt.db.session() as session:
        now = rt.clock.now()
        request_home_refresh(session, home_audience(rt.config.config, [rep_id]), now)
        return presence.set_back(session, rep_id, now=now, by=by)


def nudge(rt: Runtime, offer_id: int, *, by: str) -> bool:
    """DM the rep again about a pending offer (a manager's Nudge)."""
    with rt.db.session() as session:
        return nudge_rep(session, offer_id, by=by, now=rt.clock.now())


def open_for_claim(rt: Runtime, offer_id: int, *, by: str) -> str | None:
    with rt.db.session() as session:
        queue = open_claim_now(session, rt.config.router, offer_id, by=by, now=rt.clock.now())
    return queue

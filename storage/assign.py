"""Routing a stored lead: decision, rotation update and offer in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from routing.decision import Decision
from routing.engine import Router
from routing.roster import Roster
from storage.events import record_event
from storage.ladder import start_ladder
from storage.locking import for_update, insert_ignore
from storage.models import Decision as DecisionRow
from storage.models import Lead, Offer, PoolState
from storage.outbox import enqueue
from storage.roster import load_loads, load_roster, loads_matter

ROUTABLE_STATES = ("new", "offered")
# Bound on re-reading locked pool rows when a decision moves to another pool.
_MAX_LOCK_ROUNDS = 5


@dataclass(frozen=True)
class RouteResult:
    decision: Decision | None
    offer_id: int | None = None
    skipped: str | None = None


def _lock_pool(session: Session, pool_id: str, now: datetime) -> Mapping[str, Any]:
    """Lock the pool's rotation row (created on first use); its state as locked."""
    stmt = for_update(session, select(PoolState.state).where(PoolState.pool_id == pool_id))
    state = session.scalars(stmt).one_or_none()
    if state is not None:
        return state
    insert_ignore(
        session,
        PoolState.__table__,
        {"pool_id": pool_id, "state": {}, "version": 0, "updated_at": now},
        key="pool_id",
    )
    return session.scalars(stmt).one()


def decide(session: Session, router: Router, lead: Lead, now: datetime) -> Decision:
    """Route with the chosen pool's row locked, so replicas never skip or double.

    The roster is read once, unlocked; once the chosen pool's row is locked, its state is
    re-read and, when the config reads offer counts, the loads (what other routing
    transactions, serialised by that lock, change). The lead is routed again only when
    either differs from what the first decision saw (same inputs, same decision)."""
    config = router.config
    roster = load_roster(session, config, lead_id=lead.id, now=now)
    reload_loads = loads_matter(config)
    locked: set[str] = set()
    decision = router.route(lead.fields, roster, now)
    for _ in range(_MAX_LOCK_ROUNDS):
        pool_id = decision.pool
        if pool_id is None or pool_id in locked:
            return decision
        locked.add(pool_id)
        state = _lock_pool(session, pool_id, now)
        reps = roster.reps
        if reload_loads:
            away = {rep_id: load.away_until for rep_id, load in reps.items()}
            reps = load_loads(session, config, now=now, away=away)
        if state == roster.pools.get(pool_id, {}) and reps == roster.reps:
            return decision
        pools = dict(roster.pools)
        pools[pool_id] = state
        roster = Roster(reps=reps, pools=pools, excluded=roster.excluded)
        decision = router.route(lead.fields, roster, now)
    raise RuntimeError(f"routing of lead {lead.id} did not settle on a pool")


def route_lead(
    session: Session,
    router: Router,
    lead_id: int,
    now: datetime,
    *,
    actor: str | None = None,
) -> RouteResult:
    """Decide who gets the lead and create the offer or queue card, atomically."""
    lead = session.scalars(
        for_update(session, select(Lead).where(Lead.id == lead_id)).execution_options(
            populate_existing=True
        )
    ).one()
    if lead.state not in ROUTABLE_STATES:
        return RouteResult(None, skipped=f"lead is {lead.state}")
    if lead.state == "offered" and _pending_offer(session, lead.id) is not None:
        return RouteResult(None, skipped="lead already has a pending offer")

    # Derived fields (territory, score, tier) follow the config that routes the lead.
    lead.fields = router.enrich(lead.fields)
    lead.score = lead.fields.get("score")
    lead.tier = lead.fields.get("tier")
    lead.score_reasons = lead.fields.get("score_reasons")
    decision = decide(session, router, lead, now)
    row = DecisionRow(
        lead_id=lead.id,
        decided_at=now,
        rule=decision.rule,
        target=decision.target,
        assignee=decision.assignee,
        queue_id=decision.queue,
        pool_id=decision.pool,
        reason=decision.reason,
        trace=decision.trace,
        config_version=decision.config_version,
    )
    session.add(row)
    session.flush()
    if decision.pool is not None and decision.pool_state is not None:
        session.execute(
            update(PoolState)
            .where(PoolState.pool_id == decision.pool)
            .values(state=decision.pool_state, version=PoolState.version + 1, updated_at=now)
        )
    lead.routed_at = lead.routed_at or now
    lead.config_version = decision.config_version
    record_event(
        session,
        lead_id=lead.id,
        kind="lead.routed",
        at=now,
        actor=actor,
        outcome=decision.outcome,
        rule=decision.rule,
        assignee=decision.assignee,
        queue=decision.queue,
    )

    if decision.outcome == "rep":
        assert decision.assignee is not None
        offer = create_offer(session, router, lead, row, decision.assignee, now)
        return RouteResult(decision, offer_id=offer.id)
    if decision.outcome == "queue":
        lead.state = "queued"
        lead.queue_id = decision.queue
        enqueue(
            session,
            key=f"lead:{lead.id}:queue:{row.id}",
            kind="slack.queue_card",
            payload={"lead_id": lead.id, "queue": decision.queue},
            now=now,
            lead_id=lead.id,
        )
        return RouteResult(decision)
    lead.state = "unrouted"
    # One alert per admin: a retry after a partial failure never repeats a sent one.
    for admin in router.config.admins:
        enqueue(
            session,
            key=f"lead:{lead.id}:unrouted:{row.id}:{admin}",
            kind="slack.unrouted_alert",
            payload={"lead_id": lead.id, "admin": admin},
            now=now,
            lead_id=lead.id,
        )
    if not router.config.admins:
        record_event(session, lead_id=lead.id, kind="alert.no_admins", at=now)
    return RouteResult(decision)


def _pending_offer(session: Session, lead_id: int) -> Offer | None:
    stmt = select(Offer).where(Offer.lead_id == lead_id, Offer.outcome == "pending")
    return session.scalars(stmt).first()


def create_offer(
    session: Session,
    router: Router,
    lead: Lead,
    decision: DecisionRow,
    rep_id: str,
    now: datetime,
) -> Offer:
    offer = Offer(
        lead_id=lead.id,
        decision_id=decision.id,
        rep_id=rep_id,
        offered_at=now,
        outcome="pending",
    )
    session.add(offer)
    session.flush()
    policy = router.sla_policy(lead.fields)
    if policy is not None:
        start_ladder(session, router.config, policy, offer)
    lead.state = "offered"
    record_event(session, lead_id=lead.id, kind="offer.created", at=now, rep=rep_id, offer=offer.id)
    enqueue(
        session,
        key=f"offer:{offer.id}:post",
        kind="slack.offer_card",
        payload={"offer_id": offer.id},
        now=now,
        lead_id=lead.id,
    )
    return offer

"""Routing a stored lead: decision, rotation update and offer in one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lifecycle.sla_plan import LadderPlan, plan_ladder
from routing.decision import Decision
from routing.effects import PostOfferCard, PostQueueCard, UnroutedAlert
from routing.engine import Router
from routing.roster import RepLoad, Roster
from routing.states import LeadEvent, OfferOutcome, lead_transition
from storage.events import record_event
from storage.leads import lock_lead
from storage.models import Decision as DecisionRow
from storage.models import Lead, Offer, Timer, table_of
from storage.outbox import enqueue_effect
from storage.roster import add_offers, load_exclusions, load_loads, load_roster, loads_matter
from storage.rotation import lock_pools, store_rotation

ROUTABLE_STATES = ("new", "offered")
# Bound on re-reading locked pool rows when a decision moves to another pool.
_MAX_LOCK_ROUNDS = 5


@dataclass(frozen=True)
class RouteResult:
    decision: Decision | None
    offer_id: int | None = None
    skipped: str | None = None


def decide_many(
    session: Session, router: Router, leads: Sequence[Lead], now: datetime
) -> list[Decision]:
    """Route these leads in order, with the rotation rows of the pools they go to
    locked, so replicas never skip or double.

    The roster is read once, unlocked, and the leads are decided in memory (later ones
    seeing the earlier ones' rotation and offers: their offers are written after all are
    decided). Then the chosen pools' rows are locked in one statement, in pool order (two
    transactions routing into the same pools queue rather than deadlock), and their
    state re-read and, when
    the config reads offer counts, the loads (what other routing transactions, serialised
    by those locks, change). The leads are decided again only when either differs from
    what the decisions saw (same inputs, same decisions)."""
    config = router.config
    roster = load_roster(session, config, lead_id=None, now=now)
    exclusions = load_exclusions(session, [lead.id for lead in leads])
    reload_loads = loads_matter(config)
    reps, pools = roster.reps, dict(roster.pools)
    decisions = _decide_in_memory(router, leads, reps, pools, exclusions, now)
    locked: set[str] = set()
    for _ in range(_MAX_LOCK_ROUNDS):
        wanted = {d.pool for d in decisions if d.pool is not None} - locked
        if not wanted:
            return decisions
        states = lock_pools(session, wanted, now)
        locked |= wanted
        fresh = reps
        if reload_loads:
            away = {rep_id: load.away_until for rep_id, load in reps.items()}
            fresh = load_loads(session, config, now=now, away=away)
        if fresh == reps and all(states[p] == pools.get(p, {}) for p in wanted):
            return decisions
        pools.update(states)
        reps = fresh
        decisions = _decide_in_memory(router, leads, reps, pools, exclusions, now)
    raise RuntimeError(f"routing of {len(leads)} lead(s) did not settle on its pools")


def _decide_in_memory(
    router: Router,
    leads: Sequence[Lead],
    reps: Mapping[str, RepLoad],
    pools: Mapping[str, Mapping[str, Any]],
    exclusions: Mapping[int, frozenset[str]],
    now: datetime,
) -> list[Decision]:
    """Each lead in turn, the rotation and loads carried from one to the next."""
    reps_now = dict(reps)
    pools_now = dict(pools)
    decisions: list[Decision] = []
    for lead in leads:
        excluded = exclusions.get(lead.id, frozenset())
        roster = Roster(reps=reps_now, pools=pools_now, excluded=excluded)
        decision = router.route(lead.fields, roster, now)
        if decision.pool is not None and decision.pool_state is not None:
            pools_now[decision.pool] = decision.pool_state
        if decision.outcome == "rep" and decision.assignee is not None:
            add_offers(reps_now, [(decision.assignee, now)])
        decisions.append(decision)
    return decisions


def route_lead(
    session: Session,
    router: Router,
    lead_id: int,
    now: datetime,
    *,
    actor: str | None = None,
) -> RouteResult:
    """Decide who gets the lead and create the offer or queue card, atomically."""
    return route_leads(session, router, [lock_lead(session, lead_id)], now, actor=actor)[0]


def route_leads(
    session: Session,
    router: Router,
    leads: Sequence[Lead],
    now: datetime,
    *,
    actor: str | None = None,
) -> list[RouteResult]:
    """Route these leads, row-locked by the caller, in order and atomically in the
    caller's transaction: decisions, rotation updates, offers with their ladders, and
    cards. Several leads at once (an SLA batch re-routing its timed-out leads) share
    one roster read, one lock per pool and one statement per kind of row."""
    if not leads:
        return []
    results: dict[int, RouteResult] = {}
    offered = [lead.id for lead in leads if lead.state == "offered"]
    with_pending: set[int] = set()
    if offered:
        with_pending = set(
            session.scalars(
                select(Offer.lead_id).where(
                    Offer.lead_id.in_(sorted(offered)), Offer.outcome == "pending"
                )
            )
        )
    todo: list[Lead] = []
    seen: set[int] = set()
    for lead in leads:
        if lead.id in seen:
            continue  # listed twice: routed once
        seen.add(lead.id)
        if lead.state not in ROUTABLE_STATES:
            results[lead.id] = RouteResult(None, skipped=f"lead is {lead.state}")
        elif lead.id in with_pending:
            results[lead.id] = RouteResult(None, skipped="lead already has a pending offer")
        else:
            todo.append(lead)
    for lead in todo:
        # Derived fields (territory, score, tier) follow the config that routes the lead.
        lead.fields = router.enrich(lead.fields)
        lead.score = lead.fields.get("score")
        lead.tier = lead.fields.get("tier")
        lead.score_reasons = lead.fields.get("score_reasons")
    decisions = decide_many(session, router, todo, now) if todo else []
    rows = [_decision_row(lead, d, now) for lead, d in zip(todo, decisions, strict=True)]
    session.add_all(rows)
    session.flush()
    store_rotation(session, decisions, now)
    to_offer: list[tuple[Lead, DecisionRow, str]] = []
    for lead, decision, row in zip(todo, decisions, rows, strict=True):
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
            to_offer.append((lead, row, decision.assignee))
        elif decision.outcome == "queue":
            assert decision.queue is not None
            lead.state = lead_transition(lead.state, LeadEvent.QUEUE)
            lead.queue_id = decision.queue
            enqueue_effect(
                session,
                PostQueueCard(lead_id=lead.id, queue=decision.queue),
                key=f"lead:{lead.id}:queue:{row.id}",
                later=True,
                now=now,
                lead_id=lead.id,
            )
        elif decision.outcome == "kept":
            # A keep_owner rule: stored and traced, the owner stays; no card, no alert.
            lead.state = lead_transition(lead.state, LeadEvent.KEEP)
        else:
            _unrouted(session, router, lead, row, now)
    offers = {o.lead_id: o.id for o in create_offers(session, router, to_offer, now)}
    for lead, decision in zip(todo, decisions, strict=True):
        results[lead.id] = RouteResult(decision, offer_id=offers.get(lead.id))
    return [results[lead.id] for lead in leads]


def _decision_row(lead: Lead, decision: Decision, now: datetime) -> DecisionRow:
    return DecisionRow(
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


def _unrouted(
    session: Session, router: Router, lead: Lead, row: DecisionRow, now: datetime
) -> None:
    lead.state = lead_transition(lead.state, LeadEvent.NOBODY)
    # One alert per admin: a retry after a partial failure never repeats a sent one.
    for admin in router.config.admins:
        enqueue_effect(
            session,
            UnroutedAlert(lead_id=lead.id, admin=admin),
            key=f"lead:{lead.id}:unrouted:{row.id}:{admin}",
            later=True,
            now=now,
            lead_id=lead.id,
        )
    if not router.config.admins:
        record_event(session, lead_id=lead.id, kind="alert.no_admins", at=now)


def create_offer(
    session: Session,
    router: Router,
    lead: Lead,
    decision: DecisionRow,
    rep_id: str,
    now: datetime,
) -> Offer:
    return create_offers(session, router, [(lead, decision, rep_id)], now)[0]


def create_offers(
    session: Session,
    router: Router,
    items: Sequence[tuple[Lead, DecisionRow, str]],
    now: datetime,
) -> list[Offer]:
    """Offers (lead, decision, rep) with their SLA ladders and cards: the offers in one
    flush, their timers in one statement."""
    if not items:
        return []
    offers: list[Offer] = []
    plans: list[LadderPlan | None] = []
    for lead, decision, rep_id in items:
        offer = Offer(
            lead_id=lead.id,
            decision_id=decision.id,
            rep_id=rep_id,
            offered_at=now,
            outcome=OfferOutcome.PENDING,
        )
        policy = router.sla_policy(lead.fields)
        plan = plan_ladder(router.config, policy, rep_id, now) if policy is not None else None
        if plan is not None:
            plan.apply(offer)  # before the insert: no second statement for the snapshot
        offers.append(offer)
        plans.append(plan)
    session.add_all(offers)
    session.flush()  # their ids name the timers and cards
    timers = [
        row for o, p in zip(offers, plans, strict=True) if p is not None for row in p.timer_rows(o)
    ]
    if timers:
        session.execute(insert(table_of(Timer)), timers)
    for (lead, _, rep_id), offer in zip(items, offers, strict=True):
        lead.state = lead_transition(lead.state, LeadEvent.OFFER)
        record_event(
            session, lead_id=lead.id, kind="offer.created", at=now, rep=rep_id, offer=offer.id
        )
        enqueue_effect(
            session,
            PostOfferCard(offer_id=offer.id),
            key=f"offer:{offer.id}:post",
            later=True,
            now=now,
            lead_id=lead.id,
        )
    return offers

"""lifecycle.assign.route_leads: several leads routed in one pass decide exactly as one
route_lead after another would (rotation, loads, caps, exclusions), and write each
kind of row once."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lifecycle.assign import route_lead, route_leads
from lifecycle.offers import decline_offer
from routing.config import parse_config
from routing.engine import Router
from storage.db import Database
from storage.leads import lock_lead
from storage.models import Event, Offer, OutboxItem, PoolState, Timer
from tests.storage.helpers import NOW, new_lead, race

CONFIG = """
admins: [boss]
reps:
  - {id: ann, name: Ann, max_pending: 3}
  - {id: ben, name: Ben, caps: {hour: 4}}
  - {id: cat, name: Cat}
  - {id: dan, name: Dan, max_pending: 2}
  - {id: eve, name: Eve}
  - {id: boss, name: Boss}
pools:
  rr: {strategy: round_robin, members: [ann, ben, cat]}
  heavy: {strategy: weighted, members: [{rep: cat, weight: 3}, {rep: dan, weight: 1}, eve]}
  light: {strategy: least_loaded, members: [ann, dan, eve]}
queues:
  triage: {channel: "#triage", members: [ann, ben]}
sla:
  - {name: all, accept_within: 10m, remind: [5m]}
rules:
  - {name: RR, when: {lead_source: rr}, assign: [{pool: rr}, {queue: triage}]}
  - {name: Heavy, when: {lead_source: heavy}, assign: {pool: heavy}}
  - {name: Light, when: {lead_source: light}, assign: [{pool: light}, {pool: rr}]}
"""
SOURCES = ("rr", "heavy", "light", "none")


def outcomes(session: Session, ids: list[int]) -> list[tuple[Any, ...]]:
    rows = []
    for lead_id in ids:
        offer = session.scalars(
            select(Offer).where(Offer.lead_id == lead_id, Offer.outcome == "pending")
        ).first()
        lead = lock_lead(session, lead_id)
        rows.append((lead.state, lead.queue_id, offer.rep_id if offer else None))
    pools = dict(session.execute(select(PoolState.pool_id, PoolState.state)).all())
    return [*rows, ("pools", pools)]


def history(db: Database, router: Router, rng: random.Random) -> list[int]:
    """Leads, some routed (loads), some declined (exclusions), then the new ones."""
    for _ in range(8):
        lead_id = new_lead(db, rng.choice(SOURCES[:3]))
        with db.session() as session:
            result = route_lead(session, router, lead_id, NOW - timedelta(minutes=20))
        if result.offer_id is not None and rng.random() < 0.5:
            with db.session() as session:
                offer = session.get(Offer, result.offer_id)
                assert offer is not None
                decline_offer(session, result.offer_id, offer.rep_id, NOW, reason="busy")
    return [new_lead(db, rng.choice(SOURCES)) for _ in range(12)]


@pytest.mark.parametrize("seed", range(4))
def test_one_pass_decides_as_one_after_another(db: Database, seed: int) -> None:
    router = Router(parse_config(CONFIG))
    ids = history(db, router, random.Random(seed))
    declined = set()
    with db.session() as session:
        declined = set(session.scalars(select(Offer.lead_id).where(Offer.outcome == "declined")))
    ids += sorted(declined)  # declined leads are routed again, their decliner excluded
    seen: dict[str, list[tuple[Any, ...]]] = {}
    for how in ("one by one", "in one pass"):
        session = db.sessionmaker()
        session.begin()
        try:
            if how == "one by one":
                for lead_id in ids:
                    route_lead(session, router, lead_id, NOW)
            else:
                route_leads(session, router, [lock_lead(session, i) for i in ids], NOW)
            session.flush()
            seen[how] = outcomes(session, ids)
        finally:
            session.rollback()  # both start from the same history
            session.close()
    assert seen["in one pass"] == seen["one by one"]
    assert any(row[2] for row in seen["one by one"][:-1])  # some went to reps


def test_one_pass_writes_each_kind_of_row_in_one_statement(db: Database) -> None:
    router = Router(parse_config(CONFIG))
    ids = [new_lead(db, "rr") for _ in range(9)] + [new_lead(db, "none")]
    inserts: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT"):
            inserts.append(statement.split("(")[0].split()[-1].strip('"'))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.session() as session:
            results = route_leads(session, router, [lock_lead(session, i) for i in ids], NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [r.decision.outcome for r in results if r.decision] == ["rep"] * 9 + ["unrouted"]
    # rotation in order: 3 each, and the pool's version counts every decision
    with db.session() as session:
        reps = session.scalars(select(Offer.rep_id).order_by(Offer.id)).all()
        assert reps == ["ann", "ben", "cat"] * 3
        assert session.scalars(select(PoolState.version)).one() == 9
        assert len(session.scalars(select(Timer.id)).all()) == 9  # a remind each
        cards = session.scalars(select(OutboxItem.kind)).all()
        assert sorted(cards) == ["slack.offer_card"] * 9 + ["slack.unrouted_alert"]
        kinds = session.scalars(select(Event.kind)).all()
        assert kinds.count("lead.routed") == 10 and kinds.count("offer.created") == 9
    # one statement for timers, events and outbox rows each (decisions and offers are
    # row-at-a-time on SQLite, which cannot return the ids of a multi-row insert in order)
    for table in ("timers", "events", "outbox"):
        assert inserts.count(table) == 1, inserts


def test_passes_into_the_same_pools_in_any_order_queue_without_deadlock(db: Database) -> None:
    """Two transactions each route a lead into pool rr and one into heavy, listed in
    opposite orders: both pools are locked in pool order, so they queue for the rows
    (PostgreSQL would otherwise abort one as a deadlock), and the rotation counts all."""
    router = Router(parse_config(CONFIG))
    rounds = 4
    pairs = [(new_lead(db, "rr"), new_lead(db, "heavy")) for _ in range(2 * rounds)]

    def route(i: int) -> list[str | None]:
        rr, heavy = pairs[i]
        order = [rr, heavy] if i % 2 else [heavy, rr]
        with db.session() as session:
            results = route_leads(session, router, [lock_lead(session, x) for x in order], NOW)
        return [r.decision.assignee if r.decision else None for r in results]

    for n in range(rounds):
        assert all(all(who) for who in race(2, lambda i, n=n: route(2 * n + i)))
    with db.session() as session:
        versions = dict(session.execute(select(PoolState.pool_id, PoolState.version)).all())
        assert versions == {"rr": 2 * rounds, "heavy": 2 * rounds}

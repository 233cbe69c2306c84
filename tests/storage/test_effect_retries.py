"""A retried unit of work never duplicates a side effect, for every kind it queues.

Each case runs one application operation three times, on both engines: in a transaction
that fails just before it commits (a crash, a lost connection: nothing may be left
behind, not even a deferred row), then for real, then once more as a retry of a request
that did succeed (a double click, a step re-claimed, a client retrying its POST). The
outbox must hold nothing after the first, and after the third exactly what the second
left: one row per intent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lifecycle.assign import route_lead
from lifecycle.claims import claim_lead
from lifecycle.escalation import fire_timer
from lifecycle.home import request_home_refresh
from lifecycle.offers import accept_offer
from lifecycle.salesforce_fetch import store_to_fetch
from lifecycle.salesforce_writes import enqueue_salesforce_writes
from routing.config import parse_config
from routing.effects import OutboxKind
from routing.engine import Router
from storage.db import Database
from storage.leads import store_lead
from storage.models import Lead, OutboxItem, Timer
from storage.timers import claim_one
from tests.storage.helpers import NOW, cards_delivered

CONFIG = """
admins: [maria]
reps:
  - {id: alice, name: Alice, manager: maria}
  - {id: bob, name: Bob, manager: maria}
  - {id: maria, name: Maria}
queues:
  triage: {channel: "#triage", members: [alice, bob]}
salesforce: {owner_update: on_accept, create_task: true, write_score: true}
sla:
  - name: ladder
    accept_within: 10m
    remind: [2m]
    max_reassignments: 0
    escalate:
      - {after: 0s, notify: manager}
      - {after: 5m, reassign: next}
rules:
  - {name: Direct, when: {lead_source: direct}, assign: {rep: alice}}
  - {name: Queue, when: {lead_source: queue}, assign: {queue: triage}}
"""
LATER = NOW + timedelta(minutes=30)


class Crash(Exception):
    """Raised inside the unit of work, after the operation, before the commit."""


def _router() -> Router:
    return Router(parse_config(CONFIG))  # a lead no rule matches is unrouted


def _lead(db: Database, source: str, **extra: object) -> int:
    with db.session() as session:
        stored = store_lead(
            session,
            fields={"lead_source": source, "company": "Acme", **extra},
            raw={"lead_source": source},
            source="webhook",
            received_at=NOW,
            salesforce_id="00Q5e00000AbCdEFGH" if source == "direct" else None,
        )
        return stored.lead.id


def _rows(db: Database) -> list[tuple[str, str]]:
    with db.session() as session:
        return sorted(
            (kind, key) for kind, key in session.execute(select(OutboxItem.kind, OutboxItem.key))
        )


def _routed(db: Database, router: Router, source: str) -> tuple[int, int | None]:
    lead_id = _lead(db, source)
    with db.session() as session:
        result = route_lead(session, router, lead_id, NOW)
    cards_delivered(db)
    return lead_id, result.offer_id


def _step(db: Database, offer_id: int | None, kind: str, index: int) -> int:
    with db.session() as session:
        return session.scalars(
            select(Timer.id).where(
                Timer.offer_id == offer_id, Timer.kind == kind, Timer.key.endswith(f":{index}")
            )
        ).one()


@dataclass(frozen=True)
class Case:
    kinds: set[OutboxKind]
    setup: Callable[[Database, Router], Callable[[Session], object]]


def _route(source: str) -> Callable[[Database, Router], Callable[[Session], object]]:
    def setup(db: Database, router: Router) -> Callable[[Session], object]:
        lead_id = _lead(db, source)
        return lambda session: route_lead(session, router, lead_id, NOW)

    return setup


def _accept(db: Database, router: Router) -> Callable[[Session], object]:
    _, offer_id = _routed(db, router, "direct")
    assert offer_id is not None
    return lambda session: accept_offer(session, offer_id, "alice", LATER)


def _claim(db: Database, router: Router) -> Callable[[Session], object]:
    lead_id, _ = _routed(db, router, "queue")
    return lambda session: claim_lead(session, lead_id, "bob", LATER)


def _fire(kind: str, index: int) -> Callable[[Database, Router], Callable[[Session], object]]:
    """Claim one ladder step and run it, as the SLA runner does: once it has run, its
    timer row is the token that keeps it from running again."""

    def setup(db: Database, router: Router) -> Callable[[Session], object]:
        _, offer_id = _routed(db, router, "direct")
        timer_id = _step(db, offer_id, kind, index)
        with db.session() as session:  # the steps before it have run
            due = session.scalars(select(Timer.due_at).where(Timer.id == timer_id)).one()
            earlier = session.scalars(
                select(Timer.id).where(Timer.offer_id == offer_id, Timer.due_at < due)
            ).all()
            for earlier_id in earlier:
                claimed = claim_one(session, earlier_id, LATER)
                assert claimed is not None
                fire_timer(session, router, claimed, LATER)

        def run(session: Session) -> object:
            timer = claim_one(session, timer_id, LATER)
            return fire_timer(session, router, timer, LATER) if timer is not None else None

        return run

    return setup


def _salesforce(db: Database, router: Router) -> Callable[[Session], object]:
    lead_id = _lead(db, "direct")

    def run(session: Session) -> object:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        lead.score = 80
        return enqueue_salesforce_writes(
            session, router.config, lead, "alice", "accept", now=LATER, offer_id=7
        )

    return run


def _home(db: Database, router: Router) -> Callable[[Session], object]:
    return lambda session: request_home_refresh(session, ["alice", "maria"], LATER)


def _fetch(db: Database, router: Router) -> Callable[[Session], object]:
    return lambda session: store_to_fetch(
        session,
        salesforce_id="00Q5e00000ZzYyXAAA",
        source="webhook",
        idempotency_key="req-1",
        error="Salesforce unreachable",
        now=NOW,
    )


CASES = {
    # A retry joins the publish still waiting for that rep (one per rep at a time).
    "app home publish": Case({OutboxKind.HOME_PUBLISH}, _home),
    "salesforce fetch": Case({OutboxKind.SALESFORCE_FETCH}, _fetch),
    "post offer card": Case({OutboxKind.OFFER_CARD}, _route("direct")),
    "post queue card": Case({OutboxKind.QUEUE_CARD}, _route("queue")),
    "unrouted alert": Case({OutboxKind.UNROUTED_ALERT}, _route("nobody")),
    "update offer card": Case({OutboxKind.OFFER_UPDATE}, _accept),
    "update queue card": Case({OutboxKind.QUEUE_CARD_UPDATE}, _claim),
    "reminder": Case({OutboxKind.REMIND}, _fire("remind", 0)),
    "escalation notice": Case({OutboxKind.ESCALATION_NOTICE}, _fire("escalate", 1)),
    # Over the reassignment limit (0): opened for claim, admins told.
    "sla admin alert": Case(
        {OutboxKind.ADMIN_ALERT, OutboxKind.QUEUE_CARD, OutboxKind.OFFER_UPDATE},
        _fire("escalate", 2),
    ),
    "salesforce writes": Case(
        {OutboxKind.SALESFORCE_OWNER, OutboxKind.SALESFORCE_TASK, OutboxKind.SALESFORCE_SCORE},
        _salesforce,
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_retried_unit_of_work_queues_each_effect_once(db: Database, name: str) -> None:
    case = CASES[name]
    router = _router()
    operation = case.setup(db, router)
    before = _rows(db)

    with pytest.raises(Crash), db.session() as session:
        operation(session)
        raise Crash
    assert _rows(db) == before, "a unit of work that did not commit left effects behind"

    with db.session() as session:
        operation(session)
    done = _rows(db)
    new = [row for row in done if row not in before]
    assert {kind for kind, _ in new} >= case.kinds, new
    assert len(new) == len(set(new))

    with db.session() as session:
        operation(session)
    assert _rows(db) == done, "the retry queued an effect again"


def test_every_effect_kind_is_covered() -> None:
    covered = set().union(*(case.kinds for case in CASES.values()))
    assert covered == set(OutboxKind)

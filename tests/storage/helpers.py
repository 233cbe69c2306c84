"""Shared helpers for storage tests: a small config, storing and routing leads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select

from lifecycle.assign import RouteResult, route_lead
from routing.config import parse_config
from routing.engine import Router
from storage.db import Database
from storage.leads import store_lead
from storage.models import Offer

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

CONFIG = """
admins: [maria]
reps:
  - {id: alice, name: Alice}
  - {id: bob, name: Bob}
  - {id: carol, name: Carol}
  - {id: maria, name: Maria}
queues:
  triage: {channel: "#triage", members: [alice, bob, carol]}
rules:
  - {name: Direct, when: {lead_source: direct}, assign: {rep: alice}}
  - {name: Queue, when: {lead_source: queue}, assign: {queue: triage}}
"""

T = TypeVar("T")


def router() -> Router:
    return Router(parse_config(CONFIG))


def new_lead(db: Database, source: str = "direct", **keys: Any) -> int:
    with db.session() as session:
        stored = store_lead(
            session,
            fields={"lead_source": source, "company": "Acme"},
            raw={"lead_source": source},
            source="webhook",
            received_at=NOW,
            **keys,
        )
        return stored.lead.id


def routed_lead(db: Database, source: str = "direct") -> tuple[int, RouteResult]:
    lead_id = new_lead(db, source)
    with db.session() as session:
        result = route_lead(session, router(), lead_id, NOW)
    return lead_id, result


def race(n: int, fn: Callable[[int], T]) -> list[T]:
    """Run fn(0..n-1) on n threads released together; re-raise any thread's error."""
    barrier = threading.Barrier(n)

    def run(i: int) -> T:
        barrier.wait(timeout=30)
        return fn(i)

    with ThreadPoolExecutor(n) as pool:
        futures = [pool.submit(run, i) for i in range(n)]
        return [f.result() for f in futures]


def cards_delivered(db: Database) -> None:
    """Every offer's card is in Slack, delivered when the offer was made (as a running
    outbox would have it): a ladder step of an offer whose card is still on its way waits
    for the card (lifecycle.card_delivery)."""
    with db.session() as session:
        for offer in session.scalars(select(Offer).where(Offer.message_ts.is_(None))):
            offer.channel = "D0CARDS"
            offer.message_ts = f"{offer.id}.000100"
            offer.delivered_at = offer.offered_at

"""lifecycle.card_delivery: the ladder counts from when the card reached Slack; a step due
before the card exists waits for it; a card that can never be posted lets the ladder run.
Both engines, with a controlled clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from lifecycle.assign import route_lead
from lifecycle.card_delivery import CARD_WAIT, card_delivered
from lifecycle.escalation import fire_batch
from routing.config import parse_config
from routing.engine import Router
from storage.db import Database
from storage.models import Event, Offer, OutboxItem, Timer
from storage.timers import claim_due
from tests.storage.helpers import NOW, new_lead
from tests.storage.test_timers import CONFIG

ROUTER = Router(parse_config(CONFIG))
MINUTE = timedelta(minutes=1)


def _offer(db: Database) -> int:
    lead_id = new_lead(db)
    with db.session() as session:
        result = route_lead(session, ROUTER, lead_id, NOW)
    assert result.offer_id is not None
    return result.offer_id


def _dues(db: Database, offer_id: int) -> list[tuple[str, str, datetime]]:
    with db.session() as session:
        rows = session.execute(
            select(Timer.kind, Timer.status, Timer.due_at)
            .where(Timer.offer_id == offer_id)
            .order_by(Timer.key)
        )
        return [(k, s, d) for k, s, d in rows]


def _fire(db: Database, at: datetime) -> list[str]:
    with db.session() as session:
        timers = claim_due(session, at, limit=100)
        batch = fire_batch(session, ROUTER, timers, lambda: at)
        return [f.outcome for _, f in batch.fired]


def _deliver(db: Database, offer_id: int, at: datetime) -> bool:
    with db.session() as session:
        return card_delivered(session, ROUTER.config, offer_id, channel="D01", ts="1.000100", at=at)


def _offer_row(db: Database, offer_id: int) -> Offer:
    with db.session() as session:
        offer = session.get(Offer, offer_id)
        assert offer is not None
        session.expunge(offer)
        return offer


def _effects(db: Database, kind: str) -> int:
    with db.session() as session:
        return len(session.scalars(select(OutboxItem.id).where(OutboxItem.kind == kind)).all())


def test_a_card_on_time_keeps_the_ladder_as_planned(db: Database) -> None:
    offer_id = _offer(db)
    planned = _dues(db, offer_id)
    assert not _deliver(db, offer_id, NOW + timedelta(milliseconds=300))
    assert _dues(db, offer_id) == planned
    offer = _offer_row(db, offer_id)
    assert offer.delivered_at == NOW + timedelta(milliseconds=300)
    assert offer.deadline == NOW + 10 * MINUTE


def test_a_late_card_moves_the_deadline_and_every_step(db: Database) -> None:
    offer_id = _offer(db)
    late = NOW + 3 * MINUTE
    assert _deliver(db, offer_id, late)
    assert [d for _, _, d in _dues(db, offer_id)] == [
        late + 5 * MINUTE,  # remind 5m before a deadline of 10m
        late + 10 * MINUTE,  # notify at the deadline
        late + 15 * MINUTE,  # reassign 5m past it
    ]
    offer = _offer_row(db, offer_id)
    assert offer.deadline == late + 10 * MINUTE and offer.delivered_at == late
    assert offer.sla is not None and offer.sla["clock_from"] == late.isoformat()
    with db.session() as session:
        event = session.scalars(select(Event).where(Event.kind == "sla.clock_started")).one()
        assert event.data["card_late_s"] == 180.0
    # A second delivery record (an adopted retry) moves nothing again.
    assert not _deliver(db, offer_id, late + MINUTE)
    assert _offer_row(db, offer_id).delivered_at == late


def test_a_step_due_before_its_card_waits_for_it(db: Database) -> None:
    offer_id = _offer(db)
    at = NOW + 6 * MINUTE  # the reminder (5m) is due; the card is still queued
    assert _fire(db, at) == ["waiting"]
    assert _effects(db, "slack.remind") == 0
    assert _dues(db, offer_id)[0] == ("remind", "pending", at + CARD_WAIT)
    # The card arrives; the reminder now comes 5 minutes after it, and not before.
    assert _deliver(db, offer_id, at + timedelta(seconds=1))
    assert _fire(db, at + 4 * MINUTE) == []
    assert _fire(db, at + 5 * MINUTE + timedelta(seconds=1)) == ["done"]
    assert _effects(db, "slack.remind") == 1


def test_a_card_that_can_never_be_posted_lets_the_ladder_run(db: Database) -> None:
    offer_id = _offer(db)
    with db.session() as session:
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.key == f"offer:{offer_id}:post")
            .values(status="dead", last_error="channel_not_found")
        )
    assert _fire(db, NOW + 6 * MINUTE) == ["done"]  # the lead must not wait forever
    assert _effects(db, "slack.remind") == 1

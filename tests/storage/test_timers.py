"""SLA timers fired in batches: every due step once, in order, failures isolated."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

import lifecycle.escalation
from bot.config_store import ConfigStore
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.sla.runner import fire_due_timers
from lifecycle.assign import route_lead
from lifecycle.escalation import Fired, fire_batch, fire_timer
from lifecycle.offers import accept_offer
from routing.config import parse_config
from routing.engine import Router
from storage.db import Database
from storage.locking import for_update
from storage.models import Event, Offer, OutboxItem, Timer
from storage.timers import claim_due, claim_one
from tests.storage.helpers import NOW, cards_delivered, new_lead

CONFIG = """
reps:
  - {id: alice, name: Alice, manager: maria}
  - {id: bob, name: Bob, manager: maria}
  - {id: maria, name: Maria}
pools:
  sdr: {strategy: round_robin, members: [alice, bob]}
sla:
  - name: ladder
    accept_within: 10m
    remind: [5m]
    max_reassignments: 1
    escalate:
      - {after: 0s, notify: manager}
      - {after: 5m, reassign: next}
rules:
  - {name: All, assign: {pool: sdr}}
"""
# The reassign step comes first: the notice after it must never go out.
REASSIGN_FIRST = CONFIG.replace(
    """      - {after: 0s, notify: manager}
      - {after: 5m, reassign: next}""",
    """      - {after: 0s, reassign: next}
      - {after: 1m, notify: manager}""",
)
# remind at +5m, notify at +10m, reassign at +15m
ALL_DUE = NOW + timedelta(minutes=16)


def offered(db: Database, router: Router, n: int) -> list[int]:
    """n leads routed at NOW: each has a pending offer with its ladder."""
    offers = []
    for _ in range(n):
        lead_id = new_lead(db)
        with db.session() as session:
            result = route_lead(session, router, lead_id, NOW)
        assert result.offer_id is not None
        offers.append(result.offer_id)
    cards_delivered(db)
    return offers


def fire_all(db: Database, router: Router, at: datetime, *, unrun: int = 0) -> list[Fired]:
    with db.session() as session:
        timers = claim_due(session, at, limit=100)
        batch = fire_batch(session, router, timers, lambda: at)
    assert batch.held == [] and len(batch.unrun) == unrun
    return [fired for _, fired in batch.fired]


def timer_states(db: Database, offer_id: int) -> list[tuple[str, str, int]]:
    with db.session() as session:
        rows = session.execute(
            select(Timer.kind, Timer.status, Timer.attempts)
            .where(Timer.offer_id == offer_id)
            .order_by(Timer.due_at)
        ).all()
        return [tuple(r) for r in rows]


def test_a_batch_runs_each_due_step_once_in_order(db: Database) -> None:
    router = Router(parse_config(CONFIG))
    first = offered(db, router, 4)
    fired = fire_all(db, router, ALL_DUE)
    assert [f.what.split(":")[0] for f in fired] == ["remind"] * 4 + ["notify"] * 4 + [
        "reassigned"
    ] * 4
    for offer_id in first:
        assert timer_states(db, offer_id) == [
            ("remind", "done", 1),
            ("escalate", "done", 1),
            ("escalate", "done", 1),
        ]
    with db.session() as session:
        offers = session.scalars(select(Offer).order_by(Offer.id)).all()
        assert [o.outcome for o in offers] == ["timed_out"] * 4 + ["pending"] * 4
        # each lead went to the other rep, whose offer has its own ladder, not due yet
        by_lead = {o.lead_id: o.rep_id for o in offers[:4]}
        assert all(o.rep_id != by_lead[o.lead_id] for o in offers[4:])
        kinds = Counter(session.scalars(select(Event.kind)))
        assert kinds["sla.reminded"] == 4 and kinds["sla.escalated"] == 8
        assert kinds["sla.breached"] == 4
        outbox = Counter(session.scalars(select(OutboxItem.kind)))
        assert outbox["slack.remind"] == 4 and outbox["slack.escalation_notice"] == 4
    # nothing is due any more: a second sweep fires nothing
    assert fire_all(db, router, ALL_DUE) == []


def test_a_reassign_in_a_batch_stops_the_later_steps_of_its_offer(db: Database) -> None:
    router = Router(parse_config(REASSIGN_FIRST))
    (offer_id,) = offered(db, router, 1)
    # both escalations are due: the notice after the reassign waits for the next batch
    fired = fire_all(db, router, NOW + timedelta(minutes=12), unrun=1)
    assert [f.what.split(":")[0] for f in fired] == ["remind", "reassigned"]
    assert timer_states(db, offer_id) == [
        ("remind", "done", 1),
        ("escalate", "done", 1),
        ("escalate", "cancelled", 0),
    ]
    # ... where it was cancelled by then: never fired
    assert fire_all(db, router, NOW + timedelta(minutes=12)) == []
    with db.session() as session:
        kinds = Counter(session.scalars(select(OutboxItem.kind)))
        assert kinds["slack.escalation_notice"] == 0


def test_a_step_that_runs_out_of_budget_is_left_pending(db: Database) -> None:
    router = Router(parse_config(CONFIG))
    offered(db, router, 2)
    with db.session() as session:
        timers = claim_due(session, ALL_DUE, limit=100)
        batch = fire_batch(session, router, timers, lambda: ALL_DUE, budget_s=-1.0)
    assert batch.fired == [] and len(batch.unrun) == 6
    with db.session() as session:
        statuses = Counter(session.scalars(select(Timer.status)))
        assert statuses == {"pending": 6}


def test_an_offer_held_by_an_accept_is_left_then_skipped(db: Database) -> None:
    """The accept-vs-timer race inside a batch: the click holds the offer, so the
    batch leaves that step; fired on its own after the click commits, it is skipped."""
    if db.is_sqlite:
        pytest.skip("SQLite serialises writers: no transaction holds a row meanwhile")
    router = Router(parse_config(CONFIG))
    clicked, busy = offered(db, router, 2)
    at = NOW + timedelta(minutes=6)  # the reminders are due
    with db.session() as batch_session:
        timers = claim_due(batch_session, at, limit=100)
        assert len(timers) == 2
        with db.session() as click:
            assert accept_offer(click, clicked, "alice", at).status == "accepted"
            batch = fire_batch(batch_session, router, timers, lambda: at)
            assert [t.offer_id for t, _ in batch.fired] == [busy]
            assert len(batch.held) == 1
    (held,) = batch.held
    with db.session() as session:
        timer = claim_one(session, held, at)
        assert timer is not None
        assert fire_timer(session, router, timer, at).what == "offer accepted"
    assert timer_states(db, clicked) == [
        ("remind", "skipped", 1),
        ("escalate", "cancelled", 0),
        ("escalate", "cancelled", 0),
    ]
    assert timer_states(db, busy)[0] == ("remind", "done", 1)


def test_claims_skip_timers_another_transaction_holds(db: Database) -> None:
    if db.is_sqlite:
        pytest.skip("row locks are a PostgreSQL matter")
    router = Router(parse_config(CONFIG))
    offered(db, router, 3)
    with db.session() as first:
        mine = claim_due(first, ALL_DUE, limit=4)
        with db.session() as second:
            theirs = claim_due(second, ALL_DUE, limit=100)
        assert len(mine) == 4 and len(theirs) == 5
        assert not {t.id for t in mine} & {t.id for t in theirs}


def runtime(db: Database) -> Runtime:
    settings = Settings(
        database_url=db.url,
        slack_bot_token="xoxb-test",
        slack_api_url="http://127.0.0.1:9/api/",
    )
    return build_runtime(settings, config=ConfigStore(text=CONFIG), db=db)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.value = now

    def now(self) -> datetime:
        return self.value


def test_a_failing_step_backs_off_alone(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = runtime(db)
    rt.clock = FixedClock(ALL_DUE)  # type: ignore[misc]
    offers = offered(db, rt.config.router, 3)
    with db.session() as session:  # the second offer's reassign step
        bad = session.scalars(
            select(Timer.id).where(Timer.offer_id == offers[1]).order_by(Timer.due_at.desc())
        ).first()
        bad_lead = session.scalars(select(Timer.lead_id).where(Timer.id == bad)).one()
    real = lifecycle.escalation.route_leads

    def flaky(session, router, leads, *args, **kwargs):  # type: ignore[no-untyped-def]
        if any(lead.id == bad_lead for lead in leads):  # re-routing this lead fails
            raise RuntimeError("boom")
        return real(session, router, leads, *args, **kwargs)

    monkeypatch.setattr(lifecycle.escalation, "route_leads", flaky)
    assert fire_due_timers(rt) == 8
    assert timer_states(db, offers[0]) == [("remind", "done", 1)] + [("escalate", "done", 1)] * 2
    assert timer_states(db, offers[2]) == [("remind", "done", 1)] + [("escalate", "done", 1)] * 2
    # the failing step backed off (2 s) and blocked nothing behind it
    assert timer_states(db, offers[1]) == [
        ("remind", "done", 1),
        ("escalate", "done", 1),
        ("escalate", "pending", 1),
    ]
    with db.session() as session:
        retry = session.scalars(select(Timer.due_at).where(Timer.id == bad)).one()
    assert retry == ALL_DUE + timedelta(seconds=2)


def test_the_sweep_goes_on_until_nothing_is_due(db: Database) -> None:
    rt = runtime(db)
    rt.clock = FixedClock(ALL_DUE)  # type: ignore[misc]
    offered(db, rt.config.router, 5)
    assert fire_due_timers(rt, batch=4) == 15
    with db.session() as session:
        stmt = select(Timer.status).where(Timer.due_at <= ALL_DUE)
        assert Counter(session.scalars(for_update(session, stmt))) == {"done": 15}


def test_a_step_waits_for_an_earlier_step_another_replica_claimed(db: Database) -> None:
    """Replica A claimed the reminder, B the notice and the reassign of the same offer:
    B runs neither before A's reminder, even holding the offer first."""
    if db.is_sqlite:
        pytest.skip("row locks are a PostgreSQL matter")
    router = Router(parse_config(CONFIG))
    (offer_id,) = offered(db, router, 1)
    with db.session() as a:
        (reminder,) = claim_due(a, ALL_DUE, limit=1)
        with db.session() as b:
            later = claim_due(b, ALL_DUE, limit=100)
            assert len(later) == 2
            batch = fire_batch(b, router, later, lambda: ALL_DUE)
            assert batch.fired == [] and batch.unrun == [t.id for t in later]
            # one by one, the same: the reassign waits
            assert fire_timer(b, router, later[1], ALL_DUE).outcome == "waiting"
        batch = fire_batch(a, router, [reminder], lambda: ALL_DUE)
        assert [f.what for _, f in batch.fired] == ["remind"]
    fired = fire_all(db, router, ALL_DUE)
    assert [f.what.split(":")[0] for f in fired] == ["notify", "reassigned"]
    assert timer_states(db, offer_id) == [
        ("remind", "done", 1),
        ("escalate", "done", 1),
        ("escalate", "done", 1),
    ]

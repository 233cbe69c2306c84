"""Short outbox leases, renewed by the holder: a dead worker's rows are taken over within
one lease, a live one keeps its rows through a slow call, and only the holder can finish
a row. Both engines."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.clock import ManualClock, SystemClock
from bot.config_store import ConfigStore
from bot.outbox.leases import LeaseKeeper
from bot.outbox.worker import OutboxWorker
from bot.runtime import build_runtime
from bot.settings import Settings
from storage import outbox
from storage.db import Database
from storage.models import OutboxItem
from tests.storage.helpers import NOW

CONFIG = "reps:\n  - {id: alice, name: Alice}\nrules:\n  - {name: All, assign: {rep: alice}}\n"


def add(db: Database, key: str, at: datetime = NOW) -> None:
    with db.session() as session:
        outbox.enqueue(session, key=key, kind="test.effect", payload={}, now=at)


def row(db: Database, key: str) -> OutboxItem:
    with db.session() as session:
        found = session.scalars(select(OutboxItem).where(OutboxItem.key == key)).one()
        session.expunge(found)
        return found


def test_a_claim_names_its_holder_and_when(db: Database) -> None:
    add(db, "k")
    (c,) = outbox.claim_batch(db, now=NOW, token="worker-a")
    stored = row(db, "k")
    assert (c.token, c.leased_at) == ("worker-a", NOW)
    assert stored.lease_token == "worker-a" and stored.leased_at == NOW
    assert stored.locked_until == NOW + outbox.LEASE
    assert timedelta(seconds=3) >= outbox.LEASE


def test_a_dead_holders_row_is_taken_over_within_one_lease(db: Database) -> None:
    add(db, "k")
    outbox.claim_batch(db, now=NOW, token="dead")  # and then it never renews
    just_before = NOW + outbox.LEASE - timedelta(milliseconds=1)
    assert outbox.claim_batch(db, now=just_before, token="alive") == []
    (taken,) = outbox.claim_batch(db, now=NOW + outbox.LEASE, token="alive")
    assert taken.attempts == 2  # the next holder knows an earlier try may have posted
    assert row(db, "k").lease_token == "alive"


def test_renewal_keeps_a_row_and_only_its_holder_can_renew(db: Database) -> None:
    add(db, "k")
    (c,) = outbox.claim_batch(db, now=NOW, token="a")
    later = NOW + timedelta(seconds=2)
    assert outbox.renew(db, token="b", ids=[c.id], now=later) == set()
    assert outbox.renew(db, token="a", ids=[c.id], now=later) == {c.id}
    assert row(db, "k").locked_until == later + outbox.LEASE
    # Past the first lease, but renewed: nobody else may take it.
    assert outbox.claim_batch(db, now=NOW + outbox.LEASE + timedelta(seconds=1)) == []


def test_a_holder_that_lost_its_lease_changes_nothing(db: Database) -> None:
    add(db, "k")
    (first,) = outbox.claim_batch(db, now=NOW, token="slow")
    (second,) = outbox.claim_batch(db, now=NOW + outbox.LEASE, token="fast")
    late = NOW + timedelta(seconds=10)
    with db.session() as session:
        assert outbox.complete(session, second.id, now=late, result={"ts": "2"}, token="fast")
    with db.session() as session:
        assert not outbox.complete(session, first.id, now=late, result={"ts": "1"}, token="slow")
        assert not outbox.retry_later(session, first.id, error="x", at=late, token="slow")
        assert not outbox.give_up(session, first.id, error="x", now=late, token="slow")
    stored = row(db, "k")
    assert (stored.status, stored.result, stored.last_error) == ("done", {"ts": "2"}, None)
    assert outbox.renew(db, token="fast", ids=[second.id], now=late) == set()  # done: no renew


def test_the_keeper_refuses_to_start_a_row_whose_lease_is_running_out(db: Database) -> None:
    clock = ManualClock(NOW)
    keeper = LeaseKeeper(db, clock, heartbeat=timedelta(hours=1))  # no renewal in the test
    try:
        add(db, "k")
        (c,) = outbox.claim_batch(db, now=NOW, token=keeper.token)
        keeper.hold([c])
        assert keeper.may_start(c.id)
        clock.advance(outbox.LEASE - timedelta(milliseconds=999))
        assert not keeper.may_start(c.id)  # under a second left: someone may take it
        keeper.renew_now()
        assert keeper.may_start(c.id)
        keeper.release(c.id)
        assert not keeper.may_start(c.id)
    finally:
        keeper.stop()


def test_a_slow_handler_keeps_its_row_and_it_runs_once(db: Database) -> None:
    """A call longer than three leases: the heartbeat holds the row against a second worker
    claiming all along; the row is done once, by its holder."""
    settings = Settings(database_url=db.url, slack_bot_token="xoxb-test")
    now = datetime.now(UTC)
    rt = build_runtime(settings, config=ConfigStore(text=CONFIG), db=db, clock=SystemClock())
    lease, beat = timedelta(seconds=0.6), timedelta(seconds=0.15)
    runs: list[str] = []
    started = threading.Event()

    def slow(_rt: Any, item: outbox.Claimed) -> dict[str, Any]:
        started.set()
        time.sleep(2.0)
        runs.append(item.key)
        return {"ok": True}

    add(db, "slow", at=now)
    worker = OutboxWorker(rt, {"test.effect": slow}, lease=lease, heartbeat=beat)
    thread = threading.Thread(target=worker.drain)
    thread.start()
    try:
        assert started.wait(5)
        stolen: list[outbox.Claimed] = []
        while thread.is_alive():
            stolen += outbox.claim_batch(db, now=datetime.now(UTC), lease=lease, token="rival")
            time.sleep(0.05)
        assert stolen == []
    finally:
        thread.join(10)
        worker.close()
    assert runs == ["slow"]
    stored = row(db, "slow")
    assert (stored.status, stored.attempts, stored.lease_token) == ("done", 1, None)

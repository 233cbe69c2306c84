"""storage.outbox: one row per intent, leases claimed exactly once, retries counted."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from storage import outbox
from storage.db import Database
from storage.models import OutboxItem
from tests.storage.helpers import NOW, race


def add(db: Database, key: str, *, delay: timedelta = timedelta(0)) -> bool:
    with db.session() as session:
        return outbox.enqueue(
            session, key=key, kind="slack.test", payload={"key": key}, now=NOW, delay=delay
        )


def item(db: Database, key: str) -> OutboxItem:
    with db.session() as session:
        row = session.scalars(select(OutboxItem).where(OutboxItem.key == key)).one()
        session.expunge(row)
        return row


def count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(OutboxItem)) or 0


def test_enqueue_same_key_twice_is_one_row(db: Database) -> None:
    assert add(db, "offer:1:post") is True
    assert add(db, "offer:1:post") is False
    assert add(db, "offer:2:post") is True
    assert count(db) == 2


def test_enqueue_same_key_in_one_transaction(db: Database) -> None:
    with db.session() as session:
        first = outbox.enqueue(session, key="k", kind="a", payload={"n": 1}, now=NOW)
        second = outbox.enqueue(session, key="k", kind="b", payload={"n": 2}, now=NOW)
    assert (first, second) == (True, False)
    row = item(db, "k")
    assert (row.kind, row.payload) == ("a", {"n": 1})


def test_enqueue_after_done_is_still_a_no_op(db: Database) -> None:
    add(db, "k")
    (claimed,) = outbox.claim_batch(db, now=NOW)
    with db.session() as session:
        outbox.complete(session, claimed.id, now=NOW, result={"ts": "1.2"})
    assert add(db, "k") is False
    assert outbox.claim_batch(db, now=NOW + timedelta(hours=1)) == []


def test_concurrent_enqueue_of_one_key(db: Database) -> None:
    results = race(8, lambda i: add(db, "offer:7:post"))
    assert sorted(results) == [False] * 7 + [True]
    assert count(db) == 1


def test_claim_batch_leases_and_counts_attempts(db: Database) -> None:
    for i in range(3):
        add(db, f"k{i}")
    add(db, "later", delay=timedelta(minutes=5))
    claimed = outbox.claim_batch(db, now=NOW, limit=10, lease=timedelta(minutes=10))
    assert [c.key for c in claimed] == ["k0", "k1", "k2"]
    assert all(c.attempts == 1 for c in claimed)
    assert claimed[0].payload == {"key": "k0"}
    # Leased: nobody else gets them before the lease ends.
    assert outbox.claim_batch(db, now=NOW + timedelta(minutes=4)) == []
    # The delayed row becomes due by itself.
    later = outbox.claim_batch(db, now=NOW + timedelta(minutes=5))
    assert [c.key for c in later] == ["later"]


def test_claim_batch_respects_limit(db: Database) -> None:
    for i in range(5):
        add(db, f"k{i}")
    first = outbox.claim_batch(db, now=NOW, limit=2)
    second = outbox.claim_batch(db, now=NOW, limit=2)
    third = outbox.claim_batch(db, now=NOW, limit=2)
    keys = [c.key for c in first + second + third]
    assert keys == ["k0", "k1", "k2", "k3", "k4"]


def test_lease_expiry_lets_another_worker_reclaim(db: Database) -> None:
    add(db, "k")
    (first,) = outbox.claim_batch(db, now=NOW, lease=timedelta(seconds=30))
    assert first.attempts == 1
    # The worker died without completing: at the lease end the row is up for grabs again,
    # and attempts tells the next worker an earlier try may have reached Slack.
    (second,) = outbox.claim_batch(db, now=NOW + timedelta(seconds=30))
    assert (second.id, second.attempts) == (first.id, 2)
    (third,) = outbox.claim_batch(db, now=NOW + timedelta(minutes=5))
    assert third.attempts == 3


def test_retry_later_counts_the_attempt(db: Database) -> None:
    add(db, "k")
    (c,) = outbox.claim_batch(db, now=NOW)
    with db.session() as session:
        outbox.retry_later(session, c.id, error="HTTP 500", at=NOW + timedelta(seconds=4))
    row = item(db, "k")
    assert (row.status, row.attempts, row.last_error, row.locked_until) == (
        "pending",
        1,
        "HTTP 500",
        None,
    )
    assert outbox.claim_batch(db, now=NOW + timedelta(seconds=3)) == []
    (again,) = outbox.claim_batch(db, now=NOW + timedelta(seconds=4))
    assert again.attempts == 2


def test_retry_later_without_counting(db: Database) -> None:
    # A 429 with Retry-After is Slack asking us to wait, not a failed attempt.
    add(db, "k")
    (c,) = outbox.claim_batch(db, now=NOW)
    with db.session() as session:
        outbox.retry_later(
            session, c.id, error="ratelimited", at=NOW + timedelta(seconds=1), count_attempt=False
        )
    assert item(db, "k").attempts == 0
    (again,) = outbox.claim_batch(db, now=NOW + timedelta(seconds=1))
    assert again.attempts == 1


def test_give_up_is_final(db: Database) -> None:
    add(db, "k")
    (c,) = outbox.claim_batch(db, now=NOW)
    with db.session() as session:
        outbox.give_up(session, c.id, error="channel_not_found", now=NOW)
    row = item(db, "k")
    assert (row.status, row.last_error, row.done_at) == ("dead", "channel_not_found", NOW)
    assert outbox.claim_batch(db, now=NOW + timedelta(days=1)) == []


def test_complete_is_final(db: Database) -> None:
    add(db, "k")
    (c,) = outbox.claim_batch(db, now=NOW)
    with db.session() as session:
        outbox.complete(session, c.id, now=NOW, result={"ts": "123.456"})
    row = item(db, "k")
    assert (row.status, row.result, row.locked_until) == ("done", {"ts": "123.456"}, None)
    assert outbox.claim_batch(db, now=NOW + timedelta(days=1)) == []


def test_backoff_doubles_and_caps() -> None:
    assert [outbox.backoff(n).total_seconds() for n in range(1, 6)] == [1, 2, 4, 8, 16]
    assert outbox.backoff(0) == timedelta(seconds=1)
    assert outbox.backoff(40) == timedelta(minutes=5)


def test_concurrent_claim_batch_claims_each_row_exactly_once(db: Database) -> None:
    rows = 200
    with db.session() as session:
        for i in range(rows):
            outbox.enqueue(session, key=f"k{i}", kind="slack.test", payload={}, now=NOW)

    def drain(_: int) -> list[int]:
        got: list[int] = []
        while True:
            batch = outbox.claim_batch(db, now=NOW, limit=7, lease=timedelta(minutes=1))
            if not batch:
                return got
            got.extend(c.id for c in batch)

    results = race(8, drain)
    claimed = Counter(i for ids in results for i in ids)
    assert len(claimed) == rows
    assert set(claimed.values()) == {1}
    with db.session() as session:
        attempts = set(session.scalars(select(OutboxItem.attempts)))
    assert attempts == {1}


def test_a_transaction_that_queues_wakes_the_worker_after_commit(db: Database) -> None:
    """One unit of work: the wake-up comes after the rows are visible, never on rollback."""
    seen: list[int] = []

    def wake() -> None:
        with db.session() as s:  # the rows are committed by the time we are woken
            seen.append(len(list(s.scalars(select(OutboxItem)))))

    db.after_outbox_commit.append(wake)
    with db.session():
        pass  # nothing queued: no wake-up
    with db.session() as session:
        outbox.enqueue(session, key="a", kind="slack.test", payload={}, now=NOW)
        outbox.enqueue_later(session, key="b", kind="slack.test", payload={}, now=NOW)
        assert seen == []
    assert seen == [2]
    with pytest.raises(RuntimeError), db.session() as session:
        outbox.enqueue(session, key="c", kind="slack.test", payload={}, now=NOW)
        raise RuntimeError("rolled back")
    assert seen == [2]

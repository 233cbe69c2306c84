"""storage.deferred: rows written with their transaction at commit, or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.deferred import write_deferred
from storage.events import record_event
from storage.models import Event, OutboxItem
from storage.outbox import enqueue, enqueue_later
from tests.storage.helpers import NOW, new_lead


def test_deferred_rows_commit_with_the_transaction_in_order(db: Database) -> None:
    lead_id = new_lead(db)
    with db.session() as session:
        for n in range(3):
            record_event(session, lead_id=lead_id, kind=f"test.{n}", at=NOW, n=n)
        enqueue_later(session, key="k1", kind="slack.remind", payload={"n": 1}, now=NOW)
        enqueue_later(session, key="k1", kind="slack.remind", payload={"n": 2}, now=NOW)
        enqueue_later(session, key="k2", kind="slack.remind", payload={}, now=NOW)
        # not written yet: nothing in this transaction reads them
        assert session.scalars(select(OutboxItem.key)).all() == []
    with db.session() as session:
        events = session.scalars(select(Event).order_by(Event.id)).all()
        assert [(e.kind, e.data) for e in events][-3:] == [
            ("test.0", {"n": 0}),
            ("test.1", {"n": 1}),
            ("test.2", {"n": 2}),
        ]
        rows = session.execute(select(OutboxItem.key, OutboxItem.payload)).all()
        assert sorted(map(tuple, rows)) == [("k1", {"n": 1}), ("k2", {})]  # first one wins


def test_a_deferred_row_whose_key_exists_is_skipped(db: Database) -> None:
    with db.session() as session:
        assert enqueue(session, key="once", kind="slack.remind", payload={"v": 1}, now=NOW)
    with db.session() as session:
        enqueue_later(session, key="once", kind="slack.remind", payload={"v": 2}, now=NOW)
        enqueue_later(session, key="new", kind="slack.remind", payload={}, now=NOW)
    with db.session() as session:
        rows = session.execute(select(OutboxItem.key, OutboxItem.payload)).all()
        assert sorted(map(tuple, rows)) == [("new", {}), ("once", {"v": 1})]


def test_deferred_rows_vanish_with_a_rollback(db: Database) -> None:
    lead_id = new_lead(db)
    with pytest.raises(RuntimeError), db.session() as session:
        record_event(session, lead_id=lead_id, kind="test.lost", at=NOW)
        enqueue_later(session, key="lost", kind="slack.remind", payload={}, now=NOW)
        raise RuntimeError("the step failed")
    with db.session() as session:  # and the next transaction of the session does not write them
        assert session.scalars(select(Event).where(Event.kind == "test.lost")).all() == []
        assert session.scalars(select(OutboxItem)).all() == []


def test_write_deferred_makes_them_readable_at_once(db: Database) -> None:
    with db.session() as session:
        enqueue_later(session, key="now", kind="slack.remind", payload={}, now=NOW)
        assert write_deferred(session) == 1
        assert session.scalars(select(OutboxItem.key)).all() == ["now"]
        assert write_deferred(session) == 0
    with db.session() as session:
        assert session.scalars(select(OutboxItem.key)).all() == ["now"]

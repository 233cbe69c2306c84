"""Event dedupe and Home refresh rows: once per event, one publish per burst."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.home.refresh import KIND, superseded
from lifecycle.home import SETTLE, request_home_refresh
from storage.db import Database
from storage.dedupe import first_time
from storage.models import OutboxItem, ProcessedRequest
from storage.outbox import Claimed

NOW = datetime(2024, 5, 6, 15, 0, tzinfo=UTC)


def test_first_time_is_true_once_per_key(db: Database) -> None:
    with db.session() as s:
        assert first_time(s, "slack-event:Ev1", NOW)
    with db.session() as s:
        assert not first_time(s, "slack-event:Ev1", NOW + timedelta(seconds=5))
        assert first_time(s, "slack-event:Ev2", NOW)
    with db.session() as s:
        rows = s.execute(select(ProcessedRequest.key, ProcessedRequest.at)).all()
    assert sorted(rows) == [("slack-event:Ev1", NOW), ("slack-event:Ev2", NOW)]


def test_a_rolled_back_first_time_does_not_count(db: Database) -> None:
    class Boom(Exception):
        pass

    try:
        with db.session() as s:
            assert first_time(s, "slack-event:Ev3", NOW)
            raise Boom
    except Boom:
        pass
    with db.session() as s:
        assert first_time(s, "slack-event:Ev3", NOW)


def rows(db: Database) -> list[OutboxItem]:
    with db.session() as s:
        return list(s.scalars(select(OutboxItem).order_by(OutboxItem.id)))


def claimed(row: OutboxItem) -> Claimed:
    return Claimed(row.id, row.key, row.kind, row.lead_id, dict(row.payload), 1)


def test_each_request_is_a_new_delayed_row_per_rep(db: Database) -> None:
    with db.session() as s:
        assert request_home_refresh(s, ["alice", "bob", "alice"], NOW) == 2
        assert request_home_refresh(s, ["alice"], NOW, delay=timedelta(0)) == 1
    made = rows(db)
    assert [(r.kind, r.payload["rep"]) for r in made] == [
        (KIND, "alice"),
        (KIND, "bob"),
        (KIND, "alice"),
    ]
    assert len({r.key for r in made}) == 3
    assert all(r.key.startswith(f"home:{r.payload['rep']}:") for r in made)
    assert [r.next_attempt_at for r in made] == [NOW + SETTLE, NOW + SETTLE, NOW]


def started(db: Database, rep: str, until: datetime = NOW + timedelta(seconds=30)) -> None:
    """A worker has leased the rep's waiting publish (so a new request queues another)."""
    with db.session() as s:
        s.execute(
            update(OutboxItem)
            .where(OutboxItem.key.startswith(f"home:{rep}:"), OutboxItem.locked_until.is_(None))
            .values(locked_until=until)
        )


def test_a_request_joins_the_publish_still_waiting_for_that_rep(db: Database) -> None:
    with db.session() as s:
        assert request_home_refresh(s, ["alice", "bob"], NOW) == 2
    with db.session() as s:
        assert request_home_refresh(s, ["alice", "bob", "carol"], NOW) == 1  # only carol
    assert [r.payload["rep"] for r in rows(db)] == ["alice", "bob", "carol"]
    started(db, "alice")  # being published: it may have read the state already
    with db.session() as s:
        assert request_home_refresh(s, ["alice", "bob"], NOW) == 1
    with db.session() as s:
        assert request_home_refresh(s, ["alice"], NOW, delay=timedelta(0)) == 1  # opened Home
    assert [r.payload["rep"] for r in rows(db)] == ["alice", "bob", "carol", "alice", "alice"]


def test_an_older_publish_yields_to_a_newer_one_not_yet_started(db: Database) -> None:
    with db.session() as s:
        request_home_refresh(s, ["alice"], NOW)
        request_home_refresh(s, ["bob"], NOW)
    started(db, "alice")
    with db.session() as s:
        request_home_refresh(s, ["alice"], NOW)
    a1, b, a2 = rows(db)
    with db.session() as s:
        assert superseded(s, claimed(a1), "alice", NOW)
        assert not superseded(s, claimed(a2), "alice", NOW)
        assert not superseded(s, claimed(b), "bob", NOW)
    with db.session() as s:
        s.execute(update(OutboxItem).where(OutboxItem.id == a2.id).values(status="done"))
        assert not superseded(s, claimed(a1), "alice", NOW)


def test_a_newer_publish_leased_before_ours_may_be_stale(db: Database) -> None:
    with db.session() as s:
        request_home_refresh(s, ["alice", "alice:x"], NOW)
    started(db, "alice")
    with db.session() as s:
        request_home_refresh(s, ["alice"], NOW)
    older, _, newer = (r for r in rows(db) if r.payload["rep"] in ("alice", "alice:x"))
    mine = replace(claimed(older), leased_at=NOW)

    def theirs(leased_at: datetime, until: datetime = NOW + timedelta(seconds=3)) -> None:
        with db.session() as s:
            s.execute(
                update(OutboxItem)
                .where(OutboxItem.id == newer.id)
                .values(leased_at=leased_at, locked_until=until)
            )

    theirs(NOW)  # claimed in our batch: it runs after us
    with db.session() as s:
        assert superseded(s, mine, "alice", NOW)
    theirs(NOW - timedelta(seconds=3))  # another worker started it earlier
    with db.session() as s:
        assert not superseded(s, mine, "alice", NOW)
    # ... and still earlier when its holder has renewed the lease past ours since
    theirs(NOW - timedelta(seconds=3), until=NOW + timedelta(seconds=10))
    with db.session() as s:
        assert not superseded(s, mine, "alice", NOW)
    theirs(NOW - timedelta(seconds=3), until=NOW - timedelta(seconds=1))  # ran out: runs again
    with db.session() as s:
        assert superseded(s, mine, "alice", NOW)


def test_a_rep_whose_id_extends_another_does_not_supersede_it(db: Database) -> None:
    with db.session() as s:
        request_home_refresh(s, ["al"], NOW)
        request_home_refresh(s, ["al:ice", "a_"], NOW)
    al = rows(db)[0]
    with db.session() as s:
        assert not superseded(s, claimed(al), "al", NOW)
    with db.session() as s:
        request_home_refresh(s, ["ab"], NOW)
        request_home_refresh(s, ["a_"], NOW)
    ab = next(r for r in rows(db) if r.payload["rep"] == "ab")
    with db.session() as s:
        assert not superseded(s, claimed(ab), "ab", NOW)


def test_a_joined_publish_waits_for_the_burst_to_settle_but_not_forever(db: Database) -> None:
    from lifecycle.home import MAX_WAIT

    with db.session() as s:
        request_home_refresh(s, ["alice"], NOW)
    later = NOW + timedelta(seconds=3)
    with db.session() as s:
        assert request_home_refresh(s, ["alice"], later) == 0
    assert [r.next_attempt_at for r in rows(db)] == [later + SETTLE]  # debounced
    much_later = NOW + MAX_WAIT + timedelta(seconds=5)
    with db.session() as s:
        request_home_refresh(s, ["alice"], much_later)
    assert [r.next_attempt_at for r in rows(db)] == [NOW + MAX_WAIT]  # capped


def test_a_throttled_publish_is_not_moved_sooner(db: Database) -> None:
    with db.session() as s:
        request_home_refresh(s, ["alice"], NOW)
    retry_after = NOW + timedelta(seconds=8)  # Slack said: wait
    with db.session() as s:
        s.execute(update(OutboxItem).values(next_attempt_at=retry_after))
    with db.session() as s:
        assert request_home_refresh(s, ["alice"], NOW + timedelta(seconds=2)) == 0
    assert [r.next_attempt_at for r in rows(db)] == [retry_after]

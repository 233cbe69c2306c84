"""storage.roster.load_roster: the engine's view of loads, presence and rotation."""

from __future__ import annotations

from datetime import timedelta

from routing.config import parse_config
from storage.db import Database
from storage.models import Lead, Offer, PoolState, RepPresence
from storage.roster import load_roster
from tests.storage.helpers import NOW

CONFIG = """
reps:
  - {id: alice, name: Alice, max_pending: 3}
  - {id: bob, name: Bob, caps: {hour: 5}}
  - {id: carol, name: Carol}
pools:
  p: {strategy: least_loaded, members: [alice, bob, carol]}
rules:
  - {name: All, assign: {pool: p}}
"""


def seed(db: Database) -> tuple[int, int]:
    with db.session() as session:
        lead = Lead(
            source="test", state="offered", fields={}, raw={}, received_at=NOW - timedelta(days=9)
        )
        other = Lead(source="test", state="offered", fields={}, raw={}, received_at=NOW)
        session.add_all([lead, other])
        session.flush()
        rows = [
            ("alice", NOW - timedelta(minutes=10), "pending", other.id),
            ("alice", NOW - timedelta(minutes=5), "pending", other.id),
            ("alice", NOW - timedelta(days=2), "accepted", other.id),
            ("bob", NOW - timedelta(minutes=30), "declined", lead.id),
            ("bob", NOW - timedelta(days=8), "accepted", other.id),  # outside the week
            ("carol", NOW - timedelta(hours=3), "timed_out", lead.id),
        ]
        for rep, at, outcome, lead_id in rows:
            session.add(Offer(lead_id=lead_id, rep_id=rep, offered_at=at, outcome=outcome))
        session.add(
            RepPresence(
                rep_id="carol",
                away_until=NOW + timedelta(hours=1),
                away_since=NOW,
                updated_at=NOW,
            )
        )
        session.add(
            RepPresence(
                rep_id="bob", away_until=NOW - timedelta(hours=1), away_since=NOW, updated_at=NOW
            )
        )
        session.add(PoolState(pool_id="p", state={"last": "bob"}, version=3, updated_at=NOW))
        return lead.id, other.id


def test_load_roster_reads_loads_presence_and_exclusions(db: Database) -> None:
    config = parse_config(CONFIG)
    lead_id, other_id = seed(db)
    with db.session() as session:
        roster = load_roster(session, config, lead_id=lead_id, now=NOW)
        other = load_roster(session, config, lead_id=other_id, now=NOW)
    alice, bob, carol = roster.load("alice"), roster.load("bob"), roster.load("carol")
    assert (alice.pending, bob.pending, carol.pending) == (2, 0, 0)
    assert alice.last_offered_at == NOW - timedelta(minutes=5)
    assert bob.last_offered_at == NOW - timedelta(minutes=30)
    assert carol.last_offered_at == NOW - timedelta(hours=3)
    # Offers inside the widest cap window (a week), for the rolling caps.
    assert sorted(bob.recent_offers) == [NOW - timedelta(minutes=30)]
    assert len(alice.recent_offers) == 3
    assert carol.away_until == NOW + timedelta(hours=1)
    assert bob.away_until is None  # back already
    assert roster.pools == {"p": {"last": "bob"}}
    # Declined / timed out on this lead: excluded from it, and only from it.
    assert roster.excluded == {"bob", "carol"}
    assert other.excluded == frozenset()


def test_pool_overrides_win(db: Database) -> None:
    config = parse_config(CONFIG)
    seed(db)
    with db.session() as session:
        roster = load_roster(
            session, config, lead_id=None, now=NOW, pool_overrides={"p": {"last": "carol"}}
        )
    assert roster.pools["p"] == {"last": "carol"}
    assert roster.excluded == frozenset()


def test_pending_is_read_for_max_pending_without_least_loaded(db: Database) -> None:
    config = parse_config(CONFIG.replace("least_loaded", "round_robin"))
    lead_id, _ = seed(db)
    with db.session() as session:
        roster = load_roster(session, config, lead_id=lead_id, now=NOW)
    assert roster.load("alice").pending == 2

"""storage.offers and storage.claims: double clicks and races change nothing twice."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from lifecycle.claims import claim_lead
from lifecycle.offers import accept_offer, decline_offer
from storage.db import Database
from storage.models import Lead, Offer, OutboxItem
from tests.storage.helpers import NOW, race, routed_lead

LATER = NOW + timedelta(minutes=2)


def offer_id(db: Database) -> tuple[int, int]:
    lead_id, result = routed_lead(db, "direct")
    assert result.decision is not None
    assert result.decision.assignee == "alice"
    assert result.offer_id is not None
    return lead_id, result.offer_id


def accept(db: Database, oid: int, rep: str) -> str:
    with db.session() as session:
        return accept_offer(session, oid, rep, LATER).status


def decline(db: Database, oid: int, rep: str) -> str:
    with db.session() as session:
        return decline_offer(session, oid, rep, LATER, reason="Not a fit").status


def test_accept_then_accept_again_is_not_pending(db: Database) -> None:
    lead_id, oid = offer_id(db)
    assert accept(db, oid, "alice") == "accepted"
    assert accept(db, oid, "alice") == "not_pending"
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        offer = session.get(Offer, oid)
        assert lead is not None and offer is not None
        assert (lead.state, lead.assignee, lead.accepted_at) == ("accepted", "alice", LATER)
        assert (offer.outcome, offer.responded_at) == ("accepted", LATER)
        updates = session.scalars(
            select(OutboxItem.key).where(OutboxItem.kind == "slack.offer_update")
        ).all()
        assert updates == [f"offer:{oid}:accepted"]


def test_accept_by_another_rep_is_not_yours(db: Database) -> None:
    lead_id, oid = offer_id(db)
    assert accept(db, oid, "bob") == "not_yours"
    assert decline(db, oid, "bob") == "not_yours"
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        offer = session.get(Offer, oid)
        assert lead is not None and offer is not None
        assert offer.outcome == "pending"
        assert lead.state == "offered"
        assert lead.assignee is None
    assert accept(db, oid, "alice") == "accepted"


def test_unknown_offer(db: Database) -> None:
    assert accept(db, 999_999, "alice") == "unknown"
    assert decline(db, 999_999, "alice") == "unknown"


def test_decline_then_accept_is_not_pending(db: Database) -> None:
    _, oid = offer_id(db)
    assert decline(db, oid, "alice") == "declined"
    assert decline(db, oid, "alice") == "not_pending"
    assert accept(db, oid, "alice") == "not_pending"
    with db.session() as session:
        offer = session.get(Offer, oid)
        assert offer is not None
        assert (offer.outcome, offer.reason) == ("declined", "Not a fit")


def test_concurrent_accept_and_decline_one_wins(db: Database) -> None:
    _, oid = offer_id(db)
    results = race(10, lambda i: accept(db, oid, "alice") if i % 2 else decline(db, oid, "alice"))
    counts = Counter(results)
    assert counts["not_pending"] == 9
    assert counts["accepted"] + counts["declined"] == 1
    with db.session() as session:
        offer = session.get(Offer, oid)
        assert offer is not None
        assert offer.outcome in ("accepted", "declined")
        updates = session.scalar(
            select(func.count())
            .select_from(OutboxItem)
            .where(OutboxItem.kind == "slack.offer_update")
        )
        assert updates == 1


def queued_lead(db: Database) -> int:
    lead_id, result = routed_lead(db, "queue")
    assert result.decision is not None
    assert result.decision.outcome == "queue"
    return lead_id


def claim(db: Database, lead_id: int, rep: str) -> tuple[str, str | None]:
    with db.session() as session:
        result = claim_lead(session, lead_id, rep, LATER)
        return result.status, result.owner


def test_claim_then_claim_again(db: Database) -> None:
    lead_id = queued_lead(db)
    assert claim(db, lead_id, "bob") == ("claimed", "bob")
    assert claim(db, lead_id, "carol") == ("already_claimed", "bob")
    assert claim(db, lead_id, "bob") == ("already_claimed", "bob")
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        assert (lead.state, lead.assignee) == ("accepted", "bob")
        offers = session.scalars(select(Offer).where(Offer.lead_id == lead_id)).all()
        assert [(o.rep_id, o.outcome) for o in offers] == [("bob", "accepted")]


def test_claim_of_a_lead_not_queued(db: Database) -> None:
    lead_id, _ = offer_id(db)
    assert claim(db, lead_id, "bob") == ("not_queued", None)
    assert claim(db, 999_999, "bob") == ("unknown", None)


def test_claim_race_has_exactly_one_winner(db: Database) -> None:
    lead_id = queued_lead(db)
    reps = ["alice", "bob", "carol"]
    results = race(20, lambda i: claim(db, lead_id, reps[i % 3]))
    statuses = Counter(status for status, _ in results)
    assert statuses == {"claimed": 1, "already_claimed": 19}
    owners = {owner for _, owner in results}
    assert len(owners) == 1
    (winner,) = owners
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        assert (lead.state, lead.assignee) == ("accepted", winner)
        assert (
            session.scalar(select(func.count()).select_from(Offer).where(Offer.lead_id == lead_id))
            == 1
        )
        assert (
            session.scalar(
                select(func.count())
                .select_from(OutboxItem)
                .where(OutboxItem.kind == "slack.queue_card_update")
            )
            == 1
        )

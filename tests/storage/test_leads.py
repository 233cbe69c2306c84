"""storage.leads.store_lead: a lead is stored once per key, even under a race."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storage.db import Database
from storage.leads import find_lead, store_lead
from storage.models import Event, Lead
from tests.storage.helpers import NOW, race

KEYS = ["external_id", "salesforce_id", "idempotency_key"]
VALUES = {
    "external_id": "form-123",
    "salesforce_id": "00Q5e00000AbCdE",
    "idempotency_key": "idem-9f1c",
}


def store(db: Database, company: str = "Acme", **keys: str | None) -> tuple[int, bool]:
    with db.session() as session:
        stored = store_lead(
            session,
            fields={"company": company},
            raw={"company": company},
            source="webhook",
            received_at=NOW,
            **keys,
        )
        return stored.lead.id, stored.created


def lead_count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Lead)) or 0


@pytest.mark.parametrize("key", KEYS)
def test_same_key_twice_is_one_lead(db: Database, key: str) -> None:
    first, created = store(db, "Acme", **{key: VALUES[key]})
    assert created
    again, created_again = store(db, "Acme (retry)", **{key: VALUES[key]})
    assert (again, created_again) == (first, False)
    assert lead_count(db) == 1
    with db.session() as session:
        lead = session.get(Lead, first)
        assert lead is not None
        # The retry changes nothing: the first version stays.
        assert lead.fields == {"company": "Acme"}
        kinds = list(session.scalars(select(Event.kind)))
        assert kinds == ["lead.received"]


@pytest.mark.parametrize("key", KEYS)
def test_any_matching_key_finds_the_lead(db: Database, key: str) -> None:
    first, _ = store(db, **VALUES)
    others = {
        "external_id": "form-456",
        "salesforce_id": "00Q5e00000ZzZzZ",
        "idempotency_key": "idem-0000",
    }
    others[key] = VALUES[key]
    assert store(db, **others) == (first, False)
    assert lead_count(db) == 1


def test_different_keys_are_different_leads(db: Database) -> None:
    a, _ = store(db, external_id="a")
    b, _ = store(db, external_id="b")
    c, _ = store(db)
    d, _ = store(db)
    assert len({a, b, c, d}) == 4
    assert lead_count(db) == 4


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_keys_count_as_no_key(db: Database, blank: str) -> None:
    # A webhook body with "external_id": "" must not make every later such lead fail.
    a, created_a = store(db, external_id=blank, salesforce_id=blank, idempotency_key=blank)
    b, created_b = store(db, external_id=blank, salesforce_id=blank, idempotency_key=blank)
    assert created_a and created_b
    assert a != b
    with db.session() as session:
        lead = session.get(Lead, a)
        assert lead is not None
        assert (lead.external_id, lead.salesforce_id, lead.idempotency_key) == (None, None, None)


@pytest.mark.parametrize("key", KEYS)
def test_concurrent_inserts_of_one_key_store_one_row(db: Database, key: str) -> None:
    threads = 10
    results = race(threads, lambda i: store(db, f"Acme {i}", **{key: VALUES[key]}))
    ids = {lead_id for lead_id, _ in results}
    assert len(ids) == 1
    assert sum(created for _, created in results) == 1
    assert lead_count(db) == 1
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Event)) == 1


def test_concurrent_distinct_keys_all_stored(db: Database) -> None:
    results = race(8, lambda i: store(db, external_id=f"k{i}"))
    assert len({lead_id for lead_id, _ in results}) == 8
    assert all(created for _, created in results)
    assert lead_count(db) == 8


def test_find_lead_by_public_id_and_salesforce_id(db: Database) -> None:
    lead_id, _ = store(db, salesforce_id=VALUES["salesforce_id"])
    with db.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        public = lead.public_id
        assert find_lead(session, public) is lead
        assert find_lead(session, public.lower()) is lead
        assert find_lead(session, VALUES["salesforce_id"]) is lead
        assert find_lead(session, "L-999999") is None
        assert find_lead(session, "not an id") is None

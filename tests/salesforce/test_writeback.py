"""Which Salesforce writes each event queues (owner_update, create_task, write_score)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.salesforce.writeback import score_fields
from lifecycle.salesforce_writes import enqueue_salesforce_writes
from routing.config.loader import parse_config
from storage.db import Database
from storage.leads import store_lead
from storage.models import OutboxItem

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
BASE = """
timezone: UTC
reps: [{id: alice, name: Alice, email: alice@example.com}]
rules: [{name: All, assign: {rep: alice}}]
salesforce: {owner_update: %s, create_task: %s, write_score: true,
             fields: {My_Score__c: score}}
"""


@pytest.mark.parametrize(
    ("mode", "event", "kinds"),
    [
        ("on_accept", "offer", []),
        ("on_accept", "accept", ["salesforce.owner_update", "salesforce.score"]),
        ("on_accept", "claim", ["salesforce.owner_update", "salesforce.score"]),
        ("on_offer", "offer", ["salesforce.owner_update"]),
        ("on_offer", "accept", ["salesforce.score"]),
        ("never", "accept", ["salesforce.score"]),
    ],
)
def test_events_queue_the_configured_writes(
    db: Database, mode: str, event: str, kinds: list[str]
) -> None:
    config = parse_config(BASE % (mode, "false"))
    with db.session() as s:
        lead = store_lead(
            s, fields={}, raw={}, source="salesforce", received_at=NOW,
            salesforce_id="00QEm0000000001MAA",
        ).lead  # fmt: skip
        lead.score = 70
        lead.tier = "A"
        enqueue_salesforce_writes(s, config, lead, "alice", event, now=NOW, offer_id=7)  # type: ignore[arg-type]
        # The same intent again is a no-op.
        again = enqueue_salesforce_writes(s, config, lead, "alice", event, now=NOW, offer_id=7)  # type: ignore[arg-type]
        assert again == 0
    with db.session() as s:
        rows = list(s.scalars(select(OutboxItem).order_by(OutboxItem.id)))
    assert [r.kind for r in rows] == kinds


def test_task_on_accept_and_no_writes_without_a_salesforce_id(db: Database) -> None:
    config = parse_config(BASE % ("on_accept", "true"))
    assert score_fields(config) == ("My_Score__c", "Lead_Tier__c")
    with db.session() as s:
        web = store_lead(s, fields={}, raw={}, source="webhook", received_at=NOW).lead
        assert enqueue_salesforce_writes(s, config, web, "alice", "accept", now=NOW) == 0
        sf_lead = store_lead(
            s, fields={}, raw={}, source="salesforce", received_at=NOW,
            salesforce_id="00QEm0000000002MAA",
        ).lead  # fmt: skip
        assert enqueue_salesforce_writes(s, config, sf_lead, "alice", "accept", now=NOW) == 2

"""Polling and fetching leads: high-water mark, overlap, dedupe, paging, advisory lock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.config_store import ConfigStore
from bot.outbox.handlers import HANDLERS
from bot.outbox.worker import OutboxWorker
from bot.runtime import Runtime, build_runtime
from bot.salesforce.errors import RecordGone
from bot.salesforce.ingest import ingest_by_salesforce_id
from bot.salesforce.poller import OVERLAP, POLL_LOCK, POLL_STATE, poll_leads
from bot.salesforce.soql import parse_stamp
from bot.services.leads import STALE_NEW, sweep_new_leads
from bot.settings import Settings
from storage.db import Database
from storage.models import Lead, OutboxItem
from storage.salesforce import sync_state, try_advisory_lock
from tests.salesforce.harness import SF_CONFIG, make_client, salesforce_settings, sf
from tests.salesforce_emulator import SalesforceEmulator

__all__ = ["sf"]


@pytest.fixture
def rt(db: Database, sf: SalesforceEmulator) -> Iterator[Runtime]:
    settings = Settings(
        database_url=db.url,
        slack_bot_token="xoxb-unused",
        slack_api_url="http://127.0.0.1:9/api/",
        **salesforce_settings(sf),
    )
    yield build_runtime(settings, config=ConfigStore(text=SF_CONFIG), db=db)


def _leads(rt: Runtime) -> dict[str, Lead]:
    with rt.db.session() as s:
        return {lead.salesforce_id: lead for lead in s.scalars(select(Lead)) if lead.salesforce_id}


def test_poll_pages_dedupes_and_keeps_a_high_water_mark(
    rt: Runtime, sf: SalesforceEmulator
) -> None:
    sf.rest.batch_size = 2
    inserted = [
        sf.insert_lead(LastName=f"Poll{n}", Company="Acme", Country="US", Email=f"p{n}@acme.io")
        for n in range(5)
    ]
    # Not for the poller: owned by a user, or converted.
    sf.insert("Lead", {"LastName": "Owned", "Company": "X", "OwnerId": sf.integration_user_id})
    converted = sf.insert_lead(LastName="Converted", Company="Y")
    sf.convert(converted["Id"])

    first = poll_leads(rt)
    assert first.ran and first.created == 5 and first.pages == 3
    leads = _leads(rt)
    assert set(leads) == {r["Id"] for r in inserted}
    assert leads[inserted[0]["Id"]].fields["last_name"] == "Poll0"
    assert leads[inserted[0]["Id"]].state == "offered"  # routed: US -> sdr pool
    newest = max(r["SystemModstamp"] for r in inserted)
    with rt.db.session() as s:
        state = sync_state(s, POLL_STATE)
        assert state is not None and state.high_water == newest

    # Next poll: starts OVERLAP before the mark; re-seen leads are not routed twice.
    late = sf.insert_lead(LastName="Late", Company="Acme", Country="US")
    sf.update("Lead", inserted[1]["Id"], {"Title": "CTO"})
    second = poll_leads(rt)
    assert second.created == 1 and second.duplicates >= 1
    soql = sf.calls_of("query")[-1].query["q"]
    since = (newest - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"SystemModstamp >= {since}" in soql
    assert "(IsConverted = false AND Owner.Type = 'Queue')" in soql
    assert soql.endswith("ORDER BY SystemModstamp, Id")
    assert late["Id"] in _leads(rt)
    with rt.db.session() as s:
        assert len(list(s.scalars(select(Lead)))) == 6
        state = sync_state(s, POLL_STATE)
        assert state is not None and state.high_water == parse_stamp(
            sf.rest._json_value(sf.record("Lead", inserted[1]["Id"])["SystemModstamp"])
        )


def test_first_poll_looks_back_a_day_only(rt: Runtime, sf: SalesforceEmulator) -> None:
    old = sf.insert_lead(LastName="Old", Company="Acme")
    with sf.lock:
        sf.org.objects["Lead"][old["Id"]]["SystemModstamp"] -= timedelta(days=2)
    result = poll_leads(rt)
    assert result.ran and result.created == 0


def test_a_failed_poll_keeps_the_mark_and_loses_nothing(
    rt: Runtime, sf: SalesforceEmulator
) -> None:
    sf.rest.batch_size = 2
    for n in range(3):
        sf.insert_lead(LastName=f"F{n}", Company="Acme", Country="US")
    sf.fail_next("queryMore")
    failed = poll_leads(rt)
    assert failed.ran and failed.error and "unavailable" in failed.error
    assert failed.created == 2  # the first page was stored before the failure
    again = poll_leads(rt)
    assert again.error is None and again.created == 1 and again.duplicates == 2


@pytest.mark.postgres
def test_one_poller_per_deployment(db: Database, rt: Runtime, sf: SalesforceEmulator) -> None:
    if db.is_sqlite:
        with try_advisory_lock(db, POLL_LOCK) as ours:
            assert ours  # one process: always runs
        return
    with try_advisory_lock(db, POLL_LOCK) as ours:
        assert ours
        skipped = poll_leads(rt)
        assert not skipped.ran and "another replica" in skipped.reason
    sf.insert_lead(LastName="Race", Company="Acme", Country="US")
    sf.slow_next("query", 1.0)
    results: list[object] = []
    first = threading.Thread(target=lambda: results.append(poll_leads(rt)))
    first.start()
    deadline = threading.Event()
    while not sf.calls_of("query"):
        deadline.wait(0.01)
    second = poll_leads(rt)
    first.join(10)
    assert not second.ran
    [winner] = results
    assert winner.ran and winner.created == 1  # type: ignore[attr-defined]


def test_fetch_by_id_routes_at_once(rt: Runtime, sf: SalesforceEmulator) -> None:
    record = sf.insert_lead(LastName="Hook", Company="Acme", Country="US", Email="h@acme.io")
    client = make_client(sf)
    outcome = ingest_by_salesforce_id(rt, client, record["Id"][:15])
    assert outcome.fetched and outcome.ingested.created
    again = ingest_by_salesforce_id(rt, client, record["Id"])
    assert not again.ingested.created and again.ingested.public_id == outcome.ingested.public_id
    lead = _leads(rt)[record["Id"]]
    assert lead.state == "offered" and lead.fields["email"] == "h@acme.io"
    assert lead.source == "webhook"


def test_fetch_of_a_deleted_lead_stores_nothing(rt: Runtime, sf: SalesforceEmulator) -> None:
    record = sf.insert_lead(LastName="Gone", Company="Acme")
    sf.delete("Lead", record["Id"])
    with pytest.raises(RecordGone):
        ingest_by_salesforce_id(rt, make_client(sf), record["Id"])
    assert _leads(rt) == {}


def test_outage_stores_the_lead_and_the_outbox_fetches_it_later(
    rt: Runtime, sf: SalesforceEmulator
) -> None:
    record = sf.insert_lead(LastName="Outage", Company="Acme", Country="US")
    sf.unavailable = True
    outcome = ingest_by_salesforce_id(rt, make_client(sf), record["Id"])
    assert not outcome.fetched and outcome.ingested.created
    lead = _leads(rt)[record["Id"]]
    assert lead.state == "fetching" and lead.fields == {}
    # The new-lead sweeper never routes a lead without its fields.
    assert sweep_new_leads(rt) == 0
    worker = OutboxWorker(rt, HANDLERS)
    [item] = _sf_rows(rt)
    _process(rt, worker, item)
    assert _leads(rt)[record["Id"]].state == "fetching"
    [item] = _sf_rows(rt)
    assert item.status == "pending" and "unavailable" in (item.last_error or "")
    sf.unavailable = False
    _process(rt, worker, item)
    lead = _leads(rt)[record["Id"]]
    assert lead.state == "offered" and lead.fields["last_name"] == "Outage"
    assert _sf_rows(rt)[0].status == "done"
    assert STALE_NEW  # the sweeper's grace period is unchanged


def _sf_rows(rt: Runtime) -> list[OutboxItem]:
    with rt.db.session() as s:
        return list(s.scalars(select(OutboxItem).where(OutboxItem.kind.like("salesforce.%"))))


def _process(rt: Runtime, worker: OutboxWorker, row: OutboxItem) -> None:
    from storage.outbox import Claimed

    worker.process(Claimed(row.id, row.key, row.kind, row.lead_id, dict(row.payload), 1))

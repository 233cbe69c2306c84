"""Syncing Accounts, Contacts, open Leads and Users, and matching live leads against them."""

from __future__ import annotations

import csv
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.config_store import ConfigStore
from bot.runtime import Runtime, build_runtime
from bot.salesforce.errors import SalesforceProblem
from bot.salesforce.sync import SPECS, SYNC_LOCK, sync_all, sync_object
from bot.services.leads import ingest_lead
from bot.settings import Settings
from storage.crm import counts, generation
from storage.db import Database
from storage.models import CrmAccount, CrmContact, CrmOpenLead, Decision, Lead
from storage.salesforce import try_advisory_lock
from tests.salesforce.harness import RECORDS, make_client, salesforce_settings, sf
from tests.salesforce_emulator import SalesforceEmulator

__all__ = ["sf"]

MATCH_CONFIG = """
timezone: UTC
admins: [maria]
reps:
  - {id: alice, name: Alice Chen, email: alice@example.com}
  - {id: bob, name: Bob Diaz, email: bob@example.com}
  - {id: carol, name: Carol Wu, email: carol@example.com}
  - {id: maria, name: Maria Gomez, email: maria@example.com}
pools:
  sdr: {strategy: round_robin, members: [carol], manager: maria}
queues:
  triage: {channel: "#inbound-triage", members: [alice, bob]}
rules:
  - {name: Existing customer, when: {account.matched: true}, assign: [account_owner, {pool: sdr}]}
  - {name: Already in CRM, when: {duplicate.matched: true}, assign: existing_owner}
  - {name: Catch-all, assign: {queue: triage}}
"""


@pytest.fixture
def rt(db: Database, sf: SalesforceEmulator) -> Iterator[Runtime]:
    settings = Settings(
        database_url=db.url,
        slack_bot_token="xoxb-unused",
        slack_api_url="http://127.0.0.1:9/api/",
        **salesforce_settings(sf),
    )
    yield build_runtime(settings, config=ConfigStore(text=MATCH_CONFIG), db=db)


def _csv_count(name: str) -> int:
    with (RECORDS / f"{name}.csv").open(encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def _user(sf: SalesforceEmulator, email: str) -> str:
    return next(r["Id"] for r in sf.org.all("User") if r.get("Email") == email)


def _decision(rt: Runtime, public_id: str) -> tuple[Lead, Decision]:
    with rt.db.session() as s:
        lead = s.scalars(select(Lead).where(Lead.id == int(public_id[2:]) - 1000)).one()
        decision = s.scalars(select(Decision).where(Decision.lead_id == lead.id)).one()
        s.expunge_all()
        return lead, decision


def test_full_sync_loads_the_org(rt: Runtime, sf: SalesforceEmulator) -> None:
    report = sync_all(rt, make_client(sf))
    assert report.ran
    with rt.db.session() as s:
        got = counts(s)
    assert got["Account"] == _csv_count("Account") > 0
    assert got["Contact"] == _csv_count("Contact") > 0
    open_leads = sum(1 for r in sf.org.all("Lead") if not r.get("IsConverted"))
    assert got["Lead"] == open_leads > 0
    assert {o.sobject: o.full for o in report.objects} == {
        "Account": True,
        "Contact": True,
        "Lead": True,
    }
    # The first sync reads open leads only; converted ones are not dedupe candidates.
    lead_query = next(c for c in sf.calls_of("query") if "FROM Lead" in str(c.query))
    assert "IsConverted = false" in str(lead_query.query)


def test_incremental_sync_sees_changes_and_conversions(rt: Runtime, sf: SalesforceEmulator) -> None:
    client = make_client(sf)
    sync_all(rt, client)
    with rt.db.session() as s:
        before = generation(s)
    account = sf.insert("Account", {"Name": "Globex GmbH", "Website": "https://globex.de"})
    sf.update("Account", account["Id"], {"Name": "Globex Europe GmbH"})
    contact = sf.insert(
        "Contact", {"LastName": "Klein", "Email": "Ada.Klein@Globex.de", "AccountId": account["Id"]}
    )
    lead = sf.insert_lead(LastName="Soon Converted", Company="Initech", Email="s@initech.com")
    sync_all(rt, client)
    with rt.db.session() as s:
        assert s.get(CrmOpenLead, lead["Id"]) is not None
    sf.convert(lead["Id"])
    sf.clear_calls()

    report = sync_all(rt, client)

    assert not any(o.full for o in report.objects)
    queries = [str(c.query) for c in sf.calls_of("query")]
    assert all("SystemModstamp >=" in q for q in queries), queries
    with rt.db.session() as s:
        assert s.get(CrmAccount, account["Id"]).name == "Globex Europe GmbH"
        assert s.get(CrmContact, contact["Id"]).email == "ada.klein@globex.de"
        assert s.get(CrmOpenLead, lead["Id"]) is None  # converted: gone from dedupe
        assert generation(s) > before


def test_full_resync_drops_what_salesforce_no_longer_has(
    rt: Runtime, sf: SalesforceEmulator
) -> None:
    client = make_client(sf)
    doomed = sf.insert("Account", {"Name": "Doomed Corp", "Website": "doomed.example"})
    sync_all(rt, client)
    sf.delete("Account", doomed["Id"])
    sync_all(rt, client)  # incremental: a deleted record is not returned by a query
    with rt.db.session() as s:
        assert s.get(CrmAccount, doomed["Id"]) is not None
    report = sync_all(rt, client, full=True)
    with rt.db.session() as s:
        assert s.get(CrmAccount, doomed["Id"]) is None
    assert next(o for o in report.objects if o.sobject == "Account").removed == 1


def test_a_failed_page_loses_nothing_and_the_next_sync_resumes(
    rt: Runtime, sf: SalesforceEmulator
) -> None:
    sf.rest.batch_size = 5
    client = make_client(sf)
    sf.fail_next("queryMore", "SERVER_UNAVAILABLE", times=10)
    with pytest.raises(SalesforceProblem):
        sync_object(rt, client, SPECS[0])
    with rt.db.session() as s:
        partial = counts(s)["Account"]
    assert 0 < partial < _csv_count("Account")  # the first page is stored
    sf.faults.clear()
    sf.clear_calls()
    sync_all(rt, client)
    # It resumed from the stored page's mark instead of starting over.
    account_query = next(c for c in sf.calls_of("query") if "FROM Account" in str(c.query))
    assert "SystemModstamp >=" in str(account_query.query)
    with rt.db.session() as s:
        assert counts(s)["Account"] == _csv_count("Account")


def test_one_replica_syncs_at_a_time(rt: Runtime, sf: SalesforceEmulator) -> None:
    if rt.db.is_sqlite:
        pytest.skip("one process by construction on SQLite")
    with try_advisory_lock(rt.db, SYNC_LOCK) as ours:
        assert ours
        report = sync_all(rt, make_client(sf))
    assert not report.ran and "another replica" in report.reason


def test_live_leads_match_accounts_and_duplicates(rt: Runtime, sf: SalesforceEmulator) -> None:
    alice, bob = _user(sf, "alice@example.com"), _user(sf, "bob@example.com")
    account = sf.insert(
        "Account",
        {
            "Name": "Umbrella Corporation",
            "Website": "https://www.umbrella-corp.com",
            "OwnerId": alice,
        },
    )
    sf.insert("Contact", {"LastName": "Wesker", "Email": "a.wesker@umbrella-corp.com",
                          "AccountId": account["Id"], "OwnerId": alice})  # fmt: skip
    open_lead = sf.insert_lead(
        LastName="Dup", FirstName="Dana", Email="dana@freelance.example", OwnerId=bob
    )
    sync_all(rt, make_client(sf))

    by_domain = ingest_lead(
        rt, raw={"email": "jill@umbrella-corp.com", "company": "Umbrella", "country": "US"},
        source="webhook",
    )  # fmt: skip
    lead, decision = _decision(rt, by_domain.public_id)
    assert lead.fields["account.matched"] is True
    assert lead.fields["account.id"] == account["Id"]
    assert lead.fields["account.owner"] == "alice"
    assert any("email_domain" in line for line in lead.fields["match_trace"]), lead.fields[
        "match_trace"
    ]
    assert (decision.rule, decision.target, decision.assignee) == (
        "Existing customer",
        "account_owner",
        "alice",
    )

    duplicate = ingest_lead(
        rt, raw={"email": "DANA@freelance.example", "last_name": "Dup"}, source="webhook"
    )
    lead, decision = _decision(rt, duplicate.public_id)
    assert lead.fields["duplicate.matched"] is True
    assert lead.fields["duplicate.id"] == open_lead["Id"]
    assert (decision.rule, decision.assignee) == ("Already in CRM", "bob")

    free_mail = ingest_lead(
        rt, raw={"email": "someone@gmail.com", "company": "Nobody Ltd"}, source="webhook"
    )
    lead, decision = _decision(rt, free_mail.public_id)
    assert lead.fields["account.matched"] is False
    assert lead.fields["duplicate.matched"] is False
    assert decision.rule == "Catch-all"


def test_a_salesforce_lead_is_not_its_own_duplicate(rt: Runtime, sf: SalesforceEmulator) -> None:
    record = sf.insert_lead(LastName="Solo", Email="solo@nowhere.example", Company="Nowhere")
    sync_all(rt, make_client(sf))
    ingested = ingest_lead(
        rt,
        raw={"email": "solo@nowhere.example", "company": "Nowhere"},
        source="salesforce",
        salesforce_id=record["Id"],
    )
    lead, decision = _decision(rt, ingested.public_id)
    assert lead.fields["duplicate.matched"] is False
    assert decision.rule == "Catch-all"


def test_an_unmapped_owner_falls_through_to_the_next_target(
    rt: Runtime, sf: SalesforceEmulator
) -> None:
    former = _user(sf, "former@example.com")
    sf.insert("Account", {"Name": "Acme Rockets", "Website": "acme-rockets.com",
                          "OwnerId": former})  # fmt: skip
    sync_all(rt, make_client(sf))
    ingested = ingest_lead(rt, raw={"email": "wile@acme-rockets.com"}, source="webhook")
    lead, decision = _decision(rt, ingested.public_id)
    assert lead.fields["account.matched"] is True and "account.owner" not in lead.fields
    assert (decision.rule, decision.target, decision.assignee) == (
        "Existing customer",
        "pool",
        "carol",
    )


def test_without_crm_data_no_match_fields_are_claimed(db: Database) -> None:
    settings = Settings(database_url=db.url, slack_bot_token="xoxb-unused",
                        slack_api_url="http://127.0.0.1:9/api/")  # fmt: skip
    rt = build_runtime(settings, config=ConfigStore(text=MATCH_CONFIG), db=db)
    ingested = ingest_lead(rt, raw={"email": "x@umbrella-corp.com"}, source="webhook")
    lead, decision = _decision(rt, ingested.public_id)
    assert "account.matched" not in lead.fields and "duplicate.matched" not in lead.fields
    assert decision.rule == "Catch-all"


def test_a_change_is_picked_up_by_a_background_rebuild(db: Database) -> None:
    from storage.crm import apply_records

    settings = Settings(database_url=db.url, slack_bot_token="xoxb-unused",
                        slack_api_url="http://127.0.0.1:9/api/")  # fmt: skip
    rt = build_runtime(settings, config=ConfigStore(text=MATCH_CONFIG), db=db)

    def load(name: str, site: str) -> None:
        with rt.db.session() as s:
            apply_records(s, "Account", [{"Id": f"001{name:0>15}", "Name": name, "Website": site,
                                          "OwnerId": "bob@example.com"}],
                          now=rt.clock.now(), source="csv")  # fmt: skip

    load("First", "first-co.com")
    first = ingest_lead(rt, raw={"email": "a@first-co.com"}, source="webhook")
    load("Second", "second-co.com")
    # The lead right after the change is matched against the index it had (no wait)...
    stale = ingest_lead(rt, raw={"email": "b@second-co.com"}, source="webhook")
    rt.matcher.wait_refreshed()
    fresh = ingest_lead(rt, raw={"email": "c@second-co.com"}, source="webhook")
    assert _decision(rt, first.public_id)[1].assignee == "bob"
    assert _decision(rt, stale.public_id)[0].fields["account.matched"] is False
    assert _decision(rt, fresh.public_id)[1].assignee == "bob"


def test_full_resync_is_due_by_what_the_database_recorded(
    rt: Runtime, sf: SalesforceEmulator
) -> None:
    from datetime import timedelta

    from bot.salesforce.sync import full_resync_due

    day = timedelta(days=1)
    assert full_resync_due(rt, day)  # never synced
    sync_all(rt, make_client(sf))
    assert not full_resync_due(rt, day)  # a restarted process does not force another
    sync_all(rt, make_client(sf))  # incremental: keeps the last full time
    assert not full_resync_due(rt, day)
    assert full_resync_due(rt, timedelta(seconds=0))

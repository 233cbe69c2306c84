"""Relationship paths in ``salesforce.fields`` (record types, cross-object fields imported
rules read): the poller selects them and ingest copies their values into lead fields, so an
imported rule on ``RecordType.Name`` or ``Country__r.Name`` routes on live leads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.config_store import ConfigStore
from bot.runtime import Runtime, build_runtime
from bot.salesforce.poller import poll_leads
from bot.settings import Settings
from storage.db import Database
from storage.models import Decision, Lead
from tests.salesforce.harness import CONFIG, salesforce_settings, sf
from tests.salesforce_emulator import SalesforceEmulator

__all__ = ["sf"]

RELATIONSHIP_CONFIG = (
    CONFIG.replace(
        "rules:\n",
        "rules:\n"
        "  - name: Partner record type\n"
        "    when: {as_written: {record_type: Partner Lead, owner_profile: Inbound Queue}}\n"
        "    assign: keep_owner\n"
        "  - name: German leads\n"
        "    when: {as_written: {country_name: Germany}}\n"
        "    assign: keep_owner\n",
        1,
    )
    + """
salesforce:
  poll_interval: 1s
  fields: {RecordType.Name: record_type, Country__r.Name: country_name,
           Owner.Profile.Name: owner_profile}
"""
)


@pytest.fixture
def rt(db: Database, sf: SalesforceEmulator) -> Iterator[Runtime]:
    settings = Settings(
        database_url=db.url,
        slack_bot_token="xoxb-unused",
        slack_api_url="http://127.0.0.1:9/api/",
        **salesforce_settings(sf),
    )
    yield build_runtime(settings, config=ConfigStore(text=RELATIONSHIP_CONFIG), db=db)


def test_the_poller_reads_relationship_paths(rt: Runtime, sf: SalesforceEmulator) -> None:
    partner = sf.insert("RecordType", {"Name": "Partner Lead", "SobjectType": "Lead"})
    germany = sf.insert("Country__c", {"Name": "Germany"})
    by_type = sf.insert_lead(LastName="Typed", Company="Acme", RecordTypeId=partner["Id"])
    by_country = sf.insert_lead(LastName="German", Company="Acme", Country__c=germany["Id"])
    plain = sf.insert_lead(LastName="Plain", Company="Acme", Country="US")

    result = poll_leads(rt)
    assert result.ran and result.created == 3
    soql = sf.calls_of("query")[-1].query["q"]
    assert "RecordType.Name" in soql and "Country__r.Name" in soql
    assert "Owner.Profile.Name" in soql
    with rt.db.session() as s:
        leads = {lead.salesforce_id: lead for lead in s.scalars(select(Lead))}
        assert leads[by_type["Id"]].fields["record_type"] == "Partner Lead"
        assert leads[by_country["Id"]].fields["country_name"] == "Germany"
        assert "record_type" not in leads[plain["Id"]].fields  # no record type: no value
        rules = {
            lead_id: rule
            for lead_id, rule in s.execute(select(Decision.lead_id, Decision.rule)).all()
        }
        assert rules[leads[by_country["Id"]].id] == "German leads"
        # The queue owner has no profile: the first rule does not hold.
        assert rules[leads[by_type["Id"]].id] != "Partner record type"
        assert leads[by_country["Id"]].state == "kept"

"""The emulator's SOQL subset and org behaviour."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.salesforce.ids import to_18
from tests.salesforce.harness import make_client, sf
from tests.salesforce_emulator import SalesforceEmulator
from tests.salesforce_emulator.soql import SoqlError, matches, parse
from tests.shared import needs_shared

__all__ = ["sf"]


def test_parse_the_poll_query() -> None:
    q = parse(
        "SELECT Id, Owner.Type FROM Lead WHERE (IsConverted = false AND Owner.Type = 'Queue') "
        "AND SystemModstamp >= 2024-01-22T20:36:47Z ORDER BY SystemModstamp, Id DESC LIMIT 10"
    )
    assert q.fields == ["Id", "Owner.Type"] and q.sobject == "Lead" and q.limit == 10
    assert q.order_by == [("SystemModstamp", False), ("Id", True)]
    record = {"IsConverted": False, "SystemModstamp": datetime(2024, 2, 1, tzinfo=UTC)}

    def resolve(r: dict[str, object], name: str) -> object:
        return "Queue" if name == "Owner.Type" else r.get(name)

    assert matches(q.where, record, resolve)
    assert not matches(q.where, {**record, "IsConverted": True}, resolve)


@pytest.mark.parametrize(
    ("where", "hit"),
    [
        ("Id IN ('a', 'b')", True),
        ("Id NOT IN ('a')", False),
        ("Email LIKE '%@ACME.io'", True),
        ("NOT Email = null", True),
        ("NumberOfEmployees > 100 OR Email = 'x'", True),
        ("NumberOfEmployees <= 99", False),
        ("Country != 'US'", False),
        ("CreatedDate < 2025-01-01", True),
    ],
)
def test_conditions(where: str, hit: bool) -> None:
    record = {
        "Id": "a",
        "Email": "j@acme.io",
        "NumberOfEmployees": 250,
        "Country": "us",
        "CreatedDate": datetime(2024, 5, 1, tzinfo=UTC),
    }
    assert matches(parse(f"SELECT Id FROM Lead WHERE {where}").where, record, dict.get) is hit


@pytest.mark.parametrize(
    "bad",
    ["SELECT FROM Lead", "SELECT Id FROM Lead WHERE", "SELECT Id FROM Lead LIMIT x", "DELETE Lead"],
)
def test_malformed_queries(bad: str) -> None:
    with pytest.raises(SoqlError):
        parse(bad)


def test_ids_get_their_checksum() -> None:
    assert to_18("001bm00001ZL8U9") == "001bm00001ZL8U9AAL"


@needs_shared
def test_records_from_the_shared_csvs(sf: SalesforceEmulator) -> None:
    client = make_client(sf)
    leads = client.query_all(
        "SELECT Id, Email, IsConverted FROM Lead WHERE Id IN ('00QEc00000BBaeXMAT')"
    )
    assert leads[0]["Email"] == "william.lee@example.com" and leads[0]["IsConverted"] is False
    accounts = client.query_all("SELECT Id, Name FROM Account LIMIT 3")
    assert len(accounts) == 3
    users = client.query_all("SELECT Id, Email, IsActive FROM User WHERE IsActive = false")
    assert [u["Email"] for u in users] == ["former@example.com"]


def test_writes_bump_system_modstamp_and_record_auto_assign(sf: SalesforceEmulator) -> None:
    lead = sf.insert_lead(LastName="Stamp", Company="Acme")
    client = make_client(sf)
    client.update("Lead", lead["Id"], {"Title": "CEO"}, {"Sforce-Auto-Assign": "FALSE"})
    after = sf.record("Lead", lead["Id"])
    assert after is not None and after["SystemModstamp"] > lead["SystemModstamp"]
    assert sf.patches[-1] == ("Lead", lead["Id"], {"Title": "CEO"}, "FALSE")
    assert client.get("Lead", lead["Id"])["Title"] == "CEO"

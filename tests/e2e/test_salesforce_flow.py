"""Salesforce end to end: emulator -> poller/webhook -> Slack card -> accept -> OwnerId PATCH."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from bot.actions import ActionId
from storage.db import Database
from storage.models import Event, OutboxItem, SalesforceUser
from tests.e2e.harness import Stack
from tests.salesforce.harness import SF_CONFIG, salesforce_stack, sf
from tests.salesforce.harness import wait_until as _wait
from tests.salesforce_emulator import SalesforceEmulator

__all__ = ["sf"]


def _accept(stack: Stack, user: str = "U_ALICE") -> dict[str, Any]:
    card = stack.wait_for_card(user, timeout=15)
    click = stack.emu.click(user, card["channel"], card["ts"], ActionId.ACCEPT)
    assert click.status_code == 200
    return card


def _owner_patches(sf: SalesforceEmulator, lead_id: str) -> list[Any]:
    return [p for p in sf.patches if p[1] == lead_id and "OwnerId" in p[2]]


def _rows(stack: Stack, kind: str) -> list[OutboxItem]:
    with stack.rt.db.session() as s:
        return list(s.scalars(select(OutboxItem).where(OutboxItem.kind == kind)))


def _synced_users(stack: Stack) -> int:
    with stack.rt.db.session() as s:
        return len(list(s.scalars(select(SalesforceUser))))


def test_polled_lead_is_offered_accepted_and_owner_written_back_once(
    db: Database, sf: SalesforceEmulator
) -> None:
    record = sf.insert_lead(
        FirstName="Fox", LastName="Mulder", Company="FBI", Country="United States",
        Email="fox@fbi.example.org", Title="Special Agent",
    )  # fmt: skip
    alice = next(r["Id"] for r in sf.org.all("User") if r["Email"] == "alice@example.com")
    with salesforce_stack(db, sf) as stack:
        card = _accept(stack)
        assert "Fox Mulder" in card["text"]
        _wait(lambda: _owner_patches(sf, record["Id"]))
        _wait(lambda: sf.calls_of("create"))
        lead = stack.get_lead(record["Id"])
        assert lead["state"] == "accepted" and lead["assignee"] == "alice"
        assert lead["salesforce_id"] == record["Id"]
        time.sleep(1.5)  # more poll ticks: the lead is not routed or written again
        [(sobject, _, data, auto_assign)] = _owner_patches(sf, record["Id"])
        assert sobject == "Lead" and data == {"OwnerId": alice} and auto_assign == "FALSE"
        assert sf.record("Lead", record["Id"])["OwnerId"] == alice
        [task_call] = sf.calls_of("create")
        assert "/sobjects/Task" in task_call.path and record["Id"] in task_call.body
        assert len(stack.get_lead(record["Id"])["offers"]) == 1


def test_webhook_with_only_a_salesforce_id(db: Database, sf: SalesforceEmulator) -> None:
    record = sf.insert_lead(LastName="Scully", Company="FBI", Country="US", Email="d@fbi.org")
    # The poller looks for user-owned leads only: this lead arrives through the webhook.
    config = SF_CONFIG.replace("create_task: true", "create_task: false") + (
        "  where: \"IsConverted = false AND Owner.Type = 'User'\"\n"
    )
    with salesforce_stack(db, sf, config=config) as stack:
        response = stack.post_lead({"salesforce_id": record["Id"][:15]})
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "accepted"
        assert response.json()["salesforce"] == "fetched"
        again = stack.post_lead({"salesforce_id": record["Id"]})
        assert again.status_code == 200 and again.json()["id"] == response.json()["id"]
        _accept(stack)
        _wait(lambda: _owner_patches(sf, record["Id"]))
        assert len(_owner_patches(sf, record["Id"])) == 1
        assert not sf.calls_of("create")  # create_task: false

        gone = sf.insert_lead(LastName="Gone", Company="FBI")
        sf.delete("Lead", gone["Id"])
        refused = stack.post_lead({"salesforce_id": gone["Id"]})
        assert refused.status_code == 422
        assert refused.json()["fields"][0]["field"] == "salesforce_id"
        assert "deleted" in refused.json()["fields"][0]["message"]


def test_salesforce_down_during_write_back_writes_once_when_back(
    db: Database, sf: SalesforceEmulator
) -> None:
    record = sf.insert_lead(LastName="Down", Company="Acme", Country="US")
    with salesforce_stack(db, sf) as stack:
        stack.wait_for_card("U_ALICE", timeout=15)
        _wait(lambda: _synced_users(stack))  # the scheduler syncs users at start
        sf.unavailable = True
        _accept(stack)
        _wait(lambda: any(c.status == 503 for c in sf.calls_of("update")), timeout=30)
        [row] = _rows(stack, "salesforce.owner_update")
        assert row.status == "pending"
        sf.unavailable = False
        _wait(lambda: _rows(stack, "salesforce.owner_update")[0].status == "done", timeout=40)
        assert len(_owner_patches(sf, record["Id"])) == 1
        assert [c.status for c in sf.calls_of("update")][-1] == 204


def test_expired_session_is_renewed_in_password_mode(db: Database, sf: SalesforceEmulator) -> None:
    record = sf.insert_lead(LastName="Renew", Company="Acme", Country="US")
    with salesforce_stack(db, sf, mode="password") as stack:
        stack.wait_for_card("U_ALICE", timeout=15)
        sf.expire_sessions()
        _accept(stack)
        _wait(lambda: _owner_patches(sf, record["Id"]))
        assert stack.rt.salesforce is not None and stack.rt.salesforce.renewals >= 1
        assert len(sf.calls_of("login")) >= 2
        assert len(_owner_patches(sf, record["Id"])) == 1


def test_expired_session_id_tells_admins_and_waits(db: Database, sf: SalesforceEmulator) -> None:
    record = sf.insert_lead(LastName="Expired", Company="Acme", Country="US")
    with salesforce_stack(db, sf) as stack:
        stack.wait_for_card("U_ALICE", timeout=15)
        sf.expire_sessions()
        _accept(stack)
        dm = stack.emu.dm_channel_for("U_MARIA")
        alert = _wait(
            lambda: [m for m in stack.emu.messages(dm) if "SALESFORCE_SESSION_ID" in m["text"]]
        )
        assert len(alert) == 1
        [row] = _rows(stack, "salesforce.owner_update")
        assert row.status == "pending" and "SALESFORCE_SESSION_ID" in (row.last_error or "")
        assert not _owner_patches(sf, record["Id"])


def test_deleted_record_is_reported_not_retried(db: Database, sf: SalesforceEmulator) -> None:
    record = sf.insert_lead(LastName="Deleted", Company="Acme", Country="US")
    with salesforce_stack(db, sf) as stack:
        stack.wait_for_card("U_ALICE", timeout=15)
        sf.delete("Lead", record["Id"])
        _accept(stack)
        row = _wait(
            lambda: [r for r in _rows(stack, "salesforce.owner_update") if r.status == "dead"]
        )[0]
        assert "deleted" in (row.last_error or "")
        updates = len(sf.calls_of("update"))
        time.sleep(1.5)
        assert len(sf.calls_of("update")) == updates == 1
        with stack.rt.db.session() as s:
            kinds = [e.kind for e in s.scalars(select(Event).where(Event.lead_id == row.lead_id))]
        assert "delivery.failed" in kinds


def test_synced_account_routes_a_polled_lead_to_its_owner(
    db: Database, sf: SalesforceEmulator
) -> None:
    bob = next(r["Id"] for r in sf.org.all("User") if r["Email"] == "bob@example.com")
    account = sf.insert(
        "Account", {"Name": "Wayne Enterprises", "Website": "wayne-enterprises.com", "OwnerId": bob}
    )
    config = SF_CONFIG.replace(
        "rules:\n",
        "rules:\n  - {name: Existing customer, when: {account.matched: true}, "
        "assign: account_owner}\n",
    )
    with salesforce_stack(db, sf, config=config) as stack:
        # The sync job runs beside the poll job; wait for it before the lead lands.
        _wait(lambda: _synced_account(stack, account["Id"]))
        record = sf.insert_lead(
            LastName="Fox", Company="Wayne", Country="US", Email="lucius@wayne-enterprises.com"
        )
        card = _accept(stack, "U_BOB")
        assert "Existing customer" in str(card["blocks"])
        _wait(lambda: _owner_patches(sf, record["Id"]))  # accepted, then written back
        lead = stack.get_lead(record["Id"])
        assert lead["assignee"] == "bob"
        assert lead["decision"]["target"] == "account_owner"
        assert lead["fields"]["account.id"] == account["Id"]
        [(_, _, data, auto_assign)] = _owner_patches(sf, record["Id"])
        assert data == {"OwnerId": bob} and auto_assign == "FALSE"


def _synced_account(stack: Stack, account_id: str) -> bool:
    from storage.models import CrmAccount

    with stack.rt.db.session() as s:
        return s.get(CrmAccount, account_id) is not None

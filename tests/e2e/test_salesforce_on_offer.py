"""``owner_update: on_offer``: the Salesforce owner follows every new offer, whichever
path made it (issue 13): routing, an SLA reassignment, a manager's reassign, and a rep
who cannot be reached in Slack."""

from __future__ import annotations

from typing import Any

from bot.services import leads
from storage.db import Database
from storage.leads import find_lead
from tests.e2e.harness import CONFIG
from tests.salesforce.harness import salesforce_stack, sf
from tests.salesforce.harness import wait_until as _wait
from tests.salesforce_emulator import SalesforceEmulator

__all__ = ["sf"]

ON_OFFER = """
salesforce:
  poll_interval: 1s
  owner_update: on_offer
  create_task: false
"""
SLA = """
sla:
  - name: quick
    accept_within: 1s
    escalate: [{after: 0s, reassign: next}]
"""


def _owners(sf: SalesforceEmulator, lead_id: str) -> list[str]:
    return [p[2]["OwnerId"] for p in sf.patches if p[1] == lead_id and "OwnerId" in p[2]]


def _user(sf: SalesforceEmulator, rep: str) -> str:
    return next(r["Id"] for r in sf.org.all("User") if r["Email"] == f"{rep}@example.com")


def _lead(sf: SalesforceEmulator, name: str) -> dict[str, Any]:
    return sf.insert_lead(LastName=name, Company="Acme", Country="US", Email=f"{name}@acme.io")


def test_an_sla_reassignment_moves_the_owner(db: Database, sf: SalesforceEmulator) -> None:
    record = _lead(sf, "Late")
    with salesforce_stack(db, sf, config=CONFIG + ON_OFFER + SLA):
        alice, bob = _user(sf, "alice"), _user(sf, "bob")
        # Nobody accepts: alice's offer times out after 1 s and bob is offered the lead.
        _wait(lambda: _owners(sf, record["Id"])[:2] == [alice, bob])


def test_a_managers_reassign_moves_the_owner(db: Database, sf: SalesforceEmulator) -> None:
    record = _lead(sf, "Moved")
    with salesforce_stack(db, sf, config=CONFIG + ON_OFFER) as stack:
        alice, carol = _user(sf, "alice"), _user(sf, "carol")
        _wait(lambda: _owners(sf, record["Id"]) == [alice])
        lead_id = stack.get_lead(record["Id"])["id"]
        with stack.rt.db.session() as s:
            found = find_lead(s, lead_id)
            assert found is not None
            internal = found.id
        result = leads.reassign(stack.rt, internal, to_rep="carol", by="maria", reason=None)
        assert result.status == "reassigned"
        _wait(lambda: _owners(sf, record["Id"]) == [alice, carol])


def test_an_unreachable_rep_passes_the_owner_on(db: Database, sf: SalesforceEmulator) -> None:
    # alice has no Slack account: her card cannot be delivered, bob gets the lead.
    config = (CONFIG + ON_OFFER).replace("email: alice@example.com", "email: alice@nowhere.example")
    record = _lead(sf, "Unreachable")
    with salesforce_stack(db, sf, config=config) as stack:
        bob = _user(sf, "bob")
        stack.wait_for_card("U_BOB", timeout=15)
        _wait(lambda: bob in _owners(sf, record["Id"]))
        assert _owners(sf, record["Id"])[-1] == bob

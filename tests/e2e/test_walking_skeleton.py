"""A lead travels from POST /leads to an accepted Slack card, over real HTTP."""

from __future__ import annotations

import json
import time
from datetime import datetime

from bot.actions import ActionId
from slack_emulator.payloads import find_element
from storage.db import Database
from tests.e2e.harness import Stack, running_stack

US_LEAD = {
    "external_id": "form-1",
    "first_name": "Dana",
    "last_name": "Scully",
    "email": "dana@fbi.example.org",
    "company": "FBI",
    "title": "VP Investigations",
    "country": "United States",
}


def test_lead_is_offered_accepted_and_card_updated(stack: Stack) -> None:
    response = stack.post_lead(US_LEAD)
    assert response.status_code == 202, response.text
    lead_id = response.json()["id"]
    assert response.json()["status"] == "accepted"

    card = stack.wait_for_card("U_ALICE")
    assert "Dana Scully" in card["text"]
    actions = [
        el["action_id"]
        for block in card["blocks"]
        if block["type"] == "actions"
        for el in block["elements"]
    ]
    assert actions == [ActionId.ACCEPT, ActionId.DECLINE]

    click = stack.emu.click("U_ALICE", card["channel"], card["ts"], ActionId.ACCEPT)
    assert click.status_code == 200

    updated = stack.emu.wait_for(
        lambda: (m := stack.emu.message(card["channel"], card["ts"]))["updated"] and m
    )
    assert "Accepted by <@U_ALICE>" in str(updated["blocks"])
    assert not any(b["type"] == "actions" for b in updated["blocks"])

    lead = stack.get_lead(lead_id)
    assert lead["state"] == "accepted"
    assert lead["assignee"] == "alice"
    [offer] = lead["offers"]
    assert offer["rep"] == "alice" and offer["outcome"] == "accepted"
    offered = datetime.fromisoformat(offer["offered_at"])
    responded = datetime.fromisoformat(offer["responded_at"])
    assert offered <= responded
    assert lead["accepted_at"] == offer["responded_at"]
    assert lead["decision"]["rule"] == "US" and lead["decision"]["target"] == "pool"


def test_stranger_and_other_rep_cannot_accept(stack: Stack) -> None:
    lead_id = stack.post_lead(US_LEAD).json()["id"]
    card = stack.wait_for_card("U_ALICE")
    for user in ("U_STRANGER", "U_BOB"):
        response = stack.emu.click(user, card["channel"], card["ts"], ActionId.ACCEPT)
        assert response.status_code == 200
        ephemeral = stack.emu.wait_for(lambda u=user: stack.emu.ephemerals(u))
        assert "only they can act" in ephemeral[-1]["text"]
    lead = stack.get_lead(lead_id)
    assert lead["state"] == "offered" and lead["assignee"] is None
    assert lead["offers"][0]["outcome"] == "pending"
    assert stack.emu.message(card["channel"], card["ts"])["updated"] == 0


def test_double_click_accepts_once(stack: Stack) -> None:
    lead_id = stack.post_lead(US_LEAD).json()["id"]
    card = stack.wait_for_card("U_ALICE")
    # Both clicks land on the card as first shown (Slack sends the same button twice);
    # the first one's card update may already be in by the time the second is sent.
    block_id, button = find_element(card["blocks"], ActionId.ACCEPT, None) or (None, {})
    assert button, card["blocks"]
    for _ in range(2):
        stack.emu.click(
            "U_ALICE",
            card["channel"],
            card["ts"],
            ActionId.ACCEPT,
            value=button["value"],
            block_id=block_id,
        )
    stack.emu.wait_for(lambda: stack.emu.ephemerals("U_ALICE"))
    assert "already accepted" in stack.emu.ephemerals("U_ALICE")[-1]["text"]
    lead = stack.get_lead(lead_id)
    assert [o["outcome"] for o in lead["offers"]] == ["accepted"]
    stack.emu.wait_for(lambda: stack.emu.calls("chat.update"))
    stack.bot.worker.drain()  # anything still queued would run now
    assert len(stack.emu.calls("chat.update")) == 1


def decline_with_reason(stack: Stack, user: str, card: dict, reason: str, note: str = "") -> None:
    stack.emu.click(user, card["channel"], card["ts"], ActionId.DECLINE)
    modal = stack.emu.wait_for(
        lambda: [v for v in stack.emu.views(user) if v["type"] == "modal" and not v["closed"]]
    )[-1]
    assert modal["callback_id"] == "decline_reason"
    values = {"reason": {"reason_choice": reason}}
    if note:
        values["note"] = {"note_text": note}
    response = stack.emu.submit_view(user, modal["id"], values)
    assert response.status_code == 200


def test_decline_reoffers_to_the_other_rep(stack: Stack) -> None:
    lead_id = stack.post_lead(US_LEAD).json()["id"]
    card = stack.wait_for_card("U_ALICE")
    decline_with_reason(stack, "U_ALICE", card, "Not my territory", "they are in Canada")
    bob_card = stack.wait_for_card("U_BOB")
    assert "Dana Scully" in bob_card["text"]
    declined = stack.emu.wait_for(
        lambda: (m := stack.emu.message(card["channel"], card["ts"]))["updated"] and m
    )
    assert "Declined by <@U_ALICE>: Not my territory: they are in Canada" in str(declined["blocks"])
    lead = stack.get_lead(lead_id)
    assert [(o["rep"], o["outcome"], o["reason"]) for o in lead["offers"]] == [
        ("alice", "declined", "Not my territory: they are in Canada"),
        ("bob", "pending", None),
    ]


def test_decline_by_stranger_opens_no_modal(stack: Stack) -> None:
    stack.post_lead(US_LEAD)
    card = stack.wait_for_card("U_ALICE")
    stack.emu.click("U_BOB", card["channel"], card["ts"], ActionId.DECLINE)
    told = stack.emu.wait_for(lambda: stack.emu.ephemerals("U_BOB"))
    assert "only they can act" in told[-1]["text"]
    assert stack.emu.calls("views.open") == []


def test_same_external_id_routes_once(stack: Stack) -> None:
    first = stack.post_lead(US_LEAD)
    second = stack.post_lead(US_LEAD)
    assert first.status_code == 202 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    stack.wait_for_card("U_ALICE")
    lead = stack.get_lead(first.json()["id"])
    assert len(lead["offers"]) == 1 and lead["decisions"] == 1
    assert len(stack.emu.calls("chat.postMessage")) == 1


def test_idempotency_key_header(stack: Stack) -> None:
    body = {k: v for k, v in US_LEAD.items() if k != "external_id"}
    first = stack.post_lead(body, **{"Idempotency-Key": "abc-123"})
    second = stack.post_lead(body, **{"Idempotency-Key": "abc-123"})
    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json()["id"] == second.json()["id"]


def test_bad_bodies_are_rejected_and_nothing_stored(stack: Stack) -> None:
    auth = {"Authorization": "Bearer test-webhook-token", "Content-Type": "application/json"}
    not_json = stack.http.post("/leads", content=b"{nope", headers=auth)
    assert not_json.status_code == 400
    not_object = stack.post_lead([1, 2])
    assert not_object.status_code == 400
    bad = stack.post_lead(
        {"email": "not-an-email", "employees": "lots", "nested": {"a": 1}, "country": "US"}
    )
    assert bad.status_code == 422
    named = {e["field"] for e in bad.json()["fields"]}
    assert {"email", "employees", "nested"} <= named
    nobody = stack.post_lead({"first_name": "Only"})
    assert nobody.status_code == 422
    unauthorized = stack.http.post("/leads", json=US_LEAD)
    assert unauthorized.status_code == 401
    wrong = stack.http.post("/leads", json=US_LEAD, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    with stack.rt.db.session() as session:
        from sqlalchemy import func, select

        from storage.models import Lead

        assert session.scalar(select(func.count()).select_from(Lead)) == 0


def test_bad_slack_signature_is_refused(stack: Stack) -> None:
    stack.post_lead(US_LEAD)
    card = stack.wait_for_card("U_ALICE")
    response = stack.emu.click(
        "U_ALICE", card["channel"], card["ts"], ActionId.ACCEPT, bad_signature=True
    )
    assert response.status_code == 401
    unsigned = stack.emu.click("U_ALICE", card["channel"], card["ts"], ActionId.ACCEPT, sign=False)
    assert unsigned.status_code == 401
    assert stack.emu.message(card["channel"], card["ts"])["updated"] == 0


def test_queue_claim_first_member_wins(stack: Stack) -> None:
    lead_id = stack.post_lead({**US_LEAD, "external_id": "de-1", "country": "Germany"}).json()["id"]
    card = stack.emu.wait_for(lambda: stack.emu.messages("C_TRIAGE"))[0]
    outsider = stack.emu.click("U_CAROL", card["channel"], card["ts"], ActionId.CLAIM)
    assert outsider.status_code == 200
    refusal = stack.emu.wait_for(lambda: stack.emu.ephemerals("U_CAROL"))
    assert "Only members" in refusal[-1]["text"]
    stack.emu.click("U_BOB", card["channel"], card["ts"], ActionId.CLAIM)
    stack.emu.wait_for(lambda: stack.get_lead(lead_id)["assignee"] == "bob")
    # Alice's Slack still shows the button she saw before Bob's claim updated the card.
    claim_value = json.dumps({"lead": int(lead_id.removeprefix("L-")) - 1000})
    stack.emu.click("U_ALICE", card["channel"], card["ts"], ActionId.CLAIM, value=claim_value)
    told = stack.emu.wait_for(lambda: stack.emu.ephemerals("U_ALICE"))
    assert "Already claimed by <@U_BOB>" in told[-1]["text"]
    updated = stack.emu.wait_for(
        lambda: (m := stack.emu.message(card["channel"], card["ts"]))["updated"] and m
    )
    assert "Claimed by <@U_BOB>" in str(updated["blocks"])


def test_health_and_readiness(stack: Stack) -> None:
    assert stack.http.get("/healthz").status_code == 200
    ready = stack.http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_metrics_count_what_happened(stack: Stack) -> None:
    stack.post_lead(US_LEAD)
    stack.post_lead(US_LEAD)
    stack.wait_for_card("U_ALICE")
    stack.emu.wait_for(
        lambda: 'kind="slack.offer_card",result="done"' in stack.http.get("/metrics").text
    )
    text = stack.http.get("/metrics").text
    assert 'leadrouter_leads_received_total{result="new",source="webhook"} 1.0' in text
    assert 'leadrouter_leads_received_total{result="duplicate",source="webhook"} 1.0' in text
    assert 'leadrouter_decisions_total{outcome="rep"} 1.0' in text
    assert "leadrouter_card_delivery_seconds_count 1.0" in text


def test_slash_status_and_why(stack: Stack) -> None:
    lead_id = stack.post_lead(US_LEAD).json()["id"]
    stack.wait_for_card("U_ALICE")
    response = stack.emu.slash("U_ALICE", "/leads", f"status {lead_id}")
    assert response.status_code == 200
    reply = stack.emu.wait_for(lambda: stack.emu.ephemerals("U_ALICE"))[-1]
    assert f"*{lead_id}*" in reply["text"] and "offered" in reply["text"]
    stack.emu.slash("U_ALICE", "/leads", f"why {lead_id}")
    reply = stack.emu.wait_for(
        lambda: len(stack.emu.ephemerals("U_ALICE")) >= 2 and stack.emu.ephemerals("U_ALICE")
    )[-1]
    assert "pool sdr" in reply["text"]
    stack.emu.slash("U_ALICE", "/leads", "status L-9999")
    reply = stack.emu.wait_for(
        lambda: len(stack.emu.ephemerals("U_ALICE")) >= 3 and stack.emu.ephemerals("U_ALICE")
    )[-1]
    assert "No lead `L-9999`" in reply["text"]


def test_a_stored_lead_wakes_the_worker_at_commit(db: Database) -> None:
    # The worker polls only every 30 s here: the card can only be this quick because the
    # transaction that stored the lead and its offer woke the worker when it committed.
    with running_stack(db, worker_interval=30) as stack:
        stack.emu.wait_for(lambda: stack.rt.directory.rep_for("U_ALICE"), timeout=5)
        started = time.monotonic()
        stack.post_lead(US_LEAD)
        stack.wait_for_card("U_ALICE", timeout=5)
        assert time.monotonic() - started < 3

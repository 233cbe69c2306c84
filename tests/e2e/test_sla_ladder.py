"""SLA ladders end to end with SLAs of seconds: remind, ping, reassign, open claim."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from bot.actions import ActionId
from storage.db import Database
from tests.e2e.harness import Stack, ask, running_stack

CONFIG = """
admins: [olga]
reps:
  - {id: alice, name: Alice, email: alice@example.com, manager: maria}
  - {id: bob, name: Bob, email: bob@example.com, manager: maria}
  - {id: carol, name: Carol, email: carol@example.com, manager: maria}
  - {id: maria, name: Maria, email: maria@example.com}
  - {id: olga, name: Olga, email: olga@example.com}
pools:
  sdr: {strategy: round_robin, members: [alice, bob, carol], manager: maria}
queues:
  triage: {channel: "#inbound-triage", members: [alice, bob]}
sla:
  - name: claim-fast
    when: {lead_source: Claim}
    accept_within: 1s
    escalate: [{after: 0s, open_claim: triage}]
  - name: bounded
    when: {lead_source: Bounded}
    accept_within: 1s
    max_reassignments: 1
    escalate: [{after: 0s, reassign: next}]
  - name: hot
    accept_within: 2s
    remind: [1s]
    escalate:
      - {after: 0s, notify: manager}
      - {after: 2s, reassign: next}
rules:
  - {name: All, assign: {pool: sdr}}
"""
USERS = {r: f"U_{r.upper()}" for r in ("alice", "bob", "carol", "maria", "olga")}
LEAD = {"email": "d@acme.example", "last_name": "D", "company": "Acme", "external_id": "s1"}


@pytest.fixture
def stack(db: Database) -> Iterator[Stack]:
    with running_stack(db, config=CONFIG, users=USERS) as s:
        yield s


def dm(stack: Stack, user: str) -> list[dict]:
    return stack.emu.messages(stack.emu.dm_channel_for(user))


def updated(stack: Stack, card: dict, needle: str, timeout: float = 6) -> dict:
    return stack.emu.wait_for(
        lambda: (
            needle in str((m := stack.emu.message(card["channel"], card["ts"]))["blocks"]) and m
        ),
        timeout=timeout,
    )


def test_reminder_ping_and_reassign_in_order(stack: Stack) -> None:
    lead_id = stack.post_lead(LEAD).json()["id"]
    card = stack.wait_for_card("U_ALICE")
    reminder = stack.emu.wait_for(
        lambda: [m for m in dm(stack, "U_ALICE") if m.get("thread_ts") == card["ts"]], timeout=4
    )[0]
    assert "Reminder" in reminder["text"] and lead_id in reminder["text"]
    ping = stack.emu.wait_for(lambda: [m for m in dm(stack, "U_MARIA") if lead_id in m["text"]])[0]
    assert "not accepted yet" in str(ping["blocks"])
    action_ids = {
        el["action_id"] for b in ping["blocks"] if b["type"] == "actions" for el in b["elements"]
    }
    assert action_ids == {
        ActionId.ESCALATION_REASSIGN,
        ActionId.ESCALATION_NUDGE,
        ActionId.ESCALATION_OPEN_CLAIM,
    }
    bob_card = stack.wait_for_card("U_BOB", timeout=6)
    assert lead_id in bob_card["text"]
    old = updated(stack, card, "Not accepted in time")
    assert not any(b["type"] == "actions" for b in old["blocks"])
    offers = stack.get_lead(lead_id)["offers"]
    assert [(o["rep"], o["outcome"]) for o in offers[:2]] == [
        ("alice", "timed_out"),
        ("bob", offers[1]["outcome"]),
    ]
    assert offers[0]["deadline"] is not None and offers[1]["deadline"] > offers[0]["deadline"]
    # the ladder's steps are in the stats (bob's own ladder may have begun meanwhile)
    reply = ask(stack, "U_OLGA", "stats 1d")
    sla = re.search(r"SLA: (\d+) breach(?:es)? \((\d+) of 1 lead\), (\d+) escalation steps?, "
                    r"(\d+) reminders?", reply)  # fmt: skip
    assert sla is not None, reply
    breaches, breached, steps, reminders = map(int, sla.groups())
    assert breaches >= 1 and breached == 1 and steps >= 2 and reminders >= 1
    assert "Time to first offer: p50" in reply


def test_ladder_stops_on_accept(stack: Stack) -> None:
    lead_id = stack.post_lead(LEAD).json()["id"]
    card = stack.wait_for_card("U_ALICE")
    stack.emu.click("U_ALICE", card["channel"], card["ts"], ActionId.ACCEPT)
    stack.emu.wait_for(lambda: stack.get_lead(lead_id)["state"] == "accepted")
    time.sleep(3.5)  # past the deadline and every step of the ladder
    assert [m for m in dm(stack, "U_MARIA") if lead_id in m["text"]] == []
    assert [m for m in dm(stack, "U_ALICE") if m.get("thread_ts")] == []
    assert dm(stack, "U_BOB") == []
    lead = stack.get_lead(lead_id)
    assert [(o["rep"], o["outcome"]) for o in lead["offers"]] == [("alice", "accepted")]


def test_open_claim_step(stack: Stack) -> None:
    lead_id = stack.post_lead({**LEAD, "lead_source": "Claim"}).json()["id"]
    card = stack.wait_for_card("U_ALICE")
    queue_card = stack.emu.wait_for(lambda: stack.emu.messages("C_TRIAGE"), timeout=5)[0]
    assert lead_id in queue_card["text"]
    updated(stack, card, "Opened for claim in triage")
    assert stack.get_lead(lead_id)["state"] == "queued"
    stack.emu.click("U_BOB", queue_card["channel"], queue_card["ts"], ActionId.CLAIM)
    stack.emu.wait_for(lambda: stack.get_lead(lead_id)["assignee"] == "bob")


def test_reassignment_bound_then_open_claim_and_admins_told(stack: Stack) -> None:
    lead_id = stack.post_lead({**LEAD, "lead_source": "Bounded"}).json()["id"]
    stack.wait_for_card("U_ALICE")
    stack.wait_for_card("U_BOB", timeout=5)  # one reassignment allowed
    queue_card = stack.emu.wait_for(lambda: stack.emu.messages("C_TRIAGE"), timeout=6)[0]
    assert lead_id in queue_card["text"]
    lead = stack.get_lead(lead_id)
    assert lead["state"] == "queued"
    assert [(o["rep"], o["outcome"]) for o in lead["offers"]] == [
        ("alice", "timed_out"),
        ("bob", "timed_out"),
    ]
    assert "reassignment limit (1) reached" in lead["offers"][1]["reason"]
    alert = stack.emu.wait_for(lambda: [m for m in dm(stack, "U_OLGA") if lead_id in m["text"]])
    assert "opened for claim in triage" in alert[0]["text"]
    assert dm(stack, "U_CAROL") == []


def test_manager_reassigns_from_the_ping(stack: Stack) -> None:
    lead_id = stack.post_lead(LEAD).json()["id"]
    card = stack.wait_for_card("U_ALICE")
    ping = stack.emu.wait_for(lambda: [m for m in dm(stack, "U_MARIA") if lead_id in m["text"]])[0]
    # bob is not alice's manager: refused
    stack.emu.select("U_BOB", ping["channel"], ping["ts"], ActionId.ESCALATION_REASSIGN, "carol")
    refusal = stack.emu.wait_for(lambda: stack.emu.ephemerals("U_BOB"))[-1]
    assert "managers and admins" in refusal["text"]
    stack.emu.select("U_MARIA", ping["channel"], ping["ts"], ActionId.ESCALATION_REASSIGN, "carol")
    stack.wait_for_card("U_CAROL")
    updated(stack, card, "reassigned by maria")
    done = stack.emu.wait_for(
        lambda: "Reassigned to carol" in str(stack.emu.message(ping["channel"], ping["ts"]))
    )
    assert done
    time.sleep(1.5)  # alice's ladder was cancelled: no reassignment to bob follows
    assert dm(stack, "U_BOB") == []
    lead = stack.get_lead(lead_id)
    assert [(o["rep"], o["outcome"]) for o in lead["offers"]] == [
        ("alice", "revoked"),
        ("carol", "pending"),
    ]


def test_nudge_from_the_ping(stack: Stack) -> None:
    lead_id = stack.post_lead(LEAD).json()["id"]
    card = stack.wait_for_card("U_ALICE")
    ping = stack.emu.wait_for(lambda: [m for m in dm(stack, "U_MARIA") if lead_id in m["text"]])[0]
    before = len([m for m in dm(stack, "U_ALICE") if m.get("thread_ts") == card["ts"]])
    stack.emu.click("U_MARIA", ping["channel"], ping["ts"], ActionId.ESCALATION_NUDGE)
    stack.emu.wait_for(
        lambda: len([m for m in dm(stack, "U_ALICE") if m.get("thread_ts") == card["ts"]]) > before
    )


def test_reminder_is_not_repeated_after_a_crash_before_commit(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker dies after Slack took the reminder and before the outbox row was marked."""
    from storage import outbox

    real_complete = outbox.complete
    crashed: list[int] = []

    def complete_once(session, item_id, **kwargs):  # type: ignore[no-untyped-def]
        row = session.get(outbox.OutboxItem, item_id)
        if row is not None and row.kind == "slack.remind" and not crashed:
            crashed.append(item_id)
            raise RuntimeError("simulated crash before commit")
        return real_complete(session, item_id, **kwargs)

    monkeypatch.setattr(outbox, "complete", complete_once)
    lead_id = stack.post_lead(LEAD).json()["id"]
    card = stack.wait_for_card("U_ALICE")

    def reminders() -> list[dict]:
        return [m for m in dm(stack, "U_ALICE") if m.get("thread_ts") == card["ts"]]

    stack.emu.wait_for(reminders, timeout=4)
    stack.emu.wait_for(lambda: crashed)
    # The dead worker's lease on the row runs out (fast-forwarded here from 30 s).
    from sqlalchemy import update

    with stack.rt.db.session() as session:
        session.execute(
            update(outbox.OutboxItem)
            .where(outbox.OutboxItem.id == crashed[0])
            .values(locked_until=stack.rt.clock.now())
        )
    stack.rt.wake_outbox()

    def recovered() -> bool:
        with stack.rt.db.session() as session:
            from sqlalchemy import select

            row = session.scalars(
                select(outbox.OutboxItem).where(outbox.OutboxItem.kind == "slack.remind")
            ).one()
            return row.status == "done" and bool((row.result or {}).get("recovered"))

    stack.emu.wait_for(recovered, timeout=8)
    assert len(reminders()) == 1
    assert stack.get_lead(lead_id)["state"] == "offered"

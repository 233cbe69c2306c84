"""A web-form lead whose every text is hostile, through the running bot: every message,
update, view and reply that reaches the Slack emulator is inert (no channel ping, no
spoofed link, no mention the bot did not make), and the rep still reads the text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.actions import ActionId
from storage.db import Database
from tests.e2e.harness import Stack, ask, running_stack
from tests.security.inert import problems

CONFIG = """
admins: [olga]
reps:
  - {id: alice, name: Alice, email: alice@example.com, manager: maria}
  - {id: bob, name: Bob, email: bob@example.com, manager: maria}
  - {id: maria, name: Maria, email: maria@example.com}
  - {id: olga, name: Olga, email: olga@example.com}
pools:
  sdr: {strategy: round_robin, members: [alice, bob], manager: maria}
queues:
  triage: {channel: "#inbound-triage", members: [alice, bob]}
decline_reasons: ["Not my territory"]
sla:
  - name: hot
    accept_within: 2s
    remind: [1s]
    escalate: [{after: 0s, notify: manager}]
rules:
  - {name: US, when: {country: US}, assign: {pool: sdr}}
  - {name: Germany, when: {country: DE}, assign: {queue: triage}}
"""
USERS = {r: f"U_{r.upper()}" for r in ("alice", "bob", "maria", "olga")}
EVIL = "<!channel> <!here> <!subteam^S1> <@U123> <https://x|y> &<>"
TEXT_FIELDS = [
    "first_name",
    "last_name",
    "title",
    "company",
    "industry",
    "city",
    "state",
    "lead_source",
]


def lead(external_id: str, country: str) -> dict[str, Any]:
    return {
        **{k: EVIL for k in TEXT_FIELDS},
        "email": f"{external_id}@acme.example",
        "country": country,
        "external_id": external_id,
        "description": EVIL,
    }


@pytest.fixture
def stack(db: Database) -> Iterator[Stack]:
    with running_stack(db, config=CONFIG, users=USERS) as s:
        yield s


def sent_to_slack(stack: Stack) -> list[tuple[str, Any]]:
    """Every payload with text the bot sent: Web API calls and response_url replies."""
    out: list[tuple[str, Any]] = []
    for method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
        out += [(method, c.args) for c in stack.emu.calls(method)]
    for method in ("views.publish", "views.open", "views.update"):
        out += [(method, c.args.get("view")) for c in stack.emu.calls(method)]
    out += [("response_url", r) for r in stack.emu.responses()]
    return out


def test_every_message_from_a_hostile_lead_is_inert(stack: Stack) -> None:
    emu = stack.emu
    us_id = stack.post_lead(lead("h1", "US")).json()["id"]
    card = stack.wait_for_card("U_ALICE")
    # The reminder and the manager's ping fire (2 s SLA) while alice ignores the card.
    ping = emu.wait_for(
        lambda: [m for m in emu.messages(emu.dm_channel_for("U_MARIA")) if us_id in m["text"]],
        timeout=6,
    )[0]
    emu.click("U_MARIA", ping["channel"], ping["ts"], ActionId.ESCALATION_NUDGE)
    emu.wait_for(lambda: [r for r in emu.responses() if "Nudged" in str(r)])
    emu.click("U_ALICE", card["channel"], card["ts"], ActionId.DECLINE)
    modal = emu.wait_for(
        lambda: [v for v in emu.views("U_ALICE") if v["type"] == "modal" and not v["closed"]]
    )[-1]
    emu.submit_view(
        "U_ALICE",
        modal["id"],
        {"reason": {"reason_choice": "Not my territory"}, "note": {"note_text": EVIL}},
    )
    bob_card = stack.wait_for_card("U_BOB")
    emu.wait_for(lambda: emu.message(card["channel"], card["ts"])["updated"])
    emu.click("U_BOB", bob_card["channel"], bob_card["ts"], ActionId.ACCEPT)
    emu.wait_for(lambda: emu.message(bob_card["channel"], bob_card["ts"])["updated"])

    queued_id = stack.post_lead(lead("h2", "DE")).json()["id"]
    queue_card = emu.wait_for(lambda: emu.messages("C_TRIAGE"))[0]
    claim = next(
        el["value"]
        for b in queue_card["blocks"]
        if b["type"] == "actions"
        for el in b["elements"]
        if el["action_id"] == ActionId.CLAIM
    )
    emu.click("U_ALICE", "C_TRIAGE", queue_card["ts"], ActionId.CLAIM)
    emu.wait_for(lambda: emu.message("C_TRIAGE", queue_card["ts"])["updated"])
    # Too late (a stale card): told who has it.
    emu.click("U_BOB", "C_TRIAGE", queue_card["ts"], ActionId.CLAIM, value=claim)

    unrouted_id = stack.post_lead(lead("h3", "FR")).json()["id"]
    emu.wait_for(
        lambda: [m for m in emu.messages(emu.dm_channel_for("U_OLGA")) if unrouted_id in m["text"]]
    )
    for text in (
        "mine",
        "queue",
        f"status {us_id}",
        f"why {us_id}",
        f"status {queued_id}",
        f"why {unrouted_id}",
        f"status {EVIL}",
        f"reassign {us_id} {EVIL}",
        EVIL,
    ):
        ask(stack, "U_BOB", text)
    emu.app_home_opened("U_BOB")
    emu.app_home_opened("U_MARIA")
    emu.wait_for(lambda: emu.home_view("U_MARIA") and emu.home_view("U_BOB"))

    sent = sent_to_slack(stack)
    assert len(sent) >= 20
    found = [
        f"{method}: {p}"
        for method, payload in sent
        for p in problems(payload, users=set(USERS.values()))
    ]
    assert found == []
    # Inert, not dropped: the rep reads exactly what the lead typed.
    assert "&lt;!channel&gt;" in card["text"]
    assert "&lt;!channel&gt;" in str(emu.message(card["channel"], card["ts"])["blocks"])

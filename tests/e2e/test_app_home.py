"""App Home over real HTTP: published on open, actionable, refreshed, deduped."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from bot.actions import ActionId
from lifecycle.home import lead_audience, request_lead_home_refresh
from slack_emulator import SlackEmulator
from storage.db import Database
from storage.leads import find_lead
from storage.models import ProcessedRequest, RepPresence
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

# Carol manages the SDR pool (not an admin); Maria is the admin.
MANAGER_CONFIG = """
timezone: America/New_York
admins: [maria]
reps:
  - {id: alice, name: Alice Chen, email: alice@example.com}
  - {id: bob, name: Bob Diaz, email: bob@example.com}
  - {id: carol, name: Carol Wu, email: carol@example.com}
  - {id: maria, name: Maria Gomez, email: maria@example.com}
pools:
  sdr: {strategy: round_robin, members: [alice, bob], manager: carol}
queues:
  triage: {channel: "#inbound-triage", members: [sdr]}
rules:
  - {name: US, when: {country: US}, assign: {pool: sdr}}
  - {name: Germany, when: {country: DE}, assign: {queue: triage}}
"""


def lead(n: int, country: str = "United States", **extra: str) -> dict[str, Any]:
    return {
        "external_id": f"form-{n}",
        "first_name": "Lead",
        "last_name": f"Number{n}",
        "email": f"lead{n}@corp{n}.example.com",
        "company": f"Corp {n}",
        "country": country,
        **extra,
    }


def text_of(view: dict[str, Any] | None) -> str:
    return json.dumps(view["blocks"]) if view else ""


def offer_blocks(view: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not view:
        return []
    return [b for b in view["blocks"] if b["type"] == "actions"]


def publishes(emu: SlackEmulator, user: str) -> int:
    return sum(1 for c in emu.calls("views.publish") if c.args.get("user_id") == user)


def wait_home(
    stack: Stack, user: str, predicate: Callable[[dict[str, Any]], Any], timeout: float = 8
) -> dict[str, Any]:
    def ready() -> dict[str, Any] | None:
        view = stack.emu.home_view(user)
        return view if view is not None and predicate(view) else None

    found = stack.emu.wait_for(ready, timeout=timeout)
    assert found is not None
    return found


@pytest.fixture
def manager_stack(db: Database) -> Iterator[Stack]:
    with running_stack(db, config=MANAGER_CONFIG) as s:
        yield s


def test_rep_accepts_from_home_and_home_shows_it_accepted(stack: Stack) -> None:
    lead_id = stack.post_lead(US_LEAD).json()["id"]
    card = stack.wait_for_card("U_ALICE")
    response = stack.emu.app_home_opened("U_ALICE")
    assert response.status_code == 200

    home = wait_home(stack, "U_ALICE", lambda v: offer_blocks(v))
    [actions] = offer_blocks(home)
    assert actions["block_id"].startswith("home_offer:")
    assert [el["action_id"] for el in actions["elements"]] == [ActionId.ACCEPT, ActionId.DECLINE]
    assert lead_id in text_of(home) and "Dana Scully" in text_of(home)
    assert "Waiting for you (1)" in text_of(home)
    assert "Your team" not in text_of(home)  # Alice manages nobody

    click = stack.emu.click_home("U_ALICE", ActionId.ACCEPT, block_id=actions["block_id"])
    assert click.status_code == 200

    home = wait_home(
        stack, "U_ALICE", lambda v: not offer_blocks(v) and "Waiting for you (0)" in text_of(v)
    )
    accepted = text_of(home).split("Recently accepted", 1)[1]
    assert lead_id in accepted and "Dana Scully" in accepted
    assert stack.get_lead(lead_id)["assignee"] == "alice"
    # The card in the DM was updated too, by the same listener.
    updated = stack.emu.wait_for(
        lambda: (m := stack.emu.message(card["channel"], card["ts"]))["updated"] and m
    )
    assert "Accepted by <@U_ALICE>" in str(updated["blocks"])


def test_home_is_refreshed_when_a_lead_is_offered(stack: Stack) -> None:
    stack.emu.app_home_opened("U_BOB")
    wait_home(stack, "U_BOB", lambda v: "Nothing waiting" in text_of(v))
    stack.post_lead(US_LEAD)  # round robin: Alice first
    stack.wait_for_card("U_ALICE")
    stack.post_lead(lead(2))
    stack.wait_for_card("U_BOB")
    home = wait_home(stack, "U_BOB", lambda v: len(offer_blocks(v)) == 1)
    assert "Number2" in text_of(home)


def test_retried_app_home_opened_publishes_once(stack: Stack) -> None:
    first = stack.emu.app_home_opened("U_CAROL", event_id="EvHOME1")
    retry = stack.emu.app_home_opened("U_CAROL", event_id="EvHOME1", retry_num=1)
    assert (first.status_code, retry.status_code) == (200, 200)
    stack.emu.wait_for(lambda: publishes(stack.emu, "U_CAROL") >= 1)
    time.sleep(1.0)  # room for a wrong second publish to show up
    assert publishes(stack.emu, "U_CAROL") == 1
    with stack.rt.db.session() as session:
        assert session.get(ProcessedRequest, "slack-event:EvHOME1") is not None

    stack.emu.app_home_opened("U_CAROL", event_id="EvHOME2")  # a new opening: new event
    stack.emu.wait_for(lambda: publishes(stack.emu, "U_CAROL") == 2)


def test_messages_tab_and_strangers(stack: Stack) -> None:
    stack.emu.send_event({"type": "app_home_opened", "user": "U_CAROL", "tab": "messages"})
    stack.emu.app_home_opened("U_STRANGER")
    home = wait_home(stack, "U_STRANGER", lambda v: True)
    assert "not a rep" in text_of(home)
    assert publishes(stack.emu, "U_CAROL") == 0


def test_manager_home_shows_team_open_leads_away_and_speed(manager_stack: Stack) -> None:
    stack = manager_stack
    accepted_id = stack.post_lead(lead(1)).json()["id"]  # Alice
    card = stack.wait_for_card("U_ALICE")
    stack.emu.click("U_ALICE", card["channel"], card["ts"], ActionId.ACCEPT)
    stack.emu.wait_for(lambda: stack.get_lead(accepted_id)["state"] == "accepted")
    pending_id = stack.post_lead(lead(2)).json()["id"]  # Bob
    stack.wait_for_card("U_BOB")
    queued_id = stack.post_lead(lead(3, country="Germany")).json()["id"]
    assert stack.get_lead(queued_id)["state"] == "queued"
    now = stack.rt.clock.now()
    with stack.rt.db.session() as session:
        session.add(
            RepPresence(
                rep_id="bob",
                away_until=now + timedelta(hours=2),
                away_since=now,
                updated_at=now,
            )
        )

    stack.emu.app_home_opened("U_CAROL")
    home = wait_home(stack, "U_CAROL", lambda v: "Your team" in text_of(v))
    text = text_of(home)
    assert "Your team (2 reps)" in text
    assert "Speed to lead today* (America/New_York): median" in text
    assert "over 1 accepted lead." in text
    team = text.split("Your team", 1)[1]
    assert "Bob Diaz* until" in team  # away now
    assert pending_id in team and "offered to *Bob Diaz*" in team
    assert queued_id in team and "in *triage* for" in team
    assert accepted_id not in team  # accepted leads are not open
    assert "Waiting for you (0)" in text  # Carol's own offers: none

    # The admin sees everyone; Alice, a plain rep, sees no team section.
    stack.emu.app_home_opened("U_MARIA")
    admin = wait_home(stack, "U_MARIA", lambda v: "Everyone" in text_of(v))
    assert "Everyone (4 reps)" in text_of(admin) and pending_id in text_of(admin)
    stack.emu.app_home_opened("U_ALICE")
    alice = wait_home(stack, "U_ALICE", lambda v: accepted_id in text_of(v))
    assert "Your team" not in text_of(alice) and "Everyone" not in text_of(alice)


def test_lead_refresh_reaches_the_managers_of_a_queue(manager_stack: Stack) -> None:
    stack = manager_stack
    queued_id = stack.post_lead(lead(3, country="Germany")).json()["id"]
    with stack.rt.db.session() as session:
        found = find_lead(session, queued_id)
        assert found is not None
        audience = lead_audience(session, stack.rt.config.config, found.id)
        assert audience == {"carol", "maria"}  # the queue's pool manager and the admin
        request_lead_home_refresh(
            session, stack.rt.config.config, found.id, stack.rt.clock.now(), delay=timedelta(0)
        )
    stack.rt.wake_outbox()
    home = wait_home(stack, "U_CAROL", lambda v: queued_id in text_of(v))
    assert "in *triage* for" in text_of(home)


def test_second_accept_from_home_is_answered_in_the_dm(stack: Stack) -> None:
    """Home clicks have no response_url: the "already accepted" note goes to the DM."""
    lead_id = stack.post_lead(US_LEAD).json()["id"]
    card = stack.wait_for_card("U_ALICE")
    stack.emu.app_home_opened("U_ALICE")
    home = wait_home(stack, "U_ALICE", lambda v: offer_blocks(v))
    [actions] = offer_blocks(home)
    value = actions["elements"][0]["value"]
    stack.emu.click("U_ALICE", card["channel"], card["ts"], ActionId.ACCEPT)
    stack.emu.wait_for(lambda: stack.get_lead(lead_id)["state"] == "accepted")
    # Her Home still shows the button she saw before the refresh.
    stack.emu.click_home("U_ALICE", ActionId.ACCEPT, block_id=actions["block_id"], value=value)
    note = stack.emu.wait_for(
        lambda: [m for m in stack.emu.messages(card["channel"]) if "already accepted" in m["text"]]
    )
    assert note

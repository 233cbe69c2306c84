"""The card in every state, delivery to channels, and values cut to Block Kit limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.actions import ActionId
from storage.db import Database
from tests.e2e.harness import Stack, running_stack
from tests.e2e.test_walking_skeleton import US_LEAD

CONFIG = """
reps:
  - {id: alice, name: Alice, email: alice@example.com, timezone: America/Los_Angeles}
  - {id: bob, name: Bob, email: bob@example.com, delivery: channel, channel: "#bob-leads"}
  - {id: carol, name: Carol, email: carol@example.com}
pools:
  shared: {members: [alice, carol], channel: "#sdr-west", delivery: channel}
  solo: {members: [bob]}
rules:
  - {name: Shared, when: {lead_source: Shared}, assign: {pool: shared}}
  - {name: Bob, when: {lead_source: Bob}, assign: {pool: solo}}
  - {name: Alice, assign: {rep: alice}}
"""
USERS = {"alice": "U_ALICE", "bob": "U_BOB", "carol": "U_CAROL"}


@pytest.fixture
def stack(db: Database) -> Iterator[Stack]:
    with running_stack(db, config=CONFIG, users=USERS) as s:
        s.emu.add_channel(id="C_SDRWEST", name="sdr-west", members=["U_ALICE", "U_CAROL"])
        s.emu.add_channel(id="C_BOBLEADS", name="bob-leads", members=["U_BOB"])
        yield s


def test_pending_card_shows_who_what_where_and_when(stack: Stack) -> None:
    stack.post_lead({**US_LEAD, "state": "California", "employees": "1,200", "industry": "Gov"})
    card = stack.wait_for_card("U_ALICE")
    text = str(card["blocks"])
    for expected in (
        "Dana Scully",
        "VP Investigations",
        "FBI",
        "1200 employees",
        "Gov",
        "California",
        "their time",
        "Why you:",
        "Alice: direct to alice",
    ):
        assert expected in text, expected


def test_pool_channel_delivery_mentions_the_rep(stack: Stack) -> None:
    lead_id = stack.post_lead({**US_LEAD, "lead_source": "Shared"}).json()["id"]
    card = stack.emu.wait_for(lambda: stack.emu.messages("C_SDRWEST"))[0]
    assert "For <@U_ALICE>" in str(card["blocks"])
    stack.emu.click("U_CAROL", card["channel"], card["ts"], ActionId.ACCEPT)
    assert (
        "only they can act"
        in stack.emu.wait_for(lambda: stack.emu.ephemerals("U_CAROL"))[-1]["text"]
    )
    stack.emu.click("U_ALICE", card["channel"], card["ts"], ActionId.ACCEPT)
    updated = stack.emu.wait_for(
        lambda: (m := stack.emu.message(card["channel"], card["ts"]))["updated"] and m
    )
    assert "Accepted by <@U_ALICE>" in str(updated["blocks"])
    assert "For <@U_ALICE>" in str(updated["blocks"])
    assert stack.get_lead(lead_id)["assignee"] == "alice"


def test_rep_channel_delivery(stack: Stack) -> None:
    stack.post_lead({**US_LEAD, "lead_source": "Bob"})
    card = stack.emu.wait_for(lambda: stack.emu.messages("C_BOBLEADS"))[0]
    assert "For <@U_BOB>" in str(card["blocks"])


def test_long_values_are_cut_not_rejected(stack: Stack) -> None:
    huge = "x" * 5000
    lead_id = stack.post_lead(
        {**US_LEAD, "company": "Big " + huge[:250], "title": huge[:250], "description": huge}
    ).json()["id"]
    card = stack.wait_for_card("U_ALICE")
    assert lead_id in card["text"]
    posts = [c for c in stack.emu.calls("chat.postMessage") if c.response.get("ok")]
    assert posts, "the card was rejected by Block Kit validation"
    header = next(b for b in card["blocks"] if b["type"] == "header")
    assert len(header["text"]["text"]) <= 150

"""The SLA clock starts when the rep can see the offer.

Slack holds the card back (429 with a long ``Retry-After``, as under a burst) past the
reminder's time: the reminder comes the configured time after the card arrives, never
before it; the deadline and the manager ping move with it; the lead's record shows both
times, and speed to lead still counts from the lead's arrival. Both engines.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from storage.db import Database
from tests.e2e.harness import Stack, running_stack

CONFIG = """
reps:
  - {id: alice, name: Alice, email: alice@example.com, manager: maria}
  - {id: maria, name: Maria, email: maria@example.com}
pools:
  sdr: {strategy: round_robin, members: [alice], manager: maria}
sla:
  - name: hot
    accept_within: 4s
    remind: [2s]
    escalate:
      - {after: 0s, notify: manager}
rules:
  - {name: All, assign: {pool: sdr}}
"""
USERS = {"alice": "U_ALICE", "maria": "U_MARIA"}
LEAD = {"email": "d@acme.example", "last_name": "D", "company": "Acme", "external_id": "s1"}
HELD_S = 4  # the card is held back this long: past the reminder (2 s) and near the deadline


@pytest.fixture
def stack(db: Database) -> Iterator[Stack]:
    with running_stack(db, config=CONFIG, users=USERS) as s:
        yield s


def _arrival(stack: Stack, user: str, pick) -> tuple[float, dict]:
    found = stack.emu.wait_for(
        lambda: [m for m in stack.emu.messages(stack.emu.dm_channel_for(user)) if pick(m)],
        timeout=20,
    )
    return time.monotonic(), found[0]


def test_a_late_card_moves_the_whole_ladder(stack: Stack) -> None:
    stack.emu.fail_next("chat.postMessage", error="ratelimited", retry_after=HELD_S)
    posted = time.monotonic()
    lead_id = stack.post_lead(LEAD).json()["id"]
    card_at, card = _arrival(stack, "U_ALICE", lambda m: not m.get("thread_ts"))
    assert card_at - posted >= HELD_S - 0.5
    # No reminder or ping about a card nobody could see.
    assert [m for m in stack.emu.messages(stack.emu.dm_channel_for("U_ALICE"))] == [
        stack.emu.message(card["channel"], card["ts"])
    ]
    assert not stack.emu.messages(stack.emu.dm_channel_for("U_MARIA"))
    # The card says its clock started at delivery.
    assert "counts from delivery" in str(card["blocks"])

    remind_at, reminder = _arrival(stack, "U_ALICE", lambda m: m.get("thread_ts") == card["ts"])
    assert "Reminder" in reminder["text"]
    waited = remind_at - card_at
    assert 1.5 <= waited <= 3.5, f"reminder {waited:.2f} s after the card, not 2 s"
    ping_at, _ = _arrival(stack, "U_MARIA", lambda m: lead_id in m["text"])
    assert 3.5 <= ping_at - card_at <= 6, f"ping {ping_at - card_at:.2f} s after the card"

    lead = stack.get_lead(lead_id)
    [offer] = lead["offers"]
    offered = datetime.fromisoformat(offer["offered_at"])
    delivered = datetime.fromisoformat(offer["delivered_at"])
    deadline = datetime.fromisoformat(offer["deadline"])
    assert (delivered - offered).total_seconds() >= HELD_S - 0.5
    assert abs((deadline - delivered).total_seconds() - 4) < 0.5  # accept_within from delivery


def test_a_card_on_time_keeps_the_planned_ladder(stack: Stack) -> None:
    posted = time.monotonic()
    lead_id = stack.post_lead(LEAD).json()["id"]
    _, card = _arrival(stack, "U_ALICE", lambda m: not m.get("thread_ts"))
    assert "counts from delivery" not in str(card["blocks"])
    remind_at, _ = _arrival(stack, "U_ALICE", lambda m: m.get("thread_ts") == card["ts"])
    assert 1.5 <= remind_at - posted <= 3.5
    [offer] = stack.get_lead(lead_id)["offers"]
    offered = datetime.fromisoformat(offer["offered_at"])
    deadline = datetime.fromisoformat(offer["deadline"])
    assert abs((deadline - offered).total_seconds() - 4) < 0.01  # as planned
    assert offer["delivered_at"] is not None

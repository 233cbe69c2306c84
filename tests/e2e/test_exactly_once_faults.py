"""Every card exactly once against Slack as it really fails: the post was made, and then
Slack answered 500 or the connection dropped before its answer. The bot must not post
blindly again; its retry finds the earlier post by its metadata and adopts it. For DMs,
channel posts by id and by name, reminders and escalation pings, on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import OutboxItem
from tests.e2e.harness import CONFIG, Stack, running_stack
from tests.e2e.test_walking_skeleton import US_LEAD

DE_LEAD = {**US_LEAD, "country": "DE", "email": "hans@example.de", "external_id": "de-1"}
FAULTS: dict[str, dict[str, Any]] = {
    "500 after the post": {"status": 500, "after": True},
    "connection dropped after the post": {"after": True, "drop": True},
}
SLA_CONFIG = CONFIG.replace(
    "rules:",
    """sla:
  - name: fast
    accept_within: 3s
    remind: [1s]
    escalate:
      - {after: 0s, notify: manager}
rules:""",
).replace(
    "{id: alice, name: Alice Chen, email: alice@example.com}",
    "{id: alice, name: Alice Chen, email: alice@example.com, manager: maria}",
)


def _with_key(stack: Stack, channel: str, part: str) -> list[dict[str, Any]]:
    """The bot's messages in a channel whose outbox key contains ``part``."""
    return [
        m
        for m in stack.emu.messages(channel)
        if part in str(((m.get("metadata") or {}).get("event_payload") or {}).get("outbox_key"))
    ]


def _once(stack: Stack, channel: str, part: str, *, timeout: float = 10) -> dict[str, Any]:
    """Waits for the message, then for the outbox to settle; exactly one must exist."""
    found = stack.emu.wait_for(lambda: _with_key(stack, channel, part), timeout=timeout)
    failed = [c for c in stack.emu.calls("chat.postMessage") if c.status != 200]
    assert failed, "the fault never fired"
    # The retry that adopts the earlier post has happened once the row is done.
    stack.emu.wait_for(lambda: _outbox_done(stack, part), timeout=timeout)
    assert len(_with_key(stack, channel, part)) == 1, _with_key(stack, channel, part)
    return found[0]


def _outbox_done(stack: Stack, part: str) -> bool:
    with stack.rt.db.session() as session:
        rows = session.execute(
            select(OutboxItem.status, OutboxItem.attempts).where(OutboxItem.key.contains(part))
        ).all()
    return bool(rows) and all(status == "done" for status, _ in rows)


@pytest.fixture(params=sorted(FAULTS))
def fault(request: pytest.FixtureRequest) -> dict[str, Any]:
    return FAULTS[request.param]


@pytest.fixture
def sla_stack(db: Database) -> Iterator[Stack]:
    with running_stack(db, config=SLA_CONFIG) as s:
        yield s


def test_a_dm_card(stack: Stack, fault: dict[str, Any]) -> None:
    stack.emu.fail_next("chat.postMessage", **fault)
    stack.post_lead(US_LEAD)
    _once(stack, stack.emu.dm_channel_for("U_ALICE"), ":post")


def test_a_queue_card_to_a_channel_by_name(stack: Stack, fault: dict[str, Any]) -> None:
    stack.emu.fail_next("chat.postMessage", **fault)
    stack.post_lead(DE_LEAD)
    _once(stack, "C_TRIAGE", ":queue:")


def test_a_queue_card_to_a_channel_by_id(db: Database, fault: dict[str, Any]) -> None:
    config = CONFIG.replace('channel: "#inbound-triage"', "channel: C0SALES001")
    with running_stack(db, config=config) as stack:
        stack.emu.add_channel(id="C0SALES001", name="sales", members=["U_ALICE", "U_BOB"])
        stack.emu.fail_next("chat.postMessage", **fault)
        stack.post_lead(DE_LEAD)
        _once(stack, "C0SALES001", ":queue:")


def test_a_reminder(sla_stack: Stack, fault: dict[str, Any]) -> None:
    stack = sla_stack
    stack.post_lead(US_LEAD)
    stack.wait_for_card("U_ALICE")
    stack.emu.fail_next("chat.postMessage", **fault)  # the next post: the reminder
    _once(stack, stack.emu.dm_channel_for("U_ALICE"), ":remind")


def test_an_escalation_ping(sla_stack: Stack, fault: dict[str, Any]) -> None:
    stack = sla_stack
    dm = stack.emu.dm_channel_for("U_ALICE")
    stack.post_lead(US_LEAD)
    stack.wait_for_card("U_ALICE")
    stack.emu.wait_for(lambda: _with_key(stack, dm, ":remind"), timeout=6)
    stack.emu.fail_next("chat.postMessage", **fault)  # the manager's ping comes next
    _once(stack, stack.emu.dm_channel_for("U_MARIA"), ":notify:")

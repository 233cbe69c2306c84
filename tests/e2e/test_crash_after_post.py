"""SIGKILL between Slack's answer and our commit: Slack has posted the message, the bot
never records it. The restarted bot's retry finds the post by its metadata and adopts
it: one message, for a DM card, queue cards to a channel by name and by id, a reminder
and an escalation ping, on both engines.

The window is held open by the emulator answering the post late (it is made at once, the
answer comes seconds later), and the bot is killed inside it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import OutboxItem
from tests.e2e.harness import CONFIG, make_emulator
from tests.e2e.process import Cluster
from tests.e2e.test_walking_skeleton import US_LEAD

DE_LEAD = {**US_LEAD, "country": "DE", "email": "hans@example.de", "external_id": "de-1"}
LEASE_S = 45  # the killed process's lease on the rows it held runs out first
SLA = CONFIG.replace(
    "rules:",
    """sla:
  - name: fast
    accept_within: 4s
    remind: [1s]
    escalate:
      - {after: 0s, notify: manager}
rules:""",
).replace(
    "{id: alice, name: Alice Chen, email: alice@example.com}",
    "{id: alice, name: Alice Chen, email: alice@example.com, manager: maria}",
)
BY_ID = CONFIG.replace('channel: "#inbound-triage"', "channel: C0SALES001")


def _keyed(cluster: Cluster, channel: str, part: str) -> list[dict]:
    return [
        m
        for m in cluster.emu.messages(channel)
        if part in str(((m.get("metadata") or {}).get("event_payload") or {}).get("outbox_key"))
    ]


@dataclass(frozen=True)
class Target:
    config: str
    lead: dict
    where: str  # a user (their DM) or a channel id
    kind: str  # the outbox kind of the post
    part: str  # what its outbox key contains
    # (user, key part) of a message that must have arrived before the fault is set
    after: tuple[str, str] | None = None


TARGETS = {
    "dm card": Target(CONFIG, US_LEAD, "U_ALICE", "slack.offer_card", ":post"),
    "channel by name": Target(CONFIG, DE_LEAD, "C_TRIAGE", "slack.queue_card", ":queue:"),
    "channel by id": Target(BY_ID, DE_LEAD, "C0SALES001", "slack.queue_card", ":queue:"),
    "reminder": Target(
        SLA, US_LEAD, "U_ALICE", "slack.remind", ":remind", after=("U_ALICE", ":post")
    ),
    "escalation ping": Target(
        SLA,
        US_LEAD,
        "U_MARIA",
        "slack.escalation_notice",
        ":notify:",
        after=("U_ALICE", ":remind"),
    ),
}


def _done(db: Database, kind: str) -> Callable[[], bool]:
    def check() -> bool:
        with db.session() as session:
            rows = session.scalars(select(OutboxItem.status).where(OutboxItem.kind == kind)).all()
        return rows == ["done"]

    return check


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_killed_between_slacks_answer_and_the_commit(
    db: Database, tmp_path: Path, name: str
) -> None:
    target = TARGETS[name]
    emu = make_emulator()
    emu.add_channel(id="C0SALES001", name="sales", members=["U_ALICE", "U_BOB"])
    config = tmp_path / "routing.yml"
    config.write_text(target.config)
    cluster = Cluster(emu, db.url, config, tmp_path)
    try:
        channel = emu.dm_channel_for(target.where) if target.where.startswith("U") else target.where
        bot = cluster.start_bot()
        if target.after is None:
            emu.fail_next("chat.postMessage", delay=5.0)  # posted at once, answered late
        cluster.post_lead(bot, target.lead)
        if target.after is not None:
            user, part = target.after
            emu.wait_for(lambda: _keyed(cluster, emu.dm_channel_for(user), part), timeout=10)
            emu.fail_next("chat.postMessage", delay=5.0)  # the next post is the target
        emu.wait_for(lambda: _keyed(cluster, channel, target.part), timeout=10)
        bot.kill()  # the post is made, its answer never heard, nothing committed
        assert not _done(db, target.kind)()
        cluster.start_bot()
        deadline = time.monotonic() + LEASE_S
        while not _done(db, target.kind)() and time.monotonic() < deadline:
            time.sleep(0.25)
        assert _done(db, target.kind)(), "the restarted bot did not finish the post"
        assert len(_keyed(cluster, channel, target.part)) == 1
        with db.session() as session:
            attempts = session.scalars(
                select(OutboxItem.attempts).where(OutboxItem.kind == target.kind)
            )
            assert list(attempts) == [2]  # retried once, and the earlier post adopted
    finally:
        cluster.stop()
        emu.stop()

"""SIGKILL between Slack's answer and our commit: Slack has posted the card, the bot
never records it. The restarted bot's retry finds the post by its metadata and adopts
it: one card, for a DM and for a channel addressed by name, on both engines.

The window is held open by the emulator answering the posts late (they are made at once,
the answers come seconds later), and the bot is killed inside it."""

from __future__ import annotations

import time
from collections.abc import Iterator
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


@pytest.fixture
def cluster(db: Database, tmp_path: Path) -> Iterator[Cluster]:
    emu = make_emulator()
    config = tmp_path / "routing.yml"
    config.write_text(CONFIG)
    c = Cluster(emu, db.url, config, tmp_path)
    try:
        yield c
    finally:
        c.stop()
        emu.stop()


def _keyed(cluster: Cluster, channel: str, part: str) -> list[dict]:
    return [
        m
        for m in cluster.emu.messages(channel)
        if part in str(((m.get("metadata") or {}).get("event_payload") or {}).get("outbox_key"))
    ]


def _post_done(db: Database, kind: str) -> bool:
    with db.session() as session:
        rows = session.scalars(select(OutboxItem.status).where(OutboxItem.kind == kind)).all()
    return rows == ["done"]


TARGETS = {
    # lead, where its card goes, the card's outbox kind and key part
    "dm": (US_LEAD, "U_ALICE", "slack.offer_card", ":post"),
    "channel by name": (DE_LEAD, "C_TRIAGE", "slack.queue_card", ":queue:"),
}


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_killed_between_slacks_answer_and_the_commit(
    cluster: Cluster, db: Database, target: str
) -> None:
    lead, where, kind, part = TARGETS[target]
    emu = cluster.emu
    bot = cluster.start_bot()
    emu.fail_next("chat.postMessage", delay=5.0)  # posted at once, answered late
    cluster.post_lead(bot, lead)
    channel = emu.dm_channel_for(where) if where.startswith("U") else where
    emu.wait_for(lambda: _keyed(cluster, channel, part))
    bot.kill()  # the post is made, its answer never heard, nothing committed
    assert not _post_done(db, kind)
    cluster.start_bot()
    deadline = time.monotonic() + LEASE_S
    while not _post_done(db, kind) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert _post_done(db, kind), "the restarted bot did not finish the post"
    assert len(_keyed(cluster, channel, part)) == 1
    with db.session() as session:
        attempts = session.scalars(select(OutboxItem.attempts).where(OutboxItem.kind == kind))
        assert list(attempts) == [2]  # retried once, and the earlier post adopted

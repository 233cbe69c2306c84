"""SIGKILL in the middle of SLA ladders: after a restart every step happens exactly once.

The bot runs as a real ``leadrouter run`` process. Leads are posted a second and a half
apart, so when the bot is killed their ladders stand at different steps (reminded and
waiting for the reassign, notified, already on the second offer...). While it is down
more steps fall due; the restarted bot fires them at once (catch-up), then everything
is counted at the emulator and in the database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import Offer, Timer
from tests.e2e.harness import make_emulator
from tests.e2e.ladder_audit import (
    assert_every_step_once,
    aware,
    ladders,
    outbox_open,
)
from tests.e2e.process import BotProcess, Cluster

# remind@2s, notify manager@4s, reassign@7s; the second offer's reassign hits the bound
# (1), so the lead is opened for claim in triage and the admin is told: about 14 s.
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
  - name: ladder
    accept_within: 4s
    remind: [2s]
    max_reassignments: 1
    escalate:
      - {after: 0s, notify: manager}
      - {after: 3s, reassign: next}
rules:
  - {name: All, assign: {pool: sdr}}
"""
USERS = {r: f"U_{r.upper()}" for r in ("alice", "bob", "carol", "maria", "olga")}
LEADS = 6
SETTLE_S = 75  # a delivery leased by the killed process waits out its 30 s lease


@pytest.fixture
def cluster(db: Database, tmp_path: Path) -> Iterator[Cluster]:
    emu = make_emulator(USERS)
    config = tmp_path / "routing.yml"
    config.write_text(CONFIG)
    c = Cluster(emu, db.url, config, tmp_path)
    try:
        yield c
    finally:
        c.stop()
        emu.stop()


def pending_overdue(db: Database, at: datetime) -> list[int]:
    """Steps overdue at ``at`` whose card is in Slack. (A step of an offer whose card the
    killed process had not posted yet waits for the card: its delivery sets the step's
    time, see lifecycle.card_delivery.)"""
    with db.session() as session:
        return list(
            session.scalars(
                select(Timer.id)
                .join(Offer, Offer.id == Timer.offer_id)
                .where(
                    Timer.status == "pending",
                    Timer.due_at <= at,
                    Offer.message_ts.is_not(None),
                )
            )
        )


def fired_at(db: Database, ids: list[int]) -> dict[int, tuple[str, datetime | None]]:
    with db.session() as session:
        rows = session.execute(
            select(Timer.id, Timer.status, Timer.fired_at).where(Timer.id.in_(ids))
        ).all()
    return {i: (status, aware(at) if at else None) for i, status, at in rows}


def wait_until(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} still not true after {timeout}s")


def crash_and_restart(cluster: Cluster, db: Database, bot: BotProcess, down_s: float) -> BotProcess:
    """SIGKILL, stay down while steps fall due, restart: overdue steps fire at once."""
    bot.kill()
    time.sleep(down_s)
    overdue = pending_overdue(db, datetime.now(UTC))
    new = cluster.start_bot()
    ready = datetime.now(UTC)
    if overdue:

        def caught_up() -> bool:
            return all(status != "pending" for status, _ in fired_at(db, overdue).values())

        wait_until(caught_up, 5, f"catch-up of {len(overdue)} overdue timers")
        for timer_id, (status, at) in fired_at(db, overdue).items():
            if status == "done" and at is not None:
                # Fired on the new process's first ticks, not on some later schedule.
                assert at - ready < timedelta(seconds=2), (timer_id, at, ready)
    return new


def test_sigkill_mid_ladder_every_step_once(cluster: Cluster, db: Database) -> None:
    bot = cluster.start_bot()
    started = time.monotonic()
    for n in range(LEADS):
        cluster.post_lead(
            bot,
            {
                "email": f"lead{n}@acme{n}.example",
                "last_name": f"L{n}",
                "company": f"Acme {n}",
                "external_id": f"crash-{n}",
            },
        )
        time.sleep(1.5)
    # Leads 0-5 were offered at ~0, 1.5 ... 7.5 s: at ~8.5 s the first is on its second
    # offer, the second reaches its reassign, the third is reminded and notified, the
    # fourth reminded, the last two are still fresh.
    time.sleep(max(0.0, 8.5 - (time.monotonic() - started)))
    bot = crash_and_restart(cluster, db, bot, down_s=3)
    time.sleep(3)
    bot = crash_and_restart(cluster, db, bot, down_s=2.5)

    def settled() -> bool:
        done = all(lad.state == "queued" for lad in ladders(db))
        return done and outbox_open(db) == 0

    wait_until(settled, SETTLE_S, "every ladder finished and every side effect delivered")
    time.sleep(1)  # anything doubled would show up now
    assert_every_step_once(
        cluster.emu,
        db,
        leads=LEADS,
        manager="U_MARIA",
        admin="U_OLGA",
        queue_channel="C_TRIAGE",
        queue="triage",
    )

"""bot.outbox.worker: rows run side by side, a lead's rows one after another in order."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.config_store import ConfigStore
from bot.outbox.worker import OutboxWorker, in_order_groups
from bot.runtime import build_runtime
from bot.settings import Settings
from storage.db import Database
from storage.models import OutboxItem
from storage.outbox import Claimed, enqueue
from tests.storage.helpers import NOW, new_lead

CONFIG = "reps:\n  - {id: alice, name: Alice}\nrules:\n  - {name: All, assign: {rep: alice}}\n"
SLOW_S = 0.3


def claimed(i: int, lead_id: int | None, **payload: Any) -> Claimed:
    return Claimed(i, f"k{i}", "test.effect", lead_id, payload, 1)


def test_groups_keep_a_leads_rows_together_in_order() -> None:
    items = [
        claimed(1, 7),
        claimed(2, None, rep="alice"),
        claimed(3, 8),
        claimed(4, 7),
        claimed(5, None, rep="alice"),
        claimed(6, None),
        claimed(7, None),
    ]
    groups = [[i.id for i in g] for g in in_order_groups(items)]
    assert groups == [[1, 4], [2, 5], [3], [6], [7]]


def test_rows_of_different_leads_run_side_by_side_and_a_leads_in_order(db: Database) -> None:
    settings = Settings(database_url=db.url, slack_bot_token="xoxb-test")
    rt = build_runtime(settings, config=ConfigStore(text=CONFIG), db=db)
    leads = [new_lead(db) for _ in range(4)]
    with db.session() as session:
        for n in range(2):  # two rows per lead: a card, then its update
            for lead_id in leads:
                enqueue(
                    session,
                    key=f"lead:{lead_id}:{n}",
                    kind="test.effect",
                    payload={"n": n},
                    now=NOW,
                    lead_id=lead_id,
                )
    runs: list[tuple[int, int, float, float]] = []
    lock = threading.Lock()

    def slow(_: Any, item: Claimed) -> dict[str, Any]:
        started = time.monotonic()
        time.sleep(SLOW_S)  # waiting for Slack
        with lock:
            runs.append((int(item.lead_id or 0), int(item.payload["n"]), started, time.monotonic()))
        return {}

    worker = OutboxWorker(rt, {"test.effect": slow}, concurrency=4)
    try:
        started = time.monotonic()
        assert worker.drain() == 8
        took = time.monotonic() - started
    finally:
        worker.close()
    # eight 0.3 s effects in about two rounds of four, not eight in a row
    assert took < 8 * SLOW_S * 0.75, took
    for lead_id in leads:
        mine = sorted((r for r in runs if r[0] == lead_id), key=lambda r: r[2])
        assert [r[1] for r in mine] == [0, 1]
        assert mine[1][2] >= mine[0][3]  # the update began after the card was done


def test_a_reminder_waits_for_its_card(db: Database) -> None:
    """A reminder belongs in its card's thread: while the card is still to be posted
    (perhaps by another replica right now) it is deferred, not posted on its own."""
    from bot.outbox.slack_sla import send_reminder
    from bot.outbox.worker import Defer
    from lifecycle.assign import route_lead
    from tests.storage.helpers import router

    settings = Settings(database_url=db.url, slack_bot_token="xoxb-test")
    rt = build_runtime(settings, config=ConfigStore(text=CONFIG), db=db)
    lead_id = new_lead(db)
    with db.session() as session:
        offer_id = route_lead(session, router(), lead_id, NOW).offer_id
    assert offer_id is not None
    item = Claimed(
        0, f"timer:1:remind:{offer_id}", "slack.remind", lead_id, {"offer_id": offer_id}, 1
    )
    with pytest.raises(Defer, match="card not posted yet") as waiting:
        send_reminder(rt, item)
    assert waiting.value.delay == timedelta(milliseconds=500)
    # a card backing off (Slack down) is not asked after more often than it is tried
    retry_at = datetime.now(UTC) + timedelta(minutes=5)
    with db.session() as session:
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.key == f"offer:{offer_id}:post")
            .values(next_attempt_at=retry_at)
        )
    with pytest.raises(Defer) as backing_off:
        send_reminder(rt, item)
    assert timedelta(minutes=4) < backing_off.value.delay <= timedelta(minutes=5)


def test_a_slow_row_holds_up_only_its_own_lead(db: Database) -> None:
    """Rows that become due while a slow one is in flight are claimed and done at once
    (no waiting for the whole batch); a later row of the slow row's lead still waits
    for it, even though it was claimed in another round."""
    settings = Settings(database_url=db.url, slack_bot_token="xoxb-test")
    rt = build_runtime(settings, config=ConfigStore(text=CONFIG), db=db)
    slow_lead, fast_lead = new_lead(db), new_lead(db)
    now = datetime.now(UTC)

    def add(key: str, lead_id: int, n: int) -> None:
        with db.session() as session:
            enqueue(
                session, key=key, kind="test.effect", payload={"n": n}, now=now, lead_id=lead_id
            )

    add("slow:0", slow_lead, 0)
    started, ended = {}, {}
    slow_running = threading.Event()

    def effect(_: Any, item: Claimed) -> dict[str, Any]:
        started[item.key] = time.monotonic()
        if item.key == "slow:0":
            slow_running.set()
            time.sleep(1.5)
        ended[item.key] = time.monotonic()
        return {}

    worker = OutboxWorker(rt, {"test.effect": effect}, concurrency=4)
    thread = threading.Thread(target=worker.drain)
    thread.start()
    try:
        assert slow_running.wait(5)
        add("fast:0", fast_lead, 0)
        add("slow:1", slow_lead, 1)
        thread.join(10)
    finally:
        worker.close()
    assert set(ended) == {"slow:0", "slow:1", "fast:0"}
    assert ended["fast:0"] < ended["slow:0"]  # not held up behind the slow call
    assert started["slow:1"] >= ended["slow:0"]  # its lead's order kept across claims

"""Slack failures slow delivery down or fail visibly; they never drop or double a card."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

import bot.outbox.slack_cards as slack_cards
from storage.db import Database
from storage.models import Event, OutboxItem
from tests.e2e.harness import CONFIG, Stack, running_stack
from tests.e2e.test_walking_skeleton import US_LEAD


def card_posts(stack: Stack) -> list:
    return [c for c in stack.emu.calls("chat.postMessage") if c.status == 200 and c.response["ok"]]


def test_rate_limited_post_is_retried_after_retry_after(stack: Stack) -> None:
    stack.emu.fail_next("chat.postMessage", error="ratelimited", retry_after=1)
    started = time.monotonic()
    stack.post_lead(US_LEAD)
    card = stack.wait_for_card("U_ALICE", timeout=8)
    assert time.monotonic() - started >= 0.9  # waited out Retry-After
    assert "Dana Scully" in card["text"]
    attempts = stack.emu.calls("chat.postMessage")
    assert [c.status for c in attempts] == [429, 200]
    assert len(stack.emu.messages(card["channel"])) == 1


def test_server_errors_are_retried_and_card_arrives_once(stack: Stack) -> None:
    # Posts are never re-sent inside an attempt: the outbox retries each 500 with backoff
    # (each retry first looks for an earlier post).
    stack.emu.fail_next("chat.postMessage", status=500, times=3)
    stack.post_lead(US_LEAD)
    card = stack.wait_for_card("U_ALICE", timeout=10)
    assert len(card_posts(stack)) == 1
    assert len(stack.emu.messages(card["channel"])) == 1


def test_rep_missing_from_slack_is_passed_over_and_admins_told(stack: Stack) -> None:
    stack.emu.state.users["U_ALICE"]["deleted"] = True  # alice's account was deactivated
    lead_id = stack.post_lead(US_LEAD).json()["id"]
    card = stack.wait_for_card("U_BOB")
    assert "Dana Scully" in card["text"]
    lead = stack.get_lead(lead_id)
    assert [(o["rep"], o["outcome"]) for o in lead["offers"]] == [
        ("alice", "revoked"),
        ("bob", "pending"),
    ]
    assert "not reachable in Slack (account_inactive)" in lead["offers"][0]["reason"]
    maria_dm = stack.emu.dm_channel_for("U_MARIA")
    alert = stack.emu.wait_for(
        lambda: [m for m in stack.emu.messages(maria_dm) if lead_id in m["text"]]
    )[0]
    assert "alice" in alert["text"] and "passed on to bob" in alert["text"]
    stack.emu.slash("U_BOB", "/leads", f"status {lead_id}")
    reply = stack.emu.wait_for(lambda: stack.emu.ephemerals("U_BOB"))[-1]
    assert "offered to alice: revoked" in reply["text"]


def test_bad_queue_channel_fails_visibly(stack: Stack) -> None:
    stack.emu.state.channels.pop("C_TRIAGE")  # someone deleted #inbound-triage
    lead_id = stack.post_lead({**US_LEAD, "country": "Germany"}).json()["id"]

    def dead() -> OutboxItem | None:
        with stack.rt.db.session() as session:
            return session.scalars(
                select(OutboxItem).where(
                    OutboxItem.kind == "slack.queue_card", OutboxItem.status == "dead"
                )
            ).first()

    item = stack.emu.wait_for(dead)
    assert "channel_not_found" in (item.last_error or "")
    with stack.rt.db.session() as session:
        kinds = [e.kind for e in session.scalars(select(Event).order_by(Event.id))]
    assert "delivery.failed" in kinds
    stack.emu.slash("U_BOB", "/leads", f"status {lead_id}")
    reply = stack.emu.wait_for(lambda: stack.emu.ephemerals("U_BOB"))[-1]
    assert "Delivery failed (slack.queue_card): Slack said channel_not_found" in reply["text"]
    maria_dm = stack.emu.dm_channel_for("U_MARIA")
    alert = stack.emu.wait_for(
        lambda: [m for m in stack.emu.messages(maria_dm) if lead_id in m["text"]]
    )[0]
    assert "#inbound-triage" in alert["text"]


def test_crash_after_slack_answered_does_not_post_twice(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies after chat.postMessage returned and before the commit."""
    real_record = slack_cards._record
    crashes = []

    def crash_once(*args: object, **kwargs: object) -> None:
        if not crashes:
            crashes.append(args)
            raise RuntimeError("simulated crash before commit")
        real_record(*args, **kwargs)

    monkeypatch.setattr(slack_cards, "_record", crash_once)
    stack.post_lead(US_LEAD)
    card = stack.wait_for_card("U_ALICE")

    # The failed attempt's row is retried after its backoff (1 s); the retry must find
    # the posted card by its metadata and adopt it instead of posting again.
    def recorded() -> OutboxItem | None:
        with stack.rt.db.session() as session:
            row = session.scalars(
                select(OutboxItem).where(OutboxItem.kind == "slack.offer_card")
            ).one()
            return row if row.status == "done" else None

    done = stack.emu.wait_for(recorded, timeout=8)
    assert done.result is not None and done.result.get("recovered") is True
    assert done.result["ts"] == card["ts"]
    assert len(card_posts(stack)) == 1
    assert crashes


def test_lease_expiry_lets_another_worker_finish(stack: Stack) -> None:
    """A worker that claimed a row and died: the row is picked up after its lease."""
    from storage import outbox

    stack.bot.pump.stop()  # only our hand-driven worker runs now
    stack.post_lead(US_LEAD)
    now = stack.rt.clock.now()
    [claimed] = [
        item
        for item in outbox.claim_batch(stack.rt.db, now=now, limit=5, lease=timedelta(seconds=30))
        if item.kind == "slack.offer_card"
    ]
    # ... and that worker dies here. The card is not handed out again during its lease
    # (other rows, like delayed App Home refreshes, may come due meanwhile):
    during = outbox.claim_batch(stack.rt.db, now=now + timedelta(seconds=5))
    assert claimed.id not in {item.id for item in during}
    after = outbox.claim_batch(stack.rt.db, now=now + timedelta(seconds=31))
    [again] = [item for item in after if item.id == claimed.id]
    assert again.attempts == 2
    stack.bot.worker.process(again)
    card = stack.wait_for_card("U_ALICE")
    assert len(card_posts(stack)) == 1 and card["ts"]


def test_unmapped_rep_is_reported_to_admins_at_start(db: Database) -> None:
    config = CONFIG.replace(
        "  - {id: maria,", "  - {id: zed, name: Zed, email: zed@nowhere.example}\n  - {id: maria,"
    )
    with running_stack(db, config=config) as stack:
        maria_dm = stack.emu.dm_channel_for("U_MARIA")
        alert = stack.emu.wait_for(
            lambda: [m for m in stack.emu.messages(maria_dm) if "`zed`" in m["text"]]
        )[0]
        assert "zed@nowhere.example" in alert["text"] and "users_not_found" in alert["text"]
        # Once a day per rep: a second refresh does not repeat it.
        from bot.services.directory import refresh_directory

        refresh_directory(stack.rt)
        stack.bot.worker.drain()
        assert len([m for m in stack.emu.messages(maria_dm) if "`zed`" in m["text"]]) == 1


def test_admin_alert_is_not_repeated_after_a_crash_before_commit(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack took the unrouted-lead alert; the worker died before marking it sent."""
    from sqlalchemy import update

    from storage import outbox

    real_complete = outbox.complete
    crashed: list[int] = []

    def complete_once(session, item_id, **kwargs):  # type: ignore[no-untyped-def]
        row = session.get(OutboxItem, item_id)
        if row is not None and row.kind == "slack.unrouted_alert" and not crashed:
            crashed.append(item_id)
            raise RuntimeError("simulated crash before commit")
        return real_complete(session, item_id, **kwargs)

    monkeypatch.setattr(outbox, "complete", complete_once)
    lead_id = stack.post_lead({**US_LEAD, "country": "France"}).json()["id"]
    maria = stack.emu.dm_channel_for("U_MARIA")

    def alerts() -> list[dict]:
        return [m for m in stack.emu.messages(maria) if lead_id in m["text"]]

    stack.emu.wait_for(lambda: crashed and alerts())
    with stack.rt.db.session() as session:  # the dead worker's lease runs out
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == crashed[0])
            .values(locked_until=stack.rt.clock.now())
        )
    stack.rt.wake_outbox()

    def recovered() -> bool:
        with stack.rt.db.session() as session:
            row = session.get(OutboxItem, crashed[0])
            return (
                row is not None
                and row.status == "done"
                and bool((row.result or {}).get("recovered"))
            )

    stack.emu.wait_for(recovered, timeout=8)
    assert len(alerts()) == 1

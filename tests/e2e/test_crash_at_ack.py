"""SIGKILL at the point where a click is acknowledged: the change is already stored.

The bot is a real ``leadrouter run`` with a crash point armed (``LEADROUTER_CRASH_AT``):
it kills itself where it would tell Slack "done". Slack never hears the ack (the click's
HTTP request dies with the process), yet the accept, the decline and the claim are in the
database; the restarted bot finishes their side effects (the card shows the outcome) and
answers the same click, sent again, from what is stored. Both engines.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.actions import ActionId, BlockId
from bot.faults import ENV
from slack_emulator import SlackEmulator
from storage.db import Database
from storage.models import Lead, Offer
from tests.e2e.harness import CONFIG, make_emulator
from tests.e2e.process import BotProcess, Cluster
from tests.e2e.test_walking_skeleton import US_LEAD

DE_LEAD = {**US_LEAD, "country": "DE", "email": "hans@example.de", "external_id": "de-1"}


def _eventually(check: Callable[[], Any], timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    raise AssertionError("timed out")


def _card(emu: SlackEmulator, user: str) -> dict[str, Any]:
    return _eventually(lambda: emu.messages(emu.dm_channel_for(user)))[0]


def _killed(bot: BotProcess, click: Callable[[], httpx.Response]) -> None:
    """The click reaches the bot, the bot dies before answering it."""
    with pytest.raises(httpx.HTTPError):
        click()
    assert bot.proc is not None
    bot.proc.wait(10)
    assert bot.proc.returncode == -9, bot.log_tail()
    assert "crash_point_reached" in bot.log_tail(200)


def _button_value(message: dict[str, Any], action_id: str) -> str:
    return next(
        str(el["value"])
        for block in message["blocks"]
        if block["type"] == "actions"
        for el in block["elements"]
        if el["action_id"] == action_id
    )


def _offer(db: Database) -> Offer:
    with db.session() as session:
        offer = session.scalars(select(Offer).order_by(Offer.id)).first()
        assert offer is not None
        session.expunge(offer)
        return offer


def _cluster(db: Database, tmp_path: Path) -> Cluster:
    config = tmp_path / "routing.yml"
    config.write_text(CONFIG)
    return Cluster(make_emulator(), db.url, config, tmp_path)


def test_accept_is_stored_before_the_ack(db: Database, tmp_path: Path) -> None:
    cluster = _cluster(db, tmp_path)
    emu = cluster.emu
    try:
        bot = cluster.start_bot(env={ENV: "accept_committed"})
        cluster.post_lead(bot, US_LEAD)
        card = _card(emu, "U_ALICE")
        _killed(bot, lambda: emu.click("U_ALICE", card["channel"], card["ts"], ActionId.ACCEPT))
        offer = _offer(db)
        assert offer.outcome == "accepted" and offer.responded_at is not None
        with db.session() as session:
            lead = session.get(Lead, offer.lead_id)
            assert lead is not None and lead.state == "accepted" and lead.assignee == "alice"

        cluster.start_bot()  # no crash point: as after a real restart
        # The card update queued with the accept is delivered by the new process.
        updated = _eventually(
            lambda: (m := emu.message(card["channel"], card["ts"]))["updated"] and m
        )
        assert "Accepted by <@U_ALICE>" in str(updated["blocks"])
        # Alice saw an error on her click and clicks again (the same button, as Slack
        # sends it from a card that had not been redrawn yet): answered from the store.
        value = _button_value(card, ActionId.ACCEPT)
        again = emu.click("U_ALICE", card["channel"], card["ts"], ActionId.ACCEPT, value=value)
        assert again.status_code == 200
        reply = _eventually(lambda: emu.ephemerals("U_ALICE"))
        assert reply[-1]["text"] == "You already accepted this lead."
        assert _offer(db).responded_at == offer.responded_at  # not accepted twice
    finally:
        cluster.stop()
        cluster.emu.stop()


def test_decline_is_stored_before_the_modal_closes(db: Database, tmp_path: Path) -> None:
    cluster = _cluster(db, tmp_path)
    emu = cluster.emu
    try:
        bot = cluster.start_bot(env={ENV: "decline_committed"})
        cluster.post_lead(bot, US_LEAD)
        card = _card(emu, "U_ALICE")
        assert (
            emu.click("U_ALICE", card["channel"], card["ts"], ActionId.DECLINE).status_code == 200
        )
        modal = _eventually(
            lambda: [v for v in emu.views("U_ALICE") if v["type"] == "modal" and not v["closed"]]
        )[-1]
        values = {BlockId.REASON: {BlockId.REASON_CHOICE: "Not my territory"}}
        _killed(bot, lambda: emu.submit_view("U_ALICE", modal["id"], values))
        offer = _offer(db)
        assert offer.outcome == "declined" and offer.rep_id == "alice"
        cluster.start_bot()
        # The decline re-routed the lead in the same commit: Bob's card arrives.
        assert "Dana Scully" in _card(emu, "U_BOB")["text"]
    finally:
        cluster.stop()
        cluster.emu.stop()


def test_claim_is_stored_before_the_ack(db: Database, tmp_path: Path) -> None:
    cluster = _cluster(db, tmp_path)
    emu = cluster.emu
    try:
        bot = cluster.start_bot(env={ENV: "claim_committed"})
        cluster.post_lead(bot, DE_LEAD)
        queue_card = _eventually(lambda: emu.messages("C_TRIAGE"))[0]
        _killed(bot, lambda: emu.click("U_BOB", "C_TRIAGE", queue_card["ts"], ActionId.CLAIM))
        with db.session() as session:
            lead = session.scalars(select(Lead)).one()
            assert lead.assignee == "bob"
        cluster.start_bot()
        value = _button_value(queue_card, ActionId.CLAIM)
        again = emu.click("U_BOB", "C_TRIAGE", queue_card["ts"], ActionId.CLAIM, value=value)
        assert again.status_code == 200
        reply = _eventually(lambda: emu.ephemerals("U_BOB"))
        assert "Already claimed by" in reply[-1]["text"]
    finally:
        cluster.stop()
        cluster.emu.stop()

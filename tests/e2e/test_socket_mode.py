"""The real bot in Socket Mode (SLACK_APP_TOKEN, no signing secret) against the emulator:
Slack traffic over the WebSocket, /leads and health over HTTP, reconnects after Slack
drops the link."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from slack_sdk.errors import SlackApiError

from bot.actions import ActionId
from bot.config_store import ConfigStore
from bot.process import BotService
from bot.runtime import build_runtime
from bot.settings import Settings
from storage.db import Database
from tests.e2e.harness import BOT_TOKEN, CONFIG, WEBHOOK_TOKEN, Stack, make_emulator

pytestmark = pytest.mark.e2e

APP_TOKEN = "xapp-1-A0LEADROUTER-1-e2e"
US_LEAD = {
    "external_id": "form-socket-1",
    "first_name": "Fox",
    "last_name": "Mulder",
    "email": "fox@fbi.example.org",
    "company": "FBI",
    "title": "Special Agent",
    "country": "United States",
}


def socket_settings(db: Database, api_url: str, app_token: str = APP_TOKEN) -> Settings:
    return Settings(
        database_url=db.url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=None,
        slack_app_token=app_token,
        slack_api_url=api_url,
        webhook_token=WEBHOOK_TOKEN,
        host="127.0.0.1",
        port=0,
        worker_interval=0.1,
    )


@contextmanager
def running_socket_stack(db: Database) -> Iterator[Stack]:
    """Like ``harness.running_stack`` but in Socket Mode: the emulator has no events_url."""
    emu = make_emulator()
    emu.config.app_token = APP_TOKEN
    emu.socket_mode = True
    rt = build_runtime(socket_settings(db, emu.api_url), config=ConfigStore(text=CONFIG), db=db)
    bot = BotService(rt)
    try:
        bot.start()
        emu.wait_socket_connected()
        client = httpx.Client(base_url=bot.url, timeout=10)
        try:
            yield Stack(emu, bot, client)
        finally:
            client.close()
    finally:
        bot.stop()
        emu.stop()


@pytest.fixture
def sstack(db: Database) -> Iterator[Stack]:
    with running_socket_stack(db) as s:
        yield s


def test_lead_is_accepted_over_the_socket(sstack: Stack) -> None:
    emu = sstack.emu
    assert emu.events_url is None and sstack.bot.socket_mode is not None
    assert sstack.bot.socket_mode.connected
    [opened] = emu.calls("apps.connections.open")
    assert opened.status == 200 and opened.response["url"].startswith("ws://127.0.0.1:")

    response = sstack.post_lead(US_LEAD)
    assert response.status_code == 202, response.text
    lead_id = response.json()["id"]
    card = sstack.wait_for_card("U_ALICE")
    assert "Fox Mulder" in card["text"]

    click = emu.click("U_ALICE", card["channel"], card["ts"], ActionId.ACCEPT)
    assert click.status_code == 200
    [delivery] = emu.deliveries("block_actions")
    assert delivery["transport"] == "socket" and delivery["envelope_id"]
    assert delivery["status"] == 200 and delivery["elapsed"] < 3

    updated = emu.wait_for(lambda: (m := emu.message(card["channel"], card["ts"]))["updated"] and m)
    assert "Accepted by <@U_ALICE>" in str(updated["blocks"])
    assert not any(b["type"] == "actions" for b in updated["blocks"])
    lead = emu.wait_for(lambda: (x := sstack.get_lead(lead_id))["state"] == "accepted" and x)
    assert lead["assignee"] == "alice"
    assert [o["outcome"] for o in lead["offers"]] == ["accepted"]


def test_slash_help_over_the_socket(sstack: Stack) -> None:
    emu = sstack.emu
    response = emu.slash("U_ALICE", "/leads", "help")
    assert response.status_code == 200
    reply = emu.wait_for(lambda: emu.ephemerals("U_ALICE"))[-1]
    assert "/leads" in reply["text"]
    [delivery] = emu.deliveries("slash_command")
    assert delivery["transport"] == "socket" and delivery["status"] == 200


def test_other_rep_is_refused_over_the_socket(sstack: Stack) -> None:
    emu = sstack.emu
    lead_id = sstack.post_lead(US_LEAD).json()["id"]
    card = sstack.wait_for_card("U_ALICE")
    assert emu.click("U_BOB", card["channel"], card["ts"], ActionId.ACCEPT).status_code == 200
    refusal = emu.wait_for(lambda: emu.ephemerals("U_BOB"))[-1]
    assert "only they can act" in refusal["text"]
    assert sstack.get_lead(lead_id)["state"] == "offered"


def test_reconnects_after_slack_disconnects(sstack: Stack) -> None:
    emu = sstack.emu
    lead_id = sstack.post_lead(US_LEAD).json()["id"]
    card = sstack.wait_for_card("U_ALICE")

    assert emu.disconnect_socket() == 1
    # The bot asks for a fresh URL and reconnects; the click waits for that link.
    click = emu.click("U_ALICE", card["channel"], card["ts"], ActionId.ACCEPT)
    assert click.status_code == 200, click.text
    assert len(emu.calls("apps.connections.open")) >= 2
    assert emu.socket.connections_opened >= 2
    emu.wait_for(lambda: sstack.get_lead(lead_id)["state"] == "accepted")

    # And once more without the courtesy message: the link just drops.
    assert emu.disconnect_socket(send_message=False) == 1
    response = emu.slash("U_ALICE", "/leads", "help")
    assert response.status_code == 200
    emu.wait_for(lambda: emu.ephemerals("U_ALICE"))
    assert sstack.bot.socket_mode is not None
    emu.wait_for(lambda: sstack.bot.socket_mode is not None and sstack.bot.socket_mode.connected)


def test_http_still_serves_leads_health_and_metrics(sstack: Stack) -> None:
    http = sstack.http
    assert http.get("/healthz").status_code == 200
    assert http.get("/readyz").json()["status"] == "ready"
    assert "leadrouter_" in http.get("/metrics").text
    events = http.post("/slack/events", json={"type": "url_verification", "challenge": "x"})
    assert events.status_code == 404
    assert "Socket Mode" in events.json()["error"]


def test_wrong_app_token_fails_start_clearly(db: Database) -> None:
    emu = make_emulator()
    try:
        settings = socket_settings(db, emu.api_url, app_token="xapp-1-wrong")
        rt = build_runtime(settings, config=ConfigStore(text=CONFIG), db=db)
        bot = BotService(rt)
        with pytest.raises(SlackApiError) as info:
            bot.start()
        assert info.value.response["error"] == "invalid_auth"
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{bot.url}/healthz", timeout=2)
    finally:
        emu.stop()

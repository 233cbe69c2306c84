"""Socket Mode in the emulator: apps.connections.open, hello, envelopes, acks, disconnects."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from slack_emulator import SlackEmulator

from .conftest import TOKEN, Receiver, card_blocks
from .test_interactivity import decline_modal

APP_TOKEN = "xapp-1-A0LEADROUTER-1-emulator"

Ack = Callable[[dict[str, Any]], dict[str, Any] | None]


@dataclass
class AppLink:
    """A bare Socket Mode client: records envelopes and acks each with ``respond``."""

    ws: ClientConnection
    hello: dict[str, Any]
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    others: list[dict[str, Any]] = field(default_factory=list)
    respond: Ack | None = lambda env: None  # None as the function: never ack
    closed: threading.Event = field(default_factory=threading.Event)
    close_code: int | None = None
    error: ConnectionClosed | None = None

    def run(self) -> None:
        try:
            for raw in self.ws:
                message = json.loads(raw)
                if "envelope_id" not in message:
                    self.others.append(message)
                    continue
                self.envelopes.append(message)
                if self.respond is None:
                    continue
                ack: dict[str, Any] = {"envelope_id": message["envelope_id"]}
                payload = self.respond(message)
                if payload is not None:
                    ack["payload"] = payload
                self.ws.send(json.dumps(ack))
        except ConnectionClosed as exc:  # closed without a proper closing handshake
            self.error = exc
        finally:
            self.close_code = self.ws.close_code
            self.closed.set()


def open_url(emu: SlackEmulator, token: str = APP_TOKEN) -> str:
    url = WebClient(base_url=emu.api_url).apps_connections_open(app_token=token)["url"]
    assert isinstance(url, str)
    return url


@pytest.fixture
def links(emu: SlackEmulator) -> Iterator[Callable[[], AppLink]]:
    """Connect bare app links to the emulator; all closed at the end of the test."""
    with ExitStack() as stack:

        def link_up() -> AppLink:
            ws = stack.enter_context(connect(open_url(emu)))
            app = AppLink(ws, json.loads(ws.recv(timeout=5)))
            threading.Thread(target=app.run, daemon=True).start()
            return app

        yield link_up


@pytest.fixture
def link(emu: SlackEmulator, links: Callable[[], AppLink]) -> AppLink:
    emu.socket_mode = True
    return links()


def test_apps_connections_open_needs_the_app_token(emu: SlackEmulator) -> None:
    url = open_url(emu)
    assert url.startswith(f"ws://127.0.0.1:{emu.socket.port}/link/?ticket=")
    client = WebClient(base_url=emu.api_url)
    for token, error in (
        (TOKEN, "not_allowed_token_type"),
        ("xoxp-user-token", "not_allowed_token_type"),
        ("xapp-1-wrong", "invalid_auth"),
    ):
        with pytest.raises(SlackApiError) as info:
            client.apps_connections_open(app_token=token)
        assert info.value.response["error"] == error
    no_token = httpx.post(f"{emu.api_url}apps.connections.open")
    assert no_token.json() == {"ok": False, "error": "not_authed"}
    [ok, *failed] = emu.calls("apps.connections.open")
    assert ok.status == 200 and len(failed) == 4


def test_app_token_cannot_call_bot_methods(emu: SlackEmulator) -> None:
    with pytest.raises(SlackApiError) as info:
        WebClient(token=APP_TOKEN, base_url=emu.api_url).chat_postMessage(
            channel="C_SDR", text="hi"
        )
    assert info.value.response["error"] == "not_allowed_token_type"


def test_apps_connections_open_honours_faults(emu: SlackEmulator) -> None:
    emu.fail_next("apps.connections.open", error="ratelimited", retry_after=3)
    with pytest.raises(SlackApiError) as info:
        open_url(emu)
    assert info.value.response.status_code == 429
    assert open_url(emu).startswith("ws://")


def test_hello_and_one_time_urls(emu: SlackEmulator) -> None:
    url = open_url(emu)
    with connect(url) as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello["type"] == "hello" and hello["num_connections"] == 1
        assert hello["connection_info"] == {"app_id": emu.config.app_id}
        assert emu.socket_connections() == 1
    with pytest.raises(InvalidStatus) as info:
        connect(url)
    assert info.value.response.status_code == 401
    with pytest.raises(InvalidStatus):
        connect(url.split("?")[0] + "?ticket=made-up")


def test_click_goes_over_the_socket(
    emu: SlackEmulator, client: WebClient, receiver: Receiver, link: AppLink
) -> None:
    ts = client.chat_postMessage(channel="C_SDR", text="New lead", blocks=card_blocks())["ts"]
    response = emu.click("U_ALICE", "C_SDR", ts, "lead_accept")
    assert response.status_code == 200 and response.text == ""
    assert receiver.requests == []  # nothing over HTTP
    [env] = link.envelopes
    assert env["type"] == "interactive" and env["accepts_response_payload"] is False
    assert "retry_attempt" not in env
    assert env["payload"]["type"] == "block_actions"
    assert env["payload"]["actions"][0]["action_id"] == "lead_accept"
    [delivery] = emu.deliveries("block_actions")
    assert delivery["transport"] == "socket" and delivery["envelope_id"] == env["envelope_id"]
    assert delivery["status"] == 200 and delivery["error"] is None


def test_slash_ack_payload_is_shown_like_an_http_reply(emu: SlackEmulator, link: AppLink) -> None:
    link.respond = lambda env: {"text": f"you said {env['payload']['text']}"}
    response = emu.slash("U_ALICE", "/leads", "help")
    assert response.status_code == 200 and response.json() == {"text": "you said help"}
    [env] = link.envelopes
    assert env["type"] == "slash_commands" and env["accepts_response_payload"] is True
    assert env["payload"]["command"] == "/leads" and env["payload"]["user_id"] == "U_ALICE"
    [reply] = emu.ephemerals("U_ALICE")
    assert reply["text"] == "you said help" and reply["source"] == "slash_ack"


def test_view_submission_response_action_over_the_socket(
    emu: SlackEmulator, client: WebClient, link: AppLink
) -> None:
    view_id = client.views_open(trigger_id=emu.new_trigger("U_BOB"), view=decline_modal())["view"][
        "id"
    ]
    link.respond = lambda env: {"response_action": "errors", "errors": {"reason": "Pick one"}}
    emu.submit_view("U_BOB", view_id, {"note": {"text": "later"}})
    assert link.envelopes[-1]["accepts_response_payload"] is True
    assert emu.view(view_id)["submit_errors"] == {"reason": "Pick one"}
    assert emu.view(view_id)["closed"] is False
    link.respond = lambda env: None
    emu.submit_view("U_BOB", view_id, {"reason": {"pick": "busy"}})
    assert emu.view(view_id)["closed"] is True


def test_events_carry_retry_fields(emu: SlackEmulator, link: AppLink) -> None:
    emu.app_home_opened("U_ALICE")
    emu.send_event({"type": "app_home_opened", "user": "U_ALICE"}, retry_num=2)
    first, retried = link.envelopes
    assert first["type"] == "events_api" and first["accepts_response_payload"] is False
    assert (first["retry_attempt"], first["retry_reason"]) == (0, "")
    assert (retried["retry_attempt"], retried["retry_reason"]) == (2, "http_timeout")
    assert first["payload"]["type"] == "event_callback"
    assert first["payload"]["event"]["type"] == "app_home_opened"


def test_missing_ack_times_out(emu: SlackEmulator, link: AppLink) -> None:
    link.respond = None
    emu.socket.ack_timeout = 0.2
    response = emu.slash("U_ALICE", "/leads", "help")
    assert response.status_code == 408 and response.text == "ack_timeout"
    [delivery] = emu.deliveries("slash_command")
    assert delivery["error"] == "ack_timeout" and delivery["status"] == 408
    assert emu.ephemerals() == []


def test_no_connection_after_waiting(emu: SlackEmulator) -> None:
    emu.socket_mode = True
    emu.socket.connect_wait = 0.2
    response = emu.slash("U_ALICE", "/leads", "help")
    assert response.status_code == 503 and response.text == "no_connection"
    assert emu.deliveries("slash_command")[0]["error"] == "no_connection"


def test_disconnect_then_reconnect(
    emu: SlackEmulator, link: AppLink, links: Callable[[], AppLink]
) -> None:
    assert emu.disconnect_socket() == 1
    assert link.closed.wait(5) and link.close_code == 1000
    assert link.others == [
        {
            "type": "disconnect",
            "reason": "refresh_requested",
            "debug_info": {"host": "applink-emulator"},
        }
    ]
    emu.wait_for(lambda: emu.socket_connections() == 0)
    again = links()
    assert again.hello["type"] == "hello"
    assert emu.slash("U_ALICE", "/leads", "x").status_code == 200
    assert len(again.envelopes) == 1 and len(link.envelopes) == 0


def test_newest_connection_gets_the_envelope(
    emu: SlackEmulator, link: AppLink, links: Callable[[], AppLink]
) -> None:
    second = links()
    assert second.hello["num_connections"] == 2
    emu.slash("U_ALICE", "/leads", "x")
    assert (len(link.envelopes), len(second.envelopes)) == (0, 1)


def test_control_api_switches_and_disconnects(emu: SlackEmulator, link: AppLink) -> None:
    ctl = httpx.Client(base_url=f"{emu.base_url}/_emulator/")
    health = ctl.get("health").json()
    assert health["socket_mode"] is True and health["socket_connections"] == 1
    assert ctl.post("disconnect_socket", json={"reason": "warning"}).json()["closed"] == 1
    assert link.closed.wait(5) and link.others[0]["reason"] == "warning"
    assert ctl.post("socket_mode", json={"enabled": False}).json()["socket_mode"] is False
    assert emu.socket_mode is False

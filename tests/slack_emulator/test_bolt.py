"""A real slack_bolt App accepts the emulator's signed payloads and talks back to it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, App, BoltRequest
from slack_sdk import WebClient

from slack_emulator import SlackEmulator

from .conftest import SECRET, TOKEN, Received, Receiver, Reply, card_blocks


def test_bolt_app_round_trip(emu: SlackEmulator, receiver: Receiver) -> None:
    client = WebClient(token=TOKEN, base_url=emu.api_url)
    app = App(signing_secret=SECRET, client=client)
    modal = {
        "type": "modal",
        "callback_id": "decline",
        "title": {"type": "plain_text", "text": "Decline"},
        "submit": {"type": "plain_text", "text": "Decline"},
        "blocks": [
            {
                "type": "input",
                "block_id": "why",
                "label": {"type": "plain_text", "text": "Why?"},
                "element": {"type": "plain_text_input", "action_id": "text"},
            }
        ],
    }
    seen: dict[str, Any] = {}

    @app.action("lead_decline")
    def on_decline(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=modal)

    @app.view("decline")
    def on_submit(ack: Ack, view: dict[str, Any]) -> None:
        seen["why"] = view["state"]["values"]["why"]["text"]["value"]
        ack()

    @app.command("/leads")
    def on_leads(ack: Ack, command: dict[str, Any]) -> None:
        ack(f"you said {command['text']}")

    def respond(req: Received) -> Reply:
        headers: dict[str, str | Sequence[str]] = dict(req.headers)
        resp = app.dispatch(BoltRequest(body=req.body, headers=headers))
        return resp.status, "application/json", resp.body

    receiver.respond = respond
    ts = client.chat_postMessage(channel="C_SDR", text="lead", blocks=card_blocks())["ts"]
    assert emu.click("U_ALICE", "C_SDR", ts, "lead_decline").status_code == 200
    (view,) = emu.wait_for(lambda: emu.views("U_ALICE"))  # listeners run after the ack
    assert emu.submit_view("U_ALICE", view["id"], {"why": {"text": "busy"}}).status_code == 200
    emu.wait_for(lambda: seen)
    assert seen == {"why": "busy"}
    assert emu.view(view["id"])["closed"] is True
    assert emu.slash("U_ALICE", "/leads", "mine").status_code == 200
    assert emu.ephemerals("U_ALICE")[0]["text"] == "you said mine"
    assert emu.click("U_ALICE", "C_SDR", ts, "lead_decline", bad_signature=True).status_code == 401

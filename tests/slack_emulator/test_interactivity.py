"""Signed requests to the app: clicks, selects, modals, slash commands, events."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from slack_emulator import SlackEmulator

from .conftest import SECRET, Received, Receiver, Reply, card_blocks


def decline_modal() -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "decline",
        "private_metadata": "L-1",
        "title": {"type": "plain_text", "text": "Decline lead"},
        "submit": {"type": "plain_text", "text": "Decline"},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Reason"},
                "element": {
                    "type": "static_select",
                    "action_id": "pick",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Too busy"}, "value": "busy"},
                        {"text": {"type": "plain_text", "text": "Wrong fit"}, "value": "fit"},
                    ],
                },
            },
            {
                "type": "input",
                "block_id": "note",
                "optional": True,
                "label": {"type": "plain_text", "text": "Note"},
                "element": {"type": "plain_text_input", "action_id": "text"},
            },
        ],
    }


def post_card(client: WebClient) -> str:
    ts = client.chat_postMessage(channel="C_SDR", text="New lead", blocks=card_blocks())["ts"]
    assert isinstance(ts, str)
    return ts


def test_click_sends_signed_block_actions(
    emu: SlackEmulator, client: WebClient, receiver: Receiver
) -> None:
    ts = post_card(client)
    response = emu.click("U_ALICE", "C_SDR", ts, "lead_accept")
    assert response.status_code == 200
    (req,) = receiver.requests
    assert req.verified and req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    p = req.payload
    assert p["type"] == "block_actions"
    assert p["user"] == {"id": "U_ALICE", "username": "alice", "name": "alice", "team_id": "T0001"}
    assert p["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "C_SDR",
        "is_ephemeral": False,
    }
    assert p["channel"] == {"id": "C_SDR", "name": "sdr-west"}
    assert p["message"]["ts"] == ts and p["message"]["blocks"] == card_blocks()
    (action,) = p["actions"]
    assert action["action_id"] == "lead_accept" and action["block_id"] == "offer"
    assert action["value"] == "L-1" and action["type"] == "button"
    assert p["response_url"].startswith(f"{emu.base_url}/_response/")
    assert p["trigger_id"] and p["state"] == {"values": {}}
    assert emu.deliveries("block_actions")[0]["status"] == 200

    with pytest.raises(ValueError, match="no element"):
        emu.click("U_ALICE", "C_SDR", ts, "nope")
    emu.click("U_ALICE", "C_SDR", ts, "nope", value="v")
    assert receiver.requests[-1].payload["actions"][0]["value"] == "v"


def test_signing_options(emu: SlackEmulator, client: WebClient, receiver: Receiver) -> None:
    ts = post_card(client)
    assert emu.click("U_ALICE", "C_SDR", ts, "lead_accept", bad_signature=True).status_code == 401
    assert emu.click("U_ALICE", "C_SDR", ts, "lead_accept", sign=False).status_code == 401
    assert "X-Slack-Signature" not in receiver.requests[-1].headers
    stale = int(time.time()) - 600
    emu.click("U_ALICE", "C_SDR", ts, "lead_accept", timestamp=stale)
    assert receiver.requests[-1].headers["X-Slack-Request-Timestamp"] == str(stale)
    assert not receiver.requests[-1].verified  # SignatureVerifier rejects stale requests
    # the signature itself is still the right HMAC for that timestamp
    req = receiver.requests[-1]
    verifier = SignatureVerifier(SECRET, clock=type("C", (), {"now": lambda self: stale})())
    assert verifier.is_valid_request(req.body, req.headers)


def test_views_open_with_trigger_from_click(
    emu: SlackEmulator, client: WebClient, receiver: Receiver
) -> None:
    opened: list[dict[str, Any]] = []

    def respond(req: Received) -> Reply:
        result = client.views_open(trigger_id=req.payload["trigger_id"], view=decline_modal())
        opened.append(result["view"])
        return 200, "text/plain", ""

    receiver.respond = respond
    ts = post_card(client)
    emu.click("U_ALICE", "C_SDR", ts, "lead_decline")
    (view,) = opened
    assert view["id"].startswith("V") and view["private_metadata"] == "L-1"
    (stored,) = emu.views("U_ALICE")
    assert stored["id"] == view["id"] and stored["closed"] is False

    trigger = receiver.requests[0].payload["trigger_id"]
    with pytest.raises(SlackApiError) as info:
        client.views_open(trigger_id=trigger, view=decline_modal())
    assert info.value.response["error"] == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as info:
        client.views_open(trigger_id="123.456.abc", view=decline_modal())
    assert info.value.response["error"] == "invalid_trigger_id"
    emu.trigger_ttl = 0.01
    old = emu.new_trigger("U_ALICE")
    time.sleep(0.03)
    with pytest.raises(SlackApiError) as info:
        client.views_open(trigger_id=old, view=decline_modal())
    assert info.value.response["error"] == "expired_trigger_id"
    bad = decline_modal()
    bad["title"] = {"type": "plain_text", "text": "A title that is far too long"}
    emu.trigger_ttl = 3.0
    with pytest.raises(SlackApiError) as info:
        client.views_open(trigger_id=emu.new_trigger("U_ALICE"), view=bad)
    assert info.value.response["error"] == "invalid_arguments"
    assert (
        "json-pointer:/view/title/text" in info.value.response["response_metadata"]["messages"][0]
    )


def test_submit_view_state_and_response_actions(
    emu: SlackEmulator, client: WebClient, receiver: Receiver
) -> None:
    view_id = client.views_open(trigger_id=emu.new_trigger("U_BOB"), view=decline_modal())["view"][
        "id"
    ]
    receiver.respond = lambda r: (
        200,
        "application/json",
        json.dumps({"response_action": "errors", "errors": {"reason": "Pick one"}}),
    )
    emu.submit_view("U_BOB", view_id, {"note": {"text": "later"}})
    p = receiver.requests[-1].payload
    assert receiver.requests[-1].verified and p["type"] == "view_submission"
    assert p["view"]["id"] == view_id and p["view"]["callback_id"] == "decline"
    assert p["view"]["state"]["values"] == {
        "note": {"text": {"type": "plain_text_input", "value": "later"}},
        "reason": {"pick": {"type": "static_select", "selected_option": None}},
    }
    assert emu.view(view_id)["submit_errors"] == {"reason": "Pick one"}
    assert emu.view(view_id)["closed"] is False

    receiver.respond = lambda r: (200, "text/plain", "")
    emu.submit_view("U_BOB", view_id, {"reason": {"pick": "busy"}})
    values = receiver.requests[-1].payload["view"]["state"]["values"]
    assert values["reason"]["pick"]["selected_option"] == {
        "text": {"type": "plain_text", "text": "Too busy"},
        "value": "busy",
    }
    assert values["note"]["text"] == {"type": "plain_text_input", "value": None}
    assert emu.view(view_id)["closed"] is True
    with pytest.raises(ValueError, match="closed"):
        emu.submit_view("U_BOB", view_id, {})
    with pytest.raises(ValueError):
        emu.submit_view("U_BOB", "V_NOPE", {})


def test_submit_view_rejects_unknown_fields(emu: SlackEmulator, client: WebClient) -> None:
    view_id = client.views_open(trigger_id=emu.new_trigger("U_BOB"), view=decline_modal())["view"][
        "id"
    ]
    with pytest.raises(ValueError, match="no block"):
        emu.submit_view("U_BOB", view_id, {"missing": {"x": "y"}})
    with pytest.raises(ValueError, match="not among the options"):
        emu.submit_view("U_BOB", view_id, {"reason": {"pick": "nope"}})


def test_response_url_replace_and_ephemeral(
    emu: SlackEmulator, client: WebClient, receiver: Receiver
) -> None:
    ts = post_card(client)
    emu.click("U_ALICE", "C_SDR", ts, "lead_accept")
    url = receiver.requests[-1].payload["response_url"]
    r = httpx.post(url, json={"replace_original": True, "text": "Accepted by Alice", "blocks": []})
    assert (r.status_code, r.text) == (200, "ok")
    assert r.headers["content-type"].startswith("text/plain")
    msg = emu.message("C_SDR", ts)
    assert msg["text"] == "Accepted by Alice" and msg["updated"] == 1
    httpx.post(url, json={"response_type": "ephemeral", "text": "Only you can see this"})
    (eph,) = emu.ephemerals("U_ALICE")
    assert eph["text"] == "Only you can see this" and eph["source"] == "response_url"
    responses = emu.responses()
    assert [x["replace_original"] for x in responses] == [True, False]
    assert responses[1]["response_type"] == "ephemeral" and responses[0]["text"]
    assert httpx.post(f"{emu.base_url}/_response/bogus", json={"text": "x"}).status_code == 404
    httpx.post(url, json={"delete_original": True})
    assert emu.messages("C_SDR") == []


def test_select_in_message(emu: SlackEmulator, client: WebClient, receiver: Receiver) -> None:
    blocks = [
        {
            "type": "section",
            "block_id": "assign",
            "text": {"type": "mrkdwn", "text": "Reassign to"},
            "accessory": {"type": "users_select", "action_id": "reassign_to"},
        }
    ]
    ts = client.chat_postMessage(channel="C_SDR", text="x", blocks=blocks)["ts"]
    emu.select("U_ALICE", "C_SDR", ts, "reassign_to", "U_BOB")
    p = receiver.requests[-1].payload
    assert p["actions"][0]["selected_user"] == "U_BOB"
    assert p["actions"][0]["type"] == "users_select"
    assert p["state"]["values"]["assign"]["reassign_to"]["selected_user"] == "U_BOB"


def test_slash_command(emu: SlackEmulator, receiver: Receiver) -> None:
    receiver.respond = lambda r: (200, "text/plain", "Usage: /leads help")
    response = emu.slash("U_ALICE", "/leads", "mine", channel_id="C_SDR")
    assert response.text == "Usage: /leads help"
    req = receiver.requests[-1]
    assert req.verified
    form = req.form
    assert form["command"] == "/leads" and form["text"] == "mine"
    assert form["user_id"] == "U_ALICE" and form["user_name"] == "alice"
    assert form["channel_id"] == "C_SDR" and form["channel_name"] == "sdr-west"
    assert form["team_id"] == "T0001" and form["trigger_id"] and form["api_app_id"]
    assert form["response_url"].startswith(emu.base_url)
    (eph,) = emu.ephemerals("U_ALICE")
    assert eph["text"] == "Usage: /leads help" and eph["source"] == "slash_ack"
    emu.slash("U_BOB")
    assert receiver.requests[-1].form["channel_id"] == emu.dm_channel_for("U_BOB")


def test_events_and_retries(emu: SlackEmulator, receiver: Receiver) -> None:
    event = {"type": "message", "channel": "C_SDR", "user": "U_ALICE", "text": "hi", "ts": "1.2"}
    emu.send_event(event, event_id="Ev123")
    emu.send_event(event, event_id="Ev123", retry_num=1)
    first, second = receiver.requests
    assert first.verified and second.verified
    assert first.json["type"] == "event_callback" and first.json["event_id"] == "Ev123"
    assert first.json["event"]["text"] == "hi" and first.json["authorizations"][0]["is_bot"]
    assert "X-Slack-Retry-Num" not in first.headers
    assert second.headers["X-Slack-Retry-Num"] == "1"
    assert second.headers["X-Slack-Retry-Reason"] == "http_timeout"
    emu.send_event(event, headers={"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_error"})
    assert receiver.requests[-1].headers["X-Slack-Retry-Reason"] == "http_error"


def test_app_home(emu: SlackEmulator, client: WebClient, receiver: Receiver) -> None:
    emu.app_home_opened("U_ALICE")
    ev = receiver.requests[-1].json["event"]
    assert ev["type"] == "app_home_opened" and ev["tab"] == "home" and "view" not in ev
    home = {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Your leads"}},
            {
                "type": "actions",
                "block_id": "L-1",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "lead_accept",
                        "text": {"type": "plain_text", "text": "Accept"},
                        "value": "L-1",
                    }
                ],
            },
        ],
    }
    first = client.views_publish(user_id="U_ALICE", view=home)["view"]
    again = client.views_publish(user_id="U_ALICE", view=home)["view"]
    assert first["id"] == again["id"]
    assert emu.home_view("U_ALICE")["blocks"] == home["blocks"]  # type: ignore[index]
    assert emu.home_view("U_BOB") is None
    emu.click_home("U_ALICE", "lead_accept")
    p = receiver.requests[-1].payload
    assert p["container"] == {"type": "view", "view_id": first["id"]}
    assert p["view"]["type"] == "home" and p["actions"][0]["value"] == "L-1"
    emu.app_home_opened("U_ALICE")
    assert receiver.requests[-1].json["event"]["view"]["id"] == first["id"]
    with pytest.raises(ValueError):
        emu.click_home("U_BOB", "lead_accept")

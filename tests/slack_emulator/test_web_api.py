"""Web API methods through the real slack_sdk WebClient."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_emulator import SlackEmulator

from .conftest import TOKEN, card_blocks


def api_error(fn: object, **kwargs: object) -> SlackApiError:
    assert callable(fn)
    with pytest.raises(SlackApiError) as info:
        fn(**kwargs)
    return info.value


def test_auth_test_and_token_checks(emu: SlackEmulator, client: WebClient) -> None:
    me = client.auth_test()
    assert me["user_id"] == emu.bot_user_id
    assert me["team_id"] == "T0001"
    bad = WebClient(token="xoxb-wrong", base_url=emu.api_url)
    err = api_error(bad.auth_test)
    assert err.response.status_code == 200
    assert err.response["error"] == "invalid_auth"
    raw = httpx.post(emu.api_url + "auth.test")
    assert raw.json() == {"ok": False, "error": "not_authed"}
    assert raw.headers["content-type"] == "application/json; charset=utf-8"
    assert [c.response["error"] for c in emu.calls("auth.test")[1:]] == [
        "invalid_auth",
        "not_authed",
    ]


def test_unknown_method_is_404(emu: SlackEmulator) -> None:
    r = httpx.post(emu.api_url + "chat.frobnicate", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 404
    assert r.json() == {"ok": False, "error": "unknown_method"}
    assert emu.calls("chat.frobnicate")[0].status == 404


def test_post_update_history_with_metadata(emu: SlackEmulator, client: WebClient) -> None:
    meta = {"event_type": "lead_offered", "event_payload": {"lead_id": "L-1"}}
    posted = client.chat_postMessage(
        channel="C_SDR", text="New lead", blocks=card_blocks(), metadata=meta
    )
    ts = posted["ts"]
    assert posted["channel"] == "C_SDR"
    assert posted["message"]["bot_id"] and posted["message"]["text"] == "New lead"
    second = client.chat_postMessage(channel="#sdr-west", text="another")
    assert second["channel"] == "C_SDR"
    assert float(second["ts"]) > float(ts) and len(second["ts"].split(".")[1]) == 6

    updated = client.chat_update(channel="C_SDR", ts=ts, text="Accepted by Alice", blocks=[])
    assert updated["ts"] == ts
    msg = emu.message("C_SDR", ts)
    assert msg["text"] == "Accepted by Alice"
    assert msg["updated"] == 1
    assert msg["metadata"] == meta  # kept: chat.update without metadata leaves it

    plain = client.conversations_history(channel="C_SDR")
    assert [m["ts"] for m in plain["messages"]] == [second["ts"], ts]  # newest first
    assert "metadata" not in plain["messages"][1]
    full = client.conversations_history(channel="C_SDR", include_all_metadata=True, limit=1)
    assert full["has_more"] is True
    page2 = client.conversations_history(
        channel="C_SDR", include_all_metadata=True, cursor=full["response_metadata"]["next_cursor"]
    )
    assert page2["messages"][0]["metadata"] == meta
    window = client.conversations_history(channel="C_SDR", oldest=ts)
    assert [m["ts"] for m in window["messages"]] == [second["ts"]]

    call = emu.calls("chat.postMessage")[0]
    assert call.args["metadata"] == meta and call.args["blocks"][1]["block_id"] == "offer"
    assert call.status == 200 and call.response["ok"] is True


def test_update_errors(emu: SlackEmulator, client: WebClient) -> None:
    err = api_error(client.chat_update, channel="C_SDR", ts="1.000001", text="x")
    assert err.response["error"] == "message_not_found"
    human = emu.add_message("C_SDR", "U_ALICE", "hello")
    err = api_error(client.chat_update, channel="C_SDR", ts=human["ts"], text="x")
    assert err.response["error"] == "cant_update_message"


def test_post_errors(emu: SlackEmulator, client: WebClient) -> None:
    assert (
        api_error(client.chat_postMessage, channel="C_NOPE", text="x").response["error"]
        == "channel_not_found"
    )
    assert api_error(client.chat_postMessage, channel="C_SDR").response["error"] == "no_text"
    assert (
        api_error(client.chat_postMessage, channel="C_SECRET", text="x").response["error"]
        == "not_in_channel"
    )
    assert (
        api_error(client.chat_postMessage, channel="U_GONE", text="x").response["error"]
        == "account_inactive"
    )
    assert (
        api_error(client.chat_postMessage, channel="", text="x").response["error"]
        == "channel_not_found"
    )
    assert len(emu.calls("chat.postMessage")) == 5
    assert emu.messages() == []


def test_dm_by_user_id_and_conversations_open(emu: SlackEmulator, client: WebClient) -> None:
    opened = client.conversations_open(users="U_ALICE")
    dm = opened["channel"]["id"]
    assert dm.startswith("D") and dm == emu.dm_channel_for("U_ALICE")
    again = client.conversations_open(users=["U_ALICE"])
    assert again["channel"]["id"] == dm and again["already_open"] is True
    posted = client.chat_postMessage(channel="U_ALICE", text="You have a lead")
    assert posted["channel"] == dm
    assert [m["text"] for m in emu.messages(dm)] == ["You have a lead"]
    assert client.conversations_info(channel=dm)["channel"]["is_im"] is True
    err = api_error(client.conversations_open, users="U_NOBODY")
    assert err.response["error"] == "user_not_found"


def test_users(emu: SlackEmulator, client: WebClient) -> None:
    found = client.users_lookupByEmail(email="Alice@Example.com")
    assert found["user"]["id"] == "U_ALICE"
    assert found["user"]["profile"]["email"] == "alice@example.com"
    assert found["user"]["tz"] == "America/Los_Angeles"
    err = api_error(client.users_lookupByEmail, email="nobody@example.com")
    assert err.response["error"] == "users_not_found"
    assert client.users_info(user="U_BOB")["user"]["real_name"] == "Bob Diaz"
    assert api_error(client.users_info, user="U_X").response["error"] == "user_not_found"
    ids: list[str] = []
    for page in client.users_list(limit=2):
        ids.extend(u["id"] for u in page["members"])
    assert {"U_ALICE", "U_BOB", "U_GONE", emu.bot_user_id} == set(ids)


def test_ephemeral_delete_permalink(emu: SlackEmulator, client: WebClient) -> None:
    eph = client.chat_postEphemeral(channel="C_SDR", user="U_BOB", text="Only you")
    assert eph["message_ts"]
    assert emu.ephemerals("U_BOB")[0]["text"] == "Only you"
    assert emu.ephemerals("U_ALICE") == []
    outsider = emu.add_user(id="U_CAROL", name="carol")
    err = api_error(client.chat_postEphemeral, channel="C_SDR", user=outsider["id"], text="x")
    assert err.response["error"] == "user_not_in_channel"

    ts = client.chat_postMessage(channel="C_SDR", text="bye")["ts"]
    link = client.chat_getPermalink(channel="C_SDR", message_ts=ts)["permalink"]
    assert link.endswith(f"/archives/C_SDR/p{ts.replace('.', '')}")
    client.chat_delete(channel="C_SDR", ts=ts)
    assert emu.messages("C_SDR") == []
    assert (
        api_error(client.chat_delete, channel="C_SDR", ts=ts).response["error"]
        == "message_not_found"
    )


def test_json_bodies_and_get_params(emu: SlackEmulator) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    r = httpx.post(
        emu.api_url + "chat.postMessage",
        json={"channel": "C_SDR", "text": "json", "blocks": card_blocks()},
        headers=headers,
    )
    assert r.json()["ok"] is True
    assert emu.messages("C_SDR")[0]["blocks"] == card_blocks()
    g = httpx.get(emu.api_url + "users.info", params={"user": "U_ALICE"}, headers=headers)
    assert g.json()["user"]["name"] == "alice"


def test_reset_keeps_workspace(emu: SlackEmulator, client: WebClient) -> None:
    client.chat_postMessage(channel="C_SDR", text="x")
    emu.fail_next("chat.postMessage")
    emu.reset()
    assert emu.calls() == [] and emu.messages() == []
    assert client.chat_postMessage(channel="C_SDR", text="y")["ok"] is True
    assert client.users_info(user="U_ALICE")["ok"] is True


def test_wait_for(emu: SlackEmulator) -> None:
    assert emu.wait_for(lambda: 42, timeout=0.1) == 42
    with pytest.raises(TimeoutError, match="still false"):
        emu.wait_for(lambda: emu.messages("C_SDR"), timeout=0.05)


def test_async_web_client(emu: SlackEmulator) -> None:
    import asyncio

    from slack_sdk.web.async_client import AsyncWebClient

    async def run() -> tuple[str, str]:
        client = AsyncWebClient(token=TOKEN, base_url=emu.api_url)
        posted = await client.chat_postMessage(channel="C_SDR", text="async", blocks=card_blocks())
        found = await client.users_lookupByEmail(email="bob@example.com")
        return str(posted["ts"]), str(found["user"]["id"])

    ts, user_id = asyncio.run(run())
    assert emu.message("C_SDR", ts)["blocks"] == card_blocks()
    assert user_id == "U_BOB"


def test_concurrent_posts_get_unique_ts(emu: SlackEmulator) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def post(i: int) -> str:
        client = WebClient(token=TOKEN, base_url=emu.api_url)
        return str(client.chat_postMessage(channel="C_SDR", text=f"m{i}")["ts"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        stamps = list(pool.map(post, range(40)))
    assert len(set(stamps)) == 40
    assert len(emu.messages("C_SDR")) == 40 and len(emu.calls("chat.postMessage")) == 40


def test_internal_error_becomes_json_500(
    emu: SlackEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from slack_emulator import methods

    def boom(*args: object) -> dict[str, object]:
        raise RuntimeError("kaboom")

    monkeypatch.setitem(methods.METHODS, "auth.test", boom)
    r = httpx.post(emu.api_url + "auth.test", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 500
    assert r.json()["error"] == "emulator_error" and "kaboom" in r.json()["detail"]

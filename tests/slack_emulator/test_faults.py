"""fail_next: rate limits, server errors and arbitrary API errors, seen by slack_sdk."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from slack_emulator import SlackEmulator

from .conftest import TOKEN


def test_ratelimited_raises_with_retry_after(emu: SlackEmulator, client: WebClient) -> None:
    emu.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C_SDR", text="x")
    response = info.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C_SDR", text="x")["ok"] is True
    assert [c.status for c in emu.calls("chat.postMessage")] == [429, 200]


def test_retry_handler_recovers(emu: SlackEmulator) -> None:
    client = WebClient(token=TOKEN, base_url=emu.api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    emu.fail_next("chat.postMessage", retry_after=0)
    assert client.chat_postMessage(channel="C_SDR", text="x")["ok"] is True
    assert [c.status for c in emu.calls("chat.postMessage")] == [429, 200]
    assert len(emu.messages("C_SDR")) == 1


def test_server_error_and_times(emu: SlackEmulator, client: WebClient) -> None:
    emu.fail_next("users.lookupByEmail", status=500, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as info:
            client.users_lookupByEmail(email="alice@example.com")
        assert info.value.response.status_code == 500
        assert info.value.response["error"] == "internal_error"
    assert client.users_lookupByEmail(email="alice@example.com")["user"]["id"] == "U_ALICE"


def test_custom_error(emu: SlackEmulator, client: WebClient) -> None:
    emu.fail_next("views.publish", error="not_enabled")
    emu.fail_next("chat.update", error="fatal_error", status=503)
    with pytest.raises(SlackApiError) as info:
        client.views_publish(user_id="U_ALICE", view={"type": "home", "blocks": []})
    assert info.value.response.status_code == 200
    assert info.value.response["error"] == "not_enabled"
    with pytest.raises(SlackApiError) as info:
        client.chat_update(channel="C_SDR", ts="1.1", text="x")
    assert (info.value.response.status_code, info.value.response["error"]) == (503, "fatal_error")
    assert client.views_publish(user_id="U_ALICE", view={"type": "home", "blocks": []})["ok"]

"""Faults where Slack did the work and still failed to say so, slow answers, and Slack's
rate tiers: what a client sees, and what the workspace holds afterwards."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_emulator import SlackEmulator
from slack_emulator.ratelimits import RateLimiter

from .conftest import TOKEN


def test_a_post_performed_then_answered_500(emu: SlackEmulator, client: WebClient) -> None:
    emu.fail_next("chat.postMessage", status=500, after=True)
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C_SDR", text="hello")
    assert info.value.response.status_code == 500
    assert [m["text"] for m in emu.messages("C_SDR")] == ["hello"]  # it was posted


def _no_retries(emu: SlackEmulator) -> WebClient:
    client = WebClient(token=TOKEN, base_url=emu.api_url, timeout=5)
    client.retry_handlers = []  # slack_sdk retries connection errors by default
    return client


def test_a_post_performed_then_the_connection_drops(emu: SlackEmulator) -> None:
    client = _no_retries(emu)
    emu.fail_next("chat.postMessage", after=True, drop=True)
    with pytest.raises(Exception) as info:  # urllib's error type varies
        client.chat_postMessage(channel="C_SDR", text="hello")
    assert not isinstance(info.value, SlackApiError)  # no answer at all
    assert [m["text"] for m in emu.messages("C_SDR")] == ["hello"]
    assert client.chat_postMessage(channel="C_SDR", text="again")["ok"]  # the next one works


def test_slack_sdks_default_client_posts_twice_when_the_answer_is_lost(
    emu: SlackEmulator,
) -> None:
    """Why the bot never retries a post inside an attempt: the blind re-send doubles it."""
    client = WebClient(token=TOKEN, base_url=emu.api_url, timeout=5)
    emu.fail_next("chat.postMessage", after=True, drop=True)
    assert client.chat_postMessage(channel="C_SDR", text="hello")["ok"]
    assert [m["text"] for m in emu.messages("C_SDR")] == ["hello", "hello"]


def test_a_drop_before_the_call_posts_nothing(emu: SlackEmulator) -> None:
    emu.fail_next("chat.postMessage", drop=True)
    with pytest.raises(Exception):  # noqa: B017
        _no_retries(emu).chat_postMessage(channel="C_SDR", text="hello")
    assert emu.messages("C_SDR") == []


def test_a_slow_answer_past_the_client_timeout(emu: SlackEmulator) -> None:
    client = WebClient(token=TOKEN, base_url=emu.api_url, timeout=0.3)
    emu.fail_next("chat.postMessage", delay=1.0)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        client.chat_postMessage(channel="C_SDR", text="slow")
    assert time.monotonic() - started < 0.9
    time.sleep(0.8)
    assert [m["text"] for m in emu.messages("C_SDR")] == ["slow"]


def test_after_needs_something_to_fail_with(emu: SlackEmulator) -> None:
    with pytest.raises(ValueError, match="after=True"):
        emu.fail_next("chat.postMessage", after=True)


def test_posts_per_channel_are_limited_with_retry_after(
    emu: SlackEmulator, client: WebClient
) -> None:
    emu.set_rate_limits(overrides={"chat.postMessage:channel": {"per_minute": 60, "burst": 2}})
    assert client.chat_postMessage(channel="C_SDR", text="1")["ok"]
    assert client.chat_postMessage(channel="C_SDR", text="2")["ok"]
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C_SDR", text="3")
    response = info.value.response
    assert (response.status_code, response["error"]) == (429, "ratelimited")
    assert int(response.headers["Retry-After"]) >= 1
    assert [m["text"] for m in emu.messages("C_SDR")] == ["1", "2"]  # the refused one is not
    im = client.conversations_open(users="U_ALICE")["channel"]["id"]
    assert client.chat_postMessage(channel=im, text="another channel")["ok"]
    assert emu.rate_limited() == {"chat.postMessage": 1}
    emu.set_rate_limits(False)
    assert client.chat_postMessage(channel="C_SDR", text="3")["ok"]


def test_tiers_are_per_method_across_the_workspace(emu: SlackEmulator, client: WebClient) -> None:
    emu.set_rate_limits(overrides={"views.publish": {"per_minute": 60, "burst": 3}})
    view = {"type": "home", "blocks": []}
    for _ in range(3):
        assert client.views_publish(user_id="U_ALICE", view=view)["ok"]
    with pytest.raises(SlackApiError) as info:
        client.views_publish(user_id="U_BOB", view=view)  # another user: same bucket
    assert info.value.response.status_code == 429
    assert client.users_info(user="U_ALICE")["ok"]  # another method: its own tier


def test_the_bucket_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter({"chat.update": {"per_minute": 60, "burst": 1}}, clock=lambda: now[0])
    assert limiter.retry_after("chat.update", {}) is None
    assert limiter.retry_after("chat.update", {}) == 1
    now[0] = 0.5
    assert limiter.retry_after("chat.update", {}) == 1  # half a token: still wait
    now[0] = 1.0
    assert limiter.retry_after("chat.update", {}) is None
    assert limiter.retry_after("unknown.method", {}) is None  # no tier known: unlimited


def test_default_tiers_match_slacks_published_floors() -> None:
    limiter = RateLimiter()
    assert limiter.limits["views.publish"].per_minute == 100  # Tier 4
    assert limiter.limits["chat.update"].per_minute == 50  # Tier 3
    assert limiter.limits["users.list"].per_minute == 20  # Tier 2
    assert limiter.per_channel.per_minute == 60  # about one post per second per channel


def test_rate_limits_from_the_control_api(emu: SlackEmulator) -> None:
    import httpx

    base = emu.api_url.removesuffix("/api/") + "/_emulator/"
    body = {"enabled": True, "overrides": {"chat.update": {"per_minute": 1, "burst": 1}}}
    assert httpx.post(base + "rate_limits", json=body).json()["ok"]
    assert emu.config.rate_limiter is not None
    assert emu.config.rate_limiter.limits["chat.update"].per_minute == 1
    assert httpx.get(base + "rate_limited").json() == {"ok": True, "rate_limited": {}}

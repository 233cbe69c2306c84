"""The bot's Slack client never re-sends a call that could be done twice: a post that
Slack performed but answered 500 (or whose connection dropped) is posted once; calls that
are safe to repeat (chat.update, views.publish) still retry in place."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack.client import api_method, make_web_client
from bot.slack.mrkdwn import Mrkdwn
from slack_emulator import SlackEmulator


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    emulator = SlackEmulator(bot_token="xoxb-test").start()
    emulator.add_user(id="U_ALICE", name="alice", email="alice@example.com")
    emulator.add_channel(id="C_SALES", name="sales")
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.mark.parametrize("interactive", [False, True])
def test_a_post_answered_500_after_it_was_done_is_not_sent_again(
    emu: SlackEmulator, interactive: bool
) -> None:
    client = make_web_client("xoxb-test", emu.api_url, interactive=interactive)
    emu.fail_next("chat.postMessage", status=500, after=True)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C_SALES", text=Mrkdwn("card"))
    assert len(emu.messages("C_SALES")) == 1
    assert len(emu.calls("chat.postMessage")) == 1


def test_a_post_whose_connection_dropped_is_not_sent_again(emu: SlackEmulator) -> None:
    client = make_web_client("xoxb-test", emu.api_url)
    emu.fail_next("chat.postMessage", after=True, drop=True)
    with pytest.raises(Exception):  # noqa: B017  (the connection error, not an API answer)
        client.chat_postMessage(channel="C_SALES", text=Mrkdwn("card"))
    assert len(emu.messages("C_SALES")) == 1


def test_an_update_retries_in_place(emu: SlackEmulator) -> None:
    client = make_web_client("xoxb-test", emu.api_url)
    ts = client.chat_postMessage(channel="C_SALES", text=Mrkdwn("v1"))["ts"]
    emu.fail_next("chat.update", status=500, after=True)
    emu.fail_next("views.publish", after=True, drop=True)
    assert client.chat_update(channel="C_SALES", ts=ts, text=Mrkdwn("v2"))["ok"]
    assert [m["text"] for m in emu.messages("C_SALES")] == ["v2"]
    assert client.views_publish(user_id="U_ALICE", view={"type": "home", "blocks": []})["ok"]
    assert len(emu.calls("views.publish")) == 2


def test_the_method_is_read_from_the_url() -> None:
    assert api_method("https://slack.com/api/chat.postMessage") == "chat.postMessage"
    assert api_method("http://127.0.0.1:3100/api/chat.update?x=1") == "chat.update"

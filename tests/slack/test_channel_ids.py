"""Channel names resolve to ids once (conversations.list), so a retried post to a named
channel can look for the earlier one in that channel's history."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.slack.channels import ChannelIds
from bot.slack.client import make_web_client
from slack_emulator import SlackEmulator


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    emulator = SlackEmulator(bot_token="xoxb-test").start()
    for i in range(250):  # more than one page of 200
        emulator.add_channel(id=f"C{i:04d}", name=f"team-{i}")
    emulator.add_channel(id="C_PRIV", name="deals", is_private=True)
    try:
        yield emulator
    finally:
        emulator.stop()


def test_names_resolve_once_and_are_cached(emu: SlackEmulator) -> None:
    now = [0.0]
    ids = ChannelIds(make_web_client("xoxb-test", emu.api_url), clock=lambda: now[0])
    assert ids.id_for("#team-249") == "C0249"
    assert ids.id_for("#Deals") == "C_PRIV"
    assert ids.id_for("#team-3") == "C0003"
    assert ids.id_for("C0007") == "C0007"  # already an id
    assert ids.id_for("U_ALICE") == "U_ALICE"
    walks = len(emu.calls("conversations.list"))
    assert walks >= 2  # paged
    assert ids.id_for("#team-5") == "C0005"
    assert len(emu.calls("conversations.list")) == walks  # from the cache


def test_an_unknown_name_is_left_for_slack_and_looked_up_again_later(
    emu: SlackEmulator,
) -> None:
    now = [0.0]
    ids = ChannelIds(make_web_client("xoxb-test", emu.api_url), clock=lambda: now[0])
    assert ids.id_for("#new-team") == "#new-team"
    calls = len(emu.calls("conversations.list"))
    assert ids.id_for("#new-team") == "#new-team"
    assert len(emu.calls("conversations.list")) == calls  # not again at once
    emu.add_channel(id="C_NEW", name="new-team")
    now[0] = 61.0
    assert ids.id_for("#new-team") == "C_NEW"

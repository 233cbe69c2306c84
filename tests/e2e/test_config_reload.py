"""routing.yml is hot-reloaded; a bad edit keeps the old config and tells admins."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx

from bot.config_store import ConfigStore
from bot.process import BotService
from bot.runtime import build_runtime
from bot.settings import Settings
from storage.db import Database
from tests.e2e.harness import (
    BOT_TOKEN,
    CONFIG,
    SIGNING_SECRET,
    WEBHOOK_TOKEN,
    Stack,
    make_emulator,
)
from tests.e2e.test_walking_skeleton import US_LEAD


def write(path: Path, text: str) -> None:
    path.write_text(text)
    # Make sure the modification time moves even on coarse file systems.
    stamp = time.time() + 1
    os.utime(path, (stamp, stamp))


def test_good_edit_goes_live_bad_edit_is_reported(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "routing.yml"
    write(path, CONFIG)
    emu = make_emulator()
    settings = Settings(
        database_url=db.url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emu.api_url,
        webhook_token=WEBHOOK_TOKEN,
        host="127.0.0.1",
        port=0,
        worker_interval=0.1,
    )
    rt = build_runtime(settings, config=ConfigStore(path), db=db)
    bot = BotService(rt).start()
    emu.events_url = f"{bot.url}/slack/events"
    http = httpx.Client(base_url=bot.url, timeout=10)
    stack = Stack(emu, bot, http)
    try:
        old_version = rt.config.config.version
        write(path, CONFIG.replace("{pool: sdr}", "{pool: nowhere}"))
        maria = emu.dm_channel_for("U_MARIA")
        alert = emu.wait_for(lambda: [m for m in emu.messages(maria) if "rejected" in m["text"]])
        assert "pools.nowhere" in alert[0]["text"] or "nowhere" in alert[0]["text"]
        assert "routing.yml:" in alert[0]["text"]  # errors carry their line numbers
        assert rt.config.config.version == old_version
        stack.post_lead(US_LEAD)
        stack.wait_for_card("U_ALICE")  # still routing with the old config

        write(path, CONFIG.replace("members: [alice, bob]", "members: [bob, alice]"))
        emu.wait_for(lambda: rt.config.config.version != old_version, timeout=6)
        lead = stack.post_lead({**US_LEAD, "external_id": "after-reload"}).json()["id"]
        decision = emu.wait_for(lambda: stack.get_lead(lead)["decision"])
        assert decision["config_version"] == rt.config.config.version
    finally:
        http.close()
        bot.stop()
        emu.stop()

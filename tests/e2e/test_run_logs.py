"""``leadrouter run`` as a process: every line it writes is one JSON object (uvicorn's
included), stamped in UTC with milliseconds, and holds no secret."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx

from storage.db import Database
from tests.e2e.harness import BOT_TOKEN, CONFIG, SIGNING_SECRET, WEBHOOK_TOKEN, make_emulator
from tests.e2e.process import BotProcess

UTC_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_every_line_is_structured(db: Database, tmp_path: Path) -> None:
    emu = make_emulator()
    config = tmp_path / "routing.yml"
    config.write_text(CONFIG)
    log = tmp_path / "bot.log"
    bot = BotProcess(
        database_url=db.url, config_path=config, slack_api_url=emu.api_url, log_path=log
    )
    try:
        bot.start()
        lead = {"email": "x@acme.example", "last_name": "X", "country": "US"}
        headers = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
        assert httpx.post(f"{bot.url}/leads", json=lead, headers=headers).status_code == 202
        httpx.post(f"{bot.url}/slack/events", content=b"{oops")  # a refused request, logged
    finally:
        bot.stop()
        emu.stop()
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # raises on any plain-text line
    loggers = {r["logger"] for r in records}
    assert any(name.startswith("uvicorn") for name in loggers), loggers
    assert all(UTC_MS.match(r["at"]) for r in records), [r["at"] for r in records][:3]
    text = log.read_text()
    for secret in (BOT_TOKEN, SIGNING_SECRET, WEBHOOK_TOKEN):
        assert secret not in text

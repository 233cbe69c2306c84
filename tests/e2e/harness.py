"""A running stack for end-to-end tests: the real bot over HTTP, the Slack emulator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bot.clock import Clock
from bot.config_store import ConfigStore
from bot.process import BotService
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from slack_emulator import SlackEmulator
from storage.db import Database

WEBHOOK_TOKEN = "test-webhook-token"
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"

CONFIG = """
timezone: UTC
admins: [maria]
reps:
  - {id: alice, name: Alice Chen, email: alice@example.com}
  - {id: bob, name: Bob Diaz, email: bob@example.com}
  - {id: carol, name: Carol Wu, email: carol@example.com}
  - {id: maria, name: Maria Gomez, email: maria@example.com}
pools:
  sdr: {strategy: round_robin, members: [alice, bob], manager: maria}
queues:
  triage: {channel: "#inbound-triage", members: [alice, bob]}
rules:
  - {name: US, when: {country: US}, assign: {pool: sdr}}
  - {name: Germany, when: {country: DE}, assign: {queue: triage}}
"""

USERS = {
    "alice": "U_ALICE",
    "bob": "U_BOB",
    "carol": "U_CAROL",
    "maria": "U_MARIA",
}


@dataclass
class Stack:
    emu: SlackEmulator
    bot: BotService
    http: httpx.Client

    @property
    def rt(self) -> Runtime:
        return self.bot.rt

    def post_lead(self, body: Any, **headers: str) -> httpx.Response:
        return self.http.post(
            "/leads", json=body, headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}", **headers}
        )

    def get_lead(self, ref: str) -> dict[str, Any]:
        response = self.http.get(
            f"/leads/{ref}", headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
        )
        response.raise_for_status()
        return response.json()

    def wait_for_card(self, user: str, count: int = 1, timeout: float = 5) -> dict[str, Any]:
        dm = self.emu.dm_channel_for(user)
        return self.emu.wait_for(
            lambda: (msgs := self.emu.messages(dm)) and len(msgs) >= count and msgs[count - 1],
            timeout=timeout,
        )


def make_emulator(users: dict[str, str] | None = None) -> SlackEmulator:
    emu = SlackEmulator(signing_secret=SIGNING_SECRET, bot_token=BOT_TOKEN).start()
    for rep, user_id in (users or USERS).items():
        emu.add_user(id=user_id, name=rep, email=f"{rep}@example.com", real_name=rep.title())
    emu.add_user(id="U_STRANGER", name="stranger", email="stranger@example.com")
    emu.add_channel(id="C_TRIAGE", name="inbound-triage", members=["U_ALICE", "U_BOB"])
    return emu


@contextmanager
def running_stack(
    db: Database,
    *,
    config: str = CONFIG,
    clock: Clock | None = None,
    users: dict[str, str] | None = None,
    worker_interval: float = 0.1,
) -> Iterator[Stack]:
    emu = make_emulator(users)
    settings = Settings(
        database_url=db.url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=emu.api_url,
        webhook_token=WEBHOOK_TOKEN,
        host="127.0.0.1",
        port=0,
        worker_interval=worker_interval,
    )
    rt = build_runtime(settings, config=ConfigStore(text=config), clock=clock, db=db)
    bot = BotService(rt).start()
    emu.events_url = f"{bot.url}/slack/events"
    client = httpx.Client(base_url=bot.url, timeout=10)
    try:
        yield Stack(emu, bot, client)
    finally:
        client.close()
        bot.stop()
        emu.stop()


def ask(stack: Stack, user: str, text: str) -> str:
    """``/leads text`` as ``user``; the ephemeral reply's text."""
    before = len(stack.emu.ephemerals(user))
    response = stack.emu.slash(user, "/leads", text)
    assert response.status_code == 200
    replies = stack.emu.wait_for(
        lambda: len(stack.emu.ephemerals(user)) > before and stack.emu.ephemerals(user)
    )
    return str(replies[-1]["text"])

"""Fifty members click Claim on one queue card at the same moment: exactly one wins."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bot.actions import ActionId
from storage.db import Database
from tests.e2e.harness import Stack, make_emulator
from tests.e2e.process import BotProcess

MEMBERS = [f"rep{i:02d}" for i in range(50)]
CONFIG = (
    "reps:\n"
    + "".join(f"  - {{id: {r}, name: Rep {r}, email: {r}@example.com}}\n" for r in MEMBERS)
    + "pools:\n  everyone: {members: ["
    + ", ".join(MEMBERS)
    + "]}\n"
    + 'queues:\n  triage: {channel: "#inbound-triage", members: everyone}\n'
    + "rules:\n  - {name: All, assign: {queue: triage}}\n"
)
USERS = {r: f"U_{r.upper()}" for r in MEMBERS}


@pytest.fixture
def stack(db: Database, tmp_path: Path) -> Iterator[Stack]:
    """The bot runs as its own process, as in production: the clicking threads and the
    emulator here do not share its interpreter."""
    emu = make_emulator(USERS)
    config = tmp_path / "routing.yml"
    config.write_text(CONFIG)
    bot = BotProcess(
        database_url=db.url,
        config_path=config,
        slack_api_url=emu.api_url,
        log_path=tmp_path / "bot.log",
    ).start()
    emu.events_url = f"{bot.url}/slack/events"
    http = httpx.Client(base_url=bot.url, timeout=10)
    try:
        yield Stack(emu, None, http)  # type: ignore[arg-type]
    finally:
        http.close()
        bot.stop()
        emu.stop()


def test_fifty_concurrent_claims(stack: Stack) -> None:
    # A running bot has mapped its reps to Slack users (at start-up): wait for that.
    stack.emu.wait_for(
        lambda: len(stack.emu.calls("users.lookupByEmail")) >= len(USERS), timeout=20
    )
    lead_id = stack.post_lead({"email": "x@acme.example", "external_id": "race-1"}).json()["id"]
    card = stack.emu.wait_for(lambda: stack.emu.messages("C_TRIAGE"))[0]
    value = next(
        el["value"]
        for block in card["blocks"]
        if block["type"] == "actions"
        for el in block["elements"]
        if el["action_id"] == ActionId.CLAIM
    )

    def click(user: str) -> tuple[int, float]:
        started = time.monotonic()
        # The value is passed explicitly: every client still shows the unclaimed card.
        response = stack.emu.click(user, card["channel"], card["ts"], ActionId.CLAIM, value=value)
        return response.status_code, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(click, USERS.values()))

    assert all(status == 200 for status, _ in results)
    slowest = max(seconds for _, seconds in results)
    assert slowest < 3.0, f"slowest ack took {slowest:.2f}s (Slack allows 3s)"

    def replies() -> dict[str, str] | None:
        got = {u: stack.emu.ephemerals(u) for u in USERS.values()}
        return {u: str(r[-1]["text"]) for u, r in got.items()} if all(got.values()) else None

    texts = stack.emu.wait_for(replies, timeout=15)
    winners = [u for u, t in texts.items() if t.startswith("It's yours")]
    losers = [u for u, t in texts.items() if t.startswith("Already claimed by")]
    assert len(winners) == 1 and len(losers) == 49
    owner = stack.get_lead(lead_id)["assignee"]
    assert owner == winners[0].removeprefix("U_").lower()
    assert all(f"<@{winners[0]}>" in texts[u] for u in losers)
    lead = stack.get_lead(lead_id)
    assert [o["outcome"] for o in lead["offers"]] == ["accepted"]

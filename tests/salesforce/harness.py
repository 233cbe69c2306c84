"""The bot with the Slack emulator and the Salesforce emulator, for end-to-end tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config_store import ConfigStore
from bot.process import BotService
from bot.runtime import build_runtime
from bot.salesforce.client import SalesforceClient, auth_from_settings
from bot.settings import Settings
from storage.db import Database
from tests import shared
from tests.e2e.harness import (
    BOT_TOKEN,
    CONFIG,
    SIGNING_SECRET,
    WEBHOOK_TOKEN,
    Stack,
    make_emulator,
)
from tests.salesforce_emulator import SalesforceEmulator

# A real org's export when ../shared is there, else the small synthetic org in tests/data.
_WORKSHOP = shared.DATA / "salesforce" / "records" / "data-cloud-workshop"
_SYNTHETIC = Path(__file__).resolve().parents[1] / "data" / "salesforce_org"
RECORDS = _WORKSHOP if _WORKSHOP.is_dir() else _SYNTHETIC

SF_CONFIG = (
    CONFIG
    + """
salesforce:
  poll_interval: 1s
  owner_update: on_accept
  create_task: true
"""
)


def salesforce_settings(emu: SalesforceEmulator, mode: str = "session") -> dict[str, Any]:
    base: dict[str, Any] = {"salesforce_ca_bundle": str(emu.ca_pem_path)}
    if mode == "session":
        base |= {
            "salesforce_session_id": emu.session_id,
            "salesforce_instance_url": emu.instance_url,
        }
    elif mode == "password":
        base |= {
            "salesforce_username": emu.username,
            "salesforce_password": emu.password,
            "salesforce_security_token": emu.security_token,
            "salesforce_domain": emu.login_url,
        }
    elif mode == "oauth_password":
        base |= {
            "salesforce_username": emu.username,
            "salesforce_password": emu.password,
            "salesforce_security_token": emu.security_token,
            "salesforce_consumer_key": emu.consumer_key,
            "salesforce_consumer_secret": emu.consumer_secret,
            "salesforce_domain": emu.login_url,
        }
    elif mode == "jwt":
        base |= {
            "salesforce_username": emu.username,
            "salesforce_consumer_key": emu.consumer_key,
            "salesforce_private_key_file": str(emu.jwt_private_key_path),
            "salesforce_domain": emu.login_url,
        }
    else:
        raise ValueError(mode)
    return base


def make_client(emu: SalesforceEmulator, mode: str = "session") -> SalesforceClient:
    settings = Settings(**salesforce_settings(emu, mode))
    auth = auth_from_settings(settings)
    assert auth is not None
    return SalesforceClient(auth, ca_bundle=str(emu.ca_pem_path))


@pytest.fixture
def sf() -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator(records_dir=RECORDS) as emu:
        yield emu


@contextmanager
def salesforce_stack(
    db: Database,
    emu: SalesforceEmulator,
    *,
    config: str = SF_CONFIG,
    mode: str = "session",
    scheduler: bool = True,
) -> Iterator[Stack]:
    slack = make_emulator()
    settings = Settings(
        database_url=db.url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        webhook_token=WEBHOOK_TOKEN,
        host="127.0.0.1",
        port=0,
        worker_interval=0.1,
        **salesforce_settings(emu, mode),
    )
    rt = build_runtime(settings, config=ConfigStore(text=config), db=db)
    bot = BotService(rt)
    if not scheduler:
        bot.scheduler.remove_job("salesforce")
        bot.scheduler.remove_job("salesforce-sync")
    bot.start()
    slack.events_url = f"{bot.url}/slack/events"
    client = httpx.Client(base_url=bot.url, timeout=10)
    try:
        yield Stack(slack, bot, client)
    finally:
        client.close()
        bot.stop()
        slack.stop()


def records_path() -> Path:
    return RECORDS


def wait_until(predicate: Callable[[], Any], timeout: float = 15) -> Any:
    """``predicate()`` once it is truthy; AssertionError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")

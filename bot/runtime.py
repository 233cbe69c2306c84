"""Everything a running bot shares: built once in ``build_runtime``, never at import."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from slack_sdk import WebClient

from bot.clock import Clock, SystemClock
from bot.config_store import ConfigStore
from bot.metrics import Metrics
from bot.salesforce.client import SalesforceClient, make_salesforce_client
from bot.services.matching import Matcher
from bot.settings import Settings, reveal
from bot.slack.channels import ChannelIds
from bot.slack.client import make_web_client
from bot.slack.users import SlackDirectory
from storage.db import Database


@dataclass
class Runtime:
    settings: Settings
    db: Database
    config: ConfigStore
    clock: Clock
    slack: WebClient
    directory: SlackDirectory
    # Set when new outbox work is committed, so delivery does not wait for the next tick.
    outbox_ready: threading.Event = field(default_factory=threading.Event)
    metrics: Metrics = field(default_factory=Metrics)
    # None when no Salesforce credentials are set: Salesforce features are off.
    salesforce: SalesforceClient | None = None
    # Lead-to-account matching against the local CRM tables (index cached per process).
    matcher: Matcher = field(default_factory=Matcher)
    # Channel names resolved to ids once (posts go to ids, so a retry can find them).
    channels: ChannelIds | None = None

    def wake_outbox(self) -> None:
        self.outbox_ready.set()


def build_runtime(
    settings: Settings,
    *,
    config: ConfigStore | None = None,
    clock: Clock | None = None,
    db: Database | None = None,
    salesforce: SalesforceClient | None = None,
) -> Runtime:
    clock = clock or SystemClock()
    db = db or Database(settings.database_url, **settings.pool_options())
    config = config or ConfigStore(settings.config_path)
    slack = make_web_client(reveal(settings.slack_bot_token), settings.slack_api_url)
    directory = SlackDirectory(db, slack, config, clock)
    if salesforce is None:
        salesforce = make_salesforce_client(settings)
    rt = Runtime(
        settings,
        db,
        config,
        clock,
        slack,
        directory,
        salesforce=salesforce,
        channels=ChannelIds(slack),
    )
    # One unit of work: a transaction that queued side effects wakes the worker on commit.
    db.after_outbox_commit.append(rt.wake_outbox)
    return rt

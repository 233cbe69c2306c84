"""Settings from the environment (SPEC §4); secrets never reach logs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from storage.db import default_database_url

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    config_path: Path = Path("routing.yml")
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    webhook_token: str | None = field(default=None, repr=False)
    salesforce_instance_url: str | None = None
    port: int = 3000
    host: str = "0.0.0.0"
    # How often the outbox and timer workers look for due work when not woken.
    worker_interval: float = 0.5
    # How often due SLA timers are looked for (sub-second: lateness stays small).
    timer_interval: float = 0.25

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        e = os.environ if env is None else env
        values: dict[str, object] = {
            "database_url": e.get("DATABASE_URL") or default_database_url(),
            "config_path": Path(e.get("LEADROUTER_CONFIG", "routing.yml")),
            "slack_bot_token": e.get("SLACK_BOT_TOKEN") or None,
            "slack_signing_secret": e.get("SLACK_SIGNING_SECRET") or None,
            "slack_app_token": e.get("SLACK_APP_TOKEN") or None,
            "slack_api_url": e.get("SLACK_API_URL") or DEFAULT_SLACK_API_URL,
            "webhook_token": e.get("LEADROUTER_WEBHOOK_TOKEN") or None,
            "salesforce_instance_url": e.get("SALESFORCE_INSTANCE_URL") or None,
            "port": int(e.get("PORT", "3000")),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def missing_for_slack(self) -> list[str]:
        missing = []
        if not self.slack_bot_token:
            missing.append("SLACK_BOT_TOKEN")
        if not self.slack_signing_secret and not self.slack_app_token:
            missing.append("SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)")
        return missing

"""Settings from the environment (SPEC §4); secrets never reach logs."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from storage.db import default_database_url, mask_passwords, safe_database_url

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


# Left out of repr and str; database_url is shown with its password hidden.
SECRET_FIELDS = frozenset(
    {
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "webhook_token",
        "salesforce_session_id",
        "salesforce_password",
        "salesforce_security_token",
        "salesforce_consumer_secret",
    }
)


@dataclass(frozen=True, repr=False)
class Settings:
    database_url: str = field(default_factory=default_database_url)
    config_path: Path = Path("routing.yml")
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    webhook_token: str | None = field(default=None, repr=False)
    salesforce_instance_url: str | None = None
    salesforce_session_id: str | None = field(default=None, repr=False)
    salesforce_username: str | None = None
    salesforce_password: str | None = field(default=None, repr=False)
    salesforce_security_token: str | None = field(default=None, repr=False)
    # login | test | a My Domain (acme.my) | a full login URL (https://127.0.0.1:8443)
    salesforce_domain: str | None = None
    salesforce_consumer_key: str | None = None
    salesforce_consumer_secret: str | None = field(default=None, repr=False)
    salesforce_private_key_file: str | None = None
    salesforce_ca_bundle: str | None = None
    salesforce_api_version: str = "59.0"
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
            "salesforce_session_id": e.get("SALESFORCE_SESSION_ID") or None,
            "salesforce_username": e.get("SALESFORCE_USERNAME") or None,
            "salesforce_password": e.get("SALESFORCE_PASSWORD") or None,
            "salesforce_security_token": e.get("SALESFORCE_SECURITY_TOKEN") or None,
            "salesforce_domain": e.get("SALESFORCE_DOMAIN") or None,
            "salesforce_consumer_key": e.get("SALESFORCE_CONSUMER_KEY") or None,
            "salesforce_consumer_secret": e.get("SALESFORCE_CONSUMER_SECRET") or None,
            "salesforce_private_key_file": e.get("SALESFORCE_PRIVATE_KEY_FILE") or None,
            "salesforce_ca_bundle": e.get("SALESFORCE_CA_BUNDLE") or None,
            "salesforce_api_version": (e.get("SALESFORCE_API_VERSION") or "59.0").lstrip("v"),
            "port": int(e.get("PORT", "3000")),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS:
                continue
            if f.name == "database_url":
                text = repr(self.safe_database_url)
            else:
                # Other URLs (SLACK_API_URL, a Salesforce instance) may carry user:pw@ too.
                text = mask_passwords(repr(value))
            shown.append(f"{f.name}={text}")
        return f"Settings({', '.join(shown)})"

    @property
    def safe_database_url(self) -> str:
        """DATABASE_URL fit to print or log: the password as ***."""
        return safe_database_url(self.database_url)

    def missing_for_slack(self) -> list[str]:
        missing = []
        if not self.slack_bot_token:
            missing.append("SLACK_BOT_TOKEN")
        if not self.slack_signing_secret and not self.slack_app_token:
            missing.append("SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)")
        return missing

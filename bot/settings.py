"""Settings from the environment (SPEC §4): every variable typed and documented here.

``Settings.from_env()`` reads them. A bad value is a ``SettingsError`` whose one line
names the variable and what it expects. Secrets are ``SecretStr`` (``***`` in every repr
and log) and may come from a file: ``NAME_FILE=/run/secrets/name`` instead of ``NAME``
(container secrets); setting both is an error. ``DATABASE_URL`` prints with its password
hidden. ``Settings(...)`` with keyword arguments never reads the process environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.http.limits import DEFAULT_MAX_BODY_LEADS, DEFAULT_MAX_BODY_SLACK
from storage.db import default_database_url, mask_passwords, safe_database_url

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
_WHOLE_NUMBER = re.compile(r"^[0-9]+$")


class SettingsError(ValueError):
    """A setting cannot be used; the message is one line naming its variable."""


class Settings(BaseSettings):
    """One field per environment variable (``ENV`` maps them); defaults are production's."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid")

    database_url: str = Field(default_factory=default_database_url, repr=False)
    config_path: Path = Path("routing.yml")
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    # One token, or "current,next" while rotating it.
    webhook_token: SecretStr | None = None
    salesforce_instance_url: str | None = None
    salesforce_session_id: SecretStr | None = None
    salesforce_username: str | None = None
    salesforce_password: SecretStr | None = None
    salesforce_security_token: SecretStr | None = None
    # login | test | a My Domain (acme.my) | a full login URL (https://127.0.0.1:8443)
    salesforce_domain: str | None = None
    salesforce_consumer_key: str | None = None
    salesforce_consumer_secret: SecretStr | None = None
    salesforce_private_key_file: str | None = None
    salesforce_ca_bundle: str | None = None
    salesforce_api_version: str = "59.0"
    port: int = Field(3000, ge=0, le=65535)
    host: str = "0.0.0.0"
    db_pool_size: int = Field(10, ge=1, le=1000)
    db_max_overflow: int = Field(20, ge=0, le=1000)
    max_body_slack: int = Field(DEFAULT_MAX_BODY_SLACK, ge=1024)
    max_body_leads: int = Field(DEFAULT_MAX_BODY_LEADS, ge=1024)
    log_format: Literal["json", "text"] = "json"
    # How often the outbox and timer workers look for due work when not woken.
    worker_interval: float = Field(0.5, gt=0, le=60)
    # How often due SLA timers are looked for (sub-second: lateness stays small).
    timer_interval: float = Field(0.25, gt=0, le=60)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Only what from_env() (or a test) passes in: the environment is read in one
        # place, with NAME_FILE and the one-line errors.
        return (init_settings,)

    @field_validator(
        "port",
        "db_pool_size",
        "db_max_overflow",
        "max_body_slack",
        "max_body_leads",
        mode="before",
    )
    @classmethod
    def _whole_number(cls, value: Any) -> Any:
        # Environment text: plain ASCII digits only (int() also takes full-width digits).
        if isinstance(value, str):
            value = value.strip()
            if not _WHOLE_NUMBER.match(value):
                raise ValueError("expected a whole number")
            return int(value)
        return value

    @field_validator("slack_api_url", "salesforce_instance_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value

    @field_validator("salesforce_api_version")
    @classmethod
    def _api_version(cls, value: str) -> str:
        value = value.lstrip("vV")
        major, _, minor = value.partition(".")
        if not (major.isdigit() and (minor == "" or minor.isdigit())):
            raise ValueError("expected an API version like 59.0")
        return value if minor else f"{value}.0"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """The settings in ``env`` (default ``os.environ``); ``overrides`` by field name."""
        values = read_environment(os.environ if env is None else env)
        values.update(overrides)
        return cls.checked(**values)

    @classmethod
    def checked(cls, **values: Any) -> Settings:
        try:
            return cls(**values)
        except ValidationError as err:
            raise SettingsError(_one_line(err, values)) from None

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes``, validated like the original."""
        current = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self).checked(**{**current, **changes})

    @property
    def safe_database_url(self) -> str:
        """DATABASE_URL fit to print or log: the password as ***."""
        return safe_database_url(self.database_url)

    def __repr_args__(self) -> Any:
        # Secrets are left out entirely; database_url (repr=False) is shown masked.
        yield "database_url", self.safe_database_url
        for name, value in super().__repr_args__():
            if name in SECRETS:
                continue
            # Other URLs (SLACK_API_URL, a Salesforce instance) may carry user:pw@ too.
            yield name, mask_passwords(value) if isinstance(value, str) else value

    def __str__(self) -> str:
        return repr(self)

    def pool_options(self) -> dict[str, int]:
        """The database connection pool per process (PostgreSQL; SQLite keeps its own)."""
        if self.database_url.startswith("sqlite"):
            return {}
        return {"pool_size": self.db_pool_size, "max_overflow": self.db_max_overflow}

    def missing_for_slack(self) -> list[str]:
        missing = []
        if not self.slack_bot_token:
            missing.append("SLACK_BOT_TOKEN")
        if not self.slack_signing_secret and not self.slack_app_token:
            missing.append("SLACK_SIGNING_SECRET (HTTP mode) or SLACK_APP_TOKEN (Socket Mode)")
        return missing


def reveal(secret: SecretStr | None) -> str | None:
    """The value behind a secret, for the one call that needs it (never to log)."""
    return secret.get_secret_value() if secret is not None else None


# Field -> environment variable. Everything the bot reads from its environment is here.
ENV: dict[str, str] = {
    "database_url": "DATABASE_URL",
    "config_path": "LEADROUTER_CONFIG",
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_api_url": "SLACK_API_URL",
    "webhook_token": "LEADROUTER_WEBHOOK_TOKEN",
    "salesforce_instance_url": "SALESFORCE_INSTANCE_URL",
    "salesforce_session_id": "SALESFORCE_SESSION_ID",
    "salesforce_username": "SALESFORCE_USERNAME",
    "salesforce_password": "SALESFORCE_PASSWORD",
    "salesforce_security_token": "SALESFORCE_SECURITY_TOKEN",
    "salesforce_domain": "SALESFORCE_DOMAIN",
    "salesforce_consumer_key": "SALESFORCE_CONSUMER_KEY",
    "salesforce_consumer_secret": "SALESFORCE_CONSUMER_SECRET",
    "salesforce_private_key_file": "SALESFORCE_PRIVATE_KEY_FILE",
    "salesforce_ca_bundle": "SALESFORCE_CA_BUNDLE",
    "salesforce_api_version": "SALESFORCE_API_VERSION",
    "port": "PORT",
    "host": "LEADROUTER_HOST",
    "db_pool_size": "LEADROUTER_DB_POOL_SIZE",
    "db_max_overflow": "LEADROUTER_DB_MAX_OVERFLOW",
    "max_body_slack": "LEADROUTER_MAX_BODY_SLACK",
    "max_body_leads": "LEADROUTER_MAX_BODY_LEADS",
    "log_format": "LEADROUTER_LOG_FORMAT",
}
# Values never echoed in an error (a pasted secret in the wrong variable stays hidden).
SECRETS = frozenset(
    name
    for name, field in Settings.model_fields.items()
    if "SecretStr" in str(field.annotation) or name == "database_url"
)

SECRET_FIELDS = SECRETS - {"database_url"}


def log_format_from_env(env: Mapping[str, str] | None = None) -> str:
    """LEADROUTER_LOG_FORMAT (or its _FILE) alone: logging is set up before a command
    reads the rest of its settings."""
    e = os.environ if env is None else env
    var = ENV["log_format"]
    only = {k: v for k, v in e.items() if k in (var, f"{var}_FILE")}
    return Settings.checked(**read_environment(only)).log_format


def read_environment(env: Mapping[str, str]) -> dict[str, Any]:
    """Field values from ``env``: empty means unset; ``NAME_FILE`` reads ``NAME`` from a file."""
    values: dict[str, Any] = {}
    for name, var in ENV.items():
        value = env.get(var) or None
        path = env.get(f"{var}_FILE") or None
        if value is not None and path is not None:
            raise SettingsError(f"{var} and {var}_FILE are both set: keep one")
        if path is not None:
            try:
                # A file written by `echo` ends with a newline that is not part of it.
                value = Path(path).read_text(encoding="utf-8").rstrip("\r\n") or None
            except OSError as exc:
                raise SettingsError(
                    f"{var}_FILE: cannot read {path} ({exc.strerror or type(exc).__name__})"
                ) from None
        if value is not None:
            values[name] = value
    return values


def _one_line(err: ValidationError, values: Mapping[str, Any]) -> str:
    problem = err.errors()[0]
    field = str(problem["loc"][0]) if problem["loc"] else "?"
    var = ENV.get(field, field)
    message = str(problem["msg"]).removeprefix("Value error, ")
    message = message[0].lower() + message[1:] if message else "invalid value"
    shown = "" if field in SECRETS else f", got {values.get(field)!r}"
    more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{var}: {message}{shown}{more}"

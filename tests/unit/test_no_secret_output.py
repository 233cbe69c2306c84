"""Secrets stay out of output: database URLs print with the password hidden, the log
filter redacts tokens and passwords, and Settings' repr shows no secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.logging_setup import RedactSecrets, configure_logging, redact
from bot.settings import SECRET_FIELDS, Settings, reveal
from storage.db import (
    Database,
    DatabaseUrlError,
    database_error_message,
    make_engine,
    mask_passwords,
    safe_database_url,
)

PW = "s3cretpw"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            f"postgresql+psycopg://user:{PW}@db.internal:5432/leads",
            "postgresql+psycopg://user:***@db.internal:5432/leads",
        ),
        (f"postgresql+psycopg://user:{PW}%40x@h/db", "postgresql+psycopg://user:***@h/db"),
        (f"postgresql://user:{PW}@h/db", "postgresql://user:***@h/db"),
        (
            f"postgresql+psycopg://user@h/db?sslmode=require&password={PW}",
            "postgresql+psycopg://user@h/db?password=***&sslmode=require",
        ),
        ("postgresql+psycopg://user@h/db", "postgresql+psycopg://user@h/db"),
        ("sqlite:///var/leadrouter.db", "sqlite:///var/leadrouter.db"),
        (make_url(f"postgresql+psycopg://u:{PW}@h/d"), "postgresql+psycopg://u:***@h/d"),
    ],
)
def test_safe_database_url_hides_the_password(url: str, shown: str) -> None:
    assert safe_database_url(url) == shown


@pytest.mark.parametrize("url", [f"not a url {PW}", PW, f"postgresql://u:{PW}@h:port/d"])
def test_unparseable_url_is_never_echoed(url: str) -> None:
    assert safe_database_url(url) == "(DATABASE_URL is not a valid SQLAlchemy URL)"
    with pytest.raises(DatabaseUrlError) as raised:
        make_engine(url)
    assert str(raised.value) == "DATABASE_URL is not a valid SQLAlchemy URL"
    # Not chained to the parser's error, which may quote the value.
    assert raised.value.__suppress_context__ and raised.value.__cause__ is None


def test_database_repr_hides_the_password() -> None:
    db = Database(f"postgresql+psycopg://u:{PW}@127.0.0.1:1/d")
    try:
        assert PW not in repr(db) and PW not in str(db) and PW not in repr(db.engine)
        assert db.safe_url == "postgresql+psycopg://u:***@127.0.0.1:1/d"
    finally:
        db.dispose()


def test_database_error_message_is_one_line_without_the_password() -> None:
    url = f"postgresql+psycopg://u:{PW}@127.0.0.1:1/d"
    db = Database(url)
    try:
        with pytest.raises(OperationalError) as raised:
            db.engine.connect()
    finally:
        db.dispose()
    message = database_error_message(raised.value, url)
    assert "\n" not in message and PW not in message
    assert message.startswith("database unreachable at postgresql+psycopg://u:***@127.0.0.1:1/d: ")
    assert message.endswith("; is DATABASE_URL right?")


def test_database_error_message_masks_a_password_the_driver_quotes() -> None:
    # A driver that echoes its connection string: the reason is masked as well.
    error = OperationalError(
        "connect", {}, Exception(f"bad dsn host=h password={PW} and postgresql://u:{PW}@h/d\nmore")
    )
    message = database_error_message(error, "postgresql+psycopg://u@h/d")
    assert PW not in message and "password=***" in message and "u:***@h" in message
    assert "more" not in message


def test_missing_schema_is_not_ready() -> None:
    error = ProgrammingError("SELECT 1", {}, Exception('relation "leads" does not exist'))
    message = database_error_message(error, "postgresql+psycopg://u@h/d")
    assert "is not ready" in message and "leadrouter db upgrade" in message


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("token xoxb-1234-5678-abcdEFGH", "xoxb-***"),
        ("user token xoxp-1-2-3-abc", "xoxp-***"),
        ("xoxa-2-abc xoxr-abc xoxs-abc xoxe-1-abc", "xoxa-*** xoxr-*** xoxs-*** xoxe-***"),
        ("app token=xapp-1-A01-123-abcdef", "token=xapp-***"),
        ('{"Authorization": "Bearer abc.def-ghi"}', '{"Authorization": "Bearer ***"}'),
        ("authorization: bearer sometoken123", "authorization: bearer ***"),
        (f"postgresql+psycopg://user:{PW}@h:5432/db", "postgresql+psycopg://user:***@h:5432/db"),
        (f"see https://admin:{PW}@example.com/x", "https://admin:***@example.com/x"),
        (f"host=h password={PW} dbname=d", "password=*** dbname=d"),
        (f"SALESFORCE_PASSWORD={PW}", "SALESFORCE_PASSWORD=***"),
    ],
)
def test_redact(text: str, hidden: str) -> None:
    out = redact(text)
    assert hidden in out
    for secret in (PW, "abcdEFGH", "abcdef", "abc.def", "sometoken123", "1-2-3-abc"):
        assert secret not in out
    assert redact(out) == out  # idempotent: a record redacted twice reads the same


@pytest.mark.parametrize(
    "text",
    ["https://hooks.example.com:8443/path", "no secrets here", "port 5432 at 127.0.0.1", "xoxo"],
)
def test_redact_leaves_ordinary_text(text: str) -> None:
    assert redact(text) == text


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose output goes through the production handler (filter + JSON)."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging(logging.DEBUG, stream=stream)
    try:
        yield logging.getLogger("tests.redaction"), stream
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def test_filter_redacts_message_args_extras_and_exceptions(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    log, stream = logged
    log.info("calling with %s", "xoxb-111-222-secretbot")
    log.warning(
        "sent",
        extra={
            "headers": {"Authorization": "Bearer hooksecret1"},
            "urls": [f"postgresql://u:{PW}@h/d"],
            "app": "xapp-1-secretapp",
            "count": 3,
            "settings": Settings(slack_bot_token="xoxb-in-settings-secret"),
        },
    )
    try:
        raise RuntimeError(f"could not connect to postgresql://u:{PW}@h/d with xoxb-exc-secret")
    except RuntimeError:
        log.exception("failed")
    log.info("stack", stack_info=True, extra={"note": f"password={PW}"})
    text = stream.getvalue()
    for secret in ("secretbot", "hooksecret1", PW, "secretapp", "in-settings-secret", "exc-secret"):
        assert secret not in text, text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["event"] == "calling with xoxb-***"
    assert lines[1]["headers"] == {"Authorization": "Bearer ***"} and lines[1]["count"] == 3
    assert "RuntimeError" in lines[2]["exc"] and "u:***@h" in lines[2]["exc"]
    assert "stack" in lines[3]


def test_filter_tolerates_a_bad_format() -> None:
    record = logging.makeLogRecord({"msg": "%s %s", "args": ("one",)})
    assert RedactSecrets().filter(record) is True  # logging reports the bad format itself


def test_uvicorn_loggers_are_filtered_too(logged: tuple[logging.Logger, io.StringIO]) -> None:
    # uvicorn installs its own handlers, which never see ours: the filter sits on its loggers.
    uvicorn_log = logging.getLogger("uvicorn.error")
    stream = io.StringIO()
    own = logging.StreamHandler(stream)
    uvicorn_log.addHandler(own)
    try:
        uvicorn_log.error("token xoxb-uv-secret")
    finally:
        uvicorn_log.removeHandler(own)
    assert "xoxb-***" in stream.getvalue() and "uv-secret" not in stream.getvalue()


def test_settings_repr_and_str_hide_every_secret() -> None:
    env = {
        "DATABASE_URL": f"postgresql+psycopg://u:{PW}@h/d",
        "SLACK_BOT_TOKEN": "xoxb-secret-bot",
        "SLACK_SIGNING_SECRET": "secret-signing",
        "SLACK_APP_TOKEN": "xapp-secret-app",
        "SLACK_API_URL": "https://proxyuser:secret-proxy@slack.example/api/",
        "LEADROUTER_WEBHOOK_TOKEN": "secret-webhook-a,secret-webhook-b",
        "SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com",
        "SALESFORCE_SESSION_ID": "secret-session",
        "SALESFORCE_USERNAME": "ops@acme.example",
        "SALESFORCE_PASSWORD": "secret-sf-password",
        "SALESFORCE_SECURITY_TOKEN": "secret-sf-token",
        "SALESFORCE_CONSUMER_SECRET": "secret-consumer",
    }
    settings = Settings.from_env(env)
    for shown in (repr(settings), str(settings), f"{settings}", repr([settings])):
        assert "secret" not in shown, shown
        assert not any(name in shown for name in SECRET_FIELDS)
        assert PW not in shown
        assert "postgresql+psycopg://u:***@h/d" in shown and "ops@acme.example" in shown
    assert settings.safe_database_url == "postgresql+psycopg://u:***@h/d"
    # The values themselves are intact for the code that needs them.
    assert reveal(settings.slack_bot_token) == "xoxb-secret-bot" and PW in settings.database_url


def test_every_secret_looking_field_is_listed() -> None:
    # A new field named like a credential must be a SecretStr (or be renamed).
    words = ("token", "secret", "password", "session_id")
    named = {name for name in Settings.model_fields if any(w in name for w in words)}
    assert named == SECRET_FIELDS


def test_mask_passwords_is_what_redact_uses_for_urls() -> None:
    text = f"mysql://root:{PW}@db/x"
    assert mask_passwords(text) == redact(text) == "mysql://root:***@db/x"

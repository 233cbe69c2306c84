"""Settings: every variable typed, a bad value is one line naming it, secrets hidden and
readable from files."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.settings import ENV, SECRET_FIELDS, Settings, SettingsError, reveal


def test_defaults_and_types() -> None:
    s = Settings.from_env({})
    assert s.port == 3000 and s.config_path == Path("routing.yml")
    assert s.db_pool_size == 10 and s.db_max_overflow == 20 and s.log_format == "json"
    typed = Settings.from_env(
        {
            "PORT": " 8080 ",
            "LEADROUTER_DB_POOL_SIZE": "4",
            "LEADROUTER_DB_MAX_OVERFLOW": "0",
            "SALESFORCE_API_VERSION": "v61",
            "LEADROUTER_CONFIG": "/etc/lr/routing.yml",
            "SLACK_BOT_TOKEN": "xoxb-1",
        }
    )
    assert typed.port == 8080 and typed.db_pool_size == 4 and typed.db_max_overflow == 0
    assert typed.salesforce_api_version == "61.0"
    assert typed.config_path == Path("/etc/lr/routing.yml")
    assert isinstance(typed.slack_bot_token, SecretStr)
    assert reveal(typed.slack_bot_token) == "xoxb-1"


def test_empty_means_unset() -> None:
    assert Settings.from_env({"PORT": "", "SLACK_BOT_TOKEN": ""}).slack_bot_token is None


@pytest.mark.parametrize(
    ("var", "value", "says"),
    [
        ("PORT", "abc", "PORT: expected a whole number, got 'abc'"),
        ("PORT", "70000", "PORT: input should be less than or equal to 65535"),
        ("PORT", "-1", "PORT: expected a whole number"),
        ("LEADROUTER_DB_POOL_SIZE", "0", "LEADROUTER_DB_POOL_SIZE: input should be greater"),
        ("LEADROUTER_DB_MAX_OVERFLOW", "many", "LEADROUTER_DB_MAX_OVERFLOW: expected a whole"),
        ("LEADROUTER_MAX_BODY_SLACK", "1e6", "LEADROUTER_MAX_BODY_SLACK: expected a whole"),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL: expected an http:// or https://"),
        ("SALESFORCE_INSTANCE_URL", "acme.my", "SALESFORCE_INSTANCE_URL: expected an http://"),
        ("SALESFORCE_API_VERSION", "latest", "SALESFORCE_API_VERSION: expected an API version"),
        ("LEADROUTER_LOG_FORMAT", "xml", "LEADROUTER_LOG_FORMAT: input should be 'json' or"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(var: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env({var: value})
    message = str(info.value)
    assert message.startswith(says), message
    assert "\n" not in message


def test_a_bad_secret_is_never_echoed(tmp_path: Path) -> None:
    # A value that does not fit is not repeated: it may be a secret in the wrong place.
    with pytest.raises(SettingsError) as info:
        Settings.checked(slack_bot_token=12345678)
    assert "12345678" not in str(info.value) and "SLACK_BOT_TOKEN" in str(info.value)


def test_secrets_from_files(tmp_path: Path) -> None:
    token = tmp_path / "slack_bot_token"
    token.write_text("xoxb-from-file\n")  # echo adds a newline that is not the token's
    url = tmp_path / "database_url"
    url.write_text("postgresql+psycopg://u:pw@db/leads")
    s = Settings.from_env({"SLACK_BOT_TOKEN_FILE": str(token), "DATABASE_URL_FILE": str(url)})
    assert reveal(s.slack_bot_token) == "xoxb-from-file"
    assert s.database_url == "postgresql+psycopg://u:pw@db/leads"
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE"):
        Settings.from_env({"SLACK_BOT_TOKEN": "x", "SLACK_BOT_TOKEN_FILE": str(token)})
    with pytest.raises(SettingsError, match=r"^SLACK_SIGNING_SECRET_FILE: cannot read"):
        Settings.from_env({"SLACK_SIGNING_SECRET_FILE": str(tmp_path / "missing")})


def test_every_variable_takes_a_file(tmp_path: Path) -> None:
    special = {
        "log_format": "text",
        "slack_api_url": "http://x/",
        "salesforce_instance_url": "https://x",
        "salesforce_api_version": "60.0",
        "port": "4242",
        "db_pool_size": "7",
        "db_max_overflow": "7",
        "max_body_slack": "4096",
        "max_body_leads": "4096",
    }
    for field, var in ENV.items():
        path = tmp_path / var
        path.write_text(special.get(field, f"value-of-{var}"))
        got = getattr(Settings.from_env({f"{var}_FILE": str(path)}), field)
        assert (reveal(got) if isinstance(got, SecretStr) else str(got)) == path.read_text()


def test_repr_and_str_hold_no_secret() -> None:
    s = Settings.from_env(
        {
            "DATABASE_URL": "postgresql+psycopg://u:hunter2@db/x",
            "SLACK_BOT_TOKEN": "xoxb-supersecret",
            "SALESFORCE_PASSWORD": "sfpass-secret",
            "SLACK_API_URL": "https://proxyuser:proxypw@proxy/api/",
        }
    )
    for shown in (repr(s), str(s), f"{s}"):
        for secret in ("hunter2", "xoxb-supersecret", "sfpass-secret", "proxypw"):
            assert secret not in shown
    assert "u:***@db" in repr(s)
    assert {"slack_bot_token", "salesforce_password", "webhook_token"} <= SECRET_FIELDS


def test_replace_validates_like_the_original() -> None:
    s = Settings.from_env({"LEADROUTER_WEBHOOK_TOKEN": "a"})
    changed = s.replace(webhook_token="b,c", port=81)
    assert reveal(changed.webhook_token) == "b,c" and changed.port == 81
    with pytest.raises(SettingsError, match=r"^PORT"):
        s.replace(port="x")


def test_pool_options_only_for_a_server_database() -> None:
    assert Settings.from_env({}).pool_options() == {}
    pg = Settings.from_env(
        {"DATABASE_URL": "postgresql+psycopg://db/x", "LEADROUTER_DB_POOL_SIZE": "3"}
    )
    assert pg.pool_options() == {"pool_size": 3, "max_overflow": 20}


def test_keyword_construction_ignores_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PORT", "9999")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-env")
    assert Settings().port == 3000 and Settings().slack_bot_token is None
    assert Settings.from_env().port == 9999

"""The Salesforce client against the emulator, at the HTTP layer: logins, renewal, errors."""

from __future__ import annotations

import logging

import pytest
import requests
from simple_salesforce import Salesforce

from bot.salesforce.client import (
    SalesforceConfigError,
    auth_from_settings,
    login_url,
    make_salesforce_client,
)
from bot.salesforce.errors import (
    LoginFailed,
    RateLimited,
    RecordGone,
    Rejected,
    SessionExpired,
    Unavailable,
)
from bot.salesforce.ids import to_18
from bot.settings import Settings
from tests.salesforce.harness import make_client, salesforce_settings, sf
from tests.salesforce_emulator import SalesforceEmulator

__all__ = ["sf"]


def test_no_credentials_means_off_with_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        assert make_salesforce_client(Settings.from_env({})) is None
    assert "salesforce_off" in caplog.text


def test_settings_from_env_pick_the_mode() -> None:
    env = {
        "SALESFORCE_USERNAME": "u@example.com",
        "SALESFORCE_PASSWORD": "pw",
        "SALESFORCE_SECURITY_TOKEN": "tok",
        "SALESFORCE_DOMAIN": "test",
        "SALESFORCE_CA_BUNDLE": "/etc/ca.pem",
    }
    settings = Settings.from_env(env)
    auth = auth_from_settings(settings)
    assert auth is not None and auth.mode == "password" and auth.can_renew
    assert auth.login_url == "https://test.salesforce.com"
    assert "pw" not in repr(auth) and "tok" not in repr(settings)
    session = auth_from_settings(
        Settings.from_env(
            {"SALESFORCE_SESSION_ID": "00D!x", "SALESFORCE_INSTANCE_URL": "https://a"}
        )
    )
    assert session is not None and session.mode == "session" and not session.can_renew
    with pytest.raises(SalesforceConfigError, match="SALESFORCE_INSTANCE_URL"):
        auth_from_settings(Settings.from_env({"SALESFORCE_SESSION_ID": "00D!x"}))
    with pytest.raises(SalesforceConfigError, match="SALESFORCE_PASSWORD"):
        auth_from_settings(Settings.from_env({"SALESFORCE_USERNAME": "u"}))


def test_login_url_accepts_simple_salesforce_domains_and_full_urls() -> None:
    assert login_url(None) == "https://login.salesforce.com"
    assert login_url("acme.my") == "https://acme.my.salesforce.com"
    assert login_url("https://127.0.0.1:8443/") == "https://127.0.0.1:8443"


def test_simple_salesforce_domain_cannot_point_at_a_host_and_port(sf: SalesforceEmulator) -> None:
    """Why the client performs logins itself: ``domain`` always gets ``.salesforce.com``."""
    session = requests.Session()
    session.trust_env = False
    session.verify = str(sf.ca_pem_path)
    with pytest.raises(requests.exceptions.InvalidURL, match=r"salesforce\.com"):
        Salesforce(
            username=sf.username,
            password=sf.password,
            security_token=sf.security_token,
            domain=f"127.0.0.1:{sf.port}",
            session=session,
        )


def test_ca_bundle_wins_over_requests_ca_bundle(
    sf: SalesforceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    client = make_client(sf)
    assert client.http.trust_env is False
    assert client.http.verify == str(sf.ca_pem_path)
    assert client.limits()["DailyApiRequests"]["Max"] > 0


@pytest.mark.parametrize("mode", ["password", "oauth_password", "jwt"])
def test_logins_and_renewal_after_expiry(sf: SalesforceEmulator, mode: str) -> None:
    client = make_client(sf, mode)
    assert client.query_all("SELECT Id FROM User WHERE IsActive = true")
    assert client.logins == 1
    op = "login" if mode == "password" else "token"
    assert len(sf.calls_of(op)) == 1
    sf.expire_sessions()
    assert client.query_all("SELECT Id FROM User WHERE Email = 'alice@example.com'")
    assert client.renewals == 1 and len(sf.calls_of(op)) == 2
    assert [c.status for c in sf.calls_of("query")][-2:] == [401, 200]


def test_jwt_assertion_is_checked(sf: SalesforceEmulator) -> None:
    client = make_client(sf, "jwt")
    client.limits()
    [call] = sf.calls_of("token")
    assert "jwt-bearer" in call.body and "assertion=" in call.body


def test_wrong_password_is_a_login_failure(sf: SalesforceEmulator) -> None:
    sf.password = "wrong"  # the client is built from these attributes
    client = make_client(sf, "password")
    with pytest.raises(LoginFailed, match="INVALID_LOGIN"):
        client.limits()
    sf.security_token = "x"
    with pytest.raises(LoginFailed, match="authentication failure"):
        make_client(sf, "oauth_password").limits()


def test_session_id_mode_cannot_renew(sf: SalesforceEmulator) -> None:
    client = make_client(sf, "session")
    client.limits()
    sf.expire_sessions()
    with pytest.raises(SessionExpired, match="SALESFORCE_SESSION_ID"):
        client.limits()


def test_errors_are_classified(sf: SalesforceEmulator) -> None:
    client = make_client(sf)
    lead = sf.insert_lead(LastName="Gone", Company="Acme")
    sf.delete("Lead", lead["Id"])
    with pytest.raises(RecordGone, match="deleted"):
        client.get("Lead", lead["Id"])
    with pytest.raises(RecordGone, match="does not exist"):
        client.get("Lead", to_18("00QEm0000099999"))
    converted = sf.insert_lead(LastName="Conv", Company="Acme")
    sf.convert(converted["Id"])
    with pytest.raises(RecordGone, match="converted"):
        client.update("Lead", converted["Id"], {"OwnerId": sf.integration_user_id}, None)
    sf.fail_next("query", "REQUEST_LIMIT_EXCEEDED")
    with pytest.raises(RateLimited, match="REQUEST_LIMIT_EXCEEDED"):
        client.query_all("SELECT Id FROM Lead")
    sf.fail_next("query")
    with pytest.raises(Unavailable, match="503"):
        client.query_all("SELECT Id FROM Lead")
    with pytest.raises(Rejected, match="INVALID_FIELD"):
        client.query_all("SELECT Nope__c FROM Lead")
    with pytest.raises(Rejected, match="MALFORMED_QUERY"):
        client.query_all("SELECT Id FROM Lead WHERE")


def test_connection_refused_is_unavailable(sf: SalesforceEmulator) -> None:
    client = make_client(sf)
    client.limits()
    sf.stop()
    with pytest.raises(Unavailable, match="cannot reach"):
        client.limits()


def test_paging_follows_next_records_url(sf: SalesforceEmulator) -> None:
    client = make_client(sf)
    for n in range(5):
        sf.insert_lead(LastName=f"Page{n}", Company="Acme")
    pages = list(
        client.query_pages(
            "SELECT Id, LastName FROM Lead WHERE Owner.Type = 'Queue' ORDER BY SystemModstamp, Id",
            batch_size=2,
        )
    )
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [r["LastName"] for p in pages for r in p] == [f"Page{n}" for n in range(5)]
    assert len(sf.calls_of("queryMore")) == 2
    assert sf.calls_of("query")[-1].headers["sforce-query-options"] == "batchSize=2"


def test_settings_helper_covers_every_mode(sf: SalesforceEmulator) -> None:
    for mode in ("session", "password", "oauth_password", "jwt"):
        auth = auth_from_settings(Settings(**salesforce_settings(sf, mode)))
        assert auth is not None and auth.mode == mode

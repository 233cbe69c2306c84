"""The Salesforce connection: ``simple_salesforce.Salesforce`` built from the environment.

Auth modes (SPEC §4), first match wins:

- ``session``: ``SALESFORCE_SESSION_ID`` + ``SALESFORCE_INSTANCE_URL``. Cannot be renewed:
  when it expires admins are told and Salesforce work waits for a new session id.
- ``jwt``: ``SALESFORCE_CONSUMER_KEY`` + ``SALESFORCE_PRIVATE_KEY_FILE`` + ``SALESFORCE_USERNAME``
  (OAuth 2.0 JWT bearer flow).
- ``oauth_password``: username + password (+ security token) + consumer key and
  ``SALESFORCE_CONSUMER_SECRET`` (OAuth 2.0 username-password flow).
- ``password``: ``SALESFORCE_USERNAME``/``PASSWORD``/``SECURITY_TOKEN`` (SOAP ``login``, as
  simple-salesforce does it).

The login host is ``https://{SALESFORCE_DOMAIN}.salesforce.com`` (``login``, ``test`` or a
My Domain such as ``acme.my``), like simple-salesforce's ``domain``. simple-salesforce
cannot log in anywhere else (``domain="127.0.0.1:8443"`` becomes the invalid host
``127.0.0.1:8443.salesforce.com``), so the logins are performed here with its own
``soap_login``/``token_login`` helpers, and ``SALESFORCE_DOMAIN`` may also be a full URL
(``https://127.0.0.1:8443``, the local emulator). The session is then handed to
``Salesforce(session_id=..., instance_url=...)`` and renewed here when it expires.

Every request goes through one ``requests.Session`` with ``trust_env = False`` (no proxy or
``REQUESTS_CA_BUNDLE`` from the environment overriding us) and ``verify`` set to
``SALESFORCE_CA_BUNDLE`` when given.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar
from xml.sax.saxutils import escape

import jwt
import requests
from simple_salesforce import Salesforce
from simple_salesforce.login import soap_login, token_login

from bot.salesforce.errors import (
    SALESFORCE_FAILURES,
    SessionExpired,
    classify,
)
from bot.settings import Settings, reveal

log = logging.getLogger(__name__)
T = TypeVar("T")
DEFAULT_API_VERSION = "59.0"
Mode = Literal["session", "jwt", "oauth_password", "password"]


class SalesforceConfigError(ValueError):
    """Salesforce settings are present but incomplete."""


@dataclass(frozen=True)
class SalesforceAuth:
    mode: Mode
    instance_url: str | None = None
    session_id: str | None = None
    username: str | None = None
    password: str | None = None
    security_token: str | None = None
    domain: str = "login"
    consumer_key: str | None = None
    consumer_secret: str | None = None
    private_key_file: str | None = None

    @property
    def can_renew(self) -> bool:
        return self.mode != "session"

    @property
    def login_url(self) -> str:
        return login_url(self.domain)

    def __repr__(self) -> str:  # secrets never reach logs
        return f"SalesforceAuth(mode={self.mode!r}, username={self.username!r})"


def login_url(domain: str | None) -> str:
    domain = (domain or "login").strip()
    if "://" in domain:
        return domain.rstrip("/")
    return f"https://{domain.removesuffix('.salesforce.com')}.salesforce.com"


def auth_from_settings(settings: Settings) -> SalesforceAuth | None:
    """The auth mode the settings describe; None when Salesforce is not configured."""
    s = settings
    domain = s.salesforce_domain or "login"
    if s.salesforce_session_id:
        if not s.salesforce_instance_url:
            raise SalesforceConfigError(
                "SALESFORCE_SESSION_ID needs SALESFORCE_INSTANCE_URL (https://yours.my.salesforce.com)"
            )
        return SalesforceAuth(
            "session",
            instance_url=s.salesforce_instance_url,
            session_id=reveal(s.salesforce_session_id),
        )
    if s.salesforce_consumer_key and s.salesforce_private_key_file:
        if not s.salesforce_username:
            raise SalesforceConfigError("the JWT login needs SALESFORCE_USERNAME")
        if not Path(s.salesforce_private_key_file).is_file():
            raise SalesforceConfigError(
                f"SALESFORCE_PRIVATE_KEY_FILE {s.salesforce_private_key_file} is not a file"
            )
        return SalesforceAuth(
            "jwt",
            username=s.salesforce_username,
            consumer_key=s.salesforce_consumer_key,
            private_key_file=s.salesforce_private_key_file,
            domain=domain,
        )
    if s.salesforce_username or s.salesforce_password:
        if not (s.salesforce_username and s.salesforce_password):
            raise SalesforceConfigError(
                "the password login needs both SALESFORCE_USERNAME and SALESFORCE_PASSWORD"
            )
        oauth = bool(s.salesforce_consumer_key and s.salesforce_consumer_secret)
        return SalesforceAuth(
            "oauth_password" if oauth else "password",
            username=s.salesforce_username,
            password=reveal(s.salesforce_password),
            security_token=reveal(s.salesforce_security_token) or "",
            consumer_key=s.salesforce_consumer_key,
            consumer_secret=reveal(s.salesforce_consumer_secret),
            domain=domain,
        )
    if s.salesforce_instance_url:
        raise SalesforceConfigError(
            "SALESFORCE_INSTANCE_URL is set but no credentials: add SALESFORCE_SESSION_ID, "
            "SALESFORCE_USERNAME/PASSWORD or the JWT settings"
        )
    return None


class _HttpSession(requests.Session):
    """A requests session with a default timeout (simple-salesforce sets none)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def make_http_session(ca_bundle: str | None, timeout: float = 30.0) -> requests.Session:
    session = _HttpSession(timeout)
    # REQUESTS_CA_BUNDLE / proxies from the environment would silently override verify.
    session.trust_env = False
    if ca_bundle:
        session.verify = ca_bundle
    return session


def login(auth: SalesforceAuth, http: requests.Session, version: str) -> tuple[str, str]:
    """Log in; returns ``(session_id, instance_url)``. Raises simple-salesforce errors."""
    if auth.mode == "session":
        assert auth.session_id and auth.instance_url
        return auth.session_id, auth.instance_url.rstrip("/")
    base = auth.login_url
    token_url = f"{base}/services/oauth2/token"
    if auth.mode == "jwt":
        assert auth.private_key_file and auth.consumer_key and auth.username
        claims = {
            "iss": auth.consumer_key,
            "sub": auth.username,
            "aud": base,
            "exp": int((datetime.now(UTC) + timedelta(minutes=3)).timestamp()),
        }
        key = Path(auth.private_key_file).read_bytes()
        data: dict[str, Any] = {
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": jwt.encode(claims, key, algorithm="RS256"),
        }
        session_id, instance = token_login(
            token_url, data, auth.domain, auth.consumer_key, None, None, http
        )
    elif auth.mode == "oauth_password":
        assert auth.consumer_key and auth.password is not None
        data = {
            "grant_type": "password",
            "client_id": auth.consumer_key,
            "client_secret": auth.consumer_secret,
            "username": auth.username,
            "password": auth.password + (auth.security_token or ""),
        }
        session_id, instance = token_login(
            token_url, data, auth.domain, auth.consumer_key, None, None, http
        )
    else:
        assert auth.username and auth.password is not None
        session_id, instance = soap_login(
            f"{base}/services/Soap/u/{version}",
            _soap_login_body(auth.username, auth.password + (auth.security_token or "")),
            {"content-type": "text/xml", "charset": "UTF-8", "SOAPAction": "login"},
            None,
            http,
        )
    return str(session_id), f"https://{instance}"


def _soap_login_body(username: str, secret: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8" ?>'
        '<env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:urn="urn:partner.soap.sforce.com">'
        "<env:Header><urn:CallOptions><urn:client>leadrouter</urn:client>"
        "<urn:defaultNamespace>sf</urn:defaultNamespace></urn:CallOptions></env:Header>"
        '<env:Body><n1:login xmlns:n1="urn:partner.soap.sforce.com">'
        f"<n1:username>{escape(username)}</n1:username>"
        f"<n1:password>{escape(secret)}</n1:password>"
        "</n1:login></env:Body></env:Envelope>"
    )


class SalesforceClient:
    """One logged-in connection, renewed on INVALID_SESSION_ID where the mode allows.

    Methods raise the typed failures of :mod:`bot.salesforce.errors`.
    """

    def __init__(
        self,
        auth: SalesforceAuth,
        *,
        ca_bundle: str | None = None,
        version: str = DEFAULT_API_VERSION,
        timeout: float = 30.0,
    ) -> None:
        self.auth = auth
        self.version = version
        self.http = make_http_session(ca_bundle, timeout)
        self._lock = threading.Lock()
        self._sf: Salesforce | None = None
        self.logins = 0
        self.renewals = 0

    @property
    def mode(self) -> Mode:
        return self.auth.mode

    @property
    def can_renew(self) -> bool:
        return self.auth.can_renew

    def connection(self) -> Salesforce:
        """The connection, logging in on first use (a Salesforce outage never stops start-up)."""
        with self._lock:
            if self._sf is None:
                self._sf = self._login()
            return self._sf

    def _login(self) -> Salesforce:
        try:
            session_id, instance_url = login(self.auth, self.http, self.version)
        except SALESFORCE_FAILURES as exc:
            raise classify(exc) from exc
        self.logins += 1
        log.info("salesforce_login", extra={"mode": self.mode, "instance": instance_url})
        return Salesforce(
            session_id=session_id,
            instance_url=instance_url,
            session=self.http,
            version=self.version,
        )

    @property
    def known_instance_url(self) -> str | None:
        """The instance URL without logging in (None before the first login)."""
        if self._sf is not None:
            return f"https://{self._sf.sf_instance}"
        return self.auth.instance_url

    @property
    def instance_url(self) -> str:
        sf = self.connection()
        return f"https://{sf.sf_instance}"

    def session_fingerprint(self) -> str:
        """A short hash of the current session id (names alerts, never reveals it)."""
        sf = self._sf
        secret = sf.session_id if sf is not None else (self.auth.session_id or "")
        return hashlib.sha256(secret.encode()).hexdigest()[:12]

    def renew(self, stale: Salesforce) -> Salesforce:
        """Log in again unless another thread already replaced the stale connection."""
        if not self.can_renew:
            raise SessionExpired(
                "the Salesforce session id (SALESFORCE_SESSION_ID) expired or was revoked; "
                "set a new one, or use a username/password or JWT login that renews itself",
                code="INVALID_SESSION_ID",
                status=401,
            )
        with self._lock:
            if self._sf is stale or self._sf is None:
                self._sf = self._login()
                self.renewals += 1
                log.info("salesforce_session_renewed", extra={"mode": self.mode})
            return self._sf

    def call(self, fn: Callable[[Salesforce], T]) -> T:
        """Run ``fn`` on the connection; one renewal and retry on an expired session."""
        sf = self.connection()
        try:
            return fn(sf)
        except SALESFORCE_FAILURES as exc:
            problem = classify(exc)
            if not isinstance(problem, SessionExpired):
                raise problem from exc
        fresh = self.renew(sf)  # session-id mode: raises SessionExpired (admins are told)
        try:
            return fn(fresh)
        except SALESFORCE_FAILURES as exc:
            raise classify(exc) from exc

    # -- the operations the bot uses --------------------------------------------------
    def query_pages(self, soql: str, *, batch_size: int | None = None) -> Iterator[Page]:
        """Each page of a query's records, following ``nextRecordsUrl`` (queryMore)."""
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"} if batch_size else {}
        page = self.call(lambda sf: sf.query(soql, headers=headers))
        while True:
            records = Page(_plain(r) for r in page.get("records", []))
            records.total_size = page.get("totalSize")
            yield records
            next_url = page.get("nextRecordsUrl")
            if page.get("done", True) or not next_url:
                return
            page = self.call(_query_more(str(next_url), headers))

    def query_all(self, soql: str) -> list[dict[str, Any]]:
        return [record for page in self.query_pages(soql) for record in page]

    def get(self, sobject: str, record_id: str) -> dict[str, Any]:
        return _plain(self.call(lambda sf: getattr(sf, sobject).get(record_id)))

    def update(
        self, sobject: str, record_id: str, data: dict[str, Any], headers: dict[str, str] | None
    ) -> int:
        return int(
            self.call(lambda sf: getattr(sf, sobject).update(record_id, data, headers=headers))
        )

    def create(self, sobject: str, data: dict[str, Any]) -> dict[str, Any]:
        return _plain(self.call(lambda sf: getattr(sf, sobject).create(data)))

    def limits(self) -> dict[str, Any]:
        return _plain(self.call(lambda sf: sf.limits()))


def _query_more(url: str, headers: dict[str, str]) -> Callable[[Salesforce], Any]:
    return lambda sf: sf.query_more(url, identifier_is_url=True, headers=headers)


class Page(list[dict[str, Any]]):
    """One page of query results; ``total_size`` is the query's ``totalSize``."""

    total_size: int | None = None


def _plain(value: Any) -> Any:
    """OrderedDicts (simple-salesforce's default) -> plain dicts, recursively."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def make_salesforce_client(settings: Settings) -> SalesforceClient | None:
    """The client, or None (with one clear log line) when Salesforce is not configured."""
    auth = auth_from_settings(settings)
    if auth is None:
        log.info(
            "salesforce_off: no Salesforce credentials (SALESFORCE_SESSION_ID + "
            "SALESFORCE_INSTANCE_URL, SALESFORCE_USERNAME/PASSWORD/SECURITY_TOKEN or JWT); "
            "polling, fetching and write-back are disabled"
        )
        return None
    log.info("salesforce_on", extra={"mode": auth.mode})
    return SalesforceClient(
        auth, ca_bundle=settings.salesforce_ca_bundle, version=settings.salesforce_api_version
    )

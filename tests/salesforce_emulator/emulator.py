"""``SalesforceEmulator``: a local org over HTTPS for the tests and the demo.

It speaks the REST API the bot uses (``query``/``queryMore``, ``sobjects`` GET/PATCH/POST/
DELETE, ``limits``), SOAP ``login`` and the OAuth 2.0 token endpoint (password and
JWT-bearer grants), with Salesforce's error shapes, session expiry, fault injection and a
record of every call.
"""

from __future__ import annotations

import logging
import re
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from threading import Thread
from typing import Any
from urllib.parse import parse_qs

import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import auth
from .records import Org
from .rest import ERROR_MESSAGE, ERROR_STATUS, ApiError, RestApi, api_error, parse_json
from .server import Response, make_server, serve_in_thread

log = logging.getLogger(__name__)

API_VERSION = "59.0"
ORG_ID = "00DEm0000000001EAA"
_DATA_PATH = re.compile(r"^/services/data/v(\d+\.\d+)/(.*?)/?$")
_SOAP_PATH = re.compile(r"^/services/Soap/u/(\d+\.\d+)/?$")

# Users of the emulated org: the integration user the bot logs in as, and the reps.
INTEGRATION_USER: dict[str, Any] = {
    "Username": "integration@leadrouter.example",
    "Email": "integration@leadrouter.example",
    "FirstName": "Integration",
    "LastName": "User",
}
DEFAULT_USERS: list[dict[str, Any]] = [
    {"FirstName": "Alice", "LastName": "Chen", "Email": "alice@example.com"},
    {"FirstName": "Bob", "LastName": "Diaz", "Email": "bob@example.com"},
    {"FirstName": "Carol", "LastName": "Wu", "Email": "carol@example.com"},
    {"FirstName": "Maria", "LastName": "Gomez", "Email": "maria@example.com"},
    {"FirstName": "Former", "LastName": "Rep", "Email": "former@example.com", "IsActive": False},
]


@dataclass
class Call:
    method: str
    path: str
    op: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    status: int = 0
    at: float = field(default_factory=time.time)


@dataclass
class Fault:
    op: str
    code: str
    status: int
    message: str
    delay: float = 0.0
    times: int = 1


class SalesforceEmulator:
    def __init__(
        self,
        *,
        records_dir: Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        version: str = API_VERSION,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.version = version
        self.lock = threading.RLock()
        self.org = Org(clock)
        self.rest = RestApi(self.org, version)
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        # While set, every REST call answers 503 (an outage), logins included.
        self.unavailable = False
        self.sessions: dict[str, str] = {}  # session id -> username
        self.users: dict[str, auth.OrgUser] = {}
        self.apps: dict[str, auth.ConnectedApp] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="sf-emulator-")
        self._ca = trustme.CA()
        self._server: Any = None
        self._thread: Thread | None = None
        self._seed_users()
        self.queue_id = self.org.put(
            "Group", {"Name": "Inbound Leads", "Type": "Queue", "DeveloperName": "Inbound_Leads"}
        )
        if records_dir is not None:
            self.load_records(records_dir)
        # A session for SALESFORCE_SESSION_ID-mode tests.
        self.session_id = self.new_session(self.username)

    # -- setup ------------------------------------------------------------------------
    def _seed_users(self) -> None:
        self.integration_user_id = self.add_user(
            **INTEGRATION_USER, password="emulator-password", security_token="EMUTOKEN"
        )
        self.username = INTEGRATION_USER["Username"]
        self.password = "emulator-password"
        self.security_token = "EMUTOKEN"
        for user in DEFAULT_USERS:
            self.add_user(**user)
        self.consumer_key = "3MVG9EmulatorConsumerKey"
        self.consumer_secret = "emulator-consumer-secret"
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.jwt_private_key_path = Path(self._tmp.name) / "jwt-key.pem"
        self.jwt_private_key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.apps[self.consumer_key] = auth.ConnectedApp(
            self.consumer_key, self.consumer_secret, public
        )

    def add_user(
        self,
        *,
        Email: str,
        FirstName: str = "",
        LastName: str = "",
        Username: str | None = None,
        IsActive: bool = True,
        Id: str | None = None,
        password: str | None = None,
        security_token: str = "",
    ) -> str:
        """A User record; with ``password`` the user can also log in."""
        username = Username or Email
        values: dict[str, Any] = {
            "Username": username,
            "Email": Email,
            "FirstName": FirstName,
            "LastName": LastName,
            "Name": f"{FirstName} {LastName}".strip(),
            "IsActive": IsActive,
        }
        if Id:
            values["Id"] = Id
        with self.lock:
            user_id = self.org.put("User", values)
            if password is not None:
                self.users[username.lower()] = auth.OrgUser(
                    user_id, username, password, security_token
                )
        return user_id

    def load_records(self, directory: Path) -> dict[str, int]:
        """Load ``Lead.csv``, ``Account.csv``, ``Contact.csv`` (Salesforce exports)."""
        loaded: dict[str, int] = {}
        with self.lock:
            for sobject in ("Account", "Contact", "Lead"):
                path = directory / f"{sobject}.csv"
                if path.is_file():
                    loaded[sobject] = self.org.load_csv(sobject, path)
            known = {r["Id"] for r in self.org.all("User")} | {
                r["Id"] for r in self.org.all("Group")
            }
            owners = {
                r.get("OwnerId")
                for name in ("Lead", "Account", "Contact")
                for r in self.org.all(name)
            }
            for owner in sorted(o for o in owners if isinstance(o, str) and o and o not in known):
                if owner.startswith("005"):
                    suffix = owner[-6:].lower()
                    self.add_user(
                        Id=owner,
                        Email=f"owner.{suffix}@example.org",
                        FirstName="Record",
                        LastName=f"Owner {suffix}",
                    )
        return loaded

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> SalesforceEmulator:
        if self._server is not None:
            return self
        cert = self._ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self._server = make_server(self, self.host, self.port, context)
        self.port = self._server.server_address[1]
        self._ca.cert_pem.write_to_path(str(self.ca_pem_path))
        self._thread = serve_in_thread(self._server)
        log.info("salesforce emulator listening on %s", self.instance_url)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.drop_connections()
        if thread is not None:
            thread.join(timeout=5)

    def close(self) -> None:
        self.stop()
        self._tmp.cleanup()

    def __enter__(self) -> SalesforceEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def ca_pem_path(self) -> Path:
        return Path(self._tmp.name) / "ca.pem"

    @property
    def instance_url(self) -> str:
        if self._server is None:
            raise RuntimeError("SalesforceEmulator is not started; call start() first")
        return f"https://{self.host}:{self.port}"

    # The login host is the instance itself (a My Domain login URL).
    login_url = instance_url

    # -- sessions ---------------------------------------------------------------------
    def new_session(self, username: str) -> str:
        session_id = auth.new_session_id(ORG_ID)
        with self.lock:
            self.sessions[session_id] = username
        return session_id

    def expire_sessions(self) -> None:
        """Every session id stops working (as after a timeout or a password reset)."""
        with self.lock:
            self.sessions.clear()

    # -- faults and inspection --------------------------------------------------------
    def fail_next(
        self,
        op: str = "*",
        error: str = "SERVER_UNAVAILABLE",
        *,
        times: int = 1,
        status: int | None = None,
        message: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """The next ``times`` calls of ``op`` (query, queryMore, get, update, create, delete,
        limits, token, login or ``*``) fail with Salesforce's ``error`` code."""
        with self.lock:
            self.faults.append(
                Fault(
                    op,
                    error,
                    status or ERROR_STATUS.get(error, 400),
                    message or ERROR_MESSAGE.get(error, error),
                    delay,
                    times,
                )
            )

    def slow_next(self, op: str, seconds: float, *, times: int = 1) -> None:
        """Delay the next calls of ``op``, then answer normally."""
        with self.lock:
            self.faults.append(Fault(op, "", 0, "", seconds, times))

    def _take_fault(self, op: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.op in (op, "*"):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def calls_of(self, op: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.op == op]

    def clear_calls(self) -> None:
        with self.lock:
            self.calls.clear()

    @property
    def patches(self) -> list[tuple[str, str, dict[str, Any], str | None]]:
        with self.lock:
            return list(self.rest.patches)

    # -- test helpers (each write bumps SystemModstamp) -------------------------------
    def insert(self, sobject: str, fields: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return dict(self.org.insert(sobject, fields))

    def insert_lead(self, **fields: Any) -> dict[str, Any]:
        """A new unconverted lead owned by the Inbound Leads queue (what the poller wants)."""
        values = {"OwnerId": self.queue_id, "IsConverted": False, "Status": "Open - Not Contacted"}
        values.update(fields)
        return self.insert("Lead", values)

    def update(self, sobject: str, record_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return dict(self.org.update(sobject, record_id, fields))

    def delete(self, sobject: str, record_id: str) -> None:
        with self.lock:
            self.org.delete(sobject, record_id)

    def convert(self, lead_id: str) -> dict[str, Any]:
        """Convert a lead into an account and contact, like Salesforce's convertLead."""
        with self.lock:
            lead = self.org.find("Lead", lead_id)
            if lead is None:
                raise KeyError(lead_id)
            account = self.org.insert(
                "Account", {"Name": lead.get("Company") or "Unknown", "OwnerId": lead["OwnerId"]}
            )
            contact = self.org.insert(
                "Contact",
                {
                    "FirstName": lead.get("FirstName"),
                    "LastName": lead.get("LastName"),
                    "Email": lead.get("Email"),
                    "AccountId": account["Id"],
                    "OwnerId": lead["OwnerId"],
                },
            )
            return dict(
                self.org.update(
                    "Lead",
                    lead_id,
                    {
                        "IsConverted": True,
                        "Status": "Closed - Converted",
                        "ConvertedDate": datetime.now(UTC).date().isoformat(),
                        "ConvertedAccountId": account["Id"],
                        "ConvertedContactId": contact["Id"],
                    },
                )
            )

    def record(self, sobject: str, record_id: str) -> dict[str, Any] | None:
        with self.lock:
            found = self.org.find(sobject, record_id)
            return dict(found) if found is not None else None

    # -- request handling -------------------------------------------------------------
    def handle(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes
    ) -> Response:
        op = _operation(method, path)
        body: Any = raw.decode("utf-8", "replace") if raw else None
        call = Call(method, path, op, query, headers, body)
        with self.lock:
            self.calls.append(call)
        response = self._respond(method, path, query, headers, raw, op)
        call.status = response.status
        return response

    def _respond(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        raw: bytes,
        op: str,
    ) -> Response:
        fault = self._take_fault(op)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.code:
            return self._fault_response(op, fault)
        if self.unavailable:
            return self._fault_response(
                op, Fault(op, "SERVER_UNAVAILABLE", 503, ERROR_MESSAGE["SERVER_UNAVAILABLE"])
            )
        if op == "token":
            return self._token(raw)
        if op == "login":
            return self._soap_login(raw)
        match = _DATA_PATH.match(path)
        if match is None:
            return Response(404, api_error("NOT_FOUND").body())
        if not self._authorized(headers):
            return Response(401, api_error("INVALID_SESSION_ID").body())
        try:
            with self.lock:
                self.rest.requests_made += 1
                status, body = self._rest(method, match.group(2), query, headers, raw)
        except ApiError as exc:
            return Response(exc.status, exc.body())
        limit = f"api-usage={self.rest.requests_made}/{self.rest.daily_api_requests}"
        return Response(status, body, headers={"Sforce-Limit-Info": limit})

    def _fault_response(self, op: str, fault: Fault) -> Response:
        if op == "token":
            return Response(fault.status, {"error": fault.code, "error_description": fault.message})
        if op == "login":
            return Response(
                fault.status, auth.soap_fault(fault.code, fault.message), content_type="text/xml"
            )
        if fault.status == 503:
            # Salesforce's maintenance page is HTML, not the JSON error list.
            return Response(
                503,
                "<html><body><h1>Service Unavailable</h1></body></html>",
                content_type="text/html",
            )
        return Response(fault.status, ApiError(fault.status, fault.code, fault.message).body())

    def _authorized(self, headers: dict[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "oauth"):
            return False
        with self.lock:
            return token.strip() in self.sessions

    def _rest(
        self, method: str, rest: str, query: dict[str, str], headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any]:
        parts = [p for p in rest.split("/") if p]
        batch = _batch_size(headers.get("sforce-query-options", ""))
        if parts == ["query"] and method == "GET":
            if "q" not in query:
                raise ApiError(400, "MALFORMED_QUERY", "a query needs the q parameter")
            return self.rest.query(query["q"], batch)
        if len(parts) == 2 and parts[0] == "query" and method == "GET":
            return self.rest.query_more(parts[1], batch)
        if parts == ["limits"] and method == "GET":
            return self.rest.limits()
        if len(parts) == 2 and parts[0] == "sobjects" and method == "POST":
            return self.rest.create(parts[1], parse_json(raw))
        if len(parts) == 3 and parts[0] == "sobjects":
            sobject, record_id = parts[1], parts[2]
            if method == "GET":
                return self.rest.get(sobject, record_id, query.get("fields"))
            if method == "PATCH":
                auto_assign = headers.get("sforce-auto-assign")
                return self.rest.patch(sobject, record_id, parse_json(raw), auto_assign)
            if method == "DELETE":
                return self.rest.delete(sobject, record_id)
        raise api_error("NOT_FOUND")

    def _audiences(self) -> set[str]:
        return {self.login_url, "https://login.salesforce.com", "https://test.salesforce.com"}

    def _token(self, raw: bytes) -> Response:
        form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        try:
            with self.lock:
                user = auth.oauth_user(
                    form, users=self.users, apps=self.apps, audiences=self._audiences()
                )
        except auth.LoginError as exc:
            return Response(400, {"error": exc.code, "error_description": exc.message})
        session_id = self.new_session(user.username)
        return Response(200, auth.token_response(session_id, self.instance_url, user, ORG_ID))

    def _soap_login(self, raw: bytes) -> Response:
        try:
            username, secret = auth.soap_credentials(raw.decode("utf-8", "replace"))
            with self.lock:
                user = auth.check_password(self.users, username, secret)
        except auth.LoginError as exc:
            return Response(500, auth.soap_fault(exc.code, exc.message), content_type="text/xml")
        session_id = self.new_session(user.username)
        server_url = f"{self.instance_url}/services/Soap/u/{self.version}/{ORG_ID}"
        return Response(
            200, auth.soap_login_response(session_id, server_url, user), content_type="text/xml"
        )


def _operation(method: str, path: str) -> str:
    if path.rstrip("/") == "/services/oauth2/token":
        return "token"
    if _SOAP_PATH.match(path):
        return "login"
    match = _DATA_PATH.match(path)
    if match is None:
        return "other"
    parts = [p for p in match.group(2).split("/") if p]
    if parts == ["query"]:
        return "query"
    if parts[:1] == ["query"]:
        return "queryMore"
    if parts == ["limits"]:
        return "limits"
    if parts[:1] == ["sobjects"]:
        return {"GET": "get", "PATCH": "update", "POST": "create", "DELETE": "delete"}.get(
            method, "other"
        )
    return "other"


def _batch_size(options: str) -> int | None:
    match = re.search(r"batchSize=(\d+)", options)
    return int(match.group(1)) if match else None

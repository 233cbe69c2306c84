"""Socket Mode: ``apps.connections.open`` and the WebSocket server Slack delivers over.

The app calls ``apps.connections.open`` with its app-level token (``xapp-...``) and gets a
one-time ``ws://`` URL served by :class:`SocketModeServer` (an asyncio loop with
``websockets`` on its own thread, started the first time a URL is asked for). On connect
the server sends ``{"type": "hello", ...}``. While ``SlackEmulator.socket_mode`` is on,
every sender (``click``, ``slash``, ``submit_view``, ``send_event``, ...) wraps its payload
in an envelope ``{"envelope_id", "type", "payload", "accepts_response_payload"}`` (plus
``retry_attempt``/``retry_reason`` for ``events_api``), sends it on the newest live
connection and waits up to ``ack_timeout`` (3 s, as Slack) for ``{"envelope_id",
"payload"?}``. ``disconnect()`` sends ``{"type": "disconnect", "reason": ...}`` and closes
every connection, as Slack does when it refreshes a link.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from .config import Config
from .methods import ApiError, method
from .state import State

log = logging.getLogger(__name__)

TICKET_TTL = 60.0  # seconds an apps.connections.open URL stays usable (once)
ACK_TIMEOUT = 3.0  # Slack's ack deadline
CONNECT_WAIT = 5.0  # how long a delivery waits for the app to (re)connect
ENVELOPE_TYPES = {
    "block_actions": "interactive",
    "view_submission": "interactive",
    "slash_command": "slash_commands",
    "event_callback": "events_api",
}
ACCEPTS_RESPONSE_PAYLOAD = {"view_submission", "slash_command"}


@method("apps.connections.open")
def apps_connections_open(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    """The token was checked by the dispatcher (app-level tokens only for this method)."""
    if not config.socket_url:
        raise ApiError("internal_error")
    ticket = secrets.token_hex(16)
    state.socket_tickets[ticket] = time.monotonic()
    return {"url": f"{config.socket_url}/link/?ticket={ticket}&app_id={config.app_id}"}


@dataclass
class SocketDelivery:
    """What happened to one envelope: acked (with an optional payload) or not."""

    envelope_id: str | None
    acked: bool
    payload: dict[str, Any] | None = None
    error: str | None = None  # "ack_timeout" | "no_connection"
    elapsed: float = 0.0


@dataclass
class _Link:
    conn: ServerConnection
    opened: float = field(default_factory=time.monotonic)
    closing: bool = False


class SocketModeServer:
    """The Socket Mode WebSocket endpoint of one emulator."""

    def __init__(self, state: State, config: Config, host: str = "127.0.0.1") -> None:
        self.state = state
        self.config = config
        self.host = host
        self.port = 0
        self.ack_timeout = ACK_TIMEOUT
        self.connect_wait = CONNECT_WAIT
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: Server | None = None
        self._links: list[_Link] = []
        self._pending: dict[str, concurrent.futures.Future[dict[str, Any] | None]] = {}
        self._cond = threading.Condition()
        self._start_lock = threading.Lock()
        self._closing: set[asyncio.Future[None]] = set()
        self.connections_opened = 0

    # -- lifecycle --------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> SocketModeServer:
        with self._start_lock:
            if self._server is not None:
                return self
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="slack-emulator-socket-mode", daemon=True
            )
            thread.start()
            self._loop, self._thread = loop, thread
            self._server = asyncio.run_coroutine_threadsafe(self._serve(), loop).result(10)
            self.port = self._server.sockets[0].getsockname()[1]
            self.config.socket_url = f"ws://{self.host}:{self.port}"
            log.info("slack emulator: Socket Mode listening on %s", self.config.socket_url)
            return self

    async def _serve(self) -> Server:
        return await serve(
            self._handle,
            self.host,
            self.port,
            process_request=self._check_ticket,
            ping_interval=None,  # the client pings; Slack does not require server pings
            compression=None,
            close_timeout=2,
            max_size=2**22,
        )

    def stop(self) -> None:
        with self._start_lock:
            server, loop, thread = self._server, self._loop, self._thread
            self._server = self._loop = self._thread = None
        if server is None or loop is None:
            return

        async def shutdown() -> None:
            server.close()
            await server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(5)
        except (TimeoutError, concurrent.futures.TimeoutError):
            log.warning("slack emulator: Socket Mode server did not close within 5 s")
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(5)
        loop.close()
        with self._cond:
            self._links.clear()
            for future in self._pending.values():
                future.cancel()
            self._pending.clear()
            self._cond.notify_all()
        self.config.socket_url = ""

    # -- connections ------------------------------------------------------------------
    def _check_ticket(self, conn: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        ticket = parse_qs(url.query).get("ticket", [""])[-1]
        if url.path.rstrip("/") != "/link":
            return conn.respond(HTTPStatus.NOT_FOUND, "not found\n")
        with self.state.lock:
            created = self.state.socket_tickets.pop(ticket, None)
        if created is None or time.monotonic() - created > TICKET_TTL:
            return conn.respond(
                HTTPStatus.UNAUTHORIZED,
                "invalid or used ticket: call apps.connections.open for a new URL\n",
            )
        return None

    def live_connections(self) -> int:
        with self._cond:
            return sum(1 for link in self._links if not link.closing)

    def wait_connected(self, timeout: float = CONNECT_WAIT) -> bool:
        with self._cond:
            return self._cond.wait_for(
                lambda: any(not link.closing for link in self._links), timeout
            )

    async def _handle(self, conn: ServerConnection) -> None:
        link = _Link(conn)
        with self._cond:
            self._links.append(link)
            self.connections_opened += 1
            live = sum(1 for li in self._links if not li.closing)
        hello = {
            "type": "hello",
            "num_connections": live,
            "debug_info": {
                "host": "applink-emulator",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.config.app_id},
        }
        try:
            await conn.send(json.dumps(hello))
            with self._cond:
                self._cond.notify_all()
            async for raw in conn:
                self._on_message(raw)
        except ConnectionClosed:
            log.debug("slack emulator: Socket Mode connection closed by the app")
        finally:
            with self._cond:
                if link in self._links:
                    self._links.remove(link)
                self._cond.notify_all()

    def _on_message(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            log.warning("slack emulator: Socket Mode message is not JSON: %r", raw[:200])
            return
        if not isinstance(message, dict) or not message.get("envelope_id"):
            log.warning("slack emulator: Socket Mode message without envelope_id: %r", message)
            return
        with self._cond:
            future = self._pending.get(str(message["envelope_id"]))
        if future is None:
            log.warning("slack emulator: ack for unknown envelope %s", message["envelope_id"])
            return
        payload = message.get("payload")
        if not future.done():
            future.set_result(payload if isinstance(payload, dict) else None)

    def _newest_live(self, deadline: float) -> _Link | None:
        with self._cond:
            self._cond.wait_for(
                lambda: any(not link.closing for link in self._links),
                max(0.0, deadline - time.monotonic()),
            )
            live = [link for link in self._links if not link.closing]
            return live[-1] if live else None

    # -- delivery ---------------------------------------------------------------------
    def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> SocketDelivery:
        """Send one envelope and wait for its ack (the caller must not hold the state lock)."""
        loop = self.start()._loop  # no app connected yet: wait for one like any reconnect
        if loop is None:
            raise RuntimeError("the Socket Mode server was stopped")
        started = time.monotonic()
        deadline = started + self.connect_wait
        envelope_type = ENVELOPE_TYPES[kind]
        envelope: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()),
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": kind in ACCEPTS_RESPONSE_PAYLOAD,
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ""
        envelope_id = envelope["envelope_id"]
        future: concurrent.futures.Future[dict[str, Any] | None] = concurrent.futures.Future()
        with self._cond:
            self._pending[envelope_id] = future
        try:
            while True:
                link = self._newest_live(deadline)
                if link is None:
                    return SocketDelivery(
                        None, False, error="no_connection", elapsed=time.monotonic() - started
                    )
                sent_at = time.monotonic()
                try:
                    asyncio.run_coroutine_threadsafe(
                        link.conn.send(json.dumps(envelope)), loop
                    ).result(self.connect_wait)
                except ConnectionClosed:
                    with self._cond:
                        link.closing = True
                    continue
                break
            try:
                ack = future.result(self.ack_timeout)
            except (TimeoutError, concurrent.futures.TimeoutError):
                log.warning(
                    "slack emulator: app did not ack %s envelope %s within %.1fs",
                    kind,
                    envelope_id,
                    self.ack_timeout,
                )
                return SocketDelivery(
                    envelope_id, False, error="ack_timeout", elapsed=time.monotonic() - sent_at
                )
            return SocketDelivery(envelope_id, True, ack, elapsed=time.monotonic() - sent_at)
        finally:
            with self._cond:
                self._pending.pop(envelope_id, None)

    def disconnect(self, reason: str = "refresh_requested", *, send_message: bool = True) -> int:
        """Tell every connected app to reconnect and close its link; returns how many."""
        loop = self._loop
        if loop is None:
            return 0
        with self._cond:
            links = [link for link in self._links if not link.closing]
            for link in links:
                link.closing = True
        message = json.dumps(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-emulator"}}
        )

        async def close_link(link: _Link) -> None:
            try:
                if send_message:
                    await link.conn.send(message)
                await link.conn.close(1000, reason)
            except ConnectionClosed:
                log.debug("slack emulator: link already closed while disconnecting")

        async def close_all() -> None:
            # The closing handshake finishes in the background (clients differ in how
            # fast they answer); those links already take no new envelopes.
            for link in links:
                task = asyncio.ensure_future(close_link(link))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

        asyncio.run_coroutine_threadsafe(close_all(), loop).result(5)
        return len(links)

"""``SlackEmulator``: lifecycle, workspace setup, inspection, faults and response_urls."""

from __future__ import annotations

import copy
import logging
import time
from collections import deque
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from threading import Thread
from typing import Any, TypeVar

from .blockkit import validate_blocks
from .config import Config
from .interactions import InteractionsMixin
from .methods import store_message
from .ratelimits import RateLimiter
from .server import make_server, serve_in_thread
from .socket_mode import SocketModeServer
from .state import Call, Fault, State

log = logging.getLogger(__name__)
T = TypeVar("T")
RESPONSE_URL_MAX_USES = 5
RESPONSE_URL_TTL = 30 * 60

MESSAGE_KEYS = ("channel", "ts", "text", "blocks", "attachments", "metadata", "user")


class SlackEmulator(InteractionsMixin):
    """A local Slack: Web API under ``api_url``, and signed requests sent to ``events_url``.

    With ``socket_mode`` on, the app connects through ``apps.connections.open`` (app-level
    token ``app_token``) and every sender delivers over that WebSocket instead of HTTP,
    waiting for the app's ack; see :mod:`slack_emulator.socket_mode`.
    """

    def __init__(
        self,
        signing_secret: str = "secret",
        bot_token: str = "xoxb-test",
        team_id: str = "T0001",
        events_url: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_user_id: str = "U0BOT",
        request_timeout: float = 10.0,
        app_token: str = "xapp-1-A0LEADROUTER-1-emulator",
        socket_mode: bool = False,
        latency: float = 0.0,
        rate_limits: bool = False,
    ) -> None:
        self.config = Config(
            latency=latency,
            signing_secret=signing_secret,
            bot_token=bot_token,
            app_token=app_token,
            team_id=team_id,
            bot_user_id=bot_user_id,
        )
        if rate_limits:
            self.config.rate_limiter = RateLimiter()
        self.state = State(team_id=team_id, bot_user_id=bot_user_id)
        self.state.add_user(id=bot_user_id, name=self.config.bot_name, is_bot=True)
        self.events_url = events_url
        self.request_timeout = request_timeout
        self.host = host
        self.port = port
        # Deliver to the app over Socket Mode (Slack's "Enable Socket Mode" toggle).
        self.socket_mode = socket_mode
        self.socket = SocketModeServer(self.state, self.config, host)
        self._server: ThreadingHTTPServer | None = None
        self._thread: Thread | None = None

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> SlackEmulator:
        if self._server is not None:
            return self
        self._server = make_server(self, self.host, self.port)
        self.port = self._server.server_address[1]
        self.config.base_url = f"http://{self.host}:{self.port}"
        self._thread = serve_in_thread(self._server)
        log.info("slack emulator listening on %s", self.api_url)
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        self.socket.stop()
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if not self.config.base_url:
            raise RuntimeError("SlackEmulator is not started; call start() first")
        return self.config.base_url

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    @property
    def signing_secret(self) -> str:
        return self.config.signing_secret

    @property
    def bot_token(self) -> str:
        return self.config.bot_token

    @property
    def app_token(self) -> str:
        return self.config.app_token

    @property
    def bot_user_id(self) -> str:
        return self.config.bot_user_id

    @property
    def trigger_ttl(self) -> float:
        return self.config.trigger_ttl

    @trigger_ttl.setter
    def trigger_ttl(self, seconds: float) -> None:
        self.config.trigger_ttl = seconds

    # -- workspace setup --------------------------------------------------------------
    def add_user(self, id: str, name: str, **fields: Any) -> dict[str, Any]:
        with self.state.lock:
            return self.state.add_user(id=id, name=name, **fields)

    def add_channel(
        self, id: str, name: str, members: list[str] | None = None, **fields: Any
    ) -> dict[str, Any]:
        with self.state.lock:
            return self.state.add_channel(id=id, name=name, members=members, **fields)

    def dm_channel_for(self, user_id: str) -> str:
        with self.state.lock:
            return self.state.open_im(user_id)

    def add_message(
        self, channel: str, user: str, text: str, *, blocks: list[Any] | None = None
    ) -> dict[str, Any]:
        """Seed a message written by a person (not the bot) into a channel."""
        with self.state.lock:
            channel_id = self._resolve_channel_id(channel)
            msg = store_message(
                self.state, self.config, channel_id, text=text, user=user, blocks=blocks
            )
            return self._public(msg)

    def new_trigger(self, user_id: str) -> str:
        """A fresh trigger_id, as if the user had just interacted."""
        with self.state.lock:
            return self.state.new_trigger(user_id)

    # -- inspection -------------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[Call]:
        with self.state.lock:
            return [copy.deepcopy(c) for c in self.state.calls if method in (None, c.method)]

    @staticmethod
    def _public(msg: dict[str, Any]) -> dict[str, Any]:
        out = {k: copy.deepcopy(msg.get(k)) for k in MESSAGE_KEYS}
        out["thread_ts"] = msg.get("thread_ts")
        out["updated"] = msg.get("updated", 0)
        return out

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            if channel is not None:
                channel = self._resolve_channel_id(channel)
            msgs = sorted(
                self.state.messages.values(),
                key=lambda m: tuple(int(p) for p in m["ts"].split(".")),
            )
            return [self._public(m) for m in msgs if channel in (None, m["channel"])]

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        with self.state.lock:
            msg = self.state.messages.get((self._resolve_channel_id(channel), ts))
            if msg is None:
                raise KeyError(f"no message {channel}/{ts}")
            return self._public(msg)

    def ephemerals(self, user: str | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            return [copy.deepcopy(e) for e in self.state.ephemerals if user in (None, e["user"])]

    def responses(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return copy.deepcopy(self.state.responses)

    def deliveries(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Every request sent to ``events_url``: kind, payload, status, elapsed, response."""
        with self.state.lock:
            return [copy.deepcopy(d) for d in self.state.deliveries if kind in (None, d["kind"])]

    @staticmethod
    def _view_out(record: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(record["view"])
        out.update(
            user=record["user"],
            closed=record["closed"],
            opened_by=record["opened_by"],
            submit_errors=copy.deepcopy(record["submit_errors"]),
        )
        return out

    def views(self, user: str | None = None) -> list[dict[str, Any]]:
        with self.state.lock:
            return [
                self._view_out(r) for r in self.state.views.values() if user in (None, r["user"])
            ]

    def view(self, view_id: str) -> dict[str, Any]:
        with self.state.lock:
            if view_id not in self.state.views:
                raise KeyError(f"no view {view_id}")
            return self._view_out(self.state.views[view_id])

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        with self.state.lock:
            view_id = self.state.home_views.get(user_id)
            return None if view_id is None else self._view_out(self.state.views[view_id])

    def wait_for(
        self, predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.02
    ) -> T:
        """Poll ``predicate`` until it returns something truthy; return that value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                with self.state.lock:
                    recent = [
                        f"{c.method} -> {c.status} {c.response.get('error', 'ok')}"
                        for c in self.state.calls[-10:]
                    ]
                name = getattr(predicate, "__name__", repr(predicate))
                raise TimeoutError(
                    f"condition {name} still false after {timeout}s (last value {value!r}); "
                    f"last Web API calls: {recent or 'none'}"
                )
            time.sleep(interval)

    # -- Socket Mode ------------------------------------------------------------------
    def socket_connections(self) -> int:
        """How many Socket Mode connections are open (and not being closed)."""
        return self.socket.live_connections()

    def wait_socket_connected(self, timeout: float = 5.0) -> None:
        if not self.socket.wait_connected(timeout):
            raise TimeoutError(f"no Socket Mode connection after {timeout}s")

    def disconnect_socket(
        self, reason: str = "refresh_requested", *, send_message: bool = True
    ) -> int:
        """Send ``{"type": "disconnect"}`` and close every Socket Mode connection, as Slack
        does when it refreshes a link; returns how many were closed. Deliveries made
        afterwards wait (up to ``socket.connect_wait``) for the app to reconnect."""
        return self.socket.disconnect(reason, send_message=send_message)

    # -- faults & reset ---------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        *,
        error: str = "ratelimited",
        status: int | None = None,
        retry_after: int = 1,
        times: int = 1,
        after: bool = False,
        drop: bool = False,
        delay: float = 0.0,
    ) -> None:
        """Fail the next ``times`` calls of ``method``: answer ``error`` (HTTP ``status``,
        429 with ``Retry-After`` for ``ratelimited``) without doing the call; or, with
        ``after``, do the call and then answer ``status`` or drop the connection
        (``drop``); ``delay`` alone answers a performed call that many seconds late."""
        if times < 1:
            raise ValueError("times must be >= 1")
        if delay < 0:
            raise ValueError("delay must be >= 0")
        if delay and status is None and not drop:
            after = True  # a slow answer: Slack did the call, the client stopped waiting
        if after and not drop and status in (None, 429) and not delay:
            raise ValueError("after=True needs a 5xx status, drop=True or a delay")
        with self.state.lock:
            self.state.faults.setdefault(method, deque()).append(
                Fault(
                    error=error,
                    status=status,
                    retry_after=retry_after,
                    remaining=times,
                    after=after,
                    drop=drop,
                    delay=delay,
                )
            )

    def set_rate_limits(
        self, enabled: bool = True, overrides: dict[str, dict[str, float]] | None = None
    ) -> None:
        """Switch Slack's rate limits on (with per-method ``overrides``:
        ``{"views.publish": {"per_minute": 100, "burst": 20}}``, and
        ``"chat.postMessage:channel"`` for posts per channel) or off."""
        self.config.rate_limiter = RateLimiter(overrides) if enabled else None

    def rate_limited(self) -> dict[str, int]:
        """How many calls of each method were answered 429 by the rate limits."""
        limiter = self.config.rate_limiter
        return dict(limiter.limited) if limiter is not None else {}

    def reset(self) -> None:
        with self.state.lock:
            self.state.clear()

    # -- response_url -----------------------------------------------------------------
    def handle_response_url(self, token: str, body: dict[str, Any]) -> tuple[int, str]:
        """Apply a POST to a response_url; returns (HTTP status, text) as Slack answers."""
        with self.state.lock:
            ru = self.state.response_urls.get(token)
            entry: dict[str, Any] = {
                "response_type": None,
                "replace_original": False,
                "delete_original": False,
                "text": None,
                "blocks": None,
                **copy.deepcopy(body),
                "user_id": ru.user_id if ru else None,
                "channel_id": ru.channel_id if ru else None,
                "message_ts": ru.message_ts if ru else None,
            }
            status, text = self._apply_response(ru, body)
            entry["status"] = status
            self.state.responses.append(entry)
            return status, text

    def _apply_response(self, ru: Any, body: dict[str, Any]) -> tuple[int, str]:
        if ru is None:
            return 404, "invalid_token"
        if ru.uses >= RESPONSE_URL_MAX_USES or time.monotonic() - ru.created > RESPONSE_URL_TTL:
            return 404, "expired_url"
        blocks = body.get("blocks")
        if blocks is not None and (not isinstance(blocks, list) or validate_blocks(blocks)):
            return 400, "invalid_blocks"
        ru.uses += 1
        original = (
            self.state.messages.get((ru.channel_id, ru.message_ts)) if ru.message_ts else None
        )
        if body.get("delete_original"):
            if original is None:
                return 404, "message_not_found"
            del self.state.messages[(original["channel"], original["ts"])]
            return 200, "ok"
        if body.get("replace_original") and ru.message_ts:
            if original is None:
                return 404, "message_not_found"
            original["text"] = str(body.get("text") or "")
            original["blocks"] = copy.deepcopy(blocks)
            original["attachments"] = copy.deepcopy(body.get("attachments"))
            original["updated"] += 1
            return 200, "ok"
        if not body.get("text") and not blocks:
            return 400, "no_text"
        if body.get("response_type") == "in_channel" and ru.channel_id:
            store_message(
                self.state,
                self.config,
                ru.channel_id,
                text=str(body.get("text") or ""),
                user=self.config.bot_user_id,
                blocks=blocks,
                thread_ts=body.get("thread_ts"),
            )
            return 200, "ok"
        self.state.ephemerals.append(
            {
                "channel": ru.channel_id,
                "user": ru.user_id,
                "ts": self.state.next_ts(),
                "text": body.get("text"),
                "blocks": copy.deepcopy(blocks),
                "thread_ts": body.get("thread_ts"),
                "source": "response_url",
            }
        )
        return 200, "ok"

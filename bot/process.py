"""The whole bot in one process: HTTP server, Bolt, outbox pump, scheduler.

Used by ``leadrouter run``, the demo and the end-to-end tests alike.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn

from bot.app import create_bolt_app
from bot.http.server import create_http_app
from bot.http.serving import server_options
from bot.outbox.handlers import HANDLERS
from bot.outbox.pump import OutboxPump
from bot.outbox.worker import OutboxWorker
from bot.runtime import Runtime
from bot.scheduler import build_scheduler
from bot.socket_mode import SocketModeConnection
from storage.migrate import upgrade

log = logging.getLogger(__name__)


class BotService:
    def __init__(self, rt: Runtime, *, host: str | None = None, port: int | None = None) -> None:
        self.rt = rt
        self.host = host or rt.settings.host
        self.port = rt.settings.port if port is None else port
        self.bolt = create_bolt_app(rt) if not rt.settings.missing_for_slack() else None
        self.http = create_http_app(rt, self.bolt)
        self.worker = OutboxWorker(rt, HANDLERS)
        self.pump = OutboxPump(self.worker, interval=rt.settings.worker_interval)
        self.scheduler = build_scheduler(rt)
        # SLACK_APP_TOKEN set: Slack traffic over Socket Mode; /slack/events answers 404.
        self.socket_mode = (
            SocketModeConnection(rt.settings, self.bolt)
            if self.bolt is not None and rt.settings.slack_app_token
            else None
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def migrate(self) -> None:
        upgrade(self.rt.db.engine)

    def start(self) -> BotService:
        """Start everything in background threads; returns once HTTP accepts requests."""
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((self.host, self.port))
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(
            self.http,
            log_level="warning",
            access_log=False,
            lifespan="off",
            # Ours, not uvicorn's dictConfig: its lines go through the JSON handler too.
            log_config=None,
            **server_options(),
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the HTTP server did not start within 10 s")
            time.sleep(0.01)
        self.pump.start()
        self.scheduler.start()
        if self.socket_mode is not None:
            try:
                self.socket_mode.start()
            except Exception:
                self.stop()
                raise
        log.info("bot_started", extra={"url": self.url})
        return self

    def serve_forever(self) -> None:
        """Run the HTTP server on this thread (``leadrouter run``)."""
        self.pump.start()
        self.scheduler.start()
        config = uvicorn.Config(
            self.http,
            host=self.host,
            port=self.port,
            log_level="info",
            lifespan="off",
            log_config=None,  # uvicorn's lines go through our (JSON) handler
            **server_options(),  # public-endpoint limits, documented in bot/http/serving.py
        )
        self._server = uvicorn.Server(config)
        try:
            if self.socket_mode is not None:
                self.socket_mode.start()
            self._server.run()
        finally:
            self._shutdown_workers()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._shutdown_workers()
        if self._socket is not None:
            self._socket.close()

    def _shutdown_workers(self) -> None:
        if self.socket_mode is not None:
            self.socket_mode.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        self.pump.stop()

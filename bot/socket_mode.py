"""Socket Mode: Slack traffic over a WebSocket instead of HTTP requests to ``/slack/events``.

On when ``SLACK_APP_TOKEN`` (an app-level ``xapp-...`` token with ``connections:write``) is
set. ``apps.connections.open`` goes to ``SLACK_API_URL`` like every other Web API call, so
the emulator (or a proxy) works the same as slack.com. The connection uses slack_bolt's
built-in adapter (no extra dependency, ``wss://`` to Slack, ``ws://`` to a local emulator)
and runs on its own threads; it reconnects by itself when Slack sends ``disconnect`` or
the link drops. The same Bolt app serves both modes, so listeners ack first and do the
slow work after the ack either way.
"""

from __future__ import annotations

import logging
import socket
import threading

from slack_bolt import App
from slack_bolt.adapter.socket_mode.builtin import SocketModeHandler

from bot.settings import Settings, reveal
from bot.slack.client import make_web_client

log = logging.getLogger(__name__)
# After a close frame, look again this soon and reconnect if the link is really gone.
RECONNECT_CHECK_DELAY = 0.2


class SocketModeConnection:
    """One Socket Mode link for a Bolt app: ``start()`` connects, ``stop()`` closes."""

    def __init__(self, settings: Settings, bolt: App) -> None:
        if not settings.slack_app_token:
            raise ValueError("Socket Mode needs SLACK_APP_TOKEN (an xapp-... app-level token)")
        # apps.connections.open takes the app-level token, never the bot token.
        web_client = make_web_client(None, settings.slack_api_url)
        self.handler = SocketModeHandler(
            app=bolt,
            app_token=reveal(settings.slack_app_token),
            web_client=web_client,
            logger=logging.getLogger("slack_bolt.socket_mode"),
        )
        # The builtin client reconnects at once on a "disconnect" message, but on a bare
        # close frame only from its monitor (every ping interval): check right away.
        self.handler.client.on_close_listeners.append(self._on_close)
        self.started = False

    @property
    def connected(self) -> bool:
        return self.started and self.handler.client.is_connected()

    def start(self) -> None:
        """Open the first connection; raises ``SlackApiError`` on a wrong or revoked token."""
        self.handler.connect()
        self.started = True
        log.info("socket_mode_connected")

    def _on_close(self, code: int, reason: str | None) -> None:
        log.info("socket_mode_link_closed", extra={"code": code, "reason": reason})
        if self.started:
            timer = threading.Timer(RECONNECT_CHECK_DELAY, self._reconnect_if_down)
            timer.daemon = True
            timer.start()

    def _reconnect_if_down(self) -> None:
        client = self.handler.client
        if not self.started or client.closed or client.is_connected():
            return
        log.info("socket_mode_reconnecting")
        try:
            client.connect_to_new_endpoint()
        except Exception:  # the client's own monitor keeps retrying every ping interval
            log.exception("socket_mode_reconnect_failed")

    def stop(self) -> None:
        if not self.started:
            return
        self.started = False
        client = self.handler.client
        client.auto_reconnect_enabled = False
        # Wake the receiving thread (it holds the socket for up to its 3 s read timeout)
        # so that closing does not wait for it.
        session = client.current_session
        sock = session.sock if session is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError as exc:
                log.debug("socket_mode_shutdown: %s", exc)
        self.handler.close()
        log.info("socket_mode_closed")

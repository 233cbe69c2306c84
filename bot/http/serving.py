"""uvicorn settings for a public endpoint: bounded connections, headers and idle time.

``server_options()`` is spread into every ``uvicorn.Config`` the bot builds, so the
in-process server (tests, demo) and ``leadrouter run`` refuse the same things.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.http.limits import MAX_HEADER_BYTES

log = logging.getLogger(__name__)

# Open connections plus running requests; beyond it uvicorn answers 503 at once instead
# of queueing. 256 is ~5x the largest burst the tests and benchmarks drive (50 concurrent
# claims) and bounds request memory to 256 x the body limit in the worst case.
LIMIT_CONCURRENCY = 256
# An idle keep-alive connection is closed after this (uvicorn's default, kept explicit):
# idle connections count against LIMIT_CONCURRENCY.
TIMEOUT_KEEP_ALIVE_S = 5
# MAX_HEADER_BYTES (bot/http/limits.py) is h11's buffer for a head still arriving.
# Connections the kernel queues before accept(); uvicorn's default is 2048. Smaller means
# an overloaded process refuses (and a load balancer retries elsewhere) sooner.
BACKLOG = 512
# The request line and headers must arrive within this long after the connection opens
# (or the next request's first byte): uvicorn has no such timeout, so a client sending a
# header a minute would hold a connection slot forever (slowloris).
HEADER_TIMEOUT_S = 10.0


class HeaderTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for each request head."""

    header_timeout_s: float = HEADER_TIMEOUT_S
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._track_head()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # A pipelined next request may already be half buffered: its head has a deadline.
        if self.conn.their_state is h11.IDLE and self.conn.trailing_data[0]:
            self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _track_head(self) -> None:
        if self.conn.their_state is h11.IDLE:
            # Bytes of a head arrived but not all of it: the deadline runs from the first.
            self._arm_head_timer()
        else:
            self._cancel_head_timer()

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.header_timeout_s, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.info("http_header_timeout", extra={"client": self.client})
            self.transport.close()


def server_options(*, header_timeout_s: float = HEADER_TIMEOUT_S) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.Config``."""
    protocol: type[HeaderTimeoutH11Protocol] = HeaderTimeoutH11Protocol
    if header_timeout_s != HEADER_TIMEOUT_S:
        protocol = type("HeaderTimeoutH11Protocol", (HeaderTimeoutH11Protocol,), {})
        protocol.header_timeout_s = header_timeout_s
    return {
        # h11 pinned: MAX_HEADER_BYTES and the head deadline are h11's; with "auto" an
        # installed httptools would silently replace both.
        "http": protocol,
        # No WebSocket route exists; refuse upgrades rather than hand them to a library.
        "ws": "none",
        "limit_concurrency": LIMIT_CONCURRENCY,
        "timeout_keep_alive": TIMEOUT_KEEP_ALIVE_S,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "backlog": BACKLOG,
    }

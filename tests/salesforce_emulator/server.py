"""HTTPS transport: a ThreadingHTTPServer whose connections are wrapped in TLS per thread."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from .emulator import SalesforceEmulator

log = logging.getLogger(__name__)


class _TlsServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, context: ssl.SSLContext) -> None:
        super().__init__(address, handler)
        self.context = context
        self.connections: set[ssl.SSLSocket] = set()
        self._connections_lock = threading.Lock()

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The handshake runs on the connection's own thread, never blocking accept().
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.debug("salesforce emulator: TLS handshake failed: %s", exc)
            return
        with self._connections_lock:
            self.connections.add(tls)
        try:
            self.RequestHandlerClass(tls, client_address, self)  # type: ignore[arg-type]
        finally:
            with self._connections_lock:
                self.connections.discard(tls)

    def drop_connections(self) -> None:
        """Cut open keep-alive connections (a stopped server must look down)."""
        with self._connections_lock:
            open_now = list(self.connections)
        for conn in open_now:
            # Already closed by the peer: shutting it down again has nothing to do.
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class Response:
    def __init__(
        self,
        status: int,
        body: Any = None,
        *,
        content_type: str = "application/json;charset=UTF-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}

    def payload(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


def make_handler(emulator: SalesforceEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "SalesforceEmulator/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("salesforce emulator: " + format, *args)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _handle(self) -> None:
            raw = self._body()
            split = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(split.query).items()}
            headers = {k.lower(): v for k, v in self.headers.items()}
            response = emulator.handle(self.command, split.path, query, headers, raw)
            data = response.payload()
            self.send_response(response.status)
            if response.status != 204:
                self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if data:
                self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _handle

    return Handler


def make_server(
    emulator: SalesforceEmulator, host: str, port: int, context: ssl.SSLContext
) -> ThreadingHTTPServer:
    server = _TlsServer((host, port), make_handler(emulator), context)
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return server


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return thread

"""HTTP front end: ``/api/<method>``, ``/_response/<token>`` and ``/_emulator/<op>``."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from .methods import call_api

if TYPE_CHECKING:
    from .emulator import SlackEmulator

log = logging.getLogger(__name__)
JSON_TYPE = "application/json; charset=utf-8"


class BadRequest(Exception):
    pass


def _flatten(query: dict[str, list[str]]) -> dict[str, Any]:
    return {k: v[-1] for k, v in query.items()}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SlackEmulator/1.0"
    # one buffered write per response + TCP_NODELAY: no delayed-ACK stalls on keep-alive
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    emulator: SlackEmulator  # set on the subclass built by make_server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    # -- plumbing ---------------------------------------------------------------------
    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size_line = self.rfile.readline().split(b";", 1)[0].strip()
                size = int(size_line or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(body).encode(), JSON_TYPE, headers)

    def _form_or_json(self, raw: bytes) -> dict[str, Any]:
        ctype = self.headers.get("Content-Type", "").lower()
        if not raw:
            return {}
        text = raw.decode("utf-8")
        if "application/json" in ctype:
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise BadRequest("invalid_json") from exc
            if not isinstance(data, dict):
                raise BadRequest("json_not_object")
            return data
        if "multipart/form-data" in ctype:
            raise BadRequest("invalid_form_data")
        return _flatten(parse_qs(text, keep_blank_values=True))

    # -- dispatch ---------------------------------------------------------------------
    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        try:
            url = urlsplit(self.path)
            raw = self._read_body()
            query = _flatten(parse_qs(url.query, keep_blank_values=True))
            if url.path.startswith("/api/"):
                self._api(url.path[len("/api/") :], query, raw)
            elif url.path.startswith("/_response/") and self.command == "POST":
                self._response_url(url.path[len("/_response/") :], raw)
            elif url.path.startswith("/_emulator/"):
                self._control(url.path[len("/_emulator/") :], query, raw)
            else:
                self.send_json(404, {"ok": False, "error": "not_found", "path": url.path})
        except BadRequest as exc:
            self.send_json(200, {"ok": False, "error": str(exc)})
        except Exception as exc:
            log.exception("slack emulator: error handling %s %s", self.command, self.path)
            self.send_json(500, {"ok": False, "error": "emulator_error", "detail": repr(exc)})

    def _api(self, name: str, query: dict[str, Any], raw: bytes) -> None:
        args = dict(query)
        args.update(self._form_or_json(raw))
        auth = self.headers.get("Authorization", "")
        token: str | None = None
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip() or None
        elif isinstance(args.get("token"), str) and args["token"]:
            token = args["token"]
        if name.strip("/") == "apps.connections.open":
            self.emulator.socket.start()  # started on first use; serves the ws:// URLs
        result = call_api(self.emulator.state, self.emulator.config, name.strip("/"), args, token)
        if result.drop:
            # The connection dies before an answer: the caller cannot know what happened.
            self.close_connection = True
            with contextlib.suppress(OSError):  # already gone: nothing left to close
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_json(result.status, result.body, result.headers)

    def _response_url(self, token: str, raw: bytes) -> None:
        try:
            body = json.loads(raw.decode("utf-8") or "{}")
        except json.JSONDecodeError:
            self._send(400, b"invalid_payload", "text/plain; charset=utf-8")
            return
        if not isinstance(body, dict):
            self._send(400, b"invalid_payload", "text/plain; charset=utf-8")
            return
        status, text = self.emulator.handle_response_url(token, body)
        self._send(status, text.encode(), "text/plain; charset=utf-8")

    def _control(self, op: str, query: dict[str, Any], raw: bytes) -> None:
        from .control import handle_control

        body: dict[str, Any] = {}
        if raw:
            try:
                data = json.loads(raw.decode("utf-8"))
            except json.JSONDecodeError:
                self.send_json(400, {"ok": False, "error": "invalid_json"})
                return
            if not isinstance(data, dict):
                self.send_json(400, {"ok": False, "error": "json_not_object"})
                return
            body = data
        status, out = handle_control(self.emulator, self.command, op.strip("/"), query, body)
        self.send_json(status, out)


def make_server(emulator: SlackEmulator, host: str, port: int) -> ThreadingHTTPServer:
    handler = type("BoundHandler", (Handler,), {"emulator": emulator})
    server_class = type("EmulatorHTTPServer", (ThreadingHTTPServer,), {"request_queue_size": 128})
    server = server_class((host, port), handler)
    server.daemon_threads = True
    return server


def serve_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-emulator"
    )
    thread.daemon = True
    thread.start()
    return thread

"""HTTP over a bare socket, for what httpx will not send: a declared body that never
comes, a malformed Content-Length, a chunked body far past any limit."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class RawAnswer:
    status: int | None
    head: str
    body: bytes
    elapsed: float  # seconds from the last byte sent to the end of the answer
    sent: int  # body bytes the server let us send before it closed the connection

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


LAST_CHUNK = b"0\r\n\r\n"


def raw_request(
    port: int,
    head: str,
    body: Iterable[bytes] = (),
    *,
    timeout: float = 2.0,
) -> RawAnswer:
    """Send ``head`` (request line and headers, no blank line) and ``body`` pieces, then
    read the answer until the server closes or ``timeout`` passes without a byte."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.rstrip("\r\n").encode("latin-1") + b"\r\n\r\n")
        for piece in body:
            try:
                sock.sendall(piece)
            except OSError:  # the server answered and closed: stop sending, read its answer
                break
            sent += len(piece)
        started = time.monotonic()
        received = b""
        try:
            while data := sock.recv(65536):
                received += data
                if _complete(received):
                    break
        except TimeoutError:
            pass  # what arrived so far is the answer (possibly nothing)
        except ConnectionResetError:
            pass  # closed with our unread body in its buffer: the answer came before
        elapsed = time.monotonic() - started
    head_bytes, _, rest = received.partition(b"\r\n\r\n")
    status_line = head_bytes.split(b"\r\n", 1)[0].decode(errors="replace")
    parts = status_line.split(" ")
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    return RawAnswer(status, head_bytes.decode(errors="replace"), rest, elapsed, sent)


def _complete(received: bytes) -> bool:
    head, sep, rest = received.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(rest) >= int(value.strip())
    return False

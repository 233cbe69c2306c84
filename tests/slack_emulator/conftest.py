"""Fixtures: a started emulator with a small workspace, a real WebClient, and a tiny app
endpoint that records (and signature-checks) what the emulator sends."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from slack_emulator import SlackEmulator

SECRET = "test-signing-secret"
TOKEN = "xoxb-test"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    verified: bool

    @property
    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body, keep_blank_values=True).items()}

    @property
    def payload(self) -> dict[str, Any]:
        data = json.loads(self.form["payload"])
        assert isinstance(data, dict)
        return data

    @property
    def json(self) -> dict[str, Any]:
        data = json.loads(self.body)
        assert isinstance(data, dict)
        return data


Reply = tuple[int, str, str]  # status, content type, body


@dataclass
class Receiver:
    """The app side: records requests; ``respond`` decides each answer."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    respond: Callable[[Received], Reply] = lambda r: (200, "text/plain", "")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    verifier = SignatureVerifier(SECRET)

    class AppHandler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            headers = {k: v for k, v in self.headers.items()}
            ok = verifier.is_valid_request(body, headers)
            item = Received(self.path, headers, body, ok)
            rec.requests.append(item)
            status, ctype, text = rec.respond(item) if ok else (401, "text/plain", "")
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), AppHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    yield rec
    server.shutdown()
    server.server_close()


@pytest.fixture
def emu(receiver: Receiver) -> Iterator[SlackEmulator]:
    e = SlackEmulator(signing_secret=SECRET, bot_token=TOKEN, team_id="T0001")
    e.start()
    e.events_url = receiver.url
    e.add_user(
        id="U_ALICE",
        name="alice",
        email="alice@example.com",
        real_name="Alice Chen",
        tz="America/Los_Angeles",
    )
    e.add_user(id="U_BOB", name="bob", email="bob@example.com", real_name="Bob Diaz")
    e.add_user(id="U_GONE", name="gone", email="gone@example.com", deleted=True)
    e.add_channel(id="C_SDR", name="sdr-west", members=["U_ALICE", "U_BOB"])
    e.add_channel(
        id="C_SECRET", name="secret", members=["U_ALICE"], is_private=True, bot_is_member=False
    )
    yield e
    e.stop()


@pytest.fixture
def client(emu: SlackEmulator) -> WebClient:
    return WebClient(token=TOKEN, base_url=emu.api_url)


def card_blocks(lead: str = "L-1") -> list[dict[str, Any]]:
    """A lead card like the bot posts: a section and Accept/Decline buttons."""
    return [
        {"type": "section", "block_id": "who", "text": {"type": "mrkdwn", "text": "*Acme*"}},
        {
            "type": "actions",
            "block_id": "offer",
            "elements": [
                {
                    "type": "button",
                    "action_id": "lead_accept",
                    "text": {"type": "plain_text", "text": "Accept"},
                    "style": "primary",
                    "value": lead,
                },
                {
                    "type": "button",
                    "action_id": "lead_decline",
                    "text": {"type": "plain_text", "text": "Decline"},
                    "value": lead,
                },
            ],
        },
    ]

"""The /_emulator/ control API over HTTP, and standalone mode."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from slack_sdk import WebClient

from slack_emulator import SlackEmulator

from .conftest import TOKEN, Receiver, card_blocks

ROOT = Path(__file__).resolve().parents[2]


def test_control_api_round_trip(emu: SlackEmulator, receiver: Receiver) -> None:
    ctl = httpx.Client(base_url=f"{emu.base_url}/_emulator/")
    assert ctl.get("health").json()["ok"] is True
    r = ctl.post("users", json={"id": "U_DAN", "name": "dan", "email": "dan@example.com"})
    assert r.json()["user"]["id"] == "U_DAN"
    ctl.post("channels", json={"id": "C_Q", "name": "queue", "members": ["U_DAN"]})
    client = WebClient(token=TOKEN, base_url=emu.api_url)
    assert client.users_lookupByEmail(email="dan@example.com")["user"]["id"] == "U_DAN"
    ts = client.chat_postMessage(channel="C_Q", text="claim me", blocks=card_blocks())["ts"]

    messages = ctl.get("messages", params={"channel": "C_Q"}).json()["messages"]
    assert [m["ts"] for m in messages] == [ts]
    calls = ctl.get("calls", params={"method": "chat.postMessage"}).json()["calls"]
    assert len(calls) == 1 and calls[0]["args"]["blocks"] == card_blocks()

    clicked = ctl.post(
        "click", json={"user_id": "U_DAN", "channel": "C_Q", "ts": ts, "action_id": "lead_accept"}
    ).json()
    assert clicked == {"ok": True, "status": 200, "body": ""}
    assert receiver.requests[-1].payload["user"]["id"] == "U_DAN"
    assert ctl.post("slash", json={"user_id": "U_DAN", "text": "help"}).json()["status"] == 200
    assert receiver.requests[-1].form["text"] == "help"

    assert ctl.post("fail_next", json={"method": "chat.postMessage", "status": 500}).json()["ok"]
    failed = httpx.post(
        emu.api_url + "chat.postMessage",
        data={"channel": "C_Q", "text": "x"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert failed.status_code == 500

    bad = ctl.post("click", json={"user_id": "U_DAN", "channel": "C_Q", "ts": "1.1"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_request"
    assert ctl.get("nope").status_code == 404
    assert ctl.get("ephemerals").json() == {"ok": True, "ephemerals": []}
    assert ctl.post("reset").json()["ok"] is True
    assert ctl.get("calls").json()["calls"] == []


def test_standalone_mode(tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    users.write_text('[{"id": "U_ZED", "name": "zed", "email": "zed@example.com"}]')
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "slack_emulator",
            "--port",
            "0",
            "--bot-token",
            "xoxb-s",
            "--users",
            str(users),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        api_url = proc.stdout.readline().strip()
        assert api_url.startswith("http://127.0.0.1:") and api_url.endswith("/api/")
        client = WebClient(token="xoxb-s", base_url=api_url)
        assert client.users_lookupByEmail(email="zed@example.com")["user"]["id"] == "U_ZED"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0

"""Standalone mode: ``python -m slack_emulator --port 3100 --events-url URL``."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from .emulator import SlackEmulator


def _load_workspace(emu: SlackEmulator, path: Path) -> None:
    """``users.json``: a list of users, or ``{"users": [...], "channels": [...]}``."""
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    users = data if isinstance(data, list) else data.get("users", [])
    channels = [] if isinstance(data, list) else data.get("channels", [])
    for user in users:
        emu.add_user(**user)
    for channel in channels:
        emu.add_channel(**channel)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m slack_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3100)
    parser.add_argument("--signing-secret", default="secret")
    parser.add_argument("--bot-token", default="xoxb-test")
    parser.add_argument("--team-id", default="T0001")
    parser.add_argument("--app-token", default="xapp-1-A0LEADROUTER-1-emulator")
    parser.add_argument(
        "--socket-mode",
        action="store_true",
        help="deliver to the app over Socket Mode (apps.connections.open) instead of HTTP",
    )
    parser.add_argument("--events-url", default=None, help="the app's /slack/events URL")
    parser.add_argument("--users", type=Path, default=None, help="JSON users/channels file")
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds each Web API call takes, like real Slack's 50-300 ms (default 0)",
    )
    parser.add_argument(
        "--rate-limits",
        action="store_true",
        help="answer 429 with Retry-After past Slack's rate tiers, as real Slack does",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)

    emu = SlackEmulator(
        signing_secret=args.signing_secret,
        bot_token=args.bot_token,
        team_id=args.team_id,
        events_url=args.events_url,
        host=args.host,
        port=args.port,
        app_token=args.app_token,
        socket_mode=args.socket_mode,
        latency=args.latency,
        rate_limits=args.rate_limits,
    )
    if args.users is not None:
        _load_workspace(emu, args.users)
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    emu.start()
    print(emu.api_url, flush=True)
    try:
        while not stop.wait(0.5):
            continue
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

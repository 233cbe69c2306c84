"""In-memory workspace state: users, channels, IMs, messages, views, triggers, faults.

Everything here is guarded by ``State.lock`` (an RLock); callers take it around every read
or write. Nothing in this module does I/O.
"""

from __future__ import annotations

import copy
import itertools
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Call:
    """One Web API call as the emulator saw it (failed ones included)."""

    method: str
    args: dict[str, Any]
    status: int
    response: dict[str, Any]
    at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "args": self.args,
            "status": self.status,
            "response": self.response,
            "at": self.at,
        }


@dataclass
class Fault:
    """A failure for the next calls of a method. ``after``: Slack performs the call and
    then fails (answers ``status``/``error``, or drops the connection); ``drop``: the
    connection closes with no answer; ``delay``: the answer comes this many seconds late
    (past a client's timeout, the call having been performed)."""

    error: str
    status: int | None
    retry_after: int
    remaining: int
    after: bool = False
    drop: bool = False
    delay: float = 0.0


@dataclass
class Trigger:
    trigger_id: str
    user_id: str
    created: float
    used: bool = False


@dataclass
class ResponseUrl:
    token: str
    user_id: str
    channel_id: str | None
    message_ts: str | None
    created: float
    uses: int = 0


class State:
    def __init__(self, *, team_id: str, bot_user_id: str) -> None:
        self.lock = threading.RLock()
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.ims: dict[str, str] = {}  # user id -> D id
        # Socket Mode URL tickets from apps.connections.open -> when issued (monotonic)
        self.socket_tickets: dict[str, float] = {}
        self._counter = itertools.count(1)
        self._last_ts_us = 0
        self.clear()

    def clear(self) -> None:
        """Forget calls, messages, views, triggers and faults (users/channels/IMs stay)."""
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.view_stacks: dict[str, list[str]] = {}  # user id -> open modal view ids
        self.home_views: dict[str, str] = {}  # user id -> view id
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.faults: dict[str, deque[Fault]] = {}
        self.deliveries: list[dict[str, Any]] = []

    # -- ids --------------------------------------------------------------------------
    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._counter):08X}"

    def next_ts(self) -> str:
        """Slack message ts: ``"<seconds>.<6 digits>"``, strictly increasing and unique."""
        now_us = int(time.time() * 1_000_000)
        self._last_ts_us = max(now_us, self._last_ts_us + 1)
        return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    def new_trigger(self, user_id: str) -> str:
        trigger_id = f"{next(self._counter)}.{int(time.time())}.{secrets.token_hex(16)}"
        self.triggers[trigger_id] = Trigger(trigger_id, user_id, time.monotonic())
        return trigger_id

    def new_response_url(
        self, user_id: str, channel_id: str | None, message_ts: str | None
    ) -> ResponseUrl:
        token = secrets.token_urlsafe(24)
        ru = ResponseUrl(token, user_id, channel_id, message_ts, time.monotonic())
        self.response_urls[token] = ru
        return ru

    # -- users & conversations --------------------------------------------------------
    def add_user(
        self,
        *,
        id: str,
        name: str,
        email: str | None = None,
        real_name: str | None = None,
        tz: str = "America/Los_Angeles",
        is_bot: bool = False,
        deleted: bool = False,
        is_admin: bool = False,
        title: str = "",
    ) -> dict[str, Any]:
        real = real_name or name
        user: dict[str, Any] = {
            "id": id,
            "team_id": self.team_id,
            "name": name,
            "deleted": deleted,
            "real_name": real,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": _tz_offset(tz),
            "is_admin": is_admin,
            "is_owner": False,
            "is_bot": is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
            "profile": {
                "real_name": real,
                "display_name": name,
                "real_name_normalized": real,
                "display_name_normalized": name,
                "title": title,
                "team": self.team_id,
                **({"email": email} if email else {}),
            },
        }
        self.users[id] = user
        return copy.deepcopy(user)

    def add_channel(
        self,
        *,
        id: str,
        name: str,
        members: list[str] | None = None,
        is_private: bool = False,
        bot_is_member: bool = True,
        is_archived: bool = False,
    ) -> dict[str, Any]:
        channel: dict[str, Any] = {
            "id": id,
            "name": name,
            "name_normalized": name,
            "is_channel": not is_private,
            "is_group": is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": is_private,
            "is_archived": is_archived,
            "is_general": False,
            "is_member": bot_is_member,
            "created": int(time.time()),
            "creator": "",
            "context_team_id": self.team_id,
            "members": list(members or []),
        }
        self.channels[id] = channel
        return copy.deepcopy(channel)

    def open_im(self, user_id: str) -> str:
        if user_id not in self.ims:
            dm = self.next_id("D")
            self.ims[user_id] = dm
            self.channels[dm] = {
                "id": dm,
                "created": int(time.time()),
                "is_im": True,
                "is_channel": False,
                "is_group": False,
                "is_mpim": False,
                "is_private": True,
                "is_archived": False,
                "is_member": True,
                "is_open": True,
                "user": user_id,
                "context_team_id": self.team_id,
                "members": [user_id],
            }
        return self.ims[user_id]

    def channel_by_name(self, name: str) -> dict[str, Any] | None:
        for channel in self.channels.values():
            if channel.get("name") == name:
                return channel
        return None

    def is_member(self, channel: dict[str, Any], user_id: str) -> bool:
        if channel.get("is_im"):
            return channel.get("user") == user_id
        members = channel.get("members") or []
        # a public channel without a member list is treated as open to everyone
        return user_id in members or (not members and not channel.get("is_private"))

    def channel_messages(self, channel_id: str) -> list[dict[str, Any]]:
        return sorted(
            (m for (c, _), m in self.messages.items() if c == channel_id),
            key=lambda m: _ts_key(m["ts"]),
        )

    # -- faults -----------------------------------------------------------------------
    def take_fault(self, method: str) -> Fault | None:
        queue = self.faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            queue.popleft()
        return fault


def _ts_key(ts: str) -> tuple[int, int]:
    sec, _, frac = ts.partition(".")
    return int(sec), int(frac or 0)


def ts_key(ts: str) -> tuple[int, int]:
    """Sort key for a Slack ts string; raises ValueError for malformed input."""
    return _ts_key(ts)


def _tz_offset(tz: str) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        offset = datetime.now(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds()) if offset else 0

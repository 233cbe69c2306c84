"""Channel names (``#sales``) resolved to ids once per process.

Posting by name works in Slack, but finding an earlier post after a crash does not:
``conversations.history`` takes an id. So every post to a named channel goes to its id,
looked up with ``conversations.list`` (Tier 2, pages of 200 as Slack advises): one walk,
then cached; a name not found is looked up again at most once a minute, in case the
channel was just created.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient

MISS_TTL = 60.0
TYPES = "public_channel,private_channel"


class ChannelIds:
    def __init__(self, client: WebClient, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.clock = clock
        self._ids: dict[str, str] = {}
        self._missed: dict[str, float] = {}
        self._lock = threading.Lock()

    def id_for(self, where: str) -> str:
        """The channel id for ``#name``; ids and user ids unchanged. A name Slack does not
        know is returned as given, for Slack to answer ``channel_not_found``."""
        if not where.startswith("#"):
            return where
        name = where[1:].lower()
        with self._lock:
            found = self._ids.get(name)
            if found is not None:
                return found
            missed = self._missed.get(name)
            if missed is not None and self.clock() - missed < MISS_TTL:
                return where
        ids = self._walk()
        with self._lock:
            self._ids.update(ids)
            if name not in ids:
                self._missed[name] = self.clock()
                return where
            return ids[name]

    def _walk(self) -> dict[str, str]:
        ids: dict[str, str] = {}
        cursor: str | None = None
        while True:
            page = self.client.conversations_list(
                types=TYPES, exclude_archived=True, limit=200, cursor=cursor
            )
            for channel in page.get("channels") or []:
                if channel.get("name") and channel.get("id"):
                    ids[str(channel["name"]).lower()] = str(channel["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return ids

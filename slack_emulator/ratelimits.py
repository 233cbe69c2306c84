"""Slack's Web API rate limits: tiers per method per workspace, and posting per channel.

Off unless switched on (``SlackEmulator(rate_limits=True)``, ``--rate-limits``, or the
``/_emulator/rate_limits`` control op). Each limit is a token bucket: a method may burst up
to ``burst`` calls, then gets ``per_minute`` calls a minute; a call over it is answered
as Slack answers it, HTTP 429 ``{"ok": false, "error": "ratelimited"}`` with a
``Retry-After`` header in whole seconds, and is not performed.

The tiers are Slack's published floors (docs.slack.dev/apis/web-api/rate-limits): Tier 1
1+/min, Tier 2 20+/min, Tier 3 50+/min, Tier 4 100+/min. ``chat.postMessage`` is a special
tier: about one message per second per channel with short bursts, plus a workspace-wide
limit whose size Slack does not publish (the default here is an assumption: 600/min).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limit:
    per_minute: float
    burst: float

    @classmethod
    def parse(cls, raw: Mapping[str, Any] | Limit) -> Limit:
        if isinstance(raw, Limit):
            return raw
        limit = cls(float(raw["per_minute"]), float(raw.get("burst", 1)))
        if limit.per_minute <= 0 or limit.burst < 1:
            raise ValueError("a limit needs per_minute > 0 and burst >= 1")
        return limit


TIERS = {1: Limit(1, 1), 2: Limit(20, 5), 3: Limit(50, 10), 4: Limit(100, 20)}
# Each method's tier as Slack's method reference lists it (those the bot and tests use).
METHOD_TIERS = {
    "apps.connections.open": 1,
    "users.list": 2,
    "conversations.list": 2,
    "chat.update": 3,
    "chat.delete": 3,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.open": 3,
    "conversations.info": 3,
    "users.lookupByEmail": 3,
    "chat.postEphemeral": 4,
    "chat.getPermalink": 4,
    "conversations.members": 4,
    "users.info": 4,
    "views.publish": 4,
    "views.open": 4,
    "views.update": 4,
    "views.push": 4,
    "auth.test": 4,
}
POST_PER_CHANNEL = Limit(60, 3)
POST_WORKSPACE = Limit(600, 60)
POSTING = frozenset({"chat.postMessage"})


class _Bucket:
    __slots__ = ("at", "limit", "tokens")

    def __init__(self, limit: Limit, now: float) -> None:
        self.limit = limit
        self.tokens = limit.burst
        self.at = now

    def wait(self, now: float) -> float:
        """0 and a token taken if a call may go now; else seconds until one may."""
        rate = self.limit.per_minute / 60.0
        self.tokens = min(self.limit.burst, self.tokens + (now - self.at) * rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / rate


class RateLimiter:
    """Token buckets per method (workspace-wide) and per channel for posts."""

    def __init__(
        self,
        overrides: Mapping[str, Mapping[str, Any] | Limit] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.limits: dict[str, Limit] = {m: TIERS[t] for m, t in METHOD_TIERS.items()}
        self.limits["chat.postMessage"] = POST_WORKSPACE
        self.per_channel = POST_PER_CHANNEL
        for name, raw in (overrides or {}).items():
            if name == "chat.postMessage:channel":
                self.per_channel = Limit.parse(raw)
            else:
                self.limits[name] = Limit.parse(raw)
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self.limited: dict[str, int] = {}  # method -> calls answered 429

    def retry_after(self, method: str, args: Mapping[str, Any]) -> int | None:
        """None if the call may go now (its tokens taken); else Slack's Retry-After."""
        keys = []
        if method in self.limits:
            keys.append((method, self.limits[method]))
        channel = args.get("channel")
        if method in POSTING and isinstance(channel, str) and channel:
            keys.append((f"{method}:{channel}", self.per_channel))
        if not keys:
            return None
        with self._lock:
            now = self.clock()
            buckets = [self._bucket(key, limit, now) for key, limit in keys]
            # Check every bucket before taking from any: a refused call costs nothing.
            waits = [self._peek(b, now) for b in buckets]
            if any(w > 0 for w in waits):
                self.limited[method] = self.limited.get(method, 0) + 1
                return max(1, math.ceil(max(waits)))
            for bucket in buckets:
                bucket.wait(now)
            return None

    def _bucket(self, key: str, limit: Limit, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None or bucket.limit != limit:
            bucket = self._buckets[key] = _Bucket(limit, now)
        return bucket

    @staticmethod
    def _peek(bucket: _Bucket, now: float) -> float:
        rate = bucket.limit.per_minute / 60.0
        tokens = min(bucket.limit.burst, bucket.tokens + (now - bucket.at) * rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / rate

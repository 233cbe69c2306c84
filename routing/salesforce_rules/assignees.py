"""Salesforce assignees (users and queues) -> rep and queue ids, with stub roster entries."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from routing.salesforce_rules.metadata import QueueInfo

__all__ = ["Assignees", "slugify"]


def slugify(name: str) -> str:
    """``"Hot_Lead_Queue"`` -> ``"hot-lead-queue"``; ``"a.b@x.com"`` -> ``"a-b"``."""
    base = name.split("@", 1)[0] if "@" in name else name
    s = unicodedata.normalize("NFKD", base)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return s or "unnamed"


def _human(name: str) -> str:
    base = name.split("@", 1)[0] if "@" in name else name
    words = re.split(r"[._\s]+", base)
    return " ".join(w[:1].upper() + w[1:] for w in words if w) or name


_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")


class Assignees:
    def __init__(
        self, mapping: Mapping[str, str], queues: Mapping[str, QueueInfo] | None = None
    ) -> None:
        self.mapping = {k.casefold(): v for k, v in mapping.items()}
        self.queue_info = dict(queues or {})
        self.reps: dict[str, dict[str, Any]] = {}
        self.queues: dict[str, dict[str, Any]] = {}
        self.warnings: list[str] = []

    def rep(self, sf_user: str) -> str:
        rep_id = self.mapping.get(sf_user.casefold()) or slugify(sf_user)
        if rep_id not in self.reps:
            stub: dict[str, Any] = {"id": rep_id, "name": _human(sf_user)}
            if _EMAIL_RE.fullmatch(sf_user):
                stub["email"] = sf_user
            stub["salesforce_user"] = sf_user
            self.reps[rep_id] = stub
        return rep_id

    def _stub_member(self) -> str:
        rep_id = "queue-members"
        self.reps.setdefault(rep_id, {"id": rep_id, "name": "Queue members (stub)"})
        return rep_id

    def queue(self, sf_queue: str) -> str:
        queue_id = self.mapping.get(sf_queue.casefold()) or slugify(sf_queue)
        if queue_id not in self.queues:
            info = self.queue_info.get(sf_queue)
            members = [self.rep(user) for user in info.users] if info else []
            if not members:
                members = [self._stub_member()]
                self.warnings.append(
                    f"queue {sf_queue}: members unknown (pass --queues DIR with its "
                    ".queue-meta.xml); a stub member 'queue-members' stands in"
                )
            self.queues[queue_id] = {
                "channel": "#" + slugify(queue_id)[:79],
                "members": list(dict.fromkeys(members)),
            }
        return queue_id

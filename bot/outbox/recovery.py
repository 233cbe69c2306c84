"""The crash window of a Slack post: every outbox message names its intent in message
metadata, so a retry after a crash (Slack answered, our commit did not happen) finds the
earlier post and adopts it instead of posting again."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.metadata import Metadata

from bot.runtime import Runtime
from storage.outbox import Claimed

CARD_EVENT = "leadrouter_card"


def find_posted(
    rt: Runtime, channel: str, key: str, *, thread_ts: str | None = None
) -> dict[str, Any] | None:
    """After a crash between Slack's answer and our commit: was this message posted?

    Every message the outbox posts carries its outbox key as message metadata.
    """
    if thread_ts:
        history = rt.slack.conversations_replies(
            channel=channel, ts=thread_ts, limit=100, include_all_metadata=True
        )
    else:
        history = rt.slack.conversations_history(
            channel=channel, limit=100, include_all_metadata=True
        )
    messages: list[dict[str, Any]] = history.get("messages", [])
    for message in messages:
        meta = message.get("metadata") or {}
        if (
            meta.get("event_type") == CARD_EVENT
            and meta.get("event_payload", {}).get("outbox_key") == key
        ):
            return {"channel": channel, "ts": message["ts"]}
    return None


def outbox_marker(item: Claimed) -> Metadata:
    """Message metadata naming the outbox intent, so a retry can find the post."""
    return Metadata(event_type=CARD_EVENT, event_payload={"outbox_key": item.key})


def channel_id(rt: Runtime, where: str) -> str:
    """Where to post: a ``#name`` as its channel id (ids and user ids unchanged), so the
    post can be found in that channel's history if its answer is lost."""
    return rt.channels.id_for(where) if rt.channels is not None else where


def already_posted(
    rt: Runtime, item: Claimed, where: str, *, thread_ts: str | None = None
) -> dict[str, Any] | None:
    """Before a retry posts again (an earlier try may have posted and lost the answer:
    a crash before our commit, a 5xx or a dropped connection after Slack did it), adopt
    the earlier post if there is one."""
    if item.attempts <= 1:
        return None
    where = channel_id(rt, where)
    if where.startswith("#"):
        return None  # a channel Slack does not know: nothing can have been posted
    if where.startswith(("U", "W")):
        where = str(rt.slack.conversations_open(users=where)["channel"]["id"])
    found = find_posted(rt, where, item.key, thread_ts=thread_ts)
    return {**found, "recovered": True} if found is not None else None

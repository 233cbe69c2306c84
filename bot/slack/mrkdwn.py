"""Slack text that is safe to send: the one escaping boundary for everything we post.

Slack reads ``&``, ``<`` and ``>`` as control characters: ``<!channel>`` pings a whole
channel, ``<https://x|y>`` is a link whose label hides its target. Text from a lead, a
CRM record or a person must reach Slack with those three escaped, and only the
mentions, links and dates the bot builds itself may stay live.

``Mrkdwn`` is a ``str`` that holds such text. It is made only here: ``esc`` escapes a
value, ``md`` fills a template escaping every value, ``mention``/``link``/``date`` build
live tokens on purpose. Adding or joining plain strings to a ``Mrkdwn`` escapes them.
The Slack client (``bot.slack.client``) refuses any message or view whose text is not
``Mrkdwn``, so an f-string holding lead text cannot reach ``chat.postMessage``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, LiteralString, SupportsIndex

_SLACK_ID = re.compile(r"^[UWBCGDS][A-Z0-9_]{1,30}$")
_URL = re.compile(r"^https?://[^\s<>|]+$")
# What Slack turns into something live: <...> sequences.
_TOKEN = re.compile(r"<[^<>]*>")


class Mrkdwn(str):
    """Text every outside value of which has been escaped for Slack."""

    __slots__ = ()

    def __add__(self, other: str) -> Mrkdwn:
        return Mrkdwn(str.__add__(self, esc(other)))

    def __radd__(self, other: str) -> Mrkdwn:
        return Mrkdwn(str.__add__(esc(other), self))

    def join(self, parts: Iterable[str]) -> Mrkdwn:
        return Mrkdwn(str.join(self, (esc(p) for p in parts)))

    def __getitem__(self, key: SupportsIndex | slice) -> str:
        # A slice can split an entity or a token: only ``cut`` shortens safely.
        return str.__getitem__(str(self), key)

    @classmethod
    def trusted(cls, text: str) -> Mrkdwn:
        """Text that was ``Mrkdwn`` when it was stored or that Slack echoes back to us
        (Slack keeps text in its escaped form). Not for anything else."""
        return cls(text)


def esc(value: object) -> Mrkdwn:
    """Any value as inert Slack text (``Mrkdwn`` passes through unchanged)."""
    if isinstance(value, Mrkdwn):
        return value
    text = str(value)
    return Mrkdwn(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Mrkdwn) and not format_spec:
            return value
        return esc(format(value, format_spec))


_FORMATTER = _Formatter()


def md(template: LiteralString, *args: object, **kwargs: object) -> Mrkdwn:
    """``template.format(...)`` with every value escaped; the template is ours."""
    return Mrkdwn(_FORMATTER.vformat(template, args, kwargs))


def lines(parts: Iterable[str]) -> Mrkdwn:
    return Mrkdwn("\n").join(parts)


def mention(slack_id: str | None, fallback: str = "") -> Mrkdwn:
    """``<@U123>`` for a Slack user id we resolved; anything else as plain text."""
    if slack_id and _SLACK_ID.match(slack_id) and slack_id[0] in "UW":
        return Mrkdwn(f"<@{slack_id}>")
    return esc(fallback or slack_id or "")


def channel(channel_id: str) -> Mrkdwn:
    """``<#C123>`` for a channel id; a ``#name`` (or anything else) as plain text."""
    if _SLACK_ID.match(channel_id) and channel_id[0] in "CG":
        return Mrkdwn(f"<#{channel_id}>")
    return esc(channel_id)


def link(url: str, label: str) -> Mrkdwn:
    """A link we build (our Salesforce pages); a doubtful URL leaves just the label."""
    text = esc(label).replace("|", "¦")
    if not _URL.match(url):
        return Mrkdwn(text)
    return Mrkdwn(f"<{esc(url)}|{text}>")


def date(at: datetime, fmt: LiteralString = "{time}", fallback: str | None = None) -> Mrkdwn:
    """Slack renders ``<!date^...>`` in each reader's own time zone."""
    shown = esc(fallback or at.strftime("%H:%M UTC")).replace("|", "¦")
    return Mrkdwn(f"<!date^{int(at.timestamp())}^{fmt}|{shown}>")


def code(value: object) -> Mrkdwn:
    return Mrkdwn("`" + esc(str(value).replace("`", "'")) + "`")


def bold(value: object) -> Mrkdwn:
    return Mrkdwn("*" + esc(value) + "*")


def cut(text: str, limit: int) -> Mrkdwn:
    """At most ``limit`` characters, ending with "…" when cut; never splits an entity
    (``&amp;``) or a token (``<@U1>``)."""
    safe = esc(text)
    if len(safe) <= limit:
        return safe
    end = limit - 1
    head = str(safe)[:end]
    amp, semi = head.rfind("&"), head.rfind(";")
    if amp > semi:
        end = amp
    lt, gt = head.rfind("<"), head.rfind(">")
    if lt > gt:
        end = min(end, lt)
    return Mrkdwn(str(safe)[:end] + "…")


# -- checking a payload before it is sent ---------------------------------------------


def unsafe_texts(payload: Any, path: str = "") -> Iterator[str]:
    """Paths of every text in a message or view payload that is not ``Mrkdwn``.

    Text objects (``{"type": "mrkdwn"|"plain_text", "text": ...}``) and top-level message
    ``text`` are checked; button values, ids and URLs are not text Slack formats.
    """
    if isinstance(payload, dict):
        is_text_object = payload.get("type") in ("mrkdwn", "plain_text")
        for key, value in payload.items():
            where = f"{path}.{key}" if path else key
            if isinstance(value, str):
                checked = key == "text" and (is_text_object or not path)
                if checked and not isinstance(value, Mrkdwn):
                    yield where
            else:
                yield from unsafe_texts(value, where)
    elif isinstance(payload, list | tuple):
        for i, value in enumerate(payload):
            yield from unsafe_texts(value, f"{path}[{i}]")


def live_tokens(text: str) -> list[str]:
    """Every ``<...>`` sequence Slack would make live in ``text``."""
    return _TOKEN.findall(text)


def echoed_blocks(blocks: Any) -> Any:
    """Blocks of one of our messages as Slack sends them back (in an interaction's
    ``message``): their text is in Slack's escaped form, so it is trusted as it is."""
    if isinstance(blocks, dict):
        is_text_object = blocks.get("type") in ("mrkdwn", "plain_text")
        return {
            k: Mrkdwn.trusted(v)
            if is_text_object and k == "text" and isinstance(v, str)
            else echoed_blocks(v)
            for k, v in blocks.items()
        }
    if isinstance(blocks, list):
        return [echoed_blocks(b) for b in blocks]
    return blocks

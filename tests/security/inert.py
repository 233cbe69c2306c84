"""What "inert" means for Slack text, written from Slack's formatting docs, sharing no
code with the bot: every ``<...>`` Slack would make live is one the bot meant to build,
and every ``&`` starts one of the three entities Slack documents."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S1>",
    "<@U123>",
    "<#C999>",
    "<https://x|y>",
    "<https://evil.example|click me>",
    "&<>",
    "a & b < c > d",
    "&lt;!channel&gt;",
    "<mailto:x@y.z|mail>",
    "*bold* _it_ `code` ~s~",
]

_TOKEN = re.compile(r"<([^<>]*)>")
_DATE = re.compile(r"^!date\^\d+\^[^|<>]*\|[^<>|]*$")
_BARE_AMP = re.compile(r"&(?!amp;|lt;|gt;)")


def texts(payload: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) of every top-level ``text`` and every text object's ``text``."""
    if isinstance(payload, dict):
        text_object = payload.get("type") in ("mrkdwn", "plain_text")
        for key, value in payload.items():
            where = f"{path}.{key}" if path else key
            if isinstance(value, str):
                if key == "text" and (text_object or not path):
                    yield where, value
            else:
                yield from texts(value, where)
    elif isinstance(payload, list):
        for i, value in enumerate(payload):
            yield from texts(value, f"{path}[{i}]")


def problems(
    payload: Any, *, users: set[str] = frozenset(), link_prefixes: tuple[str, ...] = ()
) -> list[str]:
    """Every live token the bot did not build itself, and every unescaped ``&``."""
    found = []
    for where, text in texts(payload):
        for token in _TOKEN.findall(text):
            ours = (
                (token.startswith("@") and token[1:] in users)
                or _DATE.match(token) is not None
                or (
                    bool(link_prefixes)
                    and token.startswith(link_prefixes)
                    and "<" not in token
                    and token.count("|") <= 1
                )
            )
            if not ours:
                found.append(f"{where}: live <{token}> in {text[:120]!r}")
        if _BARE_AMP.search(text):
            found.append(f"{where}: unescaped & in {text[:120]!r}")
    return found

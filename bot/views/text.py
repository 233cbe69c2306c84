"""Text helpers for Block Kit: long values are cut to Slack's limits, never rejected."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

SECTION_TEXT = 3000
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
CONTEXT_TEXT = 2000


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Slack mrkdwn control characters (&, <, >) in user-supplied text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clock_time(at: datetime, tz: str | None) -> str:
    local = at.astimezone(ZoneInfo(tz)) if tz else at
    return local.strftime("%-I:%M %p")


def human_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s" if seconds else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def slack_date(at: datetime, fmt: str = "{time}", fallback: str | None = None) -> str:
    """Slack renders <!date^...> in each reader's own time zone."""
    ts = int(at.timestamp())
    return f"<!date^{ts}^{fmt}|{fallback or at.strftime('%H:%M UTC')}>"

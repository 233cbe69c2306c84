"""Text helpers for Block Kit: Slack's length limits, times and durations."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.slack import mrkdwn

SECTION_TEXT = 3000
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
CONTEXT_TEXT = 2000


# Shortening and escaping live with the boundary itself: bot.slack.mrkdwn.
cut = mrkdwn.cut


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

"""``/leads`` subcommands: one function each, sharing parsing and permission helpers."""

from __future__ import annotations

from bot.slash.base import Reply, SlashContext
from bot.slash.router import dispatch

__all__ = ["Reply", "SlashContext", "dispatch"]

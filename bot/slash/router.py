"""Maps ``/leads <subcommand>`` to its handler; unknown ones get the help text."""

from __future__ import annotations

from collections.abc import Callable

from bot.errors import UserFacingError
from bot.slash import lookups
from bot.slash.base import Reply, SlashContext, Usage

Handler = Callable[[SlashContext, list[str]], Reply]

HELP = """*Lead Router* — `/leads <command>`
• `mine` — your pending and accepted leads
• `status LEAD` — where a lead is now (`LEAD` is `L-1042` or a Salesforce id)
• `why LEAD` — why it went where it went
• `help` — this message"""

SUBCOMMANDS: dict[str, Handler] = {
    "mine": lookups.mine,
    "status": lookups.status,
    "why": lookups.why,
}


def dispatch(ctx: SlashContext) -> Reply:
    words = ctx.text.split()
    if not words or words[0].lower() in ("help", "-h", "--help", "?"):
        return Reply(HELP)
    name, args = words[0].lower(), words[1:]
    handler = SUBCOMMANDS.get(name)
    if handler is None:
        return Reply(f"I don't know `{name}`.\n\n{HELP}")
    try:
        return handler(ctx, args)
    except Usage as exc:
        return Reply(f"Usage: `/leads {exc}`")
    except UserFacingError as exc:
        return Reply(str(exc))

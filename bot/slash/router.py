"""Maps ``/leads <subcommand>`` to its handler; unknown ones get the help text."""

from __future__ import annotations

from collections.abc import Callable

from bot.errors import UserFacingError
from bot.slack.mrkdwn import code, esc, md
from bot.slash import lookups, manage, stats
from bot.slash.base import Reply, SlashContext, Usage

Handler = Callable[[SlashContext, list[str]], Reply]

HELP = esc("""*Lead Router* — `/leads <command>` (`LEAD` is `L-1042` or a Salesforce id)
• `mine` — your pending and accepted leads
• `queue` — leads open for claim in your queues
• `claim LEAD` — take a lead from a queue
• `reassign LEAD @user [reason]` — move a lead (managers and admins)
• `away [for 30m | until 14:00 | until mon]` — stop new leads; `back` to resume
• `status LEAD` — where a lead is now
• `why LEAD` — why it went where it went
• `stats [7d]` — speed to lead, acceptance, counts per rep
• `help` — this message""")

SUBCOMMANDS: dict[str, Handler] = {
    "mine": lookups.mine,
    "queue": lookups.queue,
    "claim": manage.claim,
    "reassign": manage.reassign,
    "away": manage.away,
    "back": manage.back,
    "status": lookups.status,
    "why": lookups.why,
    "stats": stats.stats,
}

# Subcommands that change state: their reply goes in the ack, sent after the commit.
CHANGES_STATE = frozenset({"claim", "reassign", "away", "back"})


def changes_state(text: str) -> bool:
    words = text.split()
    return bool(words) and words[0].lower() in CHANGES_STATE


def dispatch(ctx: SlashContext) -> Reply:
    words = ctx.text.split()
    if not words or words[0].lower() in ("help", "-h", "--help", "?"):
        return Reply(HELP)
    name, args = words[0].lower(), words[1:]
    handler = SUBCOMMANDS.get(name)
    if handler is None:
        return Reply(md("I don't know {}.\n\n{}", code(name), HELP))
    try:
        return handler(ctx, args)
    except Usage as exc:
        return Reply(md("Usage: `/leads {}`", str(exc)))
    except UserFacingError as exc:
        return Reply(exc.mrkdwn)

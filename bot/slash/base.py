"""What every ``/leads`` subcommand receives and returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.actor import Actor
from bot.errors import UserFacingError
from bot.runtime import Runtime
from bot.slack.mrkdwn import Mrkdwn
from storage.lead_snapshots import LeadSnapshot, lead_snapshot


@dataclass
class SlashContext:
    rt: Runtime
    user_id: str
    channel_id: str
    text: str
    actor: Actor | None = None  # set by the actor middleware; else looked up here

    def rep(self) -> str:
        """The caller's rep id; NotARep when they are not in routing.yml."""
        who = self.actor or Actor(self.user_id, self.rt.directory.rep_for)
        return who.require()


@dataclass(frozen=True)
class Reply:
    text: Mrkdwn
    blocks: list[Any] | None = field(default=None)


class Usage(UserFacingError):
    """Wrong arguments: the message is the usage line."""


def load_lead(ctx: SlashContext, ref: str) -> LeadSnapshot:
    """The lead the user named, with its offers and decisions, as plain values."""
    with ctx.rt.db.session() as session:
        lead = lead_snapshot(session, ref)
    if lead is None:
        raise UserFacingError(
            f"No lead `{ref}`. Use the short id (like `L-1042`) or the Salesforce id."
        )
    return lead

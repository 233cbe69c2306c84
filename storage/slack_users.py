"""The cached rep -> Slack user mapping (``slack_users``): reads and writes of its rows.

How fresh a mapping must be, and when to look a rep up in Slack again, is the Slack
directory's to decide; these only keep the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import SlackUser


@dataclass(frozen=True)
class SlackMapping:
    rep_id: str
    email: str | None  # the e-mail the rep was looked up by
    slack_user_id: str | None  # None: the lookup found nobody (see error)
    looked_up_at: datetime
    error: str | None
    dm_channel: str | None


def slack_mapping(session: Session, rep_id: str) -> SlackMapping | None:
    row = session.get(SlackUser, rep_id)
    if row is None:
        return None
    return SlackMapping(
        rep_id=row.rep_id,
        email=row.email,
        slack_user_id=row.slack_user_id,
        looked_up_at=row.looked_up_at,
        error=row.error,
        dm_channel=row.dm_channel,
    )


def save_lookup(
    session: Session,
    rep_id: str,
    *,
    email: str | None,
    slack_user_id: str | None,
    error: str | None,
    now: datetime,
) -> None:
    """Store the outcome of looking the rep up (found or not), creating the row if new."""
    row = session.get(SlackUser, rep_id)
    if row is None:
        row = SlackUser(rep_id=rep_id, looked_up_at=now)
        session.add(row)
    row.email, row.slack_user_id, row.looked_up_at, row.error = email, slack_user_id, now, error


def rep_of_slack_user(session: Session, slack_user_id: str) -> str | None:
    """The rep id mapped to this Slack user, if any."""
    return session.scalars(
        select(SlackUser.rep_id).where(SlackUser.slack_user_id == slack_user_id)
    ).first()


def delete_mapping(session: Session, rep_id: str) -> None:
    row = session.get(SlackUser, rep_id)
    if row is not None:
        session.delete(row)


def dm_channel(session: Session, rep_id: str) -> str | None:
    """The bot's DM channel with the rep, once known."""
    row = session.get(SlackUser, rep_id)
    return row.dm_channel if row is not None else None


def remember_dm_channel(session: Session, rep_id: str, channel: str) -> None:
    """Keep the DM channel a post went to, on a rep already mapped (else nothing)."""
    row = session.get(SlackUser, rep_id)
    if row is not None:
        row.dm_channel = channel

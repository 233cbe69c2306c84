"""Alerts to admins: one DM per admin per intent, through the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.outbox.recovery import already_posted, outbox_marker
from bot.runtime import Runtime
from bot.slack.mrkdwn import Mrkdwn, md
from routing.config.models import RoutingConfig
from routing.effects import AdminAlert
from storage.db import UnitOfWork
from storage.outbox import Claimed, enqueue_effect


def enqueue_admin_alert(
    session: UnitOfWork,
    config: RoutingConfig,
    *,
    key: str,
    text: Mrkdwn,
    now: datetime,
    lead_id: int | None = None,
) -> int:
    """One DM per admin; the key makes a repeated alert for the same intent a no-op.

    ``text`` is stored as built (already escaped) and sent as it is.
    """
    if not isinstance(text, Mrkdwn):
        raise TypeError("admin alert text must be built with bot.slack.mrkdwn")
    sent = 0
    for admin in config.admins:
        sent += enqueue_effect(
            session,
            AdminAlert(admin=admin, text=text),
            key=f"{key}:{admin}",
            now=now,
            lead_id=lead_id,
        )
    return sent


def send_admin_alert(rt: Runtime, item: Claimed) -> dict[str, Any]:
    admin = str(item.payload["admin"])
    user = rt.directory.slack_user_for(admin)
    found = already_posted(rt, item, user)
    if found is not None:
        return {"admin": admin, **found}
    response = rt.slack.chat_postMessage(
        channel=user, text=alert_text(item.payload), metadata=outbox_marker(item)
    )
    return {"admin": admin, "channel": response["channel"], "ts": response["ts"]}


def alert_text(payload: dict[str, Any]) -> Mrkdwn:
    """The alert's text: built by ``enqueue_admin_alert`` (stored escaped), or an SLA
    problem stored by the ladder as plain facts."""
    if "sla_problem" in payload:
        return md(
            ":rotating_light: Lead *{}*: {}.", payload.get("lead", "?"), payload["sla_problem"]
        )
    return Mrkdwn.trusted(str(payload["text"]))

"""Keeping the rep <-> Slack user mapping fresh, and telling admins who is missing."""

from __future__ import annotations

import logging

from bot.outbox.admin_alerts import enqueue_admin_alert
from bot.runtime import Runtime
from bot.slack.mrkdwn import md

log = logging.getLogger(__name__)


def refresh_directory(rt: Runtime) -> int:
    """Look every rep up by email; alert admins (once a day) about each one not found."""
    missing = rt.directory.warm()
    if not missing:
        return 0
    now = rt.clock.now()
    with rt.db.session() as session:
        for problem in missing:
            log.warning("rep_not_in_slack", extra={"rep": problem.rep_id, "error": problem.error})
            enqueue_admin_alert(
                session,
                rt.config.config,
                key=f"unmapped:{problem.rep_id}:{problem.email}:{now.date().isoformat()}",
                text=md(":warning: {} Until then they get no leads in Slack.", problem),
                now=now,
            )
    return len(missing)

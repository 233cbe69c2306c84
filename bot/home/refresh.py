"""Publishing App Home from the outbox (``lifecycle.home`` queues the requests).

Publishing is idempotent, so a re-run is harmless, and the handler skips a row when a
newer publish for the same rep is still to come, so a burst of changes publishes once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.errors import RepNotInSlack
from bot.home.data import load_home
from bot.outbox.worker import GiveUp
from bot.runtime import Runtime
from bot.views.home import render_home
from lifecycle.home import home_key_prefix, request_home_refresh
from routing.effects import OutboxKind
from storage.db import UnitOfWork
from storage.outbox import Claimed, pending_after

KIND = OutboxKind.HOME_PUBLISH


def superseded(session: UnitOfWork, item: Claimed, rep_id: str, now: datetime) -> bool:
    """True when a newer publish for this rep will render the state after this one.

    A newer row not yet leased (or whose lease ran out) reads the database later than
    we would. A leased one counts only when it was leased with or after ours (same
    batch, processed after us); one leased earlier by another worker may already have
    read the state from before our change, so we still publish. (When a lease was
    taken, not until when it runs: holders renew their leases as they work.)
    """
    newer = pending_after(session, item.id, kind=KIND, key_prefix=home_key_prefix(rep_id))
    for row in newer:
        if row.payload.get("rep") != rep_id:
            continue  # a rep id with a ':' whose key shares our prefix
        if row.locked_until is None or row.locked_until <= now:
            return True
        mine, theirs = item.leased_at, row.leased_at
        if mine is not None and theirs is not None and theirs >= mine:
            return True
    return False


def publish_home(rt: Runtime, item: Claimed) -> dict[str, Any]:
    """Outbox handler: publish the rep's App Home as the database has it now."""
    rep_id = str(item.payload["rep"])
    config = rt.config.config
    if rep_id not in config.reps_by_id:
        raise GiveUp(f"{rep_id!r} is no longer a rep in routing.yml")
    now = rt.clock.now()
    with rt.db.session() as session:
        if superseded(session, item, rep_id, now):
            return {"rep": rep_id, "skipped": "a newer publish is queued"}
    try:
        user_id = rt.directory.slack_user_for(rep_id)
    except RepNotInSlack as exc:
        # Not a delivery failure worth alarming on: their cards already report it.
        return {"rep": rep_id, "skipped": str(exc)}
    with rt.db.session() as session:
        data = load_home(
            session, config, rep_id, now, salesforce_base=rt.settings.salesforce_instance_url
        )
    rt.slack.views_publish(user_id=user_id, view=render_home(data))
    return {"rep": rep_id, "user": user_id}


def refresh_homes(rt: Runtime, rep_ids: Iterable[str]) -> int:
    """Queue Home publishes in a transaction of their own and wake the outbox."""
    reps = set(rep_ids)
    if not reps:
        return 0
    with rt.db.session() as session:
        count = request_home_refresh(session, reps, rt.clock.now())
    return count

"""Salesforce users for rep mapping: synced incrementally, matched by email."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.runtime import Runtime
from bot.salesforce.client import SalesforceClient
from bot.salesforce.ids import is_salesforce_id
from bot.salesforce.soql import parse_stamp, soql_datetime
from routing.config.models import RoutingConfig
from storage.crm import touch
from storage.salesforce import (
    salesforce_user_id,
    save_sync_state,
    sync_state,
    upsert_salesforce_users,
)

log = logging.getLogger(__name__)
USERS_STATE = "users.sync"
OVERLAP = timedelta(seconds=60)


def sync_users(rt: Runtime, client: SalesforceClient, *, full: bool = False) -> int:
    """``SELECT Id, Email, Username, IsActive FROM User``, changed since the last sync."""
    now = rt.clock.now()
    with rt.db.session() as session:
        state = sync_state(session, USERS_STATE)
        since = None if full or state is None or state.high_water is None else state.high_water
    soql = "SELECT Id, Email, Username, IsActive, SystemModstamp FROM User"
    if since is not None:
        soql += f" WHERE SystemModstamp >= {soql_datetime(since - OVERLAP)}"
    soql += " ORDER BY SystemModstamp, Id"
    count = 0
    for page in client.query_pages(soql):
        stamps = [parse_stamp(r.get("SystemModstamp")) for r in page]
        with rt.db.session() as session:
            synced = upsert_salesforce_users(session, page, now=now)
            if synced:
                touch(session, now=now)  # owners may map to other reps now
            count += synced
            save_sync_state(
                session,
                USERS_STATE,
                high_water=max((s for s in stamps if s is not None), default=None),
                now=now,
                data={"last_full": now.isoformat()} if since is None else None,
            )
    log.info("salesforce_users_synced", extra={"count": count, "full": since is None})
    return count


def salesforce_user_for(
    rt: Runtime, client: SalesforceClient, config: RoutingConfig, rep_id: str
) -> tuple[str | None, str]:
    """``(user id, what was looked up)``; syncs users once when the rep is not found."""
    rep = config.reps_by_id.get(rep_id)
    if rep is None:
        return None, f"rep {rep_id!r} (not in routing.yml)"
    explicit = (rep.salesforce_user or "").strip()
    if explicit and is_salesforce_id(explicit) and explicit.startswith("005"):
        return explicit, explicit
    ref = explicit or (rep.email or "")
    if not ref:
        return None, f"rep {rep_id!r} has no email and no salesforce_user"
    with rt.db.session() as session:
        found = salesforce_user_id(session, ref)
    if found is None:
        sync_users(rt, client)
        with rt.db.session() as session:
            found = salesforce_user_id(session, ref)
    return found, ref

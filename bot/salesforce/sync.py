"""Sync Accounts, Contacts, open Leads and Users into local tables for matching (SPEC §9).

Incremental by ``SystemModstamp`` (with overlap; each page is stored before the mark
moves past it, so a crash re-reads at most a page), and a periodic full resync that also
drops the rows Salesforce no longer returns (deleted, merged). Leads are synced by every
change so a conversion is seen: converted leads leave the local table. One replica syncs
at a time (an advisory lock on PostgreSQL).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.runtime import Runtime
from bot.salesforce.client import SalesforceClient
from bot.salesforce.soql import parse_stamp, soql_datetime
from bot.salesforce.users import USERS_STATE, sync_users
from storage.crm import apply_records, remove_unseen
from storage.salesforce import save_sync_state, sync_state, try_advisory_lock

log = logging.getLogger(__name__)
SYNC_LOCK = 0x1EAD_5F02
OVERLAP = timedelta(seconds=60)


@dataclass(frozen=True)
class SyncSpec:
    sobject: str
    fields: str
    full_where: str | None = None  # a full resync reads only these (open leads)


SPECS: tuple[SyncSpec, ...] = (
    SyncSpec("Account", "Id, Name, Website, BillingCountry, OwnerId, SystemModstamp"),
    SyncSpec("Contact", "Id, AccountId, Email, FirstName, LastName, OwnerId, SystemModstamp"),
    SyncSpec(
        "Lead",
        "Id, Email, Company, FirstName, LastName, OwnerId, IsConverted, SystemModstamp",
        full_where="IsConverted = false",
    ),
)


@dataclass
class ObjectSync:
    sobject: str
    full: bool
    seen: int = 0
    upserted: int = 0
    removed: int = 0


@dataclass
class SyncReport:
    ran: bool
    reason: str = ""
    users: int = 0
    objects: list[ObjectSync] = field(default_factory=list)


# Called after each page: (object name, records so far, total reported by Salesforce).
Progress = Callable[[str, int, int | None], None]


def state_name(sobject: str) -> str:
    return f"{sobject.lower()}s.sync"


def full_resync_due(rt: Runtime, interval: timedelta) -> bool:
    """True when some object was never fully synced, or not within ``interval``."""
    now = rt.clock.now()
    with rt.db.session() as session:
        for name in (USERS_STATE, *(state_name(spec.sobject) for spec in SPECS)):
            state = sync_state(session, name)
            last = (state.data or {}).get("last_full") if state is not None else None
            if not last or now - datetime.fromisoformat(last) >= interval:
                return True
    return False


def sync_all(
    rt: Runtime,
    client: SalesforceClient,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    """Users, then Accounts, Contacts and open Leads. Raises ``SalesforceProblem``."""
    with try_advisory_lock(rt.db, SYNC_LOCK) as ours:
        if not ours:
            return SyncReport(False, "another replica is syncing")
        report = SyncReport(True)
        report.users = sync_users(rt, client, full=full)
        if progress is not None:
            progress("User", report.users, report.users)
        for spec in SPECS:
            report.objects.append(sync_object(rt, client, spec, full=full, progress=progress))
        log.info(
            "salesforce_synced",
            extra={
                "full": full,
                "users": report.users,
                **{o.sobject.lower(): o.upserted for o in report.objects},
                "removed": sum(o.removed for o in report.objects),
            },
        )
        return report


def sync_object(
    rt: Runtime,
    client: SalesforceClient,
    spec: SyncSpec,
    *,
    full: bool = False,
    progress: Progress | None = None,
) -> ObjectSync:
    name = state_name(spec.sobject)
    with rt.db.session() as session:
        state = sync_state(session, name)
        mark = state.high_water if state is not None else None
    full = full or mark is None
    result = ObjectSync(spec.sobject, full)
    soql = f"SELECT {spec.fields} FROM {spec.sobject}"
    if full:
        if spec.full_where:
            soql += f" WHERE {spec.full_where}"
    else:
        assert mark is not None
        soql += f" WHERE SystemModstamp >= {soql_datetime(mark - OVERLAP)}"
    soql += " ORDER BY SystemModstamp, Id"
    seen: set[str] = set()
    total: int | None = None
    for page in client.query_pages(soql):
        now = rt.clock.now()
        stamps = [s for s in (parse_stamp(r.get("SystemModstamp")) for r in page) if s]
        if stamps:
            mark = max([*stamps, *([mark] if mark else [])])
        with rt.db.session() as session:
            applied = apply_records(
                session,
                spec.sobject,
                page,
                now=now,
                modstamp=lambda r: parse_stamp(r.get("SystemModstamp")),
            )
            # The mark moves with the page it covers: a crash re-reads at most this page.
            save_sync_state(session, name, high_water=mark, now=now)
        seen.update(r["Id"] for r in page if r.get("Id"))
        result.seen += len(page)
        result.upserted += applied.upserted
        result.removed += applied.removed
        if progress is not None:
            total = page.total_size or total
            progress(spec.sobject, result.seen, total)
    if full:
        now = rt.clock.now()
        with rt.db.session() as session:
            result.removed += remove_unseen(
                session, spec.sobject, seen, source="salesforce", now=now
            )
            save_sync_state(
                session, name, high_water=mark, now=now, data={"last_full": now.isoformat()}
            )
    return result

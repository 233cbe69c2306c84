"""Storing and finding leads. A lead is stored before anything else happens."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from storage.events import record_event
from storage.locking import for_update
from storage.models import LEAD_ID_OFFSET, Lead

_SHORT_ID = re.compile(r"^(?:L-)?(\d+)$", re.IGNORECASE | re.ASCII)
# Lead.id is an INTEGER (32 bits on PostgreSQL): a number past it names no lead, and one
# past 64 bits raises in SQLite's driver. 12 digits is past it; int() of more is wasted.
_MAX_PK = 2**31 - 1
_MAX_PK_DIGITS = 12
# Salesforce ids are 15 or 18 characters, starting with the key prefix (00Q for leads).
_SALESFORCE_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


@dataclass(frozen=True)
class StoredLead:
    lead: Lead
    created: bool


def lead_pk(public_id: str) -> int | None:
    match = _SHORT_ID.match(public_id.strip())
    if not match or len(match.group(1)) > _MAX_PK_DIGITS:
        return None
    pk = int(match.group(1)) - LEAD_ID_OFFSET
    return pk if 1 <= pk <= _MAX_PK else None


def find_lead(session: Session, ref: str, *, lock: bool = False) -> Lead | None:
    """A lead by short id (``L-1042``) or Salesforce id."""
    ref = ref.strip()
    stmt = None
    pk = lead_pk(ref) if ref.upper().startswith("L-") or ref.isdigit() else None
    if pk is not None:
        stmt = select(Lead).where(Lead.id == pk)
    elif _SALESFORCE_ID.match(ref):
        stmt = select(Lead).where(Lead.salesforce_id == ref)
    if stmt is None:
        return None
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def _existing(
    session: Session,
    external_id: str | None,
    salesforce_id: str | None,
    idempotency_key: str | None,
) -> Lead | None:
    clauses = []
    if external_id:
        clauses.append(Lead.external_id == external_id)
    if salesforce_id:
        clauses.append(Lead.salesforce_id == salesforce_id)
    if idempotency_key:
        clauses.append(Lead.idempotency_key == idempotency_key)
    if not clauses:
        return None
    return session.scalars(select(Lead).where(or_(*clauses)).order_by(Lead.id)).first()


def _key(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


def store_lead(
    session: Session,
    *,
    fields: dict[str, Any],
    raw: dict[str, Any],
    source: str,
    received_at: datetime,
    created_at: datetime | None = None,
    external_id: str | None = None,
    salesforce_id: str | None = None,
    idempotency_key: str | None = None,
) -> StoredLead:
    """Insert a new lead, or return the one already stored under any of its keys.

    A blank key (``""``, spaces) is no key: stored as NULL, never matched.
    """
    external_id, salesforce_id, idempotency_key = (
        _key(external_id),
        _key(salesforce_id),
        _key(idempotency_key),
    )
    found = _existing(session, external_id, salesforce_id, idempotency_key)
    if found is not None:
        return StoredLead(found, created=False)
    lead = Lead(
        external_id=external_id,
        salesforce_id=salesforce_id,
        idempotency_key=idempotency_key,
        source=source,
        state="new",
        fields=fields,
        raw=raw,
        received_at=received_at,
        created_at=created_at,
    )
    try:
        # A savepoint: a concurrent insert of the same key loses cleanly.
        with session.begin_nested():
            session.add(lead)
            session.flush()
    except IntegrityError:
        found = _existing(session, external_id, salesforce_id, idempotency_key)
        if found is None:
            raise
        return StoredLead(found, created=False)
    record_event(session, lead_id=lead.id, kind="lead.received", at=received_at, source=source)
    return StoredLead(lead, created=True)


def lock_lead(session: Session, lead_id: int) -> Lead:
    """The lead, row-locked and re-read; not its offers and decisions (loaded when
    asked for): routing needs the row, and loading a lead's whole history made every
    re-route pay for it."""
    stmt = (
        select(Lead)
        .where(Lead.id == lead_id)
        .options(lazyload(Lead.offers), lazyload(Lead.decisions))
        .execution_options(populate_existing=True)
    )
    return session.scalars(for_update(session, stmt)).one()


def stale_new_leads(session: Session, cutoff: datetime, *, limit: int) -> list[int]:
    """Leads still ``new`` since before ``cutoff`` (their routing was interrupted),
    locked, skipping those another replica is routing now."""
    stmt = (
        select(Lead.id)
        .where(Lead.state == "new", Lead.received_at <= cutoff)
        .order_by(Lead.id)
        .limit(limit)
    )
    return list(session.scalars(for_update(session, stmt, skip_locked=True)))


def lead_row(session: Session, lead_id: int) -> Lead | None:
    """The lead row alone: its offers and decisions (loaded with it by default) only if
    asked for later. Hot paths read one field or two, and loading the whole history made
    every card and every click pay for it."""
    return session.get(Lead, lead_id, options=[lazyload(Lead.offers), lazyload(Lead.decisions)])

"""What the org already knows, kept locally for matching: accounts, contacts, open leads.

Rows are upserted by Salesforce Id (a sync page or a CSV export); a full resync removes the
rows Salesforce no longer returns. Every change bumps the ``crm`` sync-state row, so each
process rebuilds its in-memory match index only when the data moved.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session

from routing.matching import AccountRecord, ContactRecord, OpenLeadRecord
from storage.models import CrmAccount, CrmContact, CrmOpenLead, SalesforceUser, SyncState
from storage.salesforce import save_sync_state

CRM_STATE = "crm"
_CHUNK = 500

CrmModel = type[CrmAccount] | type[CrmContact] | type[CrmOpenLead]
MODELS: dict[str, CrmModel] = {
    "Account": CrmAccount,
    "Contact": CrmContact,
    "Lead": CrmOpenLead,
}


def _clean(value: Any, limit: int = 255) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text[:limit] or None


def _email(value: Any) -> str | None:
    text = _clean(value)
    return text.lower() if text else None


def account_values(record: Mapping[str, Any]) -> dict[str, Any]:
    """Salesforce Account fields (or an export's columns) -> ``crm_accounts`` columns."""
    return {
        "name": _clean(record.get("Name")) or "",
        "website": _clean(record.get("Website")),
        "country": _clean(record.get("BillingCountry") or record.get("ShippingCountry"), 80),
        "owner_id": _clean(record.get("OwnerId"), 18),
    }


def contact_values(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "account_id": _clean(record.get("AccountId"), 18),
        "email": _email(record.get("Email")),
        "first_name": _clean(record.get("FirstName"), 120),
        "last_name": _clean(record.get("LastName"), 120),
        "owner_id": _clean(record.get("OwnerId"), 18),
    }


def open_lead_values(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "email": _email(record.get("Email")),
        "company": _clean(record.get("Company")),
        "first_name": _clean(record.get("FirstName"), 120),
        "last_name": _clean(record.get("LastName"), 120),
        "owner_id": _clean(record.get("OwnerId"), 18),
    }


VALUES = {"Account": account_values, "Contact": contact_values, "Lead": open_lead_values}


@dataclass
class Applied:
    upserted: int = 0
    removed: int = 0


def apply_records(
    session: Session,
    sobject: str,
    records: Iterable[Mapping[str, Any]],
    *,
    now: datetime,
    source: str = "salesforce",
    modstamp: Any = None,
) -> Applied:
    """Upsert one page of records; a converted or deleted lead is removed instead.

    ``modstamp(record)`` gives the record's ``SystemModstamp`` (None for a CSV row).
    """
    model = MODELS[sobject]
    to_values = VALUES[sobject]
    page = [r for r in records if _clean(r.get("Id"), 18)]
    applied = Applied()
    gone = {
        r["Id"]
        for r in page
        if _truthy(r.get("IsDeleted")) or (sobject == "Lead" and _truthy(r.get("IsConverted")))
    }
    if gone:
        applied.removed += remove_ids(session, sobject, gone)
    keep = [r for r in page if r["Id"] not in gone]
    found: list[Any] = list(
        session.scalars(select(model).where(model.id.in_([r["Id"] for r in keep])))
    )
    existing = {row.id: row for row in found}
    for record in keep:
        values = to_values(record)
        values.update(
            source=source,
            modstamp=modstamp(record) if modstamp is not None else None,
            synced_at=now,
        )
        row = existing.get(record["Id"])
        if row is None:
            row = model(id=record["Id"], **values)
            session.add(row)
            existing[record["Id"]] = row
        else:
            for key, value in values.items():
                setattr(row, key, value)
        applied.upserted += 1
    session.flush()
    if applied.upserted or applied.removed:
        touch(session, now=now)
    return applied


def remove_ids(session: Session, sobject: str, ids: Iterable[str]) -> int:
    model = MODELS[sobject]
    wanted = list(ids)
    removed = 0
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        result = cast(CursorResult[Any], session.execute(delete(model).where(model.id.in_(chunk))))
        removed += result.rowcount or 0
    return removed


def remove_unseen(
    session: Session, sobject: str, seen: set[str], *, source: str, now: datetime
) -> int:
    """After a full pass: drop the rows of ``source`` that the pass did not return."""
    model = MODELS[sobject]
    ids = session.scalars(select(model.id).where(model.source == source))
    stale = [i for i in ids if i not in seen]
    removed = remove_ids(session, sobject, stale)
    if removed:
        touch(session, now=now)
    return removed


def touch(session: Session, *, now: datetime) -> None:
    """Tell every process its match index is stale."""
    state = save_sync_state(session, CRM_STATE, high_water=None, now=now)
    data = dict(state.data or {})
    data["generation"] = int(data.get("generation", 0)) + 1
    state.data = data


def generation(session: Session) -> int:
    """Bumped by every change of CRM records or Salesforce users (0: none yet)."""
    state = session.get(SyncState, CRM_STATE, populate_existing=True)
    return int((state.data or {}).get("generation", 0)) if state is not None else 0


def counts(session: Session) -> dict[str, int]:
    return {
        name: int(session.scalar(select(func.count()).select_from(model)) or 0)
        for name, model in MODELS.items()
    }


@dataclass(frozen=True)
class CrmSnapshot:
    accounts: list[AccountRecord]
    contacts: list[ContactRecord]
    open_leads: list[OpenLeadRecord]
    # Salesforce user id -> lower-case e-mail, for mapping owners to reps.
    user_emails: dict[str, str]

    @property
    def empty(self) -> bool:
        return not (self.accounts or self.contacts or self.open_leads)


def load_snapshot(session: Session) -> CrmSnapshot:
    accounts = [
        AccountRecord(r.id, r.name, r.website, r.country, r.owner_id)
        for r in session.scalars(select(CrmAccount).order_by(CrmAccount.id))
    ]
    contacts = [
        ContactRecord(r.id, r.email, r.account_id, r.owner_id, r.first_name, r.last_name)
        for r in session.scalars(select(CrmContact).order_by(CrmContact.id))
    ]
    leads = [
        OpenLeadRecord(r.id, r.email, r.company, r.owner_id, r.first_name, r.last_name)
        for r in session.scalars(select(CrmOpenLead).order_by(CrmOpenLead.id))
    ]
    users = {
        u.id: u.email
        for u in session.scalars(select(SalesforceUser).where(SalesforceUser.is_active.is_(True)))
        if u.email
    }
    return CrmSnapshot(accounts, contacts, leads, users)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes"}
    return bool(value)

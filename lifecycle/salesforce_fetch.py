"""A lead known by its Salesforce id before its record could be fetched.

When Salesforce cannot be reached for a webhook's id, the lead is stored at once in state
``fetching`` with a ``salesforce.fetch_lead`` intent in the outbox; once the record
arrives, its fields are filled in and the lead becomes ``new``, ready to route. Both
steps are state changes of the lead, so they live here; fetching and matching the record
are the adapter's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from routing.effects import FetchSalesforceLead
from routing.states import LeadEvent, LeadState, lead_transition
from storage.events import record_event
from storage.leads import store_lead
from storage.locking import for_update
from storage.models import Lead
from storage.outbox import enqueue_effect


@dataclass(frozen=True)
class FetchDeferred:
    lead_id: int
    public_id: str
    created: bool  # False: the lead was stored already (a repeated request)


@dataclass(frozen=True)
class FetchingLead:
    lead_id: int
    salesforce_id: str | None


def store_to_fetch(
    session: Session,
    *,
    salesforce_id: str,
    source: str,
    idempotency_key: str | None,
    error: str,
    now: datetime,
) -> FetchDeferred:
    """Store the lead without fields, in state ``fetching``, and queue the fetch (``error``
    is why it could not be fetched now). A lead stored already is left as it is."""
    stored = store_lead(
        session,
        fields={},
        raw={},
        source=source,
        received_at=now,
        salesforce_id=salesforce_id,
        idempotency_key=idempotency_key,
    )
    lead = stored.lead
    if stored.created:
        lead.state = LeadState.FETCHING
        record_event(
            session, lead_id=lead.id, kind="salesforce.fetch_deferred", at=now, error=error
        )
        enqueue_effect(
            session,
            FetchSalesforceLead(lead_id=lead.id, salesforce_id=salesforce_id),
            key=f"lead:{lead.id}:salesforce_fetch",
            now=now,
            lead_id=lead.id,
        )
    return FetchDeferred(lead.id, lead.public_id, stored.created)


def take_fetched_record(session: Session, lead_id: int, raw: dict[str, Any]) -> FetchingLead | None:
    """Lock the lead and, while it is still ``fetching``, store its fetched record;
    None when it is gone or was completed already (the fetch ran twice)."""
    stmt = select(Lead).where(Lead.id == lead_id).execution_options(populate_existing=True)
    lead = session.scalars(for_update(session, stmt)).first()
    if lead is None or lead.state != LeadState.FETCHING:
        return None
    lead.raw = raw
    return FetchingLead(lead.id, lead.salesforce_id)


def fill_fetched_lead(
    session: Session,
    lead_id: int,
    *,
    fields: dict[str, Any],
    created_at: datetime | None,
    now: datetime,
) -> None:
    """The lead taken by :func:`take_fetched_record` (same transaction) gets its fields
    and becomes ``new``: routed next, or by the new-lead sweeper if that fails."""
    lead = session.get(Lead, lead_id)
    assert lead is not None
    lead.fields = fields
    lead.created_at = created_at
    lead.state = lead_transition(lead.state, LeadEvent.FETCHED)
    record_event(session, lead_id=lead.id, kind="salesforce.fetched", at=now)

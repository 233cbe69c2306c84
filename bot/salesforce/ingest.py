"""Leads from Salesforce: fetched by id (``POST /leads {"salesforce_id"}``) or polled.

A lead is stored before anything else happens. When Salesforce cannot be reached for a
webhook's id, the lead is stored at once in state ``fetching`` with a
``salesforce.fetch_lead`` outbox row; the outbox retries the fetch with backoff, fills
the fields in and routes the lead. Nothing is lost, nothing is routed without its fields
(the new-lead sweeper only looks at ``new`` leads).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from bot.runtime import Runtime
from bot.salesforce.client import SalesforceClient
from bot.salesforce.errors import LoginFailed, RecordGone, SalesforceProblem, SessionExpired
from bot.salesforce.ids import to_18
from bot.salesforce.problems import outbox_semantics, require_client, tell_admins_about_auth
from bot.salesforce.soql import parse_stamp
from bot.services.leads import Ingested, ingest_lead, match_fields, route
from routing.effects import FetchSalesforceLead
from routing.normalize import normalize_lead, salesforce_to_raw
from routing.states import LeadEvent, LeadState, lead_transition
from storage.events import record_event
from storage.leads import store_lead
from storage.locking import for_update
from storage.models import Lead
from storage.outbox import Claimed, enqueue_effect

log = logging.getLogger(__name__)
FETCHING = LeadState.FETCHING


@dataclass(frozen=True)
class FetchOutcome:
    ingested: Ingested
    fetched: bool  # False: stored as `fetching`, the outbox will fetch it


def record_to_raw(rt: Runtime, record: dict[str, Any]) -> dict[str, Any]:
    return salesforce_to_raw(record, rt.config.config.salesforce.fields)


def fetch_lead_record(client: SalesforceClient, salesforce_id: str) -> dict[str, Any]:
    record = client.get("Lead", salesforce_id)
    if record.get("IsConverted"):
        raise RecordGone(
            "the Salesforce lead is already converted", code="CANNOT_UPDATE_CONVERTED_LEAD"
        )
    return record


def ingest_record(rt: Runtime, record: dict[str, Any], *, source: str, **keys: Any) -> Ingested:
    """Store and route one Salesforce Lead record (idempotent on its Id)."""
    return ingest_lead(
        rt,
        raw=record_to_raw(rt, record),
        source=source,
        salesforce_id=record["Id"],
        created_at=parse_stamp(record.get("CreatedDate")),
        **keys,
    )


def ingest_by_salesforce_id(
    rt: Runtime,
    client: SalesforceClient,
    salesforce_id: str,
    *,
    source: str = "webhook",
    idempotency_key: str | None = None,
) -> FetchOutcome:
    """Fetch and route; raises ``RecordGone`` (nothing stored) for a deleted/converted id."""
    sf_id = to_18(salesforce_id)
    with rt.db.session() as session:
        existing = _existing(session, sf_id, idempotency_key)
        if existing is not None:
            return FetchOutcome(Ingested(existing.id, existing.public_id, False), True)
    try:
        record = fetch_lead_record(client, sf_id)
    except RecordGone:
        raise
    except SalesforceProblem as problem:
        log.warning(
            "salesforce_fetch_deferred", extra={"salesforce_id": sf_id, "error": problem.message}
        )
        if isinstance(problem, SessionExpired | LoginFailed):
            tell_admins_about_auth(rt, problem)
        return FetchOutcome(_store_fetching(rt, sf_id, source, idempotency_key, problem), False)
    return FetchOutcome(
        ingest_record(rt, record, source=source, idempotency_key=idempotency_key), True
    )


def _existing(session: Any, sf_id: str, idempotency_key: str | None) -> Lead | None:
    clauses = [Lead.salesforce_id == sf_id]
    if idempotency_key:
        clauses.append(Lead.idempotency_key == idempotency_key)
    for clause in clauses:
        found = session.scalars(select(Lead).where(clause)).first()
        if found is not None:
            return found
    return None


def _store_fetching(
    rt: Runtime,
    sf_id: str,
    source: str,
    idempotency_key: str | None,
    problem: SalesforceProblem,
) -> Ingested:
    now = rt.clock.now()
    with rt.db.session() as session:
        stored = store_lead(
            session,
            fields={},
            raw={},
            source=source,
            received_at=now,
            salesforce_id=sf_id,
            idempotency_key=idempotency_key,
        )
        lead = stored.lead
        if stored.created:
            lead.state = LeadState.FETCHING
            record_event(
                session, lead_id=lead.id, kind="salesforce.fetch_deferred", at=now,
                error=problem.message,
            )  # fmt: skip
            enqueue_effect(
                session,
                FetchSalesforceLead(lead_id=lead.id, salesforce_id=sf_id),
                key=f"lead:{lead.id}:salesforce_fetch",
                now=now,
                lead_id=lead.id,
            )
        result = Ingested(lead.id, lead.public_id, stored.created)
    return result


def complete_fetch(rt: Runtime, lead_id: int, record: dict[str, Any]) -> bool:
    """Fill a ``fetching`` lead in from its record and route it; False if already done."""
    raw = record_to_raw(rt, record)
    now = rt.clock.now()
    with rt.db.session() as session:
        stmt = select(Lead).where(Lead.id == lead_id).execution_options(populate_existing=True)
        lead = session.scalars(for_update(session, stmt)).first()
        if lead is None or lead.state != LeadState.FETCHING:
            return False
        lead.raw = raw
        lead.fields = match_fields(
            rt, session, normalize_lead(raw), salesforce_id=lead.salesforce_id
        )
        lead.created_at = parse_stamp(record.get("CreatedDate"))
        lead.state = lead_transition(lead.state, LeadEvent.FETCHED)
        record_event(session, lead_id=lead.id, kind="salesforce.fetched", at=now)
    try:
        route(rt, lead_id)
    except Exception:  # stored as `new`: the sweeper routes it on its next tick
        log.exception("routing_failed_will_retry", extra={"lead": lead_id})
    return True


def fetch_pending_lead(rt: Runtime, item: Claimed) -> dict[str, Any]:
    """Outbox handler of ``salesforce.fetch_lead``."""
    client = require_client(rt)
    lead_id = int(item.payload["lead_id"])
    sf_id = str(item.payload["salesforce_id"])
    with outbox_semantics(rt):
        record = fetch_lead_record(client, sf_id)
    routed = complete_fetch(rt, lead_id, record)
    return {"salesforce_id": sf_id, "routed": routed}

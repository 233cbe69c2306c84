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

from bot.runtime import Runtime
from bot.salesforce.client import SalesforceClient
from bot.salesforce.errors import LoginFailed, RecordGone, SalesforceProblem, SessionExpired
from bot.salesforce.ids import to_18
from bot.salesforce.problems import outbox_semantics, require_client, tell_admins_about_auth
from bot.salesforce.soql import parse_stamp
from bot.services.leads import Ingested, ingest_lead, match_fields, route
from lifecycle.salesforce_fetch import fill_fetched_lead, store_to_fetch, take_fetched_record
from routing.normalize import normalize_lead, salesforce_to_raw
from routing.states import LeadState
from storage.outbox import Claimed
from storage.salesforce_leads import known_lead

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
        existing = known_lead(session, sf_id, idempotency_key)
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


def _store_fetching(
    rt: Runtime,
    sf_id: str,
    source: str,
    idempotency_key: str | None,
    problem: SalesforceProblem,
) -> Ingested:
    now = rt.clock.now()
    with rt.db.session() as session:
        stored = store_to_fetch(
            session,
            salesforce_id=sf_id,
            source=source,
            idempotency_key=idempotency_key,
            error=problem.message,
            now=now,
        )
    return Ingested(stored.lead_id, stored.public_id, stored.created)


def complete_fetch(rt: Runtime, lead_id: int, record: dict[str, Any]) -> bool:
    """Fill a ``fetching`` lead in from its record and route it; False if already done."""
    raw = record_to_raw(rt, record)
    now = rt.clock.now()
    with rt.db.session() as session:
        lead = take_fetched_record(session, lead_id, raw)
        if lead is None:
            return False
        fill_fetched_lead(
            session,
            lead_id,
            fields=match_fields(rt, session, normalize_lead(raw), salesforce_id=lead.salesforce_id),
            created_at=parse_stamp(record.get("CreatedDate")),
            now=now,
        )
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

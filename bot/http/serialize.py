"""JSON views of stored leads for the HTTP API and the CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.models import Lead


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def lead_json(lead: Lead) -> dict[str, Any]:
    decision = lead.decisions[-1] if lead.decisions else None
    return {
        "id": lead.public_id,
        "state": lead.state,
        "assignee": lead.assignee,
        "queue": lead.queue_id,
        "source": lead.source,
        "external_id": lead.external_id,
        "salesforce_id": lead.salesforce_id,
        "received_at": iso(lead.received_at),
        "created_at": iso(lead.created_at),
        "routed_at": iso(lead.routed_at),
        "accepted_at": iso(lead.accepted_at),
        "score": lead.score,
        "tier": lead.tier,
        "score_reasons": lead.score_reasons or [],
        "fields": lead.fields,
        "offers": [
            {
                "id": offer.id,
                "rep": offer.rep_id,
                "offered_at": iso(offer.offered_at),
                "delivered_at": iso(offer.delivered_at),
                "deadline": iso(offer.deadline),
                "responded_at": iso(offer.responded_at),
                "outcome": offer.outcome,
                "reason": offer.reason,
            }
            for offer in lead.offers
        ],
        "decision": None
        if decision is None
        else {
            "rule": decision.rule,
            "target": decision.target,
            "assignee": decision.assignee,
            "queue": decision.queue_id,
            "pool": decision.pool_id,
            "reason": decision.reason,
            "config_version": decision.config_version,
            "decided_at": iso(decision.decided_at),
            "trace": decision.trace,
        },
        "decisions": len(lead.decisions),
    }

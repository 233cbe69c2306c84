"""Finding a lead already stored for a Salesforce id (or the request's idempotency key),
so a repeated webhook or poll never stores the same lead twice."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Lead


@dataclass(frozen=True)
class KnownLead:
    id: int
    public_id: str


def known_lead(
    session: Session, salesforce_id: str, idempotency_key: str | None
) -> KnownLead | None:
    """The lead stored for this Salesforce id, else for this idempotency key (that order:
    the id names the record, the key only the request)."""
    clauses = [Lead.salesforce_id == salesforce_id]
    if idempotency_key:
        clauses.append(Lead.idempotency_key == idempotency_key)
    for clause in clauses:
        found = session.scalars(select(Lead).where(clause)).first()
        if found is not None:
            return KnownLead(found.id, found.public_id)
    return None

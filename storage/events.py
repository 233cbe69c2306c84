"""The append-only event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.deferred import defer_insert
from storage.models import Event, table_of


def record_event(
    session: Session,
    *,
    lead_id: int | None,
    kind: str,
    at: datetime,
    actor: str | None = None,
    **data: Any,
) -> None:
    """Log an event; written when the transaction commits, with its other events in
    one statement (see storage.deferred), in the order they were recorded. Nothing
    reads the log inside the transaction that writes it."""
    defer_insert(
        session,
        table_of(Event),
        {"lead_id": lead_id, "kind": kind, "at": at, "actor": actor, "data": data},
    )

"""The append-only event log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from storage.models import Event


def record_event(
    session: Session,
    *,
    lead_id: int | None,
    kind: str,
    at: datetime,
    actor: str | None = None,
    **data: Any,
) -> Event:
    event = Event(lead_id=lead_id, kind=kind, at=at, actor=actor, data=data)
    session.add(event)
    return event

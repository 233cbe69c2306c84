"""What a batch of just-stored leads became: their states, and their outbox rows still
to be delivered (``leadrouter ingest`` prints both when a backfill ends).

The ids go to the database in chunks, so a backfill of any size stays under the
drivers' limits on bound parameters.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Lead, OutboxItem

_CHUNK = 500


@dataclass(frozen=True)
class LeadOutcomes:
    states: Counter[str]  # how many of the leads are in each state
    waiting: int  # their outbox rows still pending


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def lead_outcomes(session: Session, lead_ids: Sequence[int]) -> LeadOutcomes:
    states: Counter[str] = Counter()
    waiting = 0
    for chunk in _chunks(lead_ids):
        for state, n in session.execute(
            select(Lead.state, func.count()).where(Lead.id.in_(chunk)).group_by(Lead.state)
        ):
            states[state] += n
        waiting += (
            session.scalar(
                select(func.count())
                .select_from(OutboxItem)
                .where(OutboxItem.lead_id.in_(chunk), OutboxItem.status == "pending")
            )
            or 0
        )
    return LeadOutcomes(states, waiting)

"""Pool rotation rows: locked while routing into a pool, then given its new state."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from routing.decision import Decision
from storage.locking import for_update, insert_ignore
from storage.models import PoolState


def lock_pools(
    session: Session, pool_ids: Collection[str], now: datetime
) -> dict[str, Mapping[str, Any]]:
    """Lock these pools' rotation rows (created on first use), in pool order, in one
    statement; their state as locked."""
    ids = sorted(pool_ids)
    stmt = for_update(
        session,
        select(PoolState.pool_id, PoolState.state)
        .where(PoolState.pool_id.in_(ids))
        .order_by(PoolState.pool_id),
    )
    states: dict[str, Mapping[str, Any]] = dict(session.execute(stmt).all())
    missing = [pool_id for pool_id in ids if pool_id not in states]
    for pool_id in missing:
        insert_ignore(
            session,
            PoolState.__table__,
            {"pool_id": pool_id, "state": {}, "version": 0, "updated_at": now},
            key="pool_id",
        )
    if missing:
        states.update(session.execute(stmt).all())
    return states


def store_rotation(session: Session, decisions: Sequence[Decision], now: datetime) -> None:
    """Each pool's rotation row gets the state its last decision left (locked since)."""
    final: dict[str, tuple[Mapping[str, Any], int]] = {}
    for decision in decisions:
        if decision.pool is not None and decision.pool_state is not None:
            count = final[decision.pool][1] if decision.pool in final else 0
            final[decision.pool] = (decision.pool_state, count + 1)
    for pool_id, (state, count) in final.items():
        session.execute(
            update(PoolState)
            .where(PoolState.pool_id == pool_id)
            .values(state=state, version=PoolState.version + count, updated_at=now)
        )

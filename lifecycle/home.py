"""Asking for App Home to be republished when the state behind it changes.

Each request is its own outbox row (``home:{rep}:{uuid}``), queued in the transaction
that changed the state; the bot's publisher skips a row when a newer one for the same
rep is still to come, so a burst of changes publishes once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from routing.config.models import RoutingConfig
from routing.effects import PublishHome
from routing.teams import home_audience, queue_audience
from storage.models import Lead
from storage.outbox import enqueue_effect, pending_not_started, reschedule

# Background refreshes wait this long after the last change: cards first, and a burst
# publishes once; but never longer than MAX_WAIT after the first change.
SETTLE = timedelta(seconds=1)
MAX_WAIT = timedelta(seconds=10)
DEBOUNCE_STEP = timedelta(milliseconds=250)


def home_key_prefix(rep_id: str) -> str:
    return f"home:{rep_id}:"


def request_home_refresh(
    session: Session, rep_ids: Iterable[str], now: datetime, *, delay: timedelta = SETTLE
) -> int:
    """Ask for each rep's Home to be published, in the caller's transaction; returns how
    many new publishes were queued.

    At most one publish per rep waits at a time, and it is debounced: a change for a rep
    whose publish has not started joins it and moves it to ``delay`` after this change,
    but never past ``MAX_WAIT`` after it was first asked for. So a burst publishes each
    Home once when it settles, a steady stream at most every ``MAX_WAIT``, and cards
    (due at once) go first. The waiting row stays locked until this transaction commits,
    so it renders this change. A user opening Home passes ``delay=timedelta(0)``: that
    one is published at once.
    """
    reps = sorted(set(rep_ids))
    joined: set[str] = set()
    if delay > timedelta(0):
        waiting = pending_not_started(
            session,
            kind=PublishHome.KIND,
            key_prefixes=[home_key_prefix(r) for r in reps],
            now=now,
        )
        for row in waiting:
            rep = str(row.payload.get("rep"))
            if rep not in reps or rep in joined:
                continue
            joined.add(rep)
            due = min(now + delay, row.created_at + MAX_WAIT)
            # Later, never sooner (a Retry-After or back-off stands), and only by a step
            # worth a statement: in a burst every card would move it by milliseconds.
            if due - row.due >= DEBOUNCE_STEP:
                reschedule(session, row.id, at=due)
    count = 0
    for rep_id in reps:
        if rep_id in joined:
            continue
        enqueue_effect(
            session,
            PublishHome(rep=rep_id),
            key=f"{home_key_prefix(rep_id)}{uuid.uuid4().hex}",
            now=now,
            delay=delay,
        )
        count += 1
    return count


def lead_audience(session: Session, config: RoutingConfig, lead_id: int) -> set[str]:
    """Whose App Home shows this lead: every rep it was offered to, its assignee, their
    managers and the admins; for a queued lead, the managers of the queue's members."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        return set()
    reps = {offer.rep_id for offer in lead.offers}
    if lead.assignee:
        reps.add(lead.assignee)
    audience = home_audience(config, reps)
    if lead.queue_id:
        audience |= queue_audience(config, lead.queue_id)
    return audience


def request_lead_home_refresh(
    session: Session,
    config: RoutingConfig,
    lead_id: int,
    now: datetime,
    *,
    delay: timedelta = SETTLE,
) -> int:
    """Refresh every Home that shows this lead, in the caller's transaction."""
    audience = lead_audience(session, config, lead_id)
    return request_home_refresh(session, audience, now, delay=delay)

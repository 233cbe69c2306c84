"""Fires due SLA timers: one transaction per timer, any number of replicas."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import update

from bot.runtime import Runtime
from storage.events import record_event
from storage.ladder import fire_timer
from storage.models import Timer
from storage.timers import claim_due

log = logging.getLogger(__name__)
# A timer whose step keeps failing (a bug, a vanished config entry) backs off and is
# finally given up on visibly, so it never blocks the timers behind it.
MAX_TIMER_ATTEMPTS = 5


def fire_due_timers(rt: Runtime, *, limit: int = 500) -> int:
    fired = 0
    for _ in range(limit):
        now = rt.clock.now()
        timer_id = None
        try:
            with rt.db.session() as session:
                timer = claim_due(session, now)
                if timer is None:
                    break
                timer_id = timer.id
                result = fire_timer(session, rt.config.router, timer, now)
            fired += 1
            rt.metrics.timers.labels(result.outcome).inc()
            lateness = (rt.clock.now() - timer.due_at).total_seconds()
            rt.metrics.timer_lateness.observe(max(0.0, lateness))
        except Exception:
            if timer_id is None:
                raise
            log.exception("timer_failed", extra={"timer": timer_id})
            _back_off(rt, timer_id)
    if fired:
        rt.wake_outbox()
    return fired


def _back_off(rt: Runtime, timer_id: int) -> None:
    now = rt.clock.now()
    with rt.db.session() as session:
        timer = session.get(Timer, timer_id)
        if timer is None or timer.status != "pending":
            return
        timer.attempts += 1
        if timer.attempts >= MAX_TIMER_ATTEMPTS:
            timer.status = "failed"
            record_event(
                session,
                lead_id=timer.lead_id,
                kind="sla.step_failed",
                at=now,
                timer=timer.id,
                step=timer.payload,
            )
        else:
            session.execute(
                update(Timer)
                .where(Timer.id == timer_id)
                .values(due_at=now + timedelta(seconds=2**timer.attempts))
            )

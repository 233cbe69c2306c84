"""Fires due SLA timers, a batch per transaction, any number of replicas.

A sweep claims the most overdue timers (``FOR UPDATE SKIP LOCKED``: replicas share
them) and runs their steps in that one transaction, each step marking its timer done:
the steps and their effects (database changes, outbox rows) commit together or, on a
crash, not at all -- the timers are then still pending and fire later, so every step
takes effect exactly once. Sweeps repeat until no due timer is left.

A step that fails rolls its whole batch back; the batch's timers are then fired one
per transaction, so only the failing one backs off (and is finally given up on).
Timers the batch left because another transaction held their offer or lead are fired
the same way right after it commits (waiting for that lock); those it had no time left
for go to the next batch. The steps that re-route a lead (reassign, open claim) run last
in their batch and route their leads in one pass, so replicas queue for a pool's rotation
row only briefly.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.runtime import Runtime
from lifecycle.escalation import Fired, fire_batch, fire_timer
from lifecycle.salesforce_writes import enqueue_for_new_offer
from lifecycle.timer_failures import back_off_timer
from storage.db import UnitOfWork
from storage.timers import claim_due, claim_one

log = logging.getLogger(__name__)
# Timers claimed per transaction, and how long a batch may run before it leaves the
# rest to the next one: the batch holds its rows (on SQLite, the database) meanwhile.
BATCH = 100
BATCH_BUDGET_S = 0.2


def fire_due_timers(rt: Runtime, *, limit: int = 5000, batch: int = BATCH) -> int:
    """Fire what is due, batch after batch, until none is left (or ``limit`` steps)."""
    fired = 0
    while fired < limit:
        claimed: list[int] = []
        try:
            with rt.db.session() as session:
                timers = claim_due(session, rt.clock.now(), limit=min(batch, limit - fired))
                claimed = [t.id for t in timers]
                if not timers:
                    break
                result = fire_batch(
                    session,
                    rt.config.router,
                    timers,
                    rt.clock.now,
                    budget_s=BATCH_BUDGET_S,
                )
                _offer_effects(rt, session, [step for _, step in result.fired])
                # When each fired step was due: read here, not from the rows after commit.
                fired_due = [(timer.due_at, step) for timer, step in result.fired]
        except Exception:
            if not claimed:
                raise
            log.exception("timer_batch_failed", extra={"timers": len(claimed)})
            fired += sum(_fire_one(rt, timer_id) for timer_id in claimed)
            continue
        for due_at, step in fired_due:
            _observe(rt, due_at, step)
        ran = len(result.fired) + sum(_fire_one(rt, timer_id) for timer_id in result.held)
        fired += ran
        if len(claimed) < batch and not result.unrun:
            break  # that was all that is due
        if not ran:
            break  # all waiting for steps other replicas are firing: next tick
    return fired


def _fire_one(rt: Runtime, timer_id: int) -> int:
    """One claimed-before timer in its own transaction; 1 if its step ran."""
    try:
        with rt.db.session() as session:
            now = rt.clock.now()
            timer = claim_one(session, timer_id, now)
            if timer is None:
                return 0  # fired meanwhile, or another replica holds it
            step = fire_timer(session, rt.config.router, timer, now)
            _offer_effects(rt, session, [step])
            due_at = timer.due_at
    except Exception:
        log.exception("timer_failed", extra={"timer": timer_id})
        _back_off(rt, timer_id)
        return 0
    if step.outcome == "waiting":
        return 0  # still pending: fires once the earlier step has
    _observe(rt, due_at, step)
    return 1


def _offer_effects(rt: Runtime, session: UnitOfWork, steps: list[Fired]) -> None:
    """What every new offer gets, whichever path made it: here, the Salesforce owner
    write-back (``owner_update: on_offer``) for offers a reassign step made."""
    if rt.salesforce is None:
        return
    for step in steps:
        if step.new_offer is not None:
            enqueue_for_new_offer(session, rt.config.config, step.new_offer, now=rt.clock.now())


def _observe(rt: Runtime, due_at: datetime, step: Fired) -> None:
    rt.metrics.timers.labels(step.outcome).inc()
    if step.outcome == "waiting":
        return  # not run: no lateness to speak of
    lateness = (rt.clock.now() - due_at).total_seconds()
    rt.metrics.timer_lateness.observe(max(0.0, lateness))


def _back_off(rt: Runtime, timer_id: int) -> None:
    """Count the failure in a transaction of its own (the step's was rolled back)."""
    now = rt.clock.now()
    with rt.db.session() as session:
        back_off_timer(session, timer_id, now)

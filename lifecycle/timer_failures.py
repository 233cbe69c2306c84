"""A timer whose step failed: it backs off, and after a few tries is given up on.

The step's own transaction was rolled back; this runs in a fresh one, so the failure is
counted even though the step never took effect. A step that keeps failing (a bug, a
vanished config entry) is marked ``failed`` with an ``sla.step_failed`` event, so it is
seen and never blocks the timers behind it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from storage.events import record_event
from storage.models import Timer

MAX_TIMER_ATTEMPTS = 5


def back_off_timer(session: Session, timer_id: int, now: datetime) -> None:
    """Count a failed try of a pending timer: retry it after 2, 4, 8... seconds, or
    give up on it after ``MAX_TIMER_ATTEMPTS``. A timer no longer pending is left alone."""
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

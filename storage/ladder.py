"""SLA ladders: scheduled onto an offer when it starts, fired step by step.

The ladder is computed once and snapshotted onto the offer (``offer.sla``) with a
timer row per step, in the offer's own transaction: a config reload never changes a
ladder already running, and a crash never loses a step.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from routing.config.models import RoutingConfig, SlaPolicy
from routing.engine import Router
from routing.sla import LadderStep, ladder, offer_deadline
from storage.events import record_event
from storage.locking import for_update
from storage.models import Decision, Lead, Offer, Timer
from storage.offers import lock_offer, lock_offers
from storage.outbox import enqueue
from storage.timers import behind_earlier_steps, cancel_for_offer, mark_fired

TIMED_OUT = "not accepted in time"


def start_ladder(
    session: Session, config: RoutingConfig, policy: SlaPolicy, offer: Offer
) -> dict[str, Any]:
    """Deadline, snapshot and timers for a new offer; returns the snapshot."""
    rep = config.reps_by_id.get(offer.rep_id)
    hours = config.business_hours.get(rep.hours) if rep is not None and rep.hours else None
    steps = ladder(policy, offer.offered_at, hours)
    offer.deadline = offer_deadline(policy, offer.offered_at, hours)
    snapshot = {
        "policy": policy.model_dump(mode="json"),
        "max_reassignments": config.max_reassignments_for(policy),
        "ladder": [step.to_dict() for step in steps],
    }
    offer.sla = snapshot
    first_escalation = next((s.index for s in steps if s.kind == "escalate"), None)
    for step in steps:
        session.add(
            Timer(
                key=f"offer:{offer.id}:step:{step.index}",
                kind=step.kind,
                lead_id=offer.lead_id,
                offer_id=offer.id,
                due_at=step.due,
                status="pending",
                attempts=0,
                payload={**step.to_dict(), "breach": step.index == first_escalation},
            )
        )
    return snapshot


@dataclass(frozen=True)
class Fired:
    timer_id: int
    outcome: str  # done | skipped | waiting (not run: an earlier step is pending)
    what: str


@dataclass(frozen=True)
class Batch:
    """What :func:`fire_batch` did: the steps it ran (with their timers), the claimed
    timers it left pending because another transaction held their offer or lead (for
    the caller to fire one by one), and those it had no time left for (still pending,
    for the next batch)."""

    fired: list[tuple[Timer, Fired]]
    held: list[int]
    unrun: list[int]


def fire_timer(session: Session, router: Router, timer: Timer, now: datetime) -> Fired:
    """Run one ladder step inside the caller's transaction (the timer row is locked)."""
    offer = lock_offer(session, timer.offer_id) if timer.offer_id is not None else None
    if offer is not None and offer.outcome == "pending" and behind_earlier_steps(session, [timer]):
        return Fired(timer.id, "waiting", "an earlier step of the offer is pending")
    return _fire(session, router, timer, offer, now)


def fire_batch(
    session: Session,
    router: Router,
    timers: list[Timer],
    clock: Callable[[], datetime],
    *,
    budget_s: float | None = None,
    route_apart: bool = False,
) -> Batch:
    """Run the steps of several claimed timers (row-locked, in the order they fell due)
    in the caller's transaction: their effects commit together, or not at all.

    What the steps lock is locked up front, in one statement each, skipping rows another
    transaction holds: the offers, and the leads of the steps that move a lead on
    (reassign, open claim). A timer whose offer or lead is held elsewhere (an accept
    being clicked, a manager reassigning) is left (``held``) for the caller, which
    fires it on its own afterwards and waits for that lock as :func:`fire_timer` does.
    So the batch waits only for a pool's rotation row while routing, and whoever holds
    that row never waits for a row the batch holds: no deadlock between batches, clicks
    and routing. Once ``budget_s`` has passed, the remaining timers are not run
    (``unrun``): still pending once the batch commits, they go to the next batch; so
    does a step whose offer has an earlier step pending that another replica claimed
    (an offer's steps run in their order, whichever replica claimed which).
    Each step's ``now`` is read from ``clock`` when it runs.

    With ``route_apart`` (PostgreSQL replicas), the steps that move a lead on are left
    (``held``) for the caller to fire one per transaction: each then holds the pool's
    rotation row only while it routes, and replicas do the rest of their steps in
    parallel instead of queueing behind a whole batch for that row.
    """
    started = time.monotonic()
    offers = lock_offers(session, {t.offer_id for t in timers if t.offer_id is not None})
    lead_ids = {
        offers[t.offer_id].lead_id
        for t in timers
        if t.offer_id in offers and offers[t.offer_id].outcome == "pending" and _moves_lead(t)
    }
    leads: dict[int, Lead] = {}
    if lead_ids and not route_apart:
        stmt = (
            select(Lead)
            .where(Lead.id.in_(sorted(lead_ids)))
            .order_by(Lead.id)
            .options(lazyload(Lead.offers), lazyload(Lead.decisions))
            .execution_options(populate_existing=True)
        )
        leads = {
            lead.id: lead for lead in session.scalars(for_update(session, stmt, skip_locked=True))
        }
    fired: list[tuple[Timer, Fired]] = []
    held: list[int] = []
    unrun: list[int] = []
    # Steps that move a lead on route it, and routing locks the pool's rotation row
    # until the batch commits: they run last, so another replica's batch waits for that
    # row as briefly as possible. An offer's steps still run in their order: a step due
    # after one of these, of the same offer, waits for the next batch (where it is
    # usually cancelled by then).
    moving: list[tuple[Timer, Offer, Lead]] = []
    postponed: set[int] = set()
    waiting = behind_earlier_steps(session, [t for t in timers if t.offer_id in offers])
    for timer in timers:
        if timer.offer_id in postponed or timer.id in waiting:
            unrun.append(timer.id)
            continue
        offer = offers.get(timer.offer_id) if timer.offer_id is not None else None
        if timer.offer_id is not None and offer is None:
            held.append(timer.id)  # held elsewhere (or gone): fired on its own
            continue
        if offer is not None and offer.outcome == "pending" and _moves_lead(timer):
            lead = leads.get(offer.lead_id)
            if lead is None or route_apart:
                held.append(timer.id)
                postponed.add(offer.id)
            else:
                moving.append((timer, offer, lead))
                postponed.add(offer.id)
            continue
        if budget_s is not None and time.monotonic() - started > budget_s:
            unrun.append(timer.id)
            continue
        if timer.status == "pending":
            fired.append((timer, _fire(session, router, timer, offer, clock())))
    for timer, offer, lead in moving:
        if budget_s is not None and time.monotonic() - started > budget_s:
            unrun.append(timer.id)
            continue
        if timer.status != "pending":  # its ladder was stopped by an earlier step here
            continue
        fired.append((timer, _fire(session, router, timer, offer, clock(), lead=lead)))
    return Batch(fired, held, unrun)


def _moves_lead(timer: Timer) -> bool:
    step = (timer.payload or {}).get("step") or {}
    return timer.kind == "escalate" and bool(step.get("reassign") or step.get("open_claim"))


def _fire(
    session: Session,
    router: Router,
    timer: Timer,
    offer: Offer | None,
    now: datetime,
    *,
    lead: Lead | None = None,
) -> Fired:
    """One step, its offer locked by the caller (``lead`` too if already locked)."""
    if offer is None or offer.outcome != "pending":
        mark_fired(timer, now, outcome="skipped")
        why = "offer gone" if offer is None else f"offer {offer.outcome}"
        return Fired(timer.id, "skipped", why)
    step = LadderStep.from_dict(timer.payload)
    if step.kind == "remind":
        enqueue(
            session,
            key=f"timer:{timer.id}:remind",
            kind="slack.remind",
            payload={"offer_id": offer.id},
            now=now,
            lead_id=offer.lead_id,
        )
        record_event(session, lead_id=offer.lead_id, kind="sla.reminded", at=now, offer=offer.id)
        mark_fired(timer, now)
        return Fired(timer.id, "done", "remind")

    action = dict(step.step)
    if timer.payload.get("breach"):
        record_event(
            session,
            lead_id=offer.lead_id,
            kind="sla.breached",
            at=now,
            offer=offer.id,
            rep=offer.rep_id,
        )
    record_event(
        session,
        lead_id=offer.lead_id,
        kind="sla.escalated",
        at=now,
        offer=offer.id,
        step=step.index,
        action={k: v for k, v in action.items() if v not in (None, [], "")},
    )
    _notify(session, router.config, offer, timer, action.get("notify") or [], now)
    what = "notify"
    if action.get("reassign") == "next" or action.get("open_claim"):
        if lead is None:
            # Not the lead's offers and decisions (selectin by default): a step needs the
            # lead row only, and loading its whole history made every step pay for it.
            lead = session.get(
                Lead, offer.lead_id, options=[lazyload(Lead.offers), lazyload(Lead.decisions)]
            )
        assert lead is not None
        if action.get("reassign") == "next":
            what = _reassign_next(session, router, offer, lead, now)
        else:
            queue = str(action["open_claim"])
            what = _open_claim(session, router, offer, lead, queue, now, TIMED_OUT)
    mark_fired(timer, now)
    return Fired(timer.id, "done", what)


def _notify(
    session: Session,
    config: RoutingConfig,
    offer: Offer,
    timer: Timer,
    targets: list[str],
    now: datetime,
) -> None:
    recipients: list[str] = []
    for target in targets:
        if target == "manager":
            managers = sorted(config.managers_of(offer.rep_id)) or list(config.admins)
            recipients.extend(f"rep:{m}" for m in managers)
        elif target.startswith("#") or (target[:1] in ("C", "G") and target.isupper()):
            recipients.append(f"channel:{target}")
        else:
            recipients.append(f"rep:{target}")
    for recipient in dict.fromkeys(recipients):
        enqueue(
            session,
            key=f"timer:{timer.id}:notify:{recipient}",
            kind="slack.escalation_notice",
            payload={"offer_id": offer.id, "recipient": recipient, "step": timer.payload},
            now=now,
            lead_id=offer.lead_id,
        )


def _end_offer(session: Session, offer: Offer, now: datetime, reason: str) -> None:
    offer.outcome = "timed_out"
    offer.responded_at = now
    offer.reason = reason
    cancel_for_offer(session, offer.id)
    enqueue(
        session,
        key=f"offer:{offer.id}:timed_out",
        kind="slack.offer_update",
        payload={"offer_id": offer.id},
        now=now,
        lead_id=offer.lead_id,
    )


def _reassign_next(
    session: Session, router: Router, offer: Offer, lead: Lead, now: datetime
) -> str:
    from storage.assign import route_lead  # assign imports this module for new offers

    snapshot = offer.sla or {}
    limit = int(snapshot.get("max_reassignments", router.config.max_reassignments))
    done_before = session.scalar(
        select(func.count())
        .select_from(Offer)
        .where(Offer.lead_id == lead.id, Offer.outcome == "timed_out", Offer.id != offer.id)
    )
    if (done_before or 0) >= limit:
        queue = _fallback_queue(router.config, offer)
        reason = f"{TIMED_OUT}; reassignment limit ({limit}) reached"
        if queue is None:
            _end_offer(session, offer, now, reason)
            lead.state = "unrouted"
            _alert_admins(session, router.config, lead, now, f"{reason} and no queue to open")
            return "limit reached, unrouted"
        _open_claim(session, router, offer, lead, queue, now, reason)
        _alert_admins(session, router.config, lead, now, f"{reason}; opened for claim in {queue}")
        return f"limit reached, open claim in {queue}"
    _end_offer(session, offer, now, TIMED_OUT)
    result = route_lead(session, router, lead.id, now, actor="sla")
    decision = result.decision
    if decision is None:
        return f"reassign skipped: {result.skipped}"
    return f"reassigned: {decision.outcome} {decision.assignee or decision.queue or ''}".strip()


def _open_claim(
    session: Session,
    router: Router,
    offer: Offer,
    lead: Lead,
    queue: str,
    now: datetime,
    reason: str,
) -> str:
    _end_offer(session, offer, now, f"{reason}; opened for claim in {queue}")
    lead.state = "queued"
    lead.queue_id = queue
    session.add(
        Decision(
            lead_id=lead.id,
            decided_at=now,
            rule=None,
            target="queue",
            queue_id=queue,
            reason=f"SLA: opened for claim in {queue} ({reason})",
            trace=[{"step": "sla", "action": "open_claim", "queue": queue, "offer": offer.id}],
            config_version=router.version,
        )
    )
    record_event(session, lead_id=lead.id, kind="lead.queued", at=now, queue=queue, by="sla")
    enqueue(
        session,
        key=f"lead:{lead.id}:queue:offer{offer.id}",
        kind="slack.queue_card",
        payload={"lead_id": lead.id, "queue": queue},
        now=now,
        lead_id=lead.id,
    )
    return f"open claim in {queue}"


def _fallback_queue(config: RoutingConfig, offer: Offer) -> str | None:
    """Where a lead goes after too many reassignments: the ladder's own claim queue,
    else a queue the rep belongs to, else the first queue."""
    for step in (offer.sla or {}).get("policy", {}).get("escalate", []):
        if step.get("open_claim"):
            return str(step["open_claim"])
    for queue_id in config.queues:
        if offer.rep_id in config.queue_member_ids(queue_id):
            return queue_id
    return next(iter(config.queues), None)


def _alert_admins(
    session: Session, config: RoutingConfig, lead: Lead, now: datetime, text: str
) -> None:
    for admin in config.admins:
        enqueue(
            session,
            key=f"lead:{lead.id}:sla_alert:{now.isoformat()}:{admin}",
            kind="slack.admin_alert",
            payload={
                "admin": admin,
                "text": f":rotating_light: Lead *{lead.public_id}*: {text}.",
            },
            now=now,
            lead_id=lead.id,
        )


def open_claim_now(
    session: Session, router: Router, offer_id: int, *, by: str, now: datetime
) -> str | None:
    """A manager opens a late offer for claim; returns the queue, or None if not pending."""
    offer = lock_offer(session, offer_id)
    if offer is None or offer.outcome != "pending":
        return None
    lead = session.get(Lead, offer.lead_id)
    assert lead is not None
    queue = _fallback_queue(router.config, offer)
    if queue is None:
        return None
    _open_claim(session, router, offer, lead, queue, now, f"opened by {by}")
    return queue

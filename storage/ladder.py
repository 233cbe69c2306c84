"""SLA ladders: scheduled onto an offer when it starts, fired step by step.

The ladder is computed once and snapshotted onto the offer (``offer.sla``) with a
timer row per step, in the offer's own transaction: a config reload never changes a
ladder already running, and a crash never loses a step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from routing.config.models import RoutingConfig, SlaPolicy
from routing.engine import Router
from routing.sla import LadderStep, ladder, offer_deadline
from storage.events import record_event
from storage.models import Decision, Lead, Offer, Timer
from storage.offers import lock_offer
from storage.outbox import enqueue
from storage.timers import cancel_for_offer, mark_fired

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
    outcome: str  # done | skipped
    what: str


def fire_timer(session: Session, router: Router, timer: Timer, now: datetime) -> Fired:
    """Run one ladder step inside the caller's transaction (the timer row is locked)."""
    offer = lock_offer(session, timer.offer_id) if timer.offer_id is not None else None
    if offer is None or offer.outcome != "pending":
        mark_fired(timer, now, outcome="skipped")
        why = "offer gone" if offer is None else f"offer {offer.outcome}"
        return Fired(timer.id, "skipped", why)
    # Not the lead's offers and decisions (selectin by default): a step needs the lead
    # row only, and loading its whole history made every step pay for it.
    lead = session.get(
        Lead, offer.lead_id, options=[lazyload(Lead.offers), lazyload(Lead.decisions)]
    )
    assert lead is not None
    step = LadderStep.from_dict(timer.payload)
    if step.kind == "remind":
        enqueue(
            session,
            key=f"timer:{timer.id}:remind",
            kind="slack.remind",
            payload={"offer_id": offer.id},
            now=now,
            lead_id=lead.id,
        )
        record_event(session, lead_id=lead.id, kind="sla.reminded", at=now, offer=offer.id)
        mark_fired(timer, now)
        return Fired(timer.id, "done", "remind")

    action = dict(step.step)
    if timer.payload.get("breach"):
        record_event(
            session, lead_id=lead.id, kind="sla.breached", at=now, offer=offer.id, rep=offer.rep_id
        )
    record_event(
        session,
        lead_id=lead.id,
        kind="sla.escalated",
        at=now,
        offer=offer.id,
        step=step.index,
        action={k: v for k, v in action.items() if v not in (None, [], "")},
    )
    _notify(session, router.config, offer, lead, timer, action.get("notify") or [], now)
    what = "notify"
    if action.get("reassign") == "next":
        what = _reassign_next(session, router, offer, lead, now)
    elif action.get("open_claim"):
        what = _open_claim(session, router, offer, lead, str(action["open_claim"]), now, TIMED_OUT)
    mark_fired(timer, now)
    return Fired(timer.id, "done", what)


def _notify(
    session: Session,
    config: RoutingConfig,
    offer: Offer,
    lead: Lead,
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
            lead_id=lead.id,
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

"""SLA ladder steps as they fall due: remind, notify, reassign, open for claim.

Each step runs from its timer row (claimed by one worker) inside one transaction with
what it changes and the effects it queues: a crash re-runs the step whole or not at all,
and an outbox key per intent keeps a re-run from repeating a message. The ladder itself
was planned when the offer started (``lifecycle.sla_plan``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from lifecycle.assign import route_leads
from lifecycle.card_delivery import unseen_offers, wait_for_card
from lifecycle.open_claim import TIMED_OUT, open_claim, over_limit, time_out_offer
from routing.config.models import RoutingConfig
from routing.effects import EscalationNotice, Remind
from routing.engine import Router
from routing.sla import LadderStep, notify_recipients
from storage.events import record_event
from storage.locking import for_update
from storage.models import Lead, Offer, Timer
from storage.offers import lock_offer, lock_offers
from storage.outbox import enqueue_effect
from storage.timers import (
    behind_earlier_steps,
    cancel_for_offers,
    mark_fired,
)

CARD_NOT_THERE = "its card is not in Slack yet"


@dataclass(frozen=True)
class Fired:
    timer_id: int
    # done | skipped | waiting (not run: an earlier step is pending, or the card is not
    # in Slack yet and the step waits for it)
    outcome: str
    what: str
    new_offer: int | None = None  # the offer a reassign step made (for the caller's effects)


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
    if offer is not None and unseen_offers(session, [offer]):
        wait_for_card(timer, offer, now)
        return Fired(timer.id, "waiting", CARD_NOT_THERE)
    return _fire(session, router, timer, offer, now)


def fire_batch(
    session: Session,
    router: Router,
    timers: list[Timer],
    clock: Callable[[], datetime],
    *,
    budget_s: float | None = None,
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
    Each step's ``now`` is read from ``clock`` when it runs; the steps that move a
    lead on run last and together, their leads routed in one pass (see
    storage.assign.route_leads), so the pool's rotation row is held briefly.
    """
    started = time.monotonic()
    offers = lock_offers(session, {t.offer_id for t in timers if t.offer_id is not None})
    lead_ids = {
        offers[t.offer_id].lead_id
        for t in timers
        if t.offer_id in offers and offers[t.offer_id].outcome == "pending" and _moves_lead(t)
    }
    leads: dict[int, Lead] = {}
    if lead_ids:
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
    unseen = unseen_offers(session, offers.values())
    for timer in timers:
        if timer.offer_id in postponed or timer.id in waiting:
            unrun.append(timer.id)
            continue
        offer = offers.get(timer.offer_id) if timer.offer_id is not None else None
        if timer.offer_id is not None and offer is None:
            held.append(timer.id)  # held elsewhere (or gone): fired on its own
            continue
        if offer is not None and offer.id in unseen:
            wait_for_card(timer, offer, clock())
            fired.append((timer, Fired(timer.id, "waiting", CARD_NOT_THERE)))
            continue
        if offer is not None and offer.outcome == "pending" and _moves_lead(timer):
            lead = leads.get(offer.lead_id)
            if lead is None:
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
    if moving and budget_s is not None and time.monotonic() - started > budget_s:
        unrun.extend(timer.id for timer, _, _ in moving)
    elif moving:
        # Together: the leads they re-route share one routing pass.
        fired.extend(_fire_moving(session, router, moving, clock()))
    return Batch(fired, held, unrun)


def _moves_lead(timer: Timer) -> bool:
    action = _action(timer)
    return timer.kind == "escalate" and bool(action.get("reassign") or action.get("open_claim"))


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
    if _moves_lead(timer):
        if lead is None:
            # Not the lead's offers and decisions (selectin by default): a step needs the
            # lead row only, and loading its whole history made every step pay for it.
            lead = session.get(
                Lead, offer.lead_id, options=[lazyload(Lead.offers), lazyload(Lead.decisions)]
            )
        assert lead is not None
        return _fire_moving(session, router, [(timer, offer, lead)], now)[0][1]
    step = LadderStep.from_dict(timer.payload)
    if step.kind == "remind":
        enqueue_effect(
            session,
            Remind(offer_id=offer.id),
            key=f"timer:{timer.id}:remind",
            later=True,
            now=now,
            lead_id=offer.lead_id,
        )
        record_event(session, lead_id=offer.lead_id, kind="sla.reminded", at=now, offer=offer.id)
        mark_fired(timer, now)
        return Fired(timer.id, "done", "remind")
    _escalated(session, router.config, timer, offer, step, now)
    mark_fired(timer, now)
    return Fired(timer.id, "done", "notify")


def _escalated(
    session: Session,
    config: RoutingConfig,
    timer: Timer,
    offer: Offer,
    step: LadderStep,
    now: datetime,
) -> None:
    """What every escalation step does first: log it (and the breach), notify."""
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
    _notify(session, config, offer, timer, action.get("notify") or [], now)


def _fire_moving(
    session: Session,
    router: Router,
    items: Sequence[tuple[Timer, Offer, Lead]],
    now: datetime,
) -> list[tuple[Timer, Fired]]:
    """Steps that move their lead on (reassign next, open claim), offers pending and
    locked, leads locked: run together, so the leads they re-route share one routing
    pass (one roster read, one lock per pool, one statement per kind of row)."""
    config = router.config
    reassigning = [(t, o, lead) for t, o, lead in items if _action(t).get("reassign") == "next"]
    timed_out = _timed_out_before(session, [(o, lead) for _, o, lead in reassigning])
    whats: dict[int, str] = {}
    ended: list[Offer] = []
    to_route: list[tuple[Timer, Lead]] = []
    for timer, offer, lead in items:
        _escalated(session, config, timer, offer, LadderStep.from_dict(timer.payload), now)
        action = _action(timer)
        if action.get("reassign") == "next":
            snapshot = offer.sla or {}
            limit = int(snapshot.get("max_reassignments", config.max_reassignments))
            if timed_out.get(lead.id, 0) >= limit:
                whats[timer.id] = over_limit(session, router, offer, lead, limit, now)
            else:
                time_out_offer(session, offer, now, TIMED_OUT, cancel=False)
                ended.append(offer)
                to_route.append((timer, lead))
        elif action.get("open_claim"):
            queue = str(action["open_claim"])
            whats[timer.id] = open_claim(session, router, offer, lead, queue, now, TIMED_OUT)
        else:
            whats[timer.id] = "notify"
    cancel_for_offers(session, [o.id for o in ended])
    routed = route_leads(session, router, [lead for _, lead in to_route], now, actor="sla")
    new_offers: dict[int, int] = {}
    for (timer, _), result in zip(to_route, routed, strict=True):
        if result.offer_id is not None:
            new_offers[timer.id] = result.offer_id
        decision = result.decision
        if decision is None:
            whats[timer.id] = f"reassign skipped: {result.skipped}"
        else:
            to = decision.assignee or decision.queue or ""
            whats[timer.id] = f"reassigned: {decision.outcome} {to}".strip()
    out: list[tuple[Timer, Fired]] = []
    for timer, _, _ in items:
        mark_fired(timer, now)
        out.append((timer, Fired(timer.id, "done", whats[timer.id], new_offers.get(timer.id))))
    return out


def _action(timer: Timer) -> dict[str, Any]:
    """The escalation step's action (notify / reassign / open_claim), as snapshotted."""
    return dict((timer.payload or {}).get("step") or {})


def _timed_out_before(session: Session, pairs: Sequence[tuple[Offer, Lead]]) -> dict[int, int]:
    """Per lead, how many of its other offers timed out: reassignments so far."""
    if not pairs:
        return {}
    rows = session.execute(
        select(Offer.lead_id, func.count())
        .where(
            Offer.lead_id.in_(sorted({lead.id for _, lead in pairs})),
            Offer.outcome == "timed_out",
            Offer.id.not_in(sorted({offer.id for offer, _ in pairs})),
        )
        .group_by(Offer.lead_id)
    )
    return {lead_id: int(n) for lead_id, n in rows}


def _notify(
    session: Session,
    config: RoutingConfig,
    offer: Offer,
    timer: Timer,
    targets: list[str],
    now: datetime,
) -> None:
    for recipient in notify_recipients(config, offer.rep_id, targets):
        enqueue_effect(
            session,
            EscalationNotice(offer_id=offer.id, recipient=recipient.key, step=timer.payload),
            key=f"timer:{timer.id}:notify:{recipient.key}",
            later=True,
            now=now,
            lead_id=offer.lead_id,
        )

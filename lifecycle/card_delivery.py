"""The SLA clock starts when the rep can see the offer.

An offer's ladder is planned when the offer is made; its card may reach Slack later (a
burst queued behind Slack's rate limits, a crash, Slack down). When the card arrives a
second or more after the offer, the ladder is counted again from the card's delivery:
the deadline and every step still to come move by the delay. A step that falls due
before the card exists (remind, notify, reassign) waits for it instead of pinging
anyone about a card nobody has seen; a card that can never be posted (its post gave up)
lets the ladder run as planned, so the lead still moves on. Speed to lead is still
measured from the lead's arrival.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from lifecycle.sla_plan import replan_from
from routing.config.models import RoutingConfig
from storage.cards import cards_still_coming
from storage.events import record_event
from storage.models import Offer, Timer
from storage.offers import record_card
from storage.timers import move_pending_steps

# Delays shorter than this are not worth a reschedule (steps are minutes apart).
RESCHEDULE_AFTER = timedelta(seconds=1)
# How long a step due before its card waits before it looks again (the card's
# delivery moves it to the right time; this only bounds a wait for a card that dies).
CARD_WAIT = timedelta(seconds=2)


def is_late(offered_at: datetime, at: datetime) -> bool:
    return at - offered_at >= RESCHEDULE_AFTER


def card_delivered(
    session: Session,
    config: RoutingConfig,
    offer_id: int,
    *,
    channel: str,
    ts: str,
    at: datetime,
) -> bool:
    """Record the card (where, and when Slack took it); True when its lateness moved the
    offer's ladder to count from ``at``."""
    offer = session.get(Offer, offer_id)
    if offer is None:
        return False
    moved = False
    waited = bool(offer.sla and offer.sla.get("card_wait"))
    first = offer.delivered_at is None
    if first and offer.outcome == "pending" and (is_late(offer.offered_at, at) or waited):
        plan = replan_from(config, offer.rep_id, offer.sla, at)
        if plan is not None:
            # The timers first, then the offer: the order the SLA sweep locks them in.
            move_pending_steps(session, plan.timer_rows(offer))
            plan.apply(offer)
            record_event(
                session,
                lead_id=offer.lead_id,
                kind="sla.clock_started",
                at=at,
                offer=offer.id,
                card_late_s=round((at - offer.offered_at).total_seconds(), 3),
                deadline=plan.deadline.isoformat(),
            )
            moved = True
    record_card(session, offer_id, channel=channel, ts=ts, at=at)
    return moved


def unseen_offers(session: Session, offers: Iterable[Offer]) -> set[int]:
    """Pending offers whose card is still on its way to Slack (not posted, not dead)."""
    waiting = [o.id for o in offers if o.outcome == "pending" and o.message_ts is None]
    return cards_still_coming(session, waiting) if waiting else set()


def wait_for_card(timer: Timer, offer: Offer, now: datetime) -> None:
    """Hold a step due before its card exists; the card's delivery sets its real time."""
    timer.due_at = now + CARD_WAIT
    if offer.sla is not None and not offer.sla.get("card_wait"):
        offer.sla = {**offer.sla, "card_wait": True}

"""The lead's and the offer's lifecycle: their states, and every legal change, in one place.

Pure data and checks, no storage: the application records a change only through
``lead_transition`` / ``offer_transition``, which refuse any change not in the tables.
The values are the strings stored in the database, so a ``StrEnum`` compares equal to a
row read back.
"""

from __future__ import annotations

from enum import StrEnum


class LeadState(StrEnum):
    FETCHING = "fetching"  # stored from a Salesforce id; the record is still to be fetched
    NEW = "new"  # stored, not routed yet
    OFFERED = "offered"  # an offer to one rep is pending
    QUEUED = "queued"  # open for claim in a queue
    ACCEPTED = "accepted"  # a rep owns it
    UNROUTED = "unrouted"  # no rule found an eligible rep; admins were told
    KEPT = "kept"  # a keep_owner rule stopped routing: the current owner keeps it, no card


class OfferOutcome(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TIMED_OUT = "timed_out"
    REVOKED = "revoked"  # reassigned away, opened for claim, or the rep unreachable


class LeadEvent(StrEnum):
    FETCHED = "fetched"  # the Salesforce record arrived
    OFFER = "offer"  # routing (or a reassignment) offered it to a rep
    QUEUE = "queue"  # routing or the SLA ladder opened it for claim
    NOBODY = "nobody"  # routing found no eligible rep
    KEEP = "keep"  # routing stopped at a keep_owner rule
    ACCEPT = "accept"  # the offered rep accepted
    CLAIM = "claim"  # a queue member claimed it


class OfferEvent(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    TIME_OUT = "time_out"
    REVOKE = "revoke"


_ROUTED = {
    LeadEvent.OFFER: LeadState.OFFERED,
    LeadEvent.QUEUE: LeadState.QUEUED,
    LeadEvent.NOBODY: LeadState.UNROUTED,
    LeadEvent.KEEP: LeadState.KEPT,
}

# (state, event) -> next state. A lead can be routed again from any state but fetching
# (a decline, a time-out, a manager's reassign), and is owned only by accept or claim.
LEAD_TRANSITIONS: dict[tuple[LeadState, LeadEvent], LeadState] = {
    (LeadState.FETCHING, LeadEvent.FETCHED): LeadState.NEW,
    **{(LeadState.NEW, event): to for event, to in _ROUTED.items()},
    **{(LeadState.OFFERED, event): to for event, to in _ROUTED.items()},
    (LeadState.OFFERED, LeadEvent.ACCEPT): LeadState.ACCEPTED,
    **{(LeadState.QUEUED, event): to for event, to in _ROUTED.items()},
    (LeadState.QUEUED, LeadEvent.CLAIM): LeadState.ACCEPTED,
    **{(LeadState.UNROUTED, event): to for event, to in _ROUTED.items()},
    **{(LeadState.ACCEPTED, event): to for event, to in _ROUTED.items()},
    **{(LeadState.KEPT, event): to for event, to in _ROUTED.items()},
}

# Only a pending offer changes, and only once.
OFFER_TRANSITIONS: dict[tuple[OfferOutcome, OfferEvent], OfferOutcome] = {
    (OfferOutcome.PENDING, OfferEvent.ACCEPT): OfferOutcome.ACCEPTED,
    (OfferOutcome.PENDING, OfferEvent.DECLINE): OfferOutcome.DECLINED,
    (OfferOutcome.PENDING, OfferEvent.TIME_OUT): OfferOutcome.TIMED_OUT,
    (OfferOutcome.PENDING, OfferEvent.REVOKE): OfferOutcome.REVOKED,
}


class IllegalTransition(ValueError):
    """A change the lifecycle does not allow: a bug in the caller, never user input."""

    def __init__(self, kind: str, state: str, event: str) -> None:
        self.kind, self.state, self.event = kind, state, event
        super().__init__(f"a {kind} in state '{state}' cannot '{event}'")


def lead_transition(state: str, event: LeadEvent) -> LeadState:
    """The lead's next state after ``event``; IllegalTransition if it may not happen."""
    try:
        return LEAD_TRANSITIONS[(LeadState(state), event)]
    except (KeyError, ValueError):
        raise IllegalTransition("lead", state, event) from None


def offer_transition(outcome: str, event: OfferEvent) -> OfferOutcome:
    """The offer's outcome after ``event``; IllegalTransition if it is not pending."""
    try:
        return OFFER_TRANSITIONS[(OfferOutcome(outcome), event)]
    except (KeyError, ValueError):
        raise IllegalTransition("offer", outcome, event) from None

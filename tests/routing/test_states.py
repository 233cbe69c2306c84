"""The lifecycle tables, row by row: every legal change, and every other one refused."""

from __future__ import annotations

import itertools

import pytest

from routing.states import (
    LEAD_TRANSITIONS,
    OFFER_TRANSITIONS,
    IllegalTransition,
    LeadEvent,
    LeadState,
    OfferEvent,
    OfferOutcome,
    lead_transition,
    offer_transition,
)

S, E = LeadState, LeadEvent
LEAD_TABLE = [
    (S.FETCHING, E.FETCHED, S.NEW),
    (S.NEW, E.OFFER, S.OFFERED),
    (S.NEW, E.QUEUE, S.QUEUED),
    (S.NEW, E.NOBODY, S.UNROUTED),
    (S.OFFERED, E.OFFER, S.OFFERED),  # declined or timed out: offered to the next rep
    (S.OFFERED, E.QUEUE, S.QUEUED),  # the SLA ladder opens it for claim
    (S.OFFERED, E.NOBODY, S.UNROUTED),  # nobody else is eligible
    (S.OFFERED, E.ACCEPT, S.ACCEPTED),
    (S.QUEUED, E.CLAIM, S.ACCEPTED),
    (S.QUEUED, E.OFFER, S.OFFERED),  # a manager reassigns it to a rep
    (S.QUEUED, E.QUEUE, S.QUEUED),
    (S.QUEUED, E.NOBODY, S.UNROUTED),
    (S.UNROUTED, E.OFFER, S.OFFERED),  # an admin assigns it
    (S.UNROUTED, E.QUEUE, S.QUEUED),
    (S.UNROUTED, E.NOBODY, S.UNROUTED),
    (S.ACCEPTED, E.OFFER, S.OFFERED),  # reassigned after acceptance
    (S.ACCEPTED, E.QUEUE, S.QUEUED),
    (S.ACCEPTED, E.NOBODY, S.UNROUTED),
    # A keep_owner rule: the lead stays with its current owner, from wherever routing ran.
    (S.NEW, E.KEEP, S.KEPT),
    (S.OFFERED, E.KEEP, S.KEPT),
    (S.QUEUED, E.KEEP, S.KEPT),
    (S.UNROUTED, E.KEEP, S.KEPT),
    (S.ACCEPTED, E.KEEP, S.KEPT),
    (S.KEPT, E.KEEP, S.KEPT),
    (S.KEPT, E.OFFER, S.OFFERED),  # a manager assigns it after all
    (S.KEPT, E.QUEUE, S.QUEUED),
    (S.KEPT, E.NOBODY, S.UNROUTED),
]
OO, OE = OfferOutcome, OfferEvent
OFFER_TABLE = [
    (OO.PENDING, OE.ACCEPT, OO.ACCEPTED),
    (OO.PENDING, OE.DECLINE, OO.DECLINED),
    (OO.PENDING, OE.TIME_OUT, OO.TIMED_OUT),
    (OO.PENDING, OE.REVOKE, OO.REVOKED),
]


@pytest.mark.parametrize(("state", "event", "to"), LEAD_TABLE)
def test_lead_transition(state: LeadState, event: LeadEvent, to: LeadState) -> None:
    assert lead_transition(state, event) is to
    assert lead_transition(str(state), event) is to  # as read back from the database


@pytest.mark.parametrize(("outcome", "event", "to"), OFFER_TABLE)
def test_offer_transition(outcome: OfferOutcome, event: OfferEvent, to: OfferOutcome) -> None:
    assert offer_transition(outcome, event) is to


def test_the_tables_hold_exactly_these_rows() -> None:
    assert {(s, e): t for s, e, t in LEAD_TABLE} == LEAD_TRANSITIONS
    assert {(s, e): t for s, e, t in OFFER_TABLE} == OFFER_TRANSITIONS


ILLEGAL_LEAD = [
    pair for pair in itertools.product(LeadState, LeadEvent) if pair not in LEAD_TRANSITIONS
]


@pytest.mark.parametrize(("state", "event"), ILLEGAL_LEAD)
def test_every_other_lead_change_is_refused(state: LeadState, event: LeadEvent) -> None:
    with pytest.raises(IllegalTransition, match=f"state '{state}' cannot '{event}'"):
        lead_transition(state, event)


@pytest.mark.parametrize(
    ("outcome", "event"),
    [p for p in itertools.product(OfferOutcome, OfferEvent) if p not in OFFER_TRANSITIONS],
)
def test_an_ended_offer_never_changes(outcome: OfferOutcome, event: OfferEvent) -> None:
    with pytest.raises(IllegalTransition):
        offer_transition(outcome, event)


def test_an_unknown_stored_state_is_refused() -> None:
    with pytest.raises(IllegalTransition):
        lead_transition("archived", LeadEvent.OFFER)
    with pytest.raises(IllegalTransition):
        offer_transition("maybe", OfferEvent.ACCEPT)


def test_values_are_the_stored_strings() -> None:
    assert [s.value for s in LeadState] == [
        "fetching",
        "new",
        "offered",
        "queued",
        "accepted",
        "unrouted",
        "kept",
    ]
    assert OfferOutcome.TIMED_OUT == "timed_out"

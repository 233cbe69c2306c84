"""Accept clicked at the very moment the reassign step falls due: one of them wins.

Either the accept commits first (no reassignment, the card says accepted) or the step
runs first (the click is answered "This offer expired and the lead was passed on", the
card says so, the next rep has the lead) -- never both, never neither. Clicks are spread
over the scheduler's tick after the deadline so both orders happen.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.actions import ActionId
from storage.db import Database
from storage.leads import lead_pk
from storage.models import Offer, Timer
from tests.e2e.harness import Stack, running_stack
from tests.e2e.ladder_audit import CARD_EVENT, check_database, outbox_open

CONFIG = """
reps:
  - {id: alice, name: Alice, email: alice@example.com, manager: maria}
  - {id: bob, name: Bob, email: bob@example.com, manager: maria}
  - {id: maria, name: Maria, email: maria@example.com}
pools:
  sdr: {strategy: round_robin, members: [alice, bob], manager: maria}
sla:
  - name: race
    accept_within: 1s
    max_reassignments: 1
    escalate: [{after: 0s, reassign: next}]
rules:
  - {name: All, assign: {pool: sdr}}
"""
USERS = {r: f"U_{r.upper()}" for r in ("alice", "bob", "maria")}
ROUNDS = 5
PER_ROUND = 4  # leads raced at once; 20 races per database
EXPIRED = "This offer expired and the lead was passed on."


@pytest.fixture
def stack(db: Database) -> Iterator[Stack]:
    with running_stack(db, config=CONFIG, users=USERS) as s:
        yield s


def card_for(stack: Stack, offer_id: int) -> dict[str, Any] | None:
    for msg in stack.emu.messages():
        meta = msg.get("metadata") or {}
        payload = meta.get("event_payload") or {}
        if meta.get("event_type") == CARD_EVENT and payload.get("offer_id") == offer_id:
            return msg
    return None


def accept_value(card: dict[str, Any]) -> str:
    return next(
        str(el["value"])
        for block in card["blocks"]
        if block["type"] == "actions"
        for el in block["elements"]
        if el["action_id"] == ActionId.ACCEPT
    )


def offer_ids(stack: Stack, lead_id: str) -> list[tuple[int, str, str, str]]:
    """(offer id, rep, outcome, deadline) of a lead, read from the database."""
    with stack.rt.db.session() as session:
        offers = session.scalars(
            select(Offer).where(Offer.lead_id == lead_pk(lead_id)).order_by(Offer.id)
        ).all()
        return [
            (o.id, o.rep_id, o.outcome, (o.deadline or o.offered_at).isoformat()) for o in offers
        ]


def race(stack: Stack, lead_id: str, offset: float) -> dict[str, Any]:
    try:
        first = stack.emu.wait_for(lambda: offer_ids(stack, lead_id), timeout=5)[0]
    except TimeoutError as exc:
        raise AssertionError(f"{lead_id} never offered: {stack.get_lead(lead_id)}") from exc
    offer_id, rep, _, deadline_iso = first
    card = stack.emu.wait_for(lambda: card_for(stack, offer_id), timeout=5)
    deadline = datetime.fromisoformat(deadline_iso)
    if deadline.tzinfo is None:
        deadline = deadline.replace(tzinfo=UTC)
    value = accept_value(card)
    time.sleep(max(0.0, (deadline - datetime.now(UTC)).total_seconds() + offset))
    response = stack.emu.click(
        f"U_{rep.upper()}", card["channel"], card["ts"], ActionId.ACCEPT, value=value
    )
    return {
        "lead": lead_id,
        "offer": offer_id,
        "rep": rep,
        "card": card,
        "status": response.status_code,
        "offset": offset,
    }


def settle(stack: Stack, r: dict[str, Any]) -> str:
    """Wait until the race is decided and shown; return who won."""
    card = r["card"]

    def decided() -> str | None:
        offers = offer_ids(stack, r["lead"])
        outcome = offers[0][2]
        text = str(stack.emu.message(card["channel"], card["ts"])["blocks"])
        replies = [x for x in stack.emu.responses() if x["message_ts"] == card["ts"]]
        if outcome == "accepted" and "Accepted by" in text:
            return "accept"
        expired = any(x.get("text") == EXPIRED for x in replies)
        if outcome == "timed_out" and "Not accepted in time" in text and expired:
            return "timer"
        return None

    return stack.emu.wait_for(decided, timeout=8)


def check(stack: Stack, r: dict[str, Any], winner: str) -> None:
    offers = offer_ids(stack, r["lead"])
    card = r["card"]
    replies = [x for x in stack.emu.responses() if x["message_ts"] == card["ts"]]
    text = str(stack.emu.message(card["channel"], card["ts"])["blocks"])
    lead = stack.get_lead(r["lead"])
    other = "bob" if r["rep"] == "alice" else "alice"
    with stack.rt.db.session() as session:
        steps = session.execute(
            select(Timer.status, Timer.attempts).where(Timer.offer_id == r["offer"])
        ).all()
    if winner == "accept":
        assert [(o[1], o[2]) for o in offers] == [(r["rep"], "accepted")], offers
        assert lead["state"] == "accepted" and lead["assignee"] == r["rep"]
        assert not any(x.get("text") == EXPIRED for x in replies), replies
        assert "Not accepted in time" not in text
        assert [s for s, _ in steps] in (["cancelled"], ["skipped"]), steps
    else:
        # the next offer has its own 1 s ladder, which ends the lead (bound of 1) soon
        assert [(o[1], o[2]) for o in offers[:1]] == [(r["rep"], "timed_out")], offers
        assert len(offers) == 2 and offers[1][1] == other, offers
        assert lead["assignee"] != r["rep"]
        assert "Accepted by" not in text
        assert steps == [("done", 1)], steps
        stack.emu.wait_for(lambda: card_for(stack, offers[1][0]), timeout=5)


def test_accept_races_the_reassign_step(stack: Stack) -> None:
    winners: list[str] = []
    raced: list[str] = []
    trial = 0
    for _ in range(ROUNDS):
        leads = []
        for _ in range(PER_ROUND):
            body = {
                "email": f"r{trial}@race{trial}.example",
                "company": f"Race {trial}",
                "external_id": f"race-{trial}",
            }
            leads.append((stack.post_lead(body).json()["id"], (trial % 8) * 0.04))
            trial += 1
        with ThreadPoolExecutor(max_workers=PER_ROUND) as pool:
            results = list(pool.map(lambda la: race(stack, *la), leads))
        for r in results:
            raced.append(r["lead"])
            assert r["status"] == 200, r
            winner = settle(stack, r)
            check(stack, r, winner)
            winners.append(winner)
    print("race winners:", winners)
    assert len(winners) == ROUNDS * PER_ROUND
    # The passed-on offers run their own ladders to the end (the bound): let them.
    stack.emu.wait_for(
        lambda: all(o[2] != "pending" for lead in raced for o in offer_ids(stack, lead)),
        timeout=10,
    )
    stack.emu.wait_for(lambda: outbox_open(stack.rt.db) == 0, timeout=15)
    check_database(stack.rt.db, datetime.now(UTC))

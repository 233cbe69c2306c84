"""Side effects as typed values: each stores as its outbox row and reads back the same,
every kind has a handler, and no outbox kind is spelled anywhere else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.outbox.handlers import HANDLERS
from routing.config.loader import parse_config
from routing.effects import (
    AdminAlert,
    Effect,
    EscalationNotice,
    FetchSalesforceLead,
    OutboxKind,
    PostOfferCard,
    PostQueueCard,
    PublishHome,
    Recipient,
    Remind,
    SalesforceOwner,
    SalesforceScore,
    SalesforceTask,
    SlaAlert,
    UnroutedAlert,
    UpdateOfferCard,
    UpdateQueueCard,
    parse,
)
from routing.sla import notify_recipients

REPO = Path(__file__).resolve().parents[2]
EXAMPLES: list[Effect] = [
    PostOfferCard(offer_id=1),
    UpdateOfferCard(offer_id=1),
    PostQueueCard(lead_id=2, queue="triage"),
    UpdateQueueCard(lead_id=2),
    UnroutedAlert(lead_id=2, admin="maria"),
    AdminAlert(admin="maria", text=":warning: *x*"),
    SlaAlert(admin="maria", lead="L-1001", sla_problem="not accepted in time"),
    Remind(offer_id=1),
    Remind(offer_id=1, by="maria"),
    EscalationNotice(offer_id=1, recipient="rep:maria", step={"after": 0}),
    PublishHome(rep="alice"),
    FetchSalesforceLead(lead_id=3, salesforce_id="00Q000000000001AAA"),
    SalesforceOwner(lead_id=3, salesforce_id="00Q000000000001AAA", rep_id="alice"),
    SalesforceTask(lead_id=3, salesforce_id="00Q", rep_id="alice", public_id="L-1003"),
    SalesforceScore(lead_id=3, salesforce_id="00Q", rep_id="alice", score=70, tier="A"),
]


@pytest.mark.parametrize("effect", EXAMPLES, ids=lambda e: f"{type(e).__name__}")
def test_an_effect_reads_back_as_itself(effect: Effect) -> None:
    assert parse(effect.KIND, effect.payload()) == effect


def test_every_kind_has_an_effect_and_a_handler() -> None:
    assert {e.KIND for e in EXAMPLES} == set(OutboxKind)
    assert set(HANDLERS) == set(OutboxKind)


def test_payloads_are_what_the_handlers_read() -> None:
    # Rows stored before the typed values existed read back the same.
    assert parse("slack.remind", {"offer_id": 4}) == Remind(offer_id=4)
    assert parse("slack.admin_alert", {"admin": "a", "text": "t"}) == AdminAlert("a", "t")
    assert EscalationNotice(1, "channel:#x", {}).payload() == {
        "offer_id": 1,
        "recipient": "channel:#x",
        "step": {},
    }
    with pytest.raises(ValueError, match="without the fields"):
        parse("slack.offer_card", {})


def test_no_outbox_kind_is_spelled_outside_routing_effects() -> None:
    kinds = "|".join(re.escape(k.value) for k in OutboxKind)
    spelled = re.compile(rf"[\"']({kinds})[\"']")
    found = [
        f"{path.relative_to(REPO)}:{n}"
        for root in ("bot", "storage", "routing")
        for path in (REPO / root).rglob("*.py")
        if path.name != "effects.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if spelled.search(line)
    ]
    assert found == []


NOTIFY_CONFIG = """
admins: [olga]
reps:
  - {id: alice, name: Alice, manager: maria}
  - {id: bob, name: Bob}
  - {id: maria, name: Maria}
  - {id: olga, name: Olga}
rules: [{name: All, assign: {rep: alice}}]
"""


def test_who_a_notify_step_reaches() -> None:
    config = parse_config(NOTIFY_CONFIG)
    got = notify_recipients(
        config, "alice", ["manager", "#sales-leads", "C0123ABC", "bob", "maria"]
    )
    assert [r.key for r in got] == [
        "rep:maria",
        "channel:#sales-leads",
        "channel:C0123ABC",
        "rep:bob",
    ]  # maria once, though named twice
    # A rep without a manager: the admins are told instead.
    assert [r.key for r in notify_recipients(config, "bob", ["manager"])] == ["rep:olga"]


def test_recipient_keys_round_trip() -> None:
    assert Recipient.parse("channel:#x") == Recipient("channel", "#x")
    assert Recipient.parse(Recipient("rep", "a").key).target == "a"
    assert EscalationNotice(1, "rep:maria", {}).to == Recipient("rep", "maria")
    for bad in ("maria", "team:x", "rep:"):
        with pytest.raises(ValueError):
            Recipient.parse(bad)

"""A burst of leads against Slack's rate limits: every card delivered once (posts over
the per-channel limit are answered 429 and retried after Retry-After), and App Home
refreshes coalesced instead of one publish per change (counted per user)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import Offer, OutboxItem
from tests.e2e.harness import Stack, running_stack
from tests.e2e.test_walking_skeleton import US_LEAD

LEADS = 30
# Slack's shape, faster: posts per channel limited hard enough to bite in a burst.
LIMITS = {
    "chat.postMessage:channel": {"per_minute": 180, "burst": 2},
    "views.publish": {"per_minute": 100, "burst": 5},
}


@pytest.fixture
def stack(db: Database) -> Iterator[Stack]:
    with running_stack(db) as s:
        s.emu.set_rate_limits(overrides=LIMITS)
        yield s


def _card_keys(stack: Stack, user: str) -> list[str]:
    return [
        str(m["metadata"]["event_payload"]["outbox_key"])
        for m in stack.emu.messages(stack.emu.dm_channel_for(user))
        if (m.get("metadata") or {})
        .get("event_payload", {})
        .get("outbox_key", "")
        .endswith(":post")
    ]


def _settled(stack: Stack) -> bool:
    with stack.rt.db.session() as session:
        open_rows = session.scalars(
            select(OutboxItem.id).where(OutboxItem.status == "pending")
        ).all()
    return not open_rows


def test_a_burst_under_rate_limits(stack: Stack) -> None:
    for i in range(LEADS):
        lead = {**US_LEAD, "email": f"lead{i}@example.com", "external_id": f"burst-{i}"}
        assert stack.post_lead(lead).status_code == 202
    stack.emu.wait_for(
        lambda: len(_card_keys(stack, "U_ALICE")) + len(_card_keys(stack, "U_BOB")) >= LEADS,
        timeout=60,
    )
    stack.emu.wait_for(lambda: _settled(stack), timeout=30)
    cards = _card_keys(stack, "U_ALICE") + _card_keys(stack, "U_BOB")
    assert len(cards) == LEADS and len(set(cards)) == LEADS  # every card, once
    with stack.rt.db.session() as session:
        offers = session.scalars(select(Offer.id)).all()
    assert sorted(cards) == sorted(f"offer:{o}:post" for o in offers)
    assert stack.emu.rate_limited().get("chat.postMessage", 0) > 0, "the limits never bit"
    publishes = Counter(c.args.get("user_id") for c in stack.emu.calls("views.publish"))
    assert publishes, "no App Home was published"
    # 30 leads change each of these Homes 30+ times; debounced, the burst publishes each
    # about once (once more if it outlasts MAX_WAIT).
    assert max(publishes.values()) <= 3, publishes

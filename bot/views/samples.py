"""``python -m bot.views.samples``: the assignment card in each state, as text."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.views.card import CardData, render_offer_card
from bot.views.plaintext import blocks_to_text

OFFERED = datetime(2026, 11, 24, 18, 32, tzinfo=UTC)
SAMPLE = CardData(
    lead_public_id="L-1042",
    fields={
        "first_name": "Dana",
        "last_name": "Scully",
        "title": "VP Clinical Operations",
        "company": "Mercy Health Partners",
        "employees": 2400,
        "industry": "Healthcare",
        "city": "San Diego",
        "state": "California",
        "country": "United States",
        "timezone": "America/Los_Angeles",
        "lead_source": "Demo Request",
        "score": 90,
        "tier": "A",
        "email": "dana.scully@mercyhealth.example",
    },
    offer_id=7,
    rep_id="alice",
    rep_slack_id="U_ALICE",
    rep_timezone="America/Los_Angeles",
    outcome="pending",
    offered_at=OFFERED,
    deadline=OFFERED + timedelta(minutes=5),
    responded_at=None,
    rule="Healthcare",
    why="Healthcare: pool west-sdr, round robin: next eligible after carol",
    score_reasons=[["Asked for a demo", 40], ["Enterprise size", 30], ["Senior title", 20]],
    salesforce_url="https://example.my.salesforce.com/lightning/r/Lead/00Q5g00000AbCdE/view",
)
STATES = {
    "offered": SAMPLE,
    "accepted": replace(SAMPLE, outcome="accepted", responded_at=OFFERED + timedelta(seconds=72)),
    "declined": replace(SAMPLE, outcome="declined", reason="Not my territory: moved to EMEA"),
    "expired": replace(SAMPLE, outcome="timed_out", reason="not accepted in time"),
    "reassigned": replace(SAMPLE, outcome="revoked", reason="reassigned by maria: coverage"),
}


def main() -> None:
    for name, card in STATES.items():
        _, blocks = render_offer_card(card)
        print(f"--- {name} ---")
        print(blocks_to_text([b.to_dict() for b in blocks]))
        print()


if __name__ == "__main__":
    main()

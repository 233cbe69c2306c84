"""Every card state renders valid Block Kit, and the text rendering reads right."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.views.card import render_offer_card
from bot.views.plaintext import blocks_to_text
from bot.views.samples import SAMPLE, STATES
from slack_emulator.blockkit import validate_blocks

STATUS = {
    "offered": "Accept by *10:37 AM*",
    "accepted": "Accepted by @alice in 1m 12s",
    "declined": "Declined by @alice: Not my territory: moved to EMEA. Passed on.",
    "expired": "Not accepted in time by @alice. Passed on.",
    "reassigned": "Reassigned away from @alice (reassigned by maria: coverage)",
}


@pytest.mark.parametrize("state", list(STATES))
def test_state_renders_valid_blocks(state: str) -> None:
    _, blocks = render_offer_card(STATES[state])
    raw = [b.to_dict() for b in blocks]
    assert validate_blocks(raw) == []
    text = blocks_to_text(raw)
    assert STATUS[state] in text
    assert ("[ Accept ] [ Decline ]" in text) is (state == "offered")


def test_matched_account_is_shown() -> None:
    card = replace(
        SAMPLE,
        fields={
            **SAMPLE.fields,
            "account.matched": True,
            "account.name": "Mercy",
            "account.owner": "erin",
        },
    )
    _, blocks = render_offer_card(card)
    assert "*Account*: Mercy (owner erin)" in blocks_to_text([b.to_dict() for b in blocks])


def test_huge_values_still_validate() -> None:
    fields = {k: "y" * 4000 for k in ("first_name", "last_name", "title", "company", "industry")}
    _, blocks = render_offer_card(replace(SAMPLE, fields=fields, why="w" * 5000))
    assert validate_blocks([b.to_dict() for b in blocks]) == []

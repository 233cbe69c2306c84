"""The App Home view: valid Block Kit, buttons like the card's, cut to Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.models.blocks import Block, DividerBlock

from bot.actions import ActionId, OfferRef
from bot.home.speed import SpeedToLead
from bot.views.home import (
    MAX_BLOCKS,
    MAX_PENDING_SHOWN,
    AcceptedLead,
    AwayRep,
    HomeData,
    OpenLead,
    PendingOffer,
    TeamHome,
    fit_blocks,
    render_home,
    render_not_a_rep,
)
from slack_emulator.blockkit import validate_view

NOW = datetime(2024, 5, 6, 15, 0, tzinfo=UTC)


def fields(i: int) -> dict[str, Any]:
    return {"first_name": "Lead", "last_name": f"Number{i}", "company": f"Acme {i} <&>"}


def pending(n: int) -> list[PendingOffer]:
    return [
        PendingOffer(
            offer_id=100 + i,
            public_id=f"L-{2000 + i}",
            fields=fields(i),
            offered_at=NOW - timedelta(minutes=i),
            deadline=NOW + timedelta(minutes=5),
            salesforce_url="https://example.my.salesforce.com/lightning/r/Lead/00Q/view",
        )
        for i in range(n)
    ]


def team(n: int) -> TeamHome:
    open_leads = [
        OpenLead(f"L-{3000 + i}", fields(i), NOW - timedelta(minutes=i), rep_name="Bob Diaz")
        for i in range(n)
    ]
    queued = [
        OpenLead(f"L-{4000 + i}", fields(i), NOW - timedelta(minutes=i), queue_id="triage")
        for i in range(n)
    ]
    return TeamHome(
        size=12,
        offered=open_leads,
        offered_total=n,
        queued=queued,
        queued_total=n,
        away=[AwayRep("Bob Diaz", NOW + timedelta(hours=2))],
        speed=SpeedToLead(3, timedelta(minutes=2), timedelta(minutes=9)),
        timezone="America/New_York",
    )


def home(n_pending: int, n_accepted: int = 3, team_size: int | None = None) -> HomeData:
    accepted = [
        AcceptedLead(f"L-{5000 + i}", fields(i), NOW - timedelta(hours=i), timedelta(minutes=2))
        for i in range(n_accepted)
    ]
    return HomeData(
        rep_name="Alice Chen",
        now=NOW,
        away_until=None,
        pending=pending(n_pending),
        pending_total=n_pending,
        accepted=accepted,
        accepted_total=n_accepted,
        team=team(team_size) if team_size is not None else None,
    )


def as_dict(data: HomeData) -> dict[str, Any]:
    view = render_home(data).to_dict()
    assert validate_view(view) == [], validate_view(view)
    return view


def actions_blocks(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in view["blocks"] if b["type"] == "actions"]


def test_each_pending_offer_has_card_buttons_in_its_own_block() -> None:
    view = as_dict(home(3))
    assert view["type"] == "home"
    blocks = actions_blocks(view)
    assert [b["block_id"] for b in blocks] == ["home_offer:100", "home_offer:101", "home_offer:102"]
    for offer_id, block in zip((100, 101, 102), blocks, strict=True):
        ids = [el["action_id"] for el in block["elements"]]
        assert ids == [ActionId.ACCEPT, ActionId.DECLINE, ActionId.OPEN_IN_SALESFORCE]
        value = block["elements"][0]["value"]
        assert OfferRef.model_validate(json.loads(value)).offer == offer_id
    text = json.dumps(view)
    assert "Acme 0 &lt;&amp;&gt;" in text  # user text is escaped
    assert "Waiting for you (3)" in text and "Your team" not in text


def test_empty_home_says_so() -> None:
    view = as_dict(home(0, 0))
    text = json.dumps(view)
    assert "Nothing waiting" in text and "No accepted leads yet" in text
    assert actions_blocks(view) == []


def test_long_lists_are_cut_and_say_how_many_more() -> None:
    data = home(500, 40, team_size=300)
    view = as_dict(data)
    assert len(view["blocks"]) <= MAX_BLOCKS
    assert len(actions_blocks(view)) == MAX_PENDING_SHOWN
    text = json.dumps(view)
    assert f"and {500 - MAX_PENDING_SHOWN} more" in text
    assert "Waiting for a rep* (300)" in text and "Waiting in queues* (300)" in text
    assert "and 285 more" in text  # team lists show 15 lines each
    assert "and 25 more" in text  # 15 of the 40 accepted leads


def test_totals_beyond_the_loaded_rows_are_counted() -> None:
    data = home(MAX_PENDING_SHOWN)
    data = HomeData(**{**data.__dict__, "pending_total": 1234})
    text = json.dumps(as_dict(data))
    assert "Waiting for you (1234)" in text
    assert f"and {1234 - MAX_PENDING_SHOWN} more" in text


def test_manager_section_shows_speed_away_and_open_leads() -> None:
    text = json.dumps(as_dict(home(1, team_size=2)))
    assert "Your team (12 reps)" in text
    assert "median *2m*" in text and "p90 *9m*" in text and "over 3 accepted leads" in text
    assert "Bob Diaz* until" in text
    assert "offered to *Bob Diaz*" in text and "in *triage* for" in text


def test_manager_section_with_nothing_to_show() -> None:
    data = home(0)
    empty = TeamHome(
        size=1,
        offered=[],
        offered_total=0,
        queued=[],
        queued_total=0,
        away=[],
        speed=SpeedToLead(0, None, None),
        timezone="UTC",
        admin=True,
    )
    text = json.dumps(as_dict(HomeData(**{**data.__dict__, "team": empty})))
    assert "Everyone (1 reps)" in text
    assert "no leads accepted yet" in text and "Nobody is away" in text
    assert "No offers waiting" in text and "No leads waiting in queues" in text


def test_away_rep_sees_until_when_or_further_notice() -> None:
    data = home(0)
    soon = HomeData(**{**data.__dict__, "away_until": NOW + timedelta(hours=1)})
    assert "You're *away* until <!date^" in json.dumps(as_dict(soon))
    forever = HomeData(**{**data.__dict__, "away_until": datetime(9999, 1, 1, tzinfo=UTC)})
    assert "away* until further notice" in json.dumps(as_dict(forever))
    past = HomeData(**{**data.__dict__, "away_until": NOW - timedelta(minutes=1)})
    assert "*available*" in json.dumps(as_dict(past))


def test_fit_blocks_keeps_at_most_the_limit_and_says_it_was_cut() -> None:
    blocks: list[Block] = [DividerBlock() for _ in range(150)]
    fitted = fit_blocks(list(blocks))
    assert len(fitted) == MAX_BLOCKS
    assert "cut to Slack's size limit" in json.dumps(fitted[-1].to_dict())
    assert fit_blocks(blocks[:MAX_BLOCKS]) == blocks[:MAX_BLOCKS]


def test_not_a_rep_view_is_valid() -> None:
    view = render_not_a_rep().to_dict()
    assert validate_view(view) == []
    assert "not a rep" in json.dumps(view)

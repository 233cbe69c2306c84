"""Every message and view the bot renders, from a lead whose every text is hostile, holds
no live token the bot did not build: the fixed list, then random strings (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.actions import OfferRef
from bot.errors import NotAQueueMember, RepNotInSlack, UserFacingError
from bot.home.speed import SpeedToLead
from bot.outbox.admin_alerts import alert_text
from bot.slack.mrkdwn import Mrkdwn, echoed_blocks, md, mention
from bot.slash.base import Usage
from bot.views.card import render_offer_card
from bot.views.decline_modal import decline_modal
from bot.views.escalation import escalation_blocks
from bot.views.home import (
    AcceptedLead,
    AwayRep,
    HomeData,
    OpenLead,
    PendingOffer,
    TeamHome,
    render_home,
)
from bot.views.queue_card import render_queue_card
from bot.views.samples import SAMPLE
from tests.security.inert import HOSTILE, problems

NOW = datetime(2026, 11, 24, 18, 32, tzinfo=UTC)
USERS = {"U_ALICE"}
SF = ("https://acme.my.salesforce.com/",)
TEXT_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "title",
    "company",
    "website",
    "industry",
    "country",
    "state",
    "city",
    "postal_code",
    "lead_source",
    "description",
    "account.name",
    "account.owner",
]


def hostile_fields(value: str) -> dict[str, Any]:
    return {
        **{k: value for k in TEXT_FIELDS},
        "employees": value,
        "score": 90,
        "tier": value,
        "account.matched": True,
        "timezone": "America/New_York",
    }


def payload(text: str, blocks: list[Any]) -> dict[str, Any]:
    return {"text": text, "blocks": [b.to_dict() if hasattr(b, "to_dict") else b for b in blocks]}


def everything(value: str) -> list[tuple[str, Any]]:
    """(name, payload) of every message and view, with ``value`` in every outside text."""
    fields = hostile_fields(value)
    card = replace(
        SAMPLE,
        fields=fields,
        why=value,
        reason=value,
        salesforce_url="https://acme.my.salesforce.com/lightning/r/Lead/00Q/view",
        score_reasons=[[value, 40], [value, 30]],
    )
    out: list[tuple[str, Any]] = []
    for outcome in ("pending", "accepted", "declined", "timed_out", "revoked"):
        for in_channel in (False, True):
            c = replace(card, outcome=outcome, responded_at=NOW, in_channel=in_channel)
            out.append((f"card:{outcome}:{in_channel}", payload(*render_offer_card(c))))
    out.append(("card:no-slack-id", payload(*render_offer_card(replace(card, rep_slack_id=None)))))
    out.append(
        ("card:rep-id", payload(*render_offer_card(replace(card, rep_slack_id=None, rep_id=value))))
    )
    for claimed_by, note in ((None, None), (mention("U_ALICE"), None), (None, value)):
        text, blocks = render_queue_card(
            lead_id=1,
            public_id="L-1001",
            fields=fields,
            queue_id=value,
            why=value,
            claimed_by=claimed_by,
            queued_at=NOW,
            claimed_at=NOW,
            closed_note=note,
        )
        out.append((f"queue:{claimed_by}:{note is not None}", payload(text, blocks)))
    out.append(
        (
            "queue:claimed-by-unmapped",
            payload(
                *render_queue_card(
                    lead_id=1,
                    public_id="L-1",
                    fields=fields,
                    queue_id="q",
                    why=None,
                    claimed_by=mention(None, value),
                    queued_at=NOW,
                    claimed_at=NOW,
                )
            ),
        )
    )
    for outcome in (None, value):
        text, blocks = escalation_blocks(
            offer_id=3,
            public_id="L-1001",
            lead_label=value,
            rep_mention=mention(None, value),
            offered_at=NOW,
            now=NOW + timedelta(minutes=7),
            candidates=[(value, value), ("bob", value)],
            can_open_claim=True,
            outcome=outcome,
        )
        out.append((f"escalation:{outcome is not None}", payload(text, blocks)))
    out.append(
        ("decline-modal", decline_modal(OfferRef(offer=3), lead_label=value, reasons=[value, "x"]))
    )
    lead = OpenLead(value, fields, NOW, rep_name=value, queue_id=value, deadline=NOW)
    team = TeamHome(
        size=3,
        offered=[lead],
        offered_total=1,
        queued=[lead],
        queued_total=1,
        away=[AwayRep(value, NOW + timedelta(hours=1))],
        speed=SpeedToLead(2, timedelta(minutes=1), timedelta(minutes=2)),
        timezone=value,
    )
    home = HomeData(
        rep_name=value,
        now=NOW,
        away_until=NOW + timedelta(hours=1),
        pending=[PendingOffer(4, value, fields, NOW, NOW, "https://acme.my.salesforce.com/x")],
        pending_total=1,
        accepted=[AcceptedLead(value, fields, NOW, timedelta(minutes=3))],
        accepted_total=1,
        team=team,
    )
    out.append(("home", render_home(home)))
    out.append(("alert:sla", {"text": alert_text({"lead": value, "sla_problem": value})}))
    for error in (
        UserFacingError(value),
        Usage(value),
        RepNotInSlack(value, value, value),
        NotAQueueMember(value),
    ):
        out.append((f"error:{type(error).__name__}", {"text": error.mrkdwn}))
    out.append(("md", {"text": md("{} {x}", value, x=value)}))
    echoed = payload(*render_offer_card(card))["blocks"]
    out.append(("echoed", {"text": Mrkdwn("x"), "blocks": echoed_blocks(echoed)}))
    return out


def _dict(obj: Any) -> Any:
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


@pytest.mark.parametrize("value", HOSTILE)
def test_no_live_token_from_hostile_text(value: str) -> None:
    found = []
    for name, rendered in everything(value):
        found += [f"{name}: {p}" for p in problems(_dict(rendered), users=USERS, link_prefixes=SF)]
    assert found == []


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_text_is_still_shown_escaped(value: str) -> None:
    # Inert is not the same as dropped: the rep still reads what the lead typed.
    text, _ = render_offer_card(replace(SAMPLE, fields=hostile_fields(value)))
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped in text


_ALPHABET = st.sampled_from([*list("<>&!@#|^ abcU1:/.;`*_~\n"), "&lt;", "&amp;", "<!", "<@"])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_no_live_token_from_random_text(value: str) -> None:
    for name, rendered in everything(value):
        assert problems(_dict(rendered), users=USERS, link_prefixes=SF) == [], name


def test_a_decline_reason_comes_back_as_written() -> None:
    # Only the label is text for Slack; the value is handed back as the stored reason.
    reason = "Wrong segment & <region>"
    view = decline_modal(OfferRef(offer=3), lead_label="x", reasons=[reason]).to_dict()
    option = view["blocks"][1]["element"]["options"][0]
    assert option["text"]["text"] == "Wrong segment &amp; &lt;region&gt;"
    assert option["value"] == reason

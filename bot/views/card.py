"""The assignment card: one message per offer, updated in place as it changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.actions import ActionId, OfferRef, encode
from bot.slack.mrkdwn import Mrkdwn, bold, esc, md, mention
from bot.views.text import FIELD_TEXT, HEADER_TEXT, SECTION_TEXT, clock_time, cut, human_duration


@dataclass(frozen=True)
class CardData:
    lead_public_id: str
    fields: dict[str, Any]
    offer_id: int
    rep_id: str
    rep_slack_id: str | None
    rep_timezone: str | None
    outcome: str  # pending | accepted | declined | timed_out | revoked
    offered_at: datetime
    deadline: datetime | None
    responded_at: datetime | None
    rule: str | None
    why: str | None
    reason: str | None = None
    salesforce_url: str | None = None
    score_reasons: list[Any] = field(default_factory=list)
    in_channel: bool = False
    # When the card reached Slack, if that was late enough to move the SLA clock.
    delivered_late_at: datetime | None = None


def lead_name(fields: dict[str, Any]) -> str:
    """The lead's name as plain text (escape it where it meets Slack)."""
    name = " ".join(str(fields[k]) for k in ("first_name", "last_name") if fields.get(k))
    return name or str(fields.get("email") or "Unnamed lead")


def _who(fields: dict[str, Any]) -> Mrkdwn:
    parts = [bold(lead_name(fields))]
    if fields.get("title"):
        parts.append(esc(fields["title"]))
    if fields.get("company"):
        parts.append(md("at *{}*", fields["company"]))
    return Mrkdwn(" ").join(parts)


def _location(fields: dict[str, Any]) -> str | None:
    bits = [str(fields[k]) for k in ("city", "state", "country") if fields.get(k)]
    return ", ".join(bits) if bits else None


def _facts(fields: dict[str, Any], at: datetime | None = None) -> list[Mrkdwn]:
    facts: list[Mrkdwn] = []
    if fields.get("employees") not in (None, ""):
        facts.append(md("*Size*\n{} employees", fields["employees"]))
    if fields.get("industry"):
        facts.append(md("*Industry*\n{}", fields["industry"]))
    location = _location(fields)
    local = _lead_local_time(fields, at) if at is not None else None
    if location or local:
        sep = " · " if location and local else ""
        facts.append(md("*Location*\n{}{}{}", location or "", sep, local or ""))
    if fields.get("lead_source"):
        facts.append(md("*Source*\n{}", fields["lead_source"]))
    if fields.get("score") is not None:
        tier = f" (tier {fields['tier']})" if fields.get("tier") else ""
        facts.append(md("*Score*\n{}{}", fields["score"], tier))
    if fields.get("account.matched") and fields.get("account.name"):
        owner = f" (owner {fields['account.owner']})" if fields.get("account.owner") else ""
        facts.append(md("*Account*\n{}{}", fields["account.name"], owner))
    if fields.get("email"):
        facts.append(md("*Email*\n{}", fields["email"]))
    return [cut(f, FIELD_TEXT) for f in facts[:10]]


def lead_summary_blocks(fields: dict[str, Any], at: datetime | None = None) -> list[Block]:
    """Who the lead is and the key facts: shared by every card."""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=cut(_who(fields), SECTION_TEXT)))
    ]
    facts = _facts(fields, at)
    if facts:
        blocks.append(SectionBlock(fields=[MarkdownTextObject(text=f) for f in facts]))
    return blocks


def _status_line(card: CardData) -> Mrkdwn:
    who = mention(card.rep_slack_id, card.rep_id)
    if card.outcome == "accepted" and card.responded_at is not None:
        took = human_duration(card.responded_at - card.offered_at)
        return md(":white_check_mark: Accepted by {} in {}", who, took)
    if card.outcome == "declined":
        why = f": {card.reason}" if card.reason else ""
        return md(":leftwards_arrow_with_hook: Declined by {}{}. Passed on.", who, why)
    if card.outcome == "timed_out":
        detail = (card.reason or "").removeprefix("not accepted in time").lstrip("; ")
        after = f" {detail[:1].upper()}{detail[1:]}." if detail else " Passed on."
        return md(":hourglass: Not accepted in time by {}.{}", who, after)
    if card.outcome == "revoked":
        why = f" ({card.reason})" if card.reason else ""
        return md(":twisted_rightwards_arrows: Reassigned away from {}{}", who, why)
    if card.deadline is not None:
        return md(":alarm_clock: Accept by *{}*", clock_time(card.deadline, card.rep_timezone))
    return Mrkdwn(":inbox_tray: New lead for you")


def render_offer_card(card: CardData) -> tuple[Mrkdwn, list[Block]]:
    """The fallback text (notifications, screen readers) and the blocks."""
    fields = card.fields
    text = md("New lead {}: {}", card.lead_public_id, lead_name(fields))
    if fields.get("company"):
        text += md(" ({})", fields["company"])
    blocks: list[Block] = [
        HeaderBlock(
            text=PlainTextObject(
                text=cut(f"{card.lead_public_id} · {lead_name(fields)}", HEADER_TEXT)
            )
        ),
        *lead_summary_blocks(fields, card.offered_at),
    ]
    if card.in_channel and card.rep_slack_id:
        # Posted in a shared channel: say whose it is before anything else.
        blocks.insert(
            1,
            SectionBlock(text=MarkdownTextObject(text=md("For {}", mention(card.rep_slack_id)))),
        )
    reasons = [f"{r[0]} (+{r[1]})" for r in card.score_reasons[:3] if len(r) == 2]
    context: list[Mrkdwn] = []
    if card.why:
        context.append(md("*Why you:* {}", card.why))
    if reasons:
        context.append(md("*Score:* {}", ", ".join(reasons)))
    if card.delivered_late_at is not None:
        context.append(
            md(
                "*Offered* {}, *delivered* {}: your time to accept counts from delivery",
                clock_time(card.offered_at, card.rep_timezone),
                clock_time(card.delivered_late_at, card.rep_timezone),
            )
        )
    if context:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=cut(c, 2000)) for c in context])
        )
    blocks.append(DividerBlock())
    blocks.append(SectionBlock(block_id="status", text=MarkdownTextObject(text=_status_line(card))))
    buttons: list[ButtonElement] = []
    if card.outcome == "pending":
        value = encode(OfferRef(offer=card.offer_id))
        buttons += [
            ButtonElement(
                text=esc("Accept"), action_id=ActionId.ACCEPT, value=value, style="primary"
            ),
            ButtonElement(text=esc("Decline"), action_id=ActionId.DECLINE, value=value),
        ]
    if card.salesforce_url:
        buttons.append(
            ButtonElement(
                text=esc("Open in Salesforce"),
                action_id=ActionId.OPEN_IN_SALESFORCE,
                url=card.salesforce_url,
            )
        )
    if buttons:
        blocks.append(ActionsBlock(block_id="offer_actions", elements=buttons))
    return text, blocks


def _lead_local_time(fields: dict[str, Any], at: datetime) -> str | None:
    tz = fields.get("timezone")
    if not tz:
        return None
    try:
        return f"{clock_time(at, str(tz))} their time"
    except (KeyError, ValueError):
        return None

"""The manager ping: what is late, and Reassign to… / Nudge / Open for claim."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot.actions import ActionId, OfferRef, encode
from bot.slack.mrkdwn import Mrkdwn, esc, md
from bot.views.text import cut, human_duration


def escalation_blocks(
    *,
    offer_id: int,
    public_id: str,
    lead_label: str,
    rep_mention: Mrkdwn,
    offered_at: datetime,
    now: datetime,
    candidates: list[tuple[str, str]],
    can_open_claim: bool,
    outcome: str | None = None,
) -> tuple[Mrkdwn, list[Block]]:
    """``lead_label`` and ``outcome`` are plain text; ``rep_mention`` we built."""
    waited = human_duration(now - offered_at)
    text = md("{} has waited {} for {} to accept", public_id, waited, rep_mention)
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=cut(
                    md(
                        ":rotating_light: *{}* {} was offered to {} {} ago and is not "
                        "accepted yet.",
                        public_id,
                        lead_label,
                        rep_mention,
                        waited,
                    ),
                    3000,
                )
            )
        )
    ]
    if outcome is not None:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=cut(outcome, 2000))]))
        return text, blocks
    value = encode(OfferRef(offer=offer_id))
    elements: list = []
    if candidates:
        elements.append(
            StaticSelectElement(
                action_id=ActionId.ESCALATION_REASSIGN,
                placeholder=PlainTextObject(text=esc("Reassign to…")),
                options=[
                    Option(text=PlainTextObject(text=cut(label, 75)), value=rep_id)
                    for rep_id, label in candidates[:100]
                ],
            )
        )
    elements.append(
        ButtonElement(text=esc("Nudge"), action_id=ActionId.ESCALATION_NUDGE, value=value)
    )
    if can_open_claim:
        elements.append(
            ButtonElement(
                text=esc("Open for claim"), action_id=ActionId.ESCALATION_OPEN_CLAIM, value=value
            )
        )
    # The offer id rides in the block id: a select has no value of its own.
    blocks.append(ActionsBlock(block_id=f"escalation:{offer_id}", elements=elements))
    return text, blocks

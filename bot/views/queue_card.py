"""The open-claim card posted in a queue's channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.actions import ActionId, LeadRef, encode
from bot.slack.mrkdwn import Mrkdwn, esc, md
from bot.views.card import lead_name, lead_summary_blocks
from bot.views.text import HEADER_TEXT, cut, human_duration


def render_queue_card(
    *,
    lead_id: int,
    public_id: str,
    fields: dict[str, Any],
    queue_id: str,
    why: str | None,
    claimed_by: Mrkdwn | None,
    queued_at: datetime | None,
    claimed_at: datetime | None,
    closed_note: str | None = None,
) -> tuple[Mrkdwn, list[Block]]:
    """``claimed_by`` is who has it (a mention we built); ``closed_note`` plain text."""
    text = md("Open lead {} in {}: {}", public_id, queue_id, lead_name(fields))
    blocks: list[Block] = [
        HeaderBlock(
            text=PlainTextObject(text=cut(f"{public_id} · {lead_name(fields)}", HEADER_TEXT))
        ),
        *lead_summary_blocks(fields),
    ]
    if why:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=cut(md("*Why here:* {}", why), 2000))])
        )
    if claimed_by is None and closed_note is not None:
        blocks.append(
            SectionBlock(
                block_id="status",
                text=MarkdownTextObject(text=md(":twisted_rightwards_arrows: {}", closed_note)),
            )
        )
    elif claimed_by is None:
        blocks.append(
            SectionBlock(
                block_id="status",
                text=MarkdownTextObject(
                    text=md(
                        ":raising_hand: Open for claim in *{}*: first to claim owns it.", queue_id
                    )
                ),
            )
        )
        blocks.append(
            ActionsBlock(
                block_id="queue_actions",
                elements=[
                    ButtonElement(
                        text=esc("Claim"),
                        action_id=ActionId.CLAIM,
                        value=encode(LeadRef(lead=lead_id)),
                        style="primary",
                    )
                ],
            )
        )
    else:
        took = (
            f" after {human_duration(claimed_at - queued_at)}"
            if claimed_at is not None and queued_at is not None
            else ""
        )
        blocks.append(
            SectionBlock(
                block_id="status",
                text=MarkdownTextObject(
                    text=md(":white_check_mark: Claimed by {}{}", claimed_by, took)
                ),
            )
        )
    return text, blocks

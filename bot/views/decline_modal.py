"""The modal a rep fills in when declining: a reason from the list, plus free text."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.actions import BlockId, OfferRef, ViewId, encode
from bot.slack.mrkdwn import esc, md
from bot.views.text import cut


def decline_modal(offer: OfferRef, *, lead_label: str, reasons: list[str]) -> View:
    options = [
        # The label is text (escaped); the value is data Slack hands back as the reason.
        Option(text=PlainTextObject(text=cut(r, 75)), value=r[:150])
        for r in reasons[:100]
    ]
    return View(
        type="modal",
        callback_id=ViewId.DECLINE_REASON,
        private_metadata=encode(offer),
        title=PlainTextObject(text=esc("Decline lead")),
        submit=PlainTextObject(text=esc("Decline")),
        close=PlainTextObject(text=esc("Cancel")),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=cut(
                        md(
                            "Why are you passing on *{}*? It goes to the next rep at once.",
                            lead_label,
                        ),
                        3000,
                    )
                )
            ),
            InputBlock(
                block_id=BlockId.REASON,
                label=PlainTextObject(text=esc("Reason")),
                element=StaticSelectElement(action_id=BlockId.REASON_CHOICE, options=options),
            ),
            InputBlock(
                block_id=BlockId.NOTE,
                label=PlainTextObject(text=esc("Anything to add?")),
                optional=True,
                element=PlainTextInputElement(
                    action_id=BlockId.NOTE_TEXT, multiline=True, max_length=500
                ),
            ),
        ],
    )


def reason_from_state(values: dict) -> str | None:
    """Slack's ``view.state.values`` -> one line: "Not my territory: they moved to EMEA"."""
    choice = (
        values.get(BlockId.REASON, {}).get(BlockId.REASON_CHOICE, {}).get("selected_option") or {}
    )
    note = values.get(BlockId.NOTE, {}).get(BlockId.NOTE_TEXT, {}).get("value") or ""
    parts = [p.strip() for p in (choice.get("value") or "", note) if p and p.strip()]
    return ": ".join(parts) or None

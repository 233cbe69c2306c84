"""Block Kit validation: through the Web API and directly."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_emulator import SlackEmulator
from slack_emulator.blockkit import validate_blocks, validate_view

from .conftest import card_blocks


def button(action_id: str, text: str = "Go", **extra: Any) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        **extra,
    }


def post_error(client: WebClient, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C_SDR", text="fallback", blocks=blocks)
    data = info.value.response.data
    assert isinstance(data, dict)
    return data


def test_valid_card_passes() -> None:
    assert validate_blocks(card_blocks()) == []


def test_too_long_button_text(emu: SlackEmulator, client: WebClient) -> None:
    data = post_error(client, [{"type": "actions", "elements": [button("a", "x" * 76)]}])
    assert data["error"] == "invalid_blocks"
    assert data["errors"] == [
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]"
    ]
    assert data["response_metadata"]["messages"][0].startswith("[ERROR] must be less than 76")
    assert emu.messages() == []
    assert emu.calls("chat.postMessage")[0].response["error"] == "invalid_blocks"


def test_duplicate_action_id_in_a_block(client: WebClient) -> None:
    data = post_error(client, [{"type": "actions", "elements": [button("a"), button("a")]}])
    assert data["errors"] == [
        "duplicate action_id: a [json-pointer:/blocks/0/elements/1/action_id]"
    ]


def test_same_action_id_in_different_blocks_is_allowed() -> None:
    # Slack only requires action_id to be unique within its containing block
    blocks = [{"type": "actions", "elements": [button("a")]} for _ in range(2)]
    assert validate_blocks(blocks) == []


def test_block_limits(client: WebClient) -> None:
    divider = {"type": "divider"}
    data = post_error(client, [divider] * 51)
    assert "no more than 50 items allowed [json-pointer:/blocks]" in data["errors"]
    assert validate_blocks([divider] * 100, limit=100) == []


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([{"type": "bogus"}], "/blocks/0/type"),
        ([{"type": "section", "text": {"type": "html", "text": "x"}}], "/blocks/0/text/type"),
        (
            [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
            "/blocks/0/text/text",
        ),
        (
            [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}],
            "/blocks/0/fields",
        ),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "/blocks/0/text/type"),
        (
            [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            "/blocks/0/text/text",
        ),
        (
            [{"type": "actions", "elements": [button("a", style="green")]}],
            "/blocks/0/elements/0/style",
        ),
        (
            [{"type": "actions", "elements": [button("a", value="v" * 2001)]}],
            "/blocks/0/elements/0/value",
        ),
        ([{"type": "actions", "elements": [button("a" * 256)]}], "/blocks/0/elements/0/action_id"),
        (
            [{"type": "actions", "elements": [button(f"b{i}") for i in range(26)]}],
            "/blocks/0/elements",
        ),
        (
            [{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}],
            "/blocks/0/elements",
        ),
        (
            [{"type": "divider", "block_id": "x"}, {"type": "divider", "block_id": "x"}],
            "/blocks/1/block_id",
        ),
        ([{"type": "divider", "block_id": "b" * 256}], "/blocks/0/block_id"),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        button("a", confirm={"title": {"type": "plain_text", "text": "t"}})
                    ],
                }
            ],
            "/blocks/0/elements/0/confirm/text",
        ),
        (
            [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": "pick"},
                    "accessory": {
                        "type": "static_select",
                        "action_id": "s",
                        "options": [
                            {"text": {"type": "plain_text", "text": "o"}, "value": "v" * 151}
                        ],
                    },
                }
            ],
            "/blocks/0/accessory/options/0/value",
        ),
    ],
)
def test_limits_name_the_bad_element(blocks: list[dict[str, Any]], pointer: str) -> None:
    errors = validate_blocks(blocks)
    assert any(e.endswith(f"[json-pointer:{pointer}]") for e in errors), errors


def test_select_option_count() -> None:
    options = [
        {"text": {"type": "plain_text", "text": str(i)}, "value": str(i)} for i in range(101)
    ]
    block = {
        "type": "actions",
        "elements": [{"type": "static_select", "action_id": "s", "options": options}],
    }
    assert validate_blocks([block]) == [
        "no more than 100 items allowed [json-pointer:/blocks/0/elements/0/options]"
    ]


def modal(**extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Decline lead"},
        "submit": {"type": "plain_text", "text": "Decline"},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Reason"},
                "element": {"type": "plain_text_input", "action_id": "text"},
            }
        ],
        **extra,
    }


def test_view_validation() -> None:
    assert validate_view(modal()) == []
    long_title = modal(title={"type": "plain_text", "text": "t" * 25})
    assert validate_view(long_title) == [
        "must be less than 25 characters [json-pointer:/view/title/text]"
    ]
    no_submit = modal()
    del no_submit["submit"]
    assert any("/view/submit" in e for e in validate_view(no_submit))
    home = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    assert validate_view(home) == ["no more than 100 items allowed [json-pointer:/view/blocks]"]

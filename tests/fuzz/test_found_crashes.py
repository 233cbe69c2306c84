"""The crashes the fuzz suite found (issue #21), each pinned down on its own and fast.

The fuzz tests replay them end to end as explicit examples; these say what each fix is.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest

from bot.http.slack_request import SlackBodyError, check_shape, form_bolt_drops
from routing.config import validate_text

FORM = {"content-type": "application/x-www-form-urlencoded"}
CONFIG = "reps: [{id: ann, name: Ann}]\nrules: [{name: r, assign: {rep: ann}}]\n"
CLICK: dict[str, Any] = {
    "type": "block_actions",
    "user": {"id": "U_ALICE"},
    "container": {"type": "message", "message_ts": "1.2", "channel_id": "D1"},
    "response_url": "https://hooks.slack.com/actions/T1/1/x",
    "actions": [{"action_id": "offer_accept", "block_id": "b", "value": '{"offer":1}'}],
}


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        # PyYAML's reader checks the first characters while it is built, before parsing.
        ("\x08" + CONFIG, 1, "YAML syntax error: unreadable character '\\x08' (U+0008)"),
        ("a: 1\x7f\n" + CONFIG, 1, "unreadable character '\\x7f' (U+007F)"),
        # Names that are directories of the tz database, or too long for a file name.
        ("timezone: US\n" + CONFIG, 1, "unknown time zone 'US'"),
        ("timezone: Europe\n" + CONFIG, 1, "unknown time zone 'Europe'"),
        (f"timezone: '{'9' * 300}'\n" + CONFIG, 1, "unknown time zone '999"),
    ],
)
def test_config_text_that_crashed_the_loader_is_a_located_issue(
    text: str, line: int, words: str
) -> None:
    [issue] = validate_text(text)
    assert issue.line == line and words in issue.message, issue


@pytest.mark.parametrize(
    "form",
    [
        {"command": "/leads", "text": "why payload", "user_id": "U1"},
        {"command": "/leads", "text": "mine", "channel_name": "payload-team"},
    ],
)
def test_a_form_that_merely_mentions_payload_is_read_as_its_fields(form: dict[str, str]) -> None:
    text = urlencode(form)
    assert BoltRequest(body=text, headers=dict(FORM)).body == {}  # what Bolt made of it
    assert form_bolt_drops(text, FORM) == form


@pytest.mark.parametrize(
    "text",
    [
        urlencode({"command": "/leads", "text": "mine"}),  # no "payload": Bolt reads it
        urlencode({"payload": '{"type": "block_actions"}'}),  # the interactivity form
        '{"type": "event_callback", "payload": 1}',  # JSON
    ],
)
def test_forms_bolt_reads_right_are_left_to_it(text: str) -> None:
    assert form_bolt_drops(text, FORM) is None


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"actions": []}, "actions must be a list of objects"),
        ({"actions": [5]}, "actions must be a list of objects"),
        ({"actions": [{"value": "x"}]}, "has no action_id string"),
        ({"actions": [{"action_id": "queue_claim", "value": 1}]}, "value must be a string"),
        ({"user": "U_ALICE"}, "user must be an object with an id"),
        ({"user": {"id": 5}}, "user must be an object with an id"),
        ({"response_url": [1, 2]}, "response_url must be an http(s) URL"),
        ({"response_url": "not a url"}, "response_url must be an http(s) URL"),
        ({"response_url": None}, "response_url must be an http(s) URL"),
        ({"type": "block_suggestion", "action_id": False}, "action_id must be a string"),
        ({"type": True}, "type must be a string"),
        ({"type": "view_submission", "view": "callback_id"}, "view must be an object"),
        ({"type": "event_callback", "event": "type"}, "event must be an object"),
    ],
)
def test_payloads_bolt_or_a_listener_would_crash_on_are_refused(
    change: dict[str, Any], words: str
) -> None:
    with pytest.raises(SlackBodyError, match=words.replace("(", r"\(").replace(")", r"\)")):
        check_shape({**CLICK, **change})


def test_a_click_on_a_message_needs_its_response_url_a_click_in_a_view_does_not() -> None:
    without = {k: v for k, v in CLICK.items() if k != "response_url"}
    with pytest.raises(SlackBodyError, match="must have a response_url"):
        check_shape(without)
    check_shape({**without, "container": {"type": "view", "view_id": "V1"}})  # App Home
    check_shape(CLICK)


def test_a_nul_in_a_form_field_is_refused() -> None:
    with pytest.raises(SlackBodyError, match="the form field 'user_id' has a NUL character"):
        check_shape({"command": "/leads", "text": "mine", "user_id": "\x00"})
    check_shape({"command": "/leads", "text": "mine", "user_id": "U1"})

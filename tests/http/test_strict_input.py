"""Input that used to crash the HTTP server (issue 21): NaN and Infinity, 100,000 ``[``,
lone surrogates, numbers too large, ids out of range. Each is a 400 (a 404 for an id)
naming what is wrong, nothing stored, whether it arrives at ``POST /leads`` or in a
correctly signed Slack request. Run against the real server on both engines."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from slack_bolt import BoltRequest
from sqlalchemy import func, select

from bot.actions import ActionId
from bot.http.slack_request import SlackBodyError, check_json
from bot.http.strict_json import MAX_DEPTH, StrictJSONError, loads_strict, nesting_depth
from slack_emulator import signed_headers
from storage.db import Database
from storage.models import Base
from tests.e2e.harness import SIGNING_SECRET, WEBHOOK_TOKEN, Stack, running_stack
from tests.e2e.test_walking_skeleton import US_LEAD

AUTH = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}
FORM = "application/x-www-form-urlencoded"
DEEP = "[" * 100_000

# (body, words the 400's error must hold): each a lead that is fine but for one thing.
LEAD = json.dumps(US_LEAD)[:-1]  # '{"external_id": ..., "country": "United States"'
BAD_LEADS = [
    (LEAD + ', "employees": NaN}', "NaN is not a JSON number"),
    (LEAD + ', "employees": Infinity}', "Infinity is not a JSON number"),
    (LEAD + ', "custom": {"score": -Infinity}}', "-Infinity is not a JSON number"),
    (LEAD + ', "annual_revenue": 1e999}', "too large for JSON"),
    (LEAD + ', "annual_revenue": ' + "9" * 5000 + "}", "does not fit in 64 bits"),
    (DEEP, f"more than {MAX_DEPTH} levels deep"),
    ('{"a": ' * 100_000, f"more than {MAX_DEPTH} levels deep"),
    (LEAD + ', "\\ud800": "x"}', "lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without"),
    (LEAD + ', "title": "VP \\udfff"}', "lone UTF-16 surrogate (a \\uD800-\\uDFFF escape"),
    (LEAD + ', "custom": {"note": "\\ud83d"}}', "surrogate (a \\uD800-\\uDFFF escape without its"),
    (LEAD + ', "company": "F\\u0000BI"}', "NUL character (\\u0000) in company"),
    (LEAD + ', "employees": }', "not valid JSON: Expecting value"),
]


def form(payload: str) -> str:
    return urlencode({"payload": payload})


# Caches the bot's workers fill on their own (Slack user lookups, Salesforce sync), at
# any time: not something a request stores.
CACHES = {"slack_users", "salesforce_users", "sync_state"}


def table_counts(stack: Stack) -> dict[str, int]:
    """Rows in every table a request could write to."""
    with stack.rt.db.session() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
            if table.name not in CACHES and not table.name.startswith("crm_")
        }


def settled_counts(stack: Stack) -> dict[str, int]:
    """Row counts once background work (card posts, App Home) has stopped adding rows."""
    counts = table_counts(stack)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        time.sleep(0.3)
        again = table_counts(stack)
        if again == counts:
            return counts
        counts = again
    return counts


@pytest.fixture
def stack(db: Database) -> Iterator[Stack]:
    with running_stack(db) as s:
        yield s


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [f"{r.name}: {r.getMessage()}" for r in bad]


# -- the parser on its own ------------------------------------------------------------


def test_loads_strict_accepts_ordinary_json() -> None:
    text = '{"a": [1, -2.5, "x[{", true, null], "b": {"c": "\\ud83d\\ude00 \\u00e9"}}'
    assert loads_strict(text) == json.loads(text)
    assert loads_strict(text.encode("utf-16")) == json.loads(text)  # as json.loads decodes
    assert loads_strict(b"\xef\xbb\xbf[1]") == [1]  # a UTF-8 byte order mark
    assert loads_strict(json.dumps({"n": 2**63 - 1, "m": -(2**63)})) == {
        "n": 2**63 - 1,
        "m": -(2**63),
    }


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert nesting_depth('{"a": "[[[[[[", "b": [[1]], "c": "\\"]]]"}') == 3
    assert nesting_depth("[" * MAX_DEPTH + "]" * MAX_DEPTH) == MAX_DEPTH
    assert loads_strict("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    with pytest.raises(StrictJSONError, match="levels deep"):
        loads_strict("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


def test_hostile_bodies_are_refused_fast() -> None:
    # An unterminated string of escaped quotes is quadratic for a backtracking scan.
    for text in [DEEP * 10, '"' + '\\"' * 300_000, "[]" * 500_000, '{"a":' * 200_000]:
        started = time.monotonic()
        with pytest.raises(StrictJSONError):
            loads_strict(text)
        assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(("body", "words"), BAD_LEADS)
def test_loads_strict_names_the_problem(body: str, words: str) -> None:
    with pytest.raises(StrictJSONError) as err:
        loads_strict(body.encode())
    message = str(err.value)
    assert message.startswith("body ") and words in message, message
    message.encode("utf-8")  # the message itself can be sent (no surrogate in it)


def test_the_path_to_the_bad_value_is_named() -> None:
    with pytest.raises(StrictJSONError, match=r"in a\[1\]\.b: remove it"):
        loads_strict('{"a": ["ok", {"b": "\\ud800"}]}')
    with pytest.raises(StrictJSONError, match=r'in the key "\\udc00x"'):
        loads_strict('{"ok": {"\\udc00x": 1}}')


@pytest.mark.parametrize(
    ("text", "content_type", "words"),
    [
        ('{"x": NaN}', "application/json", "body is not valid JSON: NaN"),
        ('{"x": NaN}', "application/json; charset=utf-8", "body is not valid JSON: NaN"),
        ('{"x": NaN}', FORM, "body is not valid JSON: NaN"),  # Bolt reads "{..." as JSON
        (" [NaN]", "application/json", "body is not valid JSON: NaN"),
        (form('{"x": NaN}'), FORM, "the payload field is not valid JSON: NaN"),
        (form('{"x": 1}') + "&" + form("[" * 100), FORM, "the payload field nests"),
    ],
)
def test_check_json_reads_what_bolt_reads_as_json(text: str, content_type: str, words: str) -> None:
    with pytest.raises(SlackBodyError, match=re.escape(words)):
        check_json(text, {"content-type": content_type})


@pytest.mark.parametrize(
    ("text", "content_type"),
    [
        ("", "application/json"),
        ('{"type": "url_verification", "challenge": "c"}', "application/json"),
        (form('{"type": "block_actions", "n": 1.5}'), FORM),
        ("command=%2Fleads&text=%5BNaN%5D", FORM),  # a slash command: no JSON in it
        ("command=%2Fleads&text=payload", FORM),  # "payload" in the text, no such field
    ],
)
def test_check_json_lets_through_what_bolt_parses_the_same(text: str, content_type: str) -> None:
    headers = {"content-type": content_type}
    check_json(text, headers)
    assert BoltRequest(body=text, headers=dict(headers)).body is not None


# -- POST /leads ----------------------------------------------------------------------


@pytest.mark.e2e
def test_bad_lead_bodies_are_400_naming_the_problem_and_store_nothing(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    before = table_counts(stack)
    for body, words in BAD_LEADS:
        started = time.monotonic()
        response = stack.http.post("/leads", content=body.encode(), headers=AUTH)
        assert response.status_code == 400, (body[:80], response.text)
        assert time.monotonic() - started < 2.0
        error = response.json()["error"]
        assert set(response.json()) == {"error"}
        assert error.startswith("body ") and words in error, error
    assert table_counts(stack) == before
    no_errors_logged(caplog)
    # The same lead without the bad part is stored and reads back.
    response = stack.http.post("/leads", content=(LEAD + "}").encode(), headers=AUTH)
    assert response.status_code == 202, response.text
    assert stack.get_lead(response.json()["id"])["id"] == response.json()["id"]


@pytest.mark.e2e
def test_idempotency_key_longer_than_the_column_is_400(stack: Stack) -> None:
    before = table_counts(stack)
    response = stack.post_lead(US_LEAD, **{"Idempotency-Key": "k" * 256})
    assert response.status_code == 400, response.text
    assert "Idempotency-Key" in response.json()["error"]
    assert table_counts(stack) == before
    assert stack.post_lead(US_LEAD, **{"Idempotency-Key": "k" * 255}).status_code == 202


@pytest.mark.e2e
def test_values_that_parse_but_cannot_be_stored_are_422(stack: Stack) -> None:
    before = table_counts(stack)
    for extra, field, words in [
        ({"created_at": "9999-12-31T23:59:59-12:00"}, "created_at", "out of range"),
        ({"created_at": "0001-01-01T00:00:00+12:00"}, "created_at", "converted to UTC"),
        ({"employees": "nan"}, "employees", "finite number"),
        ({"annual_revenue": "-Infinity"}, "annual_revenue", "finite number"),
        ({"employees": "1" + "0" * 400}, "employees", "finite number"),
    ]:
        response = stack.post_lead({**US_LEAD, **extra})
        assert response.status_code == 422, (extra, response.text)
        [problem] = response.json()["fields"]
        assert problem["field"] == field and words in problem["message"], problem
    assert table_counts(stack) == before


# -- GET /leads/{id} ------------------------------------------------------------------


@pytest.mark.e2e
def test_ids_out_of_range_or_malformed_are_404_not_500(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    created = stack.post_lead({**US_LEAD, "salesforce_id": "00Q5e00000AbCdEfGH"})
    assert created.status_code == 202, created.text
    lead_id = created.json()["id"]
    for ref in [
        "L-999999999999999999999999999999",
        "999999999999999999999999999999",
        "L-" + "9" * 5000,
        "L-2147484648",  # one past the largest id the column holds
        "L-9223372036854776808",  # one past SQLite's 64-bit integers
        "L-0",
        "L-1000",
        "L--5",
        "L-1e5",
        "L-\u0661\u0660\u0660\u0661",  # 1001 in Arabic-Indic digits, not ASCII ones
        "00Q5e00000AbCdEfGX",  # a well-formed Salesforce id no lead has
        "00Q5e00000AbCdE",
        "00Q5e00000AbCdEfGH" + "0" * 100,
        "%00",
        "%ED%A0%80",  # a surrogate's UTF-8 bytes
        quote("x" * 8000),
    ]:
        response = stack.http.get(f"/leads/{ref}", headers=AUTH)
        assert response.status_code == 404, (ref[:60], response.text)
        error = response.json()["error"]
        assert error.startswith("no lead") and "L-1042" in error, error
        assert len(error) < 300
    assert stack.get_lead(lead_id)["id"] == lead_id
    assert stack.get_lead("00Q5e00000AbCdEfGH")["id"] == lead_id
    no_errors_logged(caplog)


# -- signed Slack requests ------------------------------------------------------------


def slack_post(stack: Stack, body: str, content_type: str) -> tuple[int, Any]:
    headers = {"Content-Type": content_type, **signed_headers(SIGNING_SECRET, body)}
    response = stack.http.post("/slack/events", content=body.encode(), headers=headers)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


@pytest.fixture
def offered(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict[str, Any]]:
    """A lead offered to Alice, and the payload of her click on Accept (not yet sent)."""
    lead_id = stack.post_lead(US_LEAD).json()["id"]
    card = stack.wait_for_card("U_ALICE")
    captured: dict[str, Any] = {}
    with monkeypatch.context() as patch:
        patch.setattr(
            stack.emu, "_post_payload", lambda kind, payload, **kw: captured.update(payload)
        )
        stack.emu.click("U_ALICE", card["channel"], card["ts"], ActionId.ACCEPT)
    return lead_id, captured


@pytest.mark.e2e
def test_signed_slack_payloads_that_are_not_strict_json_are_400(
    stack: Stack, offered: tuple[str, dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    lead_id, click = offered
    clean = json.dumps(click)
    assert clean.startswith('{"type": "block_actions"')

    def with_extra(value: str) -> str:
        return clean[:-1] + f', "extra": {value}}}'

    payloads = [
        (with_extra("NaN"), "payload field is not valid JSON: NaN is not a JSON number"),
        (with_extra("-Infinity"), "-Infinity is not a JSON number"),
        (with_extra("1e400"), "too large for JSON"),
        (with_extra("[" * 50_000), f"more than {MAX_DEPTH} levels deep"),
        (with_extra('"\\ud800"'), "lone UTF-16 surrogate"),
        (clean.replace('"U_ALICE"', '"U_ALICE\\udfff"', 1), "lone UTF-16 surrogate"),
        (clean[:-1] + ', "\\udbff": 1}', 'in the key "\\udbff"'),
        (clean[:-1], "payload field is not valid JSON: Expecting"),
    ]
    before = settled_counts(stack)
    for payload, words in payloads:
        started = time.monotonic()
        status, answer = slack_post(stack, form(payload), FORM)
        assert status == 400, (words, answer)
        assert time.monotonic() - started < 2.0
        assert set(answer) == {"error"} and words in answer["error"], answer
    # The Events API sends JSON bodies: the same checks, named as the body.
    event = '{"type": "event_callback", "event": {"type": "app_home_opened", "user": "U_ALICE"}'
    for body, words in [
        (event + ', "x": NaN}', "body is not valid JSON: NaN is not a JSON number"),
        (DEEP, "body nests objects and arrays more than"),
        ("{" + DEEP, "body nests objects and arrays more than"),
        (event + ', "x": "\\ud800"}', "body has a lone UTF-16 surrogate"),
    ]:
        status, answer = slack_post(stack, body, "application/json")
        assert status == 400 and words in answer["error"], (words, answer)
    assert table_counts(stack) == before
    assert stack.get_lead(lead_id)["state"] == "offered"
    no_errors_logged(caplog)
    # The click itself, sent as Slack sends it, still works: only the damage was refused.
    status, _ = slack_post(stack, form(clean), FORM)
    assert status == 200
    stack.emu.wait_for(lambda: stack.get_lead(lead_id)["state"] == "accepted")

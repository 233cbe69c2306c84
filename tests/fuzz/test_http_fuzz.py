"""Fuzzing ``POST /leads`` (issue #21) on the real HTTP server, on both engines.

Bodies are arbitrary JSON values (NaN and infinities, integers past 64 bits, lone
surrogates, nesting around the 64-level limit), lead-shaped objects with any value in
any field, and raw bytes (random, JSON-looking text, a lead cut short or in UTF-16).

The promise, per request: the status is below 500; a 202 (or a 200 duplicate) names a
lead that ``GET /leads/{id}`` reads back with 200, and a 202 adds exactly one lead row;
any 4xx has a JSON body with an ``error`` and leaves no new lead row; nothing is logged
at ERROR level.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.http.lead_input import LeadIn
from bot.http.strict_json import MAX_DEPTH
from storage.db import Database
from storage.models import Lead
from tests.e2e.harness import WEBHOOK_TOKEN, Stack, running_stack
from tests.e2e.test_walking_skeleton import US_LEAD
from tests.fuzz.conftest import fuzz_settings

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": f"Bearer {WEBHOOK_TOKEN}"}

SURROGATES = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1)
STRINGS = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(codec="utf-8"), max_size=10).flatmap(
        lambda t: SURROGATES.map(lambda s: t + s)  # a lone surrogate inside text
    ),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "nan",
            "-Infinity",
            "1" + "0" * 400,
            "1,200",
            "9999-12-31T23:59:59-12:00",
            "0001-01-01T00:00:00+12:00",
            "2024-02-30T10:00:00Z",
            "2024-01-22T20:36:47.000+0000",
            "dana@fbi.example.org",
            "not an email",
            "00Q5e00000AbCdEfGH",
            "\U0001f600",
            "\u202e",
            "x" * 33_000,
        ]
    ),
)
NUMBERS = st.one_of(
    st.integers(),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 10**400, -(10**30)]),
    st.floats(allow_nan=True, allow_infinity=True),
)
LEAVES = st.one_of(st.none(), st.booleans(), NUMBERS, STRINGS)
JSON_VALUES = st.recursive(
    LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(STRINGS, children, max_size=4)
    ),
    max_leaves=15,
)
MILD = st.one_of(
    st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=20),
    st.integers(0, 10**6),
    st.booleans(),
    st.none(),
)
FIELD_NAMES = st.one_of(
    st.sampled_from(sorted(LeadIn.model_fields)),
    st.sampled_from(["custom_score", "Custom", "x" * 81, "1abc", "a-b", "abc\n", "__proto__"]),
    STRINGS,
)


def _nested(depth: int, inner: Any) -> Any:
    for level in range(depth):
        inner = [inner] if level % 2 else {"k": inner}
    return inner


LEADS = st.builds(
    lambda base, changes: {**base, **changes},
    st.sampled_from(
        [
            US_LEAD,
            {"email": "x@gmail.com"},
            {"last_name": "Ng", "company": "Acme", "country": "Germany"},
            {"salesforce_id": "00Q5e00000AbCdEfGH"},
            {},
        ]
    ),
    st.one_of(
        st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=4),
        # Mild changes, which mostly keep it a lead: more 202s to read back.
        st.dictionaries(st.sampled_from(sorted(LeadIn.model_fields)), MILD, max_size=4),
    ),
)
# One of a few ids: posting the same lead twice must be a duplicate, not a second lead.
EXTERNAL_IDS = st.sampled_from([None, "form-1", "form-2", "fz-\u00e9", ""])


@st.composite
def json_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["lead", "lead", "lead", "value", "deep"]))
    if kind == "lead":
        value: Any = draw(LEADS)
        external_id = draw(EXTERNAL_IDS)
        if external_id is not None:
            value["external_id"] = external_id
    elif kind == "value":
        value = draw(JSON_VALUES)
    else:
        depth = draw(st.integers(MAX_DEPTH - 3, MAX_DEPTH + 3))
        value = {**US_LEAD, "custom": _nested(depth - 1, draw(LEAVES))}
    ascii_only = draw(st.booleans())
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)
    # Not ASCII-escaped, a lone surrogate becomes bytes that are not UTF-8.
    return text.encode("utf-8", "surrogatepass")


def _mutated(body: bytes, at: int, junk: bytes, cut: bool) -> bytes:
    at %= len(body) + 1
    return body[:at] if cut else body[:at] + junk + body[at:]


LEAD_BYTES = json.dumps(US_LEAD).encode()
RAW_BODIES = st.one_of(
    st.binary(max_size=200),
    st.from_regex(rb'\A[\[\]{}",:0-9eE+\-. \\a-zNI\x00-\x1f\x80-\xff]{0,60}\Z'),
    st.builds(
        _mutated, st.just(LEAD_BYTES), st.integers(0, 500), st.binary(max_size=6), st.booleans()
    ),
    st.sampled_from(["utf-16", "utf-16-le", "utf-32", "utf-8-sig"]).map(
        lambda codec: json.dumps(US_LEAD).encode(codec)
    ),
    st.integers(1, 3000).map(lambda n: b"[" * n),
    st.integers(1, 6000).map(lambda n: LEAD_BYTES[:-1] + b', "employees": ' + b"9" * n + b"}"),
)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        # Printable ASCII, no space at either end (HTTP clients refuse to send those).
        "Idempotency-Key": st.text(
            st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300
        ).map(str.strip),
        "Content-Type": st.sampled_from(
            ["application/json", "text/plain", "application/json; charset=utf-16", ""]
        ),
    },
)


@pytest.fixture
def stack(db: Database) -> Iterator[Stack]:
    with running_stack(db) as s:
        yield s


def lead_rows(stack: Stack) -> int:
    with stack.rt.db.session() as session:
        return session.scalar(select(func.count()).select_from(Lead)) or 0


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR or r.exc_info
    ]


def post_and_check(
    stack: Stack, caplog: pytest.LogCaptureFixture, body: bytes, headers: dict[str, str]
) -> None:
    before = lead_rows(stack)
    response = stack.http.post("/leads", content=body, headers={**AUTH, **headers})
    status = response.status_code
    event(f"status {status}")
    assert status < 500, (status, response.text[:500])
    assert "Traceback" not in response.text
    answer = response.json()
    assert isinstance(answer, dict), answer
    if status in (200, 202):
        assert answer["status"] == ("accepted" if status == 202 else "duplicate"), answer
        read = stack.http.get(f"/leads/{answer['id']}", headers=AUTH)
        assert read.status_code == 200, (answer, read.status_code, read.text[:500])
        assert read.json()["id"] == answer["id"]
        assert lead_rows(stack) == before + (status == 202)
    else:
        assert 400 <= status < 500, status
        assert isinstance(answer.get("error"), str) and answer["error"].strip(), answer
        assert lead_rows(stack) == before, "a refused lead was stored"
    assert not errors_logged(caplog)


@given(json_bodies(), HEADERS)
@fuzz_settings(examples=50)
def test_json_bodies_are_stored_and_readable_or_refused_whole(
    stack: Stack, caplog: pytest.LogCaptureFixture, body: bytes, headers: dict[str, str]
) -> None:
    post_and_check(stack, caplog, body, headers)


@given(RAW_BODIES)
@fuzz_settings(examples=40)
def test_raw_bodies_never_500_and_store_nothing_when_refused(
    stack: Stack, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    post_and_check(stack, caplog, body, {})

"""The escaping boundary itself: Mrkdwn is made only by escaping, and the Slack client
refuses text that is not Mrkdwn before anything leaves the process."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import ButtonElement, MarkdownTextObject, SectionBlock

from bot.slack.client import SafeRespond, SafeWebClient, UnsafeSlackText
from bot.slack.mrkdwn import (
    Mrkdwn,
    bold,
    channel,
    code,
    cut,
    date,
    esc,
    lines,
    link,
    md,
    mention,
    unsafe_texts,
)

# Nothing listens here: a check that let the call through would fail to connect instead.
CLOSED = "http://127.0.0.1:1/api/"


def test_esc_escapes_the_three_control_characters_only() -> None:
    assert esc("a & <b> *c*") == "a &amp; &lt;b&gt; *c*"
    assert isinstance(esc(3), Mrkdwn)
    assert esc(esc("<")) == "&lt;"  # Mrkdwn is never escaped twice


def test_md_escapes_values_not_the_template() -> None:
    out = md("*{}* at {when:%H:%M} by {who}", "<!here>", when=datetime(2026, 1, 1, 9, 5), who="&")
    assert out == "*&lt;!here&gt;* at 09:05 by &amp;"
    assert md("{}", mention("U_ALICE")) == "<@U_ALICE>"


def test_adding_and_joining_plain_text_escapes_it() -> None:
    assert isinstance(Mrkdwn("a") + "<b>", Mrkdwn)
    assert Mrkdwn("a") + "<b>" == "a&lt;b&gt;"
    assert "<b>" + Mrkdwn("a") == "&lt;b&gt;a"
    assert lines(["<x>", Mrkdwn("<@U1>")]) == "&lt;x&gt;\n<@U1>"
    # Anything else a str method returns is plain again, so the client refuses it.
    assert type(Mrkdwn("a").upper()) is str
    assert type(Mrkdwn("abc")[:2]) is str


def test_tokens_are_built_only_from_valid_parts() -> None:
    assert mention("U123ABC") == "<@U123ABC>"
    assert mention("<!channel>") == "&lt;!channel&gt;"
    assert mention(None, "bob") == "bob"
    assert channel("C123") == "<#C123>"
    assert channel("#sales") == "#sales"
    assert link("https://acme.my.salesforce.com/x?a=1&b=2", "Open <it>") == (
        "<https://acme.my.salesforce.com/x?a=1&amp;b=2|Open &lt;it&gt;>"
    )
    assert link("javascript:alert(1)", "x|y") == "x¦y"
    assert link("https://x|y>", "label") == "label"
    assert date(datetime(2026, 1, 1, tzinfo=UTC), fallback="<!here>|x") == (
        "<!date^1767225600^{time}|&lt;!here&gt;¦x>"
    )
    assert code("a`b<") == "`a'b&lt;`"
    assert bold("<x>") == "*&lt;x&gt;*"


@given(st.text(alphabet="ab&<>;@U!", max_size=60), st.integers(min_value=2, max_value=40))
def test_cut_never_splits_an_entity_or_a_token(text: str, limit: int) -> None:
    whole = esc(text) + md(" {}", mention("U1"))
    out = cut(whole, limit)
    assert isinstance(out, Mrkdwn)
    assert len(out) <= limit
    body = out.removesuffix("…")
    assert whole.startswith(body)
    # No half entity or half token at the end.
    assert body.rfind("&") <= body.rfind(";")
    assert body.rfind("<") <= body.rfind(">")


def test_unsafe_texts_finds_plain_strings_in_text_objects() -> None:
    blocks = [
        SectionBlock(text=MarkdownTextObject(text="plain")).to_dict(),
        SectionBlock(text=MarkdownTextObject(text=Mrkdwn("ok"))).to_dict(),
        ButtonElement(text="Go", action_id="a", value="<not text>").to_dict(),
    ]
    assert list(unsafe_texts({"text": Mrkdwn("x"), "blocks": blocks})) == [
        "blocks[0].text.text",
        "blocks[2].text.text",
    ]


def test_client_refuses_plain_text_before_sending() -> None:
    client = SafeWebClient(token="xoxb-x", base_url=CLOSED, timeout=1)
    with pytest.raises(UnsafeSlackText, match=r"chat\.postMessage: text at text"):
        client.chat_postMessage(channel="C1", text=f"New lead {'<!channel>'}")
    with pytest.raises(UnsafeSlackText, match=r"blocks\[0\]"):
        client.chat_update(
            channel="C1",
            ts="1.2",
            text=Mrkdwn("ok"),
            blocks=[SectionBlock(text=MarkdownTextObject(text="raw <!here>"))],
        )
    with pytest.raises(UnsafeSlackText, match=r"views\.publish"):
        client.views_publish(
            user_id="U1",
            view={
                "type": "home",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}],
            },
        )


def test_respond_refuses_plain_text_before_sending() -> None:
    respond = SafeRespond(response_url=CLOSED + "respond")
    with pytest.raises(UnsafeSlackText, match="respond"):
        respond(text="raw <!channel>", response_type="ephemeral")

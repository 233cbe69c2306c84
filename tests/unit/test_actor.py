"""The acting user: found in every kind of Slack payload, looked up once, refused clearly."""

from __future__ import annotations

import pytest

from bot.actor import Actor, user_id_of
from bot.errors import NotARep


def test_the_user_of_every_payload_kind() -> None:
    assert user_id_of({"type": "block_actions", "user": {"id": "U1"}}) == "U1"
    assert user_id_of({"command": "/leads", "user_id": "U2"}) == "U2"
    assert user_id_of({"event": {"type": "app_home_opened", "user": "U3"}}) == "U3"
    assert user_id_of({"type": "url_verification"}) == ""


def test_looked_up_once_and_only_when_asked() -> None:
    calls: list[str] = []

    def lookup(user: str) -> str | None:
        calls.append(user)
        return {"U1": "alice"}.get(user)

    who = Actor("U1", lookup)
    assert calls == []
    assert who.rep_id == "alice" and who.require() == "alice" and calls == ["U1"]
    stranger = Actor("U9", lookup)
    assert stranger.rep_id is None and stranger.rep_id is None and calls == ["U1", "U9"]
    with pytest.raises(NotARep):
        stranger.require()
    assert Actor("", lookup).rep_id is None and calls == ["U1", "U9"]

"""The webhook token during rotation: current and next both accepted."""

from __future__ import annotations

from bot.http.tokens import accepted_tokens, token_accepted
from bot.settings import Settings, reveal


class Secret:
    """Stands in for pydantic's SecretStr."""

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value


def test_one_or_two_values_blanks_ignored() -> None:
    assert accepted_tokens(None) == ()
    assert accepted_tokens("") == ()
    assert accepted_tokens(" , ,") == ()
    assert accepted_tokens("only") == (b"only",)
    assert accepted_tokens(" current , next ,") == (b"current", b"next")
    assert accepted_tokens(Secret("a,b")) == (b"a", b"b")


def test_from_the_environment() -> None:
    settings = Settings.from_env({"LEADROUTER_WEBHOOK_TOKEN": "old-token,new-token"})
    accepted = accepted_tokens(reveal(settings.webhook_token))
    assert token_accepted("old-token", accepted)
    assert token_accepted("new-token", accepted)
    assert not token_accepted("third-token", accepted)
    assert not token_accepted("old-token,new-token", accepted)


def test_hostile_values_are_refused_not_raised() -> None:
    accepted = accepted_tokens("t")
    assert not token_accepted("", accepted)
    assert not token_accepted("tü", accepted)  # compare_digest on such a str would raise
    assert not token_accepted("t" * 10_000, accepted)
    assert not token_accepted("t", ())

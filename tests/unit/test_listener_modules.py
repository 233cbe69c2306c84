"""Listeners are module-level functions (importable, testable), registered by each
module's ``register(app)`` on a real Bolt app; none is a closure over the runtime."""

from __future__ import annotations

import inspect

import pytest
from slack_bolt import Ack, App

from bot import listeners
from bot.errors import UserFacingError
from bot.listeners import escalations, home, offers, queues, slash
from bot.listeners.error_handler import reported
from bot.services.leads import OfferView
from lifecycle.offers import Answer

MODULES = [offers, queues, escalations, home, slash]


def _app() -> App:
    return App(token="xoxb-test", signing_secret="s" * 32, token_verification_enabled=False)


def test_each_module_registers_its_module_level_listeners() -> None:
    for module in MODULES:
        app = _app()
        module.register(app)
        registered = [listener.ack_function for listener in app._listeners]
        assert registered, f"{module.__name__} registers nothing"
        for function in registered:
            target = inspect.unwrap(function)
            assert target.__qualname__ == target.__name__, f"{target.__qualname__} is nested"
            assert getattr(module, target.__name__) is function


def _offer(rep: str, outcome: str) -> OfferView:
    return OfferView(1, rep, outcome, 2, "L-1000002", {})


def test_who_may_answer_an_offer() -> None:
    assert offers._refusal(None, "alice") == Answer("unknown")
    assert offers._refusal(_offer("alice", "pending"), "alice") is None
    assert offers._refusal(_offer("alice", "pending"), "bob") == Answer(
        "not_yours", "pending", "alice"
    )
    assert offers._refusal(_offer("alice", "pending"), None) == Answer(
        "not_yours", "pending", "alice"
    )
    assert offers._refusal(_offer("alice", "accepted"), "alice") == Answer(
        "not_pending", "accepted", "alice"
    )


def test_the_package_registers_every_module() -> None:
    source = inspect.getsource(listeners.register)
    for module in MODULES:
        assert f"{module.__name__.rsplit('.', 1)[-1]}.register(app)" in source


def test_a_listener_that_fails_before_its_ack_still_acks_once() -> None:
    ack = Ack()
    said: list[dict] = []

    @reported
    def fails_before_ack(ack: Ack, body: dict, respond: object) -> None:
        raise UserFacingError("That lead is gone.")

    def respond(**kwargs: object) -> None:
        said.append(kwargs)

    fails_before_ack(ack=ack, body={"response_url": "https://x"}, respond=respond)
    assert ack.response is not None and ack.response.status == 200
    assert said and said[0]["text"] == "That lead is gone."

    acked_first = Ack()

    @reported
    def fails_after_ack(ack: Ack, body: dict, respond: object) -> None:
        ack(text="done")
        raise UserFacingError("Too late.")

    fails_after_ack(ack=acked_first, body={}, respond=respond)
    assert acked_first.response is not None and acked_first.response.body == "done"


def test_state_changing_listeners_commit_before_they_ack() -> None:
    """Accept, claim, the manager's controls and a decline's submit call the service
    before ``ack()``; a crash test (tests/e2e/test_crash_at_ack.py) proves it at runtime."""
    cases = {
        offers.on_accept: "leads.accept(",
        offers.on_decline_submitted: "leads.decline(",
        queues.on_claim: "leads.claim(",
        escalations.on_reassign: "leads.reassign(",
        escalations.on_nudge: "leads.nudge(",
        escalations.on_open_claim: "leads.open_for_claim(",
    }
    for listener, change in cases.items():
        source = inspect.getsource(inspect.unwrap(listener))
        assert change in source and "ack()" in source, listener.__name__
        assert source.index(change) < source.index("ack()"), listener.__name__


def test_button_values_with_ids_the_database_cannot_hold_are_refused() -> None:
    from bot.actions import LeadRef, OfferRef, decode

    assert decode(OfferRef, '{"offer": 7}') == OfferRef(offer=7)
    for value in ('{"offer": 2147483648}', '{"offer": 0}', '{"offer": -1}', '{"offer": "7"}'):
        with pytest.raises(UserFacingError, match="old or damaged"):
            decode(OfferRef, value)
    with pytest.raises(UserFacingError):
        decode(LeadRef, '{"lead": 9223372036854775808}')
    with pytest.raises(UserFacingError):
        decode(LeadRef, 5)  # type: ignore[arg-type]  # a payload's value that is no string

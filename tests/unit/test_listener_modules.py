"""Listeners are module-level functions (importable, testable), registered by each
module's ``register(app)`` on a real Bolt app; none is a closure over the runtime."""

from __future__ import annotations

import inspect

from slack_bolt import App

from bot import listeners
from bot.listeners import escalations, home, offers, queues, slash
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

"""Bolt listeners, one module per kind, each with ``register(app)``; the runtime and the
acting user reach them on the context (``bot.listeners.context``)."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import context, error_handler, escalations, home, offers, queues, slash
from bot.runtime import Runtime


def register(app: App, rt: Runtime) -> None:
    context.register(app, rt)
    error_handler.register(app)
    offers.register(app)
    queues.register(app)
    slash.register(app)
    escalations.register(app)
    home.register(app)

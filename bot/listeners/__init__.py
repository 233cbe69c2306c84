"""Bolt listeners, one module per kind, each with ``register(app, rt)``."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actor, commands, errors, escalations, home, offers, queues
from bot.runtime import Runtime


def register(app: App, rt: Runtime) -> None:
    actor.register(app, rt)
    errors.register(app, rt)
    offers.register(app, rt)
    queues.register(app, rt)
    commands.register(app, rt)
    escalations.register(app, rt)
    home.register(app, rt)

"""Record what a Bolt app registers, by building it with a recording App subclass."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

import bot.app


class RecordingApp(App):
    recorded: dict[str, set[str]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["token_verification_enabled"] = False
        super().__init__(*args, **kwargs)
        self.recorded = {"command": set(), "event": set(), "action": set(), "view": set()}

    def command(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        self.recorded["command"].add(str(command))
        return super().command(command, *args, **kwargs)

    def event(self, event: Any, *args: Any, **kwargs: Any) -> Any:
        self.recorded["event"].add(str(event))
        return super().event(event, *args, **kwargs)

    def action(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self.recorded["action"].add(str(constraints))
        return super().action(constraints, *args, **kwargs)

    def view(self, constraints: Any, *args: Any, **kwargs: Any) -> Any:
        self.recorded["view"].add(str(constraints))
        return super().view(constraints, *args, **kwargs)


def listeners_of(factory: Callable[..., App]) -> tuple[set[str], set[str], set[str]]:
    from bot.config_store import ConfigStore
    from bot.runtime import build_runtime
    from bot.settings import Settings
    from storage.db import Database

    settings = Settings(
        database_url="sqlite://", slack_bot_token="xoxb-x", slack_signing_secret="s"
    )
    config = ConfigStore(text="reps: [{id: a, name: A}]\nrules: []\n")
    rt = build_runtime(settings, config=config, db=Database("sqlite://"))
    original = bot.app.App
    bot.app.App = RecordingApp  # type: ignore[misc]
    try:
        app = factory(rt)
    finally:
        bot.app.App = original  # type: ignore[misc]
    assert isinstance(app, RecordingApp)
    return app.recorded["command"], app.recorded["event"], app.recorded["action"]

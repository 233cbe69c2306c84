"""The Bolt app factory. Never built at import time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App, BoltContext

from bot import listeners
from bot.runtime import Runtime
from bot.settings import reveal
from bot.slack.client import SafeRespond, make_web_client, safe_copy

log = logging.getLogger(__name__)


def create_bolt_app(rt: Runtime) -> App:
    settings = rt.settings
    app = App(
        token=reveal(settings.slack_bot_token),
        signing_secret=reveal(settings.slack_signing_secret),
        client=make_web_client(
            reveal(settings.slack_bot_token), settings.slack_api_url, interactive=True
        ),
        # Ack first, then do the work on Bolt's listener threads.
        process_before_response=False,
        # Listeners ack first, but only once a pool thread picks them up: a burst of
        # clicks (a busy queue card) must not wait behind each other's database work.
        listener_executor=ThreadPoolExecutor(max_workers=64, thread_name_prefix="bolt"),
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("slack_bolt"),
    )
    app.middleware(guard_outgoing_text)
    listeners.register(app, rt)
    return app


def guard_outgoing_text(context: BoltContext, next: Callable[[], None]) -> None:
    """Listeners' ``client`` and ``respond`` refuse unescaped text, like the outbox's.

    Bolt builds a plain WebClient per request; swap in the checking one.
    """
    client = safe_copy(context.client)
    context["client"] = client
    context["respond"] = SafeRespond(
        response_url=context.response_url, proxy=client.proxy, ssl=client.ssl
    )
    next()

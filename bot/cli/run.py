"""``leadrouter run``: the bot for real, in HTTP mode, or in Socket Mode when
``SLACK_APP_TOKEN`` is set (the HTTP server then still serves ``/leads``, health and
metrics)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from routing.config.loader import ConfigError

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("run", help="run the bot: HTTP server, workers, scheduler")
    parser.add_argument("--config", type=Path, help="routing.yml (default LEADROUTER_CONFIG)")
    parser.add_argument("--port", type=int, help="HTTP port (default PORT or 3000)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from bot.process import BotService
    from bot.runtime import build_runtime
    from bot.settings import Settings

    overrides: dict[str, object] = {}
    if args.config:
        overrides["config_path"] = args.config
    if args.port:
        overrides["port"] = args.port
    settings = Settings.from_env(None, **overrides)
    missing = settings.missing_for_slack()
    if missing:
        print("Slack is not configured; set " + " and ".join(missing), file=sys.stderr)
        return 2
    try:
        rt = build_runtime(settings)
    except ConfigError as err:
        print(f"{settings.config_path} has errors:\n{err}", file=sys.stderr)
        return 1
    except FileNotFoundError:
        print(f"no config at {settings.config_path}; set LEADROUTER_CONFIG", file=sys.stderr)
        return 1
    from slack_bolt.error import BoltError
    from slack_sdk.errors import SlackApiError

    from bot.logging_setup import redact
    from storage.db import mask_passwords
    from storage.migrate import upgrade

    # The database first: a mistake in DATABASE_URL shows before anything talks to Slack.
    upgrade(rt.db.engine)
    if rt.db.is_sqlite:
        # Replicas on SQLite would each route from their own file: say so at start.
        log.warning(
            "sqlite_is_one_process",
            extra={
                "database": settings.safe_database_url,
                "hint": "set DATABASE_URL to PostgreSQL to run more than one replica",
            },
        )
    try:
        service = BotService(rt)  # Bolt checks the bot token with auth.test here
    except BoltError as err:
        print(f"Slack refused SLACK_BOT_TOKEN: {redact(str(err))}", file=sys.stderr)
        return 1
    except OSError as err:
        reason = getattr(err, "reason", None) or err
        print(
            f"Slack API unreachable at {mask_passwords(settings.slack_api_url)}: "
            f"{redact(str(reason))}; is SLACK_API_URL right?",
            file=sys.stderr,
        )
        return 1
    mode = "socket" if settings.slack_app_token else "http"
    log.info(
        "starting",
        extra={"port": settings.port, "config": rt.config.config.version, "slack_mode": mode},
    )
    try:
        service.serve_forever()
    except SlackApiError as err:
        print(
            f"Socket Mode could not connect: apps.connections.open answered "
            f"{err.response.get('error')!r}; SLACK_APP_TOKEN must be an app-level token "
            "(xapp-...) with the connections:write scope",
            file=sys.stderr,
        )
        return 1
    return 0

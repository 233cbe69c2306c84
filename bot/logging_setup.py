"""Structured (JSON) logs; fields come from ``extra=``; secrets are never logged.

Code never logs a token or password on purpose; ``RedactSecrets`` is the defence in depth
for what it does not control (a library's message, an exception's text, a URL in a field).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

# Slack bot/user/app-config/refresh tokens (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxe-)
# and app-level tokens (xapp-): the prefix stays, so a log still says which kind it was.
_SLACK_TOKEN = re.compile(r"\b(?P<kind>xox[abeprs]|xapp)-[A-Za-z0-9-]+")
_BEARER = re.compile(r"\b(?P<kind>Bearer)\s+[^\s\"',;]+", re.IGNORECASE)
# uvicorn configures its own handlers, which never see ours: filter its loggers directly.
_OWN_HANDLER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def redact(text: str) -> str:
    """``text`` with Slack tokens, bearer values and URL/DSN passwords replaced by ***."""
    text = _SLACK_TOKEN.sub(r"\g<kind>-***", text)
    text = _BEARER.sub(r"\g<kind> ***", text)
    # Imported here: storage.db brings SQLAlchemy, which a command that never logs (and
    # `leadrouter` start-up) need not load.
    from storage.db import mask_passwords

    return mask_passwords(text)


def _redact_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_value(v) for v in value]
    # Anything else is logged through str() (JsonFormatter's default): redact that text.
    return redact(str(value))


class RedactSecrets(logging.Filter):
    """Rewrites a record in place: message, ``extra`` fields, exception and stack text."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # Arguments that do not fit the format: the handler reports that itself
            # (logging's handleError); this record's text is never built.
            return True
        record.msg, record.args = redact(message), ()
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, _redact_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def utc_time(record: logging.LogRecord) -> str:
    """``2026-12-03T13:14:15.123Z``: UTC with milliseconds, whatever the host's zone."""
    at = datetime.fromtimestamp(record.created, UTC)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "at": utc_time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD:
                out[key] = value
        if record.exc_info or record.exc_text:
            # exc_text first: RedactSecrets leaves the redacted traceback there.
            out["exc"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, default=str)


class TextFormatter(logging.Formatter):
    """One line for a terminal: time, level, logger, event, then ``key=value`` extras."""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(
            f"{key}={value}" for key, value in vars(record).items() if key not in _STANDARD
        )
        line = f"{utc_time(record)} {record.levelname.lower():<7} {record.name}: "
        line += record.getMessage() + (f" {extras}" if extras else "")
        if record.exc_info or record.exc_text:
            line += "\n" + (record.exc_text or self.formatException(record.exc_info))  # type: ignore[arg-type]
        return line


def configure_logging(level: int = logging.INFO, *, stream: Any = None, fmt: str = "json") -> None:
    """Every log line, ours and the libraries' (uvicorn's included), through one handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(TextFormatter() if fmt == "text" else JsonFormatter())
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _OWN_HANDLER_LOGGERS:
        logger = logging.getLogger(name)
        # uvicorn may have installed plain-text handlers of its own: ours replace them.
        logger.handlers[:] = []
        logger.propagate = True
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
    # Third-party chatter stays at warnings.
    for noisy in ("slack_bolt", "slack_sdk", "apscheduler", "uvicorn", "httpx", "alembic"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))

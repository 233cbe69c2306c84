"""Log lines: JSON (or text) from one handler, UTC timestamps with milliseconds."""

from __future__ import annotations

import io
import json
import logging

from bot.logging_setup import configure_logging


def _emit(fmt: str) -> str:
    stream = io.StringIO()
    configure_logging(stream=stream, fmt=fmt)
    try:
        logging.getLogger("bot.test").info("lead_stored", extra={"lead": "L-1001"})
        # uvicorn's own loggers (their handlers, if any, replaced) come through ours.
        logging.getLogger("uvicorn.error").warning("Uvicorn running")
    finally:
        configure_logging()
    return stream.getvalue()


def test_json_lines_in_utc_with_milliseconds() -> None:
    lines = [json.loads(line) for line in _emit("json").splitlines()]
    assert [(r["logger"], r["event"]) for r in lines] == [
        ("bot.test", "lead_stored"),
        ("uvicorn.error", "Uvicorn running"),
    ]
    assert lines[0]["lead"] == "L-1001"
    at = lines[0]["at"]
    assert at.endswith("Z") and len(at) == len("2026-12-03T13:14:15.123Z") and at[19] == "."


def test_text_lines_for_a_terminal() -> None:
    first, second = _emit("text").splitlines()
    assert first.endswith("info    bot.test: lead_stored lead=L-1001")
    assert first[:24].endswith("Z") and "uvicorn.error: Uvicorn running" in second

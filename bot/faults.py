"""Crash points: named places where a test makes the process die on the spot.

Off unless ``LEADROUTER_CRASH_AT`` names the point (comma-separated for several);
production never sets it. A crash test arms one to prove that what the code promises at
that point (a click's change committed before Slack hears "done") survives SIGKILL.
"""

from __future__ import annotations

import logging
import os
import signal

log = logging.getLogger(__name__)

ENV = "LEADROUTER_CRASH_AT"


def crash_point(name: str) -> None:
    armed = os.environ.get(ENV)
    if not armed or name not in armed.split(","):
        return
    log.warning("crash_point_reached", extra={"point": name})
    for handler in logging.getLogger().handlers:
        handler.flush()
    # SIGKILL, not an exception or exit(): no finally blocks, no atexit, like a dead node.
    os.kill(os.getpid(), signal.SIGKILL)

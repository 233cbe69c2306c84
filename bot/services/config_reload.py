"""Hot reload of routing.yml: a good edit goes live, a bad one is reported to admins."""

from __future__ import annotations

import hashlib

from bot.outbox.admin_alerts import enqueue_admin_alert
from bot.runtime import Runtime
from bot.slack.mrkdwn import code, lines, md

MAX_LISTED = 10


def reload_config(rt: Runtime) -> bool:
    """True when a new config went live."""
    before = rt.config.last_error
    changed = rt.config.reload_if_changed()
    error = rt.config.last_error
    if error is None or error is before:
        return changed
    issues = str(error).splitlines()
    listed = lines(md("• {}", code(line)) for line in issues[:MAX_LISTED])
    more = f"\n…and {len(issues) - MAX_LISTED} more" if len(issues) > MAX_LISTED else ""
    digest = hashlib.sha256(str(error).encode()).hexdigest()[:12]
    now = rt.clock.now()
    with rt.db.session() as session:
        enqueue_admin_alert(
            session,
            rt.config.config,
            key=f"config_rejected:{digest}",
            text=md(
                ":no_entry: The edit to {} was rejected; the previous config (version {}) "
                "keeps running.\n{}{}\nFix it and save again; check with {}.",
                code(rt.config.path),
                rt.config.config.version,
                listed,
                more,
                code(f"leadrouter validate {rt.config.path}"),
            ),
            now=now,
        )
    return changed

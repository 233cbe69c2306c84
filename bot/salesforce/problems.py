"""What the outbox and the poller do with each Salesforce failure.

- expired session that could not be renewed, or a refused login: admins are told once
  (per session / per hour) and the work waits (``Defer``), never lost;
- a deleted or converted record, or a rejected request: ``GiveUp`` with a clear reason
  (dead row, visible in ``/leads status``);
- rate limits and outages propagate: the worker retries them with backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from bot.outbox.admin_alerts import enqueue_admin_alert
from bot.outbox.worker import Defer, GiveUp
from bot.runtime import Runtime
from bot.salesforce.client import SalesforceClient
from bot.salesforce.errors import LoginFailed, RecordGone, Rejected, SessionExpired
from bot.slack.mrkdwn import Mrkdwn, md

log = logging.getLogger(__name__)
AUTH_RETRY = timedelta(minutes=1)


def require_client(rt: Runtime) -> SalesforceClient:
    if rt.salesforce is None:
        raise GiveUp("Salesforce is not configured (no SALESFORCE_* credentials)")
    return rt.salesforce


def tell_admins_about_auth(rt: Runtime, problem: SessionExpired | LoginFailed) -> None:
    client = rt.salesforce
    now = rt.clock.now()
    if isinstance(problem, SessionExpired) and client is not None:
        key = f"salesforce:session_expired:{client.session_fingerprint()}"
        text = Mrkdwn(
            ":warning: The Salesforce session expired and cannot be renewed "
            "(SALESFORCE_SESSION_ID mode). Salesforce fetches and write-backs are waiting "
            "and will resume once a new SALESFORCE_SESSION_ID is set (or switch to a "
            "username/password or JWT login, which renew themselves)."
        )
    else:
        key = f"salesforce:login_failed:{now:%Y%m%d%H}"
        text = md(
            ":warning: Salesforce refused the bot's login: {}. Salesforce fetches and "
            "write-backs are waiting; check SALESFORCE_USERNAME/PASSWORD/SECURITY_TOKEN or "
            "the JWT settings.",
            problem.message,
        )
    with rt.db.session() as session:
        if enqueue_admin_alert(session, rt.config.config, key=key, text=text, now=now):
            log.error("salesforce_auth_alert", extra={"key": key})


@contextmanager
def outbox_semantics(rt: Runtime) -> Iterator[None]:
    try:
        yield
    except (RecordGone, Rejected) as problem:
        raise GiveUp(problem.message) from problem
    except (SessionExpired, LoginFailed) as problem:
        tell_admins_about_auth(rt, problem)
        raise Defer(problem.message, AUTH_RETRY) from problem

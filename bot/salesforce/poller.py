"""The lead poller: SOQL with a ``SystemModstamp`` high-water mark, overlap and dedupe.

One poller per deployment: a PostgreSQL ``pg_try_advisory_lock`` held for the run; the
other replicas skip their tick. Each page (``queryMore``) is stored before the mark moves
past it, so a crash re-reads at most one page, and the Id dedupe makes that harmless.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.outbox.admin_alerts import enqueue_admin_alert
from bot.runtime import Runtime
from bot.salesforce.errors import (
    LoginFailed,
    Rejected,
    SalesforceProblem,
    SessionExpired,
)
from bot.salesforce.ingest import FETCHING, complete_fetch, ingest_record
from bot.salesforce.problems import tell_admins_about_auth
from bot.salesforce.soql import lead_poll_query, parse_stamp
from bot.salesforce.sync import full_resync_due, sync_all
from bot.slack.mrkdwn import md
from storage.salesforce import (
    leads_by_salesforce_id,
    save_sync_state,
    sync_state,
    try_advisory_lock,
)

log = logging.getLogger(__name__)
POLL_STATE = "leads.poll"
POLL_LOCK = 0x1EAD_5F01
# Re-read this much before the mark: records committed late with an older stamp.
OVERLAP = timedelta(seconds=60)
# With no mark yet, start this far back.
INITIAL_LOOKBACK = timedelta(days=1)


@dataclass
class PollResult:
    ran: bool
    reason: str = ""
    seen: int = 0
    created: int = 0
    duplicates: int = 0
    pages: int = 0
    high_water: datetime | None = None
    error: str | None = None
    lead_ids: list[str] = field(default_factory=list)


def poll_leads(rt: Runtime, *, batch_size: int | None = None) -> PollResult:
    client = rt.salesforce
    if client is None:
        return PollResult(False, "salesforce is off")
    with try_advisory_lock(rt.db, POLL_LOCK) as ours:
        if not ours:
            return PollResult(False, "another replica is polling")
        result = PollResult(True)
        try:
            _poll(rt, result, batch_size)
        except SalesforceProblem as problem:
            result.error = problem.message
            _report(rt, problem)
        return result


def _poll(rt: Runtime, result: PollResult, batch_size: int | None) -> None:
    assert rt.salesforce is not None
    config = rt.config.config
    with rt.db.session() as session:
        state = sync_state(session, POLL_STATE)
        mark = state.high_water if state is not None else None
    since = mark - OVERLAP if mark is not None else rt.clock.now() - INITIAL_LOOKBACK
    soql = lead_poll_query(config, since)
    for page in rt.salesforce.query_pages(soql, batch_size=batch_size):
        result.pages += 1
        with rt.db.session() as session:
            known = {
                sf_id: (lead.id, lead.state)
                for sf_id, lead in leads_by_salesforce_id(session, [r["Id"] for r in page]).items()
            }
        for record in page:
            result.seen += 1
            found = known.get(record["Id"])
            if found is not None:
                lead_id, lead_state = found
                if lead_state == FETCHING:
                    complete_fetch(rt, lead_id, record)
                result.duplicates += 1
            else:
                ingested = ingest_record(rt, record, source="salesforce")
                if ingested.created:
                    result.created += 1
                    result.lead_ids.append(ingested.public_id)
                else:
                    result.duplicates += 1
        stamps = [s for s in (parse_stamp(r.get("SystemModstamp")) for r in page) if s]
        if stamps:
            mark = max([*stamps, *([mark] if mark else [])])
        with rt.db.session() as session:
            save_sync_state(
                session,
                POLL_STATE,
                high_water=mark,
                now=rt.clock.now(),
                data={"last_poll": rt.clock.now().isoformat()},
            )
    result.high_water = mark
    log.info(
        "salesforce_poll",
        extra={"seen": result.seen, "new_leads": result.created, "pages": result.pages},
    )


def _report(rt: Runtime, problem: SalesforceProblem) -> None:
    if isinstance(problem, SessionExpired | LoginFailed):
        tell_admins_about_auth(rt, problem)
    elif isinstance(problem, Rejected):
        config = rt.config.config
        with rt.db.session() as session:
            enqueue_admin_alert(
                session,
                config,
                key=f"salesforce:poll_rejected:{config.version}:{problem.code}",
                text=md(
                    ":warning: Salesforce rejected the lead poll ({}). "
                    "Check `salesforce.where` and `salesforce.fields` in routing.yml.",
                    problem.message,
                ),
                now=rt.clock.now(),
            )
    log.warning("salesforce_poll_failed", extra={"error": problem.message})


class SalesforceJobs:
    """Scheduler ticks: poll leads every ``poll_interval``; sync users, accounts,
    contacts and open leads every ``sync_interval``, fully when the last full resync
    (recorded in the database, so a restart does not force one) is older than
    ``full_resync_interval``. Intervals follow config reloads."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._last_poll: float | None = None
        self._last_sync: float | None = None

    def poll_tick(self) -> None:
        settings = self.rt.config.config.salesforce
        now = time.monotonic()
        if self._due(self._last_poll, settings.poll_interval, now):
            self._last_poll = now
            poll_leads(self.rt)

    def sync_tick(self) -> None:
        """A job of its own: a long full resync never delays the lead poll."""
        settings = self.rt.config.config.salesforce
        now = time.monotonic()
        if self._due(self._last_sync, settings.sync_interval, now):
            self._last_sync = now
            assert self.rt.salesforce is not None
            try:
                full = full_resync_due(self.rt, settings.full_resync_interval)
                sync_all(self.rt, self.rt.salesforce, full=full)
            except SalesforceProblem as problem:
                log.warning("salesforce_sync_failed", extra={"error": problem.message})

    @staticmethod
    def _due(last: float | None, interval: timedelta, now: float) -> bool:
        return last is None or now - last >= interval.total_seconds()

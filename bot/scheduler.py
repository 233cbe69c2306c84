"""APScheduler as an in-process ticker; durable state lives in our own tables."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from bot.runtime import Runtime
from bot.salesforce.poller import SalesforceJobs
from bot.services.config_reload import reload_config
from bot.services.directory import refresh_directory
from bot.services.leads import sweep_new_leads
from bot.sla.runner import fire_due_timers

log = logging.getLogger(__name__)


def _guarded(name: str, fn: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        try:
            fn()
        except Exception:  # one failed tick must not stop the ticker
            log.exception("job_failed", extra={"job": name})

    return run


def build_scheduler(rt: Runtime) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
    )
    scheduler.add_job(
        _guarded("sweep_new_leads", lambda: sweep_new_leads(rt)),
        "interval",
        seconds=2,
        id="sweep_new_leads",
    )
    scheduler.add_job(
        _guarded("reload_config", lambda: reload_config(rt)),
        "interval",
        seconds=2,
        id="reload_config",
    )
    scheduler.add_job(
        _guarded("fire_due_timers", lambda: fire_due_timers(rt)),
        "interval",
        seconds=rt.settings.timer_interval,
        id="fire_due_timers",
    )
    scheduler.add_job(
        _guarded("refresh_directory", lambda: refresh_directory(rt)),
        "interval",
        hours=1,
        id="refresh_directory",
        next_run_time=datetime.now(UTC),  # at start-up too: the first clicks are fast
    )
    if rt.salesforce is not None:
        # Tick every second; SalesforceJobs follows poll_interval/sync_interval (reloadable).
        # Two jobs, so a long sync never holds up the lead poll.
        jobs = SalesforceJobs(rt)
        scheduler.add_job(
            _guarded("salesforce_poll", jobs.poll_tick), "interval", seconds=1, id="salesforce"
        )
        scheduler.add_job(
            _guarded("salesforce_sync", jobs.sync_tick),
            "interval",
            seconds=1,
            id="salesforce-sync",
        )
    return scheduler

"""SLA timer benchmark: 10,000 real ladder steps falling due within 60 s.

Setup (in bulk, before the clock starts): leads and pending offers with their SLA ladder
started by ``lifecycle.sla_plan.start_ladder`` -- the production code path, so each offer has
its snapshot and one timer row per step (remind, notify manager, reassign next). Offers
are spread so that their steps fall due uniformly over the window.

Run: ``bot.sla.runner.fire_due_timers`` is driven exactly as in production, by an
APScheduler interval job every ``timer_interval`` (0.25 s, coalescing, one instance at a
time) in a worker process of its own -- one such worker on SQLite, two (separate
processes, each with its own engine, like two replicas of the bot) on PostgreSQL.
Reassign steps route the leads again (``route_leads``) and start new ladders, as they
would in the bot; outbox rows are written but not delivered (no Slack).

Reported, for the timers of the window: firing lateness (``fired_at - due_at``, the
instant the step ran in its transaction) p50/p99/max; duplicates, detected twice: a timer
fired more than once (``attempts``), a step recorded twice in the event log, and more
than one outbox row for one step's intent (per offer for reminders, per offer and
recipient for notices, per offer for the card update); lost: timers of the window still
pending (or failed) once the backlog had up to 2 minutes after the window to fire.
Target: p99 < 1 s, no duplicates, none lost.

SQLite by default (a file under a temporary directory); ``--pg`` (or
``LEADROUTER_BENCH_PG=1``) runs on a fresh PostgreSQL database created under
``LEADROUTER_BENCH_PG_DSN`` (default ``postgresql://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import select

from benchmarks.databases import engines, fresh_database
from bot.config_store import ConfigStore
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.sla.runner import fire_due_timers
from lifecycle.sla_plan import start_ladder
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Event, Lead, Offer, OutboxItem, Timer

NAME = "timers"
REPS = 40
ACCEPT_S, REMIND_S, REASSIGN_AFTER_S = 20, 10, 20
STEPS_PER_OFFER = 3  # remind at +10 s, notify manager at +20 s, reassign next at +40 s
DRAIN_S = 120  # after the window: a backlog still firing is late, not lost


def config_text() -> str:
    reps = [f"rep{i:02d}" for i in range(REPS)]
    lines = ["admins: [boss]", "reps:"]
    lines += [f"  - {{id: {r}, name: {r}, email: {r}@example.com, manager: boss}}" for r in reps]
    lines += ["  - {id: boss, name: Boss, email: boss@example.com}"]
    lines += [f"pools:\n  sdr: {{strategy: round_robin, members: [{', '.join(reps)}]}}"]
    lines += ['queues:\n  triage: {channel: "#triage", members: [rep00, rep01]}']
    lines += [
        "sla:",
        "  - name: bench",
        f"    accept_within: {ACCEPT_S}s",
        f"    remind: [{REMIND_S}s]",
        "    max_reassignments: 1",
        "    escalate:",
        "      - {after: 0s, notify: manager}",
        f"      - {{after: {REASSIGN_AFTER_S}s, reassign: next}}",
        "rules:\n  - {name: All, assign: {pool: sdr}}",
    ]
    return "\n".join(lines) + "\n"


def runtime(url: str, config: str) -> Runtime:
    settings = Settings(
        database_url=url,
        slack_bot_token="xoxb-bench",
        slack_api_url="http://127.0.0.1:9/api/",  # never called: nothing delivers
    )
    return build_runtime(settings, config=ConfigStore(text=config), db=Database(url))


def seed(rt: Runtime, timers: int, window_s: float, start: datetime) -> tuple[int, float]:
    """Offers whose steps (at +10, +20, +40 s) fall uniformly in [start, start+window)."""
    router = rt.config.router
    policy = router.config.sla[0]
    offers = max(1, timers // STEPS_PER_OFFER)
    span = window_s - (ACCEPT_S + REASSIGN_AFTER_S - REMIND_S)  # first to last step
    begun = time.perf_counter()
    made = 0
    batch = 500
    for first in range(0, offers, batch):
        with rt.db.session() as session:
            for n in range(first, min(offers, first + batch)):
                offered_at = (
                    start - timedelta(seconds=REMIND_S) + timedelta(seconds=span * n / offers)
                )
                lead = Lead(
                    source="bench",
                    state="offered",
                    fields={"email": f"b{n}@co{n}.example", "company": f"Co {n}"},
                    raw={"email": f"b{n}@co{n}.example"},
                    received_at=offered_at,
                    routed_at=offered_at,
                    external_id=f"bench-{n}",
                )
                session.add(lead)
                session.flush()
                offer = Offer(
                    lead_id=lead.id,
                    rep_id=f"rep{n % REPS:02d}",
                    offered_at=offered_at,
                    outcome="pending",
                )
                session.add(offer)
                session.flush()
                start_ladder(session, router.config, policy, offer)
                made += STEPS_PER_OFFER
    return made, time.perf_counter() - begun


def backlog(db: Database, end: datetime) -> int:
    """Timers of the window not fired yet."""
    with db.session() as session:
        return len(
            session.scalars(
                select(Timer.id).where(Timer.status == "pending", Timer.due_at < end)
            ).all()
        )


def replica(url: str, config: str, interval: float, ready: Any, stop: Any, fired: Any) -> None:
    """One worker in a process of its own (interpreter, engine, scheduler), as a replica
    of the bot runs: APScheduler ticks ``fire_due_timers`` as bot/scheduler.py does."""
    rt = runtime(url, config)
    scheduler = BackgroundScheduler(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
    )

    def tick() -> None:
        n = fire_due_timers(rt)
        with fired.get_lock():
            fired.value += n

    scheduler.add_job(tick, "interval", seconds=interval, id="fire_due_timers")
    scheduler.start()
    ready.set()
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        rt.db.dispose()


class Replicas:
    """``n`` worker processes on one database, started before the window opens."""

    def __init__(self, url: str, config: str, n: int, interval: float) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.stop = ctx.Event()
        self.counts = [ctx.Value("q", 0) for _ in range(n)]
        self.ready = [ctx.Event() for _ in range(n)]
        self.procs = [
            ctx.Process(
                target=replica,
                args=(url, config, interval, self.ready[i], self.stop, self.counts[i]),
                name=f"worker{i}",
                daemon=True,
            )
            for i in range(n)
        ]
        for proc in self.procs:
            proc.start()
        for event in self.ready:
            if not event.wait(timeout=60):
                self.close()
                raise RuntimeError("a timer worker process did not start")

    def fired(self) -> dict[str, int]:
        return {f"worker{i}": int(c.value) for i, c in enumerate(self.counts)}

    def close(self) -> None:
        self.stop.set()
        for proc in self.procs:
            proc.join(timeout=60)
            if proc.is_alive():  # pragma: no cover - a hung worker
                proc.kill()


def run_window(
    db: Database,
    replicas: Replicas,
    until: datetime,
    log: Callable[[str], None],
    *,
    drain_s: float = DRAIN_S,
) -> dict[str, int]:
    """Lets the replicas fire through the window; after it, keeps them going until the
    window's backlog is fired (at most drain_s)."""
    try:
        while datetime.now(UTC) < until:
            time.sleep(1)
            remaining = (until - datetime.now(UTC)).total_seconds()
            if int(remaining) % 10 == 0:
                log(f"timers: {sum(replicas.fired().values()):,} fired, {remaining:.0f} s to go")
        give_up = time.monotonic() + drain_s
        while (left := backlog(db, until)) and time.monotonic() < give_up:
            log(f"timers: window over, {left:,} still due")
            time.sleep(1)
    finally:
        replicas.close()
    return replicas.fired()


def aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def audit(db: Database, start: datetime, end: datetime) -> dict[str, Any]:
    with db.session() as session:
        rows = session.execute(
            select(Timer.id, Timer.status, Timer.due_at, Timer.fired_at, Timer.attempts).where(
                Timer.due_at >= start, Timer.due_at < end
            )
        ).all()
        steps: Counter[tuple[Any, ...]] = Counter()
        for kind, data in session.execute(
            select(Event.kind, Event.data).where(Event.kind.in_(["sla.reminded", "sla.escalated"]))
        ).all():
            steps[(kind, data.get("offer"), data.get("step"))] += 1
        intents: Counter[tuple[Any, ...]] = Counter()
        for kind, payload in session.execute(select(OutboxItem.kind, OutboxItem.payload)).all():
            if kind == "slack.remind":
                intents[(kind, payload.get("offer_id"))] += 1
            elif kind == "slack.escalation_notice":
                intents[(kind, payload.get("offer_id"), payload.get("recipient"))] += 1
            elif kind == "slack.offer_update":
                intents[(kind, payload.get("offer_id"))] += 1
        outbox_rows = session.scalar(select(OutboxItem.id).order_by(OutboxItem.id.desc()))
    fired = [r for r in rows if r.status in ("done", "skipped")]
    late = sorted((aware(r.fired_at) - aware(r.due_at)).total_seconds() for r in fired)
    statuses = Counter(r.status for r in rows)

    def pct(p: float) -> float:
        if not late:
            return 0.0
        return round(late[min(len(late) - 1, int(p * len(late)))], 3)

    return {
        "timers": len(rows),
        "statuses": dict(statuses),
        "fired": len(fired),
        "lateness_p50_s": pct(0.50),
        "lateness_p99_s": pct(0.99),
        "lateness_max_s": round(late[-1], 3) if late else 0.0,
        "lateness_mean_s": round(statistics.fmean(late), 3) if late else 0.0,
        "dup_timers": sum(1 for r in fired if r.attempts != 1),
        "dup_events": sum(1 for n in steps.values() if n > 1),
        "dup_outbox": sum(1 for n in intents.values() if n > 1),
        "lost": statuses.get("pending", 0) + statuses.get("failed", 0),
        "outbox_rows": int(outbox_rows or 0),
    }


def run_engine(
    engine: str, *, timers: int, window_s: float, log: Callable[[str], None]
) -> dict[str, Any]:
    config = config_text()
    with fresh_database(engine, "timers") as url:
        db = Database(url)
        upgrade(db.engine)
        db.dispose()
        rt = runtime(url, config)
        interval = rt.settings.timer_interval
        workers = 2 if engine == "postgresql" else 1
        lead_s = 8.0  # seeding happens before the window opens
        start = datetime.now(UTC) + timedelta(seconds=lead_s + timers / 1500)
        replicas = Replicas(url, config, workers, interval)  # ticking, nothing due yet
        try:
            made, seed_s = seed(rt, timers, window_s, start)
        except BaseException:
            replicas.close()
            raise
        log(f"timers[{engine}]: {made:,} timers seeded in {seed_s:.1f} s")
        wait = (start - datetime.now(UTC)).total_seconds()
        if wait < 0:
            log(f"timers[{engine}]: seeding overran the window start by {-wait:.1f} s")
        else:
            time.sleep(wait)
        end = start + timedelta(seconds=window_s)
        fired = run_window(rt.db, replicas, end, log)
        result = audit(rt.db, start, end)
        rt.db.dispose()
        return {
            "engine": engine,
            "workers": workers,
            "interval_s": interval,
            "window_s": window_s,
            "seeded": made,
            "seed_s": round(seed_s, 1),
            "fired_by_worker": fired,
            **result,
        }


def run(quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    timers, window_s = (1_000, 10.0) if quick else (10_000, 60.0)
    # the ladder spans 30 s: a quick window still has to hold it
    window_s = max(window_s, float(ACCEPT_S + REASSIGN_AFTER_S - REMIND_S) + 10)
    runs = [run_engine(e, timers=timers, window_s=window_s, log=log) for e in engines()]
    return {
        "timers": timers,
        "window_s": window_s,
        "target": {"p99_s": 1.0, "duplicates": 0, "lost": 0},
        "runs": runs,
        "ok": all(
            r["lateness_p99_s"] < 1.0
            and r["dup_timers"] + r["dup_events"] + r["dup_outbox"] == 0
            and r["lost"] == 0
            for r in runs
        ),
    }


def table(results: Mapping[str, Any]) -> Any:
    from rich.table import Table

    t = Table(
        title=f"timers: {results['timers']:,} ladder steps due within {results['window_s']:.0f} s",
        caption="lateness = fired_at - due_at; dup = a step fired twice (timers.attempts / "
        "event log / outbox intents); lost = still pending or failed at the end. "
        "Target: p99 < 1 s, 0 dup, 0 lost.",
    )
    cols = ("engine", "workers", "timers", "fired", "p50 s", "p99 s", "max s", "dup", "lost")
    for col in cols:
        t.add_column(col, justify="left" if col == "engine" else "right", no_wrap=True)
    for r in results["runs"]:
        t.add_row(
            r["engine"],
            str(r["workers"]),
            f"{r['timers']:,}",
            f"{r['fired']:,}",
            f"{r['lateness_p50_s']:.3f}",
            f"{r['lateness_p99_s']:.3f}",
            f"{r['lateness_max_s']:.3f}",
            f"{r['dup_timers']}/{r['dup_events']}/{r['dup_outbox']}",
            str(r["lost"]),
        )
    return t

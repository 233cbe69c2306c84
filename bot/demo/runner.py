"""Runs the demo end to end: the real bot over HTTP, the emulator, simulated reps."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import httpx
from rich.console import Console
from rich.markup import escape

from bot.clock import CompressedClock
from bot.config_store import ConfigStore
from bot.crm_csv import read_crm_csv
from bot.csv_text import CsvFileError, CsvTable, read_csv_table
from bot.demo.feed import LiveFeed
from bot.demo.reps import SimulatedReps
from bot.demo.summary import collect, render
from bot.process import BotService
from bot.runtime import build_runtime
from bot.settings import Settings
from routing.config.loader import ConfigError
from routing.config.models import RoutingConfig
from slack_emulator import SlackEmulator
from storage.crm import apply_records
from storage.db import Database
from storage.demo_queries import pending_timers_due_by
from storage.migrate import upgrade

DEMO_DB = Path("var") / "demo.db"
EXAMPLES = Path("examples")
# Spacing of arriving leads, in real seconds.
ARRIVAL_GAP = 0.6


def demo_start(config: RoutingConfig) -> datetime:
    """A working Tuesday late morning in the config's time zone, so every team is in."""
    tz = ZoneInfo(config.timezone)
    calendar = holidays.country_holidays("US")
    day = date.today()
    while day.weekday() != 1 or day in calendar:
        day += timedelta(days=1)
    return datetime.combine(day, dtime(11, 5), tzinfo=tz).astimezone(UTC)


def slack_user_id(rep_id: str) -> str:
    return "U" + rep_id.upper().replace("-", "")[:10]


def channel_id(name: str) -> str:
    return "C" + name.lstrip("#").upper().replace("-", "")[:10]


def setup_emulator(config: RoutingConfig) -> tuple[SlackEmulator, dict[str, list[str]]]:
    emu = SlackEmulator(signing_secret=secrets.token_hex(16), bot_token="xoxb-demo").start()
    for rep in config.reps:
        emu.add_user(
            id=slack_user_id(rep.id),
            name=rep.id,
            email=rep.email or f"{rep.id}@example.com",
            real_name=rep.name,
            tz=rep.timezone or config.timezone,
        )
    queue_members: dict[str, list[str]] = {}
    channels = {p.channel for p in config.pools.values() if p.channel}
    for queue_id, queue in config.queues.items():
        members = [slack_user_id(r) for r in config.queue_member_ids(queue_id)]
        cid = channel_id(queue.channel)
        emu.add_channel(id=cid, name=queue.channel.lstrip("#"), members=members)
        queue_members[cid] = members
        channels.discard(queue.channel)
    for name in channels:
        emu.add_channel(id=channel_id(name), name=name.lstrip("#"), members=[])
    return emu, queue_members


def ladders_running(db: Database, now: datetime, horizon: datetime) -> bool:
    """Whether an SLA step is due before the demo's time runs out: keep watching."""
    with db.session() as session:
        due = pending_timers_due_by(session, horizon)
    return bool(due)


def load_demo_crm(db: Database) -> str:
    """The example accounts and contacts, so the "Existing customer" and "Already in CRM"
    rules have something to match (a team without Salesforce loads CSVs the same way)."""
    loaded = []
    for sobject, name in (("Account", "accounts.csv"), ("Contact", "contacts.csv")):
        path = EXAMPLES / name
        if not path.exists():
            continue
        records = read_crm_csv(path, sobject).records
        with db.session() as session:
            apply_records(session, sobject, records, now=datetime.now(UTC), source="csv")
        loaded.append(f"{len(records)} {sobject.lower()}{'s' if len(records) != 1 else ''}")
    return " and ".join(loaded)


def read_leads(path: Path) -> CsvTable:
    """The leads file, decoded and split like ``leadrouter simulate`` does it."""
    return read_csv_table(path, what="lead rows")


def lead_rows(table: CsvTable) -> list[dict[str, str]]:
    """Each usable row as the webhook body: the row's non-empty cells by column name."""
    return [
        {k: v for k, v in zip(table.header, record.cells, strict=False) if k and v}
        for record in table.records
        if record.problem is None
    ]


def run_demo(
    *,
    config: Path | None,
    leads: Path | None,
    speed: float,
    seed: int,
    max_seconds: float,
) -> int:
    console = Console()
    config_path = config or EXAMPLES / "routing.yml"
    leads_path = leads or EXAMPLES / "leads.csv"
    for path in (config_path, leads_path):
        if not path.exists():
            console.print(f"[red]{path} not found: run the demo from the project folder[/]")
            return 2
    try:
        store = ConfigStore(config_path)
    except ConfigError as err:
        console.print(f"[red]{config_path} has errors:[/]\n{err}")
        return 1
    try:
        table = read_leads(leads_path)
    except CsvFileError as err:
        console.print(f"[red]cannot read the leads: {escape(str(err))}[/]")
        return 2
    if table.note:
        console.print(table.note, markup=False)
    for record in table.records:
        if record.problem is not None:
            console.print(
                f"skipped row {record.row} (line {record.line}): {record.problem}", markup=False
            )
    rows = lead_rows(table)

    DEMO_DB.parent.mkdir(parents=True, exist_ok=True)
    for stale in DEMO_DB.parent.glob(DEMO_DB.name + "*"):
        stale.unlink()
    db = Database(f"sqlite:///{DEMO_DB}")
    upgrade(db.engine)
    crm_loaded = load_demo_crm(db)

    emu, queue_members = setup_emulator(store.config)
    clock = CompressedClock(demo_start(store.config), speed)
    token = secrets.token_hex(16)
    settings = Settings(
        database_url=db.url,
        slack_bot_token=emu.bot_token,
        slack_signing_secret=emu.signing_secret,
        slack_api_url=emu.api_url,
        webhook_token=token,
        host="127.0.0.1",
        port=0,
        worker_interval=0.1,
    )
    rt = build_runtime(settings, config=store, clock=clock, db=db)
    bot = BotService(rt).start()
    emu.events_url = f"{bot.url}/slack/events"
    users = {slack_user_id(rep.id): rep.id for rep in store.config.reps}
    reps = SimulatedReps(emu, users, queue_members=queue_members, seed=seed)
    reps.start()
    feed = LiveFeed(db, console, ZoneInfo(store.config.timezone))

    console.rule("[bold]Lead Router demo")
    console.print(
        f"SQLite at {DEMO_DB}, Slack emulator at {emu.api_url}, bot at {bot.url}\n"
        f"{len(rows)} leads from {leads_path}, routed by {config_path} "
        f"(version {store.config.version}); the clock runs {speed:g}x: "
        "one real second is one demo minute at the default speed.\n"
        + (
            f"Matching against {crm_loaded} from {EXAMPLES}/ (as `leadrouter sync --accounts`).\n"
            if crm_loaded
            else ""
        ),
        highlight=False,
    )
    started = time.monotonic()
    try:
        with httpx.Client(base_url=bot.url, timeout=10) as http:
            for row in rows:
                body = dict(row)
                external = body.pop("id", None)
                if external:
                    body["external_id"] = external
                response = http.post(
                    "/leads", json=body, headers={"Authorization": f"Bearer {token}"}
                )
                if response.status_code >= 400:
                    console.print(f"[red]lead {external} rejected:[/] {response.text}")
                deadline = time.monotonic() + ARRIVAL_GAP
                while time.monotonic() < deadline:
                    feed.poll()
                    time.sleep(0.05)
        quiet_since = time.monotonic()
        while time.monotonic() - started < max_seconds:
            if feed.poll():
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 4 and not ladders_running(
                db,
                clock.now(),
                clock.now()
                + timedelta(seconds=(max_seconds - (time.monotonic() - started)) * speed),
            ):
                break
            time.sleep(0.05)
        feed.poll()
    finally:
        reps.stop()
        bot.stop()
        emu.stop()
    render(collect(db), console)
    console.print(
        f"{reps.ignored} card(s) were ignored by the simulated reps: the SLA ladder handled them. "
        f"Inspect any lead with `leadrouter explain L-1001` (DATABASE_URL=sqlite:///{DEMO_DB}).",
        highlight=False,
    )
    db.dispose()
    return 0

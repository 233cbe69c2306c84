"""Load: two ``leadrouter run`` replicas on PostgreSQL, as a team would run them.

Two runs against the Slack emulator (in this process) answering every Web API call in
100 ms, like real Slack:

- ``steady``: 20 leads/s for 60 s, spread over both replicas (each POST sent on its
  schedule, whatever the previous answers took). Speed to lead is the card's arrival at
  Slack minus the instant its POST was sent. Target: p99 < 300 ms.
- ``burst``: 1,000 leads as fast as 8 clients can post them, with Slack's rate limits
  on (the emulator's tiers: about one post per second per channel, the workspace cap,
  ``views.publish`` at Tier 4). What limits it should be Slack, not our CPU.

Both report cards lost (a lead with no card) and cards posted twice (one offer, two
messages), which must be none. PostgreSQL only (replicas need it); skipped without it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from benchmarks.databases import fresh_database
from benchmarks.delivery import (
    BOT_TOKEN,
    REPS,
    SECRET,
    TOKEN,
    Cards,
    _wait_ready,
    config_text,
    free_port,
    post,
    summarise,
)
from slack_emulator import SlackEmulator

NAME = "load"
REPLICAS = 2
SLACK_S = 0.1
TARGET_P99_S = 0.3


@contextmanager
def replicas(url: str, emu: SlackEmulator, n: int) -> Iterator[list[str]]:
    """``n`` bot processes on one database; yields their base URLs."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        config = Path(tmp) / "routing.yml"
        config.write_text(config_text(), encoding="utf-8")
        procs: list[subprocess.Popen[bytes]] = []
        urls: list[str] = []
        try:
            for i in range(n):
                port = free_port()
                env = {
                    **os.environ,
                    "DATABASE_URL": url,
                    "LEADROUTER_CONFIG": str(config),
                    "SLACK_BOT_TOKEN": BOT_TOKEN,
                    "SLACK_SIGNING_SECRET": SECRET,
                    "SLACK_API_URL": emu.api_url,
                    "LEADROUTER_WEBHOOK_TOKEN": TOKEN,
                    "PORT": str(port),
                }
                env.pop("SLACK_APP_TOKEN", None)
                log_path = Path(tmp) / f"bot{i}.log"
                with log_path.open("ab") as log:
                    proc = subprocess.Popen(
                        [sys.executable, "-m", "bot.cli", "run"], env=env, stdout=log, stderr=log
                    )
                procs.append(proc)
                bot_url = f"http://127.0.0.1:{port}"
                _wait_ready(proc, bot_url, log_path)
                urls.append(bot_url)
            emu.events_url = f"{urls[0]}/slack/events"
            yield urls
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()


def duplicates(emu: SlackEmulator) -> int:
    """Offers whose card was posted more than once."""
    posts: Counter[str] = Counter()
    with emu.state.lock:
        messages = list(emu.state.messages.values())
    for message in messages:
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        key = str(payload.get("outbox_key", ""))
        if key.startswith("offer:") and key.endswith(":post"):
            posts[key] += 1
    return sum(1 for n in posts.values() if n > 1)


class Clients:
    """One HTTP client per replica per thread."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.local = threading.local()

    def post(self, i: int) -> tuple[str, float, float]:
        clients = getattr(self.local, "clients", None)
        if clients is None:
            clients = self.local.clients = [httpx.Client(base_url=u, timeout=30) for u in self.urls]
        return post(clients[i % len(clients)], i)


def steady(urls: list[str], cards: Cards, *, rate: float, seconds: float, first: int) -> dict:
    clients = Clients(urls)
    n = int(rate * seconds)
    futures: list[Future[tuple[str, float, float]]] = []
    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        for k in range(n):
            due = started + k / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            futures.append(pool.submit(clients.post, first + k))
        posted = [f.result() for f in futures]
    cards.wait([p for p, _, _ in posted], 60)
    result = summarise(f"steady {rate:g}/s x {seconds:g} s", posted, cards, seconds)
    return result


def burst(urls: list[str], cards: Cards, *, n: int, first: int, limit_s: float) -> dict:
    clients = Clients(urls)
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        posted = list(pool.map(clients.post, range(first, first + n)))
    cards.wait([p for p, _, _ in posted], limit_s)
    last = max((cards.seen.get(p, 0.0) for p, _, _ in posted), default=0.0)
    wall = last - min(s for _, s, _ in posted) if last else time.perf_counter() - started
    result = summarise(f"burst of {n}, Slack rate limits on", posted, cards, wall)
    result["wall_s"] = round(wall, 1)
    return result


def run(quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    from tests.databases import postgres_available

    problem = postgres_available()
    if problem is not None:
        log(f"load: skipped, PostgreSQL not reachable: {problem}")
        return {"skipped": problem, "runs": [], "ok": True}
    seconds, bursty = (10.0, 200) if quick else (60.0, 1000)
    runs: list[dict[str, Any]] = []
    emu = SlackEmulator(signing_secret=SECRET, bot_token=BOT_TOKEN, latency=SLACK_S).start()
    try:
        for i in range(REPS):
            emu.add_user(id=f"U_REP{i:02d}", name=f"rep{i:02d}", email=f"rep{i:02d}@example.com")
        emu.add_user(id="U_BOSS", name="boss", email="boss@example.com")
        with (
            fresh_database("postgresql", "load") as url,
            replicas(url, emu, REPLICAS) as urls,
        ):
            cards = Cards(emu)
            log(f"load: {REPLICAS} replicas, warm-up")
            steady(urls, cards, rate=5, seconds=2, first=0)
            log(f"load: steady 20 leads/s for {seconds:g} s, Slack {SLACK_S * 1000:.0f} ms")
            runs.append(steady(urls, cards, rate=20, seconds=seconds, first=100))
            runs[-1]["duplicated"] = duplicates(emu)
            emu.set_rate_limits(True)
            log(f"load: burst of {bursty} with Slack's rate limits")
            runs.append(burst(urls, cards, n=bursty, first=10_000, limit_s=600))
            runs[-1]["duplicated"] = duplicates(emu)
            runs[-1]["rate_limited"] = emu.rate_limited()
    finally:
        emu.stop()
    for r in runs:
        r["replicas"], r["slack_latency_s"] = REPLICAS, SLACK_S
    steady_ok = runs[0]["card_p99_s"] < TARGET_P99_S if runs else False
    return {
        "target": {"steady_card_p99_s": TARGET_P99_S, "missing": 0, "duplicated": 0},
        "runs": runs,
        "ok": steady_ok and all(r["missing"] == 0 and r["duplicated"] == 0 for r in runs),
    }


def table(results: Mapping[str, Any]) -> Any:
    from rich.table import Table

    t = Table(
        title=f"load: {REPLICAS} `leadrouter run` replicas on PostgreSQL, Slack answering in "
        f"{SLACK_S * 1000:.0f} ms",
        caption="speed to lead = card at Slack - POST sent. Target: steady p99 < 300 ms; "
        "none lost, none twice.",
    )
    for col in ("run", "leads", "p50", "p99", "max", "wall", "lost", "twice", "429s"):
        t.add_column(col, justify="left" if col == "run" else "right", no_wrap=True)
    if results.get("skipped"):
        t.add_row(f"skipped: {results['skipped']}", *[""] * 8)
    for r in results["runs"]:
        t.add_row(
            r["run"],
            f"{r['leads']:,}",
            f"{r['card_p50_s'] * 1000:.0f} ms",
            f"{r['card_p99_s'] * 1000:.0f} ms",
            f"{r['card_max_s']:.1f} s",
            f"{r.get('wall_s', r['leads'] / max(r['leads_per_s'], 0.1)):.0f} s",
            str(r["missing"]),
            str(r["duplicated"]),
            str(sum((r.get("rate_limited") or {}).values())),
        )
    return t

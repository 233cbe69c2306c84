"""Lead to card: how long from ``POST /leads`` until the rep's card is in Slack.

The whole bot runs as in production (``leadrouter run`` in a process of its own:
uvicorn HTTP, the Bolt app, the outbox pump, the scheduler) against the built-in Slack
emulator in this process; only Slack is emulated. A lead is posted over HTTP with the
webhook token; it is stored, matched, routed and its card row committed before the
response, and the outbox worker posts the
card with ``chat.postMessage``. The emulator records when each Web API call arrived, so
a card's latency is that instant minus the instant the POST was sent.

Two runs, with Slack answering at once and with each Web API call taking 100 ms (as
real calls take 50-300 ms; the emulator's ``latency``):

- ``one at a time``: each lead is posted once the previous card has landed, the
  latency a lead meets on a quiet system;
- ``burst``: leads posted by several concurrent HTTP clients as fast as they are
  answered, the latency under load, and the rate the bot sustains.

Reported: POST response time and card latency p50/p99/max, leads per second, and
cards missing (a lead whose card never landed within 30 s). Target: card p99 < 1 s,
none missing.

SQLite by default; with ``--pg`` (or ``LEADROUTER_BENCH_PG=1``) on PostgreSQL too.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from benchmarks.databases import engines, fresh_database
from slack_emulator import SlackEmulator

NAME = "delivery"
REPS = 20
TOKEN = "bench-webhook-token"
BOT_TOKEN = "xoxb-bench"
SECRET = "bench-signing-secret"
MISSING_AFTER_S = 30.0
# Slack answering at once, and as it does in real life (a Web API call takes 50-300 ms).
LATENCIES = (0.0, 0.1)


def config_text() -> str:
    reps = [f"rep{i:02d}" for i in range(REPS)]
    lines = ["timezone: UTC", "admins: [boss]", "reps:"]
    lines += [f"  - {{id: {r}, name: {r}, email: {r}@example.com, manager: boss}}" for r in reps]
    lines += ["  - {id: boss, name: Boss, email: boss@example.com}"]
    half = len(reps) // 2
    lines += [
        "pools:",
        f"  us: {{strategy: round_robin, members: [{', '.join(reps[:half])}]}}",
        f"  eu: {{strategy: least_loaded, members: [{', '.join(reps[half:])}]}}",
        "sla:",
        "  - {name: all, accept_within: 1h, remind: [30m]}",
        "rules:",
        "  - {name: US, when: {country: US}, assign: {pool: us}}",
        "  - {name: EU, assign: {pool: eu}}",
    ]
    return "\n".join(lines) + "\n"


def lead_body(n: int) -> dict[str, Any]:
    return {
        "external_id": f"bench-{n}",
        "email": f"buyer{n}@company{n}.example",
        "first_name": "Pat",
        "last_name": f"Buyer{n}",
        "company": f"Company {n}",
        "country": "US" if n % 2 else "DE",
        "lead_source": "Web",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_bot(url: str, *, latency: float = 0.0) -> Iterator[tuple[SlackEmulator, str]]:
    """The emulator here; the bot (``leadrouter run``) in a process of its own, as in
    production, so the emulator and the clients do not share its interpreter."""
    emu = SlackEmulator(signing_secret=SECRET, bot_token=BOT_TOKEN, latency=latency).start()
    for i in range(REPS):
        emu.add_user(id=f"U_REP{i:02d}", name=f"rep{i:02d}", email=f"rep{i:02d}@example.com")
    emu.add_user(id="U_BOSS", name="boss", email="boss@example.com")
    with tempfile.TemporaryDirectory(prefix="bench-bot-") as tmp:
        config = Path(tmp) / "routing.yml"
        config.write_text(config_text(), encoding="utf-8")
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
        log_path = Path(tmp) / "bot.log"
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"], env=env, stdout=log, stderr=log
            )
        bot_url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(proc, bot_url, log_path)
            emu.events_url = f"{bot_url}/slack/events"
            yield emu, bot_url
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
            emu.stop()


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the bot exited with {proc.returncode}: {tail}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the bot was not ready within 60 s")


class Cards:
    """When each lead's card reached the emulator, by the lead's public id."""

    def __init__(self, emu: SlackEmulator) -> None:
        self.emu = emu
        self.seen: dict[str, float] = {}
        self._checked = 0

    def poll(self) -> None:
        calls = self.emu.state.calls  # read in place: copying thousands of calls costs
        end = len(calls)
        for call in calls[self._checked : end]:
            if call.method != "chat.postMessage" or not call.response.get("ok"):
                continue
            text = str(call.args.get("text", ""))
            for raw in text.split():
                word = raw.strip("*:,.()")  # "New lead L-1001: Pat Buyer (Acme)"
                if word.startswith("L-") and word[2:].isdigit() and word not in self.seen:
                    self.seen[word] = call.at
                    break
        self._checked = end

    def wait(self, public_ids: list[str], timeout: float) -> None:
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            self.poll()
            if all(p in self.seen for p in public_ids):
                return
            time.sleep(0.002)


def settle(emu: SlackEmulator, quiet_s: float = 3.0, limit_s: float = 120.0) -> None:
    """Wait until the bot has made no Web API call for ``quiet_s``."""
    give_up = time.monotonic() + limit_s
    seen, since = len(emu.state.calls), time.monotonic()
    while time.monotonic() < give_up and time.monotonic() - since < quiet_s:
        time.sleep(0.2)
        if (now := len(emu.state.calls)) != seen:
            seen, since = now, time.monotonic()


def post(client: httpx.Client, n: int) -> tuple[str, float, float]:
    """(public id, when sent, response seconds)."""
    sent = time.time()
    started = time.perf_counter()
    response = client.post(
        "/leads", json=lead_body(n), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    took = time.perf_counter() - started
    response.raise_for_status()
    return str(response.json()["id"]), sent, took


def summarise(
    name: str, posted: list[tuple[str, float, float]], cards: Cards, wall_s: float
) -> dict[str, Any]:
    cards.poll()
    latency = sorted(cards.seen[p] - sent for p, sent, _ in posted if p in cards.seen)
    responses = sorted(took for _, _, took in posted)

    def pct(values: list[float], p: float) -> float:
        if not values:
            return 0.0
        return round(values[min(len(values) - 1, int(p * len(values)))], 4)

    return {
        "run": name,
        "leads": len(posted),
        "cards": len(latency),
        "missing": len(posted) - len(latency),
        "post_p50_s": pct(responses, 0.5),
        "post_p99_s": pct(responses, 0.99),
        "card_p50_s": pct(latency, 0.5),
        "card_p99_s": pct(latency, 0.99),
        "card_max_s": round(latency[-1], 4) if latency else 0.0,
        "leads_per_s": round(len(posted) / wall_s, 1) if wall_s else 0.0,
    }


def one_at_a_time(bot_url: str, cards: Cards, n: int, first: int) -> dict[str, Any]:
    posted = []
    started = time.perf_counter()
    with httpx.Client(base_url=bot_url, timeout=30) as client:
        for i in range(first, first + n):
            item = post(client, i)
            posted.append(item)
            cards.wait([item[0]], MISSING_AFTER_S)
    return summarise("one at a time", posted, cards, time.perf_counter() - started)


def burst(bot_url: str, cards: Cards, n: int, first: int, clients: int) -> dict[str, Any]:
    local = threading.local()

    def send(i: int) -> tuple[str, float, float]:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=bot_url, timeout=30)
        return post(local.client, i)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        posted = list(pool.map(send, range(first, first + n)))
    cards.wait([p for p, _, _ in posted], MISSING_AFTER_S)
    wall = max(cards.seen.get(p, 0.0) for p, _, _ in posted) - min(s for _, s, _ in posted)
    result = summarise(f"burst, {clients} clients", posted, cards, wall)
    result["wall_s"] = round(time.perf_counter() - started, 2)
    return result


def run_engine(engine: str, *, quick: bool, log: Callable[[str], None]) -> list[dict[str, Any]]:
    sequential, bursty, clients = (50, 200, 4) if quick else (300, 1000, 8)
    runs: list[dict[str, Any]] = []
    with fresh_database(engine, "delivery") as url, running_bot(url) as (emu, bot_url):
        cards = Cards(emu)
        # warm up: the rep directory, connection pools, the first-call imports
        one_at_a_time(bot_url, cards, 5, first=0)
        first = 100
        for latency in LATENCIES:
            emu.config.latency = latency
            settle(emu)  # the previous run's Home refreshes must not queue ahead
            log(f"delivery[{engine}, Slack {latency * 1000:.0f} ms]: {sequential} one by one")
            runs.append(one_at_a_time(bot_url, cards, sequential, first=first))
            log(f"delivery[{engine}, Slack {latency * 1000:.0f} ms]: burst of {bursty}")
            later = first + sequential
            runs.append(burst(bot_url, cards, bursty, first=later, clients=clients))
            for r in runs[-2:]:
                r["engine"], r["slack_latency_s"] = engine, latency
            first += sequential + bursty
    return runs


def run(quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    runs = [r for e in engines() for r in run_engine(e, quick=quick, log=log)]
    return {
        "target": {"card_p99_s": 1.0, "missing": 0},
        "runs": runs,
        "ok": all(r["card_p99_s"] < 1.0 and r["missing"] == 0 for r in runs),
    }


def table(results: Mapping[str, Any]) -> Any:
    from rich.table import Table

    t = Table(
        title="delivery: POST /leads -> card in Slack (emulator), the real bot over HTTP",
        caption="card = chat.postMessage arrival - POST sent; post = HTTP response time. "
        "Target: card p99 < 1 s, none missing.",
    )
    cols = ("engine", "Slack", "run", "leads", "post p50", "post p99", "card p50", "card p99")
    for col in (*cols, "card max", "leads/s", "missing"):
        t.add_column(col, justify="left" if col in ("engine", "run") else "right", no_wrap=True)
    for r in results["runs"]:
        t.add_row(
            r["engine"],
            f"{r['slack_latency_s'] * 1000:.0f} ms",
            r["run"],
            f"{r['leads']:,}",
            f"{r['post_p50_s'] * 1000:.0f} ms",
            f"{r['post_p99_s'] * 1000:.0f} ms",
            f"{r['card_p50_s'] * 1000:.0f} ms",
            f"{r['card_p99_s'] * 1000:.0f} ms",
            f"{r['card_max_s'] * 1000:.0f} ms",
            f"{r['leads_per_s']:.0f}",
            str(r["missing"]),
        )
    return t

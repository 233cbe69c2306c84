"""Cards per second one process delivers: the outbox worker alone, Slack instant.

Leads are stored and routed first (their card rows queued, nothing delivering), then one
``OutboxWorker`` drains them against the Slack emulator running in a process of its own
(so its CPU is not ours) and answering at once. The rate is cards posted per second of
wall time; with ``--profile`` (``python -m benchmarks.card_rate --profile``) the drain
runs one row at a time under cProfile and the top costs per card are printed.

Target: at least 100 cards/s per process with an instant Slack.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.databases import engines, fresh_database
from benchmarks.delivery import BOT_TOKEN, REPS, SECRET, config_text, free_port, lead_body

NAME = "card_rate"
TARGET = 100.0


@contextmanager
def emulator_process() -> Iterator[str]:
    """The emulator in its own process; yields its Web API base URL."""
    users = [
        {"id": f"U_REP{i:02d}", "name": f"rep{i:02d}", "email": f"rep{i:02d}@example.com"}
        for i in range(REPS)
    ] + [{"id": "U_BOSS", "name": "boss", "email": "boss@example.com"}]
    with tempfile.TemporaryDirectory(prefix="bench-emu-") as tmp:
        path = Path(tmp) / "users.json"
        path.write_text(json.dumps(users))
        port = free_port()
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "slack_emulator", "--port", str(port)),
                *("--users", str(path), "--bot-token", BOT_TOKEN, "--signing-secret", SECRET),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().decode().strip()
            yield url
        finally:
            proc.terminate()
            proc.wait(10)


def _runtime(db_url: str, api_url: str, config_path: Path) -> Any:
    from bot.runtime import build_runtime
    from bot.settings import Settings
    from storage.migrate import upgrade

    settings = Settings(
        database_url=db_url,
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=api_url,
        config_path=str(config_path),
    )
    rt = build_runtime(settings)
    upgrade(rt.db.engine)
    return rt


def _queue_cards(rt: Any, first: int, n: int) -> None:
    from bot.services.leads import ingest_lead

    for i in range(first, first + n):
        body = lead_body(i)
        ingest_lead(rt, raw=body, source="webhook", external_id=body["external_id"])


def _cards_done(rt: Any) -> int:
    from sqlalchemy import func, select

    from storage.models import OutboxItem

    with rt.db.session() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    OutboxItem.kind == "slack.offer_card", OutboxItem.status == "done"
                )
            )
            or 0
        )


def drain(rt: Any, *, concurrency: int, target: int) -> float:
    """Seconds until ``target`` cards are done."""
    from bot.outbox.handlers import HANDLERS
    from bot.outbox.worker import OutboxWorker

    worker = OutboxWorker(rt, HANDLERS, concurrency=concurrency)
    started = time.perf_counter()
    try:
        while _cards_done(rt) < target:
            if worker.drain() == 0:
                time.sleep(0.01)
            if time.perf_counter() - started > 300:
                raise RuntimeError("cards did not drain in 5 minutes")
    finally:
        worker.close()
    return time.perf_counter() - started


def measure(engine: str, n: int, *, profile: bool = False) -> dict[str, Any]:
    with (
        fresh_database(engine, "card-rate") as url,
        emulator_process() as api,
        tempfile.TemporaryDirectory() as tmp,
    ):
        config = Path(tmp) / "routing.yml"
        config.write_text(config_text())
        rt = _runtime(url, api, config)
        _queue_cards(rt, 0, 20)  # warm-up: directory lookups, pools, first imports
        drain(rt, concurrency=16, target=20)
        _queue_cards(rt, 1000, n)
        seconds = drain(rt, concurrency=16, target=20 + n)
        result: dict[str, Any] = {
            "engine": engine,
            "cards": n,
            "seconds": round(seconds, 2),
            "cards_per_s": round(n / seconds, 1),
        }
        if profile:
            _queue_cards(rt, 5000, n)
            profiler = cProfile.Profile()
            profiler.enable()
            one_by_one = drain(rt, concurrency=1, target=20 + 2 * n)
            profiler.disable()
            result["one_by_one_cards_per_s"] = round(n / one_by_one, 1)
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(25)
            # Our own functions by cumulative time: where the statements come from.
            stats.sort_stats("cumulative").print_stats(r"/(bot|lifecycle|storage)/", 40)
            result["profile"] = out.getvalue()
        rt.db.dispose()
        return result


def run(quick: bool, log: Callable[[str], None]) -> dict[str, Any]:
    n = 200 if quick else 1000
    runs = []
    for engine in engines():
        log(f"card_rate[{engine}]: {n} queued cards, one worker, instant Slack")
        runs.append(measure(engine, n))
    return {
        "target": {"cards_per_s": TARGET},
        "runs": runs,
        "ok": all(r["cards_per_s"] >= TARGET for r in runs),
    }


def table(results: Mapping[str, Any]) -> Any:
    from rich.table import Table

    t = Table(
        title="card_rate: queued cards delivered by one process (outbox worker, instant Slack)",
        caption=f"Target: >= {TARGET:.0f} cards/s per process.",
    )
    for col in ("engine", "cards", "seconds", "cards/s"):
        t.add_column(col, justify="left" if col == "engine" else "right")
    for r in results["runs"]:
        t.add_row(r["engine"], f"{r['cards']:,}", f"{r['seconds']:.2f}", f"{r['cards_per_s']:.0f}")
    return t


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.card_rate", description=__doc__)
    parser.add_argument("-n", type=int, default=500)
    parser.add_argument("--pg", action="store_true")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    engine = "postgresql" if args.pg else "sqlite"
    os.environ.setdefault("LEADROUTER_LOG_FORMAT", "text")
    result = measure(engine, args.n, profile=args.profile)
    print(result.pop("profile", ""))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Huge bodies cost the bot nothing (issue 19): against a real ``leadrouter run`` process,
100 MB chunked uploads and 2 GB declared bodies are refused while the process's RSS
stays flat and /healthz keeps answering."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bot.http.limits import DEFAULT_MAX_BODY_SLACK
from storage.db import Database
from tests.e2e.harness import CONFIG, WEBHOOK_TOKEN, make_emulator
from tests.e2e.process import BotProcess
from tests.e2e.rawhttp import LAST_CHUNK, RawAnswer, chunk, raw_request

pytestmark = pytest.mark.e2e

MIB = 1024 * 1024
UPLOAD = 100 * MIB
PIECE = b"z" * (64 * 1024)
RSS_TOLERANCE = 20 * MIB


@pytest.fixture
def bot(db: Database, tmp_path: Path) -> Iterator[BotProcess]:
    emu = make_emulator()
    config = tmp_path / "routing.yml"
    config.write_text(CONFIG)
    process = BotProcess(
        database_url=db.url,
        config_path=config,
        slack_api_url=emu.api_url,
        log_path=tmp_path / "bot.log",
    )
    try:
        yield process.start()
    finally:
        process.stop()
        emu.stop()


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def header(method: str, path: str, *lines: str) -> str:
    return "\r\n".join([f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *lines])


def chunked_upload(port: int, path: str, total: int = UPLOAD) -> RawAnswer:
    pieces = (chunk(PIECE) for _ in range(total // len(PIECE)))
    return raw_request(
        port,
        header(
            "POST",
            path,
            "Transfer-Encoding: chunked",
            "Content-Type: application/json",
            f"Authorization: Bearer {WEBHOOK_TOKEN}",
        ),
        (*pieces, LAST_CHUNK),
        timeout=5,
    )


def declared_2gb(port: int, path: str) -> RawAnswer:
    return raw_request(port, header("POST", path, "Content-Length: 2000000000"), timeout=2)


def under_limit_unsigned(port: int) -> RawAnswer:
    """Just under the Slack limit, so it is read whole, then refused as unsigned."""
    body = b"a" * (DEFAULT_MAX_BODY_SLACK - 1)
    return raw_request(
        port,
        header("POST", "/slack/events", f"Content-Length: {len(body)}"),
        [body],
        timeout=5,
    )


class Watch(threading.Thread):
    """Samples the bot's RSS and GET /healthz every 20 ms until stopped."""

    def __init__(self, bot: BotProcess) -> None:
        super().__init__(daemon=True)
        assert bot.proc is not None
        self.pid = bot.proc.pid
        self.url = f"{bot.url}/healthz"
        self.rss: list[int] = []
        self.health: list[int | str] = []
        self.done = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self.done.is_set():
                self.rss.append(rss_bytes(self.pid))
                try:
                    self.health.append(client.get(self.url).status_code)
                except httpx.HTTPError as exc:  # recorded: the assertion names it
                    self.health.append(type(exc).__name__)
                time.sleep(0.02)


def test_rss_stays_flat_and_bot_serves_under_huge_bodies(bot: BotProcess) -> None:
    assert bot.proc is not None
    port = bot.port
    # Warm up every path once, so first-use imports and caches are in the baseline.
    assert chunked_upload(port, "/slack/events", 2 * MIB).status == 413
    assert declared_2gb(port, "/leads").status == 413
    assert under_limit_unsigned(port).status == 401
    time.sleep(0.5)
    baseline = rss_bytes(bot.proc.pid)

    watch = Watch(bot)
    watch.start()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=12) as pool:
        uploads = [pool.submit(chunked_upload, port, p) for p in ["/slack/events", "/leads"] * 3]
        declared = [pool.submit(declared_2gb, port, p) for p in ["/slack/events", "/leads"] * 10]
        near = [pool.submit(under_limit_unsigned, port) for _ in range(20)]
        upload_answers = [f.result() for f in uploads]
        declared_answers = [f.result() for f in declared]
        near_answers = [f.result() for f in near]
    elapsed = time.monotonic() - started
    time.sleep(0.3)  # one more sample after the last request
    watch.done.set()
    watch.join(10)

    for answer in upload_answers:
        assert answer.status == 413, answer.head
        # Refused early: most of the 100 MB was never accepted from the socket.
        assert answer.sent < UPLOAD / 2, answer.sent
    assert all(a.status == 413 for a in declared_answers)
    assert all(a.status == 401 for a in near_answers)
    assert elapsed < 30
    growth = max(watch.rss) - baseline
    assert growth < RSS_TOLERANCE, f"RSS grew {growth / MIB:.1f} MiB from {baseline / MIB:.1f}"
    assert watch.health and all(status == 200 for status in watch.health), watch.health
    assert httpx.get(f"{bot.url}/readyz", timeout=5).status_code == 200

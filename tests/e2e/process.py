"""The bot as a real subprocess (``leadrouter run``), for crash, replica and load tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from slack_emulator import SlackEmulator
from tests.e2e.harness import BOT_TOKEN, SIGNING_SECRET, WEBHOOK_TOKEN

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotProcess:
    def __init__(
        self,
        *,
        database_url: str,
        config_path: Path,
        slack_api_url: str,
        log_path: Path,
        env: dict[str, str] | None = None,
    ) -> None:
        self.extra_env = dict(env or {})
        self.database_url = database_url
        self.config_path = config_path
        self.slack_api_url = slack_api_url
        self.log_path = log_path
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20) -> BotProcess:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "LEADROUTER_CONFIG": str(self.config_path),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": self.slack_api_url,
            "LEADROUTER_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
            "PORT": str(self.port),
            **self.extra_env,
        }
        env.pop("SLACK_APP_TOKEN", None)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"bot exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"bot not ready after {timeout}s: {self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye, like a crashed container."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class Cluster:
    """One emulator and one database shared by bot processes started (and killed) at will:
    restarts after a crash, or replicas side by side."""

    emu: SlackEmulator
    database_url: str
    config_path: Path
    log_dir: Path
    bots: list[BotProcess] = field(default_factory=list)

    def start_bot(self, env: dict[str, str] | None = None) -> BotProcess:
        """A new process; the emulator sends interactive payloads to the newest one."""
        bot = BotProcess(
            database_url=self.database_url,
            config_path=self.config_path,
            slack_api_url=self.emu.api_url,
            log_path=self.log_dir / f"bot{len(self.bots)}.log",
            env=env,
        ).start()
        self.bots.append(bot)
        self.emu.events_url = f"{bot.url}/slack/events"
        return bot

    def post_lead(self, bot: BotProcess, body: dict[str, Any]) -> str:
        response = httpx.post(
            f"{bot.url}/leads",
            json=body,
            headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"},
            timeout=30,
        )
        if response.status_code != 202:
            raise AssertionError(f"lead not accepted: {response.status_code} {response.text}")
        return str(response.json()["id"])

    def stop(self) -> None:
        for bot in self.bots:
            bot.stop()

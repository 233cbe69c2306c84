"""Runs the outbox worker on its own thread, woken the moment work is committed."""

from __future__ import annotations

import logging
import threading

from bot.outbox.worker import OutboxWorker

log = logging.getLogger(__name__)


class OutboxPump:
    def __init__(self, worker: OutboxWorker, *, interval: float = 0.5) -> None:
        self.worker = worker
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-pump", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self.worker.request_stop()
        self.worker.rt.outbox_ready.set()
        self._thread.join(timeout)
        self.worker.close()

    def _run(self) -> None:
        ready = self.worker.rt.outbox_ready
        while not self._stop.is_set():
            ready.wait(self.interval)
            ready.clear()
            if self._stop.is_set():
                break
            try:
                self.worker.drain()
            except Exception:  # e.g. the database is briefly down: log, keep pumping
                log.exception("outbox_drain_failed")
                self._stop.wait(self.interval)

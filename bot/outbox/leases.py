"""Keeps the leases of the outbox rows a worker holds alive while it works on them.

A lease is short (``storage.outbox.LEASE``, seconds), so a worker that dies loses its rows
to the other replicas within seconds. A live one renews every ``HEARTBEAT`` from a thread
of its own (a slow Slack call must not let its row be taken), and before it starts a row
it checks that it still holds it for a while yet: a worker that could not renew (database
unreachable, process frozen) starts nothing another worker may have taken over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.clock import Clock
from storage import outbox
from storage.db import Database

log = logging.getLogger(__name__)

# Start a row only while its lease has at least this long to run (a third of a shorter
# lease): time enough for the next renewal to land before anyone else may claim it.
START_MARGIN = timedelta(seconds=1)


class LeaseKeeper:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        lease: timedelta = outbox.LEASE,
        heartbeat: timedelta = outbox.HEARTBEAT,
    ) -> None:
        self.db = db
        self.clock = clock
        self.lease = lease
        self.heartbeat = heartbeat
        self.token = outbox.new_lease_token()
        self.margin = min(START_MARGIN, lease / 3)
        self._until: dict[int, datetime] = {}  # held rows: until when, as last written
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- what the worker calls --------------------------------------------------------
    def held(self) -> set[int]:
        with self._lock:
            return set(self._until)

    def hold(self, items: Iterable[outbox.Claimed]) -> None:
        with self._lock:
            for item in items:
                self._until[item.id] = (item.leased_at or self.clock.now()) + self.lease
        self._ensure_running()

    def release(self, item_id: int) -> None:
        with self._lock:
            self._until.pop(item_id, None)

    def may_start(self, item_id: int) -> bool:
        """True while this worker's lease on the row has time to run."""
        with self._lock:
            until = self._until.get(item_id)
        return until is not None and until - self.clock.now() >= self.margin

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)

    # -- the heartbeat ----------------------------------------------------------------
    def renew_now(self) -> None:
        ids = self.held()
        if not ids:
            return
        now = self.clock.now()
        renewed = outbox.renew(self.db, token=self.token, ids=ids, now=now, lease=self.lease)
        with self._lock:
            for item_id in ids & set(self._until):
                if item_id in renewed:
                    self._until[item_id] = now + self.lease
                else:
                    # Done meanwhile, or taken over after our lease ran out: never start it.
                    self._until[item_id] = now - self.lease
        lost = ids - renewed
        if lost:
            log.debug("outbox_leases_not_renewed", extra={"rows": sorted(lost)[:20]})

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="outbox-lease-heartbeat", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.heartbeat.total_seconds()):
            try:
                self.renew_now()
            except Exception:  # the database is away: rows stay held until their lease ends
                log.warning("outbox_lease_renewal_failed", exc_info=True)
            with self._lock:
                if not self._until:
                    # Nothing held: stop; the next batch starts a heartbeat again.
                    self._thread = None
                    return

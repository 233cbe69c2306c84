"""Drains the outbox: each row's side effect done once, retried on failure.

A handler either returns a result (the row is done), raises ``Defer`` (try again
later without counting an attempt), raises ``GiveUp`` (visibly dead), or fails
with a Slack error that is classified into retry-after, backoff or give-up.

``attempts`` counts the tries that may have reached Slack: a rate-limited try does not
count (Slack did nothing), so ``attempts > 1`` tells a handler that an earlier try may
have posted (a crash, a 5xx or a lost answer) and it should look before posting again.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.errors import UserFacingError
from bot.outbox.leases import LeaseKeeper
from bot.runtime import Runtime
from bot.slack.errors import classify
from storage import outbox
from storage.events import record_event
from storage.outbox import Claimed

log = logging.getLogger(__name__)

# While rows are in flight, how often to look for newly due ones (a commit in this
# process wakes the pump at once; this covers other replicas' commits and retries).
CLAIM_POLL_S = 0.25

Handler = Callable[[Runtime, Claimed], dict[str, Any]]


class Defer(Exception):
    def __init__(self, reason: str, delay: timedelta = timedelta(seconds=1)) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay


class GiveUp(Exception):
    """The side effect can never succeed; recorded and shown, not retried."""


@dataclass
class OutboxWorker:
    """Processes leased rows; up to ``concurrency`` at once, since each is mostly waiting
    for Slack (50-300 ms a call): one at a time, a burst of fifty leads queued for
    seconds behind each other's cards. A lead's rows still run one after another, in
    the order they were queued (a card is posted before it is updated)."""

    rt: Runtime
    handlers: dict[str, Handler]
    batch: int = 64
    concurrency: int = 16
    lease: timedelta = outbox.LEASE
    heartbeat: timedelta = outbox.HEARTBEAT
    _pool: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _leases: LeaseKeeper | None = field(default=None, init=False, repr=False)
    _stopping: threading.Event = field(default_factory=threading.Event, init=False, repr=False)

    @property
    def leases(self) -> LeaseKeeper:
        if self._leases is None:
            self._leases = LeaseKeeper(
                self.rt.db, self.rt.clock, lease=self.lease, heartbeat=self.heartbeat
            )
        return self._leases

    def drain(self, max_rounds: int = 50) -> int:
        """Process due rows until none are left and none are in flight; returns how many
        ran. ``max_rounds`` bounds the claims that found work, so a steady stream still
        hands control back to the pump now and then."""
        if self.concurrency <= 1:
            return self._drain_one_by_one(max_rounds)
        return self._drain_side_by_side(max_rounds)

    def request_stop(self) -> None:
        """Claim nothing more; what is in flight finishes."""
        self._stopping.set()

    def close(self) -> None:
        self._stopping.set()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if self._leases is not None:
            self._leases.stop()

    def _claim(self, limit: int) -> list[Claimed]:
        leases = self.leases
        items = outbox.claim_batch(
            self.rt.db,
            now=self.rt.clock.now(),
            limit=limit,
            lease=self.lease,
            token=leases.token,
            exclude=leases.held(),
        )
        if items:
            leases.hold(items)
        return items

    def _drain_one_by_one(self, max_rounds: int) -> int:
        done = 0
        for _ in range(max_rounds):
            if self._stopping.is_set():
                break
            items = self._claim(self.batch)
            if not items:
                break
            for item in items:
                self._process_held(item)
            done += len(items)
        return done

    def _drain_side_by_side(self, max_rounds: int) -> int:
        """Claims again as soon as rows finish, instead of waiting for a whole batch: a
        slow Slack call holds up only its own lead's rows, never the next claim (which
        is also how a dead replica's rows are taken over the moment their lease ends)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="outbox")
        pool = self._pool
        queues: dict[tuple[str, Any], deque[Claimed]] = {}
        lock = threading.Lock()
        in_flight: set[Future[int]] = set()
        done = rounds = 0

        def run_group(key: tuple[str, Any]) -> int:
            ran = 0
            try:
                while True:
                    with lock:
                        queue = queues[key]
                        if not queue:
                            del queues[key]
                            return ran
                        item = queue.popleft()
                    self._process_held(item)
                    ran += 1
            except BaseException:
                # Rows queued behind a failure are let go: their leases lapse and they
                # are claimed again, in order, by whoever drains next.
                with lock:
                    for item in queues.pop(key, ()):
                        self.leases.release(item.id)
                raise

        while True:
            room = self.batch - len(self.leases.held())
            items: list[Claimed] = []
            if room > 0 and rounds < max_rounds and not self._stopping.is_set():
                items = self._claim(room)
                rounds += 1 if items else 0
            for item in items:
                key = group_key(item)
                with lock:
                    queue = queues.get(key)
                    if queue is not None:  # its lead's rows are running: join the line
                        queue.append(item)
                        continue
                    queues[key] = deque([item])
                in_flight.add(pool.submit(run_group, key))
            if not in_flight:
                break
            if items and len(items) == room:
                continue  # claimed all we had room for: more may be due
            finished, _ = wait(in_flight, timeout=CLAIM_POLL_S, return_when=FIRST_COMPLETED)
            for future in finished:
                in_flight.discard(future)
                try:
                    done += future.result()
                except Exception:
                    log.exception("outbox_group_failed")
        return done

    def _process_held(self, item: Claimed) -> None:
        try:
            if item.token is not None and not self.leases.may_start(item.id):
                # Our lease on it ran out (we could not renew in time): another worker
                # may hold it now. Leave it; whoever holds it next does it.
                log.warning("outbox_lease_lapsed", extra={"key": item.key, "kind": item.kind})
                return
            self.process(item)
        finally:
            self.leases.release(item.id)

    def process(self, item: Claimed) -> None:
        handler = self.handlers.get(item.kind)
        now = self.rt.clock.now()
        try:
            if handler is None:
                raise GiveUp(f"no handler for outbox kind {item.kind!r}")
            result = handler(self.rt, item)
        except Defer as exc:
            with self.rt.db.session() as s:
                outbox.retry_later(
                    s,
                    item.id,
                    error=exc.reason,
                    at=now + exc.delay,
                    count_attempt=False,
                    token=item.token,
                )
            return
        except (GiveUp, UserFacingError) as exc:
            self._give_up(item, str(exc))
            return
        except SlackApiError as exc:
            failure = classify(exc)
            if failure.permanent:
                self._give_up(item, f"Slack said {failure.error}")
                return
            if failure.retry_after is not None:
                # Rate limited: Slack refused the call without doing it. Not an attempt
                # that may have reached Slack, so the next try needs no recovery check
                # (a history lookup per throttled post would itself be throttled).
                self._throttled(item, failure.describe(), failure.retry_after)
                return
            self._retry(item, failure.describe(), outbox.backoff(item.attempts))
            return
        except Exception as exc:  # a bug or an outage: keep the row, retry with backoff
            log.exception("outbox_handler_failed", extra={"key": item.key, "kind": item.kind})
            self._retry(item, f"{type(exc).__name__}: {exc}", outbox.backoff(item.attempts))
            return
        with self.rt.db.session() as s:
            held = outbox.complete(
                s, item.id, now=self.rt.clock.now(), result=result, token=item.token
            )
        if not held:
            # Our lease lapsed mid-call and another worker holds the row: it looks for
            # what we did (the post's metadata) before doing it again.
            log.warning("outbox_lease_lost", extra={"key": item.key, "kind": item.kind})
            return
        self.rt.metrics.deliveries.labels(item.kind, "done").inc()

    def _throttled(self, item: Claimed, error: str, retry_after: float) -> None:
        at = self.rt.clock.now() + timedelta(seconds=retry_after)
        with self.rt.db.session() as s:
            outbox.retry_later(
                s, item.id, error=error, at=at, count_attempt=False, token=item.token
            )
        self.rt.metrics.deliveries.labels(item.kind, "throttled").inc()

    def _retry(self, item: Claimed, error: str, delay: timedelta) -> None:
        now = self.rt.clock.now()
        if item.attempts >= outbox.MAX_ATTEMPTS:
            self._give_up(item, f"gave up after {item.attempts} attempts: {error}")
            return
        log.warning(
            "outbox_retry",
            extra={"key": item.key, "error": error, "delay_s": delay.total_seconds()},
        )
        with self.rt.db.session() as s:
            outbox.retry_later(s, item.id, error=error, at=now + delay, token=item.token)
        self.rt.metrics.deliveries.labels(item.kind, "retry").inc()

    def _give_up(self, item: Claimed, error: str) -> None:
        now = self.rt.clock.now()
        with self.rt.db.session() as s:
            if not outbox.give_up(s, item.id, error=error, now=now, token=item.token):
                log.warning("outbox_lease_lost", extra={"key": item.key, "kind": item.kind})
                return
            record_event(
                s, lead_id=item.lead_id, kind="delivery.failed", at=now, key=item.key, error=error
            )
        # Counted only once the row is ours to give up (not when another worker holds it).
        log.error("outbox_gave_up", extra={"key": item.key, "error": error})
        self.rt.metrics.deliveries.labels(item.kind, "dead").inc()


def group_key(item: Claimed) -> tuple[str, Any]:
    """What a row concerns: its lead; else the person or the row itself. Rows with one
    key run one after another, in the order claimed."""
    payload = item.payload or {}
    person = payload.get("rep") or payload.get("admin") or payload.get("recipient")
    if item.lead_id is not None:
        return ("lead", item.lead_id)
    if person is not None:
        return ("person", person)
    return ("row", item.id)


def in_order_groups(items: list[Claimed]) -> list[list[Claimed]]:
    """The rows by what they concern, each group in the order claimed: groups may run
    side by side, a group's rows one after another."""
    groups: dict[tuple[str, Any], list[Claimed]] = {}
    for item in items:
        groups.setdefault(group_key(item), []).append(item)
    return list(groups.values())

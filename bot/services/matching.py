"""Live lead-to-account matching and dedupe: fills ``account.*`` and ``duplicate.*``.

The match index (``routing.matching.MatchIndex``) is built from the local CRM tables and
kept in memory; it is rebuilt when the ``crm`` generation moves (a sync page, a CSV load,
a user sync) or the config changes (owners map to reps through the roster). With no CRM
data at all, nothing is added: ``account.matched`` stays missing rather than false, so a
team without Salesforce sees no match claims.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any

from bot.salesforce.ids import is_salesforce_id, to_18
from routing.config.models import RoutingConfig
from routing.matching import MatchIndex
from storage.crm import CrmSnapshot, generation, load_snapshot
from storage.db import Database, UnitOfWork

log = logging.getLogger(__name__)


def owner_map(config: RoutingConfig, user_emails: Mapping[str, str]) -> dict[str, str]:
    """Salesforce owner reference -> rep id: a user id (by the rep's ``salesforce_user``
    or e-mail), or an e-mail or rep id as a CSV export may carry."""
    out: dict[str, str] = {}
    by_email: dict[str, str] = {}
    for rep in config.reps:
        out.setdefault(rep.id, rep.id)
        if rep.email:
            by_email.setdefault(rep.email.lower(), rep.id)
            out.setdefault(rep.email.lower(), rep.id)
    for user_id, email in sorted(user_emails.items()):
        rep_id = by_email.get(email.lower())
        if rep_id is not None:
            out.setdefault(user_id, rep_id)
    for rep in config.reps:  # an explicit salesforce_user wins over an e-mail match
        ref = (rep.salesforce_user or "").strip()
        if is_salesforce_id(ref):
            out[to_18(ref) if len(ref) == 15 else ref] = rep.id
        elif ref:
            out[ref.lower()] = rep.id
    return out


class _Owners(dict[str, str]):
    """Owner lookups that also accept an e-mail in any case."""

    def get(self, key: Any, default: Any = None) -> Any:
        found = super().get(key)
        if found is None and isinstance(key, str):
            found = super().get(key.strip().lower())
        return default if found is None else found


def owner_lookup(config: RoutingConfig, user_emails: Mapping[str, str]) -> _Owners:
    return _Owners(owner_map(config, user_emails))


class Matcher:
    """Thread-safe; one per process.

    The first index is built on the spot. After that a change (a sync page, a CSV load)
    is picked up by rebuilding in a background thread while leads keep matching against
    the previous index: at 50,000 accounts a rebuild takes seconds, which must not land
    on one unlucky lead's path to Slack.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, str, float] | None = None
        self._index: MatchIndex | None = None
        self._owners: _Owners = _Owners()
        self._refreshing: threading.Thread | None = None

    def enrich(
        self,
        session: UnitOfWork,
        config: RoutingConfig,
        fields: Mapping[str, Any],
        *,
        salesforce_id: str | None = None,
        db: Database | None = None,
    ) -> dict[str, Any]:
        """``fields`` plus the match fields and a ``match_trace`` (why it matched).

        With ``db``, a stale index is refreshed in the background (else on the spot)."""
        out = dict(fields)
        index, owners = self._current(session, config, db)
        if index is None:
            return out
        lead = {**fields, "salesforce_id": salesforce_id} if salesforce_id else fields
        result = index.match(lead, owner_to_rep=owners)
        out.update(result.fields())
        out["match_trace"] = list(result.trace)
        return out

    def wait_refreshed(self, timeout: float = 30) -> None:
        """Tests and the CLI: block until a background rebuild, if any, is done."""
        thread = self._refreshing
        if thread is not None:
            thread.join(timeout)

    def _key_for(self, session: UnitOfWork, config: RoutingConfig) -> tuple[int, str, float]:
        return (generation(session), config.version, config.salesforce.match_threshold)

    def _current(
        self, session: UnitOfWork, config: RoutingConfig, db: Database | None
    ) -> tuple[MatchIndex | None, _Owners]:
        key = self._key_for(session, config)
        with self._lock:
            if key == self._key:
                return self._index, self._owners
            if self._index is not None and db is not None:
                if self._refreshing is None:
                    self._refreshing = threading.Thread(
                        target=self._refresh, args=(db, config), name="match-index", daemon=True
                    )
                    self._refreshing.start()
                return self._index, self._owners
            snapshot = load_snapshot(session)
            self._install(self._build(snapshot, key[2]), snapshot, config, key)
            return self._index, self._owners

    def _refresh(self, db: Database, config: RoutingConfig) -> None:
        try:
            with db.session() as session:
                key = self._key_for(session, config)
                snapshot = load_snapshot(session)
            built = self._build(snapshot, key[2])
            with self._lock:
                self._install(built, snapshot, config, key)
        except Exception:  # the old index keeps serving; the next lead tries again
            log.exception("match_index_refresh_failed")
        finally:
            with self._lock:
                self._refreshing = None

    def _install(
        self,
        index: MatchIndex | None,
        snapshot: CrmSnapshot,
        config: RoutingConfig,
        key: tuple[int, str, float],
    ) -> None:
        self._index = index
        self._owners = owner_lookup(config, snapshot.user_emails)
        self._key = key

    @staticmethod
    def _build(snapshot: CrmSnapshot, threshold: float) -> MatchIndex | None:
        if snapshot.empty:
            return None
        started = time.perf_counter()
        index = MatchIndex.build(
            snapshot.accounts, snapshot.contacts, snapshot.open_leads, threshold=threshold
        )
        log.info(
            "match_index_built",
            extra={
                "accounts": len(snapshot.accounts),
                "contacts": len(snapshot.contacts),
                "open_leads": len(snapshot.open_leads),
                "seconds": round(time.perf_counter() - started, 3),
            },
        )
        return index

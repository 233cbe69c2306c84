"""Reps <-> Slack users, matched by email and cached in the database."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.clock import Clock
from bot.config_store import ConfigStore
from bot.errors import RepNotInSlack
from bot.slack.errors import classify
from storage.db import Database
from storage.slack_users import delete_mapping, rep_of_slack_user, save_lookup, slack_mapping

log = logging.getLogger(__name__)
# Slack accounts change rarely; a day-old mapping is refreshed on next use.
MAPPING_TTL = timedelta(hours=24)


class SlackDirectory:
    def __init__(self, db: Database, client: WebClient, config: ConfigStore, clock: Clock) -> None:
        self.db = db
        self.client = client
        self.config = config
        self.clock = clock
        self._lock = threading.Lock()
        self._by_rep: dict[str, str] = {}
        self._by_user: dict[str, str] = {}

    def slack_user_for(self, rep_id: str) -> str:
        """The rep's Slack user id; raises RepNotInSlack (permanent) or SlackApiError."""
        rep = self.config.config.reps_by_id.get(rep_id)
        if rep is not None and rep.slack_user:
            return rep.slack_user
        with self._lock:
            if rep_id in self._by_rep:
                return self._by_rep[rep_id]
        now = self.clock.now()
        email = rep.email if rep is not None else None
        with self.db.session() as session:
            row = slack_mapping(session, rep_id)
        if (
            row is not None
            and row.slack_user_id
            and row.email == email
            and now - row.looked_up_at < MAPPING_TTL
        ):
            self._remember(rep_id, row.slack_user_id)
            return row.slack_user_id
        if not email:
            raise RepNotInSlack(rep_id, None, "no email")
        try:
            user_id = str(self.client.users_lookupByEmail(email=email)["user"]["id"])
            error = None
        except SlackApiError as exc:
            failure = classify(exc)
            if not failure.permanent:
                raise
            user_id, error = None, failure.error
        with self.db.session() as session:
            save_lookup(session, rep_id, email=email, slack_user_id=user_id, error=error, now=now)
        if user_id is None:
            raise RepNotInSlack(rep_id, email, error or "not found")
        self._remember(rep_id, user_id)
        return user_id

    def rep_for(self, slack_user_id: str) -> str | None:
        """The rep id of a Slack user, or None when they are not a rep."""
        reps = self.config.config.reps_by_id
        for rep in reps.values():
            if rep.slack_user == slack_user_id:
                return rep.id
        with self._lock:
            cached = self._by_user.get(slack_user_id)
        if cached is not None and cached in reps:
            return cached
        with self.db.session() as session:
            found = rep_of_slack_user(session, slack_user_id)
        if found is not None and found in reps:
            self._remember(found, slack_user_id)
            return found
        try:
            profile = self.client.users_info(user=slack_user_id)["user"]["profile"]
        except SlackApiError as exc:
            log.warning("slack_users_info_failed", extra={"error": classify(exc).error})
            return None
        email = str(profile.get("email") or "").strip().lower()
        for rep in reps.values():
            if rep.email and rep.email.lower() == email:
                self._remember(rep.id, slack_user_id)
                return rep.id
        return None

    def _remember(self, rep_id: str, slack_user_id: str) -> None:
        with self._lock:
            self._by_rep[rep_id] = slack_user_id
            self._by_user[slack_user_id] = rep_id

    def forget(self, rep_id: str) -> None:
        """Drop a mapping Slack says is stale; the next use looks the rep up again."""
        with self._lock:
            user = self._by_rep.pop(rep_id, None)
            if user is not None:
                self._by_user.pop(user, None)
        with self.db.session() as session:
            delete_mapping(session, rep_id)

    def warm(self) -> list[RepNotInSlack]:
        """Resolve every rep now (start-up, then periodically); returns the unmapped."""
        missing = []
        for rep in self.config.config.reps:
            if rep.slack_user:
                continue
            with self._lock:
                self._by_rep.pop(rep.id, None)  # re-check stale entries against the DB TTL
            try:
                self.slack_user_for(rep.id)
            except RepNotInSlack as exc:
                missing.append(exc)
        return missing

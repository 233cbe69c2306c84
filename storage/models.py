"""SQLAlchemy models: the database is the source of truth."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import JSONType, UTCDateTime

# Short public ids ("L-1042") are the primary key plus this offset, so they read
# like ticket numbers and never need a second sequence.
LEAD_ID_OFFSET = 1000


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSONType}


def table_of(model: type[Base]) -> Table:
    """A model's Table, for Core inserts (SQLAlchemy types ``__table__`` as a FromClause)."""
    return cast(Table, model.__table__)


class Lead(Base):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    salesforce_id: Mapped[str | None] = mapped_column(String(18), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    source: Mapped[str] = mapped_column(String(32))
    # new -> offered -> accepted; or queued -> accepted (claimed); or unrouted.
    state: Mapped[str] = mapped_column(String(16), index=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType)
    raw: Mapped[dict[str, Any]] = mapped_column(JSONType)
    received_at: Mapped[datetime]
    created_at: Mapped[datetime | None]
    routed_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)
    queue_id: Mapped[str | None] = mapped_column(String(64))
    # The open-claim card in the queue's channel, once posted.
    queue_channel: Mapped[str | None] = mapped_column(String(32))
    queue_message_ts: Mapped[str | None] = mapped_column(String(32))
    score: Mapped[int | None]
    tier: Mapped[str | None] = mapped_column(String(32))
    score_reasons: Mapped[list[Any] | None] = mapped_column(JSONType)
    config_version: Mapped[str | None] = mapped_column(String(32))

    decisions: Mapped[list[Decision]] = relationship(
        back_populates="lead", order_by="Decision.id", lazy="selectin"
    )
    offers: Mapped[list[Offer]] = relationship(
        back_populates="lead", order_by="Offer.id", lazy="selectin"
    )

    @property
    def public_id(self) -> str:
        return f"L-{self.id + LEAD_ID_OFFSET}"


class Decision(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    decided_at: Mapped[datetime]
    rule: Mapped[str | None] = mapped_column(String(255))
    target: Mapped[str | None] = mapped_column(String(32))
    assignee: Mapped[str | None] = mapped_column(String(64))
    queue_id: Mapped[str | None] = mapped_column(String(64))
    pool_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    trace: Mapped[list[Any]] = mapped_column(JSONType)
    config_version: Mapped[str] = mapped_column(String(32))

    lead: Mapped[Lead] = relationship(back_populates="decisions")


class Offer(Base):
    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    rep_id: Mapped[str] = mapped_column(String(64))
    offered_at: Mapped[datetime]
    deadline: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    # pending | accepted | declined | timed_out | revoked
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    # Where the card lives, filled in when the outbox has posted it.
    channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    # When Slack took the card: the rep could see the offer from then (the SLA clock).
    delivered_at: Mapped[datetime | None]
    # The SLA ladder as it was when the offer started: reloads never change it.
    sla: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    lead: Mapped[Lead] = relationship(back_populates="offers")

    __table_args__ = (Index("ix_offers_rep_outcome", "rep_id", "outcome"),)


class Event(Base):
    """Append-only log of everything that happened to a lead."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class PoolState(Base):
    """Rotation state of a pool, updated in the same transaction as the assignment."""

    __tablename__ = "pool_state"

    pool_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]


class RepPresence(Base):
    __tablename__ = "rep_presence"

    rep_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    away_until: Mapped[datetime | None]
    away_since: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class SlackUser(Base):
    """Rep -> Slack user mapping, looked up by email and cached."""

    __tablename__ = "slack_users"

    rep_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(255))
    slack_user_id: Mapped[str | None] = mapped_column(String(32), index=True)
    # The bot's DM channel with the user (D...), known after the first post.
    dm_channel: Mapped[str | None] = mapped_column(String(32))
    looked_up_at: Mapped[datetime]
    error: Mapped[str | None] = mapped_column(String(64))


class Timer(Base):
    __tablename__ = "timers"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One timer per intent: inserting the same key twice is a no-op.
    key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    due_at: Mapped[datetime]
    # pending | done | cancelled
    status: Mapped[str] = mapped_column(String(16))
    locked_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    fired_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_timers_status_due", "status", "due_at"),
        Index("ix_timers_offer_id", "offer_id"),
    )


class OutboxItem(Base):
    """A side effect to perform exactly once per intent (Slack post, Salesforce write)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(64))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # pending | done | dead
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    # The lease: until when, held by whom (a worker's token), taken when.
    locked_until: Mapped[datetime | None]
    lease_token: Mapped[str | None] = mapped_column(String(32))
    leased_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    done_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("key", name="uq_outbox_key"),
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
    )


class ProcessedRequest(Base):
    """Slack event ids and action keys already handled (retries and double clicks)."""

    __tablename__ = "processed_requests"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    at: Mapped[datetime]


class SyncState(Base):
    """Progress of one Salesforce sync (``leads.poll``): high-water mark and counters."""

    __tablename__ = "sync_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The largest SystemModstamp seen; the next poll starts a little before it (overlap).
    high_water: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class SalesforceUser(Base):
    """Salesforce users (``SELECT Id, Email, IsActive FROM User``): reps map to them by email."""

    __tablename__ = "salesforce_users"

    id: Mapped[str] = mapped_column(String(18), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    username: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool]
    synced_at: Mapped[datetime]


class CrmAccount(Base):
    """Accounts the org already has (Salesforce sync or a CSV export), for matching."""

    __tablename__ = "crm_accounts"

    id: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    website: Mapped[str | None] = mapped_column(String(255))
    country: Mapped[str | None] = mapped_column(String(80))
    owner_id: Mapped[str | None] = mapped_column(String(18))
    source: Mapped[str] = mapped_column(String(16))  # salesforce | csv
    modstamp: Mapped[datetime | None]
    synced_at: Mapped[datetime]


class CrmContact(Base):
    """Contacts, for duplicate detection and the account's contacts at a domain."""

    __tablename__ = "crm_contacts"

    id: Mapped[str] = mapped_column(String(18), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(18))
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    first_name: Mapped[str | None] = mapped_column(String(120))
    last_name: Mapped[str | None] = mapped_column(String(120))
    owner_id: Mapped[str | None] = mapped_column(String(18))
    source: Mapped[str] = mapped_column(String(16))
    modstamp: Mapped[datetime | None]
    synced_at: Mapped[datetime]


class CrmOpenLead(Base):
    """Unconverted Salesforce leads, for duplicate detection (converted ones are removed)."""

    __tablename__ = "crm_open_leads"

    id: Mapped[str] = mapped_column(String(18), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(255), index=True)
    company: Mapped[str | None] = mapped_column(String(255))
    first_name: Mapped[str | None] = mapped_column(String(120))
    last_name: Mapped[str | None] = mapped_column(String(120))
    owner_id: Mapped[str | None] = mapped_column(String(18))
    source: Mapped[str] = mapped_column(String(16))
    modstamp: Mapped[datetime | None]
    synced_at: Mapped[datetime]

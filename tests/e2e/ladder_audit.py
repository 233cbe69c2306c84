"""Counting SLA ladder steps twice: at the Slack emulator and in the database.

Used by the crash, replica and race tests: every step of every ladder must have
happened exactly once, whatever crashed or ran concurrently in between.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from slack_emulator import SlackEmulator
from storage.db import Database
from storage.models import Event, Lead, Offer, OutboxItem, Timer

CARD_EVENT = "leadrouter_card"


def aware(value: datetime) -> datetime:
    """SQLite hands back naive UTC; PostgreSQL aware values."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass
class LeadLadder:
    """What one lead went through, as the database tells it."""

    id: int
    public_id: str
    state: str
    queue_id: str | None
    offers: list[tuple[int, str, str]]  # (offer id, rep, outcome) in order


@dataclass
class SlackCounts:
    """What the emulator saw, per offer and per lead."""

    cards: Counter[int] = field(default_factory=Counter)  # offer id -> cards posted
    card_ts: dict[tuple[str, str], int] = field(default_factory=dict)  # (channel, ts) -> offer
    reminders: Counter[int] = field(default_factory=Counter)  # offer id -> reminders
    pings: Counter[str] = field(default_factory=Counter)  # lead public id -> manager pings
    queue_cards: Counter[int] = field(default_factory=Counter)  # lead id -> queue cards
    admin_alerts: Counter[str] = field(default_factory=Counter)  # lead public id -> alerts


def ladders(db: Database) -> list[LeadLadder]:
    with db.session() as session:
        leads = session.scalars(select(Lead).order_by(Lead.id)).all()
        offers = session.scalars(select(Offer).order_by(Offer.id)).all()
        by_lead: dict[int, list[tuple[int, str, str]]] = {}
        for offer in offers:
            by_lead.setdefault(offer.lead_id, []).append((offer.id, offer.rep_id, offer.outcome))
        return [
            LeadLadder(lead.id, lead.public_id, lead.state, lead.queue_id, by_lead.get(lead.id, []))
            for lead in leads
        ]


def slack_counts(
    emu: SlackEmulator, *, manager: str, admin: str, queue_channel: str
) -> SlackCounts:
    counts = SlackCounts()
    messages = emu.messages()
    for msg in messages:
        meta = msg.get("metadata") or {}
        if meta.get("event_type") != CARD_EVENT:
            continue
        payload = meta.get("event_payload") or {}
        if "offer_id" in payload:
            offer_id = int(payload["offer_id"])
            counts.cards[offer_id] += 1
            counts.card_ts[(msg["channel"], msg["ts"])] = offer_id
        elif "lead_id" in payload and msg["channel"] == queue_channel:
            counts.queue_cards[int(payload["lead_id"])] += 1
    manager_dm = emu.dm_channel_for(manager)
    admin_dm = emu.dm_channel_for(admin)
    for msg in messages:
        text = str(msg.get("text") or "")
        thread = msg.get("thread_ts")
        if thread and thread != msg["ts"] and text.startswith(":alarm_clock: Reminder"):
            counts.reminders[counts.card_ts[(msg["channel"], thread)]] += 1
        elif msg["channel"] == manager_dm and "to accept" in text:
            counts.pings[text.split(" ", 1)[0]] += 1
        elif msg["channel"] == admin_dm and text.startswith(":rotating_light: Lead *"):
            counts.admin_alerts[text.split("*")[1]] += 1
    return counts


def outbox_open(db: Database) -> int:
    """Outbox rows not yet delivered (pending); dead rows count too: they must not exist."""
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count()).select_from(OutboxItem).where(OutboxItem.status != "done")
            )
            or 0
        )


def check_database(db: Database, now: datetime) -> None:
    """Every timer done, skipped or cancelled, each fired at most once; no outbox key twice;
    no step recorded twice in the event log."""
    with db.session() as session:
        statuses = Counter(session.scalars(select(Timer.status)).all())
        assert set(statuses) <= {"done", "skipped", "cancelled", "pending"}, statuses
        overdue = session.scalars(
            select(Timer).where(Timer.status == "pending", Timer.due_at <= now)
        ).all()
        assert overdue == [], [(t.key, t.due_at) for t in overdue]
        refired = session.scalars(
            select(Timer.key).where(Timer.status.in_(["done", "skipped"]), Timer.attempts != 1)
        ).all()
        assert refired == [], f"timers fired or retried more than once: {refired}"
        doubled_keys = session.execute(
            select(OutboxItem.key, func.count()).group_by(OutboxItem.key).having(func.count() > 1)
        ).all()
        assert doubled_keys == []
        not_done = session.execute(
            select(OutboxItem.key, OutboxItem.status, OutboxItem.last_error).where(
                OutboxItem.status != "done"
            )
        ).all()
        assert not_done == [], not_done
        steps: Counter[tuple[Any, ...]] = Counter()
        for kind, data in session.execute(
            select(Event.kind, Event.data).where(Event.kind.in_(["sla.reminded", "sla.escalated"]))
        ).all():
            steps[(kind, data.get("offer"), data.get("step"))] += 1
        doubled_steps = {k: n for k, n in steps.items() if n > 1}
        assert doubled_steps == {}, doubled_steps


def fired_steps(db: Database) -> dict[int, Counter[str]]:
    """offer id -> how many steps of each kind (remind / notify / reassign) fired as done."""
    out: dict[int, Counter[str]] = {}
    with db.session() as session:
        for timer in session.scalars(select(Timer).where(Timer.status == "done")):
            step = timer.payload.get("step") or {}
            kinds = ["remind"] if timer.kind == "remind" else []
            if step.get("notify"):
                kinds.append("notify")
            if step.get("reassign"):
                kinds.append("reassign")
            if step.get("open_claim"):
                kinds.append("open_claim")
            counter = out.setdefault(int(timer.offer_id or 0), Counter())
            counter.update(kinds)
    return out


def skipped_reminders(db: Database) -> Counter[int]:
    """offer id -> reminders fired but not sent: the offer had ended before delivery
    (a catch-up after downtime fires remind, notify and reassign in one go)."""
    out: Counter[int] = Counter()
    with db.session() as session:
        rows = session.execute(
            select(OutboxItem.payload, OutboxItem.result).where(OutboxItem.kind == "slack.remind")
        ).all()
    for payload, result in rows:
        if result and "skipped" in result:
            out[int(payload["offer_id"])] += 1
    return out


def assert_every_step_once(
    emu: SlackEmulator,
    db: Database,
    *,
    leads: int,
    manager: str,
    admin: str,
    queue_channel: str,
    queue: str,
) -> None:
    """Every lead ran the whole two-offer ladder (remind, notify, reassign; then remind,
    notify, reassign at the bound -> open claim + admin alert), each step exactly once."""
    ladder = ladders(db)
    counts = slack_counts(emu, manager=manager, admin=admin, queue_channel=queue_channel)
    steps = fired_steps(db)
    unsent = skipped_reminders(db)
    assert len(ladder) == leads
    for lead in ladder:
        assert lead.state == "queued" and lead.queue_id == queue, lead
        assert [o[2] for o in lead.offers] == ["timed_out", "timed_out"], lead
        assert lead.offers[0][1] != lead.offers[1][1], lead
        for offer_id, _, _ in lead.offers:
            assert counts.cards[offer_id] == 1, (lead, offer_id, counts.cards[offer_id])
            # sent, or fired and then not sent because the offer had ended meanwhile
            sent = counts.reminders[offer_id]
            assert sent + unsent[offer_id] == 1, (lead, offer_id, sent, unsent[offer_id])
            assert steps[offer_id] == {"remind": 1, "notify": 1, "reassign": 1}, steps[offer_id]
        assert counts.pings[lead.public_id] == 2, (lead, counts.pings[lead.public_id])
        assert counts.queue_cards[lead.id] == 1, (lead, counts.queue_cards[lead.id])
        assert counts.admin_alerts[lead.public_id] == 1, (lead, counts.admin_alerts)
    posts = [c for c in emu.calls("chat.postMessage") if c.response.get("ok")]
    # 2 cards, 2 reminders, 2 pings, 1 queue card, 1 admin alert per lead; nothing more
    expected = leads * 8 - sum(unsent.values())
    if len(posts) != expected:
        texts = Counter(str(c.args.get("text", ""))[:50] for c in posts)
        raise AssertionError(f"{len(posts)} posts, expected {expected}: {texts.most_common(5)}")
    check_database(db, datetime.now(UTC))

"""Side effects as typed values: what should happen outside the database once a change
commits (post a card, ping a manager, write an owner to Salesforce).

The application decides them; ``storage.outbox.enqueue_effect`` stores one as an outbox
row (its ``KIND`` and ``payload()``); the bot's adapters perform it. These classes are
the only place outbox kinds are spelled, and ``parse`` turns a stored row back into its
value.
"""

from __future__ import annotations

from dataclasses import MISSING, asdict, dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar, Literal, Self


class OutboxKind(StrEnum):
    OFFER_CARD = "slack.offer_card"
    OFFER_UPDATE = "slack.offer_update"
    QUEUE_CARD = "slack.queue_card"
    QUEUE_CARD_UPDATE = "slack.queue_card_update"
    UNROUTED_ALERT = "slack.unrouted_alert"
    ADMIN_ALERT = "slack.admin_alert"
    REMIND = "slack.remind"
    ESCALATION_NOTICE = "slack.escalation_notice"
    HOME_PUBLISH = "slack.home_publish"
    SALESFORCE_FETCH = "salesforce.fetch_lead"
    SALESFORCE_OWNER = "salesforce.owner_update"
    SALESFORCE_TASK = "salesforce.task"
    SALESFORCE_SCORE = "salesforce.score"


@dataclass(frozen=True)
class Effect:
    KIND: ClassVar[OutboxKind]

    def payload(self) -> dict[str, Any]:
        """The row's JSON payload; ``None`` fields are left out."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Self:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in payload.items() if k in known})


@dataclass(frozen=True)
class PostOfferCard(Effect):
    KIND = OutboxKind.OFFER_CARD
    offer_id: int


@dataclass(frozen=True)
class UpdateOfferCard(Effect):
    """Render the offer's card as it is now (accepted, declined, timed out, revoked)."""

    KIND = OutboxKind.OFFER_UPDATE
    offer_id: int


@dataclass(frozen=True)
class PostQueueCard(Effect):
    KIND = OutboxKind.QUEUE_CARD
    lead_id: int
    queue: str


@dataclass(frozen=True)
class UpdateQueueCard(Effect):
    KIND = OutboxKind.QUEUE_CARD_UPDATE
    lead_id: int


@dataclass(frozen=True)
class UnroutedAlert(Effect):
    """Tell one admin that no rule found an eligible rep for the lead."""

    KIND = OutboxKind.UNROUTED_ALERT
    lead_id: int
    admin: str


@dataclass(frozen=True)
class AdminAlert(Effect):
    """A DM to one admin. ``text`` is Slack text already escaped by the bot."""

    KIND = OutboxKind.ADMIN_ALERT
    admin: str
    text: str


@dataclass(frozen=True)
class SlaAlert(Effect):
    """An SLA problem for one admin, as facts: the bot words and escapes it."""

    KIND = OutboxKind.ADMIN_ALERT
    admin: str
    lead: str  # the lead's public id
    sla_problem: str


@dataclass(frozen=True)
class Remind(Effect):
    KIND = OutboxKind.REMIND
    offer_id: int
    by: str | None = None  # a manager's nudge; None for the ladder's own reminder


@dataclass(frozen=True)
class Recipient:
    """Who an escalation notice goes to: a rep (their DM) or a channel (name or id)."""

    kind: Literal["rep", "channel"]
    target: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.target}"

    @classmethod
    def parse(cls, key: str) -> Recipient:
        kind, _, target = key.partition(":")
        if kind not in ("rep", "channel") or not target:
            raise ValueError(f"not a recipient: {key!r}")
        return cls("rep" if kind == "rep" else "channel", target)


@dataclass(frozen=True)
class EscalationNotice(Effect):
    """A late offer, told to a recipient: ``Recipient.key`` (``rep:<id>``,
    ``channel:<name or id>``), stored as text so the row stays plain JSON."""

    KIND = OutboxKind.ESCALATION_NOTICE
    offer_id: int
    recipient: str
    step: dict[str, Any]

    @property
    def to(self) -> Recipient:
        return Recipient.parse(self.recipient)


@dataclass(frozen=True)
class PublishHome(Effect):
    KIND = OutboxKind.HOME_PUBLISH
    rep: str


@dataclass(frozen=True)
class FetchSalesforceLead(Effect):
    KIND = OutboxKind.SALESFORCE_FETCH
    lead_id: int
    salesforce_id: str


@dataclass(frozen=True)
class SalesforceOwner(Effect):
    KIND = OutboxKind.SALESFORCE_OWNER
    lead_id: int
    salesforce_id: str
    rep_id: str


@dataclass(frozen=True)
class SalesforceTask(Effect):
    KIND = OutboxKind.SALESFORCE_TASK
    lead_id: int
    salesforce_id: str
    rep_id: str
    public_id: str


@dataclass(frozen=True)
class SalesforceScore(Effect):
    KIND = OutboxKind.SALESFORCE_SCORE
    lead_id: int
    salesforce_id: str
    rep_id: str
    score: int | float | None = None
    tier: str | None = None


def _required(cls: type[Effect]) -> set[str]:
    return {f.name for f in fields(cls) if f.default is MISSING}


BY_KIND: dict[OutboxKind, list[type[Effect]]] = {}
for _cls in Effect.__subclasses__():
    BY_KIND.setdefault(_cls.KIND, []).append(_cls)


def parse(kind: str, payload: dict[str, Any]) -> Effect:
    """A stored row back as its value: the class of its kind whose required fields the
    payload has (admin alerts come as worded text or as SLA facts)."""
    for cls in BY_KIND[OutboxKind(kind)]:
        if _required(cls) <= payload.keys():
            return cls.from_payload(payload)
    raise ValueError(f"a {kind} row without the fields it needs: {sorted(payload)}")

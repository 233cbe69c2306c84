"""Action ids and button values: one place, checked against manifest.yml in tests."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import UserFacingError

T = TypeVar("T", bound=BaseModel)


class ActionId(StrEnum):
    ACCEPT = "offer_accept"
    DECLINE = "offer_decline"
    OPEN_IN_SALESFORCE = "open_in_salesforce"
    CLAIM = "queue_claim"
    ESCALATION_REASSIGN = "escalation_reassign"
    ESCALATION_NUDGE = "escalation_nudge"
    ESCALATION_OPEN_CLAIM = "escalation_open_claim"


class ViewId(StrEnum):
    DECLINE_REASON = "decline_reason"


class BlockId(StrEnum):
    REASON = "reason"
    NOTE = "note"
    REASON_CHOICE = "reason_choice"
    NOTE_TEXT = "note_text"


# A row id as the database holds it (32-bit integer keys): anything else never reaches SQL.
RowId = Annotated[int, Field(strict=True, ge=1, le=2**31 - 1)]


class OfferRef(BaseModel):
    """The value of Accept / Decline buttons."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    offer: RowId


class LeadRef(BaseModel):
    """The value of a queue card's Claim button."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    lead: RowId


def encode(ref: BaseModel) -> str:
    return ref.model_dump_json()


def decode(model: type[T], value: str | None) -> T:
    try:
        return model.model_validate(json.loads(value or ""))
    except (TypeError, ValueError, ValidationError) as exc:  # TypeError: not a string
        raise UserFacingError(
            "That button is from an old or damaged message; open the lead with `/leads status`."
        ) from exc

"""The body of ``POST /leads``: validated field by field, nothing stored when bad."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SALESFORCE_ID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")
_CUSTOM_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
Scalar = str | int | float | bool | None


class LeadIn(BaseModel):
    """Canonical fields plus custom fields (any other scalar key, or ``custom: {...}``)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    external_id: str | None = Field(default=None, max_length=255)
    salesforce_id: str | None = None
    created_at: datetime | None = None
    first_name: str | None = Field(default=None, max_length=255)
    last_name: str | None = Field(default=None, max_length=255)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=64)
    title: str | None = Field(default=None, max_length=255)
    company: str | None = Field(default=None, max_length=255)
    website: str | None = Field(default=None, max_length=2048)
    industry: str | None = Field(default=None, max_length=255)
    employees: int | float | str | None = None
    annual_revenue: int | float | str | None = None
    country: str | None = Field(default=None, max_length=128)
    state: str | None = Field(default=None, max_length=128)
    city: str | None = Field(default=None, max_length=128)
    postal_code: str | int | None = None
    lead_source: str | None = Field(default=None, max_length=255)
    description: str | None = Field(default=None, max_length=32000)
    custom: dict[str, Scalar] = Field(default_factory=dict)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value and not _EMAIL.match(value):
            raise ValueError("not an email address (expected name@domain.tld)")
        return value or None

    @field_validator("salesforce_id")
    @classmethod
    def _salesforce_id(cls, value: str | None) -> str | None:
        if value and not _SALESFORCE_ID.match(value):
            raise ValueError("a Salesforce id has 15 or 18 letters and digits")
        return value or None

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            # Stored as UTC: 9999-12-31T23:59-12:00 has no UTC datetime (OverflowError).
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("out of range once converted to UTC (years 1 to 9999)") from None

    @field_validator("employees", "annual_revenue")
    @classmethod
    def _number(cls, value: int | float | str | None) -> int | float | str | None:
        if isinstance(value, str) and value.strip():
            cleaned = value.replace(",", "").strip()
            try:
                number = float(cleaned)
            except ValueError:
                raise ValueError('must be a number, like 250 or "1,200"') from None
            # float() reads "nan", "inf" and 400 digits too; stored, they fail every read.
            if not math.isfinite(number):
                raise ValueError('must be a finite number, like 250 or "1,200"')
        if isinstance(value, int | float) and value < 0:
            raise ValueError("must not be negative")
        return value

    def raw_fields(self) -> dict[str, Any]:
        """Canonical and custom fields as given, for normalisation and storage."""
        out: dict[str, Any] = {}
        data = self.model_dump(exclude={"custom", "external_id", "salesforce_id", "created_at"})
        for key, value in data.items():
            if value is not None and value != "":
                out[key] = value
        out.update({k: v for k, v in self.custom.items() if v is not None and v != ""})
        return out

    def is_reference_only(self) -> bool:
        """Only a ``salesforce_id`` (and maybe ``external_id``): no lead fields at all."""
        return bool(self.salesforce_id) and not self.raw_fields()


def parse_lead(body: Any) -> tuple[LeadIn | None, list[dict[str, str]]]:
    """The validated lead, or every problem as ``{field, message}`` (nothing stored)."""
    if not isinstance(body, dict):
        return None, [{"field": "body", "message": "must be a JSON object"}]
    errors: list[dict[str, str]] = []
    known = set(LeadIn.model_fields)
    for key, value in body.items():
        if key in known:
            continue
        if not _CUSTOM_NAME.match(str(key)):
            errors.append({"field": str(key), "message": "not a usable field name"})
        elif not isinstance(value, Scalar):
            errors.append(
                {"field": str(key), "message": "custom fields must be strings, numbers or booleans"}
            )
    try:
        lead = LeadIn.model_validate(body)
    except ValidationError as err:
        for item in err.errors():
            loc = ".".join(str(p) for p in item["loc"]) or "body"
            errors.append({"field": loc, "message": item["msg"].removeprefix("Value error, ")})
        return None, errors
    if not (lead.email or lead.salesforce_id or (lead.last_name and lead.company)):
        errors.append(
            {
                "field": "email",
                "message": "a lead needs an email, a salesforce_id, or a last_name and a company",
            }
        )
    return (None, errors) if errors else (lead, [])


__all__ = ["LeadIn", "parse_lead"]

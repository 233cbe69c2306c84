"""SOQL the bot issues: literals and the lead query."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from routing.config.models import RoutingConfig

# Standard Lead fields every org has (CountryCode/StateCode only exist with state and
# country picklists, so they are not asked for).
LEAD_FIELDS = (
    "Id", "FirstName", "LastName", "Salutation", "Email", "Phone", "MobilePhone", "Title",
    "Company", "Website", "Industry", "NumberOfEmployees", "AnnualRevenue", "Country",
    "State", "City", "Street", "PostalCode", "LeadSource", "Description", "Rating", "Status",
    "OwnerId", "IsConverted", "CreatedDate", "SystemModstamp",
)  # fmt: skip


def soql_datetime(value: datetime) -> str:
    """A SOQL datetime literal (UTC, whole seconds, rounded down)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def parse_stamp(value: object) -> datetime | None:
    """``2024-01-22T20:36:47.000+0000`` (REST) -> aware UTC datetime."""
    if not isinstance(value, str) or not value:
        return None
    text = value.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = text[:-2] + ":" + text[-2:]
    return datetime.fromisoformat(text).astimezone(UTC)


# A column (``Product_Interest__c``) or a relationship path (``RecordType.Name``,
# ``Owner.Profile.Name``, ``Country__r.Name``): names joined by dots, nothing else.
_FIELD_PATH = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*")


def lead_fields(config: RoutingConfig) -> list[str]:
    """The columns and relationship paths the poller selects: the standard ones and every
    ``salesforce.fields`` key (imported rules read record types and cross-object fields)."""
    fields = list(LEAD_FIELDS)
    for name in config.salesforce.fields:
        if name not in fields and _FIELD_PATH.fullmatch(name):
            fields.append(name)
    return fields


def lead_poll_query(config: RoutingConfig, since: datetime) -> str:
    where = config.salesforce.where.strip()
    stamp = f"SystemModstamp >= {soql_datetime(since)}"
    condition = f"({where}) AND {stamp}" if where else stamp
    return (
        f"SELECT {', '.join(lead_fields(config))} FROM Lead WHERE {condition} "
        "ORDER BY SystemModstamp, Id"
    )

"""The emulator's org: typed records per object, loaded from Salesforce CSV exports."""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.salesforce.ids import to_18

from .soql import parse_datetime

# Key prefixes of the objects the emulator knows.
PREFIXES = {
    "Lead": "00Q",
    "Account": "001",
    "Contact": "003",
    "User": "005",
    "Group": "00G",
    "Task": "00T",
    "Opportunity": "006",
    # Targets of relationship fields rules read (RecordType.Name, Owner.Profile.Name,
    # Owner.UserRole.Name, a custom lookup's Country__r.Name).
    "RecordType": "012",
    "Profile": "00e",
    "UserRole": "00E",
    "Country__c": "a00",
}
_DATETIME_FIELDS = {
    "CreatedDate",
    "LastModifiedDate",
    "SystemModstamp",
    "LastViewedDate",
    "LastReferencedDate",
    "EmailBouncedDate",
}
_DATE_FIELDS = {"ConvertedDate", "LastActivityDate", "ActivityDate", "Birthdate"}
_NUMBER_FIELDS = {"NumberOfEmployees", "AnnualRevenue", "Latitude", "Longitude"}
_US_DATETIME = re.compile(r"^\d{2}/\d{2}/\d{2} \d{2}:\d{2} [AP]M$")
_US_DATE = re.compile(r"^\d{2}/\d{2}/\d{2}$")
# Every record of these objects has these fields, whatever the CSV had.
_SYSTEM_FIELDS = ("Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp")
BASE_FIELDS: dict[str, tuple[str, ...]] = {
    "Lead": (
        "FirstName", "LastName", "Company", "Email", "Phone", "Title", "Website", "Industry",
        "NumberOfEmployees", "AnnualRevenue", "Country", "State", "City", "Street",
        "PostalCode", "LeadSource", "Description", "Status", "Rating", "OwnerId",
        "IsConverted", "ConvertedDate", "ConvertedAccountId", "ConvertedContactId",
        "Salutation", "MobilePhone",
    ),
    "Account": ("Name", "Website", "Industry", "OwnerId", "BillingCountry", "BillingState"),
    "Contact": ("FirstName", "LastName", "Email", "AccountId", "OwnerId"),
    "User": ("Username", "Email", "FirstName", "LastName", "Name", "IsActive"),
    "Group": ("Name", "Type", "DeveloperName"),
    "RecordType": ("Name", "DeveloperName", "SobjectType"),
    "Profile": ("Name",),
    "UserRole": ("Name",),
    "Country__c": ("Name",),
    "Task": (
        "Subject", "WhoId", "WhatId", "OwnerId", "Status", "Priority", "Description",
        "ActivityDate",
    ),
}  # fmt: skip


def format_datetime(value: datetime) -> str:
    """Salesforce's REST form: ``2024-01-22T20:36:47.000+0000``."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def _typed(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text == "":
        return False if _is_bool_field(name) else None
    if _is_bool_field(name):
        return text.lower() in ("1", "true", "yes")
    if name in _DATETIME_FIELDS:
        if _US_DATETIME.match(text):
            return datetime.strptime(text, "%m/%d/%y %I:%M %p").replace(tzinfo=UTC)
        return parse_datetime(text)
    if name in _DATE_FIELDS:
        if _US_DATE.match(text):
            return datetime.strptime(text, "%m/%d/%y").date().isoformat()
        return text[:10]
    if name in _NUMBER_FIELDS:
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            return text
        return int(number) if number.is_integer() else number
    return text


def _is_bool_field(name: str) -> bool:
    return bool(re.match(r"^(Is|Has)[A-Z]", name)) or name in ("DoNotCall",)


class Org:
    """Records by object and id; every write bumps ``SystemModstamp``.

    Not thread-safe by itself: the emulator holds its lock around every call.
    """

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(UTC))
        self.objects: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in PREFIXES}
        self.fields: dict[str, set[str]] = {
            name: set(_SYSTEM_FIELDS) | set(BASE_FIELDS.get(name, ())) for name in PREFIXES
        }
        self.deleted: dict[str, str] = {}  # id -> object name
        self._counter = itertools.count(1)
        self._last_stamp: datetime | None = None

    # -- ids and time ---------------------------------------------------------------
    def new_id(self, sobject: str) -> str:
        prefix = PREFIXES.get(sobject)
        if prefix is None:
            raise KeyError(sobject)
        return to_18(f"{prefix}Em{next(self._counter):010d}")

    def stamp(self) -> datetime:
        """Now, strictly after the previous stamp (millisecond precision, like Salesforce)."""
        now = self.clock().astimezone(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        if self._last_stamp is not None and now <= self._last_stamp:
            now = self._last_stamp + timedelta(milliseconds=1)
        self._last_stamp = now
        return now

    # -- loading ----------------------------------------------------------------------
    def load_csv(self, sobject: str, path: Path) -> int:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            self.put(sobject, row, keep_stamps=True)
        return len(rows)

    def put(self, sobject: str, values: dict[str, Any], *, keep_stamps: bool = False) -> str:
        """Store a record as given (CSV rows keep their own dates)."""
        record = {name: _typed(name, value) for name, value in values.items() if name}
        record_id = record.get("Id") or self.new_id(sobject)
        if len(record_id) == 15:
            record_id = to_18(record_id)
        record["Id"] = record_id
        now = self.stamp()
        if not keep_stamps or record.get("SystemModstamp") is None:
            stamp = record.get("LastModifiedDate") if keep_stamps else None
            record["SystemModstamp"] = stamp or now
        for name in ("CreatedDate", "LastModifiedDate"):
            if record.get(name) is None:
                record[name] = record["SystemModstamp"]
        record["IsDeleted"] = False
        self.fields[sobject].update(record)
        self.objects[sobject][record_id] = record
        return record_id

    # -- reads and writes -------------------------------------------------------------
    def sobject_of(self, record_id: str) -> str | None:
        for name, prefix in PREFIXES.items():
            if record_id.startswith(prefix):
                return name
        return None

    def find(self, sobject: str, record_id: str) -> dict[str, Any] | None:
        key = to_18(record_id) if len(record_id) == 15 else record_id
        return self.objects.get(sobject, {}).get(key)

    def is_deleted(self, record_id: str) -> bool:
        key = to_18(record_id) if len(record_id) == 15 else record_id
        return key in self.deleted

    def insert(self, sobject: str, values: dict[str, Any]) -> dict[str, Any]:
        record_id = self.put(sobject, {k: v for k, v in values.items() if k != "Id"})
        return self.objects[sobject][record_id]

    def update(
        self, sobject: str, record_id: str, values: dict[str, Any], *, stamp: datetime | None = None
    ) -> dict[str, Any]:
        record = self.find(sobject, record_id)
        if record is None:
            raise KeyError(record_id)
        for name, value in values.items():
            record[name] = _typed(name, value)
        self.fields[sobject].update(values)
        now = stamp or self.stamp()
        record["SystemModstamp"] = now
        record["LastModifiedDate"] = now
        return record

    def delete(self, sobject: str, record_id: str) -> None:
        record = self.find(sobject, record_id)
        if record is None:
            raise KeyError(record_id)
        del self.objects[sobject][record["Id"]]
        self.deleted[record["Id"]] = sobject

    def all(self, sobject: str) -> Iterable[dict[str, Any]]:
        return list(self.objects.get(sobject, {}).values())

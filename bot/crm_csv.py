"""Accounts and contacts from a CSV export, for teams without Salesforce API access.

A Salesforce report or Data Loader export works as it is (``Id``, ``Name``, ``Website``,
``BillingCountry``, ``OwnerId``; contacts ``Id``, ``AccountId``, ``Email``, ``FirstName``,
``LastName``, ``OwnerId``), and so do friendlier headers (``Account Name``, ``Domain``,
``Country``, ``Owner Email``...). The owner may be a Salesforce user id, the rep's e-mail
or the rep's id. Rows without an id get a stable one from their content, so loading the
same file twice changes nothing. Bad rows are reported with their row number and skipped.
The file must be UTF-8 (or UTF-16 with a byte order mark): names are matched against
leads, and a guessed encoding would quietly break the matches. Decoding and record
splitting are :mod:`bot.csv_text`'s, as for lead files.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.csv_text import CsvFileError, read_csv_table
from bot.salesforce.ids import is_salesforce_id, to_18

__all__ = ["CrmCsv", "CrmCsvError", "read_crm_csv"]

# Our column -> the headers it accepts (compared without case, spaces, _ or -).
_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "Account": {
        "Id": ("id", "accountid", "account id", "salesforce id"),
        "Name": ("name", "accountname", "account", "company"),
        "Website": ("website", "domain", "url", "web site"),
        "BillingCountry": ("billingcountry", "country", "shippingcountry"),
        "OwnerId": ("ownerid", "owner", "owneremail", "accountowner", "owner id"),
    },
    "Contact": {
        "Id": ("id", "contactid", "salesforce id"),
        "AccountId": ("accountid", "account id", "account"),
        "Email": ("email", "emailaddress"),
        "FirstName": ("firstname", "first name"),
        "LastName": ("lastname", "last name", "surname"),
        "OwnerId": ("ownerid", "owner", "owneremail", "contactowner"),
    },
}
# A row needs one of these (a contact without e-mail still counts for its account).
_REQUIRED = {"Account": ("Name",), "Contact": ("Email", "LastName")}


class CrmCsvError(CsvFileError):
    """The file cannot be used at all (missing, not text, no usable header)."""


@dataclass
class CrmCsv:
    sobject: str
    records: list[dict[str, Any]] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)  # "row N (line L): why"
    encoding: str = "utf-8"
    note: str | None = None  # how a file that is not plain UTF-8 was decoded: show it


def _key(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", header.strip().lower())


def read_crm_csv(path: Path, sobject: str) -> CrmCsv:
    if sobject not in _COLUMNS:
        raise ValueError(f"unsupported object {sobject!r}")
    wanted = _COLUMNS[sobject]
    accepted = {_key(a) for names in wanted.values() for a in names}
    table = read_csv_table(
        path,
        cp1252=False,
        error=CrmCsvError,
        # Two columns we would read under one name: which one is meant is anyone's guess.
        duplicate_key=lambda h: _key(h) if _key(h) in accepted else "",
        what=f"one {sobject.lower()} per row",
    )
    headers = table.header
    column: dict[str, int] = {}
    for ours, names in wanted.items():
        keys = {_key(a) for a in names}
        for index, header in enumerate(headers):
            if _key(header) in keys:
                column[ours] = index
                break
    required = _REQUIRED[sobject]
    if not any(c in column for c in required):
        raise CrmCsvError(
            f"{path}: no {' or '.join(required)} column; expected a header such as "
            f"{', '.join(wanted[required[0]][:3])} (got: {', '.join(headers) or 'nothing'})"
        )
    out = CrmCsv(sobject, encoding=table.encoding, note=table.note)
    for record in table.records:
        where = f"row {record.row} (line {record.line})"
        cells = record.cells
        values = {
            ours: cells[index].strip() if index < len(cells) else ""
            for ours, index in column.items()
        }
        problem = record.problem
        if problem is None and not any(values.get(c) for c in required):
            problem = f"{' and '.join(required)} {'are' if len(required) > 1 else 'is'} empty"
        record_id = values.get("Id") or ""
        if problem is None and record_id and not is_salesforce_id(record_id):
            problem = f"Id {record_id!r} is not a Salesforce id (15 or 18 letters and digits)"
        if problem is not None:
            out.bad.append(f"{where}: {problem}")
            continue
        if not record_id:
            digest = hashlib.sha1(
                "|".join(values.get(c, "") for c in sorted(wanted)).encode(), usedforsecurity=False
            ).hexdigest()
            record_id = "csv" + digest[:15]  # 18 characters, never a real Salesforce id
        values["Id"] = record_id
        # A report export may carry 15-character ids; the API and our tables use 18.
        for key in ("Id", "AccountId", "OwnerId"):
            value = values.get(key) or ""
            if len(value) == 15 and is_salesforce_id(value):
                values[key] = to_18(value)
        out.records.append({k: v or None for k, v in values.items()})
    return out

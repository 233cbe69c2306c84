"""Accounts and contacts from a CSV export, for teams without Salesforce API access.

A Salesforce report or Data Loader export works as it is (``Id``, ``Name``, ``Website``,
``BillingCountry``, ``OwnerId``; contacts ``Id``, ``AccountId``, ``Email``, ``FirstName``,
``LastName``, ``OwnerId``), and so do friendlier headers (``Account Name``, ``Domain``,
``Country``, ``Owner Email``...). The owner may be a Salesforce user id, the rep's e-mail
or the rep's id. Rows without an id get a stable one from their content, so loading the
same file twice changes nothing. Bad rows are reported with their row number and skipped.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


class CrmCsvError(Exception):
    """The file cannot be used at all (missing, not text, no usable header)."""


@dataclass
class CrmCsv:
    sobject: str
    records: list[dict[str, Any]] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)  # "row N (line L): why"


def _key(header: str) -> str:
    return re.sub(r"[\s_\-]+", "", header.strip().lower())


def read_crm_csv(path: Path, sobject: str) -> CrmCsv:
    if sobject not in _COLUMNS:
        raise ValueError(f"unsupported object {sobject!r}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CrmCsvError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise CrmCsvError(f"{path}: not UTF-8 text (export the CSV as UTF-8)") from None
    reader = csv.DictReader(io.StringIO(text))
    headers = reader.fieldnames or []
    wanted = _COLUMNS[sobject]
    column: dict[str, str] = {}
    for ours, accepted in wanted.items():
        names = {_key(a) for a in accepted}
        for header in headers:
            if _key(header) in names:
                column[ours] = header
                break
    required = _REQUIRED[sobject]
    if not any(c in column for c in required):
        raise CrmCsvError(
            f"{path}: no {' or '.join(required)} column; expected a header such as "
            f"{', '.join(wanted[required[0]][:3])} (got: {', '.join(headers) or 'nothing'})"
        )
    out = CrmCsv(sobject)
    for number, row in enumerate(reader, start=1):
        line = reader.line_num
        values = {ours: (row.get(header) or "").strip() for ours, header in column.items()}
        problem = None
        if not any(values.get(c) for c in required):
            problem = f"{' and '.join(required)} {'are' if len(required) > 1 else 'is'} empty"
        record_id = values.get("Id") or ""
        if problem is None and record_id and not is_salesforce_id(record_id):
            problem = f"Id {record_id!r} is not a Salesforce id (15 or 18 letters and digits)"
        if problem is not None:
            out.bad.append(f"row {number} (line {line}): {problem}")
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

"""Reading lead CSV files for ``simulate`` and ``ingest``.

Two layouts are accepted:

* **canonical**: columns named like lead fields (``email``, ``company``, ``First Name``,
  ``zip``... anything ``normalize_lead`` understands; other columns become custom fields);
* **Salesforce Lead export**: ``Id``, ``FirstName``, ``LastName``, ``Company``, ``Email``,
  ``NumberOfEmployees``, ``LeadSource``... mapped with ``salesforce_to_raw`` plus the
  config's ``salesforce.fields`` map.

Optional columns: ``id`` / ``external_id`` / ``lead_id`` (the row's id), ``salesforce_id``
(or Salesforce ``Id``), ``created_at`` (or ``CreatedDate``; ISO 8601, no offset = UTC).

Rows are numbered from 1 after the header (``row``); ``line`` is the file line where the
row starts (the header is line 1; quoted cells may span lines). A bad row is reported and
skipped, never fatal; an unreadable file raises :class:`CsvError`. Decoding and record
splitting are :mod:`bot.csv_text`'s; ``LeadsFile.note`` says how a file that is not plain
UTF-8 was read.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.csv_text import CsvFileError, read_csv_table
from routing.normalize import (
    CANONICAL_FIELDS,
    SALESFORCE_LEAD_FIELDS,
    normalize_lead,
    salesforce_to_raw,
)
from routing.simulate import SimLead

__all__ = ["BadRow", "CsvError", "CsvLead", "LeadsFile", "parse_time", "read_leads_csv"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SALESFORCE_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_ID_KEYS = ("id", "external_id", "lead_id")
_CREATED_KEYS = ("created_at", "createddate", "created_date")
# Salesforce columns that say "this is a Lead export" (Id alone is too generic).
_SALESFORCE_MARKERS = frozenset(SALESFORCE_LEAD_FIELDS) - {"Id"}


class CsvError(CsvFileError):
    """The file cannot be used at all (missing, not text, no header, no lead columns)."""


@dataclass(frozen=True)
class BadRow:
    row: int
    line: int
    message: str
    end_line: int | None = None  # when the row's quoted cells run over more lines

    def __str__(self) -> str:
        if self.end_line is not None and self.end_line > self.line:
            return f"row {self.row} (lines {self.line}-{self.end_line}): {self.message}"
        return f"row {self.row} (line {self.line}): {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "line": self.line, "message": self.message}


@dataclass(frozen=True)
class CsvLead:
    row: int
    line: int
    lead_id: str  # id / external_id / Salesforce Id, else email, else "row N"
    raw: dict[str, Any]  # raw lead keys for normalize_lead
    external_id: str | None = None
    salesforce_id: str | None = None
    created_at: datetime | None = None

    def idempotency_key(self) -> str | None:
        """For rows without any id: a key from the row's content, so a re-run dedupes."""
        if self.external_id or self.salesforce_id:
            return None
        content = json.dumps(
            [sorted(self.raw.items()), self.created_at.isoformat() if self.created_at else None],
            default=str,
        )
        return "csv:" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:32]

    def sim_lead(self, *, use_created_at: bool = True) -> SimLead:
        return SimLead(
            id=self.lead_id,
            fields=self.raw,
            created_at=self.created_at if use_created_at else None,
        )


@dataclass
class LeadsFile:
    path: Path
    layout: str  # "canonical" | "salesforce"
    encoding: str
    columns: list[str]
    leads: list[CsvLead] = field(default_factory=list)
    bad_rows: list[BadRow] = field(default_factory=list)
    note: str | None = None  # how a file that is not plain UTF-8 was decoded: show it

    @property
    def rows(self) -> int:
        return len(self.leads) + len(self.bad_rows)


def parse_time(value: str) -> datetime:
    """ISO 8601 (``2024-01-22T20:36:47.000+0000``, ``...Z``, ``2024-01-22 10:00``); naive = UTC.

    Raises ValueError for anything else.
    """
    text = value.strip()
    if not text:
        raise ValueError("empty time")
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def _key(column: str) -> str:
    return re.sub(r"[\s\-]+", "_", column.strip()).lower()


def read_leads_csv(path: str | Path, *, field_map: Mapping[str, str] | None = None) -> LeadsFile:
    """Every good row as a :class:`CsvLead`, every bad one as a :class:`BadRow`."""
    table = read_csv_table(path, error=CsvError, what="lead rows")
    header = table.header
    salesforce = len(_SALESFORCE_MARKERS.intersection(header)) >= 2
    if not salesforce and not _has_lead_columns(header):
        raise CsvError(
            f"{table.path}: no lead columns in the header ({', '.join(header[:8]) or 'empty'}); "
            "expected columns like email, company, country or a Salesforce Lead export"
        )
    result = LeadsFile(
        path=table.path,
        layout="salesforce" if salesforce else "canonical",
        encoding=table.encoding,
        columns=header,
        note=table.note,
    )
    for record in table.records:
        problem, lead = record.problem, None
        if problem is None:
            problem, lead = _parse_row(
                header, record.cells, record.row, record.line, salesforce, field_map
            )
        if lead is not None:
            result.leads.append(lead)
        else:
            result.bad_rows.append(
                BadRow(record.row, record.line, problem or "unusable row", record.end_line)
            )
    return result


def _has_lead_columns(header: list[str]) -> bool:
    probe = normalize_lead({h: "x" for h in header if h})
    keys = {_key(h) for h in header}
    return bool(set(CANONICAL_FIELDS).intersection(probe)) or bool(keys.intersection(_ID_KEYS))


def _parse_row(
    header: list[str],
    cells: list[str],
    row: int,
    line: int,
    salesforce: bool,
    field_map: Mapping[str, str] | None,
) -> tuple[str | None, CsvLead | None]:
    values = {name: cell for name, cell in zip(header, cells, strict=False) if name}
    if not any(v.strip() for v in values.values()):
        return "no values", None

    lead_id: str | None = None
    created_text: str | None = None
    salesforce_id: str | None = None
    external_id: str | None = None
    if salesforce:
        raw = salesforce_to_raw(values, field_map)
        salesforce_id = _text(raw.pop("salesforce_id", None))
        created_text = _text(raw.pop("salesforce_created_at", None))
        rest = {_key(k): v for k, v in values.items() if k != "Id"}
        external_id = next((_text(rest.get(k)) for k in _ID_KEYS if _text(rest.get(k))), None)
        lead_id = salesforce_id or external_id
    else:
        raw = {}
        for name, cell in values.items():
            key = _key(name)
            if key in _ID_KEYS:
                external_id = external_id or _text(cell)
            elif key in _CREATED_KEYS:
                created_text = created_text or _text(cell)
            elif key == "salesforce_id":
                salesforce_id = _text(cell)
            else:
                raw[name] = cell
        lead_id = external_id or salesforce_id

    if salesforce_id and not _SALESFORCE_ID.match(salesforce_id):
        return f"Salesforce id {salesforce_id!r} is not 15 or 18 letters and digits", None
    created_at = None
    if created_text:
        try:
            created_at = parse_time(created_text)
        except ValueError:
            return f"created_at {created_text!r} is not an ISO 8601 time", None
    fields = normalize_lead(raw)
    email = fields.get("email")
    if isinstance(email, str) and not _EMAIL.match(email):
        return f"email {email!r} is not an email address", None
    if not (email or salesforce_id or (fields.get("last_name") and fields.get("company"))):
        return "needs an email, a Salesforce id, or a last name and a company", None
    raw = {k: v for k, v in raw.items() if _text(v) is not None}
    return None, CsvLead(
        row=row,
        line=line,
        lead_id=lead_id or (email if isinstance(email, str) else None) or f"row {row}",
        raw=raw,
        external_id=external_id,
        salesforce_id=salesforce_id,
        created_at=created_at,
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None

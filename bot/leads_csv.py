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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.csv_text import CsvFileError, open_csv_table
from routing.normalize import (
    CANONICAL_FIELDS,
    SALESFORCE_LEAD_FIELDS,
    normalize_lead,
    salesforce_to_raw,
)
from routing.simulate import SimLead

__all__ = [
    "BadRow",
    "CsvError",
    "CsvLead",
    "LeadsFile",
    "LeadsStream",
    "parse_time",
    "read_leads_csv",
]

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
    # ``normalize_lead(raw)``, worked out once when the row was checked.
    fields: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

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
            fields=self.fields,
            created_at=self.created_at if use_created_at else None,
            normalized=True,
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


class LeadsStream:
    """:class:`LeadsFile` read one row at a time: iterate it for the good rows (once);
    ``bad_rows`` and ``rows`` grow as it is read. Memory stays flat however long the file.
    """

    def __init__(self, path: str | Path, *, field_map: Mapping[str, str] | None = None) -> None:
        table = open_csv_table(path, error=CsvError, what="lead rows")
        header = table.header
        salesforce = len(_SALESFORCE_MARKERS.intersection(header)) >= 2
        if not salesforce and not _has_lead_columns(header):
            raise CsvError(
                f"{table.path}: no lead columns in the header "
                f"({', '.join(header[:8]) or 'empty'}); "
                "expected columns like email, company, country or a Salesforce Lead export"
            )
        self.path = table.path
        self.layout = "salesforce" if salesforce else "canonical"
        self.encoding = table.encoding
        self.columns = header
        self.note = table.note
        self.bad_rows: list[BadRow] = []
        self.good = 0
        self._table = table
        self._rows = _RowReader(header, salesforce, field_map)

    @property
    def rows(self) -> int:
        return self.good + len(self.bad_rows)

    def __iter__(self) -> Iterator[CsvLead]:
        parse = self._rows.parse
        for record in self._table.records:
            problem, lead = record.problem, None
            if problem is None:
                problem, lead = parse(record.cells, record.row, record.line)
            if lead is not None:
                self.good += 1
                yield lead
            else:
                self.bad_rows.append(
                    BadRow(record.row, record.line, problem or "unusable row", record.end_line)
                )


def read_leads_csv(path: str | Path, *, field_map: Mapping[str, str] | None = None) -> LeadsFile:
    """Every good row as a :class:`CsvLead`, every bad one as a :class:`BadRow`."""
    stream = LeadsStream(path, field_map=field_map)
    result = LeadsFile(
        path=stream.path,
        layout=stream.layout,
        encoding=stream.encoding,
        columns=stream.columns,
        note=stream.note,
    )
    result.leads.extend(stream)
    result.bad_rows = stream.bad_rows
    return result


def _has_lead_columns(header: list[str]) -> bool:
    probe = normalize_lead({h: "x" for h in header if h})
    keys = {_key(h) for h in header}
    return bool(set(CANONICAL_FIELDS).intersection(probe)) or bool(keys.intersection(_ID_KEYS))


# What a canonical column holds, worked out once per file from its name.
_FIELD, _EXTERNAL_ID, _CREATED, _SF_ID_COLUMN = range(4)


class _RowReader:
    """Checks rows of one header and makes them :class:`CsvLead`\\s."""

    __slots__ = ("_columns", "_field_map", "_header", "_id_columns", "_salesforce")

    def __init__(
        self, header: list[str], salesforce: bool, field_map: Mapping[str, str] | None
    ) -> None:
        self._header = header
        self._salesforce = salesforce
        self._field_map = field_map
        # Canonical layout: (index, name, kind) of each named column, in order.
        columns = []
        for i, name in enumerate(header):
            if not name:
                continue
            key = _key(name)
            kind = (
                _EXTERNAL_ID
                if key in _ID_KEYS
                else _CREATED
                if key in _CREATED_KEYS
                else _SF_ID_COLUMN
                if key == "salesforce_id"
                else _FIELD
            )
            columns.append((i, name, kind))
        self._columns = tuple(columns)
        # Salesforce layout: the columns other than Id naming an external id, by _ID_KEYS
        # order; of columns with one key, the last one the row reaches counts (as in a
        # dict of the row).
        by_key: dict[str, list[int]] = {}
        for i, name in enumerate(header):
            if name and name != "Id" and _key(name) in _ID_KEYS:
                by_key.setdefault(_key(name), []).insert(0, i)
        self._id_columns = tuple(tuple(by_key[k]) for k in _ID_KEYS if k in by_key)

    def parse(self, cells: list[str], row: int, line: int) -> tuple[str | None, CsvLead | None]:
        lead_id: str | None = None
        created_text: str | None = None
        salesforce_id: str | None = None
        external_id: str | None = None
        n = len(cells)
        if self._salesforce:
            values = {name: cell for name, cell in zip(self._header, cells, strict=False) if name}
            if not any(v.strip() for v in values.values()):
                return "no values", None
            raw = salesforce_to_raw(values, self._field_map)
            salesforce_id = _text(raw.pop("salesforce_id", None))
            # Kept in the fields too (as the poller does): CreatedDate criteria read it.
            created_text = _text(raw.get("salesforce_created_at"))
            for indexes in self._id_columns:
                i = next((i for i in indexes if i < n), None)
                if i is not None and (external_id := _text(cells[i])):
                    break
            else:
                external_id = None
            lead_id = salesforce_id or external_id
        else:
            raw = {}
            blank = True
            for i, name, kind in self._columns:
                if i >= n:
                    break
                cell = cells[i]
                if kind == _FIELD:
                    if cell.strip():  # a blank cell is no value: normalize_lead drops it too
                        raw[name] = cell
                        blank = False
                    continue
                if blank and cell.strip():
                    blank = False
                if kind == _EXTERNAL_ID:
                    external_id = external_id or _text(cell)
                elif kind == _CREATED:
                    created_text = created_text or _text(cell)
                else:
                    salesforce_id = _text(cell)
            if blank:
                return "no values", None
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
        if self._salesforce:
            # _text(v) is not None, for the str cells a CSV has, without a call per cell
            raw = {
                k: v
                for k, v in raw.items()
                if (v.strip() if isinstance(v, str) else _text(v) is not None)
            }
        # CsvLead(...) without the frozen dataclass's per-field setattr (one per row).
        lead = _new(CsvLead)
        _put(
            lead,
            "__dict__",
            {
                "row": row,
                "line": line,
                "lead_id": lead_id or (email if isinstance(email, str) else None) or f"row {row}",
                "raw": raw,
                "external_id": external_id,
                "salesforce_id": salesforce_id,
                "created_at": created_at,
                "fields": fields,
            },
        )
        return None, lead


_new = object.__new__
_put = object.__setattr__


def _text(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    return s or None

"""The REST API under ``/services/data/vXX.X/``: query, queryMore, sobjects, limits.

Every handler returns ``(status, body)``; errors use Salesforce's list shape
``[{"message": ..., "errorCode": ...}]``.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from . import soql
from .records import Org, format_datetime

Reply = tuple[int, Any]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields

    def body(self) -> list[dict[str, Any]]:
        item: dict[str, Any] = {"message": self.message, "errorCode": self.code}
        if self.fields is not None:
            item["fields"] = self.fields
        return [item]


# The status Salesforce answers each error code with (used by fault injection too).
ERROR_STATUS = {
    "INVALID_SESSION_ID": 401,
    "REQUEST_LIMIT_EXCEEDED": 403,
    "INSUFFICIENT_ACCESS": 403,
    "ENTITY_IS_DELETED": 404,
    "NOT_FOUND": 404,
    "CANNOT_UPDATE_CONVERTED_LEAD": 400,
    "MALFORMED_QUERY": 400,
    "INVALID_FIELD": 400,
    "INVALID_TYPE": 400,
    "JSON_PARSER_ERROR": 400,
    "SERVER_UNAVAILABLE": 503,
    "UNKNOWN_EXCEPTION": 500,
}
ERROR_MESSAGE = {
    "INVALID_SESSION_ID": "Session expired or invalid",
    "REQUEST_LIMIT_EXCEEDED": "TotalRequests Limit exceeded.",
    "ENTITY_IS_DELETED": "entity is deleted",
    "NOT_FOUND": "The requested resource does not exist",
    "SERVER_UNAVAILABLE": "Service Unavailable",
    "UNKNOWN_EXCEPTION": "An unexpected error occurred. Please include this ErrorId",
}


def api_error(code: str, message: str | None = None) -> ApiError:
    return ApiError(ERROR_STATUS.get(code, 400), code, message or ERROR_MESSAGE.get(code, code))


@dataclass
class Cursor:
    sobject: str
    records: list[dict[str, Any]]


class RestApi:
    """Stateless over the org; the caller holds the emulator lock."""

    def __init__(self, org: Org, version: str) -> None:
        self.org = org
        self.version = version
        self.cursors: dict[str, Cursor] = {}
        self._cursor_ids = itertools.count(1)
        self.batch_size = 2000
        self.daily_api_requests = 100_000
        self.requests_made = 0
        # Every PATCH as received: (object, id, fields, Sforce-Auto-Assign header or None).
        self.patches: list[tuple[str, str, dict[str, Any], str | None]] = []

    # -- serialisation ----------------------------------------------------------------
    def record_url(self, sobject: str, record_id: str) -> str:
        return f"/services/data/v{self.version}/sobjects/{sobject}/{record_id}"

    def _json_value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return format_datetime(value)
        if isinstance(value, date):
            return value.isoformat()
        return value

    def _owner_like(self, record: dict[str, Any], relation: str) -> dict[str, Any] | None:
        target_id = record.get(_lookup_field(relation))
        if not isinstance(target_id, str) or not target_id:
            return None
        sobject = self.org.sobject_of(target_id)
        if sobject is None:
            return None
        target = self.org.find(sobject, target_id)
        if target is None:
            return None
        kind = "Queue" if sobject == "Group" else sobject
        return {**target, "Type": target.get("Type", kind), "_sobject": sobject}

    def resolve(self, record: dict[str, Any], name: str) -> Any:
        if "." not in name:
            return record.get(name)
        relation, _, rest = name.partition(".")
        related = self._owner_like(record, relation)
        if related is None:
            return None
        return self.resolve(related, rest)

    def _check_field(self, sobject: str, name: str) -> None:
        if "." in name:
            relation = name.split(".", 1)[0]
            if _lookup_field(relation) in self.org.fields[sobject]:
                return
        elif name in self.org.fields[sobject]:
            return
        raise ApiError(
            400,
            "INVALID_FIELD",
            f"No such column '{name}' on entity '{sobject}'. If you are "
            "attempting to use a custom field, be sure to append the '__c' after the custom "
            "field name.",
        )

    def shape(self, sobject: str, record: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "attributes": {"type": sobject, "url": self.record_url(sobject, record["Id"])}
        }
        for name in fields:
            if "." not in name:
                out[name] = self._json_value(record.get(name))
                continue
            relation, _, rest = name.partition(".")
            related = self._owner_like(record, relation)
            if related is None:
                out.setdefault(relation, None)
                continue
            nested = out.get(relation) or {
                "attributes": {
                    "type": "Name",
                    "url": self.record_url(related["_sobject"], related["Id"]),
                }
            }
            nested[rest] = self._json_value(self.resolve(related, rest))
            out[relation] = nested
        return out

    # -- query ------------------------------------------------------------------------
    def query(self, text: str, batch_size: int | None = None) -> Reply:
        try:
            parsed = soql.parse(text)
        except soql.SoqlError as exc:
            raise ApiError(400, "MALFORMED_QUERY", str(exc)) from None
        if parsed.sobject not in self.org.objects:
            raise ApiError(
                400, "INVALID_TYPE", f"sObject type '{parsed.sobject}' is not supported."
            )
        for name in [*parsed.fields, *(f for f, _ in parsed.order_by)]:
            self._check_field(parsed.sobject, name)
        _check_where_fields(parsed.where, lambda f: self._check_field(parsed.sobject, f))
        rows = [
            r for r in self.org.all(parsed.sobject) if soql.matches(parsed.where, r, self.resolve)
        ]
        for name, descending in reversed(parsed.order_by):

            def key(record: dict[str, Any], field: str = name) -> tuple[int, Any]:
                return soql.sort_key(self.resolve(record, field))

            rows.sort(key=key, reverse=descending)
        rows = rows[parsed.offset :]
        if parsed.limit is not None:
            rows = rows[: parsed.limit]
        shaped = [self.shape(parsed.sobject, r, parsed.fields) for r in rows]
        return 200, self._page(parsed.sobject, shaped, 0, batch_size)

    def _page(
        self, sobject: str, records: list[dict[str, Any]], start: int, batch_size: int | None
    ) -> dict[str, Any]:
        size = min(self.batch_size, batch_size or self.batch_size)
        chunk = records[start : start + size]
        body: dict[str, Any] = {
            "totalSize": len(records),
            "done": start + size >= len(records),
            "records": chunk,
        }
        if not body["done"]:
            locator = f"01gEm{next(self._cursor_ids):013d}"
            self.cursors[locator] = Cursor(sobject, records)
            body["nextRecordsUrl"] = (
                f"/services/data/v{self.version}/query/{locator}-{start + size}"
            )
        return body

    def query_more(self, token: str, batch_size: int | None = None) -> Reply:
        locator, _, offset = token.rpartition("-")
        cursor = self.cursors.pop(locator, None)
        if cursor is None or not offset.isdigit():
            raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return 200, self._page(cursor.sobject, cursor.records, int(offset), batch_size)

    # -- sobjects ---------------------------------------------------------------------
    def _existing(self, sobject: str, record_id: str) -> dict[str, Any]:
        if sobject not in self.org.objects:
            raise api_error("NOT_FOUND", f"The requested resource does not exist: {sobject}")
        if self.org.is_deleted(record_id):
            raise api_error("ENTITY_IS_DELETED")
        record = self.org.find(sobject, record_id) if len(record_id) in (15, 18) else None
        if record is None:
            raise api_error("NOT_FOUND")
        return record

    def get(self, sobject: str, record_id: str, fields: str | None) -> Reply:
        record = self._existing(sobject, record_id)
        names = (
            [f.strip() for f in fields.split(",")] if fields else sorted(self.org.fields[sobject])
        )
        for name in names:
            self._check_field(sobject, name)
        return 200, self.shape(sobject, record, names)

    def patch(self, sobject: str, record_id: str, body: Any, auto_assign: str | None) -> Reply:
        record = self._existing(sobject, record_id)
        values = _object_body(body)
        if sobject == "Lead" and record.get("IsConverted"):
            raise ApiError(
                400, "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead", []
            )
        for name in values:
            if name == "Id" or "." in name:
                raise ApiError(400, "INVALID_FIELD_FOR_INSERT_UPDATE", f"Unable to update {name}")
        self.patches.append((sobject, record["Id"], dict(values), auto_assign))
        self.org.update(sobject, record["Id"], values)
        return 204, None

    def create(self, sobject: str, body: Any) -> Reply:
        if sobject not in self.org.objects:
            raise ApiError(404, "NOT_FOUND", f"The requested resource does not exist: {sobject}")
        values = _object_body(body)
        record = self.org.insert(sobject, values)
        return 201, {"id": record["Id"], "success": True, "errors": []}

    def delete(self, sobject: str, record_id: str) -> Reply:
        record = self._existing(sobject, record_id)
        self.org.delete(sobject, record["Id"])
        return 204, None

    def limits(self) -> Reply:
        remaining = max(0, self.daily_api_requests - self.requests_made)
        return 200, {
            "DailyApiRequests": {"Max": self.daily_api_requests, "Remaining": remaining},
            "DataStorageMB": {"Max": 5, "Remaining": 5},
        }


def _object_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "the request body must be a JSON object")
    return {k: v for k, v in body.items() if k != "attributes"}


def _check_where_fields(node: Any, check: Any) -> None:
    if node is None:
        return
    if isinstance(node, soql.BoolOp):
        for item in node.items:
            _check_where_fields(item, check)
    else:
        check(node.field)


def parse_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc}") from None


def _lookup_field(relation: str) -> str:
    """The field holding a relationship's id: ``Owner`` -> ``OwnerId``, a custom
    ``Country__r`` -> ``Country__c``."""
    return relation[:-3] + "__c" if relation.endswith("__r") else f"{relation}Id"

"""Salesforce failures, typed: what to do about each is decided once, here.

``classify(exc)`` turns simple-salesforce and ``requests`` exceptions into:

- ``SessionExpired``: INVALID_SESSION_ID (401). Renewable with password/JWT logins; a
  fixed session id cannot be renewed, so admins are told and the work waits.
- ``RecordGone``: the record was deleted, merged, converted or never existed. Reported,
  never retried.
- ``RateLimited``: REQUEST_LIMIT_EXCEEDED (403) and friends. Retried with backoff.
- ``Unavailable``: 5xx, maintenance, timeouts, connection failures. Retried with backoff.
- ``LoginFailed``: the credentials were refused. Admins are told; retried later.
- ``Rejected``: any other 4xx (bad field, no access). Permanent for that request.
"""

from __future__ import annotations

from typing import Any

import requests
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
)

GONE_CODES = {
    "ENTITY_IS_DELETED",
    "NOT_FOUND",
    "CANNOT_UPDATE_CONVERTED_LEAD",
    "INVALID_CROSS_REFERENCE_KEY",
    "MALFORMED_ID",
}
RATE_CODES = {"REQUEST_LIMIT_EXCEEDED", "TXN_SECURITY_API_LIMIT", "CONCURRENT_REQUEST_LIMIT"}
TRANSIENT_CODES = {"SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW", "UNKNOWN_EXCEPTION"}


class SalesforceProblem(Exception):
    """Base of the typed failures; ``code`` is Salesforce's errorCode when there is one."""

    retryable = True

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status


class SessionExpired(SalesforceProblem):
    pass


class RecordGone(SalesforceProblem):
    retryable = False


class RateLimited(SalesforceProblem):
    pass


class Unavailable(SalesforceProblem):
    pass


class LoginFailed(SalesforceProblem):
    pass


class Rejected(SalesforceProblem):
    retryable = False


def error_details(content: Any) -> tuple[str | None, str]:
    """``(errorCode, message)`` from Salesforce's ``[{"message", "errorCode"}]`` body."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        return first.get("errorCode"), str(first.get("message") or "")
    if isinstance(content, dict):
        return content.get("errorCode") or content.get("error"), str(
            content.get("message") or content.get("error_description") or ""
        )
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
    return None, " ".join(text.split())[:200]


def classify(exc: BaseException) -> SalesforceProblem:
    if isinstance(exc, SalesforceProblem):
        return exc
    if isinstance(exc, SalesforceAuthenticationFailed):
        return LoginFailed(
            f"Salesforce refused the login: {exc.code}: {getattr(exc, 'auth_message', '')}",
            code=str(exc.code),
        )
    if isinstance(exc, SalesforceError):
        code, message = error_details(exc.content)
        status = exc.status
        said = f"{code}: {message}" if code else f"HTTP {status}: {message}"
        if status == 401 or code == "INVALID_SESSION_ID":
            return SessionExpired(
                f"the Salesforce session expired ({said})", code=code, status=status
            )
        if code in GONE_CODES or (status == 404 and code is None):
            return RecordGone(_gone_message(code, message), code=code, status=status)
        if code in RATE_CODES:
            return RateLimited(f"Salesforce API limit reached ({said})", code=code, status=status)
        if status >= 500 or code in TRANSIENT_CODES:
            return Unavailable(f"Salesforce is unavailable ({said})", code=code, status=status)
        return Rejected(f"Salesforce rejected the request ({said})", code=code, status=status)
    if isinstance(exc, requests.Timeout):
        return Unavailable(f"Salesforce did not answer in time ({type(exc).__name__})")
    if isinstance(exc, requests.ConnectionError):
        return Unavailable(f"cannot reach Salesforce ({type(exc).__name__}: {exc})")
    raise TypeError(f"not a Salesforce failure: {exc!r}")


def _gone_message(code: str | None, message: str) -> str:
    if code == "ENTITY_IS_DELETED":
        return "the Salesforce record was deleted"
    if code == "CANNOT_UPDATE_CONVERTED_LEAD":
        return "the Salesforce lead was converted and can no longer be updated"
    if code == "NOT_FOUND" or code is None:
        return "the Salesforce record does not exist (deleted, merged or a wrong id)"
    return f"the Salesforce record cannot be used ({code}: {message})"


SALESFORCE_FAILURES: tuple[type[BaseException], ...] = (
    SalesforceError,
    SalesforceProblem,
    requests.RequestException,
)

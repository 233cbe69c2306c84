"""The lead webhook's bearer token, with rotation: ``LEADROUTER_WEBHOOK_TOKEN`` may hold
the current and the next value, comma-separated, so senders can switch one by one."""

from __future__ import annotations

import hmac


def _secret_text(value: object) -> str | None:
    # Settings may hand over a plain string or a secret wrapper (pydantic's SecretStr).
    getter = getattr(value, "get_secret_value", None)
    if callable(getter):
        value = getter()
    return value if isinstance(value, str) else None


def accepted_tokens(raw: object) -> tuple[bytes, ...]:
    """Every token the setting accepts; blanks (``"a,,b"``, a trailing comma) ignored."""
    text = _secret_text(raw)
    if not text:
        return ()
    return tuple(part.strip().encode() for part in text.split(",") if part.strip())


def token_accepted(presented: str, accepted: tuple[bytes, ...]) -> bool:
    """Constant-time against each accepted value; every value is compared, so the time
    taken does not tell which one (or whether the first) matched."""
    # Header values arrive latin-1 decoded: back to their raw bytes, as compare_digest
    # refuses str with non-ASCII characters (a TypeError, a 500, from a hostile header).
    candidate = presented.encode("latin-1", errors="replace")
    matched = False
    for token in accepted:
        matched |= hmac.compare_digest(candidate, token)
    return matched

"""Reusable annotated field types for the ``routing.yml`` models.

Validators raise ValueError with a message written for the person editing the YAML file.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, PlainSerializer
from pydantic_core import PydanticCustomError

from routing.durations import MAX_CONFIG_DURATION, format_duration, parse_duration

__all__ = [
    "CHANNEL_ID_RE",
    "CHANNEL_NAME_RE",
    "CONDITION_ERROR",
    "Channel",
    "Condition",
    "Duration",
    "Email",
    "Ident",
    "PostalCode",
    "SlackUserId",
    "Text",
    "TimeZoneName",
    "as_list",
    "check_time_zone",
]

#: pydantic error type of a condition that does not compile; its ctx carries ``condition_path``.
CONDITION_ERROR = "condition"

CHANNEL_NAME_RE = re.compile(r"#[a-z0-9][a-z0-9._-]{0,79}")
CHANNEL_ID_RE = re.compile(r"[CG][A-Z0-9]{6,}")
_SLACK_USER_RE = re.compile(r"[UW][A-Z0-9]{6,}")
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ZIP4_RE = re.compile(r"\d{5}-\d{4}")


def as_list(value: Any) -> Any:
    """Wrap a lone scalar or mapping so `notify: manager` reads as `notify: [manager]`."""
    if value is None or isinstance(value, list | tuple):
        return value
    return [value]


def _duration(value: Any) -> Any:
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise ValueError(f"durations cannot be negative: {value}")
        if value > MAX_CONFIG_DURATION:
            raise ValueError(f"duration {value} is too long (at most {MAX_CONFIG_DURATION.days}d)")
        return value
    return parse_duration(value, maximum=MAX_CONFIG_DURATION)


Duration = Annotated[
    timedelta,
    BeforeValidator(_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]


@lru_cache(maxsize=1024)
def check_time_zone(name: str) -> str:
    """Return ``name`` if zoneinfo knows it, else raise ValueError."""
    try:
        zoneinfo.ZoneInfo(name)
    # OSError: a name that is a directory of the tz database ("US", "Europe") or too long
    # to be a file name there.
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        hint = " (use an IANA name such as America/New_York or Europe/Berlin)"
        raise ValueError(f"unknown time zone {name!r}{hint}") from None
    return name


TimeZoneName = Annotated[str, AfterValidator(check_time_zone)]


def _no_yaml_bool(value: Any) -> Any:
    # YAML 1.1 reads unquoted NO, ON, YES, OFF as booleans ("the Norway problem").
    if isinstance(value, bool):
        raise ValueError(
            f'YAML read this value as {str(value).lower()}; put it in quotes (e.g. "NO")'
        )
    return value


#: A plain string that explains YAML's boolean surprises.
Text = Annotated[str, BeforeValidator(_no_yaml_bool)]


def _ident(value: str) -> str:
    if not value or any(ch.isspace() for ch in value):
        raise ValueError(f"ids must be non-empty and contain no spaces, got {value!r}")
    return value


Ident = Annotated[str, BeforeValidator(_no_yaml_bool), AfterValidator(_ident)]


def _channel_hint(value: Any) -> Any:
    if value is None:
        raise ValueError('channel is empty; quote it ("#sales"): an unquoted # starts a comment')
    return value


def _channel(value: str) -> str:
    if CHANNEL_NAME_RE.fullmatch(value) or CHANNEL_ID_RE.fullmatch(value):
        return value
    raise ValueError(
        f'invalid channel {value!r}: use a quoted name like "#sdr-west" (lower case) '
        "or a channel id like C0123456789"
    )


Channel = Annotated[str, BeforeValidator(_channel_hint), AfterValidator(_channel)]


def _slack_user(value: str) -> str:
    if not _SLACK_USER_RE.fullmatch(value):
        raise ValueError(f"invalid Slack user id {value!r}: expected something like U0123456789")
    return value


SlackUserId = Annotated[str, AfterValidator(_slack_user)]


def _email(value: str) -> str:
    if not _EMAIL_RE.fullmatch(value):
        raise ValueError(f"invalid email address {value!r}")
    return value


Email = Annotated[str, AfterValidator(_email)]


def _postal_text(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            f"put postal codes in quotes ({value!r} was read as a number; YAML drops leading zeros)"
        )
    return value


def _postal_range(value: str) -> str:
    code = value.strip().upper().replace(" ", "")
    if not code:
        raise ValueError("empty postal code")
    if code.count("-") == 1 and not _ZIP4_RE.fullmatch(code):
        low, high = code.split("-")
        if not low or not high or len(low) != len(high):
            raise ValueError(
                f"postal-code range {value!r} needs both ends of the same length, "
                'e.g. "90000-96199"'
            )
        if low > high:
            raise ValueError(f"postal-code range {value!r} has its ends reversed")
    elif code.count("-") > 1:
        raise ValueError(f"invalid postal code or range {value!r}")
    return value


PostalCode = Annotated[str, BeforeValidator(_postal_text), AfterValidator(_postal_range)]


def _condition(raw: dict[str, Any]) -> dict[str, Any]:
    # Imported lazily: routing.conditions is a sibling package and compiles conditions for the
    # engine too; the models only check that each one compiles.
    from routing.conditions import ConditionError, compile_condition

    try:
        compile_condition(raw)
    except ConditionError as exc:
        raise PydanticCustomError(
            CONDITION_ERROR, "{message}", {"message": exc.message, "condition_path": exc.path}
        ) from None
    return raw


#: A ``when:`` mapping kept as written in YAML; compiled by :mod:`routing.conditions`.
Condition = Annotated[dict[str, Any], AfterValidator(_condition)]

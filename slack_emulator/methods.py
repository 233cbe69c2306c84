"""Web API methods: dispatch, auth, faults, call recording, and the non-view methods.

Handlers take ``(state, config, args)`` with the state lock held and return the response
body; they raise :class:`ApiError` for ``{"ok": false, "error": ...}`` responses.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .blockkit import validate_blocks
from .config import Config
from .state import Call, Fault, State

log = logging.getLogger(__name__)

JSON_ARGS = ("blocks", "view", "metadata", "attachments")
MAX_TEXT = 40_000
# Methods that take an app-level token (xapp-...) instead of the bot token.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})


class ApiError(Exception):
    def __init__(self, error: str, *, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.extra = extra


def invalid_arguments(*messages: str) -> ApiError:
    return ApiError(
        "invalid_arguments", response_metadata={"messages": [f"[ERROR] {m}" for m in messages]}
    )


@dataclass
class ApiResult:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    delay: float = 0.0  # answer this many seconds late


Handler = Callable[[State, Config, dict[str, Any]], dict[str, Any]]
METHODS: dict[str, Handler] = {}


def method(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        METHODS[name] = fn
        return fn

    return register


def decode_args(raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """JSON-decode the structured arguments; returns (args, names that failed to decode)."""
    args = dict(raw)
    bad: list[str] = []
    for key in JSON_ARGS:
        value = args.get(key)
        if isinstance(value, str):
            if value == "":
                args.pop(key)
                continue
            try:
                args[key] = json.loads(value)
            except json.JSONDecodeError:
                bad.append(key)
    return args, bad


def call_api(
    state: State, config: Config, name: str, raw_args: dict[str, Any], token: str | None
) -> ApiResult:
    """Run one Web API call end to end and record it."""
    raw_args = {k: v for k, v in raw_args.items() if k != "token"}
    args, bad_json = decode_args(raw_args)
    if config.latency:
        time.sleep(config.latency / 2)
    with state.lock:
        result = _call_locked(state, config, name, args, token, bad_json)
        recorded = copy.deepcopy(args)
        state.calls.append(Call(name, recorded, result.status, copy.deepcopy(result.body)))
    if config.latency:
        time.sleep(config.latency / 2)
    if result.delay:
        time.sleep(result.delay)
    return result


def _call_locked(
    state: State,
    config: Config,
    name: str,
    args: dict[str, Any],
    token: str | None,
    bad_json: list[str],
) -> ApiResult:
    handler = METHODS.get(name)
    if handler is None:
        return ApiResult(404, {"ok": False, "error": "unknown_method"})
    fault = state.take_fault(name)
    if fault is not None and not fault.after:
        return _fault_result(fault)
    result = _authorised_call(state, config, name, handler, args, token, bad_json)
    if fault is not None:
        # Slack did the work, then failed to say so: the caller cannot tell.
        failed = _fault_result(fault) if fault.status or fault.drop else result
        return ApiResult(failed.status, failed.body, failed.headers, fault.drop, fault.delay)
    return result


def _authorised_call(
    state: State,
    config: Config,
    name: str,
    handler: Handler,
    args: dict[str, Any],
    token: str | None,
    bad_json: list[str],
) -> ApiResult:
    if not token:
        return ApiResult(200, {"ok": False, "error": "not_authed"})
    if name in APP_TOKEN_METHODS:
        if token == config.bot_token or not token.startswith("xapp-"):
            return ApiResult(200, {"ok": False, "error": "not_allowed_token_type"})
        if token != config.app_token:
            return ApiResult(200, {"ok": False, "error": "invalid_auth"})
    elif token.startswith("xapp-"):
        return ApiResult(200, {"ok": False, "error": "not_allowed_token_type"})
    elif token != config.bot_token:
        return ApiResult(200, {"ok": False, "error": "invalid_auth"})
    limiter = config.rate_limiter
    if limiter is not None:
        wait = limiter.retry_after(name, args)
        if wait is not None:
            return ApiResult(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)})
    try:
        if bad_json:
            key = bad_json[0]
            if key == "blocks":
                raise ApiError("invalid_blocks_format")
            if key == "attachments":
                raise ApiError("invalid_attachments")
            if key == "metadata":
                raise ApiError("invalid_metadata_format")
            raise ApiError("invalid_json")
        body = handler(state, config, args)
    except ApiError as exc:
        return ApiResult(exc.status, {"ok": False, "error": exc.error, **exc.extra})
    return ApiResult(200, {"ok": True, **body})


def _fault_result(fault: Fault) -> ApiResult:
    if fault.drop:
        return ApiResult(0, {}, drop=True, delay=fault.delay)
    if fault.status == 429 or (fault.status is None and fault.error == "ratelimited"):
        return ApiResult(
            429,
            {"ok": False, "error": "ratelimited"},
            {"Retry-After": str(fault.retry_after)},
        )
    if fault.status is not None and fault.status >= 500:
        error = "internal_error" if fault.error == "ratelimited" else fault.error
        return ApiResult(fault.status, {"ok": False, "error": error}, delay=fault.delay)
    return ApiResult(fault.status or 200, {"ok": False, "error": fault.error}, delay=fault.delay)


# -- helpers -------------------------------------------------------------------------------
def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def as_int(value: Any, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise invalid_arguments(f"{name} must be an integer") from exc


def require(args: dict[str, Any], *names: str) -> None:
    missing = [n for n in names if args.get(n) in (None, "")]
    if missing:
        raise invalid_arguments(*(f"missing required field: {n}" for n in missing))


def find_user(state: State, user_id: Any) -> dict[str, Any] | None:
    return state.users.get(user_id) if isinstance(user_id, str) else None


def resolve_channel(state: State, ref: Any, *, allow_user: bool = True) -> dict[str, Any]:
    """Resolve a channel argument: C/G/D id, ``#name``, bare name, or a user id (their DM)."""
    if not isinstance(ref, str) or not ref:
        raise ApiError("channel_not_found")
    if ref.startswith("#"):
        channel = state.channel_by_name(ref[1:])
    elif ref in state.channels:
        channel = state.channels[ref]
    elif allow_user and ref[:1] in ("U", "W") and ref in state.users:
        user = state.users[ref]
        if user.get("deleted"):
            raise ApiError("account_inactive")
        channel = state.channels[state.open_im(ref)]
    else:
        channel = state.channel_by_name(ref)
    if channel is None:
        raise ApiError("channel_not_found")
    return channel


def check_can_post(state: State, channel: dict[str, Any]) -> None:
    if channel.get("is_im"):
        user = state.users.get(channel.get("user", ""))
        if user is not None and user.get("deleted"):
            raise ApiError("account_inactive")
        return
    if channel.get("is_archived"):
        raise ApiError("is_archived")
    if channel.get("is_private") and not channel.get("is_member"):
        raise ApiError("not_in_channel")


def check_content(args: dict[str, Any], *, require_content: bool = True) -> None:
    text = args.get("text")
    blocks = args.get("blocks")
    attachments = args.get("attachments")
    if require_content and not text and not blocks and not attachments:
        raise ApiError("no_text")
    if isinstance(text, str) and len(text) > MAX_TEXT:
        raise ApiError("msg_too_long")
    if blocks is not None:
        if not isinstance(blocks, list):
            raise ApiError("invalid_blocks_format")
        errors = validate_blocks(blocks)
        if errors:
            raise ApiError(
                "invalid_blocks",
                errors=errors,
                response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
            )
    if attachments is not None and not isinstance(attachments, list):
        raise ApiError("invalid_attachments")
    metadata = args.get("metadata")
    if metadata is not None and (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload", {}), dict)
    ):
        raise ApiError("invalid_metadata_format")


def public_message(
    config: Config, msg: dict[str, Any], *, include_metadata: bool = True
) -> dict[str, Any]:
    """A message as the Web API shows it (history, postMessage's ``message``)."""
    out: dict[str, Any] = {"type": "message", "user": msg["user"], "text": msg["text"]}
    if msg["user"] == config.bot_user_id:
        out.update(bot_id=config.bot_id, app_id=config.app_id)
    out["ts"] = msg["ts"]
    out["team"] = config.team_id
    for key in ("blocks", "attachments", "thread_ts"):
        if msg.get(key) is not None:
            out[key] = copy.deepcopy(msg[key])
    if msg.get("edited"):
        out["edited"] = dict(msg["edited"])
    if include_metadata and msg.get("metadata") is not None:
        out["metadata"] = copy.deepcopy(msg["metadata"])
    if msg.get("reply_count"):
        out["reply_count"] = msg["reply_count"]
    return out


def store_message(
    state: State,
    config: Config,
    channel_id: str,
    *,
    text: str,
    user: str,
    blocks: list[Any] | None = None,
    attachments: list[Any] | None = None,
    metadata: dict[str, Any] | None = None,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    ts = state.next_ts()
    msg: dict[str, Any] = {
        "channel": channel_id,
        "ts": ts,
        "text": text,
        "blocks": copy.deepcopy(blocks),
        "attachments": copy.deepcopy(attachments),
        "metadata": copy.deepcopy(metadata),
        "user": user,
        "thread_ts": thread_ts,
        "updated": 0,
    }
    state.messages[(channel_id, ts)] = msg
    if thread_ts and (channel_id, thread_ts) in state.messages:
        parent = state.messages[(channel_id, thread_ts)]
        parent["reply_count"] = parent.get("reply_count", 0) + 1
        parent.setdefault("thread_ts", thread_ts)
    return msg


def get_message(state: State, channel_id: str, ts: Any) -> dict[str, Any]:
    msg = state.messages.get((channel_id, ts)) if isinstance(ts, str) else None
    if msg is None:
        raise ApiError("message_not_found")
    return msg


def text_of(args: dict[str, Any]) -> str:
    text = args.get("text")
    return text if isinstance(text, str) else ""


# Importing the method modules registers their handlers.
from . import methods_chat, methods_views, socket_mode  # noqa: E402,F401

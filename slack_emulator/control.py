"""The ``/_emulator/`` control API: inspect and drive the emulator from another process."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from .emulator import SlackEmulator

log = logging.getLogger(__name__)
Result = tuple[int, dict[str, Any]]


def _sent(response: httpx.Response) -> dict[str, Any]:
    return {"ok": True, "status": response.status_code, "body": response.text}


def _get(emu: SlackEmulator, op: str, query: dict[str, Any]) -> Result | None:
    if op == "health":
        return 200, {
            "ok": True,
            "api_url": emu.api_url,
            "events_url": emu.events_url,
            "socket_mode": emu.socket_mode,
            "socket_connections": emu.socket_connections(),
        }
    if op == "calls":
        return 200, {"ok": True, "calls": [c.to_dict() for c in emu.calls(query.get("method"))]}
    if op == "messages":
        return 200, {"ok": True, "messages": emu.messages(query.get("channel"))}
    if op == "ephemerals":
        return 200, {"ok": True, "ephemerals": emu.ephemerals(query.get("user"))}
    if op == "responses":
        return 200, {"ok": True, "responses": emu.responses()}
    if op == "views":
        return 200, {"ok": True, "views": emu.views(query.get("user"))}
    if op == "rate_limited":
        return 200, {"ok": True, "rate_limited": emu.rate_limited()}
    if op == "deliveries":
        return 200, {"ok": True, "deliveries": emu.deliveries(query.get("kind"))}
    return None


def _post(emu: SlackEmulator, op: str, body: dict[str, Any]) -> Result | None:
    if op == "users":
        return 200, {"ok": True, "user": emu.add_user(**body)}
    if op == "channels":
        return 200, {"ok": True, "channel": emu.add_channel(**body)}
    if op == "fail_next":
        emu.fail_next(**body)
        return 200, {"ok": True}
    if op == "rate_limits":
        emu.set_rate_limits(bool(body.get("enabled", True)), body.get("overrides"))
        return 200, {"ok": True}
    if op == "reset":
        emu.reset()
        return 200, {"ok": True}
    if op == "events_url":
        emu.events_url = str(body["events_url"])
        return 200, {"ok": True}
    if op == "socket_mode":
        emu.socket_mode = bool(body["enabled"])
        return 200, {"ok": True, "socket_mode": emu.socket_mode}
    if op == "disconnect_socket":
        return 200, {"ok": True, "closed": emu.disconnect_socket(**body)}
    senders: dict[str, Callable[..., httpx.Response]] = {
        "click": emu.click,
        "select": emu.select,
        "click_home": emu.click_home,
        "slash": emu.slash,
        "submit_view": emu.submit_view,
        "event": emu.send_event,
        "app_home_opened": emu.app_home_opened,
    }
    sender = senders.get(op)
    return None if sender is None else (200, _sent(sender(**body)))


def handle_control(
    emu: SlackEmulator, verb: str, op: str, query: dict[str, Any], body: dict[str, Any]
) -> Result:
    try:
        result = _get(emu, op, query) if verb == "GET" else _post(emu, op, body)
    except (TypeError, ValueError, KeyError) as exc:
        return 400, {"ok": False, "error": "invalid_request", "detail": str(exc)}
    except RuntimeError as exc:
        return 409, {"ok": False, "error": "not_configured", "detail": str(exc)}
    except httpx.HTTPError as exc:
        log.warning("slack emulator: delivering %s to the app failed: %r", op, exc)
        return 502, {"ok": False, "error": "app_unreachable", "detail": repr(exc)}
    if result is None:
        return 404, {"ok": False, "error": "unknown_operation", "operation": f"{verb} {op}"}
    return result

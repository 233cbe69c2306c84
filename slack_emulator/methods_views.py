"""views.open / views.push / views.update / views.publish, and the view store."""

from __future__ import annotations

import copy
import secrets
import time
from typing import Any

from .blockkit import validate_view
from .config import Config
from .methods import ApiError, find_user, invalid_arguments, method, require
from .state import State

MAX_STACK = 3
VIEW_KEYS = (
    "type",
    "title",
    "blocks",
    "close",
    "submit",
    "private_metadata",
    "callback_id",
    "external_id",
    "clear_on_close",
    "notify_on_close",
    "submit_disabled",
)


def _check_view(view: Any) -> dict[str, Any]:
    if not isinstance(view, dict):
        raise invalid_arguments("missing required field: view")
    errors = validate_view(view)
    if errors:
        raise ApiError(
            "invalid_arguments", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]}
        )
    return view


def _use_trigger(state: State, config: Config, trigger_id: Any) -> str:
    trigger = state.triggers.get(trigger_id) if isinstance(trigger_id, str) else None
    if trigger is None:
        raise ApiError("invalid_trigger_id")
    if trigger.used:
        raise ApiError("exchanged_trigger_id")
    if time.monotonic() - trigger.created > config.trigger_ttl:
        raise ApiError("expired_trigger_id")
    trigger.used = True
    return trigger.user_id


def _new_hash() -> str:
    return f"{int(time.time())}.{secrets.token_hex(4)}"


def build_view(
    state: State, config: Config, spec: dict[str, Any], *, view_id: str, root_view_id: str
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": view_id,
        "team_id": config.team_id,
        "type": spec.get("type"),
        "blocks": copy.deepcopy(spec.get("blocks", [])),
        "private_metadata": spec.get("private_metadata", ""),
        "callback_id": spec.get("callback_id", ""),
        "state": {"values": {}},
        "hash": _new_hash(),
        "clear_on_close": bool(spec.get("clear_on_close", False)),
        "notify_on_close": bool(spec.get("notify_on_close", False)),
        "root_view_id": root_view_id,
        "previous_view_id": None,
        "app_id": config.app_id,
        "external_id": spec.get("external_id", ""),
        "app_installed_team_id": config.team_id,
        "bot_id": config.bot_id,
    }
    for key in ("title", "submit", "close"):
        view[key] = copy.deepcopy(spec.get(key))
    return view


def _store(state: State, view: dict[str, Any], user_id: str, opened_by: str) -> None:
    state.views[view["id"]] = {
        "view": view,
        "user": user_id,
        "closed": False,
        "opened_by": opened_by,
        "submit_errors": None,
    }


def close_stack(state: State, user_id: str) -> None:
    for vid in state.view_stacks.pop(user_id, []):
        state.views[vid]["closed"] = True


@method("views.open")
def views_open(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "trigger_id", "view")
    spec = _check_view(args["view"])
    if spec.get("type") != "modal":
        raise invalid_arguments("must be modal [json-pointer:/view/type]")
    user_id = _use_trigger(state, config, args["trigger_id"])
    close_stack(state, user_id)
    view_id = state.next_id("V")
    view = build_view(state, config, spec, view_id=view_id, root_view_id=view_id)
    _store(state, view, user_id, "views.open")
    state.view_stacks[user_id] = [view_id]
    return {"view": copy.deepcopy(view)}


@method("views.push")
def views_push(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "trigger_id", "view")
    spec = _check_view(args["view"])
    if spec.get("type") != "modal":
        raise invalid_arguments("must be modal [json-pointer:/view/type]")
    user_id = _use_trigger(state, config, args["trigger_id"])
    stack = state.view_stacks.setdefault(user_id, [])
    if len(stack) >= MAX_STACK:
        raise ApiError("push_limit_reached")
    view_id = state.next_id("V")
    root = stack[0] if stack else view_id
    view = build_view(state, config, spec, view_id=view_id, root_view_id=root)
    view["previous_view_id"] = stack[-1] if stack else None
    _store(state, view, user_id, "views.push")
    stack.append(view_id)
    return {"view": copy.deepcopy(view)}


def find_view(state: State, view_id: Any, external_id: Any) -> dict[str, Any]:
    if view_id:
        record = state.views.get(view_id)
    else:
        record = next(
            (r for r in state.views.values() if r["view"].get("external_id") == external_id),
            None,
        )
    if record is None:
        raise ApiError("not_found")
    return record


def replace_view(
    state: State, config: Config, record: dict[str, Any], spec: dict[str, Any]
) -> dict[str, Any]:
    old = record["view"]
    view = build_view(state, config, spec, view_id=old["id"], root_view_id=old["root_view_id"])
    view["previous_view_id"] = old.get("previous_view_id")
    view["state"] = copy.deepcopy(old.get("state", {"values": {}}))
    record["view"] = view
    record["submit_errors"] = None
    return view


@method("views.update")
def views_update(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    if not args.get("view_id") and not args.get("external_id"):
        raise invalid_arguments("must provide either view_id or external_id")
    require(args, "view")
    spec = _check_view(args["view"])
    record = find_view(state, args.get("view_id"), args.get("external_id"))
    if spec.get("type") != record["view"]["type"]:
        raise invalid_arguments("view type cannot change [json-pointer:/view/type]")
    if args.get("hash") and args["hash"] != record["view"]["hash"]:
        raise ApiError("hash_conflict")
    view = replace_view(state, config, record, spec)
    return {"view": copy.deepcopy(view)}


@method("views.publish")
def views_publish(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "user_id", "view")
    spec = _check_view(args["view"])
    if spec.get("type") != "home":
        raise invalid_arguments("must be home [json-pointer:/view/type]")
    user = find_user(state, args["user_id"])
    if user is None:
        raise ApiError("user_not_found")
    existing = state.home_views.get(user["id"])
    if existing is not None:
        record = state.views[existing]
        if args.get("hash") and args["hash"] != record["view"]["hash"]:
            raise ApiError("hash_conflict")
        view = replace_view(state, config, record, spec)
        record["opened_by"] = "views.publish"
        return {"view": copy.deepcopy(view)}
    view_id = state.next_id("V")
    view = build_view(state, config, spec, view_id=view_id, root_view_id=view_id)
    _store(state, view, user["id"], "views.publish")
    state.home_views[user["id"]] = view_id
    return {"view": copy.deepcopy(view)}

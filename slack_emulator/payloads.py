"""Build the payloads Slack sends to an app: block_actions, view_submission, slash commands,
Events API envelopes. Pure functions over the state; the caller holds the lock."""

from __future__ import annotations

import copy
import secrets
import time
from collections.abc import Iterator
from typing import Any

from .config import Config
from .methods import public_message
from .state import State

TEXT_VALUE_ELEMENTS = frozenset(
    {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
)
SINGLE_OPTION_ELEMENTS = frozenset(
    {"static_select", "radio_buttons", "overflow", "external_select"}
)
MULTI_OPTION_ELEMENTS = frozenset({"multi_static_select", "checkboxes", "multi_external_select"})
SCALAR_KEYS = {
    "users_select": "selected_user",
    "multi_users_select": "selected_users",
    "conversations_select": "selected_conversation",
    "multi_conversations_select": "selected_conversations",
    "channels_select": "selected_channel",
    "multi_channels_select": "selected_channels",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "datetimepicker": "selected_date_time",
    "rich_text_input": "rich_text_value",
}


def iter_elements(blocks: list[Any] | None) -> Iterator[tuple[str, dict[str, Any], str]]:
    """Yield ``(block_id, element, block_type)`` for every element that has an action."""
    for index, block in enumerate(blocks or []):
        if not isinstance(block, dict):
            continue
        block_id = block.get("block_id") or f"b{index}"
        kind = block.get("type", "")
        candidates: list[Any] = []
        if kind == "actions":
            candidates = list(block.get("elements") or [])
        elif kind == "section" and block.get("accessory"):
            candidates = [block["accessory"]]
        elif kind == "input" and block.get("element"):
            candidates = [block["element"]]
        for el in candidates:
            if isinstance(el, dict) and el.get("action_id"):
                yield block_id, el, kind


def find_element(
    blocks: list[Any] | None, action_id: str, block_id: str | None = None
) -> tuple[str, dict[str, Any]] | None:
    for bid, el, _ in iter_elements(blocks):
        if el.get("action_id") == action_id and (block_id is None or bid == block_id):
            return bid, el
    return None


def _all_options(el: dict[str, Any]) -> list[dict[str, Any]]:
    opts = [o for o in el.get("options") or [] if isinstance(o, dict)]
    for group in el.get("option_groups") or []:
        opts.extend(o for o in group.get("options") or [] if isinstance(o, dict))
    return opts


def option_for(el: dict[str, Any], value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return copy.deepcopy(value)
    for opt in _all_options(el):
        if opt.get("value") == value:
            return copy.deepcopy(opt)
    if el.get("type", "").endswith("external_select"):
        return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}
    raise ValueError(f"option value {value!r} is not among the options of {el.get('action_id')!r}")


def state_value(el: dict[str, Any], value: Any) -> dict[str, Any]:
    """The ``state.values[block][action]`` entry Slack sends for an element holding ``value``."""
    kind = el.get("type", "")
    out: dict[str, Any] = {"type": kind}
    if kind in TEXT_VALUE_ELEMENTS:
        out["value"] = None if value is None else str(value)
    elif kind in SINGLE_OPTION_ELEMENTS:
        out["selected_option"] = None if value is None else option_for(el, value)
    elif kind in MULTI_OPTION_ELEMENTS:
        values = [] if value is None else value if isinstance(value, list) else [value]
        out["selected_options"] = [option_for(el, v) for v in values]
    elif kind in SCALAR_KEYS:
        out[SCALAR_KEYS[kind]] = value
    else:
        raise ValueError(f"element type {kind!r} holds no state")
    return out


def action_entry(block_id: str, el: dict[str, Any], value: Any) -> dict[str, Any]:
    """One item of ``actions`` in a block_actions payload."""
    kind = el.get("type", "")
    entry: dict[str, Any] = {"action_id": el["action_id"], "block_id": block_id}
    if kind == "button":
        entry["text"] = copy.deepcopy(el.get("text"))
        chosen = el.get("value") if value is None else value
        if chosen is not None:
            entry["value"] = chosen
        if el.get("style"):
            entry["style"] = el["style"]
        entry["type"] = "button"
    else:
        entry.update(state_value(el, value))
        if el.get("placeholder"):
            entry["placeholder"] = copy.deepcopy(el["placeholder"])
    entry["action_ts"] = f"{time.time():.6f}"
    return entry


def user_obj(state: State, config: Config, user_id: str) -> dict[str, Any]:
    user = state.users.get(user_id)
    name = user["name"] if user else user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": config.team_id}


def _team(config: Config) -> dict[str, Any]:
    return {"id": config.team_id, "domain": config.team_domain}


def _base_interaction(state: State, config: Config, kind: str, user_id: str) -> dict[str, Any]:
    return {
        "type": kind,
        "user": user_obj(state, config, user_id),
        "api_app_id": config.app_id,
        "token": config.verification_token,
        "trigger_id": state.new_trigger(user_id),
        "team": _team(config),
        "enterprise": None,
        "is_enterprise_install": False,
    }


def response_url_for(config: Config, token: str) -> str:
    return f"{config.base_url}/_response/{token}"


def message_block_actions(
    state: State,
    config: Config,
    user_id: str,
    msg: dict[str, Any],
    action: dict[str, Any],
    state_values: dict[str, Any],
) -> dict[str, Any]:
    channel = state.channels.get(msg["channel"], {})
    payload = _base_interaction(state, config, "block_actions", user_id)
    ru = state.new_response_url(user_id, msg["channel"], msg["ts"])
    payload.update(
        container={
            "type": "message",
            "message_ts": msg["ts"],
            "channel_id": msg["channel"],
            "is_ephemeral": False,
        },
        channel={"id": msg["channel"], "name": channel.get("name", "directmessage")},
        message=public_message(config, msg),
        state={"values": state_values},
        response_url=response_url_for(config, ru.token),
        actions=[action],
    )
    return payload


def view_block_actions(
    state: State, config: Config, user_id: str, view: dict[str, Any], action: dict[str, Any]
) -> dict[str, Any]:
    payload = _base_interaction(state, config, "block_actions", user_id)
    payload.update(
        container={"type": "view", "view_id": view["id"]},
        view=copy.deepcopy(view),
        actions=[action],
    )
    return payload


def view_state_values(view: dict[str, Any], values: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Slack's ``view.state.values`` for an input-holding view, from ``{block: {action: v}}``."""
    known: dict[str, dict[str, dict[str, Any]]] = {}
    for block_id, el, kind in iter_elements(view.get("blocks")):
        if kind == "input" or el.get("type") != "button":
            known.setdefault(block_id, {})[el["action_id"]] = el
    out: dict[str, Any] = {}
    for block_id, actions in values.items():
        if block_id not in known:
            raise ValueError(f"view {view['id']} has no block {block_id!r}; has {sorted(known)}")
        for action_id, value in actions.items():
            element = known[block_id].get(action_id)
            if element is None:
                raise ValueError(f"block {block_id!r} has no action {action_id!r}")
            out.setdefault(block_id, {})[action_id] = state_value(element, value)
    for block_id, el, kind in iter_elements(view.get("blocks")):
        if kind == "input" and el["action_id"] not in out.get(block_id, {}):
            out.setdefault(block_id, {})[el["action_id"]] = state_value(el, None)
    return out


def view_submission(
    state: State, config: Config, user_id: str, view: dict[str, Any], values: dict[str, Any]
) -> dict[str, Any]:
    payload = _base_interaction(state, config, "view_submission", user_id)
    submitted = copy.deepcopy(view)
    submitted["state"] = {"values": values}
    payload.update(view=submitted, response_urls=[])
    return payload


def slash_command(
    state: State, config: Config, user_id: str, command: str, text: str, channel_id: str
) -> dict[str, str]:
    channel = state.channels.get(channel_id, {})
    ru = state.new_response_url(user_id, channel_id, None)
    user = state.users.get(user_id)
    return {
        "token": config.verification_token,
        "team_id": config.team_id,
        "team_domain": config.team_domain,
        "channel_id": channel_id,
        "channel_name": channel.get("name", "directmessage"),
        "user_id": user_id,
        "user_name": user["name"] if user else user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": config.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url_for(config, ru.token),
        "trigger_id": state.new_trigger(user_id),
    }


def event_callback(config: Config, event: dict[str, Any], event_id: str) -> dict[str, Any]:
    now = time.time()
    body = copy.deepcopy(event)
    body.setdefault("event_ts", f"{now:.6f}")
    return {
        "token": config.verification_token,
        "team_id": config.team_id,
        "context_team_id": config.team_id,
        "context_enterprise_id": None,
        "api_app_id": config.app_id,
        "event": body,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(now),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": config.team_id,
                "user_id": config.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_urlsafe(24)}",
    }


def new_event_id() -> str:
    return "Ev" + secrets.token_hex(5).upper()

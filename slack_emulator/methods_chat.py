"""auth.*, users.*, conversations.* and chat.* methods."""

from __future__ import annotations

import base64
import copy
from typing import Any

from .config import Config
from .methods import (
    ApiError,
    as_bool,
    as_int,
    check_can_post,
    check_content,
    find_user,
    get_message,
    invalid_arguments,
    method,
    public_message,
    require,
    resolve_channel,
    store_message,
    text_of,
)
from .state import State, ts_key


# -- auth & users --------------------------------------------------------------------------
@method("auth.test")
def auth_test(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": config.workspace_url,
        "team": config.team_name,
        "user": config.bot_name,
        "team_id": config.team_id,
        "user_id": config.bot_user_id,
        "bot_id": config.bot_id,
        "is_enterprise_install": False,
    }


@method("users.info")
def users_info(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "user")
    user = find_user(state, args["user"])
    if user is None:
        raise ApiError("user_not_found")
    return {"user": copy.deepcopy(user)}


@method("users.lookupByEmail")
def users_lookup_by_email(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    require(args, "email")
    wanted = str(args["email"]).strip().lower()
    for user in state.users.values():
        if str(user["profile"].get("email", "")).lower() == wanted:
            return {"user": copy.deepcopy(user)}
    raise ApiError("users_not_found")


def _page(items: list[Any], args: dict[str, Any], default_limit: int) -> tuple[list[Any], str]:
    limit = as_int(args.get("limit"), default_limit, "limit") or default_limit
    cursor = args.get("cursor") or ""
    start = 0
    if cursor:
        try:
            start = int(base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)[1])
        except (ValueError, IndexError, UnicodeDecodeError) as exc:
            raise ApiError("invalid_cursor") from exc
    chunk = items[start : start + limit]
    end = start + len(chunk)
    next_cursor = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode()
    return chunk, next_cursor if end < len(items) else ""


@method("users.list")
def users_list(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    members, cursor = _page([copy.deepcopy(u) for u in state.users.values()], args, 200)
    return {"members": members, "response_metadata": {"next_cursor": cursor}}


# -- conversations -------------------------------------------------------------------------
def _conversation(state: State, channel: dict[str, Any]) -> dict[str, Any]:
    out = {k: copy.deepcopy(v) for k, v in channel.items() if k != "members"}
    if not channel.get("is_im"):
        out["num_members"] = len(channel.get("members") or [])
    return out


@method("conversations.open")
def conversations_open(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    if args.get("channel"):
        channel = resolve_channel(state, args["channel"], allow_user=False)
        return {
            "channel": _conversation(state, channel)
            if as_bool(args.get("return_im"))
            else {"id": channel["id"]}
        }
    users = args.get("users")
    if isinstance(users, list):
        ids = [str(u) for u in users]
    elif isinstance(users, str) and users:
        ids = [u.strip() for u in users.split(",") if u.strip()]
    else:
        raise ApiError("users_list_not_supplied")
    if len(ids) > 8:
        raise ApiError("too_many_users")
    for uid in ids:
        user = find_user(state, uid)
        if user is None:
            raise ApiError("user_not_found")
        if user.get("deleted"):
            raise ApiError("user_disabled")
    if len(ids) > 1:
        raise ApiError("method_not_supported_for_channel_type")
    already = ids[0] in state.ims
    dm = state.open_im(ids[0])
    body: dict[str, Any] = {
        "channel": _conversation(state, state.channels[dm])
        if as_bool(args.get("return_im"))
        else {"id": dm}
    }
    if already:
        body.update(no_op=True, already_open=True)
    return body


@method("conversations.info")
def conversations_info(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    channel = resolve_channel(state, args.get("channel"), allow_user=False)
    return {"channel": _conversation(state, channel)}


@method("conversations.members")
def conversations_members(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    channel = resolve_channel(state, args.get("channel"), allow_user=False)
    members, cursor = _page(list(channel.get("members") or []), args, 100)
    return {"members": members, "response_metadata": {"next_cursor": cursor}}


@method("conversations.list")
def conversations_list(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    types = {t.strip() for t in str(args.get("types") or "public_channel").split(",")}
    exclude_archived = as_bool(args.get("exclude_archived"))

    def kind(ch: dict[str, Any]) -> str:
        if ch.get("is_im"):
            return "im"
        return "private_channel" if ch.get("is_private") else "public_channel"

    chans = [
        _conversation(state, ch)
        for ch in state.channels.values()
        if kind(ch) in types and not (exclude_archived and ch.get("is_archived"))
    ]
    page, cursor = _page(chans, args, 100)
    return {"channels": page, "response_metadata": {"next_cursor": cursor}}


def _ts_arg(args: dict[str, Any], name: str, error: str) -> tuple[int, int] | None:
    value = args.get(name)
    if value in (None, ""):
        return None
    try:
        return ts_key(str(value))
    except ValueError as exc:
        raise ApiError(error) from exc


@method("conversations.history")
def conversations_history(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    channel = resolve_channel(state, args.get("channel"), allow_user=False)
    if not channel.get("is_member") and not channel.get("is_im"):
        raise ApiError("not_in_channel")
    oldest = _ts_arg(args, "oldest", "invalid_ts_oldest")
    latest = _ts_arg(args, "latest", "invalid_ts_latest")
    inclusive = as_bool(args.get("inclusive"))
    with_metadata = as_bool(args.get("include_all_metadata"))

    def in_range(ts: str) -> bool:
        key = ts_key(ts)
        if oldest is not None and (key < oldest or (key == oldest and not inclusive)):
            return False
        return not (latest is not None and (key > latest or (key == latest and not inclusive)))

    top_level = [
        m
        for m in reversed(state.channel_messages(channel["id"]))
        if (not m.get("thread_ts") or m["thread_ts"] == m["ts"]) and in_range(m["ts"])
    ]
    page, cursor = _page(top_level, args, 100)
    return {
        "messages": [public_message(config, m, include_metadata=with_metadata) for m in page],
        "has_more": bool(cursor),
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
        "response_metadata": {"next_cursor": cursor},
    }


@method("conversations.replies")
def conversations_replies(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    channel = resolve_channel(state, args.get("channel"), allow_user=False)
    require(args, "ts")
    parent = state.messages.get((channel["id"], str(args["ts"])))
    if parent is None:
        raise ApiError("thread_not_found")
    with_metadata = as_bool(args.get("include_all_metadata"))
    thread = [parent] + [
        m
        for m in state.channel_messages(channel["id"])
        if m.get("thread_ts") == parent["ts"] and m["ts"] != parent["ts"]
    ]
    page, cursor = _page(thread, args, 1000)
    return {
        "messages": [public_message(config, m, include_metadata=with_metadata) for m in page],
        "has_more": bool(cursor),
        "response_metadata": {"next_cursor": cursor},
    }


# -- chat ----------------------------------------------------------------------------------
@method("chat.postMessage")
def chat_post_message(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    channel = resolve_channel(state, args.get("channel"))
    check_can_post(state, channel)
    check_content(args)
    thread_ts = args.get("thread_ts") or None
    msg = store_message(
        state,
        config,
        channel["id"],
        text=text_of(args),
        user=config.bot_user_id,
        blocks=args.get("blocks"),
        attachments=args.get("attachments"),
        metadata=args.get("metadata"),
        thread_ts=str(thread_ts) if thread_ts else None,
    )
    return {"channel": channel["id"], "ts": msg["ts"], "message": public_message(config, msg)}


@method("chat.update")
def chat_update(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    channel = resolve_channel(state, args.get("channel"), allow_user=False)
    if args.get("ts") in (None, ""):
        raise ApiError("message_not_found")
    msg = get_message(state, channel["id"], args.get("ts"))
    if msg["user"] != config.bot_user_id:
        raise ApiError("cant_update_message")
    check_content(args)
    if "text" in args:
        msg["text"] = text_of(args)
    for key in ("blocks", "attachments", "metadata"):
        if key in args:
            msg[key] = copy.deepcopy(args[key]) or None
    msg["updated"] += 1
    msg["edited"] = {"user": config.bot_user_id, "ts": state.next_ts()}
    return {
        "channel": channel["id"],
        "ts": msg["ts"],
        "text": msg["text"],
        "message": public_message(config, msg),
    }


@method("chat.postEphemeral")
def chat_post_ephemeral(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    channel = resolve_channel(state, args.get("channel"), allow_user=False)
    if args.get("user") in (None, ""):
        raise ApiError("user_not_in_channel")
    user = find_user(state, args["user"])
    if user is None or not state.is_member(channel, user["id"]):
        raise ApiError("user_not_in_channel")
    check_can_post(state, channel)
    check_content(args)
    ts = state.next_ts()
    state.ephemerals.append(
        {
            "channel": channel["id"],
            "user": user["id"],
            "ts": ts,
            "text": text_of(args),
            "blocks": copy.deepcopy(args.get("blocks")),
            "thread_ts": args.get("thread_ts") or None,
            "source": "chat.postEphemeral",
        }
    )
    return {"message_ts": ts}


@method("chat.delete")
def chat_delete(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    channel = resolve_channel(state, args.get("channel"), allow_user=False)
    msg = get_message(state, channel["id"], args.get("ts"))
    if msg["user"] != config.bot_user_id:
        raise ApiError("cant_delete_message")
    del state.messages[(channel["id"], msg["ts"])]
    return {"channel": channel["id"], "ts": msg["ts"]}


@method("chat.getPermalink")
def chat_get_permalink(state: State, config: Config, args: dict[str, Any]) -> dict[str, Any]:
    channel = resolve_channel(state, args.get("channel"), allow_user=False)
    if args.get("message_ts") in (None, ""):
        raise invalid_arguments("missing required field: message_ts")
    msg = get_message(state, channel["id"], args.get("message_ts"))
    ts = msg["ts"].replace(".", "")
    return {
        "channel": channel["id"],
        "permalink": f"{config.workspace_url}archives/{channel['id']}/p{ts}",
    }

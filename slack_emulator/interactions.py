"""Sending signed requests to the app (clicks, selects, modal submissions, slash commands,
events) and applying what the app answers, as Slack does."""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from . import payloads
from .blockkit import validate_view
from .config import Config
from .methods import store_message
from .methods_views import build_view, close_stack
from .signing import signed_headers
from .socket_mode import SocketModeServer
from .state import State

log = logging.getLogger(__name__)


class InteractionsMixin:
    """Expects ``self.state``, ``self.config``, ``self.events_url``, ``self.request_timeout``,
    ``self.socket_mode`` and ``self.socket``."""

    state: State
    config: Config
    events_url: str | None
    request_timeout: float
    socket_mode: bool
    socket: SocketModeServer

    # -- transport --------------------------------------------------------------------
    def _http_client(self) -> httpx.Client:
        """One pooled client: a new one per request costs ~100 ms of CPU (TLS setup),
        which would make a burst of clicks look slow when the bot is not."""
        client: httpx.Client | None = getattr(self, "_shared_http", None)
        if client is None:
            client = httpx.Client(limits=httpx.Limits(max_connections=200))
            self._shared_http = client
        return client

    def _deliver(
        self,
        kind: str,
        body: str,
        content_type: str,
        record: Any,
        *,
        sign: bool = True,
        bad_signature: bool = False,
        headers: Mapping[str, str] | None = None,
        timestamp: int | None = None,
    ) -> httpx.Response:
        if self.socket_mode:
            return self._deliver_socket(kind, record, headers or {})
        if not self.events_url:
            raise RuntimeError("SlackEmulator.events_url is not set: where should Slack send it?")
        all_headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0 (+emulator)"}
        all_headers.update(
            signed_headers(
                self.config.signing_secret,
                body,
                timestamp=timestamp,
                sign=sign,
                bad_signature=bad_signature,
            )
        )
        all_headers.update(headers or {})
        started = time.monotonic()
        response = self._http_client().post(
            self.events_url,
            content=body.encode(),
            headers=all_headers,
            timeout=self.request_timeout,
        )
        elapsed = time.monotonic() - started
        if elapsed > 3.0:
            log.warning(
                "slack emulator: app took %.2fs to ack a %s (Slack allows 3s)", elapsed, kind
            )
        with self.state.lock:
            self.state.deliveries.append(
                {
                    "kind": kind,
                    "payload": record,
                    "status": response.status_code,
                    "elapsed": elapsed,
                    "response": response.text,
                    "at": time.time(),
                    "transport": "http",
                }
            )
        return response

    def _deliver_socket(self, kind: str, record: Any, headers: Mapping[str, str]) -> httpx.Response:
        """Deliver over Socket Mode. The result looks like the HTTP one: 200 with the ack
        payload as JSON body (empty if none); 408 ``ack_timeout`` if the app did not ack
        within 3 s; 503 ``no_connection`` if no app was connected (after waiting)."""
        retry = headers.get("X-Slack-Retry-Num")
        outcome = self.socket.deliver(
            kind,
            record,
            retry_attempt=int(retry) if retry is not None else None,
            retry_reason=headers.get("X-Slack-Retry-Reason"),
        )
        request = httpx.Request("POST", self.config.socket_url or "ws://socket-mode")
        if outcome.acked:
            body = b"" if outcome.payload is None else json.dumps(outcome.payload).encode()
            ctype = "application/json" if body else "text/plain"
            response = httpx.Response(
                200, content=body, headers={"Content-Type": ctype}, request=request
            )
        else:
            status = 408 if outcome.error == "ack_timeout" else 503
            response = httpx.Response(status, text=outcome.error or "", request=request)
        if outcome.elapsed > 3.0:
            log.warning(
                "slack emulator: app took %.2fs to ack a %s (Slack allows 3s)",
                outcome.elapsed,
                kind,
            )
        with self.state.lock:
            self.state.deliveries.append(
                {
                    "kind": kind,
                    "payload": record,
                    "status": response.status_code,
                    "elapsed": outcome.elapsed,
                    "response": response.text,
                    "at": time.time(),
                    "transport": "socket",
                    "envelope_id": outcome.envelope_id,
                    "error": outcome.error,
                }
            )
        return response

    def _post_payload(self, kind: str, payload: dict[str, Any], **kw: Any) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)})
        return self._deliver(kind, body, "application/x-www-form-urlencoded", payload, **kw)

    def _resolve_channel_id(self, channel: str) -> str:
        if channel in self.state.users and channel not in self.state.channels:
            return self.state.open_im(channel)
        return channel

    # -- interactivity ----------------------------------------------------------------
    def click(
        self,
        user_id: str,
        channel: str,
        ts: str,
        action_id: str,
        *,
        value: str | None = None,
        block_id: str | None = None,
        **kw: Any,
    ) -> httpx.Response:
        """A user clicks a button in a message the bot posted."""
        with self.state.lock:
            channel_id = self._resolve_channel_id(channel)
            msg = self.state.messages.get((channel_id, ts))
            if msg is None:
                raise ValueError(f"no message {channel_id}/{ts} in the emulator")
            found = payloads.find_element(msg.get("blocks"), action_id, block_id)
            if found is None:
                if value is None:
                    raise ValueError(f"message {channel_id}/{ts} has no element {action_id!r}")
                el = {
                    "type": "button",
                    "action_id": action_id,
                    "text": {"type": "plain_text", "text": action_id},
                    "value": value,
                }
                found = (block_id or "b0", el)
            bid, el = found
            action = payloads.action_entry(bid, el, value)
            payload = payloads.message_block_actions(
                self.state, self.config, user_id, msg, action, {}
            )
        return self._post_payload("block_actions", payload, **kw)

    def select(
        self,
        user_id: str,
        channel: str,
        ts: str,
        action_id: str,
        selected_value: Any,
        *,
        block_id: str | None = None,
        **kw: Any,
    ) -> httpx.Response:
        """A user picks a value in a select menu (static_select, users_select, ...)."""
        with self.state.lock:
            channel_id = self._resolve_channel_id(channel)
            msg = self.state.messages.get((channel_id, ts))
            if msg is None:
                raise ValueError(f"no message {channel_id}/{ts} in the emulator")
            found = payloads.find_element(msg.get("blocks"), action_id, block_id)
            if found is None:
                raise ValueError(f"message {channel_id}/{ts} has no element {action_id!r}")
            bid, el = found
            action = payloads.action_entry(bid, el, selected_value)
            values = {bid: {action_id: payloads.state_value(el, selected_value)}}
            payload = payloads.message_block_actions(
                self.state, self.config, user_id, msg, action, values
            )
        return self._post_payload("block_actions", payload, **kw)

    def click_view(
        self,
        user_id: str,
        view_id: str,
        action_id: str,
        *,
        value: Any = None,
        block_id: str | None = None,
        **kw: Any,
    ) -> httpx.Response:
        """A user clicks a button (or picks a value) inside a modal or App Home view."""
        with self.state.lock:
            record = self.state.views.get(view_id)
            if record is None:
                raise ValueError(f"no view {view_id} in the emulator")
            view = record["view"]
            found = payloads.find_element(view.get("blocks"), action_id, block_id)
            if found is None:
                raise ValueError(f"view {view_id} has no element {action_id!r}")
            bid, el = found
            action = payloads.action_entry(bid, el, value)
            payload = payloads.view_block_actions(self.state, self.config, user_id, view, action)
        return self._post_payload("block_actions", payload, **kw)

    def click_home(
        self, user_id: str, action_id: str, *, value: Any = None, **kw: Any
    ) -> httpx.Response:
        """A user clicks a button in their App Home tab (as last published)."""
        with self.state.lock:
            view_id = self.state.home_views.get(user_id)
        if view_id is None:
            raise ValueError(f"no App Home published for {user_id}")
        return self.click_view(user_id, view_id, action_id, value=value, **kw)

    def submit_view(
        self, user_id: str, view_id: str, values: dict[str, dict[str, Any]], **kw: Any
    ) -> httpx.Response:
        """Submit an open modal; applies the app's ``response_action`` like Slack."""
        with self.state.lock:
            record = self.state.views.get(view_id)
            if record is None or record["view"].get("type") != "modal":
                raise ValueError(f"no modal {view_id} in the emulator")
            if record["closed"]:
                raise ValueError(f"modal {view_id} is closed")
            view = record["view"]
            state_values = payloads.view_state_values(view, values)
            view["state"] = {"values": copy.deepcopy(state_values)}
            payload = payloads.view_submission(self.state, self.config, user_id, view, state_values)
        response = self._post_payload("view_submission", payload, **kw)
        self._apply_view_response(user_id, view_id, response)
        return response

    def _apply_view_response(self, user_id: str, view_id: str, response: httpx.Response) -> None:
        if response.status_code != 200:
            return  # Slack shows an error inside the modal; it stays open
        action: dict[str, Any] = {}
        if response.content.strip():
            try:
                parsed = response.json()
            except ValueError:
                log.warning("slack emulator: view_submission ack is not JSON: %r", response.text)
                return
            if isinstance(parsed, dict):
                action = parsed
        with self.state.lock:
            record = self.state.views[view_id]
            kind = action.get("response_action")
            if kind == "errors":
                record["submit_errors"] = copy.deepcopy(action.get("errors"))
            elif kind in ("update", "push"):
                spec = action.get("view")
                problems = validate_view(spec)
                if problems:
                    log.warning("slack emulator: invalid view in response_action: %s", problems)
                    record["submit_errors"] = {"_response_action": problems}
                    return
                assert isinstance(spec, dict)
                if kind == "update":
                    old = record["view"]
                    new = build_view(
                        self.state,
                        self.config,
                        spec,
                        view_id=view_id,
                        root_view_id=old["root_view_id"],
                    )
                    new["previous_view_id"] = old.get("previous_view_id")
                    record["view"] = new
                    record["submit_errors"] = None
                else:
                    stack = self.state.view_stacks.setdefault(user_id, [])
                    new_id = self.state.next_id("V")
                    root = stack[0] if stack else new_id
                    new = build_view(
                        self.state, self.config, spec, view_id=new_id, root_view_id=root
                    )
                    new["previous_view_id"] = view_id
                    self.state.views[new_id] = {
                        "view": new,
                        "user": user_id,
                        "closed": False,
                        "opened_by": "response_action",
                        "submit_errors": None,
                    }
                    stack.append(new_id)
            elif kind == "clear":
                close_stack(self.state, user_id)
            else:
                record["closed"] = True
                record["submit_errors"] = None
                stack = self.state.view_stacks.get(user_id, [])
                if view_id in stack:
                    stack.remove(view_id)

    # -- slash commands & events --------------------------------------------------------
    def slash(
        self,
        user_id: str,
        command: str = "/leads",
        text: str = "",
        channel_id: str | None = None,
        **kw: Any,
    ) -> httpx.Response:
        """A user runs a slash command; an immediate ack body is shown to them as Slack does."""
        with self.state.lock:
            channel = channel_id or self.state.open_im(user_id)
            form = payloads.slash_command(self.state, self.config, user_id, command, text, channel)
        response = self._deliver(
            "slash_command", urlencode(form), "application/x-www-form-urlencoded", form, **kw
        )
        self._apply_slash_ack(user_id, channel, response)
        return response

    def _apply_slash_ack(self, user_id: str, channel: str, response: httpx.Response) -> None:
        if response.status_code != 200 or not response.content.strip():
            return
        body: dict[str, Any]
        try:
            parsed = response.json()
        except ValueError:
            parsed = None
        body = parsed if isinstance(parsed, dict) else {"text": response.text}
        with self.state.lock:
            if body.get("response_type") == "in_channel":
                store_message(
                    self.state,
                    self.config,
                    channel,
                    text=str(body.get("text") or ""),
                    user=self.config.bot_user_id,
                    blocks=body.get("blocks"),
                )
            else:
                self.state.ephemerals.append(
                    {
                        "channel": channel,
                        "user": user_id,
                        "ts": self.state.next_ts(),
                        "text": body.get("text"),
                        "blocks": copy.deepcopy(body.get("blocks")),
                        "thread_ts": None,
                        "source": "slash_ack",
                    }
                )

    def send_event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        **kw: Any,
    ) -> httpx.Response:
        """Deliver an Events API ``event_callback`` (set ``retry_num`` to mimic a retry)."""
        envelope = payloads.event_callback(self.config, event, event_id or payloads.new_event_id())
        headers = dict(kw.pop("headers", None) or {})
        if retry_num is not None:
            headers.setdefault("X-Slack-Retry-Num", str(retry_num))
            headers.setdefault("X-Slack-Retry-Reason", retry_reason)
        return self._deliver(
            "event_callback",
            json.dumps(envelope),
            "application/json",
            envelope,
            headers=headers,
            **kw,
        )

    def app_home_opened(self, user_id: str, **kw: Any) -> httpx.Response:
        with self.state.lock:
            event: dict[str, Any] = {
                "type": "app_home_opened",
                "user": user_id,
                "channel": self.state.open_im(user_id),
                "tab": "home",
                "event_ts": f"{time.time():.6f}",
            }
            view_id = self.state.home_views.get(user_id)
            if view_id is not None:
                event["view"] = copy.deepcopy(self.state.views[view_id]["view"])
        return self.send_event(event, **kw)

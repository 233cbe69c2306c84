"""Simulated reps: they watch their Slack DMs and queue channels and click, like people."""

from __future__ import annotations

import heapq
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bot.actions import ActionId
from slack_emulator import SlackEmulator


@dataclass(frozen=True)
class Persona:
    accept: float  # chance of accepting a card
    decline: float  # chance of declining (the rest is ignoring it)
    fastest: float  # real seconds
    slowest: float


_FOR_MENTION = re.compile(r"For <@([A-Z0-9_]+)>")
DEFAULT_PERSONA = Persona(accept=0.65, decline=0.12, fastest=0.4, slowest=3.0)


@dataclass(order=True)
class _Planned:
    at: float
    user: str = field(compare=False)
    channel: str = field(compare=False)
    ts: str = field(compare=False)
    action: str = field(compare=False)
    value: str | None = field(compare=False, default=None)


class SimulatedReps:
    def __init__(
        self,
        emu: SlackEmulator,
        users: dict[str, str],
        *,
        queue_members: dict[str, list[str]],
        seed: int,
        personas: dict[str, Persona] | None = None,
    ) -> None:
        self.emu = emu
        self.users = users  # slack user id -> rep id
        self.queue_members = queue_members  # channel id -> slack user ids
        self.random = random.Random(seed)
        self.personas = personas or {}
        self._seen: set[tuple[str, str]] = set()
        self._plan: list[_Planned] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-reps", daemon=True)
        self.ignored = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self._notice_new_cards()
            self._click_due()

    def _notice_new_cards(self) -> None:
        for message in self.emu.messages():
            key = (message["channel"], message["ts"])
            if key in self._seen:
                continue
            actions = _action_ids(message.get("blocks") or [])
            if not actions:
                continue
            self._seen.add(key)
            now = time.monotonic()
            if ActionId.CLAIM in actions:
                members = self.queue_members.get(message["channel"]) or []
                if members:
                    user = self.random.choice(members)
                    delay = self.random.uniform(0.5, 2.5)
                    heapq.heappush(
                        self._plan, _Planned(now + delay, user, *key, action=ActionId.CLAIM)
                    )
                continue
            addressee = self._addressee(message)
            if addressee is None:
                continue
            user = addressee
            persona = self.personas.get(self.users.get(user, ""), DEFAULT_PERSONA)
            roll = self.random.random()
            delay = self.random.uniform(persona.fastest, persona.slowest)
            if roll < persona.accept:
                heapq.heappush(self._plan, _Planned(now + delay, user, *key, ActionId.ACCEPT))
            elif roll < persona.accept + persona.decline:
                heapq.heappush(self._plan, _Planned(now + delay, user, *key, ActionId.DECLINE))
            else:
                self.ignored += 1

    def _addressee(self, message: dict[str, Any]) -> str | None:
        channel = message["channel"]
        for user in self.users:
            if self.emu.dm_channel_for(user) == channel:
                return user
        # A card in a shared channel names its rep: "For <@U...>".
        found = _FOR_MENTION.search(str(message.get("blocks") or ""))
        return found.group(1) if found and found.group(1) in self.users else None

    def _click_due(self) -> None:
        now = time.monotonic()
        while self._plan and self._plan[0].at <= now:
            planned = heapq.heappop(self._plan)
            message = self.emu.message(planned.channel, planned.ts)
            if planned.action not in _action_ids(message.get("blocks") or []):
                continue  # the card moved on (claimed, reassigned) before they clicked
            self.emu.click(planned.user, planned.channel, planned.ts, planned.action)
            if planned.action == ActionId.DECLINE:
                self._fill_decline_modal(planned.user)

    def _fill_decline_modal(self, user: str) -> None:
        """Decline opens a modal: pick a reason and submit it, like a person would."""
        try:
            modal = self.emu.wait_for(
                lambda: [
                    v
                    for v in self.emu.views(user)
                    if v.get("callback_id") == "decline_reason" and not v.get("closed")
                ],
                timeout=3,
            )[-1]
        except TimeoutError:
            return  # the offer closed before the modal opened (accepted elsewhere, expired)
        options = modal["blocks"][1]["element"]["options"]
        reason = self.random.choice(options)["value"]
        self.emu.submit_view(user, modal["id"], {"reason": {"reason_choice": reason}})


def _action_ids(blocks: list[dict[str, Any]]) -> set[str]:
    return {
        element.get("action_id", "")
        for block in blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    }

"""Turning ``<@U123|bob>``, ``@bob`` or ``bob`` into a rep id."""

from __future__ import annotations

import re

from bot.errors import UserFacingError
from bot.slash.base import SlashContext

_MENTION = re.compile(r"^<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>$")


def looks_like_person(word: str) -> bool:
    return bool(_MENTION.match(word)) or word.startswith("@")


def resolve_rep(ctx: SlashContext, word: str) -> str:
    reps = ctx.rt.config.config.reps_by_id
    match = _MENTION.match(word)
    if match:
        rep_id = ctx.rt.directory.rep_for(match.group(1))
        if rep_id is None:
            raise UserFacingError(f"{word} is not a rep in routing.yml.")
        return rep_id
    name = word.removeprefix("@").lower()
    if name in reps:
        return name
    for rep in reps.values():
        if rep.email and rep.email.split("@")[0].lower() == name:
            return rep.id
    raise UserFacingError(f"I don't know a rep called `{word}`. Mention them, like @bob.")

"""Subcommands that change things: claim, reassign, away, back."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from bot import permissions
from bot.errors import UserFacingError
from bot.services import leads
from bot.slack.mrkdwn import md
from bot.slash.base import Reply, SlashContext, Usage, load_lead
from bot.slash.people import looks_like_person, resolve_rep
from bot.slash.when import USAGE as AWAY_USAGE
from bot.slash.when import BadTime, parse_away
from bot.views.text import clock_time


def claim(ctx: SlashContext, args: list[str]) -> Reply:
    if len(args) != 1:
        raise Usage("claim LEAD")
    rep_id = ctx.rep()
    lead = load_lead(ctx, args[0])
    result = leads.claim(ctx.rt, lead.id, rep_id)
    if result.status == "claimed":
        return Reply(md("It's yours: *{}* is now assigned to you.", lead.public_id))
    if result.status == "already_claimed":
        return Reply(md("*{}* was already claimed by {}.", lead.public_id, result.owner))
    return Reply(md("*{}* is not open for claim (it is {}).", lead.public_id, lead.state))


def reassign(ctx: SlashContext, args: list[str]) -> Reply:
    if len(args) < 2 or not looks_like_person(args[1]):
        raise Usage("reassign LEAD @user [reason]")
    actor = ctx.rep()
    lead = load_lead(ctx, args[0])
    to_rep = resolve_rep(ctx, args[1])
    reason = " ".join(args[2:]) or None
    config = ctx.rt.config.config
    pending = next((o for o in lead.offers if o.outcome == "pending"), None)
    current = pending.rep_id if pending is not None else lead.assignee
    queue = lead.queue_id if lead.state == "queued" else None
    if not permissions.may_reassign(config, actor, current_rep=current, queue=queue):
        raise UserFacingError(
            "Only the rep's managers and admins can reassign a lead "
            f"({lead.public_id} is with {current or queue or 'nobody'})."
        )
    result = leads.reassign(ctx.rt, lead.id, to_rep=to_rep, by=actor, reason=reason)
    if result.status == "same_rep":
        return Reply(md("*{}* is already with {}.", lead.public_id, to_rep))
    return Reply(md("*{}* reassigned from {} to {}.", lead.public_id, current or "nobody", to_rep))


def away(ctx: SlashContext, args: list[str]) -> Reply:
    actor = ctx.rep()
    target = actor
    if args and looks_like_person(args[0]):
        target = resolve_rep(ctx, args[0])
        args = args[1:]
    config = ctx.rt.config.config
    if not permissions.may_set_away(config, actor, target):
        raise UserFacingError("You can set only your own away status.")
    rep = config.reps_by_id[target]
    tz = rep.timezone or config.timezone
    hours = config.business_hours.get(rep.hours) if rep.hours else None
    day_start = hours.start if hours is not None else time(9, 0)
    try:
        until = parse_away(args, now=ctx.rt.clock.now(), tz=tz, day_start=day_start)
    except BadTime as exc:
        raise Usage(f"{AWAY_USAGE}` ({exc})`") from None
    leads.set_away(ctx.rt, target, until=until, by=actor)
    who = "You are" if target == actor else f"{target} is"
    when = (
        f"until {until.astimezone(ZoneInfo(tz)):%a %d %b} {clock_time(until, tz)}"
        if until
        else "until `/leads back`"
    )
    return Reply(md("{} away {}. No new leads will be offered meanwhile.", who, when))


def back(ctx: SlashContext, args: list[str]) -> Reply:
    actor = ctx.rep()
    target = resolve_rep(ctx, args[0]) if args else actor
    if not permissions.may_set_away(ctx.rt.config.config, actor, target):
        raise UserFacingError("You can set only your own away status.")
    was_away = leads.set_back(ctx.rt, target, by=actor)
    who = "You are" if target == actor else f"{target} is"
    return Reply(
        md("{} back{}: eligible for new leads now.", who, "" if was_away else " (was not away)")
    )

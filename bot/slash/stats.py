"""``/leads stats [7d]``: speed to lead, time to first offer and to accept, acceptance,
the SLA ladder's breaches and steps, and counts per rep."""

from __future__ import annotations

from datetime import timedelta

from bot import permissions
from bot.reporting.stats import collect_stats, percentile
from bot.slack.mrkdwn import esc
from bot.slash.base import Reply, SlashContext, Usage
from bot.views.text import human_duration
from routing.durations import format_duration, parse_duration

DEFAULT_PERIOD = timedelta(days=7)


def _fmt(seconds: float | None) -> str:
    return "-" if seconds is None else human_duration(timedelta(seconds=seconds))


def _rate(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.0%}"


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else many


def stats(ctx: SlashContext, args: list[str]) -> Reply:
    if len(args) > 1:
        raise Usage("stats [7d]")
    try:
        period = parse_duration(args[0]) if args else DEFAULT_PERIOD
    except ValueError:
        raise Usage("stats [7d]` (a period like 24h, 7d or 4w)`") from None
    actor = ctx.rep()
    config = ctx.rt.config.config
    # Reps see their own numbers; managers their team; admins everyone.
    team = permissions.team_of(config, actor) | {actor}
    scope = (
        "everyone"
        if permissions.is_admin(config, actor)
        else ("your team" if len(team) > 1 else "you")
    )
    with ctx.rt.db.session() as session:
        data = collect_stats(session, now=ctx.rt.clock.now(), period=period, reps=team)
    lines = [
        f"*Stats for {scope}, last {format_duration(period)}*",
        f"Leads: {data.leads} ("
        + (", ".join(f"{n} {s}" for s, n in sorted(data.states.items())) or "none")
        + ")",
        f"Speed to lead: p50 {_fmt(percentile(data.speed_to_lead, 50))}, "
        f"p90 {_fmt(percentile(data.speed_to_lead, 90))}",
        f"Time to first offer: p50 {_fmt(percentile(data.first_offer, 50))}, "
        f"p90 {_fmt(percentile(data.first_offer, 90))}",
        f"Time to accept: p50 {_fmt(percentile(data.time_to_accept, 50))}, "
        f"p90 {_fmt(percentile(data.time_to_accept, 90))}",
        f"Acceptance rate: {_rate(data.acceptance_rate)}",
        f"SLA: {data.breaches} {_plural(data.breaches, 'breach', 'breaches')} "
        f"({data.breached_leads} of {data.leads} {_plural(data.leads, 'lead', 'leads')}), "
        f"{data.escalation_steps} escalation {_plural(data.escalation_steps, 'step', 'steps')}, "
        f"{data.reminders} {_plural(data.reminders, 'reminder', 'reminders')}",
    ]
    if data.per_rep:
        lines.append("```")
        head = f"{'rep':<12}{'offered':>8}{'accepted':>9}{'declined':>9}{'breached':>9}{'p50':>8}"
        lines.append(head)
        for rep_id, rep in sorted(data.per_rep.items()):
            p50 = _fmt(percentile(rep.seconds_to_accept, 50))
            lines.append(
                f"{rep_id:<12}{rep.offered:>8}{rep.accepted:>9}{rep.declined:>9}"
                f"{rep.breaches:>9}{p50:>8}"
            )
        lines.append("```")
    # Numbers, durations and rep ids from routing.yml: escaped as plain text all the same.
    return Reply(esc("\n".join(lines)))

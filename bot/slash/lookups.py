"""Read-only subcommands: mine, status, why."""

from __future__ import annotations

from bot.slack.mrkdwn import Mrkdwn, lines, md
from bot.slash.base import Reply, SlashContext, Usage, load_lead
from bot.views.card import lead_name
from bot.views.text import human_duration
from storage.lead_lists import accepted_by, open_for_claim, pending_offers_of
from storage.outbox import pending_for_lead

MINE_LIMIT = 20


def _one_lead_arg(args: list[str], usage: str) -> str:
    if len(args) != 1:
        raise Usage(usage)
    return args[0]


def mine(ctx: SlashContext, args: list[str]) -> Reply:
    rep_id = ctx.rep()
    with ctx.rt.db.session() as session:
        pending = pending_offers_of(session, rep_id)
        accepted = accepted_by(session, rep_id, limit=MINE_LIMIT)
    pending_lines = []
    for lead in pending:
        due = f", accept by {lead.deadline:%H:%M} UTC" if lead.deadline else ""
        pending_lines.append(md("• *{}* {}{}", lead.public_id, lead_name(lead.fields), due))
    accepted_lines = [md("• *{}* {}", lead.public_id, lead_name(lead.fields)) for lead in accepted]
    parts = [
        md("*Waiting for you*\n{}", lines(pending_lines) or "Nothing pending."),
        md("*Yours (latest {})*\n{}", MINE_LIMIT, lines(accepted_lines) or "None yet."),
    ]
    return Reply(Mrkdwn("\n\n").join(parts))


def status(ctx: SlashContext, args: list[str]) -> Reply:
    lead = load_lead(ctx, _one_lead_arg(args, "status LEAD"))
    out = [md("*{}* {}: *{}*", lead.public_id, lead_name(lead.fields), lead.state)]
    if lead.assignee:
        out.append(md("Owner: {}", lead.assignee))
    if lead.queue_id and lead.state == "queued":
        out.append(md("Open for claim in {}", lead.queue_id))
    for offer in lead.offers:
        took = (
            f" after {human_duration(offer.responded_at - offer.offered_at)}"
            if offer.responded_at
            else ""
        )
        reason = f" ({offer.reason})" if offer.reason else ""
        out.append(md("• offered to {}: {}{}{}", offer.rep_id, offer.outcome, took, reason))
    with ctx.rt.db.session() as session:
        for item in pending_for_lead(session, lead.id):
            if item.status == "dead":
                out.append(md(":x: Delivery failed ({}): {}", item.kind, item.last_error))
            elif item.last_error:
                out.append(
                    md(
                        ":hourglass: Retrying {} (attempt {}): {}",
                        item.kind,
                        item.attempts,
                        item.last_error,
                    )
                )
    return Reply(lines(out))


def why(ctx: SlashContext, args: list[str]) -> Reply:
    lead = load_lead(ctx, _one_lead_arg(args, "why LEAD"))
    if not lead.decisions:
        return Reply(md("{} has not been routed yet.", lead.public_id))
    out = [md("*Why {} went where it went*", lead.public_id)]
    for decision in lead.decisions:
        out.append(
            md(
                "• {:%Y-%m-%d %H:%M} UTC, config {}: {}",
                decision.decided_at,
                decision.config_version,
                decision.reason,
            )
        )
        for step in decision.trace:
            if step.get("step") == "target" and step.get("candidates"):
                skipped = [
                    f"{c['rep']} ({c['why']})" for c in step["candidates"] if not c.get("eligible")
                ]
                if skipped:
                    out.append(md("   skipped in {}: {}", step.get("target"), ", ".join(skipped)))
    matching = (lead.fields or {}).get("match_trace")
    if matching:
        out.append(md("• matching: {}", "; ".join(str(line) for line in matching)))
    return Reply(lines(out))


def queue(ctx: SlashContext, args: list[str]) -> Reply:
    """Open-claim leads in the queues the caller belongs to (admins: all)."""
    rep_id = ctx.rep()
    config = ctx.rt.config.config
    mine = {
        q for q in config.queues if rep_id in config.queue_member_ids(q) or rep_id in config.admins
    }
    if not mine:
        return Reply(Mrkdwn("You are not a member of any queue."))
    with ctx.rt.db.session() as session:
        open_leads = open_for_claim(session, mine, limit=MINE_LIMIT)
    found = [
        md("• *{}* {} in {}", lead.public_id, lead_name(lead.fields), lead.queue_id)
        for lead in open_leads
    ]
    if not found:
        return Reply(md("Nothing waiting in {}.", ", ".join(sorted(mine))))
    return Reply(md("*Open for claim* (`/leads claim LEAD`)\n{}", lines(found)))

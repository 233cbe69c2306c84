"""The App Home tab: a rep's pending and accepted leads; for managers, their team.

Pure: ``render_home(HomeData) -> View``. Lists are cut to fit Slack's limits (100
blocks per view, 3000 characters per section) and say how many were left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, LiteralString

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.actions import ActionId, OfferRef, encode
from bot.home.speed import SpeedToLead
from bot.slack.mrkdwn import Mrkdwn, code, date, esc, lines, md
from bot.views.card import lead_name
from bot.views.text import CONTEXT_TEXT, HEADER_TEXT, SECTION_TEXT, cut, human_duration

MAX_BLOCKS = 100  # Slack's limit for a Home tab view
MAX_PENDING_SHOWN = 15  # two blocks each: the lead and its buttons
MAX_LINES_SHOWN = 15  # per list rendered as lines of one section
CALLBACK_ID = "leadrouter_home"
FOREVER_YEAR = 9999


@dataclass(frozen=True)
class PendingOffer:
    offer_id: int
    public_id: str
    fields: dict[str, Any]
    offered_at: datetime
    deadline: datetime | None
    salesforce_url: str | None = None


@dataclass(frozen=True)
class AcceptedLead:
    public_id: str
    fields: dict[str, Any]
    accepted_at: datetime
    waited: timedelta | None  # from received to accepted


@dataclass(frozen=True)
class OpenLead:
    """A team lead still waiting: offered to a rep, or queued for a claim."""

    public_id: str
    fields: dict[str, Any]
    since: datetime
    rep_name: str | None = None
    queue_id: str | None = None
    deadline: datetime | None = None


@dataclass(frozen=True)
class AwayRep:
    name: str
    until: datetime


@dataclass(frozen=True)
class TeamHome:
    size: int
    offered: Sequence[OpenLead]
    offered_total: int
    queued: Sequence[OpenLead]
    queued_total: int
    away: Sequence[AwayRep]
    speed: SpeedToLead
    timezone: str
    admin: bool = False


@dataclass(frozen=True)
class HomeData:
    rep_name: str
    now: datetime
    away_until: datetime | None
    pending: Sequence[PendingOffer]
    pending_total: int
    accepted: Sequence[AcceptedLead]
    accepted_total: int
    team: TeamHome | None = None


def when(at: datetime, fmt: LiteralString = "{date_short_pretty} {time}") -> Mrkdwn:
    """A time Slack shows in the reader's own time zone (``today 10:42 AM``)."""
    return date(at, fmt, at.strftime("%Y-%m-%d %H:%M UTC"))


def _who(public_id: str, fields: dict[str, Any]) -> Mrkdwn:
    company = md(" · {}", fields["company"]) if fields.get("company") else ""
    return md("{} *{}*{}", code(public_id), lead_name(fields), company)


def _more(hidden: int, hint: LiteralString = "") -> ContextBlock:
    text = md("…and {} more", hidden) + (Mrkdwn(f" {hint}") if hint else "")
    return ContextBlock(elements=[MarkdownTextObject(text=cut(text, CONTEXT_TEXT))])


def _heading(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=cut(text, HEADER_TEXT)))


def lines_blocks(
    items: Sequence[Mrkdwn], total: int, *, empty: LiteralString, hint: LiteralString = ""
) -> list[Block]:
    """One section of up to MAX_LINES_SHOWN lines that fit 3000 characters, then 'and N more'."""
    if not items:
        return [SectionBlock(text=MarkdownTextObject(text=Mrkdwn(empty)))]
    shown: list[Mrkdwn] = []
    size = 0
    for line in items[:MAX_LINES_SHOWN]:
        line = cut(line, SECTION_TEXT)
        if size + len(line) + 1 > SECTION_TEXT:
            break
        shown.append(line)
        size += len(line) + 1
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=lines(shown)))]
    hidden = max(total, len(items)) - len(shown)
    if hidden > 0:
        blocks.append(_more(hidden, hint))
    return blocks


def offer_blocks(offer: PendingOffer) -> list[Block]:
    """The lead and the same Accept / Decline buttons as its card, in their own block."""
    due = md("\n:alarm_clock: Accept by *{}*", when(offer.deadline)) if offer.deadline else ""
    title = offer.fields.get("title")
    title_text = md(" — {}", title) if title else ""
    text = md("{}{}{}", _who(offer.public_id, offer.fields), title_text, due)
    value = encode(OfferRef(offer=offer.offer_id))
    buttons = [
        ButtonElement(text=esc("Accept"), action_id=ActionId.ACCEPT, value=value, style="primary"),
        ButtonElement(text=esc("Decline"), action_id=ActionId.DECLINE, value=value),
    ]
    if offer.salesforce_url:
        buttons.append(
            ButtonElement(
                text=esc("Open in Salesforce"),
                action_id=ActionId.OPEN_IN_SALESFORCE,
                url=offer.salesforce_url,
            )
        )
    return [
        SectionBlock(text=MarkdownTextObject(text=cut(text, SECTION_TEXT))),
        # action_ids repeat across offers; Slack needs them unique only within a block.
        ActionsBlock(block_id=f"home_offer:{offer.offer_id}", elements=buttons),
    ]


def _until(at: datetime) -> Mrkdwn:
    # `/leads away` with no end is stored as the far future.
    return Mrkdwn("further notice") if at.year >= FOREVER_YEAR else when(at)


def _status(data: HomeData) -> Mrkdwn:
    if data.away_until is not None and data.away_until > data.now:
        return md(
            ":palm_tree: You're *away* until {}: no new leads are offered to you. "
            "`/leads back` makes you available again.",
            _until(data.away_until),
        )
    return Mrkdwn(
        ":large_green_circle: You're *available* for new leads. `/leads away` pauses them."
    )


def _accepted_line(lead: AcceptedLead) -> Mrkdwn:
    waited = f", {human_duration(lead.waited)} after it arrived" if lead.waited else ""
    return md(
        "{} — accepted {}{}", _who(lead.public_id, lead.fields), when(lead.accepted_at), waited
    )


def _offered_line(lead: OpenLead) -> Mrkdwn:
    due = md(", accept by {}", when(lead.deadline, "{time}")) if lead.deadline else ""
    return md(
        "{} — offered to *{}* {}{}",
        _who(lead.public_id, lead.fields),
        lead.rep_name or "?",
        when(lead.since),
        due,
    )


def _queued_line(lead: OpenLead, now: datetime) -> Mrkdwn:
    waited = human_duration(now - lead.since)
    return md(
        "{} — in *{}* for {}", _who(lead.public_id, lead.fields), lead.queue_id or "?", waited
    )


def _speed_text(speed: SpeedToLead, timezone: str) -> Mrkdwn:
    if speed.count == 0 or speed.p50 is None or speed.p90 is None:
        return md("*Speed to lead today* ({}): no leads accepted yet.", timezone)
    leads = "lead" if speed.count == 1 else "leads"
    return md(
        "*Speed to lead today* ({}): median *{}*, p90 *{}* over {} accepted {}.",
        timezone,
        human_duration(speed.p50),
        human_duration(speed.p90),
        speed.count,
        leads,
    )


def team_blocks(team: TeamHome, now: datetime) -> list[Block]:
    scope = "Everyone" if team.admin else "Your team"
    blocks: list[Block] = [
        DividerBlock(),
        _heading(f"{scope} ({team.size} reps)"),
        SectionBlock(text=MarkdownTextObject(text=_speed_text(team.speed, team.timezone))),
    ]
    away = [md(":palm_tree: *{}* until {}", a.name, _until(a.until)) for a in team.away]
    blocks += lines_blocks(away, len(away), empty="Nobody is away right now.")
    blocks.append(
        SectionBlock(
            text=MarkdownTextObject(text=md("*Waiting for a rep* ({})", team.offered_total))
        )
    )
    blocks += lines_blocks(
        [_offered_line(lead) for lead in team.offered],
        team.offered_total,
        empty="No offers waiting.",
        hint="(oldest first)",
    )
    blocks.append(
        SectionBlock(
            text=MarkdownTextObject(text=md("*Waiting in queues* ({})", team.queued_total))
        )
    )
    blocks += lines_blocks(
        [_queued_line(lead, now) for lead in team.queued],
        team.queued_total,
        empty="No leads waiting in queues.",
        hint="(oldest first)",
    )
    return blocks


def fit_blocks(blocks: list[Block], limit: int = MAX_BLOCKS) -> list[Block]:
    """At most ``limit`` blocks; when cut, the last one says so."""
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    note = Mrkdwn("This view was cut to Slack's size limit. Use `/leads mine` for the full list.")
    return [*kept, ContextBlock(elements=[MarkdownTextObject(text=note)])]


def home_blocks(data: HomeData) -> list[Block]:
    blocks: list[Block] = [
        _heading(f"Lead Router · {data.rep_name}"),
        SectionBlock(text=MarkdownTextObject(text=_status(data))),
        ContextBlock(elements=[MarkdownTextObject(text=md("Updated {}", when(data.now)))]),
        DividerBlock(),
        _heading(f"Waiting for you ({data.pending_total})"),
    ]
    if not data.pending:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=Mrkdwn("Nothing waiting. New leads show up here."))
            )
        )
    for offer in data.pending[:MAX_PENDING_SHOWN]:
        blocks += offer_blocks(offer)
    hidden = max(data.pending_total, len(data.pending)) - min(len(data.pending), MAX_PENDING_SHOWN)
    if hidden > 0:
        blocks.append(_more(hidden, "(use the cards in your DMs, or `/leads mine`)"))
    blocks.append(_heading("Recently accepted"))
    blocks += lines_blocks(
        [_accepted_line(lead) for lead in data.accepted],
        data.accepted_total,
        empty="No accepted leads yet.",
        hint="(`/leads mine` lists them all)",
    )
    if data.team is not None:
        blocks += team_blocks(data.team, data.now)
    return fit_blocks(blocks)


def render_home(data: HomeData) -> View:
    return View(type="home", callback_id=CALLBACK_ID, blocks=home_blocks(data))


def render_not_a_rep() -> View:
    text = Mrkdwn(
        "*Lead Router* offers inbound leads to reps in Slack. You are not a rep in its "
        "routing.yml (Slack users are matched by email), so there is nothing to show here. "
        "Ask a RevOps admin to add you."
    )
    return View(
        type="home",
        callback_id=CALLBACK_ID,
        blocks=[SectionBlock(text=MarkdownTextObject(text=text))],
    )

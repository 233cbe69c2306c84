"""The demo's live feed: every event from the log, printed as it happens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console

from storage.db import Database
from storage.demo_queries import EventLine, events_after, lead_fields
from storage.models import LEAD_ID_OFFSET

STYLES = {
    "lead.received": ("cyan", "received"),
    "lead.routed": ("white", "routed"),
    "offer.created": ("yellow", "offered"),
    "offer.accepted": ("green", "accepted"),
    "offer.declined": ("magenta", "declined"),
    "queue.claimed": ("green", "claimed"),
    "delivery.failed": ("red", "delivery failed"),
    "alert.no_admins": ("red", "unrouted, no admin"),
    "sla.reminded": ("yellow", "reminder"),
    "sla.breached": ("red", "SLA breached"),
    "sla.escalated": ("red", "escalation"),
    "lead.queued": ("cyan", "open for claim"),
    "lead.reassigned": ("magenta", "reassigned"),
}


class LiveFeed:
    def __init__(self, db: Database, console: Console, tz: Any) -> None:
        self.db = db
        self.console = console
        self.tz = tz
        self.last_id = 0
        self.names: dict[int, str] = {}

    def poll(self) -> int:
        with self.db.session() as session:
            events = events_after(session, self.last_id)
            new = {e.lead_id for e in events if e.lead_id and e.lead_id not in self.names}
            found = lead_fields(session, new)
        for lead_id, fields in found.items():
            company = fields.get("company")
            who = " ".join(str(fields[k]) for k in ("first_name", "last_name") if fields.get(k))
            self.names[lead_id] = f"{who} ({company})" if company else who
        for event in events:
            self.last_id = event.id
            self.console.print(self._line(event), highlight=False)
        return len(events)

    def _line(self, event: EventLine) -> str:
        style, label = STYLES.get(event.kind, ("white", event.kind))
        at: datetime = event.at.astimezone(self.tz)
        lead = f"L-{event.lead_id + LEAD_ID_OFFSET}" if event.lead_id else "-"
        data = event.data or {}
        detail = ""
        if event.kind == "lead.received":
            detail = self.names.get(event.lead_id or 0, "")
        elif event.kind == "lead.routed":
            if data.get("outcome") == "rep":
                detail = f"rule [bold]{data.get('rule')}[/] -> {data.get('assignee')}"
            elif data.get("outcome") == "queue":
                detail = f"rule [bold]{data.get('rule')}[/] -> open claim in {data.get('queue')}"
            else:
                detail = "[red]no rule with an eligible rep: admins alerted[/]"
        elif event.kind == "offer.created":
            detail = f"card sent to {data.get('rep')}"
        elif event.kind == "offer.accepted":
            minutes = float(data.get("seconds_to_accept") or 0) / 60
            detail = f"by {event.actor} after {minutes:.1f} min"
        elif event.kind == "offer.declined":
            detail = f"by {event.actor}, re-routing"
        elif event.kind == "queue.claimed":
            detail = f"by {event.actor} from {data.get('queue')}"
        elif event.kind == "sla.escalated":
            action = data.get("action") or {}
            parts = []
            if action.get("notify"):
                parts.append("notify " + ", ".join(action["notify"]))
            if action.get("reassign"):
                parts.append("reassign to next rep")
            if action.get("open_claim"):
                parts.append(f"open claim in {action['open_claim']}")
            detail = "; ".join(parts)
        elif event.kind == "sla.breached":
            detail = f"{data.get('rep')} did not accept in time"
        elif event.kind == "lead.queued":
            detail = f"in {data.get('queue')}"
        elif event.kind == "delivery.failed":
            detail = str(data.get("error"))
        return f"[dim]{at:%a %H:%M}[/] {lead:>7} [{style}]{label:<16}[/] {detail}"

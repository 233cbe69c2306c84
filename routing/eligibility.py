"""Whether a rep may be offered a lead right now, and if not, why not."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from routing.config.models import RoutingConfig
from routing.hours import is_open
from routing.roster import Roster

CAP_WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}


def ineligible_reason(
    rep_id: str,
    *,
    config: RoutingConfig,
    roster: Roster,
    now: datetime,
    respect_hours: bool = True,
    require_skills: Iterable[str] = (),
) -> str | None:
    """None when the rep is eligible, else a short reason for the trace."""
    rep = config.reps_by_id.get(rep_id)
    if rep is None:
        return "not a known rep"
    if not rep.active:
        return "inactive"
    if rep_id in roster.excluded:
        return "already declined or timed out on this lead"
    load = roster.load(rep_id)
    if load.away_until is not None and load.away_until > now:
        return f"away until {load.away_until.isoformat(timespec='minutes')}"
    if respect_hours and rep.hours and not is_open(config.business_hours[rep.hours], now):
        return f"outside working hours ({rep.hours})"
    missing = [s for s in require_skills if s not in rep.skills]
    if missing:
        return f"lacks skill {', '.join(missing)}"
    if rep.max_pending is not None and load.pending >= rep.max_pending:
        return f"at max_pending ({load.pending}/{rep.max_pending})"
    if rep.caps is not None:
        for window, span in CAP_WINDOWS.items():
            cap = getattr(rep.caps, window)
            if cap is not None:
                used = load.offers_since(now - span)
                if used >= cap:
                    return f"at {window} cap ({used}/{cap})"
    return None

"""Whether a rep may be offered a lead right now, and if not, why not."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from routing.config.models import Rep, RoutingConfig
from routing.hours import OpenHours
from routing.roster import Roster

CAP_WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}

# (window name, span, cap) of each cap a rep has, in CAP_WINDOWS order.
_Caps = tuple[tuple[str, timedelta, int], ...]


class Eligibility:
    """Eligibility checks over one config, its settings read once per rep and per set of
    business hours. ``reason(...)`` is :func:`ineligible_reason`. Safe to share between
    threads (its caches only ever gain identical entries).
    """

    __slots__ = ("_hours", "_reps", "config")

    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self._reps: dict[str, tuple[Rep, frozenset[str], _Caps] | None] = {}
        self._hours: dict[str, OpenHours] = {}

    def _rep(self, rep_id: str) -> tuple[Rep, frozenset[str], _Caps] | None:
        try:
            return self._reps[rep_id]
        except KeyError:
            pass
        rep = self.config.reps_by_id.get(rep_id)
        info = None
        if rep is not None:
            caps: _Caps = ()
            if rep.caps is not None:
                caps = tuple(
                    (window, span, cap)
                    for window, span in CAP_WINDOWS.items()
                    if (cap := getattr(rep.caps, window)) is not None
                )
            info = (rep, frozenset(rep.skills), caps)
        self._reps[rep_id] = info
        return info

    def is_open(self, name: str, now: datetime, memo: dict[str, bool] | None = None) -> bool:
        """Whether business hours ``name`` are open at ``now``; ``memo`` (one dict per
        ``now``, e.g. per routing call) remembers the answers."""
        if memo is not None:
            known = memo.get(name)
            if known is not None:
                return known
        check = self._hours.get(name)
        if check is None:
            check = self._hours[name] = OpenHours(self.config.business_hours[name])
        result = check(now)
        if memo is not None:
            memo[name] = result
        return result

    def reason(
        self,
        rep_id: str,
        roster: Roster,
        now: datetime,
        *,
        respect_hours: bool = True,
        require_skills: Iterable[str] = (),
        hours_memo: dict[str, bool] | None = None,
    ) -> str | None:
        """None when the rep is eligible, else a short reason for the trace.

        ``hours_memo``: see :meth:`is_open` (only valid for one ``now``)."""
        info = self._rep(rep_id)
        if info is None:
            return "not a known rep"
        rep, skills, caps = info
        if not rep.active:
            return "inactive"
        if rep_id in roster.excluded:
            return "already declined or timed out on this lead"
        load = roster.load(rep_id)
        if load.away_until is not None and load.away_until > now:
            return f"away until {load.away_until.isoformat(timespec='minutes')}"
        if respect_hours and rep.hours and not self.is_open(rep.hours, now, hours_memo):
            return f"outside working hours ({rep.hours})"
        if require_skills:
            missing = [s for s in require_skills if s not in skills]
            if missing:
                return f"lacks skill {', '.join(missing)}"
        if rep.max_pending is not None and load.pending >= rep.max_pending:
            return f"at max_pending ({load.pending}/{rep.max_pending})"
        if caps:
            offered = len(load.recent_offers)
            for window, span, cap in caps:
                if offered < cap:  # fewer offers in all than the cap: none to count
                    continue
                used = load.offers_since(now - span)
                if used >= cap:
                    return f"at {window} cap ({used}/{cap})"
        return None


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
    return Eligibility(config).reason(
        rep_id, roster, now, respect_hours=respect_hours, require_skills=require_skills
    )

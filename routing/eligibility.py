"""Whether a rep may be offered a lead right now, and if not, why not."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from routing.config.models import RoutingConfig
from routing.hours import OpenHours
from routing.roster import RepLoad, Roster

CAP_WINDOWS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}

_NO_LOAD = RepLoad()

# (window name, span, cap) of each cap a rep has, in CAP_WINDOWS order.
_Caps = tuple[tuple[str, timedelta, int], ...]
# What eligibility reads of a rep, once: (reason it never is eligible: unknown or inactive,
# else None; business hours or None; skills; max_pending; caps; the reason when outside
# its hours).
RepInfo = tuple[str | None, str | None, frozenset[str], int | None, _Caps, str | None]

# Reasons already written, by what they say (reps share them: same counts, same skills).
_WHY: dict[tuple[object, ...], str] = {}
_WHY_MAX = 4096


def _remember(key: tuple[object, ...], why: str) -> str:
    if len(_WHY) >= _WHY_MAX:
        _WHY.clear()
    _WHY[key] = why
    return why


def _lacks(required: tuple[str, ...], skills: frozenset[str]) -> str:
    key = ("skills", required, skills)
    why = _WHY.get(key)
    if why is None:
        missing = [s for s in required if s not in skills]
        why = _remember(key, f"lacks skill {', '.join(missing)}")
    return why


def _away(until: datetime) -> str:
    # Equal instants in other offsets print differently: the offset is part of the key.
    key = ("away", until, until.utcoffset())
    why = _WHY.get(key)
    if why is None:
        why = _remember(key, f"away until {until.isoformat(timespec='minutes')}")
    return why


def _at_max(pending: int, limit: int) -> str:
    key = ("pending", pending, limit)
    why = _WHY.get(key)
    if why is None:
        why = _remember(key, f"at max_pending ({pending}/{limit})")
    return why


def _caps(load: RepLoad, now: datetime, caps: _Caps) -> str | None:
    """The reason a rep is at one of its ``caps``, else None."""
    offered = len(load.recent_offers)
    for window, span, cap in caps:
        if offered < cap:  # fewer offers in all than the cap: none to count
            continue
        used = load.offers_since(now - span)
        if used >= cap:
            return f"at {window} cap ({used}/{cap})"
    return None


EXCLUDED = "already declined or timed out on this lead"
# The reasons above, for code generated over reps' settings (routing.pool_checks).
away, lacks, at_max, caps_reason = _away, _lacks, _at_max, _caps


class Eligibility:
    """Eligibility checks over one config, its settings read once per rep and per set of
    business hours. ``reason(...)`` is :func:`ineligible_reason`. Safe to share between
    threads (its caches only ever gain identical entries).
    """

    __slots__ = ("_hours", "_reps", "config")

    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self._reps: dict[str, RepInfo] = {}
        self._hours: dict[str, OpenHours] = {}

    def _rep(self, rep_id: str) -> RepInfo:
        try:
            return self._reps[rep_id]
        except KeyError:
            pass
        rep = self.config.reps_by_id.get(rep_id)
        info: RepInfo
        if rep is None:
            info = ("not a known rep", None, frozenset(), None, (), None)
        elif not rep.active:
            info = ("inactive", None, frozenset(), None, (), None)
        else:
            caps: _Caps = ()
            if rep.caps is not None:
                caps = tuple(
                    (window, span, cap)
                    for window, span in CAP_WINDOWS.items()
                    if (cap := getattr(rep.caps, window)) is not None
                )
            hours = rep.hours or None
            info = (
                None,
                hours,
                frozenset(rep.skills),
                rep.max_pending,
                caps,
                None if hours is None else f"outside working hours ({hours})",
            )
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
        return self.reasons((rep_id,), roster, now, respect_hours, require_skills, hours_memo)[0]

    def reasons(
        self,
        rep_ids: Iterable[str],
        roster: Roster,
        now: datetime,
        respect_hours: bool = True,
        require_skills: Iterable[str] = (),
        hours_memo: dict[str, bool] | None = None,
        *,
        until_eligible: bool = False,
    ) -> list[str | None]:
        """:meth:`reason` of each rep in ``rep_ids`` (the members of a pool, say).

        ``until_eligible``: stop after the first eligible rep (its ``None`` is the last
        item), for strategies that walk members in order of preference."""
        reps = rep_ids if isinstance(rep_ids, list | tuple) else list(rep_ids)
        known = self._reps
        infos = [known.get(rep_id) or self._rep(rep_id) for rep_id in reps]
        return self.reasons_of(
            reps,
            infos,
            roster,
            now,
            respect_hours,
            tuple(require_skills),
            hours_memo,
            until_eligible,
        )

    def infos(self, rep_ids: Iterable[str]) -> tuple[RepInfo, ...]:
        """What :meth:`reasons_of` reads of each rep, read once (per pool, say)."""
        return tuple(self._rep(rep_id) for rep_id in rep_ids)

    def reasons_of(
        self,
        rep_ids: Sequence[str],
        infos: Iterable[RepInfo],
        roster: Roster,
        now: datetime,
        respect_hours: bool,
        required: tuple[str, ...],
        hours_memo: dict[str, bool] | None,
        until_eligible: bool,
        candidates: list[dict[str, Any]] | None = None,
    ) -> list[str | None]:
        """:meth:`reasons` with each rep's :meth:`infos` given, in ``rep_ids`` order.

        ``candidates``: also gets the trace entry ``{"rep", "eligible", "why"}`` of each
        rep checked."""
        memo: dict[str, bool] = {} if hours_memo is None else hours_memo
        loads = roster.reps
        excluded = roster.excluded
        out: list[str | None] = []
        append = out.append
        add = None if candidates is None else candidates.append
        needed = frozenset(required)
        why: str | None
        for rep_id, info in zip(rep_ids, infos, strict=True):
            why, hours, skills, limit, caps, outside = info
            if why is not None:  # unknown or inactive
                pass
            elif excluded and rep_id in excluded:
                why = EXCLUDED
            else:
                load = loads.get(rep_id, _NO_LOAD)
                away = load.away_until
                if away is not None and away > now:
                    why = _away(away)
                else:
                    is_open: bool | None = True
                    if hours is not None and respect_hours:
                        is_open = memo.get(hours)
                        if is_open is None:
                            is_open = self.is_open(hours, now, memo)
                    if not is_open:
                        why = outside
                    elif required and not needed <= skills:
                        why = _lacks(required, skills)
                    elif limit is not None and load.pending >= limit:
                        why = _at_max(load.pending, limit)
                    elif caps:
                        offered = len(load.recent_offers)
                        for window, span, cap in caps:
                            if offered < cap:  # fewer offers in all than the cap: none to count
                                continue
                            used = load.offers_since(now - span)
                            if used >= cap:
                                why = f"at {window} cap ({used}/{cap})"
                                break
            append(why)
            if add is not None:
                add({"rep": rep_id, "eligible": why is None, "why": why})
            if why is None and until_eligible:
                break
        return out


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

"""Dry-run routing of a batch of leads: no database, no Slack, no wall clock.

``simulate(config, leads, default_time)`` routes the leads in the order given, each at
its own ``created_at`` or else at ``default_time``, with an in-memory roster that carries
from lead to lead exactly what the live bot would store:

* pool rotation state (``Decision.pool_state``) after each pool pick;
* every offer counts as accepted at once, so ``pending`` stays 0, but the offer still
  counts against the rep's rolling caps (hour/day/week windows) and moves the rep's
  ``last_offered_at`` (the least-loaded tie-break). Offers are ordered as processed:
  leads sharing one time, or whose created_at goes back in time, still rotate.

Account and duplicate matching need the CRM tables, so ``account.*`` and ``duplicate.*``
are absent unless the input rows carry them as columns (``account.owner``...).

``compare(after, before)`` lists the leads whose routing differs between two configs
and the shift in leads per rep and per queue.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from heapq import heappop, heappush
from typing import Any

from routing.config.models import RoutingConfig
from routing.decision import Decision
from routing.eligibility import CAP_WINDOWS
from routing.engine import OWNER_FIELDS, Router
from routing.normalize import normalize_lead
from routing.roster import RepLoad, Roster

__all__ = [
    "Change",
    "Comparing",
    "Comparison",
    "PoolFairness",
    "Prepared",
    "SimDecision",
    "SimLead",
    "Simulation",
    "SimulationResult",
    "compare",
    "gini",
    "simulate",
]

# "at hour cap (4/4)" -> "at hour cap"; "away until 2024-..." -> "away"
_SKIP_DETAIL = re.compile(r" \(.*\)$| until .*$")
# Offers older than the widest cap window never matter again.
_CAP_HORIZON = max(CAP_WINDOWS.values())
_TICK = timedelta(microseconds=1)
# Pool skips listed before they are counted (Simulation._count).
_SKIP_BATCH = 8192


@dataclass(frozen=True)
class SimLead:
    """One input lead: an id for the report, raw fields, and its arrival time if known."""

    id: str
    fields: Mapping[str, Any]
    created_at: datetime | None = None
    # Set when ``fields`` are already normalised (skips ``normalize_lead``).
    normalized: bool = False


#: What routing reads of one lead before it looks at the roster (:meth:`Simulation.prepare`):
#: (lead id, routing time, ``Router.matching`` positions, the ``OWNER_FIELDS`` the lead has,
#: tier, score). A plain tuple: a reader process pickles one per lead, and a named tuple
#: costs five times as much to pickle.
Prepared = tuple[str, datetime, tuple[int, ...], Mapping[str, Any], str | None, int | float | None]

_NO_OWNERS: Mapping[str, Any] = {}


@dataclass(frozen=True)
class SimDecision:
    lead: str
    at: datetime
    decision: Decision
    tier: str | None = None
    score: int | float | None = None

    @property
    def owner(self) -> str | None:
        """Who ends up with the lead: a rep id, ``queue:<id>``, ``keep_owner`` (its current
        owner keeps it), or None when unrouted."""
        if self.decision.outcome == "kept":
            return "keep_owner"
        if self.decision.assignee is not None:
            return self.decision.assignee
        if self.decision.queue is not None:
            return f"queue:{self.decision.queue}"
        return None

    def to_json(self) -> dict[str, Any]:
        d = self.decision
        return {
            "lead": self.lead,
            "rule": d.rule,
            "target": d.target,
            "assignee": d.assignee,
            "queue": d.queue,
            "reason": d.reason,
        }


@dataclass(frozen=True)
class PoolFairness:
    pool: str
    strategy: str
    counts: dict[str, int]  # member -> leads assigned through this pool, member order
    weights: dict[str, int]
    # member -> {why skipped: times}, from the traces of every evaluation of this pool
    skipped: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def min(self) -> int:
        return min(self.counts.values(), default=0)

    @property
    def max(self) -> int:
        return max(self.counts.values(), default=0)

    @property
    def spread(self) -> int:
        return self.max - self.min

    @property
    def max_min_ratio(self) -> float | None:
        """max/min of the counts; None when some member got nothing (and others did)."""
        if self.min == 0:
            return None if self.max else 1.0
        return round(self.max / self.min, 3)

    @property
    def gini(self) -> float:
        """Gini of the counts per unit of weight: 0 = perfectly fair for the weights."""
        return gini([self.counts[rep] / self.weights[rep] for rep in self.counts])

    @property
    def max_deviation(self) -> float:
        """Largest |count - total * w / sum(w)| over members: the weighted-share error."""
        total_weight = sum(self.weights.values())
        if not total_weight:
            return 0.0
        return round(
            max(
                (abs(n - self.total * self.weights[rep] / total_weight))
                for rep, n in self.counts.items()
            ),
            3,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "leads": self.total,
            "counts": dict(self.counts),
            "weights": dict(self.weights),
            "min": self.min,
            "max": self.max,
            "spread": self.spread,
            "max_min_ratio": self.max_min_ratio,
            "gini": round(self.gini, 4),
            "max_deviation_from_weighted_share": self.max_deviation,
            "skipped": {rep: dict(reasons) for rep, reasons in self.skipped.items()},
        }


@dataclass(frozen=True)
class SimulationResult:
    config_version: str
    decisions: list[SimDecision]
    rule_hits: dict[str, int]  # every rule in config order, zero included
    per_rep: dict[str, int]  # leads offered per rep (pool members always listed)
    per_queue: dict[str, int]
    unrouted: list[str]
    fairness: dict[str, PoolFairness]
    # leads, to_rep, to_queue, unrouted: of every lead routed, kept in ``decisions`` or not
    totals: dict[str, int] = field(default_factory=dict)

    def summary_json(self) -> dict[str, Any]:
        return {
            "config_version": self.config_version,
            "totals": self.totals,
            "rule_hits": dict(self.rule_hits),
            "per_rep": dict(self.per_rep),
            "per_queue": dict(self.per_queue),
            "unrouted": list(self.unrouted),
            "fairness": {pool: f.to_json() for pool, f in self.fairness.items()},
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "decisions": [d.to_json() for d in self.decisions],
            "summary": self.summary_json(),
        }


@dataclass(frozen=True)
class Change:
    index: int  # position in the input
    lead: str
    before: SimDecision
    after: SimDecision

    @property
    def what(self) -> list[str]:
        out = []
        if self.before.owner != self.after.owner:
            out.append("owner")
        if self.before.decision.rule != self.after.decision.rule:
            out.append("rule")
        return out

    def to_json(self) -> dict[str, Any]:
        def side(d: SimDecision) -> dict[str, Any]:
            j = d.to_json()
            del j["lead"]
            return j

        return {
            "lead": self.lead,
            "changed": self.what,
            "before": side(self.before),
            "after": side(self.after),
        }


@dataclass(frozen=True)
class Comparison:
    changes: list[Change]
    # rep id or "queue:<id>" or "unrouted" -> (before, after)
    shift: dict[str, tuple[int, int]]
    # The ``before`` run's config version, totals, rule hits, per rep/queue, unrouted.
    before_summary: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": [c.to_json() for c in self.changes],
            "distribution_shift": {
                key: {"before": b, "after": a, "delta": a - b} for key, (b, a) in self.shift.items()
            },
        }


class _State:
    """The simulated roster: rotation pointers and per-rep offer history, kept up to date
    as offers are recorded (O(1) per lead, not O(reps)).

    The roster a lead sees is what rebuilding it from the offer history would give: a
    capped rep's offers are dropped from the front of its history while at most the
    widest cap window before ``now`` (the live bot keeps a week of them), and only a rep
    whose history changed gets a new ``RepLoad``. A heap of each history's oldest offer
    finds the histories to trim without looking at the others.
    """

    __slots__ = ("heads", "latest_offer", "offers", "pools", "reps", "roster")

    def __init__(self) -> None:
        self.reps: dict[str, RepLoad] = {}
        self.pools: dict[str, Mapping[str, Any]] = {}
        self.offers: dict[str, deque[datetime]] = {}
        # (oldest offer in the history, rep) of each capped rep with offers on record.
        self.heads: list[tuple[datetime, str]] = []
        self.latest_offer: datetime | None = None
        self.roster = Roster(reps=self.reps, pools=self.pools)

    def at(self, now: datetime) -> Roster:
        """The roster at ``now`` (the same object each time, brought up to date)."""
        heads = self.heads
        if heads:
            horizon = now - _CAP_HORIZON
            if heads[0][0] <= horizon:
                reps = self.reps
                while heads and heads[0][0] <= horizon:
                    rep = heappop(heads)[1]
                    times = self.offers[rep]
                    # Input times usually ascend; drop from the left while too old.
                    while times and times[0] <= horizon:
                        times.popleft()
                    if times:
                        heappush(heads, (times[0], rep))
                    reps[rep] = RepLoad(
                        pending=0,
                        recent_offers=tuple(times),
                        last_offered_at=reps[rep].last_offered_at,
                    )
        return self.roster

    def record(self, decision: Decision, now: datetime, track_caps: bool) -> None:
        if decision.pool is not None and decision.pool_state is not None:
            self.pools[decision.pool] = decision.pool_state
        rep = decision.assignee
        if decision.outcome != "rep" or rep is None:
            return
        # "Offered least recently" follows processing (file) order: leads sharing a time,
        # or a created_at that goes back in time, still rotate as they would live.
        latest = self.latest_offer
        stamp = now if latest is None or now > latest else latest + _TICK
        self.latest_offer = stamp
        recent: tuple[datetime, ...] = ()
        if track_caps:
            times = self.offers.get(rep)
            if times is None:
                times = self.offers[rep] = deque()
            if not times:
                heappush(self.heads, (now, rep))
            times.append(now)
            recent = tuple(times)
        self.reps[rep] = RepLoad(pending=0, recent_offers=recent, last_offered_at=stamp)


class Simulation:
    """Routes leads one at a time, in the order given, and keeps the running summary.

    ``route(lead)`` returns the lead's :class:`SimDecision` and forgets it: a caller that
    streams decisions out holds none of them, and :meth:`result` still has every count.
    ``keep_traces=False`` drops each decision's trace once the summary has read it.
    """

    def __init__(
        self,
        config: RoutingConfig,
        default_time: datetime,
        *,
        router: Router | None = None,
        keep_traces: bool = True,
    ) -> None:
        self.config = config
        # Without traces kept, rules' trace entries are never read: not built either.
        self.router = router or Router(config, rule_traces=keep_traces)
        self.default_time = default_time
        self.keep_traces = keep_traces
        self._capped = frozenset(rep.id for rep in config.reps if rep.caps is not None)
        self._state = _State()
        self._outcomes: Counter[str] = Counter()
        self._rule_hits: Counter[str] = Counter()
        self._per_rep: Counter[str] = Counter()
        self._per_queue: Counter[str] = Counter()
        self._by_pool: dict[str, Counter[str]] = {pool_id: Counter() for pool_id in config.pools}
        self._unrouted: list[str] = []
        # (pool step's target, rep, why) -> times, as the traces say: the summary's
        # "skipped" folds the whys ("at hour cap (4/4)" -> "at hour cap") at the end.
        self._skips: Counter[tuple[str, Any, Any]] = Counter()
        self._pending_skips: list[tuple[str, Any, Any]] = []  # not yet in _skips

    def route(self, lead: SimLead) -> SimDecision:
        now = lead.created_at or self.default_time
        router = self.router
        # enrich() copies the fields: the lead's own are never changed.
        fields = lead.fields if lead.normalized else normalize_lead(lead.fields)
        enriched = router.enrich(fields)
        decision = router.route(enriched, self._state.at(now), now)
        return self._decided(lead.id, now, decision, enriched.get("tier"), enriched.get("score"))

    def _decided(
        self,
        lead_id: str,
        now: datetime,
        decision: Decision,
        tier: str | None,
        score: int | float | None,
    ) -> SimDecision:
        """The roster and the summary take in ``decision``; the lead's SimDecision."""
        self._state.record(decision, now, track_caps=decision.assignee in self._capped)
        self._count(lead_id, decision)
        if not self.keep_traces:
            decision.trace.clear()  # the engine made this list for this call alone
        # SimDecision(...) without the frozen dataclass's per-field setattr (one per lead).
        sim = _new(SimDecision)
        _put(
            sim,
            "__dict__",
            {"lead": lead_id, "at": now, "decision": decision, "tier": tier, "score": score},
        )
        return sim

    def warm(self) -> None:
        """:meth:`Router.warm` at the default time (see :func:`bot.cli.read_ahead.ahead`)."""
        self.router.warm(self.default_time)

    # -- in two halves: Router.matching ahead (another process), then in file order ------
    def prepare(self, lead: SimLead) -> Prepared:
        """The part of :meth:`route` that reads the lead alone (normalise, enrich, which
        rules match): it needs no roster, so it may run ahead of :meth:`decide`."""
        fields = lead.fields if lead.normalized else normalize_lead(lead.fields)
        return self.prepare_fields(lead.id, fields, lead.created_at)

    def prepare_fields(
        self, lead_id: str, fields: Mapping[str, Any], created_at: datetime | None
    ) -> Prepared:
        """:meth:`prepare` of a lead given by its parts, ``fields`` normalised."""
        now = created_at or self.default_time
        router = self.router
        enriched = router.enrich(fields)
        owners = {key: enriched[key] for key in OWNER_FIELDS if key in enriched}
        return (
            lead_id,
            now,
            router.matching(enriched, now),
            owners or _NO_OWNERS,
            enriched.get("tier"),
            enriched.get("score"),
        )

    def decide(self, lead: Prepared) -> SimDecision:
        """:meth:`route` of a lead :meth:`prepare` read: the same decision, in the order
        leads are decided. Only without kept traces (the rules' checks are not traced)."""
        if self.keep_traces:
            raise ValueError("decide() keeps no rule traces: use route() with keep_traces")
        lead_id, now, matching, owners, tier, score = lead
        decision = self.router.route_matching(matching, owners, self._state.at(now), now)
        return self._decided(lead_id, now, decision, tier, score)

    def _count(self, lead: str, d: Decision) -> None:
        # Skips are listed as found and counted in batches (Counter.update counts in C, in
        # the same first-seen order): a lead has a few, a file millions.
        pending = self._pending_skips
        for step in d.trace:
            candidates = step.get("candidates")
            if not candidates or step["step"] != "target":
                continue
            target = step["target"]
            if target.__class__ is not str:
                target = str(target)
            if not target.startswith("pool "):
                continue
            # Every candidate entry has rep, eligible and why (engine, pool_checks).
            pending += [(target, c["rep"], c["why"]) for c in candidates if not c["eligible"]]
        if len(pending) >= _SKIP_BATCH:
            self._skips.update(pending)
            pending.clear()
        self._outcomes[d.outcome] += 1
        if d.rule is not None:
            self._rule_hits[d.rule] += 1
        if d.assignee is not None:
            self._per_rep[d.assignee] += 1
            if d.pool is not None:
                pool_counts = self._by_pool.get(d.pool)
                if pool_counts is None:  # (no Counter() made per lead for setdefault)
                    pool_counts = self._by_pool[d.pool] = Counter()
                pool_counts[d.assignee] += 1
        elif d.queue is not None:
            self._per_queue[d.queue] += 1
        elif d.outcome != "kept":  # a keep_owner rule routed it to its current owner
            self._unrouted.append(lead)

    def _skipped(self) -> dict[str, dict[str, Counter[str]]]:
        """Pool -> rep -> short reason -> times, in the order first seen."""
        skipped: dict[str, dict[str, Counter[str]]] = {p: {} for p in self.config.pools}
        short: dict[str, str] = {}
        self._skips.update(self._pending_skips)
        self._pending_skips.clear()
        for (target, rep, why), n in self._skips.items():
            reasons = skipped.setdefault(target[5:], {}).setdefault(str(rep), Counter())
            text = str(why)
            folded = short.get(text)
            if folded is None:
                folded = short[text] = _SKIP_DETAIL.sub("", text)
            reasons[folded] += n
        return skipped

    def result(self, decisions: list[SimDecision] | None = None) -> SimulationResult:
        """The summary of every lead routed so far, with ``decisions`` (those the caller
        kept, if any) as its decisions."""
        config = self.config
        rule_hits = {rule.name: 0 for rule in config.rules}
        for rule, n in self._rule_hits.items():
            rule_hits[rule] = rule_hits.get(rule, 0) + n
        per_rep = self._per_rep
        listed: dict[str, int] = {}
        for pool in config.pools.values():
            for member in pool.members:
                listed.setdefault(member.rep, 0)
        for rep in config.reps:
            if rep.id in listed or per_rep[rep.id]:
                listed[rep.id] = per_rep[rep.id]
        for rep_id, n in per_rep.items():  # reps not in the config (e.g. an account owner id)
            listed.setdefault(rep_id, n)

        skipped = self._skipped()
        fairness = {}
        for pool_id, pool in config.pools.items():
            counts = self._by_pool.get(pool_id, Counter())
            fairness[pool_id] = PoolFairness(
                pool=pool_id,
                strategy=pool.strategy,
                counts={m.rep: counts[m.rep] for m in pool.members},
                weights={m.rep: m.weight for m in pool.members},
                skipped={
                    rep: dict(reasons.most_common())
                    for rep, reasons in skipped.get(pool_id, {}).items()
                },
            )
        outcomes = self._outcomes
        return SimulationResult(
            config_version=config.version,
            decisions=[] if decisions is None else decisions,
            rule_hits=rule_hits,
            per_rep=listed,
            per_queue={q: self._per_queue[q] for q in config.queues} | dict(self._per_queue),
            unrouted=list(self._unrouted),
            fairness=fairness,
            totals={
                "leads": sum(outcomes.values()),
                "to_rep": outcomes["rep"],
                "to_queue": outcomes["queue"],
                "unrouted": outcomes["unrouted"],
            },
        )


_new = object.__new__
_put = object.__setattr__


def simulate(
    config: RoutingConfig,
    leads: Iterable[SimLead],
    default_time: datetime,
    *,
    router: Router | None = None,
    keep_traces: bool = True,
) -> SimulationResult:
    """Route ``leads`` in order against ``config``; see the module docstring."""
    run = Simulation(config, default_time, router=router, keep_traces=keep_traces)
    decisions = [run.route(lead) for lead in leads]
    return run.result(decisions)


def compare(after: SimulationResult, before: SimulationResult) -> Comparison:
    """What changes from ``before`` (e.g. the live config) to ``after`` (the candidate).

    Both runs must cover the same leads in the same order.
    """
    if len(after.decisions) != len(before.decisions):
        raise ValueError("the two simulations cover different leads")
    comparing = Comparing()
    for old, new in zip(before.decisions, after.decisions, strict=True):
        comparing.add(old, new)
    return comparing.result(after, before)


class Comparing:
    """:func:`compare`, one lead at a time: only the leads that change are kept, so two
    runs over a file of any length compare in flat memory."""

    def __init__(self) -> None:
        self._changes: list[Change] = []
        self._old: Counter[str] = Counter()
        self._new: Counter[str] = Counter()
        self._index = 0

    def add(self, before: SimDecision, after: SimDecision) -> None:
        """The next lead as ``before`` and ``after`` routed it."""
        if before.owner != after.owner or before.decision.rule != after.decision.rule:
            self._changes.append(Change(self._index, after.lead, before, after))
        self._old[before.owner or "unrouted"] += 1
        self._new[after.owner or "unrouted"] += 1
        self._index += 1

    def result(self, after: SimulationResult, before: SimulationResult) -> Comparison:
        """The comparison; ``after`` and ``before`` are the runs' results (their summaries
        are read, not their decisions)."""
        old_counts, new_counts = self._old, self._new
        keys = list(dict.fromkeys([*before.per_rep, *after.per_rep, *old_counts, *new_counts]))
        shift = {key: (old_counts[key], new_counts[key]) for key in keys}
        before_summary = before.summary_json()
        del before_summary["fairness"]
        return Comparison(self._changes, shift, before_summary)


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative values: 0 when all equal, towards 1 when one has all."""
    n = len(values)
    total = sum(values)
    if n < 2 or total <= 0:
        return 0.0
    diff = sum(abs(a - b) for a in values for b in values)
    return diff / (2 * n * total)

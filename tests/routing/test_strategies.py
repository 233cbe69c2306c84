"""Pool strategies (SPEC §6 "Strategies"): round_robin, weighted, least_loaded.

Strategies are called directly with members, the eligible subset, the stored state and
a roster, exactly as the engine calls them; the state they return is fed back in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routing.config.models import PoolMember
from routing.roster import RepLoad, Roster
from routing.strategies import STRATEGIES, Pick
from routing.strategies.least_loaded import distinct_preference, pick_least_loaded, preference
from routing.strategies.round_robin import pick_round_robin
from routing.strategies.weighted import pick_weighted

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
EMPTY = Roster()


def members(*spec: str | tuple[str, int]) -> list[PoolMember]:
    out = []
    for item in spec:
        if isinstance(item, tuple):
            out.append(PoolMember(rep=item[0], weight=item[1]))
        else:
            out.append(PoolMember(rep=item))
    return out


def run(
    strategy: Any,
    pool: Sequence[PoolMember],
    n: int,
    *,
    eligible: Sequence[str] | None = None,
    state: dict[str, Any] | None = None,
) -> tuple[list[str | None], dict[str, Any]]:
    """n picks, feeding each returned state back in like storage does."""
    state = dict(state or {})
    picks: list[str | None] = []
    ok = [m.rep for m in pool] if eligible is None else list(eligible)
    for _ in range(n):
        pick = strategy(pool, ok, state, EMPTY)
        picks.append(pick.rep)
        if pick.state is not None:
            state = pick.state
    return picks, state


def test_registry_names_every_strategy() -> None:
    assert {
        "round_robin": pick_round_robin,
        "weighted": pick_weighted,
        "least_loaded": pick_least_loaded,
    } == STRATEGIES


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_nobody_eligible_picks_nobody_and_keeps_state(strategy: str) -> None:
    state = {"last": "b", "credit": {"a": 3, "b": -3}}
    pick = STRATEGIES[strategy](members("a", "b"), [], state, EMPTY)
    assert pick.rep is None
    assert pick.state is None
    assert pick.why


@pytest.mark.parametrize("strategy", sorted(STRATEGIES))
def test_strategies_never_mutate_the_given_state(strategy: str) -> None:
    state: dict[str, Any] = {"last": "a", "credit": {"a": 1, "b": 0, "c": -1}}
    snapshot = {"last": "a", "credit": {"a": 1, "b": 0, "c": -1}}
    pool = members("a", "b", "c")
    pick = STRATEGIES[strategy](pool, ["a", "b", "c"], state, EMPTY)
    assert state == snapshot
    assert pick.rep in ("a", "b", "c")


# -- round robin ----------------------------------------------------------------------


def test_round_robin_strict_rotation_from_empty_state() -> None:
    picks, state = run(pick_round_robin, members("a", "b", "c"), 7)
    assert picks == ["a", "b", "c", "a", "b", "c", "a"]
    assert state == {"last": "a"}


def test_round_robin_continues_after_stored_last() -> None:
    pick = pick_round_robin(members("a", "b", "c"), ["a", "b", "c"], {"last": "b"}, EMPTY)
    assert pick == Pick("c", {"last": "c"}, pick.why)
    assert "after b" in pick.why


def test_round_robin_wraps_after_the_last_member() -> None:
    pick = pick_round_robin(members("a", "b", "c"), ["a", "b", "c"], {"last": "c"}, EMPTY)
    assert pick.rep == "a"
    assert pick.state == {"last": "a"}


def test_round_robin_skips_ineligible_members() -> None:
    pool = members("a", "b", "c", "d")
    assert pick_round_robin(pool, ["a", "d"], {"last": "a"}, EMPTY).rep == "d"
    # Skipping wraps around too: after d, b and c and d out -> a.
    assert pick_round_robin(pool, ["a"], {"last": "d"}, EMPTY).rep == "a"
    # The only eligible member is also the last one picked: it gets the lead again.
    assert pick_round_robin(pool, ["b"], {"last": "b"}, EMPTY).rep == "b"


def test_round_robin_skip_does_not_move_the_rotation_past_the_skipped_rep() -> None:
    pool = members("a", "b", "c")
    # b is away for one pick; when b is back, rotation continues from c's pick.
    p1 = pick_round_robin(pool, ["a", "c"], {"last": "a"}, EMPTY)
    assert p1.rep == "c"
    assert p1.state is not None
    p2 = pick_round_robin(pool, ["a", "b", "c"], p1.state, EMPTY)
    assert p2.rep == "a"


def test_round_robin_member_removed_from_config_restarts_rotation() -> None:
    # The stored `last` no longer belongs to the pool: start again from the first member.
    pool = members("a", "b", "c")
    pick = pick_round_robin(pool, ["a", "b", "c"], {"last": "zed"}, EMPTY)
    assert pick.rep == "a"
    assert "first in rotation" in pick.why
    # ... the first *eligible* member.
    assert pick_round_robin(pool, ["b", "c"], {"last": "zed"}, EMPTY).rep == "b"


def test_round_robin_member_added_joins_the_rotation_in_member_order() -> None:
    picks, state = run(pick_round_robin, members("a", "b"), 2)
    assert picks == ["a", "b"]
    picks, _ = run(pick_round_robin, members("a", "b", "c"), 3, state=state)
    assert picks == ["c", "a", "b"]


@given(
    n_members=st.integers(1, 7),
    start=st.integers(0, 7),
    n=st.integers(0, 60),
)
def test_round_robin_counts_differ_by_at_most_one_over_any_window(
    n_members: int, start: int, n: int
) -> None:
    pool = members(*[f"r{i}" for i in range(n_members)])
    state = {"last": f"r{start}"} if start < n_members else {}
    picks, _ = run(pick_round_robin, pool, n, state=state)
    for lo in range(len(picks)):
        counts = Counter(picks[lo:])
        values = [counts.get(m.rep, 0) for m in pool]
        assert max(values) - min(values) <= 1


@given(
    n_members=st.integers(1, 6),
    rounds=st.lists(
        st.tuples(st.sets(st.integers(0, 5)), st.integers(0, 6)), min_size=1, max_size=30
    ),
)
def test_round_robin_matches_a_reference_rotation(
    n_members: int, rounds: list[tuple[set[int], int]]
) -> None:
    """With changing eligibility: always the first eligible member cyclically after `last`."""
    order = [f"r{i}" for i in range(n_members)]
    pool = members(*order)
    state: dict[str, Any] = {}
    last: str | None = None
    for eligible_idx, _ in rounds:
        eligible = [order[i] for i in sorted(eligible_idx) if i < n_members]
        pick = pick_round_robin(pool, eligible, state, EMPTY)
        start = order.index(last) + 1 if last is not None else 0
        expected = next(
            (
                order[(start + k) % n_members]
                for k in range(n_members)
                if order[(start + k) % n_members] in eligible
            ),
            None,
        )
        assert pick.rep == expected
        if pick.state is not None:
            state = pick.state
            last = pick.rep


# -- weighted ---------------------------------------------------------------------------


def test_weighted_smooth_sequence_for_5_1_1() -> None:
    picks, state = run(pick_weighted, members(("a", 5), ("b", 1), ("c", 1)), 14)
    # Interleaved, not a,a,a,a,a,b,c: b falls due before a's fourth lead is owed.
    assert picks == ["a", "a", "a", "b", "a", "a", "c"] * 2
    # After a full cycle every credit is back to zero.
    assert state == {"credit": {"a": 0, "b": 0, "c": 0}}


def test_weighted_equal_weights_is_round_robin() -> None:
    picks, _ = run(pick_weighted, members("a", "b", "c"), 6)
    assert picks == ["a", "b", "c", "a", "b", "c"]


def test_weighted_why_names_weight_and_total() -> None:
    pick = pick_weighted(members(("a", 3), ("b", 1)), ["a", "b"], {}, EMPTY)
    assert pick.rep == "a"
    assert pick.why == "weighted: weight 3 of 4"
    picks, _ = run(pick_weighted, members(("a", 3), ("b", 1)), 8)
    assert picks == ["a", "a", "a", "b"] * 2


def test_weighted_ineligible_member_earns_no_credit() -> None:
    pool = members(("a", 2), ("b", 1), ("c", 1))
    picks, state = run(pick_weighted, pool, 8, eligible=["b", "c"])
    assert set(picks) == {"b", "c"}
    assert Counter(picks) == {"b": 4, "c": 4}
    assert state["credit"]["a"] == 0
    # a is back: it is not owed the leads it missed while away.
    picks, _ = run(pick_weighted, pool, 4, state=state)
    assert Counter(picks) == {"a": 2, "b": 1, "c": 1}


def test_weighted_removed_member_credit_is_dropped() -> None:
    pick = pick_weighted(members("a", "b"), ["a", "b"], {"credit": {"zed": 99, "a": 0}}, EMPTY)
    assert pick.state is not None
    assert set(pick.state["credit"]) == {"a", "b"}


weights_lists = st.lists(st.integers(1, 9), min_size=1, max_size=6)


@given(weights=weights_lists, n=st.integers(1, 150))
def test_weighted_counts_within_one_of_share_at_every_prefix(weights: list[int], n: int) -> None:
    pool = members(*[(f"r{i}", w) for i, w in enumerate(weights)])
    total = sum(weights)
    picks, _ = run(pick_weighted, pool, n)
    counts: Counter[str | None] = Counter()
    for k, rep in enumerate(picks, start=1):
        counts[rep] += 1
        for m in pool:
            # Strictly within 1 (integers: |count*W - k*w| < W); the nginx rule is not.
            assert abs(counts[m.rep] * total - k * m.weight) < total, (k, m.rep, dict(counts))


@given(weights=weights_lists)
def test_weighted_full_cycle_gives_exactly_the_weights(weights: list[int]) -> None:
    pool = members(*[(f"r{i}", w) for i, w in enumerate(weights)])
    picks, state = run(pick_weighted, pool, sum(weights))
    assert Counter(picks) == {m.rep: m.weight for m in pool}
    assert all(v == 0 for v in state["credit"].values())


# -- least loaded -----------------------------------------------------------------------


def roster(**loads: RepLoad) -> Roster:
    return Roster(reps=loads)


def test_least_loaded_fewest_pending_wins() -> None:
    r = roster(a=RepLoad(pending=3), b=RepLoad(pending=1), c=RepLoad(pending=2))
    pick = pick_least_loaded(members("a", "b", "c"), ["a", "b", "c"], {}, r)
    assert pick.rep == "b"
    assert pick.state is None
    assert pick.why == "least loaded: 1 pending"


def test_least_loaded_only_among_eligible() -> None:
    r = roster(a=RepLoad(pending=3), b=RepLoad(pending=0), c=RepLoad(pending=2))
    assert pick_least_loaded(members("a", "b", "c"), ["a", "c"], {}, r).rep == "c"


def test_least_loaded_tie_goes_to_least_recently_offered() -> None:
    r = roster(
        a=RepLoad(pending=1, last_offered_at=NOW - timedelta(minutes=5)),
        b=RepLoad(pending=1, last_offered_at=NOW - timedelta(minutes=50)),
        c=RepLoad(pending=1, last_offered_at=NOW - timedelta(minutes=1)),
    )
    assert pick_least_loaded(members("a", "b", "c"), ["a", "b", "c"], {}, r).rep == "b"


def test_least_loaded_never_offered_counts_as_least_recent() -> None:
    r = roster(
        a=RepLoad(pending=0, last_offered_at=NOW - timedelta(days=300)),
        b=RepLoad(pending=0),
    )
    assert pick_least_loaded(members("a", "b"), ["a", "b"], {}, r).rep == "b"


def test_least_loaded_full_tie_goes_to_member_order() -> None:
    same = NOW - timedelta(minutes=7)
    r = roster(
        a=RepLoad(pending=2, last_offered_at=same),
        b=RepLoad(pending=2, last_offered_at=same),
        c=RepLoad(pending=2, last_offered_at=same),
    )
    assert pick_least_loaded(members("c", "b", "a"), ["a", "b", "c"], {}, r).rep == "c"
    assert pick_least_loaded(members("b", "a", "c"), ["c", "a", "b"], {}, r).rep == "b"
    # Reps unknown to the roster have no load and were never offered: member order again.
    assert pick_least_loaded(members("b", "a"), ["a", "b"], {}, EMPTY).rep == "b"


def test_least_loaded_pending_beats_recency() -> None:
    r = roster(
        a=RepLoad(pending=2, last_offered_at=NOW - timedelta(days=3)),
        b=RepLoad(pending=1, last_offered_at=NOW),
    )
    assert pick_least_loaded(members("a", "b"), ["a", "b"], {}, r).rep == "b"


@given(
    data=st.lists(
        st.tuples(st.integers(0, 4), st.one_of(st.none(), st.integers(0, 5))),
        min_size=1,
        max_size=6,
    )
)
def test_least_loaded_matches_reference_ordering(data: list[tuple[int, int | None]]) -> None:
    names = [f"r{i}" for i in range(len(data))]
    loads = {
        name: RepLoad(
            pending=pending,
            last_offered_at=None if ago is None else NOW - timedelta(minutes=ago),
        )
        for name, (pending, ago) in zip(names, data, strict=True)
    }
    pick = pick_least_loaded(members(*names), names, {}, Roster(reps=loads))

    def key(i: int) -> tuple[int, float, int]:
        pending, ago = data[i]
        return pending, -(ago if ago is not None else float("inf")), i

    assert pick.rep == names[min(range(len(names)), key=key)]


@given(
    data=st.lists(
        st.tuples(st.integers(0, 3), st.one_of(st.none(), st.integers(0, 3))),
        min_size=1,
        max_size=8,
    ),
    unloaded=st.sets(st.integers(0, 7)),
)
def test_distinct_preference_is_preference(
    data: list[tuple[int, int | None]], unloaded: set[int]
) -> None:
    names = [f"r{i}" for i in range(len(data))][::-1]
    loads = {
        name: RepLoad(
            pending=pending,
            last_offered_at=None if ago is None else NOW - timedelta(minutes=ago),
        )
        for i, (name, (pending, ago)) in enumerate(zip(names, data, strict=True))
        if i not in unloaded  # no load: counts as nothing pending, never offered
    }
    assert distinct_preference(tuple(enumerate(names)), loads) == preference(
        names, Roster(reps=loads)
    )


@pytest.mark.parametrize("weights", [(1, 1, 8, 8, 8), (1, 1, 1, 5, 5, 5), (1, 2, 3, 9, 9)])
def test_weighted_stays_under_one_where_nginx_does_not(weights: tuple[int, ...]) -> None:
    # The nginx rule reaches 1 with 1,1,8,8,8 at 13 picks and 19/18 with 1,1,1,5,5,5 at 11.
    pool = members(*[(f"r{i}", w) for i, w in enumerate(weights)])
    total = sum(weights)
    picks, _ = run(pick_weighted, pool, 5 * total)
    counts: Counter[str | None] = Counter()
    worst = 0
    for k, rep in enumerate(picks, start=1):
        counts[rep] += 1
        worst = max(worst, *(abs(counts[m.rep] * total - k * m.weight) for m in pool))
    assert worst < total


@given(
    weights=st.lists(st.integers(1, 5), min_size=1, max_size=5),
    flags=st.lists(st.booleans(), min_size=5, max_size=5),
    credit=st.dictionaries(st.sampled_from("abcde"), st.integers(-9, 9)),
)
def test_weighted_distinct_fast_path_matches_pick_weighted(
    weights: list[int], flags: list[bool], credit: dict[str, int]
) -> None:
    from routing.strategies.weighted import pick_weighted_distinct

    reps = list("abcde"[: len(weights)])
    pool = [PoolMember(rep=r, weight=w) for r, w in zip(reps, weights, strict=True)]
    eligible = [r for r, ok in zip(reps, flags, strict=False) if ok]
    reasons = [None if ok else "no" for ok in flags[: len(reps)]]
    state = {"credit": credit}
    assert pick_weighted_distinct(reps, weights, reasons, state) == pick_weighted(
        pool, eligible, state, EMPTY
    )

"""The generated weighted-pool checks give what the generic eligibility loop and
``weighted_choice`` give: same trace candidates, pick, new state and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.config import parse_config
from routing.eligibility import Eligibility
from routing.pool_checks import compile_weighted
from routing.roster import RepLoad, Roster
from routing.strategies.weighted import weighted_choice

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday 10:00 in New York
REPS = ["ann", "ben", "cat", "dan", "eve", "fay", "gus"]

CONFIG = parse_config(
    """
business_hours:
  ny: {timezone: America/New_York, hours: "09:00-18:00"}
  la: {timezone: America/Los_Angeles, hours: "08:00-17:00"}
reps:
  - {id: ann, name: Ann, skills: [healthcare], hours: la}
  - {id: ben, name: Ben, max_pending: 2, caps: {hour: 1, day: 3}}
  - {id: cat, name: Cat, hours: ny, skills: [healthcare, german]}
  - {id: dan, name: Dan, caps: {week: 2}}
  - {id: eve, name: Eve, caps: {hour: 1}, hours: ny, max_pending: 1}
  - {id: fay, name: Fay, active: false}
  - {id: gus, name: Gus}
pools:
  wt: {strategy: weighted, members: [{rep: ann, weight: 3}, {rep: dan, weight: 2}, eve]}
rules:
  - {name: Any, assign: {pool: wt}}
"""
)

times = st.sampled_from(
    [
        NOW,
        datetime(2026, 3, 4, 3, 0, tzinfo=UTC),  # night in New York
        datetime(2026, 3, 4, 14, 30, tzinfo=UTC),  # New York open, Los Angeles not yet
        datetime(2026, 3, 7, 15, 0, tzinfo=UTC),  # Saturday
    ]
)


@st.composite
def loads(draw: st.DrawFn) -> dict[str, RepLoad]:
    out = {}
    for rep in REPS:
        if draw(st.booleans()):
            out[rep] = RepLoad(
                pending=draw(st.integers(0, 3)),
                recent_offers=tuple(
                    NOW - timedelta(minutes=m)
                    for m in draw(st.lists(st.integers(1, 12_000), max_size=4))
                ),
                away_until=draw(
                    st.one_of(
                        st.none(), st.integers(-60, 60).map(lambda m: NOW + timedelta(minutes=m))
                    )
                ),
            )
    return out


credits = st.dictionaries(
    st.sampled_from([*REPS, "ghost"]),
    st.one_of(st.integers(-9, 9), st.integers(-9, 9).map(float), st.integers(-9, 9).map(str)),
)


@settings(max_examples=400, deadline=None)
@given(
    members=st.lists(st.sampled_from([*REPS, "ghost"]), min_size=1, max_size=7, unique=True),
    weights=st.lists(st.integers(1, 4), min_size=7, max_size=7),
    respect_hours=st.booleans(),
    required=st.sampled_from([(), ("healthcare",), ("healthcare", "german"), ("french",)]),
    reps=loads(),
    excluded=st.frozensets(st.sampled_from(REPS), max_size=3),
    old=credits,
    now=times,
)
def test_compiled_weighted_matches_the_generic_loop(
    members: list[str],
    weights: list[int],
    respect_hours: bool,
    required: tuple[str, ...],
    reps: dict[str, RepLoad],
    excluded: frozenset[str],
    old: dict[str, Any],
    now: datetime,
) -> None:
    eligibility = Eligibility(CONFIG)
    order = tuple(members)
    weights = weights[: len(order)]
    infos = eligibility.infos(order)
    check = compile_weighted(eligibility, order, weights, infos, respect_hours)
    roster = Roster(reps=reps, excluded=excluded)

    expected_candidates: list[dict[str, Any]] = []
    reasons = eligibility.reasons_of(
        order, infos, roster, now, respect_hours, required, {}, False, expected_candidates
    )
    expected = weighted_choice(order, weights, reasons, {"credit": old})

    candidates, rep, state, why = check(reps, now, {}, required, excluded, old)
    assert candidates == expected_candidates
    assert (rep, state, why) == expected
    if state is not None:
        assert list(state["credit"]) == list(order)  # member order, as stored


def test_compiled_by_the_first_call_and_the_same_after() -> None:
    eligibility = Eligibility(CONFIG)
    order = ("ann", "ben", "dan")
    check = compile_weighted(eligibility, order, (3, 2, 1), eligibility.infos(order), True, "wt")
    stand_in = check.__code__  # type: ignore[attr-defined]
    assert stand_in.co_filename == "<check, compiled by its first call>"
    reps = {"ben": RepLoad(pending=2)}
    first = check(reps, NOW, {}, (), frozenset(), {"ann": 1})
    # From the second call on, the check's own code runs.
    assert check.__code__.co_filename == "<weighted pool 'wt'>"  # type: ignore[attr-defined]
    assert check(reps, NOW, {}, (), frozenset(), {"ann": 1}) == first
    credit = {"ann": 1, "ben": 0, "dan": 0}  # dan's 1 taken back: the only one eligible
    assert first[1:] == ("dan", {"credit": credit}, "weighted: weight 1 of 1")

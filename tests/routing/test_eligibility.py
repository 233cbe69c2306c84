"""Eligibility (SPEC §6 "Eligibility"): who may be offered a lead at a given instant.

Checked both directly (``ineligible_reason``) and through the engine where the rule is
about targets (a direct ``{rep: id}`` ignores hours, pools respect them unless
``respect_hours: false``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from routing.config import RoutingConfig, parse_config
from routing.eligibility import ineligible_reason
from routing.engine import Router
from routing.hours import is_holiday, is_open
from routing.roster import RepLoad, Roster

CONFIG = """
business_hours:
  us-east: {timezone: America/New_York, days: [mon, tue, wed, thu, fri], hours: "09:00-18:00",
            holidays: US}
  auckland: {timezone: Pacific/Auckland, days: [mon, tue, wed, thu, fri], hours: "09:00-17:30"}
  weekend: {timezone: Europe/Berlin, days: [sat, sun], hours: "10:00-14:00"}
reps:
  - {id: alice, name: Alice, hours: us-east, skills: [healthcare, spanish]}
  - {id: bob, name: Bob, hours: us-east}
  - {id: carol, name: Carol}
  - {id: dan, name: Dan, active: false}
  - {id: erin, name: Erin, max_pending: 2}
  - {id: hank, name: Hank, caps: {hour: 2, day: 3, week: 4}}
  - {id: kenji, name: Kenji, hours: auckland}
  - {id: wolf, name: Wolf, hours: weekend}
pools:
  hours-pool: {strategy: round_robin, members: [alice, bob]}
  anytime-pool: {strategy: round_robin, members: [alice, bob], respect_hours: false}
  skills-pool: {strategy: round_robin, members: [bob, alice, carol]}
rules:
  - {name: Direct, when: {lead_source: direct}, assign: {rep: alice}}
  - {name: Pool, when: {lead_source: pool}, assign: {pool: hours-pool}}
  - {name: Anytime, when: {lead_source: anytime}, assign: {pool: anytime-pool}}
  - {name: Skills, when: {lead_source: skills},
     assign: {pool: skills-pool, require_skills: [healthcare, spanish]}}
"""

# Wednesday 2026-11-25, 12:00 in New York (EST, UTC-5).
OPEN = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
THANKSGIVING = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # Thursday, noon in New York
SATURDAY = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def config() -> RoutingConfig:
    return parse_config(CONFIG)


@pytest.fixture(scope="module")
def router(config: RoutingConfig) -> Router:
    return Router(config)


def reason(
    config: RoutingConfig,
    rep: str,
    now: datetime = OPEN,
    roster: Roster | None = None,
    *,
    respect_hours: bool = True,
    require_skills: tuple[str, ...] | list[str] = (),
) -> str | None:
    return ineligible_reason(
        rep,
        config=config,
        roster=roster or Roster(),
        now=now,
        respect_hours=respect_hours,
        require_skills=require_skills,
    )


def test_active_rep_without_hours_is_eligible_any_time(config: RoutingConfig) -> None:
    for now in (OPEN, THANKSGIVING, SATURDAY, datetime(2026, 1, 1, 3, 0, tzinfo=UTC)):
        assert reason(config, "carol", now) is None


def test_unknown_rep(config: RoutingConfig) -> None:
    assert reason(config, "nobody") == "not a known rep"


def test_inactive(config: RoutingConfig) -> None:
    assert reason(config, "dan") == "inactive"


# -- away -----------------------------------------------------------------------------


def test_away_until_in_the_future(config: RoutingConfig) -> None:
    until = OPEN + timedelta(hours=2)
    roster = Roster(reps={"carol": RepLoad(away_until=until)})
    why = reason(config, "carol", roster=roster)
    assert why is not None
    assert why.startswith("away until")
    assert until.isoformat(timespec="minutes") in why


@pytest.mark.parametrize("ago", [timedelta(seconds=1), timedelta(days=3), timedelta(0)])
def test_away_until_now_or_past_is_back(config: RoutingConfig, ago: timedelta) -> None:
    roster = Roster(reps={"carol": RepLoad(away_until=OPEN - ago)})
    assert reason(config, "carol", roster=roster) is None


# -- working hours --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "inside"),
    [
        (datetime(2026, 11, 25, 13, 59, tzinfo=UTC), False),  # 08:59 EST
        (datetime(2026, 11, 25, 14, 0, tzinfo=UTC), True),  # 09:00 EST: start is inside
        (datetime(2026, 11, 25, 22, 59, tzinfo=UTC), True),  # 17:59 EST
        (datetime(2026, 11, 25, 23, 0, tzinfo=UTC), False),  # 18:00 EST: end is outside
        # Summer (EDT, UTC-4): the same local hours are an hour earlier in UTC.
        (datetime(2026, 7, 15, 13, 0, tzinfo=UTC), True),  # 09:00 EDT
        (datetime(2026, 7, 15, 22, 0, tzinfo=UTC), False),  # 18:00 EDT
    ],
)
def test_working_hours_in_the_business_hours_time_zone(
    config: RoutingConfig, at: datetime, inside: bool
) -> None:
    assert is_open(config.business_hours["us-east"], at) is inside
    why = reason(config, "bob", at)
    if inside:
        assert why is None
    else:
        assert why == "outside working hours (us-east)"


def test_weekday_is_the_local_one(config: RoutingConfig) -> None:
    # Monday 09:30 in Auckland (NZDT, UTC+13) is still Sunday 20:30 UTC.
    monday_auckland = datetime(2026, 11, 22, 20, 30, tzinfo=UTC)
    assert monday_auckland.weekday() == 6
    assert reason(config, "kenji", monday_auckland) is None
    # Saturday 09:30 in Auckland is Friday 20:30 UTC: closed.
    saturday_auckland = datetime(2026, 11, 27, 20, 30, tzinfo=UTC)
    assert saturday_auckland.weekday() == 4
    assert reason(config, "kenji", saturday_auckland) == "outside working hours (auckland)"
    # Closing at 17:30 local: 04:29 UTC inside, 04:30 outside.
    assert reason(config, "kenji", datetime(2026, 11, 24, 4, 29, tzinfo=UTC)) is None
    assert reason(config, "kenji", datetime(2026, 11, 24, 4, 30, tzinfo=UTC)) is not None


def test_weekends(config: RoutingConfig) -> None:
    assert reason(config, "bob", SATURDAY) == "outside working hours (us-east)"
    sunday = SATURDAY + timedelta(days=1)
    assert reason(config, "bob", sunday) == "outside working hours (us-east)"


def test_weekend_only_schedule(config: RoutingConfig) -> None:
    hours = config.business_hours["weekend"]
    saturday_noon_berlin = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    assert is_open(hours, saturday_noon_berlin)
    assert reason(config, "wolf", saturday_noon_berlin) is None
    assert reason(config, "wolf", datetime(2026, 11, 28, 17, 0, tzinfo=UTC)) is not None
    assert reason(config, "wolf", datetime(2026, 11, 25, 11, 0, tzinfo=UTC)) is not None


def test_holiday_closes_working_hours(config: RoutingConfig) -> None:
    hours = config.business_hours["us-east"]
    assert is_holiday(hours, date(2026, 11, 26))  # Thanksgiving
    assert not is_holiday(hours, date(2026, 11, 25))
    assert not is_open(hours, THANKSGIVING)
    assert reason(config, "bob", THANKSGIVING) == "outside working hours (us-east)"
    assert reason(config, "bob", OPEN) is None
    # The same date in a calendar without holidays is an ordinary Thursday.
    assert not is_holiday(config.business_hours["auckland"], date(2026, 11, 26))


def test_day_after_the_holiday_is_open(config: RoutingConfig) -> None:
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 10:00 EST
    assert reason(config, "bob", friday) is None


def test_respect_hours_false_ignores_hours(config: RoutingConfig) -> None:
    assert reason(config, "bob", SATURDAY, respect_hours=False) is None
    assert reason(config, "bob", THANKSGIVING, respect_hours=False) is None


def test_respect_hours_false_still_checks_everything_else(config: RoutingConfig) -> None:
    assert reason(config, "dan", SATURDAY, respect_hours=False) == "inactive"
    roster = Roster(reps={"bob": RepLoad(away_until=SATURDAY + timedelta(hours=1))})
    assert reason(config, "bob", SATURDAY, roster, respect_hours=False) is not None


def test_direct_rep_target_ignores_hours_but_pools_respect_them(router: Router) -> None:
    roster = Roster()
    direct = router.route({"lead_source": "direct"}, roster, SATURDAY)
    assert direct.outcome == "rep"
    assert direct.assignee == "alice"

    pool = router.route({"lead_source": "pool"}, roster, SATURDAY)
    assert pool.outcome == "unrouted"
    target = [s for s in pool.trace if s.get("step") == "target"][-1]
    assert {c["rep"]: c["why"] for c in target["candidates"]} == {
        "alice": "outside working hours (us-east)",
        "bob": "outside working hours (us-east)",
    }

    anytime = router.route({"lead_source": "anytime"}, roster, SATURDAY)
    assert anytime.outcome == "rep"
    assert anytime.assignee in ("alice", "bob")

    # Inside hours, the pool does assign.
    assert router.route({"lead_source": "pool"}, roster, OPEN).outcome == "rep"


def test_direct_rep_target_still_needs_the_rep_available(router: Router) -> None:
    roster = Roster(reps={"alice": RepLoad(away_until=SATURDAY + timedelta(days=1))})
    decision = router.route({"lead_source": "direct"}, roster, SATURDAY)
    assert decision.outcome == "unrouted"
    (target,) = [s for s in decision.trace if s.get("step") == "target"]
    assert target["candidates"][0]["why"].startswith("away until")


# -- max_pending ----------------------------------------------------------------------


@pytest.mark.parametrize(("pending", "eligible"), [(0, True), (1, True), (2, False), (5, False)])
def test_max_pending(config: RoutingConfig, pending: int, eligible: bool) -> None:
    roster = Roster(reps={"erin": RepLoad(pending=pending)})
    why = reason(config, "erin", roster=roster)
    if eligible:
        assert why is None
    else:
        assert why == f"at max_pending ({pending}/2)"


def test_no_max_pending_means_unlimited(config: RoutingConfig) -> None:
    assert reason(config, "carol", roster=Roster(reps={"carol": RepLoad(pending=10_000)})) is None


# -- rolling caps ---------------------------------------------------------------------


def offers(*ago: timedelta) -> Roster:
    return Roster(reps={"hank": RepLoad(recent_offers=tuple(OPEN - a for a in ago))})


M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)


def test_hour_cap_is_a_rolling_window(config: RoutingConfig) -> None:
    # hank: hour 2, day 3, week 4.
    assert reason(config, "hank", roster=offers(59 * M, 30 * M)) == "at hour cap (2/2)"
    assert reason(config, "hank", roster=offers(61 * M, 30 * M)) is None
    assert reason(config, "hank", roster=offers(61 * M, 90 * M)) is None
    # Exactly one hour ago is outside the window.
    assert reason(config, "hank", roster=offers(60 * M, 1 * M)) is None


def test_hour_cap_window_crosses_calendar_hours(config: RoutingConfig) -> None:
    # 11:55 and 12:05 seen at 12:10 are in two clock hours but in the same rolling hour.
    now = datetime(2026, 11, 25, 12, 10, tzinfo=UTC)
    at = [datetime(2026, 11, 25, 11, 55, tzinfo=UTC), datetime(2026, 11, 25, 12, 5, tzinfo=UTC)]
    roster = Roster(reps={"hank": RepLoad(recent_offers=tuple(at))})
    assert reason(config, "hank", now, roster) == "at hour cap (2/2)"
    # 11:09 has left the window at 12:10 although 12:00 was not yet an hour ago.
    at[0] = datetime(2026, 11, 25, 11, 9, tzinfo=UTC)
    roster = Roster(reps={"hank": RepLoad(recent_offers=tuple(at))})
    assert reason(config, "hank", now, roster) is None


def test_day_cap_is_a_rolling_window(config: RoutingConfig) -> None:
    assert reason(config, "hank", roster=offers(23 * H, 5 * H, 2 * H)) == "at day cap (3/3)"
    assert reason(config, "hank", roster=offers(25 * H, 5 * H, 2 * H)) is None
    # Yesterday afternoon counts today: no calendar-day reset at midnight.
    assert reason(config, "hank", roster=offers(20 * H, 19 * H, 18 * H)) == "at day cap (3/3)"


def test_week_cap_is_a_rolling_window(config: RoutingConfig) -> None:
    assert (
        reason(config, "hank", roster=offers(6 * D + 23 * H, 5 * D, 3 * D, 2 * D))
        == "at week cap (4/4)"
    )
    assert reason(config, "hank", roster=offers(7 * D + 1 * H, 5 * D, 3 * D, 2 * D)) is None


def test_caps_under_the_limit(config: RoutingConfig) -> None:
    assert reason(config, "hank", roster=offers()) is None
    assert reason(config, "hank", roster=offers(10 * M)) is None


def test_uncapped_rep_ignores_recent_offers(config: RoutingConfig) -> None:
    roster = Roster(reps={"carol": RepLoad(recent_offers=tuple(OPEN - k * M for k in range(99)))})
    assert reason(config, "carol", roster=roster) is None


# -- skills ---------------------------------------------------------------------------


def test_require_skills(config: RoutingConfig) -> None:
    assert reason(config, "alice", require_skills=["healthcare"]) is None
    assert reason(config, "alice", require_skills=["healthcare", "spanish"]) is None
    assert reason(config, "bob", require_skills=["healthcare"]) == "lacks skill healthcare"
    assert (
        reason(config, "bob", require_skills=["healthcare", "spanish"])
        == "lacks skill healthcare, spanish"
    )
    assert reason(config, "alice", require_skills=["german"]) == "lacks skill german"


def test_require_skills_in_a_pool_target(router: Router) -> None:
    decision = router.route({"lead_source": "skills"}, Roster(), OPEN)
    assert decision.outcome == "rep"
    assert decision.assignee == "alice"
    target = [s for s in decision.trace if s.get("step") == "target"][-1]
    # Round robin tries members in rotation order and stops at the first eligible one.
    assert target["candidates"] == [
        {"rep": "bob", "eligible": False, "why": "lacks skill healthcare, spanish"},
        {"rep": "alice", "eligible": True, "why": None},
    ]
    assert target["not_considered"]["reps"] == ["carol"]
    # Carol would have been skipped too, had rotation reached her.
    decision = router.route(
        {"lead_source": "skills"}, Roster(pools={"skills-pool": {"last": "alice"}}), OPEN
    )
    target = [s for s in decision.trace if s.get("step") == "target"][-1]
    assert decision.assignee == "alice"
    assert [(c["rep"], c["why"]) for c in target["candidates"]] == [
        ("carol", "lacks skill healthcare, spanish"),
        ("bob", "lacks skill healthcare, spanish"),
        ("alice", None),
    ]
    assert "not_considered" not in target


# -- excluded -------------------------------------------------------------------------


def test_excluded_reps_never_get_the_lead_again(config: RoutingConfig) -> None:
    roster = Roster(excluded=frozenset({"carol"}))
    assert reason(config, "carol", roster=roster) == "already declined or timed out on this lead"
    assert reason(config, "bob", roster=roster) is None


def test_excluded_applies_to_direct_targets_too(router: Router) -> None:
    roster = Roster(excluded=frozenset({"alice"}))
    decision = router.route({"lead_source": "direct"}, roster, OPEN)
    assert decision.outcome == "unrouted"

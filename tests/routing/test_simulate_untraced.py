"""simulate without kept traces routes with ``Router(rule_traces=False)`` (no rule entries or
checks built): every decision, rotation state and summary count is what the fully traced
router gives, on generated configs and leads. So does routing in two halves
(``Simulation.prepare`` then ``decide``: ``Router.matching`` then ``route_matching``), as
``simulate`` does with the leads read ahead in a second process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing.config.models import RoutingConfig
from routing.engine import Router
from routing.simulate import SimLead, Simulation
from tests.routing.test_simulate_roster import CONFIG, _leads

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _run(
    config: RoutingConfig, leads: list[SimLead], router: Router | None, split: bool = False
) -> Any:
    run = Simulation(config, T0, router=router, keep_traces=False)
    # split: every lead prepared first (as the read-ahead process does), then decided.
    prepared = [run.prepare(lead) for lead in leads] if split else []
    decisions = []
    for i, lead in enumerate(leads):
        sim = run.decide(prepared[i]) if split else run.route(lead)
        d = sim.decision
        decisions.append((sim.to_json(), d.outcome, d.pool, d.strategy, d.pool_state, sim.tier))
    return decisions, run.result().summary_json()


def _same(config: RoutingConfig, leads: list[SimLead]) -> None:
    fast = Simulation(config, T0, keep_traces=False)
    assert fast.router._rules[0][1]({})[1] == {}  # the untraced router is the one in use
    reference = Router(config)  # rule traces on
    got, want = _run(config, leads, None), _run(config, leads, reference)
    assert got[0] == want[0]
    assert got[1] == want[1]
    halves = _run(config, leads, None, split=True)
    assert halves[0] == want[0]
    assert halves[1] == want[1]


@pytest.mark.parametrize("size", [50, 400])
def test_generated_configs(size: int) -> None:
    routing = pytest.importorskip("benchmarks.routing")
    config, rules = routing.build_config(size)
    leads = [
        SimLead(f"g{i}", lead, T0 + timedelta(minutes=7 * (i % 500)) if i % 3 else None)
        for i, lead in enumerate(routing.build_raw_leads(rules, 3000))
    ]
    _same(config, leads)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 300))
def test_caps_and_time_travel(seed: int, n: int) -> None:
    from routing.config.loader import parse_config

    _same(parse_config(CONFIG), _leads(seed, n))

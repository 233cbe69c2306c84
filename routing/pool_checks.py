"""A weighted pool's eligibility checks and weighted choice as one generated function.

Weighted needs every member's eligibility (credits move for all eligible members), so the
engine's hot path for a weighted pool is a loop over all its members. For a pool listing
each rep once, :func:`compile_weighted` writes that loop out as straight-line code, one
block per member, with the member's settings (:data:`routing.eligibility.RepInfo`), weight
and the pool's ``respect_hours`` as constants: a block only holds the checks its rep can
fail. It gives exactly what :meth:`Eligibility.reasons_of` (with its trace candidates)
followed by :func:`routing.strategies.weighted.weighted_choice` give; the tests compare them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from routing.deferred_code import compiled_when_called
from routing.eligibility import EXCLUDED, Eligibility, RepInfo, at_max, away, caps_reason, lacks
from routing.roster import RepLoad
from routing.strategies import NOBODY
from routing.strategies.weighted import due_first

__all__ = ["WeightedCheck", "compile_weighted"]

# (loads, now, hours memo, required skills, excluded, previous credit) ->
# (trace candidates, pick or None, new state or None, why)
WeightedCheck = Callable[
    [
        Mapping[str, RepLoad],
        datetime,
        dict[str, bool],
        tuple[str, ...],
        frozenset[str],
        Mapping[str, Any],
    ],
    tuple[list[dict[str, Any]], str | None, dict[str, Any] | None, str],
]


def compile_weighted(
    eligibility: Eligibility,
    reps: Sequence[str],
    weights: Sequence[int],
    infos: Sequence[RepInfo],
    respect_hours: bool,
    name: str = "pool",
) -> WeightedCheck:
    """The checks and pick of a weighted pool whose ``reps`` are distinct, in member order."""
    assert len(set(reps)) == len(reps) == len(weights) == len(infos)
    env: dict[str, Any] = {
        "NO_LOAD": RepLoad(),
        "EXCLUDED": EXCLUDED,
        "NOBODY_WHY": NOBODY.why,
        "away": away,
        "lacks": lacks,
        "at_max": at_max,
        "caps_reason": caps_reason,
        "is_open": eligibility.is_open,
        "frozenset": frozenset,
        "int": int,
        "due_first": due_first,
    }
    body = [
        "def check(loads, now, memo, required, excluded, old):",
        "    get = loads.get",
        "    needed = frozenset(required)",
        "    candidates = []",
        "    add = candidates.append",
        "    credit = {}",
        "    total = 0",
        "    owed = []",
        "    keep = owed.append",
    ]
    # Business hours the members keep, looked up once per call (pure in `now`).
    opens: dict[str, str] = {}
    if respect_hours:
        for _, hours, *_ in infos:
            if hours is not None and hours not in opens:
                var = opens[hours] = f"o{len(opens)}"
                body += [
                    f"    {var} = memo.get({hours!r})",
                    f"    if {var} is None:",
                    f"        {var} = is_open({hours!r}, now, memo)",
                ]
    for i, (rep, weight, info) in enumerate(zip(reps, weights, infos, strict=True)):
        never, hours, skills, limit, caps, outside = info
        env[f"R{i}"] = rep
        if never is not None:  # unknown or inactive
            env[f"N{i}"] = never
            body.append(f"    why = N{i}")
        else:
            env[f"S{i}"] = skills
            env[f"O{i}"] = outside
            body += [
                f"    if excluded and R{i} in excluded:",
                "        why = EXCLUDED",
                "    else:",
                f"        load = get(R{i}, NO_LOAD)",
                "        until = load.away_until",
                "        if until is not None and until > now:",
                "            why = away(until)",
            ]
            if hours is not None and respect_hours:
                body += [f"        elif not {opens[hours]}:", f"            why = O{i}"]
            body += [
                f"        elif required and not needed <= S{i}:",
                f"            why = lacks(required, S{i})",
            ]
            if limit is not None:
                body += [
                    f"        elif load.pending >= {limit!r}:",
                    f"            why = at_max(load.pending, {limit!r})",
                ]
            if caps:
                env[f"C{i}"] = caps
                smallest = min(cap for _, _, cap in caps)
                body += [
                    f"        elif len(load.recent_offers) >= {smallest!r}:",
                    f"            why = caps_reason(load, now, C{i})",
                ]
            body += ["        else:", "            why = None"]
        body += [
            f"    value = old.get(R{i}, 0)",
            "    if value.__class__ is not int:",
            "        value = int(value)",
            "    if why is None:",
            f"        value += {weight!r}",
            f"        total += {weight!r}",
            f"        keep((R{i}, value, {weight!r}))",
            f"        add({{'rep': R{i}, 'eligible': True, 'why': None}})",
            "    else:",
            f"        add({{'rep': R{i}, 'eligible': False, 'why': why}})",
            f"    credit[R{i}] = value",
        ]
    body += [
        "    if not owed:",
        "        return candidates, None, None, NOBODY_WHY",
        "    best, best_weight = due_first(owed, total)",
        "    credit[best] -= total",
        "    return candidates, best, {'credit': credit}, "
        "f'weighted: weight {best_weight} of {total}'",
    ]
    check: WeightedCheck = compiled_when_called(
        "\n".join(body),
        f"<weighted pool {name!r}>",
        env,
        "check",
        "loads, now, memo, required, excluded, old",
    )
    return check

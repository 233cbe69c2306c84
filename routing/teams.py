"""Who a manager looks after, from routing.yml. Pure functions of the config."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from routing.config.models import RoutingConfig


@dataclass(frozen=True)
class Team:
    reps: frozenset[str]
    queues: tuple[str, ...]
    admin: bool


def team_of(config: RoutingConfig, rep_id: str) -> Team | None:
    """The team of a manager (of a rep or a pool) or an admin; None for everyone else.

    An admin's team is every rep. A manager's team is their direct reports plus the
    members of the pools they manage; their queues are those with a team member in them.
    """
    if config.is_admin(rep_id):
        return Team(frozenset(config.reps_by_id), tuple(config.queues), admin=True)
    pools = [pool for pool in config.pools.values() if pool.manager == rep_id]
    reps = {rep.id for rep in config.reps if rep.manager == rep_id}
    reps.update(member.rep for pool in pools for member in pool.members)
    if not reps:
        return None
    queues = tuple(q for q in config.queues if reps.intersection(config.queue_member_ids(q)))
    return Team(frozenset(reps), queues, admin=False)


def home_audience(config: RoutingConfig, rep_ids: Iterable[str]) -> set[str]:
    """Whose App Home shows something about these reps: themselves, their managers, admins."""
    audience: set[str] = set()
    for rep_id in rep_ids:
        audience.add(rep_id)
        audience.update(config.managers_of(rep_id))
    if audience:
        audience.update(config.admins)
    return audience


def queue_audience(config: RoutingConfig, queue_id: str) -> set[str]:
    """Whose App Home lists a queue's waiting leads: its members' managers and admins."""
    if queue_id not in config.queues:
        return set(config.admins)
    audience = set(config.admins)
    for rep_id in config.queue_member_ids(queue_id):
        audience.update(config.managers_of(rep_id))
    return audience

"""Who may do what (SPEC §7). Admins and managers come from routing.yml."""

from __future__ import annotations

from routing.config.models import RoutingConfig


def is_admin(config: RoutingConfig, rep_id: str) -> bool:
    return rep_id in config.admins


def manages(config: RoutingConfig, manager_id: str, rep_id: str) -> bool:
    """The rep's own manager, or the manager of a pool the rep is in."""
    return manager_id in config.managers_of(rep_id)


def is_manager(config: RoutingConfig, rep_id: str) -> bool:
    return any(rep.manager == rep_id for rep in config.reps) or any(
        pool.manager == rep_id for pool in config.pools.values()
    )


def team_of(config: RoutingConfig, manager_id: str) -> set[str]:
    """Every rep this person manages (all reps for an admin)."""
    if is_admin(config, manager_id):
        return {rep.id for rep in config.reps}
    return {rep.id for rep in config.reps if manages(config, manager_id, rep.id)}


def may_reassign(
    config: RoutingConfig, actor: str, *, current_rep: str | None, queue: str | None
) -> bool:
    if is_admin(config, actor):
        return True
    if current_rep is not None:
        return manages(config, actor, current_rep)
    if queue is not None:
        return any(manages(config, actor, member) for member in config.queue_member_ids(queue))
    return False


def may_set_away(config: RoutingConfig, actor: str, rep_id: str) -> bool:
    return actor == rep_id or is_admin(config, actor) or manages(config, actor, rep_id)

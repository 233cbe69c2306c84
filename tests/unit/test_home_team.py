"""Who manages whom, and whose App Home a change shows on."""

from __future__ import annotations

from routing.config.loader import parse_config
from routing.teams import home_audience, queue_audience, team_of

CONFIG = """
admins: [root]
reps:
  - {id: root, name: Root}
  - {id: mia, name: Mia}
  - {id: pat, name: Pat}
  - {id: ann, name: Ann, manager: mia}
  - {id: ben, name: Ben}
  - {id: cal, name: Cal}
  - {id: dee, name: Dee}
pools:
  west: {members: [ben, cal], manager: pat}
  east: {members: [dee]}
queues:
  west-q: {channel: "#west", members: [west]}
  east-q: {channel: "#east", members: [dee]}
  ann-q: {channel: "#ann", members: [ann]}
rules:
  - {name: all, assign: {pool: west}}
"""


def test_admin_sees_everyone() -> None:
    config = parse_config(CONFIG)
    team = team_of(config, "root")
    assert team is not None and team.admin
    assert team.reps == {"root", "mia", "pat", "ann", "ben", "cal", "dee"}
    assert team.queues == ("west-q", "east-q", "ann-q")


def test_pool_manager_has_the_pool_members_and_their_queues() -> None:
    team = team_of(parse_config(CONFIG), "pat")
    assert team is not None and not team.admin
    assert team.reps == {"ben", "cal"}
    assert team.queues == ("west-q",)


def test_direct_manager_has_their_reports() -> None:
    team = team_of(parse_config(CONFIG), "mia")
    assert team is not None
    assert team.reps == {"ann"} and team.queues == ("ann-q",)


def test_a_plain_rep_has_no_team() -> None:
    config = parse_config(CONFIG)
    assert team_of(config, "ben") is None
    assert team_of(config, "nobody") is None


def test_home_audience_adds_managers_and_admins() -> None:
    config = parse_config(CONFIG)
    assert home_audience(config, ["ben"]) == {"ben", "pat", "root"}
    assert home_audience(config, ["ann", "dee"]) == {"ann", "mia", "dee", "root"}
    assert home_audience(config, []) == set()


def test_queue_audience_is_managers_of_members_and_admins() -> None:
    config = parse_config(CONFIG)
    assert queue_audience(config, "west-q") == {"pat", "root"}
    assert queue_audience(config, "east-q") == {"root"}
    assert queue_audience(config, "gone") == {"root"}

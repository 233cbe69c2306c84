"""Who may do what (SPEC §7), as a table: each action by each role, through Slack.

The table runs on SQLite only: it checks the permission logic, which does not depend
on the database; storage races are covered on both engines elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.actions import ActionId
from storage.db import Database
from storage.migrate import upgrade
from tests.e2e.harness import Stack, running_stack

CONFIG = """
admins: [olga]
reps:
  - {id: alice, name: Alice, email: alice@example.com, manager: maria}
  - {id: bob, name: Bob, email: bob@example.com, manager: maria}
  - {id: dave, name: Dave, email: dave@example.com, manager: maria}
  - {id: carol, name: Carol, email: carol@example.com, manager: nina}
  - {id: maria, name: Maria, email: maria@example.com}
  - {id: nina, name: Nina, email: nina@example.com}
  - {id: olga, name: Olga, email: olga@example.com}
pools:
  sdr: {strategy: round_robin, members: [alice], manager: maria}
  emea: {members: [carol], manager: nina}
queues:
  triage: {channel: "#inbound-triage", members: [bob]}
rules:
  - {name: Queue, when: {lead_source: Queue}, assign: {queue: triage}}
  - {name: US, assign: {pool: sdr}}
"""
USERS = {r: f"U_{r.upper()}" for r in ("alice", "bob", "carol", "dave", "maria", "nina", "olga")}
# role -> who plays it, for a lead offered to alice (team of maria) or queued in triage.
ROLES = {
    "offered rep": "alice",
    "other rep": "dave",
    "queue member": "bob",
    "non-member": "carol",
    "manager of the team": "maria",
    "manager of another team": "nina",
    "admin": "olga",
}
ALLOWED = {
    "accept": {"offered rep"},
    "decline": {"offered rep"},
    "claim": {"queue member"},
    "reassign": {"manager of the team", "admin"},
    "away for alice": {"offered rep", "manager of the team", "admin"},
    "stats": set(ROLES),
}
LEAD = {"email": "p@acme.example", "last_name": "P", "company": "Acme", "external_id": "x1"}


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    db = Database(f"sqlite:///{tmp_path / 'perm.db'}")
    upgrade(db.engine)
    with running_stack(db, config=CONFIG, users=USERS) as s:
        yield s
    db.dispose()


def last_reply(stack: Stack, user: str, count: int = 1) -> str:
    replies = stack.emu.wait_for(
        lambda: len(stack.emu.ephemerals(user)) >= count and stack.emu.ephemerals(user)
    )
    return str(replies[-1]["text"])


def offered_card(stack: Stack) -> tuple[str, dict]:
    lead_id = stack.post_lead(LEAD).json()["id"]
    return lead_id, stack.wait_for_card("U_ALICE")


def do_accept(stack: Stack, user: str) -> bool:
    lead_id, card = offered_card(stack)
    stack.emu.click(user, card["channel"], card["ts"], ActionId.ACCEPT)
    if user == "U_ALICE":
        stack.emu.wait_for(lambda: stack.get_lead(lead_id)["state"] == "accepted")
        return True
    assert "only they can act" in last_reply(stack, user)
    return stack.get_lead(lead_id)["state"] == "accepted"


def do_decline(stack: Stack, user: str) -> bool:
    _, card = offered_card(stack)
    stack.emu.click(user, card["channel"], card["ts"], ActionId.DECLINE)
    if user == "U_ALICE":
        stack.emu.wait_for(lambda: stack.emu.views(user))
        return True
    assert "only they can act" in last_reply(stack, user)
    return bool(stack.emu.calls("views.open"))


def do_claim(stack: Stack, user: str) -> bool:
    lead_id = stack.post_lead({**LEAD, "lead_source": "Queue"}).json()["id"]
    card = stack.emu.wait_for(lambda: stack.emu.messages("C_TRIAGE"))[0]
    stack.emu.click(user, card["channel"], card["ts"], ActionId.CLAIM)
    reply = last_reply(stack, user)
    claimed = stack.get_lead(lead_id)["assignee"] == ROLE_OF[user]
    assert claimed == reply.startswith("It's yours"), reply
    if not claimed:
        assert "Only members of the *triage* queue" in reply
    return claimed


def do_reassign(stack: Stack, user: str) -> bool:
    lead_id, _ = offered_card(stack)
    stack.emu.slash(user, "/leads", f"reassign {lead_id} <@U_BOB|bob> coverage")
    reply = last_reply(stack, user)
    moved = stack.get_lead(lead_id)["offers"][-1]["rep"] == "bob"
    assert moved == ("reassigned from alice to bob" in reply), reply
    return moved


def do_away(stack: Stack, user: str) -> bool:
    stack.emu.slash(user, "/leads", "away <@U_ALICE|alice> for 1h")
    reply = last_reply(stack, user)
    # An away alice is skipped: the lead goes unrouted instead of to her.
    lead_id = stack.post_lead(LEAD).json()["id"]
    state = stack.emu.wait_for(
        lambda: stack.get_lead(lead_id)["state"] != "new" and stack.get_lead(lead_id)["state"]
    )
    away = state == "unrouted"
    assert away == ("away until" in reply), reply
    if not away:
        assert "only your own away status" in reply
    return away


def do_stats(stack: Stack, user: str) -> bool:
    stack.emu.slash(user, "/leads", "stats 7d")
    return last_reply(stack, user).startswith("*Stats for")


ACTIONS: dict[str, Callable[[Stack, str], bool]] = {
    "accept": do_accept,
    "decline": do_decline,
    "claim": do_claim,
    "reassign": do_reassign,
    "away for alice": do_away,
    "stats": do_stats,
}
ROLE_OF = {f"U_{rep.upper()}": rep for rep in USERS}


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_permission_table(stack: Stack, action: str, role: str) -> None:
    user = USERS[ROLES[role]]
    assert ACTIONS[action](stack, user) is (role in ALLOWED[action])


def test_stats_scope_follows_role(stack: Stack) -> None:
    expected = {"U_ALICE": "you", "U_MARIA": "your team", "U_OLGA": "everyone"}
    for user, scope in expected.items():
        stack.emu.slash(user, "/leads", "stats")
        assert last_reply(stack, user).startswith(f"*Stats for {scope}"), user

"""Every ``/leads`` subcommand through the emulator, with its errors."""

from __future__ import annotations

from tests.e2e.harness import Stack, ask
from tests.e2e.test_walking_skeleton import US_LEAD

DE_LEAD = {**US_LEAD, "external_id": "de-1", "country": "Germany"}


def test_help_and_unknown_subcommand(stack: Stack) -> None:
    reply = ask(stack, "U_ALICE", "")
    for sub in ("mine", "queue", "claim", "reassign", "away", "back", "status", "why", "stats"):
        assert f"`{sub}" in reply
    assert ask(stack, "U_ALICE", "help") == reply
    assert ask(stack, "U_ALICE", "frobnicate").startswith("I don't know `frobnicate`")


def test_wrong_arguments_get_a_usage_line(stack: Stack) -> None:
    assert ask(stack, "U_ALICE", "status") == "Usage: `/leads status LEAD`"
    assert (
        ask(stack, "U_MARIA", "reassign L-1001") == "Usage: `/leads reassign LEAD @user [reason]`"
    )
    assert ask(stack, "U_ALICE", "claim").startswith("Usage: `/leads claim LEAD`")
    assert ask(stack, "U_ALICE", "away until someday").startswith("Usage: `/leads away")
    assert ask(stack, "U_ALICE", "stats forever").startswith("Usage: `/leads stats [7d]`")
    assert "No lead `L-4242`" in ask(stack, "U_ALICE", "why L-4242")


def test_strangers_are_told_they_are_not_reps(stack: Stack) -> None:
    assert "not a rep" in ask(stack, "U_STRANGER", "mine")


def test_mine_lists_pending_then_accepted(stack: Stack) -> None:
    lead_id = stack.post_lead(US_LEAD).json()["id"]
    card = stack.wait_for_card("U_ALICE")
    reply = ask(stack, "U_ALICE", "mine")
    assert f"*{lead_id}* Dana Scully" in reply.split("*Yours")[0]
    stack.emu.click("U_ALICE", card["channel"], card["ts"], "offer_accept")
    stack.emu.wait_for(lambda: stack.get_lead(lead_id)["state"] == "accepted")
    reply = ask(stack, "U_ALICE", "mine")
    assert "Nothing pending." in reply and f"*{lead_id}*" in reply.split("*Yours")[1]


def test_queue_and_claim_by_command(stack: Stack) -> None:
    lead_id = stack.post_lead(DE_LEAD).json()["id"]
    stack.emu.wait_for(lambda: stack.emu.messages("C_TRIAGE"))
    assert f"*{lead_id}*" in ask(stack, "U_BOB", "queue")
    assert "not a member of any queue" in ask(stack, "U_CAROL", "queue")
    assert ask(stack, "U_BOB", f"claim {lead_id}").startswith("It's yours")
    assert "already claimed by bob" in ask(stack, "U_ALICE", f"claim {lead_id}")
    assert "Nothing waiting" in ask(stack, "U_BOB", "queue")
    card = stack.emu.messages("C_TRIAGE")[0]
    updated = stack.emu.wait_for(
        lambda: (m := stack.emu.message(card["channel"], card["ts"]))["updated"] and m
    )
    assert "Claimed by <@U_BOB>" in str(updated["blocks"])


def test_reassign_moves_the_lead_and_updates_both_cards(stack: Stack) -> None:
    lead_id = stack.post_lead(US_LEAD).json()["id"]
    alice_card = stack.wait_for_card("U_ALICE")
    reply = ask(stack, "U_MARIA", f"reassign {lead_id} <@U_BOB|bob> alice is out")
    assert reply == f"*{lead_id}* reassigned from alice to bob."
    bob_card = stack.wait_for_card("U_BOB")
    assert "Dana Scully" in bob_card["text"]
    old = stack.emu.wait_for(
        lambda: (m := stack.emu.message(alice_card["channel"], alice_card["ts"]))["updated"] and m
    )
    assert "reassigned by maria: alice is out" in str(old["blocks"])
    assert not any(b["type"] == "actions" for b in old["blocks"])
    lead = stack.get_lead(lead_id)
    assert [(o["rep"], o["outcome"]) for o in lead["offers"]] == [
        ("alice", "revoked"),
        ("bob", "pending"),
    ]
    assert lead["decision"]["reason"] == "manual: reassigned by maria: alice is out"
    assert ask(stack, "U_MARIA", f"reassign {lead_id} @bob").endswith("is already with bob.")


def test_away_and_back_change_eligibility_at_once(stack: Stack) -> None:
    assert "You are away until" in ask(stack, "U_ALICE", "away for 2h")
    first = stack.post_lead(US_LEAD).json()["id"]
    stack.wait_for_card("U_BOB")
    assert stack.get_lead(first)["offers"][0]["rep"] == "bob"
    assert ask(stack, "U_ALICE", "back").startswith("You are back")
    second = stack.post_lead({**US_LEAD, "external_id": "form-2"}).json()["id"]
    stack.wait_for_card("U_ALICE")
    assert stack.get_lead(second)["offers"][0]["rep"] == "alice"
    assert "only your own away status" in ask(stack, "U_ALICE", "away @bob for 1h")
    assert "bob is away until" in ask(stack, "U_MARIA", "away @bob until 17:00")


def test_stats_reports_speed_and_acceptance(stack: Stack) -> None:
    lead_id = stack.post_lead(US_LEAD).json()["id"]
    card = stack.wait_for_card("U_ALICE")
    stack.emu.click("U_ALICE", card["channel"], card["ts"], "offer_accept")
    stack.emu.wait_for(lambda: stack.get_lead(lead_id)["state"] == "accepted")
    reply = ask(stack, "U_MARIA", "stats 1d")
    assert reply.startswith("*Stats for everyone, last 1d*")  # maria is the admin here
    assert "Leads: 1 (1 accepted)" in reply
    assert "Acceptance rate: 100%" in reply
    assert "alice" in reply and "Speed to lead: p50" in reply
    assert "Time to first offer: p50" in reply and "Time to accept: p50" in reply
    assert "SLA: 0 breaches (0 of 1 lead), 0 escalation steps, 0 reminders" in reply


def test_why_tells_how_the_lead_matched_an_account(stack: Stack) -> None:
    from storage.crm import apply_records

    with stack.rt.db.session() as s:
        apply_records(
            s,
            "Account",
            [{"Id": "001000000000042AAA", "Name": "Federal Bureau of Investigation",
              "Website": "fbi.example.org", "OwnerId": "alice@example.com"}],
            now=stack.rt.clock.now(),
            source="csv",
        )  # fmt: skip
    lead_id = stack.post_lead(US_LEAD).json()["id"]
    stack.wait_for_card("U_ALICE")
    reply = ask(stack, "U_ALICE", f"why {lead_id}")
    assert "• matching:" in reply
    assert "001000000000042AAA 'Federal Bureau of Investigation' by email_domain" in reply

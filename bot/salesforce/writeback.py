"""Write-back to Salesforce through the outbox: owner, follow-up Task, score.

``salesforce.owner_update`` (``owner_update: on_offer | on_accept | never``) PATCHes the
Lead's ``OwnerId`` to the rep's Salesforce user with ``Sforce-Auto-Assign: FALSE`` (so
Salesforce's own assignment rules do not take it back). ``create_task: true`` adds a Task
for the rep; ``write_score: true`` writes the score and tier to the fields that
``salesforce.fields`` maps to ``score``/``tier`` (default ``Lead_Score__c``/``Lead_Tier__c``).
Each is one outbox row per intent: done once, retried with backoff, a deleted or
converted lead ends as a dead row with the reason (``/leads status``).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.outbox.worker import GiveUp
from bot.runtime import Runtime
from bot.salesforce.problems import outbox_semantics, require_client
from bot.salesforce.soql import quote
from bot.salesforce.users import salesforce_user_for
from routing.config.models import RoutingConfig
from storage.outbox import Claimed

log = logging.getLogger(__name__)
AUTO_ASSIGN_OFF = {"Sforce-Auto-Assign": "FALSE"}


def _user(rt: Runtime, rep_id: str) -> str:
    client = require_client(rt)
    with outbox_semantics(rt):
        user_id, ref = salesforce_user_for(rt, client, rt.config.config, rep_id)
    if user_id is None:
        raise GiveUp(
            f"no active Salesforce user for rep {rep_id} ({ref}): add the user in "
            "Salesforce or set `salesforce_user:` on the rep in routing.yml"
        )
    return user_id


def update_owner(rt: Runtime, item: Claimed) -> dict[str, Any]:
    """``salesforce.owner_update``: PATCH Lead OwnerId, Salesforce auto-assignment off."""
    client = require_client(rt)
    sf_id = str(item.payload["salesforce_id"])
    user_id = _user(rt, str(item.payload["rep_id"]))
    with outbox_semantics(rt):
        client.update("Lead", sf_id, {"OwnerId": user_id}, headers=AUTO_ASSIGN_OFF)
    log.info("salesforce_owner_updated", extra={"salesforce_id": sf_id, "owner": user_id})
    return {"salesforce_id": sf_id, "owner": user_id}


def create_task(rt: Runtime, item: Claimed) -> dict[str, Any]:
    """``salesforce.task``: a follow-up Task; a retry first looks for the one it made."""
    client = require_client(rt)
    sf_id = str(item.payload["salesforce_id"])
    rep_id = str(item.payload["rep_id"])
    user_id = _user(rt, rep_id)
    subject = f"Follow up lead {item.payload.get('public_id', '')} (Lead Router)".replace("  ", " ")
    with outbox_semantics(rt):
        if item.attempts > 1:
            # A previous try may have created it before failing to hear the answer.
            found = client.query_all(
                f"SELECT Id FROM Task WHERE WhoId = {quote(sf_id)} AND Subject = {quote(subject)}"
            )
            if found:
                return {"task": found[0]["Id"], "existing": True}
        created = client.create(
            "Task",
            {
                "Subject": subject,
                "WhoId": sf_id,
                "OwnerId": user_id,
                "Status": "Not Started",
                "Priority": "Normal",
                "ActivityDate": rt.clock.now().date().isoformat(),
                "Description": f"Accepted in Slack by {rep_id} via Lead Router.",
            },
        )
    return {"task": created.get("id")}


def score_fields(config: RoutingConfig) -> tuple[str, str]:
    reverse = {lead_field: sf_field for sf_field, lead_field in config.salesforce.fields.items()}
    return reverse.get("score", "Lead_Score__c"), reverse.get("tier", "Lead_Tier__c")


def write_score(rt: Runtime, item: Claimed) -> dict[str, Any]:
    """``salesforce.score``: the lead's score and tier, to the mapped fields."""
    client = require_client(rt)
    sf_id = str(item.payload["salesforce_id"])
    score_field, tier_field = score_fields(rt.config.config)
    data = {score_field: item.payload.get("score"), tier_field: item.payload.get("tier")}
    with outbox_semantics(rt):
        client.update("Lead", sf_id, data, headers=AUTO_ASSIGN_OFF)
    return {"salesforce_id": sf_id, **data}

"""Which handler performs each kind of outbox row."""

from __future__ import annotations

from bot.home.refresh import publish_home
from bot.outbox.admin_alerts import send_admin_alert
from bot.outbox.slack_alerts import (
    alert_unrouted,
    post_queue_card,
    update_queue_card,
)
from bot.outbox.slack_cards import post_offer_card, update_offer_card
from bot.outbox.slack_sla import send_escalation_notice, send_reminder
from bot.outbox.worker import Handler
from bot.salesforce.ingest import fetch_pending_lead
from bot.salesforce.writeback import create_task, update_owner, write_score

HANDLERS: dict[str, Handler] = {
    "slack.offer_card": post_offer_card,
    "slack.offer_update": update_offer_card,
    "slack.queue_card": post_queue_card,
    "slack.unrouted_alert": alert_unrouted,
    "slack.queue_card_update": update_queue_card,
    "slack.home_publish": publish_home,
    "slack.admin_alert": send_admin_alert,
    "slack.remind": send_reminder,
    "slack.escalation_notice": send_escalation_notice,
    "salesforce.fetch_lead": fetch_pending_lead,
    "salesforce.owner_update": update_owner,
    "salesforce.task": create_task,
    "salesforce.score": write_score,
}

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
from routing.effects import OutboxKind

HANDLERS: dict[str, Handler] = {  # every OutboxKind (a test checks)
    OutboxKind.OFFER_CARD: post_offer_card,
    OutboxKind.OFFER_UPDATE: update_offer_card,
    OutboxKind.QUEUE_CARD: post_queue_card,
    OutboxKind.UNROUTED_ALERT: alert_unrouted,
    OutboxKind.QUEUE_CARD_UPDATE: update_queue_card,
    OutboxKind.HOME_PUBLISH: publish_home,
    OutboxKind.ADMIN_ALERT: send_admin_alert,
    OutboxKind.REMIND: send_reminder,
    OutboxKind.ESCALATION_NOTICE: send_escalation_notice,
    OutboxKind.SALESFORCE_FETCH: fetch_pending_lead,
    OutboxKind.SALESFORCE_OWNER: update_owner,
    OutboxKind.SALESFORCE_TASK: create_task,
    OutboxKind.SALESFORCE_SCORE: write_score,
}

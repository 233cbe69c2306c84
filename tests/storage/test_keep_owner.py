"""keep_owner: a rule that stops routing and leaves the lead with its current owner. The lead
is stored and its decision (rule, target, trace) recorded; no offer, no card, no admin alert."""

from __future__ import annotations

from sqlalchemy import select

from lifecycle.assign import route_lead
from routing.config import parse_config
from routing.engine import Router
from storage.db import Database
from storage.models import Decision, Lead, Offer, OutboxItem
from tests.storage.helpers import NOW, new_lead

CONFIG = """
admins: [boss]
reps:
  - {id: ann, name: Ann}
  - {id: boss, name: Boss}
rules:
  - {name: Partner leads stay with the partner manager, when: {lead_source: partner},
     assign: keep_owner}
  - {name: Everyone else, assign: {rep: ann}}
"""


def test_a_keep_owner_rule_stores_the_lead_without_card_or_alert(db: Database) -> None:
    router = Router(parse_config(CONFIG))
    kept = new_lead(db, "partner")
    routed = new_lead(db, "web")
    with db.session() as session:
        result = route_lead(session, router, kept, NOW)
        other = route_lead(session, router, routed, NOW)
    assert result.decision is not None and result.decision.outcome == "kept"
    assert result.offer_id is None
    assert other.offer_id is not None  # the next lead is routed as usual
    with db.session() as session:
        lead = session.get(Lead, kept)
        assert lead is not None and lead.state == "kept"
        decision = session.scalars(select(Decision).where(Decision.lead_id == kept)).one()
        assert decision.rule == "Partner leads stay with the partner manager"
        assert decision.target == "keep_owner" and decision.assignee is None
        assert any(step.get("target") == "keep_owner" for step in decision.trace)
        assert session.scalars(select(Offer).where(Offer.lead_id == kept)).first() is None
        effects = session.scalars(select(OutboxItem).where(OutboxItem.lead_id == kept)).all()
        assert effects == []  # no card, no unrouted alert to the admin

"""The application layer: the only code that changes a lead's or an offer's state.

Intake to assignment (offer, accept, decline, claim, reassign, time out), SLA steps and
the side effects each change calls for (``routing.effects`` values stored in the outbox
by the same transaction). It works in the caller's unit of work (a SQLAlchemy session
from ``storage.db.Database.session``) and takes the time as an argument; it knows no
Slack, no HTTP and no Salesforce client: the bot's adapters do those.

Arrows go one way: ``bot`` -> ``lifecycle`` -> ``storage`` -> ``routing``.
"""

"""timers: index on offer_id, so stopping an offer's ladder is not a table scan

Every accept, decline, reassignment and SLA reassign step cancels the offer's pending
timers by ``offer_id``; without an index PostgreSQL scanned the whole timers table
(which keeps every fired timer) each time.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_timers_offer_id", "timers", ["offer_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_timers_offer_id", table_name="timers")

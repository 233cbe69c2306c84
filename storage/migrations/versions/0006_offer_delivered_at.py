"""offers: when the card was delivered (the SLA clock starts then)

An offer's ladder counts from when the rep could see it: the card's delivery, or the
offer's creation if that is later. ``delivered_at`` records the first; ``explain`` shows
both times.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "offers",
        sa.Column("delivered_at", storage.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("offers") as batch:
        batch.drop_column("delivered_at")

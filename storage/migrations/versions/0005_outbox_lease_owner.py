"""outbox: who holds a row's lease and since when

Leases are now short (seconds) and renewed by the holder's heartbeat, so a dead
replica's rows are taken over in seconds instead of after 30 s. ``lease_token`` names
the holder: only it may renew, complete or retry the row, so a worker whose lease ran
out can never overwrite the new holder's result. ``leased_at`` is when the lease was
taken (``locked_until`` moves with every renewal): App Home publishes compare it to tell
which of two leased rows reads the database later.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("lease_token", sa.String(length=32), nullable=True))
    op.add_column(
        "outbox",
        sa.Column("leased_at", storage.types.UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("leased_at")
        batch.drop_column("lease_token")

"""crm records: accounts, contacts and open leads synced for matching and dedupe

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("modstamp", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("synced_at", storage.types.UTCDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "crm_accounts",
        sa.Column("id", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("website", sa.String(length=255), nullable=True),
        sa.Column("country", sa.String(length=80), nullable=True),
        sa.Column("owner_id", sa.String(length=18), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "crm_contacts",
        sa.Column("id", sa.String(length=18), nullable=False),
        sa.Column("account_id", sa.String(length=18), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("first_name", sa.String(length=120), nullable=True),
        sa.Column("last_name", sa.String(length=120), nullable=True),
        sa.Column("owner_id", sa.String(length=18), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_crm_contacts_email", "crm_contacts", ["email"], unique=False)
    op.create_table(
        "crm_open_leads",
        sa.Column("id", sa.String(length=18), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("company", sa.String(length=255), nullable=True),
        sa.Column("first_name", sa.String(length=120), nullable=True),
        sa.Column("last_name", sa.String(length=120), nullable=True),
        sa.Column("owner_id", sa.String(length=18), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_crm_open_leads_email", "crm_open_leads", ["email"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_crm_open_leads_email", table_name="crm_open_leads")
    op.drop_table("crm_open_leads")
    op.drop_index("ix_crm_contacts_email", table_name="crm_contacts")
    op.drop_table("crm_contacts")
    op.drop_table("crm_accounts")

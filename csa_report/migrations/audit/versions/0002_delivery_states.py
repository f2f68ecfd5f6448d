"""Delivery history: one row per state change of a delivery (claimed, accepted, sent, failed, unknown) and per
operator action (confirmed with evidence, resent), so the audit DB says how each delivery reached its state.

Revision ID: audit_0002
Revises: audit_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "audit_0002"
down_revision = "audit_0001"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "delivery_events",
        sa.Column("id", Id, primary_key=True),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("report_id", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("event", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_events"),
    )
    op.create_index("ix_delivery_events_report_id", "delivery_events", ["report_id", "recipient"])


def downgrade() -> None:
    op.drop_index("ix_delivery_events_report_id", table_name="delivery_events")
    op.drop_table("delivery_events")

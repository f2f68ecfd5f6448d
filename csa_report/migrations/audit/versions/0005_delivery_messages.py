"""Delivery messages: each delivery's message as first composed (headers, body, the attachments' names and
SHA-256), so a retry or an operator's resend sends exactly the letter of the original submission. Deliveries
made before this revision have no row: ``csa-report delivery resend`` refuses them unless told to rebuild the
message (``--rebuild``).

Revision ID: audit_0005
Revises: audit_0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "audit_0005"
down_revision = "audit_0004"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "delivery_messages",
        sa.Column("id", Id, primary_key=True),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("report_id", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("headers", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attachments", sa.Text, nullable=False),
        sa.Column("boundary", sa.Text, nullable=True),
        sa.Column("max_line_length", sa.Integer, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_messages"),
        sa.UniqueConstraint("provider", "period", "report_id", "recipient", name="uq_delivery_messages_once"),
    )


def downgrade() -> None:
    op.drop_table("delivery_messages")

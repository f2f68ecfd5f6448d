"""Sign-off notifications: one row per (flow run, sign-off request, recipient), so a resumed or retried run
never notifies the approvers twice about the same request.

Revision ID: audit_0004
Revises: audit_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "audit_0004"
down_revision = "audit_0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "signoff_notifications",
        sa.Column("id", Id, primary_key=True),
        sa.Column("flow_run_id", sa.Text, nullable=False),
        sa.Column("request_key", sa.Text, nullable=False),
        sa.Column("report_id", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("message_id", sa.Text, nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_signoff_notifications"),
        sa.UniqueConstraint("flow_run_id", "request_key", "recipient", name="uq_signoff_notifications_once"),
    )
    op.create_index("ix_signoff_notifications_report_id", "signoff_notifications", ["report_id"])


def downgrade() -> None:
    op.drop_table("signoff_notifications")

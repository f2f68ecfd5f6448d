"""Reporting schema of data-contract §1.

Revision ID: source_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "source_0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id(table: str) -> sa.Column[int]:
    """The id primary key: SERIAL on PostgreSQL, the rowid on SQLite; DuckDB has no SERIAL, so a sequence."""
    if op.get_bind().dialect.name != "duckdb":
        return sa.Column("id", Id, primary_key=True)
    op.execute(f"CREATE SEQUENCE IF NOT EXISTS {table}_id_seq")
    return sa.Column(
        "id", sa.BigInteger, primary_key=True, autoincrement=False, server_default=sa.text(f"nextval('{table}_id_seq')")
    )


def upgrade() -> None:
    op.create_table(
        "processing_volumes",
        _id("processing_volumes"),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("data_type", sa.Text, nullable=False),
        sa.Column("file_type", sa.Text, nullable=True),
        sa.Column("user_region", sa.Text, nullable=False),
        sa.Column("items", sa.BigInteger, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "detections",
        _id("detections"),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("technology", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("data_type", sa.Text, nullable=False),
        sa.Column("file_type", sa.Text, nullable=True),
        sa.Column("user_region", sa.Text, nullable=False),
        sa.Column("account_ref", sa.Text, nullable=True),
        sa.Column("flagged_at", sa.DateTime, nullable=False),
        sa.Column("automated", sa.Boolean, nullable=False),
        sa.Column("reviewed_at", sa.DateTime, nullable=True),
        sa.Column("verdict", sa.Text, nullable=True),
        sa.Column("erased_at", sa.DateTime, nullable=True),
        sa.Column("hold_ref", sa.Text, nullable=True),
    )
    op.create_table(
        "reports",
        _id("reports"),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=False),
        sa.Column("human_confirmed_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "report_items",
        sa.Column("report_id", sa.BigInteger, sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("detection_id", sa.BigInteger, sa.ForeignKey("detections.id"), primary_key=True),
    )
    op.create_index("ix_report_items_detection_id", "report_items", ["detection_id"])
    op.create_table(
        "report_accounts",
        sa.Column("report_id", sa.BigInteger, sa.ForeignKey("reports.id"), primary_key=True),
        sa.Column("account_ref", sa.Text, primary_key=True),
        sa.Column("role", sa.Text, primary_key=True),
        sa.Column("user_region", sa.Text, nullable=False),
    )
    op.create_table(
        "content_actions",
        _id("content_actions"),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("detection_id", sa.BigInteger, sa.ForeignKey("detections.id"), nullable=False),
        sa.Column("removed_at", sa.DateTime, nullable=False),
        sa.Column("restored_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_content_actions_detection_id", "content_actions", ["detection_id"])
    op.create_table(
        "account_actions",
        _id("account_actions"),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("account_ref", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("user_region", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("taken_at", sa.DateTime, nullable=False),
        sa.Column("user_notified_at", sa.DateTime, nullable=True),
        sa.Column("restored_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "complaints",
        _id("complaints"),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("content_action_id", sa.BigInteger, sa.ForeignKey("content_actions.id"), nullable=True),
        sa.Column("account_action_id", sa.BigInteger, sa.ForeignKey("account_actions.id"), nullable=True),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("lodged_at", sa.DateTime, nullable=False),
        sa.Column("decided_at", sa.DateTime, nullable=True),
        sa.Column("outcome", sa.Text, nullable=True),
        sa.Column("complied_at", sa.DateTime, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
    )


def downgrade() -> None:
    for table in (
        "complaints",
        "account_actions",
        "content_actions",
        "report_accounts",
        "report_items",
        "reports",
        "detections",
        "processing_volumes",
    ):
        op.drop_table(table)

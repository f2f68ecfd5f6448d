"""Audit trail: report runs, findings, sign-offs, deliveries (once per recipient), stored objects.

Revision ID: audit_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "audit_0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "report_runs",
        sa.Column("id", Id, primary_key=True),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("as_of", sa.DateTime, nullable=False),
        sa.Column("report_id", sa.Text, nullable=True),
        sa.Column("manifest_sha256", sa.Text, nullable=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("flow_run_id", sa.Text, nullable=True),
        sa.Column("publication_url", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_report_runs"),
    )
    op.create_index("ix_report_runs_provider_period", "report_runs", ["provider", "period"])
    op.create_table(
        "findings",
        sa.Column("id", Id, primary_key=True),
        sa.Column("run_id", Id, nullable=False),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("severity", sa.Text, nullable=False),
        sa.Column("count", sa.BigInteger, nullable=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("waived_by", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_findings"),
        sa.ForeignKeyConstraint(["run_id"], ["report_runs.id"], name="fk_findings_run_id_report_runs"),
    )
    op.create_index("ix_findings_run_id", "findings", ["run_id"])
    op.create_table(
        "signoffs",
        sa.Column("id", Id, primary_key=True),
        sa.Column("run_id", Id, nullable=True),
        sa.Column("report_id", sa.Text, nullable=False),
        sa.Column("decision", sa.Text, nullable=False),
        sa.Column("reviewer", sa.Text, nullable=False),
        sa.Column("manifest_sha256", sa.Text, nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("automatic", sa.Boolean, nullable=False),
        sa.Column("decided_at", sa.DateTime, nullable=False),
        sa.Column("refused_reason", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_signoffs"),
        sa.ForeignKeyConstraint(["run_id"], ["report_runs.id"], name="fk_signoffs_run_id_report_runs"),
    )
    op.create_index("ix_signoffs_run_id", "signoffs", ["run_id"])
    op.create_index("ix_signoffs_report_id", "signoffs", ["report_id"])
    op.create_table(
        "deliveries",
        sa.Column("id", Id, primary_key=True),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("report_id", sa.Text, nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=True),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("message_id", sa.Text, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.UniqueConstraint("provider", "period", "report_id", "recipient", name="uq_deliveries_once"),
    )
    op.create_table(
        "storage_objects",
        sa.Column("id", Id, primary_key=True),
        sa.Column("report_id", sa.Text, nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("bucket", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("version_id", sa.Text, nullable=True),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("etag", sa.Text, nullable=True),
        sa.Column("content_type", sa.Text, nullable=True),
        sa.Column("lock_mode", sa.Text, nullable=True),
        sa.Column("retain_until", sa.DateTime, nullable=True),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_storage_objects"),
        sa.UniqueConstraint("location", "bucket", "key", name="uq_storage_objects_location_key"),
    )
    op.create_index("ix_storage_objects_report_id", "storage_objects", ["report_id"])


def downgrade() -> None:
    for table in ("storage_objects", "deliveries", "signoffs", "findings", "report_runs"):
        op.drop_table(table)

"""Filing integrity: one filing per (provider, period) unless corrected, and SSH-signed sign-offs.

``filings`` holds one row per report that went (or is going) to the authorities. ``seq`` is 0 for a period's
first filing and n + 1 for the correction of filing n; the unique constraint on (provider, period, seq) is what
lets exactly one of two concurrent runs file a period (or correct the same filing). ``signoffs`` gains the
armoured SSH signature and the fingerprint of the key that verified it.

Revision ID: audit_0003
Revises: audit_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "audit_0003"
down_revision = "audit_0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "filings",
        sa.Column("id", Id, primary_key=True),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("report_id", sa.Text, nullable=False),
        sa.Column("manifest_sha256", sa.Text, nullable=False),
        sa.Column("supersedes", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("run_id", Id, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_filings"),
        sa.UniqueConstraint("provider", "period", "seq", name="uq_filings_period_seq"),
        sa.UniqueConstraint("provider", "period", "report_id", name="uq_filings_period_report"),
        sa.ForeignKeyConstraint(["run_id"], ["report_runs.id"], name="fk_filings_run_id_report_runs"),
    )
    with op.batch_alter_table("signoffs") as batch:
        batch.add_column(sa.Column("signature", sa.Text, nullable=True))
        batch.add_column(sa.Column("key_fingerprint", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signoffs") as batch:
        batch.drop_column("key_fingerprint")
        batch.drop_column("signature")
    op.drop_table("filings")

"""content_actions.user_notified_at (data contract §1, v2): when the user was told of a content removal and of
their redress options (Art. 3(1)(g)(vi)); NOTICE-1 reads it.

Nullable and without a default, so databases created before keep every row and simply show no notice recorded
until the provider fills it.

Revision ID: source_0002_notice
Revises: source_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "source_0002_notice"
down_revision = "source_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("content_actions", sa.Column("user_notified_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("content_actions") as batch:
        batch.drop_column("user_notified_at")

"""Alembic environment for the reporting (source) schema; run through csa_report.migrate, never alembic.ini."""

from __future__ import annotations

from alembic import context

from csa_report.schema import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=context.config.attributes.get("version_table", "alembic_version_source"),
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

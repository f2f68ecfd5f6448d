"""Alembic environment for the audit database; run through csa_report.migrate, never alembic.ini."""

from __future__ import annotations

from alembic import context

from csa_report.audit.models import AuditBase

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=AuditBase.metadata,
    version_table=context.config.attributes.get("version_table", "alembic_version_audit"),
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

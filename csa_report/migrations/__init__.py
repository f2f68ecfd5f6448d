"""Alembic environments of csa-report's two databases, run through csa_report.migrate (never alembic.ini)."""

from __future__ import annotations

from alembic import context
from alembic.ddl.impl import DefaultImpl
from sqlalchemy import MetaData

from csa_report.sources import backend_of


class DuckDBImpl(DefaultImpl):
    """Alembic knows no DuckDB; defining this class registers it (DDL as PostgreSQL writes it, transactional)."""

    __dialect__ = "duckdb"
    transactional_ddl = True


def run_migrations(metadata: MetaData, default_version_table: str) -> None:
    """Run the migrations on the connection csa_report.migrate put into the Alembic config."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=context.config.attributes.get("version_table", default_version_table),
        render_as_batch=backend_of(connection).alters_by_copy,
    )
    with context.begin_transaction():
        context.run_migrations()

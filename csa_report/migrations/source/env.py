"""Alembic environment for the reporting (source) schema."""

from csa_report.migrations import run_migrations
from csa_report.source_schema import Base

run_migrations(Base.metadata, "alembic_version_source")

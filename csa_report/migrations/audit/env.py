"""Alembic environment for the audit database."""

from csa_report.audit.models import AuditBase
from csa_report.migrations import run_migrations

run_migrations(AuditBase.metadata, "alembic_version_audit")

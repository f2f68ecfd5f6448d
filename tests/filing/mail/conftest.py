"""The mail tests use the storage tests' fixtures (the session's SeaweedFS and SMTP server, a fake report), the
same objects, not copies."""

from __future__ import annotations

import pytest

from csa_report.audit import AuditLog
from csa_report.settings import Settings
from tests.storage.conftest import _no_retry_sleep, report, settings

__all__ = ["_no_retry_sleep", "audit", "report", "settings"]


@pytest.fixture
def audit(settings: Settings) -> AuditLog:
    return AuditLog.open(settings.audit_db)

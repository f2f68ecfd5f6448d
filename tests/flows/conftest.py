"""Fixtures of the flow tests: CSA_* settings pointing one test at the session's services (tests/support/services.py:
``prefect_server``, ``seaweed``, ``smtp``)."""

from __future__ import annotations

import pytest

from csa_report.local.seaweed import S3Endpoint
from tests.flows.flow_helpers import EXAMPLE_POLICIES
from tests.support.services import SmtpService


@pytest.fixture
def env(tmp_path, seaweed: S3Endpoint, smtp_server: SmtpService, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {f"CSA_{k.upper()}": str(v) for k, v in seaweed.settings_overrides().items()}
    values.update({
        "CSA_AUDIT_DB": f"sqlite:///{tmp_path / 'audit.db'}",
        "CSA_POLICIES": str(EXAMPLE_POLICIES),
        "CSA_OUTPUT_DIR": str(tmp_path / "work"),
        "CSA_SMTP_HOST": "127.0.0.1",
        "CSA_SMTP_PORT": str(smtp_server.port),
        "CSA_SMTP_TLS": "none",
        "CSA_OBJECT_LOCK_DAYS": "1",
        # Each test its own prefix, so reports of different tests never meet in the shared buckets.
        "CSA_STAGING_PREFIX": f"pending-{tmp_path.name}",
        "CSA_ARCHIVE_PREFIX": f"submitted-{tmp_path.name}",
        "CSA_PUBLICATION_PREFIX": f"public-{tmp_path.name}",
    })
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values

"""Shared fixtures of the storage / delivery / audit tests: settings pointing at the session's SeaweedFS and SMTP
server (tests/support/services.py), fake report artefacts, and no retry back-off sleeps."""

from __future__ import annotations

import uuid
from pathlib import Path

import botocore.retries.standard as botocore_standard
import pytest

from csa_report.local.seaweed import S3Endpoint
from csa_report.settings import Settings
from tests.support.services import SmtpService
from tests.support.storage import ARCHIVE, PUBLIC, STAGING, FakeReport, make_report


@pytest.fixture(autouse=True)
def _no_retry_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep botocore's retry decisions, drop the back-off sleep."""
    monkeypatch.setattr(botocore_standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)


# -- settings and a fake report ------------------------------------------------------------------------------


@pytest.fixture
def settings(seaweed: S3Endpoint, smtp_server: SmtpService, tmp_path: Path) -> Settings:
    """Settings for the session's SeaweedFS and SMTP server; prefixes unique to the test."""
    tag = uuid.uuid4().hex[:8]
    return Settings(
        s3_endpoint=seaweed.url,
        s3_access_key=seaweed.access_key,
        s3_secret_key=seaweed.secret_key,
        staging_bucket=STAGING,
        staging_prefix=f"pending-{tag}",
        archive_bucket=ARCHIVE,
        archive_prefix=f"submitted-{tag}",
        publication_bucket=PUBLIC,
        publication_prefix=f"public-{tag}",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        smtp_tls="none",
        smtp_from="reports@example.ie",
        outbox=tmp_path / "outbox",
        audit_db=f"sqlite:///{tmp_path / 'audit.db'}",
    )


@pytest.fixture
def report() -> FakeReport:
    return make_report()

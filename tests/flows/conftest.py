"""Fixtures of the flow tests: CSA_* settings pointing one test at the session's services (tests/support/services.py:
``prefect_server``, ``seaweed``, ``smtp``)."""

from __future__ import annotations

import pytest

from csa_report.local.seaweed import S3Endpoint
from tests.flows.flow_helpers import flow_env
from tests.support.services import SmtpService


@pytest.fixture
def env(tmp_path, seaweed: S3Endpoint, smtp_server: SmtpService, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = flow_env(tmp_path, seaweed, smtp_server.port)
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return values

"""Shared fixtures of the storage / delivery / audit tests: one real SeaweedFS per session, an aiosmtpd server
on a free loopback port, fake report artefacts, settings pointing at both, and no retry back-off sleeps."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import botocore.retries.standard as botocore_standard
import pytest
from aiosmtpd.controller import Controller

from csa_report.errors import ToolError
from csa_report.seaweed import BucketSpec, S3Endpoint, SeaweedServer, ensure_buckets, group_alive
from csa_report.settings import Settings
from tests.conftest import service_missing
from tests.support.storage import (
    ARCHIVE,
    PUBLIC,
    STAGING,
    CollectingHandler,
    FakeReport,
    free_port,
    make_report,
    weed_processes,
)

#: Retention of the archive bucket in the tests: long enough to outlive the session.
LOCK_DAYS = 1

TIMINGS: dict[str, float] = {}


@pytest.fixture(autouse=True)
def _no_retry_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep botocore's retry decisions, drop the back-off sleep."""
    monkeypatch.setattr(botocore_standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)


@pytest.fixture(scope="session")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Endpoint]:
    """A real SeaweedFS (weed mini) for the whole session: staging, Object-Lock archive and public buckets."""
    data_dir = tmp_path_factory.mktemp("seaweed")
    try:
        server = SeaweedServer(data_dir)
    except ToolError as exc:
        service_missing(f"SeaweedFS ({exc})")
    started = time.monotonic()
    endpoint = server.start()
    TIMINGS["seaweed_start_s"] = time.monotonic() - started
    pgid = server.pgid
    try:
        ensure_buckets(endpoint.client(), [BucketSpec(STAGING), BucketSpec(ARCHIVE, LOCK_DAYS), BucketSpec(PUBLIC)])
        yield endpoint
    finally:
        stopped = time.monotonic()
        server.stop()
        TIMINGS["seaweed_stop_s"] = time.monotonic() - stopped
        assert pgid is not None and not group_alive(pgid), "SeaweedFS process group still alive after stop()"
        assert not weed_processes(data_dir), "stray weed processes remain after the tests"
        logging.getLogger(__name__).warning("SeaweedFS timings: %s", TIMINGS)


# -- SMTP ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[Controller, CollectingHandler]]:
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


@pytest.fixture
def smtp(smtp_server: tuple[Controller, CollectingHandler]) -> Iterator[CollectingHandler]:
    """The session's SMTP server, emptied for this test."""
    _controller, handler = smtp_server
    with handler.lock:
        handler.messages.clear()
    handler.refuse.clear()
    yield handler
    handler.refuse.clear()


# -- settings and a fake report ------------------------------------------------------------------------------


@pytest.fixture
def settings(seaweed: S3Endpoint, smtp_server: tuple[Controller, CollectingHandler], tmp_path: Path) -> Settings:
    """Settings for the session's SeaweedFS and SMTP server; prefixes unique to the test."""
    controller, _ = smtp_server
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
        smtp_port=int(controller.port),
        smtp_tls="none",
        smtp_from="reports@example.ie",
        outbox=tmp_path / "outbox",
        audit_db=f"sqlite:///{tmp_path / 'audit.db'}",
    )


@pytest.fixture
def report() -> FakeReport:
    return make_report()

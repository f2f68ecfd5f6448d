"""Shared fixtures of the storage / delivery / audit tests: one real SeaweedFS per session, an aiosmtpd server
on a free loopback port, fake report artefacts, settings pointing at both, and no retry back-off sleeps."""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.retries.standard as botocore_standard
import psutil
import pytest
from aiosmtpd.controller import Controller

from csa_report.errors import ToolError
from csa_report.period import Period
from csa_report.seaweed import BucketSpec, S3Endpoint, SeaweedServer, ensure_buckets, group_alive
from csa_report.settings import Settings
from csa_report.storage import ReportRef
from tests.conftest import service_missing

STAGING, ARCHIVE, PUBLIC = "csa-staging", "csa-archive", "csa-public"
PROVIDER = "Example Communications Ireland Ltd"
PERIOD = Period.parse("2025")
#: Retention of the archive bucket in the tests: long enough to outlive the session.
LOCK_DAYS = 1

TIMINGS: dict[str, float] = {}


@pytest.fixture(autouse=True)
def _no_retry_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep botocore's retry decisions, drop the back-off sleep (s3.md §3)."""
    monkeypatch.setattr(botocore_standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)


def weed_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmd = " ".join(proc.info.get("cmdline") or [])
        if "weed" in (proc.info.get("name") or "") and str(data_dir) in cmd:
            found.append(proc)
    return found


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


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes


@dataclass
class CollectingHandler:
    """aiosmtpd handler: keeps every message; answers 550 for addresses in ``refuse``."""

    messages: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.recipients]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


@dataclass(frozen=True)
class FakeReport:
    artefacts: dict[str, bytes]
    manifest_sha256: str
    ref: ReportRef


def make_report(nonce: str | None = None) -> FakeReport:
    """Six artefacts and a manifest listing their SHA-256; the report id is the manifest's hash prefix."""
    salt = nonce or uuid.uuid4().hex
    files = {
        "report.html": f"<html><body>report {salt}</body></html>".encode(),
        "report.pdf": b"%PDF-1.7\n" + hashlib.sha256(salt.encode()).digest() * 64 + b"\n%%EOF\n",
        "report.md": f"# Report {salt}\n".encode(),
        "report.json": json.dumps({"report": salt, "detections": 42}).encode(),
        "report.csv": f"indicator,value\nnonce,{salt}\n".encode(),
    }
    manifest = {
        "artefacts": {n: {"sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for n, d in sorted(files.items())},
        "period": str(PERIOD),
        "policies": [{"file": "provider.md", "sha256": "0" * 64}],
    }
    data = json.dumps(manifest, sort_keys=True, indent=1).encode()
    sha = hashlib.sha256(data).hexdigest()
    files["manifest.json"] = data
    return FakeReport(files, sha, ReportRef(PROVIDER, PERIOD, sha[:16]))


@pytest.fixture
def report() -> FakeReport:
    return make_report()

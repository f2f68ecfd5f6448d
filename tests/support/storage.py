"""Helpers shared by the storage tests (kept out of conftest.py so they are imported once, by name)."""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from csa_report.local.processes import free_port as free_port  # the one free-port helper, re-exported
from csa_report.period import Period
from csa_report.storage import ReportRef

STAGING, ARCHIVE, PUBLIC = "csa-staging", "csa-archive", "csa-public"
PROVIDER = "Example Communications Ireland Ltd"
PERIOD = Period.parse("2025")


def weed_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmd = " ".join(proc.info.get("cmdline") or [])
        if "weed" in (proc.info.get("name") or "") and str(data_dir) in cmd:
            found.append(proc)
    return found


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes


@dataclass
class CollectingHandler:
    """aiosmtpd handler: keeps every message; answers 550 to RCPT for addresses in ``refuse``, and 554 after DATA
    to a message for an address in ``refuse_data`` (kept all the same: the copy a receiving system holds although
    the sender was told it was refused for good)."""

    messages: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    refuse_data: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content)))
        if any(r.lower() in self.refuse_data for r in envelope.rcpt_tos):
            return "554 5.7.1 message refused by policy"
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [m for m in self.messages if address in m.recipients]


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

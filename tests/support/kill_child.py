"""Child process of the kill -9 suite: runs ``submit_report`` for a staged fake report and SIGKILLs itself at the
named point, so no ``except``/``finally`` of ours runs: what is left behind is exactly what a killed run leaves.

Usage: python -m tests.support.kill_child CONFIG.json  (settings, nonce, run id, recipients, point)."""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from csa_report.audit import AuditLog
from csa_report.filing import submit as submission
from csa_report.filing.mail import transport as delivery
from csa_report.settings import Settings
from csa_report.storage import S3Store
from csa_report.storage.objects import S3Store as _Store
from tests.support.storage import make_report

#: Kill points, in the order a submission reaches them.
POINTS = (
    "before-archive",
    "mid-archive",
    "after-archive",
    "after-claim",
    "data-sent",
    "accepted-unrecorded",
    "accepted-recorded",
    "after-first-sent",
    "mid-publish",
    "before-submitted",
)


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _install(point: str) -> None:
    puts = {"n": 0}
    original_put = _Store.put_create_only
    original_archive = submission.archive
    original_record = AuditLog.record_objects
    original_claim = AuditLog.claim
    original_accepted = delivery.DeliveryProgress.accepted
    original_delivered = AuditLog.mark_delivered
    original_publish = submission.publish
    original_status = AuditLog.set_run_status
    in_publish = {"on": False}

    def put(self: Any, *a: Any, **kw: Any) -> Any:
        puts["n"] += 1
        if point == "mid-archive" and puts["n"] == 3:
            _die()
        if point == "mid-publish" and in_publish["on"] and puts["n"] >= 1:
            result = original_put(self, *a, **kw)
            _die()
            return result
        return original_put(self, *a, **kw)

    def archive(*a: Any, **kw: Any) -> Any:
        if point == "before-archive":
            _die()
        puts["n"] = 0
        return original_archive(*a, **kw)

    def record(self: Any, report_id: str, location: str, *a: Any, **kw: Any) -> Any:
        result = original_record(self, report_id, location, *a, **kw)  # type: ignore[arg-type]
        if point == "after-archive" and location == "archive":
            _die()
        return result

    def claim(self: Any, *a: Any, **kw: Any) -> Any:
        result = original_claim(self, *a, **kw)
        if point == "after-claim" and result.outcome == "claimed":
            _die()
        return result

    def accepted(self: Any, reply: str) -> None:
        if point == "accepted-unrecorded":
            _die()
        original_accepted(self, reply)
        if point == "accepted-recorded":
            _die()

    def delivered(self: Any, *a: Any, **kw: Any) -> None:
        original_delivered(self, *a, **kw)
        if point == "after-first-sent":
            _die()

    def publish(*a: Any, **kw: Any) -> Any:
        in_publish["on"] = True
        puts["n"] = 0
        return original_publish(*a, **kw)

    def status(self: Any, run_id: int, value: str, *a: Any, **kw: Any) -> None:
        if point == "before-submitted" and value == "submitted":
            _die()
        original_status(self, run_id, value, *a, **kw)

    def data(smtp: Any, payload: bytes, progress: Any) -> Any:
        if point == "data-sent":
            smtp.putcmd("data")
            smtp.getreply()
            progress.stage = "data-sent"
            smtp.send(payload.replace(b"\r\n.", b"\r\n..") + b"\r\n.\r\n")
            _die()
        return original_data(smtp, payload, progress)

    original_data = delivery._data
    _Store.put_create_only = put  # type: ignore[method-assign]
    submission.archive = archive  # type: ignore[assignment]
    AuditLog.record_objects = record  # type: ignore[method-assign]
    AuditLog.claim = claim  # type: ignore[method-assign]
    delivery.DeliveryProgress.accepted = accepted  # type: ignore[method-assign]
    AuditLog.mark_delivered = delivered  # type: ignore[method-assign]
    submission.publish = publish  # type: ignore[assignment]
    AuditLog.set_run_status = status  # type: ignore[method-assign]
    delivery._data = data


def main() -> None:
    config = json.loads(Path(sys.argv[1]).read_text())
    settings = Settings(**config["settings"])
    report = make_report(config["nonce"])
    if config["point"]:
        _install(config["point"])
    audit = AuditLog.open(settings.audit_db, migrate=False)
    submission.submit_report(
        store=S3Store.from_settings(settings),
        audit=audit,
        settings=settings,
        ref=report.ref,
        run_id=config["run_id"],
        staged=audit.stored_objects(report.ref.report_id, "staging"),
        manifest_sha256=report.manifest_sha256,
        recipients=[tuple(r) for r in config["recipients"]],
        message_date=datetime.fromisoformat(config["message_date"]),
    )


if __name__ == "__main__":
    main()

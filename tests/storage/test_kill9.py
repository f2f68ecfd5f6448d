"""kill -9 of a submission at every step boundary and inside each delivery (a real SIGKILL of a child process:
none of our exception handlers run), then a re-run. After it, either every recipient holds exactly one copy and
the run is submitted, or the run stops as ``delivery-unknown`` with nothing marked submitted and no recipient
holding more than one copy. The archive never holds two versions of an object."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from csa_report.audit import AuditLog
from csa_report.errors import DeliveryUnknown
from csa_report.filing.submit import submit_report
from csa_report.settings import Settings
from csa_report.storage import S3Store, stage
from tests.support.kill_child import POINTS
from tests.support.scripted_smtp import scripted_smtp
from tests.support.storage import make_report

ROOT = Path(__file__).resolve().parents[2]
AUTHORITY = "dsc@authority.example"
COMMISSION = "csam-reports@commission.example"
RECIPIENTS = [("supervisory authority", AUTHORITY), ("European Commission", COMMISSION)]

#: What a re-run must end in after a kill at each point: "submitted" (every recipient exactly one copy) or
#: "delivery-unknown" (the killed delivery's outcome cannot be known from our side; nothing submitted).
EXPECTED = {
    "before-archive": "submitted",
    "mid-archive": "submitted",
    "after-archive": "submitted",
    "after-claim": "delivery-unknown",
    "data-sent": "delivery-unknown",
    "accepted-unrecorded": "delivery-unknown",
    "accepted-recorded": "submitted",
    "after-first-sent": "submitted",
    "mid-publish": "submitted",
    "before-submitted": "submitted",
}


def _settings_json(settings: Settings) -> dict[str, object]:
    data = settings.model_dump(mode="json")
    for name in ("s3_access_key", "s3_secret_key", "smtp_password"):
        secret = getattr(settings, name)
        data[name] = secret.get_secret_value() if secret is not None else None
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.parametrize("point", POINTS)
def test_kill9_then_rerun_delivers_exactly_once_or_stops_unknown(
    settings: Settings, tmp_path: Path, point: str
) -> None:
    assert set(EXPECTED) == set(POINTS)
    audit = AuditLog.open(settings.audit_db)
    report = make_report(f"kill-{point}-{tmp_path.name}")
    store = S3Store.from_settings(settings)
    staged = stage(
        store, report.artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref
    )
    from datetime import datetime

    now = datetime(2026, 1, 20, 9, 30)
    audit.record_objects(report.ref.report_id, "staging", staged, now)
    run_id = audit.record_run(
        provider=report.ref.provider,
        period=report.ref.period,
        as_of=now,
        status="approved",
        at=now,
        report_id=report.ref.report_id,
        manifest_sha256=report.manifest_sha256,
    )
    with scripted_smtp("accept") as (port, script):
        smtp_settings = settings.model_copy(update={"smtp_port": port})
        config = tmp_path / "child.json"
        config.write_text(
            json.dumps(
                {
                    "settings": _settings_json(smtp_settings),
                    "nonce": f"kill-{point}-{tmp_path.name}",
                    "run_id": run_id,
                    "recipients": RECIPIENTS,
                    "message_date": "2026-01-15T00:00:00",
                    "point": point,
                }
            )
        )
        child = subprocess.run(
            [sys.executable, "-m", "tests.support.kill_child", str(config)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            timeout=120,
        )
        assert child.returncode == -signal.SIGKILL, child.stderr.decode()[-2000:]

        outcome = "submitted"
        try:
            submit_report(
                store=store,
                audit=audit,
                settings=smtp_settings,
                ref=report.ref,
                run_id=run_id,
                staged=audit.stored_objects(report.ref.report_id, "staging"),
                manifest_sha256=report.manifest_sha256,
                recipients=RECIPIENTS,
                message_date=datetime(2026, 1, 15),
            )
        except DeliveryUnknown as exc:
            outcome = "delivery-unknown"
            assert f"csa-report delivery resend {run_id} " in str(exc)
        copies = {r: script.copies(r) for _, r in RECIPIENTS}

    [run] = [r for r in audit.status() if r.run_id == run_id]
    assert outcome == EXPECTED[point] and run.status == outcome
    if outcome == "submitted":
        assert copies == {AUTHORITY: 1, COMMISSION: 1}
        assert {d.status for d in run.deliveries} == {"sent"}
    else:
        assert max(copies.values()) <= 1 and run.publication_url is None
        assert "unknown" in {d.status for d in run.deliveries}
    versions = store.client.list_object_versions(
        Bucket=settings.archive_bucket, Prefix=report.ref.folder(settings.archive_prefix)
    )["Versions"]
    keys = [v["Key"] for v in versions]
    assert len(keys) == len(set(keys)) == len(report.artefacts)

"""A provisional report is never filed (issue 24, item 7; found by the round-3 replay). `csa-report run --as-of
2025-06-30 --allow-incomplete-period` used to archive the half-year report under Object Lock, e-mail it to the
authority and the Commission as the period's report and take the period's filing slot, so the real run was then
refused as "already filed". And a deployment's run (the flow itself, a custom as_of in the UI) was not held to the
period rule at all: only the CLI checked it.

Real components: the session's Prefect server, SeaweedFS and SMTP server; a seeded SQLite source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csa_report.audit import AuditLog
from csa_report.errors import PeriodError
from csa_report.filing.guard import filings
from csa_report.local.seaweed import S3Endpoint
from csa_report.period import Period
from csa_report.seed import seed
from tests.flows.flow_helpers import AUTHORITY, COMMISSION

PROVIDER = "Example Communications Ireland Ltd"
PERIOD = "2025-01-01/2025-12-31"


def _objects(seaweed: S3Endpoint, bucket: str, prefix: str) -> int:
    return int(seaweed.client().list_objects_v2(Bucket=bucket, Prefix=prefix).get("KeyCount", 0))


def test_a_provisional_run_files_nothing_and_the_real_run_then_files_once(
    prefect_server, env, seaweed, smtp, tmp_path: Path
) -> None:
    from csa_report.flows.annual_report import ProvisionalResult, annual_report

    before = len(smtp.messages)
    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, Period.parse("2025"), scale=200, seed=5)
    common = {"period": "2025", "source_db": url, "approve_as": "Dara Kelly"}

    # The deployment's path: the flow itself refuses the early as-of, before anything is extracted.
    with pytest.raises(PeriodError) as refused:
        annual_report(as_of="2025-06-30T00:00:00Z", **common)
    assert refused.value.exit_code == 2 and "--allow-incomplete-period" in str(refused.value)
    assert not (tmp_path / "work").exists()

    early = annual_report(as_of="2025-06-30T00:00:00Z", allow_incomplete_period=True, **common)
    assert isinstance(early, ProvisionalResult)
    manifest = json.loads(early.rendered.paths["manifest.json"].read_text("utf-8"))
    assert early.provisional == manifest["provisional"]
    assert early.provisional.startswith(
        "provisional report, not to be filed as the final report for 2025-01-01/2025-12-31: as-of 2025-06-30"
    )
    assert len(smtp.messages) == before  # nobody was sent the provisional report
    assert _objects(seaweed, "csa-staging", env["CSA_STAGING_PREFIX"]) == 0
    assert _objects(seaweed, "csa-archive", env["CSA_ARCHIVE_PREFIX"]) == 0
    audit = AuditLog.open(env["CSA_AUDIT_DB"])
    assert filings(audit, PROVIDER, PERIOD) == []

    final = annual_report(as_of="2026-01-15T00:00:00Z", **common)
    assert final.report_id != early.report_id
    new = smtp.messages[before:]
    assert sorted(r for m in new for r in m.recipients) == sorted([AUTHORITY, COMMISSION])
    [filing] = filings(audit, PROVIDER, PERIOD)
    assert (filing.report_id, filing.status, filing.seq) == (final.report_id, "submitted", 0)

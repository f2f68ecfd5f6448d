"""A public copy only where one is configured (issue 25 item 6), against the session's SeaweedFS, whose
publication bucket anyone may read (tests/support/services.py) and whose staging bucket nobody may."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from csa_report.audit import AuditLog
from csa_report.cli import main
from csa_report.settings import Settings
from csa_report.storage import S3Store
from tests.support.storage import PUBLIC, CollectingHandler, FakeReport
from tests.support.submission import AUTHORITY, COMMISSION, stage_report, submit


def _keys(settings: Settings, bucket: str, prefix: str) -> list[str]:
    client = S3Store.from_settings(settings).client
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def test_no_publication_bucket_no_public_copy(
    settings: Settings, report: FakeReport, smtp: CollectingHandler, capsys: pytest.CaptureFixture[str]
) -> None:
    own = Settings(**{**settings.model_dump(), "publication_bucket": None})
    audit = AuditLog.open(own.audit_db)
    run_id, staged = stage_report(own, report, audit)
    result = submit(own, report, audit, run_id)
    assert result.publication is None
    assert len(result.sent) == 2
    # Nothing under the publication prefix, in the staging bucket or anywhere else; the staged copy only.
    assert _keys(own, own.staging_bucket, own.publication_prefix) == []
    assert _keys(own, PUBLIC, own.publication_prefix) == []
    assert len(_keys(own, own.staging_bucket, own.staging_prefix)) == len(staged)
    assert audit.stored_objects(report.ref.report_id, "publication") == []
    [run] = audit.status(report.ref.period)
    assert run.status == "submitted" and run.publication_url is None

    capsys.readouterr()
    assert main(["status", "--audit-db", own.audit_db]) == 0
    out = capsys.readouterr().out
    assert "not published (no publication bucket set: publication_bucket, CSA_PUBLICATION_BUCKET)" in out
    assert "published at" not in out
    # The same, for a program: `status --json` has the run, its deliveries and no publication URL.
    assert main(["status", "--json", "--audit-db", own.audit_db]) == 0
    [entry] = json.loads(capsys.readouterr().out)
    assert (entry["outcome"], entry["report_id"], entry["publication_url"]) == ("submitted", report.ref.report_id, None)
    assert entry["run_id"] == run_id
    assert sorted((d["recipient"], d["status"], d["attempts_this_run"]) for d in entry["deliveries"]) == [
        (COMMISSION, "sent", 1),
        (AUTHORITY, "sent", 1),
    ]


def test_configured_publication_answers_200(
    settings: Settings, report: FakeReport, smtp: CollectingHandler, capsys: pytest.CaptureFixture[str]
) -> None:
    assert settings.publication_bucket == PUBLIC
    audit = AuditLog.open(settings.audit_db)
    run_id, staged = stage_report(settings, report, audit)
    result = submit(settings, report, audit, run_id)
    assert result.publication is not None
    url = result.publication.url
    assert url == (
        f"{settings.s3_endpoint}/{PUBLIC}/{settings.publication_prefix}/example-communications-ireland-ltd/"
        f"2025-01-01_2025-12-31/{report.ref.report_id}/report.html"
    )
    with urllib.request.urlopen(url, timeout=10) as answer:  # anonymous: no credentials at all
        assert answer.status == 200
        assert answer.read() == report.artefacts["report.html"]
    # The staged copy stays private: the same path in the staging bucket is refused to strangers.
    staged_html = next(o for o in staged if o.name == "report.html")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{settings.s3_endpoint}/{staged_html.bucket}/{staged_html.key}", timeout=10)
    assert refused.value.code == 403

    capsys.readouterr()
    assert main(["status", "--audit-db", settings.audit_db]) == 0
    assert f"published at {url}" in capsys.readouterr().out

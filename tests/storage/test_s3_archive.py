"""The WORM archive on a real SeaweedFS: create-only copies under COMPLIANCE retention that cannot be deleted
or overwritten, and the public copy."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from csa_report.period import utc_now
from csa_report.settings import Settings
from csa_report.storage import S3Store, archive, publish, stage
from tests.support.storage import FakeReport


def test_archived_objects_cannot_be_deleted_or_overwritten(settings: Settings, report: FakeReport) -> None:
    store = S3Store.from_settings(settings)
    staged = stage(
        store, report.artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref
    )
    archived = archive(store, staged, settings.archive_bucket, settings.archive_prefix)
    assert [a.name for a in archived] == [s.name for s in staged]
    for src, dst in zip(staged, archived, strict=True):
        assert dst.bucket == settings.archive_bucket
        assert dst.key == src.key.replace(settings.staging_prefix, settings.archive_prefix, 1)
        assert dst.sha256_hex == src.sha256_hex
        assert dst.lock_mode == "COMPLIANCE"
        assert isinstance(dst.retain_until, datetime)
        assert dst.retain_until > utc_now() + timedelta(hours=20)

    pdf = next(a for a in archived if a.name == "report.pdf")
    client = store.client
    # Delete by version id: refused (with or without the governance bypass).
    for bypass in (False, True):
        with pytest.raises(ClientError) as info:
            client.delete_object(
                Bucket=pdf.bucket, Key=pdf.key, VersionId=pdf.version_id or "", BypassGovernanceRetention=bypass
            )
        assert info.value.response["Error"]["Code"] == "AccessDenied"
    # Shortening the COMPLIANCE retention: refused.
    with pytest.raises(ClientError):
        shorter = {"Mode": "COMPLIANCE", "RetainUntilDate": datetime(2000, 1, 1)}
        client.put_object_retention(Bucket=pdf.bucket, Key=pdf.key, VersionId=pdf.version_id or "", Retention=shorter)  # type: ignore[arg-type]
    # Our create-only write refuses to overwrite; a plain PUT adds a version but the locked one stays intact.
    assert store.put_create_only(pdf.bucket, pdf.key, report.artefacts["report.pdf"], "application/pdf") == pdf
    client.put_object(Bucket=pdf.bucket, Key=pdf.key, Body=b"overwritten")
    assert store.read_verified(pdf) == report.artefacts["report.pdf"]
    # Delete without a version id only adds a delete marker; the locked version is still there.
    client.delete_object(Bucket=pdf.bucket, Key=pdf.key)
    assert store.read_verified(pdf) == report.artefacts["report.pdf"]
    # Deleting the whole bucket is refused.
    with pytest.raises(ClientError):
        client.delete_bucket(Bucket=settings.archive_bucket)


def test_archive_is_idempotent(settings: Settings, report: FakeReport) -> None:
    store = S3Store.from_settings(settings)
    staged = stage(
        store, report.artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref
    )
    first = archive(store, staged, settings.archive_bucket, settings.archive_prefix)
    second = archive(store, staged, settings.archive_bucket, settings.archive_prefix)
    assert first == second
    versions = store.client.list_object_versions(Bucket=settings.archive_bucket, Prefix=settings.archive_prefix)
    assert len(versions.get("Versions", [])) == len(staged)


def test_publish_copies_html_and_pdf(settings: Settings, report: FakeReport) -> None:
    store = S3Store.from_settings(settings)
    staged = stage(
        store, report.artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref
    )
    assert settings.publication_bucket
    pub = publish(store, staged, bucket=settings.publication_bucket, prefix=settings.publication_prefix)
    assert sorted(o.name for o in pub.objects) == ["report.html", "report.pdf"]
    assert (
        pub.url == f"{settings.s3_endpoint}/{settings.publication_bucket}/{settings.publication_prefix}/"
        f"example-communications-ireland-ltd/2025-01-01_2025-12-31/{report.ref.report_id}/report.html"
    )
    assert publish(store, staged, bucket=settings.publication_bucket, prefix=settings.publication_prefix) == pub
    html = next(o for o in pub.objects if o.name == "report.html")
    assert store.read_verified(html) == report.artefacts["report.html"]
    with urllib.request.urlopen(pub.url, timeout=10) as answer:  # the publication bucket is public
        assert answer.status == 200 and answer.read() == report.artefacts["report.html"]

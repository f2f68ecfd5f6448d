"""Staging on a real SeaweedFS: create-only with SHA-256, idempotent re-staging, conflicts, tamper detection,
review links."""

from __future__ import annotations

import dataclasses
import hashlib
import urllib.error
import urllib.request

import pytest

from csa_report.errors import StorageConflict, TamperedError
from csa_report.settings import Settings
from csa_report.storage import S3Store, content_type_for, review_links, stage, verify_staged
from tests.support.storage import FakeReport


def _versions(store: S3Store, bucket: str, prefix: str) -> dict[str, int]:
    resp = store.client.list_object_versions(Bucket=bucket, Prefix=prefix)
    counts: dict[str, int] = {}
    for v in resp.get("Versions", []):
        counts[v["Key"]] = counts.get(v["Key"], 0) + 1
    return counts


def test_staging_twice_stores_one_version(settings: Settings, report: FakeReport) -> None:
    store = S3Store.from_settings(settings)
    first = stage(
        store, report.artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref
    )
    again = stage(
        store, report.artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref
    )
    assert first == again
    prefix = (
        f"{settings.staging_prefix}/example-communications-ireland-ltd/2025-01-01_2025-12-31/{report.ref.report_id}/"
    )
    assert [o.key for o in first] == [prefix + n for n in sorted(report.artefacts)]
    assert _versions(store, settings.staging_bucket, settings.staging_prefix) == {o.key: 1 for o in first}
    for obj in first:
        assert obj.sha256_hex == hashlib.sha256(report.artefacts[obj.name]).hexdigest()
        assert obj.size == len(report.artefacts[obj.name])
        assert obj.version_id
        head = store.client.head_object(Bucket=obj.bucket, Key=obj.key)
        assert head["ContentType"] == content_type_for(obj.name)
        assert head.get("ServerSideEncryption") == "AES256"


def test_different_bytes_never_overwrite(settings: Settings, report: FakeReport) -> None:
    store = S3Store.from_settings(settings)
    staged = stage(
        store, report.artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref
    )
    changed = dict(report.artefacts, **{"report.pdf": b"%PDF other bytes"})
    with pytest.raises(StorageConflict) as info:
        stage(store, changed, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref)
    assert info.value.exit_code == 5
    assert "report.pdf" in str(info.value)
    pdf = next(o for o in staged if o.name == "report.pdf")
    assert store.read(pdf.bucket, pdf.key, None) == report.artefacts["report.pdf"]
    assert _versions(store, settings.staging_bucket, pdf.key) == {pdf.key: 1}


def test_changed_byte_in_staged_object_is_caught(settings: Settings, report: FakeReport) -> None:
    store = S3Store.from_settings(settings)
    staged = stage(
        store, report.artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref
    )
    assert set(verify_staged(store, staged)) == set(report.artefacts)
    pdf = next(o for o in staged if o.name == "report.pdf")
    tampered = bytearray(report.artefacts["report.pdf"])
    tampered[20] ^= 0x01
    # Someone overwrites the object with a plain PUT (no condition): a new latest version appears.
    store.client.put_object(Bucket=pdf.bucket, Key=pdf.key, Body=bytes(tampered))
    with pytest.raises(TamperedError) as info:
        verify_staged(store, staged)
    assert info.value.exit_code == 5
    assert pdf.key in str(info.value) and "changed after staging" in str(info.value)
    assert "%PDF" not in str(info.value)
    # The signed version itself is still readable by its version id (that is what the archive receives) ...
    assert store.read_verified(pdf) == report.artefacts["report.pdf"]
    # ... and deleting it (leaving only the forged version) is caught too.
    store.client.delete_object(Bucket=pdf.bucket, Key=pdf.key, VersionId=pdf.version_id or "")
    with pytest.raises(TamperedError, match=r"report\.pdf"):
        verify_staged(store, staged)
    # A record that names a version with other bytes than recorded is caught by the hash check.
    latest = store.head(pdf.bucket, pdf.key)
    assert latest is not None
    forged = dataclasses.replace(latest, sha256_hex=pdf.sha256_hex)
    with pytest.raises(TamperedError, match="no longer matches its recorded SHA-256"):
        store.read_verified(forged)


def test_review_links_are_presigned_and_version_exact(settings: Settings, report: FakeReport) -> None:
    store = S3Store.from_settings(settings)
    staged = stage(
        store, report.artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref
    )
    links = review_links(store, staged, settings.review_link_seconds)
    assert sorted(links) == sorted(report.artefacts)
    assert "X-Amz-Expires=604800" in links["report.pdf"]
    assert "versionId=" in links["report.pdf"]
    with urllib.request.urlopen(links["report.pdf"], timeout=10) as resp:
        assert resp.read() == report.artefacts["report.pdf"]
    forged = links["report.pdf"].replace("X-Amz-Expires=604800", "X-Amz-Expires=604799")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(forged, timeout=10)
    assert info.value.code == 403

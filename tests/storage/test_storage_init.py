"""``csa-report storage init`` on a real SeaweedFS: it creates the staging and archive buckets with what the store
accepts, reads every setting back, reports what the store refused, is safe to run twice, and exits 2 when the
archive has no Object Lock."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from csa_report.cli import main
from csa_report.local.seaweed import S3Endpoint
from csa_report.settings import Settings
from csa_report.storage.client import make_client
from csa_report.storage.provision import Outcome, provision
from tests.support.faultproxy import FaultProxy, Rule


def _env(monkeypatch: pytest.MonkeyPatch, seaweed: S3Endpoint, staging: str, archive: str, days: int) -> None:
    for name, value in seaweed.settings_overrides().items():
        monkeypatch.setenv(f"CSA_{name.upper()}", value)
    monkeypatch.setenv("CSA_STAGING_BUCKET", staging)
    monkeypatch.setenv("CSA_ARCHIVE_BUCKET", archive)
    monkeypatch.setenv("CSA_OBJECT_LOCK_DAYS", str(days))
    monkeypatch.delenv("CSA_PUBLICATION_BUCKET", raising=False)
    monkeypatch.delenv("CSA_CONFIG", raising=False)


def _names() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"init-staging-{tag}", f"init-archive-{tag}"


def _table(outcomes: list[Outcome]) -> dict[tuple[str, str], str]:
    return {(o.role, o.feature): o.status for o in outcomes}


def test_storage_init_provisions_seaweedfs(
    seaweed: S3Endpoint, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    staging, archive = _names()
    _env(monkeypatch, seaweed, staging, archive, days=2)

    assert main(["storage", "init"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # rich wraps long lines
    assert "storage ready" in out

    s3 = seaweed.client()
    lock = s3.get_object_lock_configuration(Bucket=archive)["ObjectLockConfiguration"]
    assert lock == {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 2}}}
    assert s3.get_bucket_versioning(Bucket=archive)["Status"] == "Enabled"
    assert s3.get_bucket_versioning(Bucket=staging)["Status"] == "Enabled"

    # An object put into the archive gets the 2-day COMPLIANCE retention and cannot be deleted.
    put = s3.put_object(Bucket=archive, Key="submitted/x.txt", Body=b"x", ChecksumAlgorithm="SHA256")
    head = s3.head_object(Bucket=archive, Key="submitted/x.txt", VersionId=put["VersionId"])
    assert head["ObjectLockMode"] == "COMPLIANCE"
    left = head["ObjectLockRetainUntilDate"] - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=1, hours=23) < left <= dt.timedelta(days=2)
    with pytest.raises(ClientError):
        s3.delete_object(Bucket=archive, Key="submitted/x.txt", VersionId=put["VersionId"])

    # What SeaweedFS 4.48 accepted, feature by feature (read back, not taken on trust).
    settings = Settings(
        **seaweed.settings_overrides(), staging_bucket=staging, archive_bucket=archive, object_lock_days=2
    )
    outcomes = provision(make_client(settings), settings, tls=False)
    # SeaweedFS 4.48 has no public access block (501 NotImplemented); everything else it keeps. The bucket
    # policy of staging and the TLS-only rule are skipped because the endpoint is plain HTTP.
    assert _table(outcomes) == {
        ("staging", "bucket"): "ok",
        ("staging", "versioning"): "ok",
        ("staging", "default encryption"): "ok",
        ("staging", "public access block"): "not accepted",
        ("staging", "bucket policy"): "skipped",
        ("staging", "TLS-only access"): "skipped",
        ("staging", "lifecycle"): "ok",
        ("archive", "bucket"): "ok",
        ("archive", "versioning"): "ok",
        ("archive", "object lock"): "ok",
        ("archive", "default encryption"): "ok",
        ("archive", "public access block"): "not accepted",
        ("archive", "bucket policy"): "ok",
        ("archive", "TLS-only access"): "skipped",
    }
    refused = next(o for o in outcomes if o.feature == "public access block")
    assert refused.detail == "NotImplemented (HTTP 501)"
    # Every feature the store refused is printed by name.
    for o in outcomes:
        if o.status == "not accepted":
            assert f"{o.bucket} {o.feature}" in out
    # The archive's policy is the one csa-report wrote: nobody deletes a version or changes the lock.
    policy = json.loads(s3.get_bucket_policy(Bucket=archive)["Policy"])
    assert [st["Sid"] for st in policy["Statement"]] == ["DenyArchiveDeletion"]
    assert sorted(policy["Statement"][0]["Action"]) == [
        "s3:BypassGovernanceRetention",
        "s3:DeleteObjectVersion",
        "s3:PutBucketObjectLockConfiguration",
    ]


def test_storage_init_twice_changes_nothing(
    seaweed: S3Endpoint, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    staging, archive = _names()
    _env(monkeypatch, seaweed, staging, archive, days=1)
    assert main(["storage", "init"]) == 0
    first = capsys.readouterr().out
    assert main(["storage", "init"]) == 0
    second = capsys.readouterr().out
    assert first.count("created") == 2 and "created" not in second
    assert second.count("already exists") == 2


def test_storage_init_exits_2_when_the_store_refuses_object_lock(
    seaweed: S3Endpoint, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store without Object Lock, played by SeaweedFS behind a proxy that fails every ``?object-lock`` call."""
    staging, archive = _names()
    _env(monkeypatch, seaweed, staging, archive, days=1)
    with FaultProxy(seaweed.url.removeprefix("http://")) as proxy:
        proxy.arm(Rule(action="500", count=1000, path=r"object-lock"))
        monkeypatch.setenv("CSA_S3_ENDPOINT", proxy.url)
        code = main(["storage", "init"])
        assert "500" in proxy.actions()
    captured = capsys.readouterr()
    out, err = " ".join(captured.out.split()), " ".join(captured.err.split())
    assert code == 2
    assert f"{archive} object lock" in out.split("did not accept:")[1]
    assert f"bucket {archive}" in err and "no Object Lock in COMPLIANCE mode" in err and "Traceback" not in err


def test_storage_init_exits_2_when_the_retention_cannot_change(
    seaweed: S3Endpoint, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The archive's own policy forbids changing its Object Lock: asking for another retention is an error, and
    the bucket keeps the retention it had."""
    staging, archive = _names()
    _env(monkeypatch, seaweed, staging, archive, days=1)
    assert main(["storage", "init"]) == 0
    capsys.readouterr()
    monkeypatch.setenv("CSA_OBJECT_LOCK_DAYS", "3")
    assert main(["storage", "init"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"bucket {archive}" in err and "default retention of 3 days" in err and "Traceback" not in err
    lock = seaweed.client().get_object_lock_configuration(Bucket=archive)["ObjectLockConfiguration"]
    assert lock["Rule"]["DefaultRetention"] == {"Mode": "COMPLIANCE", "Days": 1}


def test_storage_init_unreachable_store_exits_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CSA_S3_ENDPOINT", "http://127.0.0.1:9")  # discard port: nothing listens
    monkeypatch.setenv("CSA_S3_ACCESS_KEY", "k")
    monkeypatch.setenv("CSA_S3_SECRET_KEY", "s")
    monkeypatch.setenv("CSA_S3_MAX_ATTEMPTS", "1")
    monkeypatch.delenv("CSA_CONFIG", raising=False)
    assert main(["storage", "init"]) == 3
    err = " ".join(capsys.readouterr().err.split())
    assert "unreachable" in err and "Traceback" not in err

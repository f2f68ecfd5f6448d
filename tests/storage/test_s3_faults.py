"""Retries behind the fault-injection proxy in front of a real SeaweedFS: 503s, dropped connections
and lost replies after the write still store every object exactly once; a dead endpoint is exit 3."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from csa_report.errors import UnreachableError
from csa_report.local.seaweed import S3Endpoint
from csa_report.settings import Settings
from csa_report.storage import S3Store, archive, make_client, stage, verify_staged
from tests.support.faultproxy import FaultProxy, Rule
from tests.support.storage import FakeReport, free_port


@pytest.fixture
def proxy(seaweed: S3Endpoint) -> Iterator[FaultProxy]:
    with FaultProxy(seaweed.url.removeprefix("http://")) as fp:
        yield fp


def _through(proxy: FaultProxy, settings: Settings, max_attempts: int = 4) -> S3Store:
    return S3Store(make_client(settings, endpoint_url=proxy.url, max_attempts=max_attempts), sse=settings.sse)


def _version_counts(store: S3Store, bucket: str, prefix: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in store.client.list_object_versions(Bucket=bucket, Prefix=prefix).get("Versions", []):
        counts[v["Key"]] = counts.get(v["Key"], 0) + 1
    return counts


def test_every_object_stored_exactly_once_behind_faults(
    proxy: FaultProxy, settings: Settings, report: FakeReport
) -> None:
    direct = S3Store.from_settings(settings)
    faulty = _through(proxy, settings)
    proxy.arm(
        Rule("503", count=2, method="PUT", path=r"/report\.html$"),
        Rule("reset", count=2, method="PUT", path=r"/report\.pdf$"),
        Rule("reset_after", count=1, method="PUT", path=r"/report\.json$"),  # written, reply lost
        Rule("500", count=1, method="PUT", path=r"/manifest\.json$"),
        Rule("503", count=1, method="HEAD", path=r"/report\.md"),
        Rule("reset_after", count=1, method="PUT", path=r"/report\.csv$"),
    )
    staged = stage(
        faulty, report.artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref
    )
    assert _version_counts(direct, settings.staging_bucket, settings.staging_prefix) == {o.key: 1 for o in staged}
    assert all(r.count == 0 for r in proxy.rules), "every injected fault was hit"

    # Archive through the proxy: every archive PUT loses its reply after the write; reads fail twice.
    proxy.disarm()
    proxy.arm(
        Rule("503", count=2, method="GET", path=settings.staging_prefix),
        *(Rule("reset_after", count=1, method="PUT", path=f"{settings.archive_prefix}/.*/{o.name}$") for o in staged),
    )
    contents = verify_staged(faulty, staged)
    archived = archive(faulty, staged, settings.archive_bucket, settings.archive_prefix, contents)
    assert _version_counts(direct, settings.archive_bucket, settings.archive_prefix) == {a.key: 1 for a in archived}
    assert all(a.lock_mode == "COMPLIANCE" for a in archived)
    assert proxy.actions("PUT").count("reset_after") == len(staged)
    assert proxy.actions("GET").count("503") == 2


def test_lost_reply_after_write_is_resolved_by_checksum(
    proxy: FaultProxy, settings: Settings, report: FakeReport
) -> None:
    faulty = _through(proxy, settings)
    key = f"{settings.staging_prefix}/lost-reply/report.pdf"
    proxy.arm(Rule("reset_after", count=1, method="PUT", path="lost-reply"))
    stored = faulty.put_create_only(settings.staging_bucket, key, report.artefacts["report.pdf"], "application/pdf")
    assert proxy.actions("PUT") == ["reset_after", "forward"]  # the retry met 412 and was resolved by HEAD
    assert _version_counts(faulty, settings.staging_bucket, key) == {key: 1}
    assert stored == faulty.head(settings.staging_bucket, key)


def test_s3_unreachable_is_exit_3_after_retries(settings: Settings, report: FakeReport) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    store = S3Store(make_client(settings, endpoint_url=dead, max_attempts=2), sse=settings.sse)
    started = time.monotonic()
    with pytest.raises(UnreachableError) as info:
        stage(store, report.artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref)
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert info.value.exit_code == 3
    assert dead in message and settings.staging_bucket in message and "PutObject" in message
    assert settings.s3_secret_key is not None
    assert settings.s3_secret_key.get_secret_value() not in message


def test_s3_5xx_after_retries_is_exit_3(proxy: FaultProxy, settings: Settings, report: FakeReport) -> None:
    store = _through(proxy, settings, max_attempts=2)
    proxy.arm(Rule("503", count=100, method="PUT"))
    with pytest.raises(UnreachableError, match=r"SlowDown \(HTTP 503\)") as info:
        stage(store, report.artefacts, bucket=settings.staging_bucket, prefix=settings.staging_prefix, ref=report.ref)
    assert info.value.exit_code == 3
    assert proxy.actions("PUT") == ["503"] * 3  # 1 try + 2 retries
    assert _version_counts(S3Store.from_settings(settings), settings.staging_bucket, settings.staging_prefix) == {}

"""Fast unit tests of the create-only logic on moto (server mode, in a thread). The same properties are
proven against a real SeaweedFS in the other test modules; moto is never the only proof."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator

import pytest

from csa_report.errors import StorageConflict
from csa_report.settings import Settings
from csa_report.storage import S3Store, make_client
from tests.support.faultproxy import FaultProxy, Rule


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto_settings(moto_url: str) -> Settings:
    settings = Settings(s3_endpoint=moto_url, s3_access_key="test", s3_secret_key="test", staging_bucket="unit-stage")
    client = make_client(settings)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if "unit-stage" not in existing:
        client.create_bucket(Bucket="unit-stage")
        client.put_bucket_versioning(Bucket="unit-stage", VersioningConfiguration={"Status": "Enabled"})
    return settings


def test_create_only_same_bytes_is_a_noop_other_bytes_conflict(moto_settings: Settings) -> None:
    store = S3Store.from_settings(moto_settings)
    first = store.put_create_only("unit-stage", "a/report.json", b"{}", "application/json")
    assert store.put_create_only("unit-stage", "a/report.json", b"{}", "application/json") == first
    with pytest.raises(StorageConflict, match=r"a/report\.json"):
        store.put_create_only("unit-stage", "a/report.json", b"[]", "application/json")
    versions = store.client.list_object_versions(Bucket="unit-stage", Prefix="a/")["Versions"]
    assert len(versions) == 1


def test_lost_reply_is_idempotent_on_moto(moto_settings: Settings) -> None:
    with FaultProxy(str(moto_settings.s3_endpoint).removeprefix("http://")) as proxy:
        store = S3Store(make_client(moto_settings, endpoint_url=proxy.url), sse=None)
        proxy.arm(Rule("reset_after", method="PUT", path="b/report.pdf"), Rule("503", count=2, method="HEAD"))
        stored = store.put_create_only("unit-stage", "b/report.pdf", b"%PDF", "application/pdf")
    assert stored.sha256_hex == hashlib.sha256(b"%PDF").hexdigest()
    assert proxy.actions("PUT") == ["reset_after", "forward"]
    assert len(store.client.list_object_versions(Bucket="unit-stage", Prefix="b/")["Versions"]) == 1

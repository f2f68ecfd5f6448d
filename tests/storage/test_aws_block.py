"""A real prefect-aws ``AwsCredentials`` block, saved in a real Prefect server, carries the S3 credentials: the
SeaweedFS server checks every signature, so a listed bucket proves the block's keys were the ones used; a block
with a wrong secret is refused by the server; the keys never appear in the settings."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from csa_report import credentials
from csa_report.local.seaweed import S3Endpoint
from csa_report.settings import Settings
from csa_report.storage.client import make_client
from csa_report.tasks.credentials import PrefectBlocks
from tests.support.services import PrefectServer
from tests.support.storage import STAGING


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    monkeypatch.setattr(credentials, "_store", PrefectBlocks())
    yield


def _save_block(access_key: str, secret_key: str) -> str:
    from prefect_aws import AwsCredentials

    name = f"csa-aws-{uuid.uuid4().hex[:8]}"
    AwsCredentials(
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,  # type: ignore[arg-type]
        region_name="us-east-1",
    ).save(name, _sync=True)
    return name


def test_the_block_s_keys_sign_the_requests(prefect_server: PrefectServer, seaweed: S3Endpoint) -> None:
    name = _save_block(seaweed.access_key, seaweed.secret_key)
    settings = Settings(s3_endpoint=seaweed.url, aws_credentials_block=name)
    assert settings.s3_access_key is None and settings.s3_secret_key is None
    buckets = {b["Name"] for b in make_client(settings.s3, max_attempts=1).list_buckets()["Buckets"]}
    assert STAGING in buckets


def test_a_block_with_a_wrong_secret_is_refused_by_the_server(
    prefect_server: PrefectServer, seaweed: S3Endpoint
) -> None:
    name = _save_block(seaweed.access_key, "not-the-secret")
    with pytest.raises(ClientError) as err:
        make_client(Settings(s3_endpoint=seaweed.url, aws_credentials_block=name).s3, max_attempts=1).list_buckets()
    assert err.value.response["Error"]["Code"] == "SignatureDoesNotMatch"

"""Where the S3 client's credentials come from, against a real SeaweedFS that checks signatures: explicit
settings, a Prefect AwsCredentials block (through prefect-aws's interface), or boto3's standard chain
(environment variables, a shared credentials profile). A wrong source is refused by the server, so each
passing call proves the credentials were the ones expected."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import boto3
import pytest

from csa_report.errors import ConfigError
from csa_report.local.seaweed import S3Endpoint
from csa_report.settings import Settings
from csa_report.storage.client import make_client
from tests.support.storage import STAGING

_CHAIN_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


@pytest.fixture(autouse=True)
def _clean_chain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in _CHAIN_VARS:
        monkeypatch.delenv(name, raising=False)
    # No credentials from the machine's own ~/.aws either.
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # boto3 keeps one default session per process, built from the environment it first saw.
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)


def _buckets(settings: Settings) -> set[str]:
    return {b["Name"] for b in make_client(settings, max_attempts=1).list_buckets()["Buckets"]}


@pytest.fixture(autouse=True)
def _prefect_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the CLI and the flow install at start: the library reads named blocks through the task layer."""
    from csa_report import credentials
    from csa_report.tasks.credentials import PrefectBlocks

    monkeypatch.setattr(credentials, "_store", PrefectBlocks())


def _stub_prefect_aws(monkeypatch: pytest.MonkeyPatch, endpoint: S3Endpoint, loaded: list[str]) -> None:
    """prefect-aws's documented interface: ``AwsCredentials.load(name)`` → block; ``get_boto3_session()``."""

    class AwsCredentials:
        def __init__(self, name: str) -> None:
            self.name = name

        @classmethod
        def load(cls, name: str, **_kw: Any) -> AwsCredentials:
            if name != "csa-aws":
                raise ValueError(f"Unable to find block document named {name}")
            loaded.append(name)
            return cls(name)

        def get_boto3_session(self) -> boto3.session.Session:
            return boto3.session.Session(
                aws_access_key_id=endpoint.access_key,
                aws_secret_access_key=endpoint.secret_key,
                region_name="us-east-1",
            )

    module = types.ModuleType("prefect_aws")
    module.AwsCredentials = AwsCredentials  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "prefect_aws", module)


def test_explicit_keys(seaweed: S3Endpoint) -> None:
    assert STAGING in _buckets(Settings(**seaweed.settings_overrides()))


def test_standard_chain_environment(seaweed: S3Endpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweed.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweed.secret_key)
    assert STAGING in _buckets(Settings(s3_endpoint=seaweed.url))


def test_standard_chain_profile(seaweed: S3Endpoint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    creds = tmp_path / "credentials"
    creds.write_text(
        f"[csa]\naws_access_key_id = {seaweed.access_key}\naws_secret_access_key = {seaweed.secret_key}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.setenv("AWS_PROFILE", "csa")
    assert STAGING in _buckets(Settings(s3_endpoint=seaweed.url))


def test_wrong_chain_credentials_are_refused(seaweed: S3Endpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweed.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as err:
        _buckets(Settings(s3_endpoint=seaweed.url))
    assert err.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_prefect_aws_credentials_block(seaweed: S3Endpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []
    _stub_prefect_aws(monkeypatch, seaweed, loaded)
    assert STAGING in _buckets(Settings(s3_endpoint=seaweed.url, aws_credentials_block="csa-aws"))
    assert loaded == ["csa-aws"]


def test_explicit_keys_win_over_the_block(seaweed: S3Endpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []
    _stub_prefect_aws(monkeypatch, seaweed, loaded)
    assert STAGING in _buckets(Settings(**seaweed.settings_overrides(), aws_credentials_block="csa-aws"))
    assert loaded == []


def test_missing_block_is_a_config_error(seaweed: S3Endpoint, monkeypatch: pytest.MonkeyPatch) -> None:
    _stub_prefect_aws(monkeypatch, seaweed, [])
    with pytest.raises(ConfigError, match="CSA_AWS_CREDENTIALS_BLOCK names the AwsCredentials block 'nope'"):
        make_client(Settings(s3_endpoint=seaweed.url, aws_credentials_block="nope"))


def test_block_without_prefect_aws_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "prefect_aws", None)  # import fails as if it were not installed
    with pytest.raises(ConfigError, match=r"prefect-aws is not installed: pip install 'csa-report\[aws\]'"):
        make_client(Settings(s3_endpoint="http://127.0.0.1:9", aws_credentials_block="csa-aws"))


def test_a_named_block_without_a_block_store_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The library alone (no CLI, no flow) cannot read Prefect blocks: it says so instead of falling back."""
    from csa_report import credentials

    monkeypatch.setattr(credentials, "_store", None)
    with pytest.raises(ConfigError, match="names the block 'csa-aws', but no Prefect block store is installed"):
        make_client(Settings(s3_endpoint="http://127.0.0.1:9", aws_credentials_block="csa-aws"))
    with pytest.raises(ConfigError, match="CSA_SMTP_PASSWORD_BLOCK names the block 'smtp'"):
        credentials.smtp_password(Settings(smtp_password_block="smtp"))

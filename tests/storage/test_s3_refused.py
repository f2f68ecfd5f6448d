"""An S3 403 is a refusal, not an outage: exit 7, one request (no botocore or task retries), and a message that
names the bucket, the key prefix and the setting to check. Against the session's real SeaweedFS."""

from __future__ import annotations

from typing import Any

import pytest

from csa_report.errors import RefusedError, UnreachableError
from csa_report.settings import Settings
from csa_report.storage import S3Store, StorageRefused
from csa_report.tasks.retry import transient_only


class _Failed:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def result(self) -> Any:
        raise self.exc


def _count_requests(store: S3Store) -> list[str]:
    sent: list[str] = []
    store.client.meta.events.register("before-send.s3", lambda request, **_: sent.append(request.method))
    return sent


def test_wrong_secret_is_refused_once_with_exit_7(settings: Settings) -> None:
    wrong = Settings(**{**settings.model_dump(), "s3_secret_key": "not-the-secret"})
    store = S3Store.from_settings(wrong.s3)
    sent = _count_requests(store)
    key = f"{settings.staging_prefix}/example/2025/report.pdf"
    with pytest.raises(StorageRefused) as info:
        store.put_create_only(settings.staging_bucket, key, b"%PDF-1.7 x", "application/pdf")
    err = info.value
    assert isinstance(err, RefusedError) and not isinstance(err, UnreachableError)
    assert err.exit_code == 7
    assert sent == ["PUT"]  # botocore's standard mode does not retry a 403 either
    text = str(err)
    assert f"s3://{settings.staging_bucket}/{settings.staging_prefix}/example/2025/ " in text
    assert "(SignatureDoesNotMatch)" in text
    assert "CSA_S3_SECRET_KEY" in text
    assert "not-the-secret" not in text  # no secret in the message


def test_access_denied_names_the_bucket_policy(settings: Settings) -> None:
    # An identity SeaweedFS does not know is refused as AccessDenied / InvalidAccessKeyId; either way 403.
    stranger = Settings(**{**settings.model_dump(), "s3_access_key": "nobody", "s3_secret_key": "nothing"})
    store = S3Store.from_settings(stranger.s3)
    with pytest.raises(StorageRefused) as info:
        store.head(settings.archive_bucket, f"{settings.archive_prefix}/x/manifest.json")
    assert f"s3://{settings.archive_bucket}/{settings.archive_prefix}/x/ " in str(info.value)
    assert "HeadObject" in str(info.value)


def test_the_retry_schedule_does_not_retry_a_refusal() -> None:
    assert transient_only(None, None, _Failed(StorageRefused("refused"))) is False
    assert transient_only(None, None, _Failed(UnreachableError("down"))) is True

"""The boto3 S3 client from Settings, and the translation of S3 failures into csa-report errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import boto3
from botocore.client import Config
from botocore.exceptions import ClientError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError

from csa_report.credentials import aws_session
from csa_report.errors import ConfigError, RefusedError, ToolError, UnreachableError
from csa_report.settings import S3Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

#: Retries (not total tries) of botocore's standard mode, unless Settings names ``s3_max_attempts``.
DEFAULT_MAX_ATTEMPTS = 4

#: Error codes that mean "the service is in trouble", not "the request is wrong".
_UNAVAILABLE = {
    "SlowDown",
    "ServiceUnavailable",
    "InternalError",
    "RequestTimeout",
    "Throttling",
    "503",
    "500",
}
#: Error codes that mean the keys themselves are wrong, as opposed to keys the bucket policy does not let in.
_CREDENTIALS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}


class StorageRefused(RefusedError):
    """The S3 server refused the request (HTTP 403, AccessDenied, wrong keys): permanent, so the retry schedule
    does not retry it (it is no UnreachableError) and it exits 7. Names the bucket, the key prefix and the
    setting to check."""


def refusal(operation: str, bucket: str, key: str | None, endpoint: str, code: str) -> StorageRefused:
    """The refusal of ``operation`` on ``bucket``/``key``: which place, and which setting to check."""
    prefix = key.rsplit("/", 1)[0] + "/" if key and "/" in key else ""
    place = f"s3://{bucket}/{prefix}"
    if code in _CREDENTIALS:
        check = (
            "check the S3 keys: s3_access_key / s3_secret_key (CSA_S3_ACCESS_KEY, CSA_S3_SECRET_KEY) or the "
            "Prefect block named by aws_credentials_block"
        )
    else:
        check = (
            f"check that the S3 identity (s3_access_key, CSA_S3_ACCESS_KEY, or the role) may {operation} in "
            f"{place} under the bucket policy, and the bucket and prefix settings (CSA_STAGING_BUCKET, "
            "CSA_ARCHIVE_BUCKET, CSA_PUBLICATION_BUCKET and their _PREFIX)"
        )
    return StorageRefused(
        f"S3 {operation} on {place} at {endpoint} was refused ({code or 'HTTP 403'}); not retried: {check}"
    )


def make_client(settings: S3Settings, *, max_attempts: int | None = None, endpoint_url: str | None = None) -> S3Client:
    """A path-style S3 client with botocore standard retries and SHA-256 friendly checksum behaviour."""
    attempts = max_attempts
    if attempts is None:
        attempts = int(getattr(settings, "s3_max_attempts", DEFAULT_MAX_ATTEMPTS))
    access = settings.s3_access_key.get_secret_value() if settings.s3_access_key else None
    secret = settings.s3_secret_key.get_secret_value() if settings.s3_secret_key else None
    # Without explicit keys: a Prefect AwsCredentials block if one is named, else boto3's standard chain
    # (environment, profile, web identity/IRSA, ECS task role, instance role).
    session = aws_session(settings)
    return (session.client if session is not None else boto3.client)(
        "s3",
        endpoint_url=endpoint_url or settings.s3_endpoint,
        region_name=settings.s3_region,
        aws_access_key_id=access,
        aws_secret_access_key=secret,
        config=Config(
            signature_version="s3v4",
            # Path-style for S3-compatible servers (SeaweedFS, MinIO); AWS itself prefers virtual-hosted style.
            s3={"addressing_style": "path" if (endpoint_url or settings.s3_endpoint) else "virtual"},
            retries={"mode": "standard", "max_attempts": attempts},
            connect_timeout=5,
            read_timeout=60,
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def endpoint_of(client: S3Client) -> str:
    return str(client.meta.endpoint_url)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def http_status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def is_precondition_failed(exc: ClientError) -> bool:
    return http_status(exc) == 412 or error_code(exc) == "PreconditionFailed"


def is_not_found(exc: ClientError) -> bool:
    return http_status(exc) == 404 or error_code(exc) in {"NoSuchKey", "NoSuchVersion", "404", "NotFound"}


@contextmanager
def s3_errors(client: S3Client, operation: str, bucket: str, key: str | None = None) -> Iterator[None]:
    """Turn what botocore raises after its retries into one clear csa-report error (no secrets, no content).

    ClientErrors the caller handles itself (412, 404) must be caught inside the ``with`` block."""
    where = f"S3 {operation} on s3://{bucket}/{key or ''} at {endpoint_of(client)}"
    try:
        yield
    except ClientError as exc:
        code, status = error_code(exc), http_status(exc)
        if status >= 500 or code in _UNAVAILABLE:
            raise UnreachableError(f"{where} failed after retries: {code or 'error'} (HTTP {status})") from None
        if code == "NoSuchBucket":
            raise ConfigError(f"{where}: bucket {bucket!r} does not exist") from None
        if status == 403 or code in _CREDENTIALS or code in {"AccessDenied", "403"}:
            raise refusal(operation, bucket, key, endpoint_of(client), code) from None
        raise ToolError(f"{where} failed: {code or 'error'} (HTTP {status})") from None
    except (BotoConnectionError, HTTPClientError) as exc:
        raise UnreachableError(f"{where}: S3 unreachable after retries ({type(exc).__name__})") from None
    except NoCredentialsError:
        raise ConfigError(
            f"{where}: no S3 credentials: set s3_access_key and s3_secret_key (CSA_S3_ACCESS_KEY, "
            "CSA_S3_SECRET_KEY) or an AWS profile or role"
        ) from None

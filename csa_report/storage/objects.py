"""Create-only, checksum-carrying S3 objects (docs/storage.md): the one way csa-report writes to S3."""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from csa_report.errors import IntegrityViolation, StorageConflict, TamperedError, ToolError
from csa_report.settings import S3Settings
from csa_report.storage.client import (
    endpoint_of,
    error_code,
    is_not_found,
    is_precondition_failed,
    make_client,
    s3_errors,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

_CREATE_ATTEMPTS = 3


@dataclass(frozen=True)
class StoredObject:
    """One version of one S3 object, identified by bucket, key and version id, with its full SHA-256."""

    bucket: str
    key: str
    version_id: str | None
    sha256_hex: str
    size: int
    etag: str
    content_type: str | None = None
    lock_mode: str | None = None
    retain_until: datetime | None = None  # naive UTC

    @property
    def name(self) -> str:
        """The last path segment (``report.pdf``)."""
        return self.key.rsplit("/", 1)[-1]

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def sha256_b64_to_hex(value: str) -> str:
    return base64.b64decode(value).hex()


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


class S3Store:
    """S3 operations with csa-report's guarantees: create-only writes, SHA-256 on every object, reads by
    version id, errors translated (unreachable → exit 3; different bytes → exit 5)."""

    def __init__(self, client: S3Client, *, sse: str | None = None) -> None:
        self.client = client
        self.sse = sse

    @classmethod
    def from_settings(cls, settings: S3Settings, *, max_attempts: int | None = None) -> S3Store:
        return cls(make_client(settings, max_attempts=max_attempts), sse=settings.sse)

    @property
    def endpoint(self) -> str:
        return endpoint_of(self.client)

    # -- reads ---------------------------------------------------------------------------------------------

    def head(self, bucket: str, key: str, version_id: str | None = None) -> StoredObject | None:
        """The object (a version of it) with its SHA-256, or None if there is none. A stored object without a
        recorded SHA-256 is read once and hashed."""
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key, "ChecksumMode": "ENABLED"}
        if version_id:
            kwargs["VersionId"] = version_id
        with s3_errors(self.client, "HeadObject", bucket, key):
            try:
                head = self.client.head_object(**kwargs)
            except ClientError as exc:
                if is_not_found(exc) or error_code(exc) == "405":  # 405: the version is a delete marker
                    return None
                raise
        checksum = head.get("ChecksumSHA256")
        if checksum and "-" not in checksum:
            sha = sha256_b64_to_hex(checksum)
        else:
            sha = hashlib.sha256(self.read(bucket, key, head.get("VersionId") or version_id)).hexdigest()
        return StoredObject(
            bucket=bucket,
            key=key,
            version_id=head.get("VersionId") or version_id,
            sha256_hex=sha,
            size=int(head.get("ContentLength", 0)),
            etag=str(head.get("ETag", "")).strip('"'),
            content_type=head.get("ContentType"),
            lock_mode=head.get("ObjectLockMode"),
            retain_until=_naive_utc(head.get("ObjectLockRetainUntilDate")),
        )

    def read(self, bucket: str, key: str, version_id: str | None) -> bytes:
        """The bytes of one version (the latest if ``version_id`` is None)."""
        kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
        if version_id:
            kwargs["VersionId"] = version_id
        with s3_errors(self.client, "GetObject", bucket, key):
            try:
                resp = self.client.get_object(**kwargs)
            except ClientError as exc:
                if is_not_found(exc):
                    raise TamperedError(
                        f"s3://{bucket}/{key} version {version_id or 'latest'} is gone from {self.endpoint}"
                    ) from None
                raise
            return resp["Body"].read()

    def read_verified(self, obj: StoredObject) -> bytes:
        """The bytes of ``obj``'s version, checked against its SHA-256; a difference is a TamperedError that
        names the key (never the content)."""
        data = self.read(obj.bucket, obj.key, obj.version_id)
        actual = hashlib.sha256(data).hexdigest()
        if actual != obj.sha256_hex:
            raise TamperedError(
                f"{obj.uri} (version {obj.version_id}) no longer matches its recorded SHA-256 "
                f"{obj.sha256_hex[:16]}…: it was changed after staging"
            )
        log.info("s3 verified %s version=%s sha256=%s", obj.uri, obj.version_id, actual)
        return data

    # -- the one write -------------------------------------------------------------------------------------

    def put_create_only(self, bucket: str, key: str, data: bytes, content_type: str) -> StoredObject:
        """Store ``data`` at ``key`` unless the key exists. Existing identical bytes are success (idempotent
        retry, lost acknowledgement); existing different bytes raise StorageConflict. The stored SHA-256 is
        compared with our own hash after the upload."""
        digest = hashlib.sha256(data).digest()
        sha_hex = digest.hex()
        sha_b64 = base64.b64encode(digest).decode("ascii")
        kwargs: dict[str, Any] = {
            "Bucket": bucket,
            "Key": key,
            "Body": data,
            "ContentType": content_type,
            "IfNoneMatch": "*",
            "ChecksumAlgorithm": "SHA256",
            "ChecksumSHA256": sha_b64,
        }
        if self.sse:
            kwargs["ServerSideEncryption"] = self.sse
        for _attempt in range(_CREATE_ATTEMPTS):
            with s3_errors(self.client, "PutObject", bucket, key):
                try:
                    resp = self.client.put_object(**kwargs)
                except ClientError as exc:
                    if not (is_precondition_failed(exc) or error_code(exc) == "ConditionalRequestConflict"):
                        raise
                    existing = self.head(bucket, key)
                    if existing is None:
                        continue  # deleted (or still being written) in between: try again
                    if existing.sha256_hex != sha_hex:
                        raise StorageConflict(
                            f"s3://{bucket}/{key} already exists with different bytes (SHA-256 "
                            f"{existing.sha256_hex[:16]}…, ours {sha_hex[:16]}…); nothing was overwritten"
                        ) from None
                    log.info(
                        "s3 put skipped, same bytes already stored: s3://%s/%s version=%s sha256=%s",
                        bucket,
                        key,
                        existing.version_id,
                        sha_hex,
                    )
                    return existing
            stored = self.head(bucket, key, resp.get("VersionId"))
            if stored is None or stored.sha256_hex != sha_hex:
                raise IntegrityViolation(
                    f"s3://{bucket}/{key}: the stored checksum does not match the uploaded bytes (ours {sha_hex[:16]}…)"
                )
            log.info(
                "s3 put s3://%s/%s version=%s sha256=%s size=%d etag=%s",
                bucket,
                key,
                stored.version_id,
                sha_hex,
                stored.size,
                stored.etag,
            )
            return stored
        raise ToolError(f"s3://{bucket}/{key}: create-only write kept conflicting with concurrent writers")

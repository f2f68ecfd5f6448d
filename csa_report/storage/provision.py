"""``csa-report storage init``: create the staging and archive buckets (and the optional publication bucket) on
any S3-compatible store, apply what the store supports, then read every setting back and report what it did
not accept.

Each feature is applied, then verified by reading it back: a store that answers 200 to a call it ignores (some
S3-compatible servers do) is reported as not accepting it. Object Lock on the archive is the one feature
without which csa-report cannot work (the archive is its WORM copy); its absence is an error (exit 2).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from botocore.exceptions import BotoCoreError, ClientError

from csa_report.errors import ConfigError, UnreachableError
from csa_report.settings import S3Settings
from csa_report.storage.client import error_code, http_status

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

Status = Literal["ok", "not accepted", "skipped"]
Role = Literal["staging", "archive", "publication"]

#: Actions no one may take on the archive, whoever they are: the WORM copy is kept by Object Lock, and this
#: policy says the same in IAM terms (and protects where a store's Object Lock is weaker than AWS's).
ARCHIVE_DENIED_ACTIONS: Final = (
    "s3:DeleteObjectVersion",
    "s3:BypassGovernanceRetention",
    "s3:PutBucketObjectLockConfiguration",
)


@dataclass(frozen=True)
class Outcome:
    """One feature of one bucket: whether the store has it now."""

    bucket: str
    role: Role
    feature: str
    status: Status
    detail: str = ""


@dataclass(frozen=True)
class BucketPlan:
    name: str
    role: Role
    lock_days: int | None = None
    expire_days: int | None = None


def plan(settings: S3Settings) -> list[BucketPlan]:
    """The buckets the settings name: staging (with lifecycle), archive (Object Lock), publication (optional).
    One bucket may serve two roles (e.g. publication under a prefix of the staging bucket): it is set up once,
    with the strictest role's features."""
    plans = [
        BucketPlan(settings.staging_bucket, "staging", expire_days=settings.staging_expire_days),
        BucketPlan(settings.archive_bucket, "archive", lock_days=settings.object_lock_days),
    ]
    if settings.publication_bucket and settings.publication_bucket not in {p.name for p in plans}:
        plans.append(BucketPlan(settings.publication_bucket, "publication"))
    if settings.staging_bucket == settings.archive_bucket:
        raise ConfigError(
            f"staging_bucket and archive_bucket are both {settings.staging_bucket!r}: the archive needs its own "
            "Object-Lock bucket (Object Lock applies to a whole bucket, and staged copies must stay deletable)"
        )
    return plans


def provision(client: S3Client, settings: S3Settings, *, tls: bool) -> list[Outcome]:
    """Create and configure every planned bucket; the outcome of each feature, in a fixed order.

    ``tls``: whether the endpoint is HTTPS. A TLS-only bucket policy on a plain-HTTP endpoint would lock
    csa-report itself out, so it is skipped there (and reported as skipped)."""
    out: list[Outcome] = []
    existing = _existing_buckets(client)
    for p in plan(settings):
        out += _bucket(client, settings, p, existing, tls=tls)
    return out


def missing_object_lock(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.role == "archive" and o.feature == "object lock" and o.status != "ok"]


# -- one bucket -------------------------------------------------------------------------------------------------


def _bucket(client: S3Client, settings: S3Settings, p: BucketPlan, existing: set[str], *, tls: bool) -> list[Outcome]:
    out: list[Outcome] = []

    def record(feature: str, status: Status, detail: str = "") -> None:
        out.append(Outcome(p.name, p.role, feature, status, detail))
        log.info("storage init: %s %s: %s %s", p.name, feature, status, detail)

    if p.name in existing:
        record("bucket", "ok", "already exists")
    else:
        kwargs: dict[str, Any] = {"Bucket": p.name}
        if p.lock_days:
            kwargs["ObjectLockEnabledForBucket"] = True
        if settings.s3_region != "us-east-1" and not settings.s3_endpoint:
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": settings.s3_region}
        _call(lambda: client.create_bucket(**kwargs), f"CreateBucket {p.name}")
        record("bucket", "ok", "created")

    _feature(
        record,
        "versioning",
        lambda: client.put_bucket_versioning(Bucket=p.name, VersioningConfiguration={"Status": "Enabled"}),
        lambda: client.get_bucket_versioning(Bucket=p.name).get("Status") == "Enabled",
    )

    if p.lock_days:
        days = p.lock_days

        def lock_ok() -> bool:
            conf = client.get_object_lock_configuration(Bucket=p.name).get("ObjectLockConfiguration", {})
            rule = conf.get("Rule", {}).get("DefaultRetention", {})
            return (
                conf.get("ObjectLockEnabled") == "Enabled"
                and rule.get("Mode") == "COMPLIANCE"
                and rule.get("Days") == days
            )

        _feature(
            record,
            "object lock",
            lambda: client.put_object_lock_configuration(
                Bucket=p.name,
                ObjectLockConfiguration={
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": days}},
                },
            ),
            lock_ok,
            ok_detail=f"COMPLIANCE, {days} days by default",
        )

    sse_rule: dict[str, Any] = {"SSEAlgorithm": "AES256"}
    if settings.kms_key_id:
        sse_rule = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": settings.kms_key_id}
    algorithm = sse_rule["SSEAlgorithm"]
    encryption: Any = {"Rules": [{"ApplyServerSideEncryptionByDefault": sse_rule, "BucketKeyEnabled": True}]}
    _feature(
        record,
        "default encryption",
        lambda: client.put_bucket_encryption(Bucket=p.name, ServerSideEncryptionConfiguration=encryption),
        lambda: any(
            r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") == algorithm
            for r in client.get_bucket_encryption(Bucket=p.name)
            .get("ServerSideEncryptionConfiguration", {})
            .get("Rules", [])
        ),
        ok_detail=algorithm,
    )

    if p.role != "publication":
        block: Any = {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }
        _feature(
            record,
            "public access block",
            lambda: client.put_public_access_block(Bucket=p.name, PublicAccessBlockConfiguration=block),
            lambda: all(
                client.get_public_access_block(Bucket=p.name).get("PublicAccessBlockConfiguration", {}).get(k)
                for k in block
            ),
        )

    policy = bucket_policy(p, tls=tls)
    if policy is None:
        record("bucket policy", "skipped", "nothing to enforce on a plain-HTTP endpoint for this bucket")
    else:
        text = json.dumps(policy, sort_keys=True)
        _feature(
            record,
            "bucket policy",
            lambda: client.put_bucket_policy(Bucket=p.name, Policy=text),
            lambda: _same_policy(client.get_bucket_policy(Bucket=p.name).get("Policy", ""), policy),
            ok_detail=", ".join(s["Sid"] for s in policy["Statement"]),
        )
    if not tls:
        record("TLS-only access", "skipped", "the endpoint is plain HTTP; use an https:// endpoint in production")

    if p.expire_days:
        rules = lifecycle_rules(settings.staging_prefix, p.expire_days)
        _feature(
            record,
            "lifecycle",
            lambda: client.put_bucket_lifecycle_configuration(Bucket=p.name, LifecycleConfiguration={"Rules": rules}),  # type: ignore[typeddict-item]
            lambda: (
                {r.get("ID") for r in client.get_bucket_lifecycle_configuration(Bucket=p.name).get("Rules", [])}
                >= {r["ID"] for r in rules}
            ),
            ok_detail=f"staged copies expire after {p.expire_days} days",
        )
    return out


def bucket_policy(p: BucketPlan, *, tls: bool) -> dict[str, Any] | None:
    """The bucket's policy: TLS-only access (when the endpoint is HTTPS) and, on the archive, no deletion of a
    version by anyone."""
    arn = f"arn:aws:s3:::{p.name}"
    statements: list[dict[str, Any]] = []
    if tls:
        statements.append(
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
    if p.role == "archive":
        statements.append(
            {
                "Sid": "DenyArchiveDeletion",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(ARCHIVE_DENIED_ACTIONS),
                "Resource": [arn, f"{arn}/*"],
            }
        )
    if not statements:
        return None
    return {"Version": "2012-10-17", "Statement": statements}


def lifecycle_rules(prefix: str, days: int) -> list[dict[str, Any]]:
    """Staged copies are review copies, not records: they expire, older versions too, and abandoned uploads
    are cleaned up."""
    head = prefix.strip("/")
    return [
        {
            "ID": "csa-expire-staged-copies",
            "Status": "Enabled",
            "Filter": {"Prefix": f"{head}/" if head else ""},
            "Expiration": {"Days": days},
            "NoncurrentVersionExpiration": {"NoncurrentDays": days},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        }
    ]


# -- helpers ----------------------------------------------------------------------------------------------------


def _existing_buckets(client: S3Client) -> set[str]:
    resp = _call(client.list_buckets, "ListBuckets")
    return {b["Name"] for b in resp.get("Buckets", []) if "Name" in b}


def _call(fn: Callable[[], Any], what: str) -> Any:
    """A call that must succeed: unreachable → exit 3, refused → exit 2 with the store's error code."""
    try:
        return fn()
    except ClientError as exc:
        code, status = error_code(exc), http_status(exc)
        if status >= 500 and code not in {"NotImplemented"}:
            raise UnreachableError(f"S3 {what} failed after retries: {code} (HTTP {status})") from None
        raise ConfigError(f"S3 {what} was refused: {code or 'error'} (HTTP {status})") from None
    except BotoCoreError as exc:
        raise UnreachableError(f"S3 {what}: the store is unreachable ({type(exc).__name__})") from None


def _feature(
    record: Callable[[str, Status, str], None],
    feature: str,
    apply: Callable[[], Any],
    verify: Callable[[], bool],
    *,
    ok_detail: str = "",
) -> None:
    """Apply, then read back. A refusal, an error or a read-back that disagrees is "not accepted". A feature
    already in place is left alone: re-applying it may be refused (the archive's policy denies changing its
    Object Lock configuration) and changes nothing."""
    try:
        already = verify()
    except ClientError:
        already = False
    if already:
        record(feature, "ok", f"{ok_detail}{'; ' if ok_detail else ''}already set")
        return
    try:
        apply()
    except ClientError as exc:
        record(feature, "not accepted", f"{error_code(exc) or 'error'} (HTTP {http_status(exc)})")
        return
    except BotoCoreError as exc:
        raise UnreachableError(f"S3 {feature}: the store is unreachable ({type(exc).__name__})") from None
    try:
        ok = verify()
    except ClientError as exc:
        record(feature, "not accepted", f"accepted the call, but reading it back gave {error_code(exc) or 'error'}")
        return
    if ok:
        record(feature, "ok", ok_detail)
    else:
        record(feature, "not accepted", "accepted the call, but reading it back shows it was not applied")


def _same_policy(text: str, expected: dict[str, Any]) -> bool:
    try:
        stored = json.loads(text)
    except ValueError:
        return False
    sids = {s.get("Sid") for s in stored.get("Statement", [])}
    return sids >= {s["Sid"] for s in expected["Statement"]}

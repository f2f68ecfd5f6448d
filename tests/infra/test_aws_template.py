"""The AWS template (infra/aws/csa-report-storage.yaml) agrees with the code: the worker role may do exactly the
S3 actions csa-report's boto3 calls need, never a delete; the reviewer reads staging only; the archive is
under COMPLIANCE Object Lock with the settings' default retention; every checkov waiver says why.

cfn-lint and checkov themselves run from `make infra-check` (part of `make test`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from csa_report.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "aws" / "csa-report-storage.yaml"
#: Code that runs in the worker and talks to S3. Excluded on purpose: csa_report/storage/provision.py
#: (`storage init`, run once by an administrator with its own rights) and csa_report/local/seaweed.py (local
#: test server set-up).
WORKER_CODE = [
    *sorted((ROOT / "csa_report").rglob("*.py")),
    *sorted((ROOT / "tasks").rglob("*.py")),
    *sorted((ROOT / "flows").rglob("*.py")),
]
NOT_WORKER = {"provision.py", "seaweed.py", "docs_reference.py"}

#: boto3 S3 client method → the IAM actions it needs. HeadObject is authorised as GetObject; reading by
#: VersionId needs GetObjectVersion; HEAD of a missing key answers 404 (rather than 403) only with ListBucket.
#: A presigned GET is signed with the worker's credentials, so the worker needs what the link does.
OPERATION_ACTIONS: dict[str, set[str]] = {
    "put_object": {"s3:PutObject"},
    "get_object": {"s3:GetObject", "s3:GetObjectVersion"},
    "head_object": {"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"},
    "generate_presigned_url:get_object": {"s3:GetObject", "s3:GetObjectVersion"},
}
_CALL = re.compile(r"\bclient\.([a-z_]+)\(\s*(?:\"([a-z_]+)\")?")


def _s3_methods() -> set[str]:
    """Every method of a boto3 S3 client that makes a request (other objects named ``client`` are ignored)."""
    import boto3

    client = boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return set(client.meta.method_to_api_mapping) | {"generate_presigned_url"}


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !Sub, …) as {"Tag": value}."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {suffix: value}


_CfnLoader.add_multi_constructor("!", _tag)


def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_CfnLoader)


def code_s3_operations() -> set[str]:
    ops: set[str] = set()
    s3_methods = _s3_methods()
    for path in WORKER_CODE:
        if path.name in NOT_WORKER:
            continue
        for method, presigned in _CALL.findall(path.read_text(encoding="utf-8")):
            if method not in s3_methods:
                continue
            ops.add(f"{method}:{presigned}" if method == "generate_presigned_url" else method)
    return ops


def statements(role: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for policy in template()["Resources"][role]["Properties"]["Policies"]:
        if "If" in policy:  # the optional publication policy: {"If": [condition, policy, NoValue]}
            policy = policy["If"][1]
        out += policy["PolicyDocument"]["Statement"]
    return out


def actions(stmts: list[dict[str, Any]], prefix: str = "s3:") -> set[str]:
    found: set[str] = set()
    for s in stmts:
        assert s["Effect"] == "Allow"
        acts = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        found |= {a for a in acts if a.startswith(prefix)}
    return found


def test_code_calls_only_mapped_s3_operations() -> None:
    ops = code_s3_operations()
    # What the worker's code calls today; a new call must be added to OPERATION_ACTIONS and to the template.
    assert ops == {"put_object", "get_object", "head_object", "generate_presigned_url:get_object"}
    assert ops <= set(OPERATION_ACTIONS), f"S3 calls without an IAM mapping: {sorted(ops - set(OPERATION_ACTIONS))}"


def test_worker_s3_actions_are_what_the_code_needs() -> None:
    needed = set().union(*(OPERATION_ACTIONS[op] for op in code_s3_operations()))
    assert actions(statements("WorkerRole")) == needed
    assert needed == {"s3:PutObject", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"}


def test_worker_never_deletes_and_archives_create_only() -> None:
    stmts = statements("WorkerRole")
    every = {a for s in stmts for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert not {a for a in every if "Delete" in a or "*" in a or "Retention" in a or "LegalHold" in a}
    archive_puts = [s for s in stmts if "s3:PutObject" in str(s["Action"]) and "ArchiveBucket" in str(s["Resource"])]
    assert len(archive_puts) == 1
    assert archive_puts[0]["Condition"] == {"Null": {"s3:if-none-match": "false"}}
    assert archive_puts[0]["Action"] == "s3:PutObject"


def test_reviewer_reads_staging_only() -> None:
    stmts = statements("ReviewerRole")
    assert actions(stmts) == {"s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"}
    assert actions(stmts, "kms:") == {"kms:Decrypt"}
    for s in stmts:
        if str(s["Action"]).startswith("s3:") or (isinstance(s["Action"], list) and s["Action"][0].startswith("s3:")):
            assert "StagingBucket" in str(s["Resource"]) and "Archive" not in str(s["Resource"])


def test_archive_bucket_is_worm_with_the_settings_defaults() -> None:
    t = template()
    archive = t["Resources"]["ArchiveBucket"]["Properties"]
    assert archive["ObjectLockEnabled"] is True
    rule = archive["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert rule == {"Mode": "COMPLIANCE", "Days": {"Ref": "ObjectLockDays"}}
    defaults = Settings.model_fields
    assert t["Parameters"]["ObjectLockDays"]["Default"] == defaults["object_lock_days"].default == 3650
    assert t["Parameters"]["StagingExpireDays"]["Default"] == defaults["staging_expire_days"].default == 90
    assert t["Parameters"]["StagingPrefix"]["Default"] == defaults["staging_prefix"].default
    assert t["Parameters"]["ArchivePrefix"]["Default"] == defaults["archive_prefix"].default
    policy = t["Resources"]["ArchiveBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    denied = next(s for s in policy if s["Sid"] == "DenyArchiveDeletion")
    assert "s3:DeleteObjectVersion" in denied["Action"] and denied["Principal"] == "*"


def test_every_bucket_is_private_encrypted_tls_only() -> None:
    res = template()["Resources"]
    buckets = [n for n, r in res.items() if r["Type"] == "AWS::S3::Bucket"]
    assert sorted(buckets) == ["ArchiveBucket", "PublicationBucket", "StagingBucket"]
    for name in buckets:
        props = res[name]["Properties"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
        assert sse == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"GetAtt": "ReportKey.Arn"}}
        assert all(props["PublicAccessBlockConfiguration"].values())
        policy = res[f"{name}Policy"]["Properties"]["PolicyDocument"]["Statement"]
        tls = next(s for s in policy if s["Sid"] == "DenyInsecureTransport")
        assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    lifecycle = res["StagingBucket"]["Properties"]["LifecycleConfiguration"]["Rules"][0]
    assert lifecycle["ExpirationInDays"] == {"Ref": "StagingExpireDays"}
    assert res["ReportKey"]["Properties"]["EnableKeyRotation"] is True


def test_every_checkov_waiver_gives_its_reason() -> None:
    waivers = [
        (n, s)
        for n, r in template()["Resources"].items()
        for s in r.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert waivers, "the template documents its waivers"
    for name, skip in waivers:
        assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), (name, skip)
        assert len(skip.get("comment", "").split()) >= 8, f"{name}: waiver {skip['id']} has no real reason"

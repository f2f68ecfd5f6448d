"""The local SeaweedFS: ports, buckets with Object Lock, reuse of a data dir, a clean stop."""

from __future__ import annotations

import time
from pathlib import Path

from csa_report.local.seaweed import GRPC_OFFSET, SeaweedServer, free_port_pairs, group_alive, local_s3
from tests.support.storage import weed_processes


def test_free_port_pairs_leave_grpc_ports_free() -> None:
    ports = free_port_pairs(5)
    assert len(set(ports)) == 5
    assert not set(ports) & {p + GRPC_OFFSET for p in ports}
    assert all(p + GRPC_OFFSET <= 65535 for p in ports)


def test_local_s3_twice_on_the_same_data_dir(tmp_path: Path, seaweed: object) -> None:
    del seaweed  # only to fail early (or skip) when SeaweedFS is missing
    timings = []
    for attempt in range(2):
        started = time.monotonic()
        with local_s3(tmp_path, staging_bucket="stage", archive_bucket="archive", lock_days=2) as endpoint:
            timings.append(time.monotonic() - started)
            client = endpoint.client()
            assert {b["Name"] for b in client.list_buckets()["Buckets"]} == {"stage", "archive"}
            lock = client.get_object_lock_configuration(Bucket="archive")["ObjectLockConfiguration"]
            assert lock["Rule"]["DefaultRetention"] == {"Mode": "COMPLIANCE", "Days": 2}
            assert client.get_bucket_versioning(Bucket="stage")["Status"] == "Enabled"
            client.put_object(Bucket="stage", Key=f"k{attempt}", Body=b"x")
            assert len(client.list_objects_v2(Bucket="stage")["Contents"]) == attempt + 1  # data kept
    assert not weed_processes(tmp_path)
    assert max(timings) < 15


def test_stop_ends_the_whole_process_group(tmp_path: Path, seaweed: object) -> None:
    del seaweed
    server = SeaweedServer(tmp_path)
    server.start()
    pgid = server.pgid
    assert pgid is not None and group_alive(pgid)
    server.stop()
    server.stop()  # idempotent
    assert not group_alive(pgid) and not weed_processes(tmp_path)

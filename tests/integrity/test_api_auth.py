"""The Prefect API of `demo --wait` (and of the walkthrough) is closed to strangers: a resume without the auth
string is refused with 401; with it, the request reaches the API."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from csa_report.local.prefect_server import start_private_server


def post(url: str, body: dict[str, object], auth: str | None) -> int:
    req = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    if auth is not None:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def get(url: str, auth: str | None) -> int:
    req = urllib.request.Request(url)
    if auth is not None:
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@pytest.mark.timeout(300)
def test_resume_without_credentials_is_refused(tmp_path: Path) -> None:
    api, auth, stop = start_private_server(tmp_path / "prefect", timeout_s=240)
    try:
        resume = f"{api}/flow_runs/{uuid.uuid4()}/resume"
        answer = {"run_input": {"decision": "approve", "reviewer": "Dara Kelly", "manifest_sha256": "0" * 64}}
        assert post(resume, answer, None) == 401
        assert post(resume, answer, "csa:guessed") == 401
        assert post(resume, answer, auth) != 401  # past the lock (the made-up run itself is unknown)
        assert get(f"{api}/flow_runs/{uuid.uuid4()}", None) == 401
        assert get(f"{api}/flow_runs/{uuid.uuid4()}", auth) == 404
    finally:
        stop()


def test_the_ephemeral_database_is_readable_by_its_user_only(tmp_path: Path) -> None:
    # A PREFECT_HOME that others may list (0755), a database Prefect left 0644: both end 0600, data kept.
    import stat as _stat

    from csa_report.local.private_api import private_database

    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    (home / "prefect.db").write_bytes(b"SQLite format 3\x00")
    (home / "prefect.db").chmod(0o644)
    (home / "prefect.db-wal").write_bytes(b"")
    (home / "prefect.db-wal").chmod(0o644)
    assert private_database({"PREFECT_HOME": str(home)}) == home / "prefect.db"
    assert _stat.S_IMODE((home / "prefect.db").stat().st_mode) == 0o600
    assert _stat.S_IMODE((home / "prefect.db-wal").stat().st_mode) == 0o600
    assert (home / "prefect.db").read_bytes() == b"SQLite format 3\x00"
    fresh = tmp_path / "fresh"
    assert private_database({"PREFECT_HOME": str(fresh)}) == fresh / "prefect.db"
    assert _stat.S_IMODE((fresh / "prefect.db").stat().st_mode) == 0o600
    assert _stat.S_IMODE(fresh.stat().st_mode) == 0o700
    # A configured server or database is left alone.
    other = tmp_path / "other"
    assert private_database({"PREFECT_HOME": str(other), "PREFECT_API_URL": "http://127.0.0.1:4200/api"}) is None
    assert not other.exists()

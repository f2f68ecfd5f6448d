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

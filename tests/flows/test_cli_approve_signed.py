"""`csa-report approve RUN --key KEY` as an approver runs it in a script (stdin not a terminal), against a real
flow run waiting on the real Prefect server: it prints the report's key figures and the manifest's SHA-256,
signs nothing without `--sha256` (exit 2, naming the hash), and signs and approves with the hash as shown."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from csa_report.audit import AuditLog
from csa_report.period import Period, parse_as_of
from csa_report.pipeline import extract
from csa_report.seed import seed
from csa_report.summary import key_figures
from tests.flows import test_flow_integrity as integrity
from tests.flows.flow_helpers import FlowInBackground

#: The signed-sign-off fixtures of the flow tests: generated keys for every person, keyed example policies.
keys = integrity.keys
signed_env = integrity.signed_env

CLI = Path(sys.executable).with_name("csa-report")
AS_OF = "2026-01-15T00:00:00Z"


def approve(server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**server.env, "PREFECT_API_URL": server.api_url, "COLUMNS": "300"}
    return subprocess.run(
        [str(CLI), "approve", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_approve_shows_the_figures_and_hash_and_signs_only_with_the_hash(
    prefect_server, signed_env, keys, tmp_path, monkeypatch
):
    from csa_report.flows.annual_report import annual_report

    monkeypatch.setenv("CSA_SIGNOFF_POLL_S", "1")
    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, Period.parse("2025"), scale=200, seed=21)
    flow = FlowInBackground("annual_report", lambda: annual_report(period="2025", as_of=AS_OF, source_db=url))
    run_id, key = flow.wait_paused(timeout=180)
    manifest = next((tmp_path / "work").rglob("manifest.json")).read_bytes()
    sha = hashlib.sha256(manifest).hexdigest()
    figures = key_figures(extract(url, Period.parse("2025"), parse_as_of(AS_OF)))

    refused = approve(prefect_server, str(run_id), "--key", str(keys["Dara Kelly"].private))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    shown = refused.stdout.splitlines()
    assert shown[0] == f"flow run {run_name(prefect_server, run_id)} asks you to sign report {sha[:16]}:"
    assert shown[1 : 1 + len(figures)] == [f"  {label}: {value}" for label, value in figures]
    assert shown[1 + len(figures)] == f"manifest SHA-256 {sha}"
    assert f"to approve, pass --sha256 {sha} (the manifest shown above" in refused.stderr
    assert "nothing was signed" in refused.stderr and "Traceback" not in refused.stderr
    assert flow.wait_paused(timeout=5) == (run_id, key)  # nothing answered: the same request still waits

    spaced = f" {sha[:20].upper()} {sha[20:]} "
    done = approve(prefect_server, str(run_id), "--key", str(keys["Dara Kelly"].private), "--sha256", spaced)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"manifest SHA-256 {sha}" in done.stdout and "approve by the holder of" in done.stdout
    flow.result()
    audit = AuditLog.open(signed_env["CSA_AUDIT_DB"])
    [accepted] = [s for r in audit.status() for s in r.signoffs if not s.refused_reason]
    assert (accepted.reviewer, accepted.manifest_sha256, accepted.key_fingerprint) == (
        "Dara Kelly",
        sha,
        keys["Dara Kelly"].fingerprint,
    )


def run_name(server, run_id) -> str:
    with server.client() as api:
        return str(api.get(f"/flow_runs/{run_id}").json()["name"])

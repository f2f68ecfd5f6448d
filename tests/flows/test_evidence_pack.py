"""`csa-report evidence` on a real filing (the flow against a real Prefect server, SeaweedFS with Object Lock, a
real SMTP server, ssh-keygen and pyHanko): the pack holds what the audit DB and the archive recorded, and every
command of its README passes when run as written, from the pack's folder, with standard tools only."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from csa_report.audit import AuditLog
from csa_report.cli import main
from csa_report.filing.seal import make_test_certificate
from csa_report.period import Period, utc_now
from csa_report.seed import seed
from tests.flows.flow_helpers import AUTHORITY, COMMISSION
from tests.integrity.keys import Key, keyed_policies, make_key

PROVIDER = "Example Communications Ireland Ltd"
FENCE = re.compile(r"^```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)


@pytest.fixture
def dara(tmp_path: Path) -> Key:
    folder = tmp_path / "keys"
    folder.mkdir()
    return make_key(folder, "dara")


@pytest.fixture
def sealed_env(env, dara, tmp_path, monkeypatch) -> dict[str, str]:
    p12, ca_pem = make_test_certificate(tmp_path / "seal", common_name=PROVIDER, now=utc_now())
    (tmp_path / "seal-ca.pem").write_bytes(ca_pem)
    values = {
        "CSA_POLICIES": str(keyed_policies(tmp_path, {"Dara Kelly": dara})),
        "CSA_SEAL_PKCS12": str(p12),
        "CSA_SEAL_PKCS12_PASSWORD": "demo",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return {**env, **values, "SEAL_CA": str(tmp_path / "seal-ca.pem")}


def test_the_evidence_pack_of_a_signed_sealed_filing_verifies_with_its_own_commands(
    prefect_server, sealed_env, dara, seaweed, smtp, tmp_path
):
    from csa_report.flows.annual_report import annual_report

    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, Period.parse("2025"), scale=200, seed=11)
    annual_report(
        period="2025",
        as_of="2026-01-15T00:00:00Z",
        source_db=url,
        approve_as="Dara Kelly",
        approve_key=str(dara.private),
    )
    audit = AuditLog.open(sealed_env["CSA_AUDIT_DB"])
    [run] = audit.status(Period.parse("2025"))
    assert run.status == "submitted"
    report_id = run.report_id

    pack = tmp_path / "pack"
    assert main(["evidence", "--period", "2025", "--out", str(pack), "--audit-db", sealed_env["CSA_AUDIT_DB"]]) == 0

    data = json.loads((pack / "evidence.json").read_text())
    [filing] = data["filings"]
    assert (filing["seq"], filing["report_id"], filing["supersedes"], filing["reason"]) == (0, report_id, None, None)
    [entry] = data["runs"]
    assert entry["report_id"] == report_id and entry["outcome"] == "submitted"
    [approval] = entry["signoffs"]
    assert (approval["decision"], approval["reviewer"], approval["signed"]) == ("approve", "Dara Kelly", True)
    assert approval["key_fingerprint"] == dara.fingerprint
    assert sorted((d["recipient"], d["status"], d["attempts_this_run"]) for d in entry["deliveries"]) == sorted(
        [(AUTHORITY, "sent", 1), (COMMISSION, "sent", 1)]
    )
    [archived] = data["reports"]
    names = sorted(o["key"].rsplit("/", 1)[1] for o in archived["objects"])
    assert names == sorted(
        [
            "manifest.json",
            "manifest.json.sig",
            "report.csv",
            "report.html",
            "report.json",
            "report.md",
            "report.pdf",
            "report.sealed.pdf",
        ]
    )
    assert {o["lock_mode"] for o in archived["objects"]} == {"COMPLIANCE"}

    # Every command block of the README, as written, from the pack's folder: sha256sum, ssh-keygen, pyHanko.
    readme = (pack / "README.md").read_text()
    blocks = FENCE.findall(readme)
    assert len(blocks) == 3, readme  # files, approval signature, seal
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    for block in blocks:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block],
            cwd=pack,
            env={**os.environ, "PATH": path, "SEAL_CA": sealed_env["SEAL_CA"]},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, (block, result.stdout, result.stderr)

    # The checks can fail: a changed byte in the archived copy fails the first block.
    copy = tmp_path / "tampered"
    shutil.copytree(pack, copy)
    pdf = copy / "reports" / report_id / "report.csv"
    pdf.write_bytes(pdf.read_bytes() + b"\n")
    tampered = subprocess.run(["bash", "-c", blocks[0]], cwd=copy, capture_output=True, text=True)
    assert tampered.returncode == 1 and "report.csv: FAILED" in tampered.stdout

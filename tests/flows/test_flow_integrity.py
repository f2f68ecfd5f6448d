"""Filing integrity through the whole flow (real Prefect, SeaweedFS, SMTP, ssh-keygen, pyHanko): a signed and
sealed filing, the period guard, a correction, and a signed sign-off in the form with refusals."""

from __future__ import annotations

import email
import hashlib
import json
from email.header import decode_header, make_header
from email.message import Message
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from csa_report.audit import AuditLog
from csa_report.errors import InputError
from csa_report.filing.guard import AlreadyFiled, filings
from csa_report.filing.seal import make_test_certificate
from csa_report.filing.sshsig import REJECT_NAMESPACE, SIGNATURE_FILE, sign
from csa_report.period import Period, utc_now
from csa_report.seed import seed
from tests.flows.flow_helpers import AUTHORITY, COMMISSION, seeded_annual_report
from tests.integrity.keys import Key, keyed_policies, make_key, ssh_keygen_verify

PROVIDER = "Example Communications Ireland Ltd"
PERIOD = "2025-01-01/2025-12-31"


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Key]:
    folder = tmp_path / "keys"
    folder.mkdir()
    return {
        "Dara Kelly": make_key(folder, "dara"),
        "demo-reviewer": make_key(folder, "reviewer"),
        "Aoife Byrne": make_key(folder, "preparer"),
    }


@pytest.fixture
def signed_env(env, keys, tmp_path, monkeypatch) -> dict[str, str]:
    p12, ca_pem = make_test_certificate(tmp_path / "seal", common_name=PROVIDER, now=utc_now())
    values = {
        "CSA_POLICIES": str(keyed_policies(tmp_path, keys)),
        "CSA_SEAL_PKCS12": str(p12),
        "CSA_SEAL_PKCS12_PASSWORD": "demo",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    return {**env, **values, "ca_pem": ca_pem.decode()}


def attachment(msg: Message, name: str) -> bytes:
    for part in msg.walk():
        if part.get_filename() == name:
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            return data
    raise AssertionError(f"no attachment {name}")


def test_signed_sealed_filing_then_guard_then_correction(prefect_server, signed_env, keys, seaweed, smtp, tmp_path):
    from csa_report.flows.annual_report import annual_report

    handler = smtp
    before = len(handler.messages)
    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, Period.parse("2025"), scale=200, seed=11)
    dara = str(keys["Dara Kelly"].private)
    first = annual_report(
        period="2025", as_of="2026-01-15T00:00:00Z", source_db=url, approve_as="Dara Kelly", approve_key=dara
    )
    report_id = first.report_id
    manifest_bytes = first.rendered.paths["manifest.json"].read_bytes()
    manifest = json.loads(manifest_bytes)
    assert "SSH-signed" in manifest["inputs"]["signoff"]
    assert "PDF sealed: after approval" in manifest["inputs"]["signoff"]
    assert "correction" not in manifest
    # The annex tells a recipient how to check both signatures.
    md = first.rendered.paths["report.md"].read_text()
    html = first.rendered.paths["report.html"].read_text()
    assert "- How to verify: The approval is an SSH signature over manifest.json" in md
    assert "<dt>How to verify</dt><dd>The approval is an SSH signature over manifest.json" in html
    assert "ssh-keygen -Y verify -f allowed_signers -I NAME -n csa-report -s manifest.json.sig" in html
    assert "The PDF carries a PAdES signature (seal) of Example Communications Ireland Ltd" in html

    # The signature in the audit DB and in the archive verifies with OpenSSH alone.
    audit = AuditLog.open(signed_env["CSA_AUDIT_DB"])
    [approval] = [s for r in audit.status() for s in r.signoffs if s.report_id == report_id]
    assert (approval.reviewer, approval.key_fingerprint) == ("Dara Kelly", keys["Dara Kelly"].fingerprint)
    assert approval.signature is not None
    assert ssh_keygen_verify(tmp_path, manifest_bytes, approval.signature, "dara", keys["Dara Kelly"].public) == 0
    client = seaweed.client()
    archived = {o.name: o for o in first.submission.archived}
    assert set(archived) >= {"manifest.json", "report.pdf", "report.sealed.pdf"}
    prefix = signed_env["CSA_ARCHIVE_PREFIX"]
    sig_key = f"{prefix}/{archived['report.pdf'].key.split('/', 1)[1].rsplit('/', 1)[0]}/manifest.json.sig"
    stored_sig = client.get_object(Bucket=archived["report.pdf"].bucket, Key=sig_key)
    assert stored_sig["Body"].read().decode() == approval.signature
    assert stored_sig["ObjectLockMode"] == "COMPLIANCE"

    # The delivered PDF is sealed: it begins with the approved bytes and validates as PAdES against the CA.
    new = handler.messages[before:]
    assert sorted(r for m in new for r in m.recipients) == sorted([AUTHORITY, COMMISSION])
    approved_pdf = first.rendered.paths["report.pdf"].read_bytes()
    assert hashlib.sha256(approved_pdf).hexdigest() == manifest["artefacts"]["report.pdf"]["sha256"]
    delivered = attachment(email.message_from_bytes(new[0].data), "report.pdf")
    assert delivered[: len(approved_pdf)] == approved_pdf and len(delivered) > len(approved_pdf)
    [sig] = PdfFileReader(BytesIO(delivered)).embedded_signatures
    ca = tmp_path / "ca.pem"
    ca.write_text(signed_env["ca_pem"])
    status = validate_pdf_signature(
        sig, ValidationContext(trust_roots=[load_cert_from_pemder(str(ca))], allow_fetching=False)
    )
    assert status.intact and status.valid and status.trusted
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"

    # The same report again in another run: the period is filed, so it stops before staging (nothing sent).
    with pytest.raises(AlreadyFiled, match=f"already filed as report {report_id} "):
        annual_report(
            period="2025", as_of="2026-01-15T00:00:00Z", source_db=url, approve_as="Dara Kelly", approve_key=dara
        )
    assert len(handler.messages) == before + 2

    # Another report of the filed period stops before staging (exit 2), recorded in the audit DB.
    with pytest.raises(AlreadyFiled, match=f"already filed as report {report_id}") as err:
        annual_report(
            period="2025", as_of="2026-01-16T00:00:00Z", source_db=url, approve_as="Dara Kelly", approve_key=dara
        )
    assert err.value.exit_code == 2
    assert len(handler.messages) == before + 2
    blocked = [r for r in audit.status() if r.status == "already-filed" and r.report_id != report_id]
    assert len(blocked) == 1
    listed = client.list_objects_v2(Bucket="csa-staging", Prefix=signed_env["CSA_STAGING_PREFIX"])
    assert not any(blocked[0].report_id in o["Key"] for o in listed.get("Contents", []))  # nothing staged

    with pytest.raises(InputError, match="no such report was filed"):
        annual_report(
            period="2025",
            as_of="2026-01-16T00:00:00Z",
            source_db=url,
            approve_as="Dara Kelly",
            approve_key=dara,
            supersedes="0123456789abcdef",
            reason="wrong",
        )

    # The correction: marked in the report, the manifest, the e-mails and the audit DB.
    why = "the number of appeals in section 6 was wrong"
    corrected = annual_report(
        period="2025",
        as_of="2026-01-16T00:00:00Z",
        source_db=url,
        approve_as="Dara Kelly",
        approve_key=dara,
        supersedes=report_id,
        reason=why,
    )
    text = f"Correction of report {report_id} because {why}."
    cmanifest = json.loads(corrected.rendered.paths["manifest.json"].read_bytes())
    assert cmanifest["correction"] == text
    md = corrected.rendered.paths["report.md"].read_text()
    assert f"**{text}**" in md and f"- Supersedes: {text}" in md
    assert f"<strong>{text}</strong>" in corrected.rendered.paths["report.html"].read_text()
    cjson = json.loads(corrected.rendered.paths["report.json"].read_bytes())
    assert (cjson["report"]["supersedes"], cjson["report"]["reason"]) == (report_id, why)
    assert f"Compared with the filing it corrects, report {report_id}" in md
    mails = [email.message_from_bytes(m.data) for m in handler.messages[before + 2 :]]
    assert len(mails) == 2
    for msg in mails:
        assert " ".join(str(make_header(decode_header(msg["Subject"]))).split()) == (
            "Corrected report under Article 3(1)(g)(vii) of Regulation (EU) 2021/1232, as amended by Regulation "
            f"(EU) 2024/1307 — {PROVIDER} — 2025"
        )
        body = next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
        text = " ".join(body.decode().split())
        assert f"It supersedes report {report_id}" in text and " ".join(why.split()) in text
        assert msg["In-Reply-To"] is not None and msg["In-Reply-To"].startswith(f"<{report_id}.")
    assert [(f.seq, f.report_id, f.supersedes, f.reason, f.status) for f in filings(audit, PROVIDER, PERIOD)] == [
        (0, report_id, None, None, "submitted"),
        (1, corrected.report_id, report_id, why, "submitted"),
    ]


def test_signed_signoff_in_the_form_refuses_then_accepts(prefect_server, signed_env, keys, smtp, tmp_path, monkeypatch):
    from prefect.flow_runs import resume_flow_run

    monkeypatch.setenv("CSA_SIGNOFF_POLL_S", "1")
    monkeypatch.delenv("CSA_SEAL_PKCS12")  # unsealed: the manifest says so
    stranger = make_key(tmp_path / "keys", "stranger")
    handler = smtp
    before = len(handler.messages)
    _url, flow = seeded_annual_report(tmp_path, 12)
    run_id, key = flow.wait_paused(timeout=90)
    manifest_path = next((tmp_path / "work").rglob("manifest.json"))
    manifest = manifest_path.read_bytes()
    assert "PDF unsealed: no certificate is configured" in json.loads(manifest)["inputs"]["signoff"]
    # The approver's own rejection signature (the audit DB keeps it, others may read it) replayed as an approval.
    rejection = sign(manifest, keys["demo-reviewer"].private, REJECT_NAMESPACE)
    answers = [
        ("the preparer", sign(manifest, keys["Aoife Byrne"].private), "prepared this report"),
        ("a rejection replayed", rejection, "this is a rejection signature; an approval is signed with -n csa-report"),
    ]  # (a stranger's key and a signature over other bytes are refused the same way: tests/integrity/
    # test_sshsig.py; the flow asks at most three times)
    assert stranger.public  # a key the flow does not know
    # The signed form has no name field: an answer that types one is malformed, refused by the server itself.
    with pytest.raises(RuntimeError, match="'reviewer' was unexpected"):
        resume_flow_run(run_id, run_input={"decision": "approve", "signature": answers[0][1], "reviewer": "Typed Name"})
    for _who, signature, _reason in answers:
        resume_flow_run(run_id, run_input={"decision": "approve", "signature": signature, "comment": _who})
        run_id, key = flow.wait_paused(not_key=key)
    # `approve --key --sha256` with the hash of another manifest signs nothing and answers nothing (exit 2).
    from csa_report.commands.signoff import answer_signoff

    with pytest.raises(InputError, match="nothing was signed") as err:
        answer_signoff(str(run_id), "approve", None, "0" * 64, key=keys["demo-reviewer"].private)
    assert err.value.exit_code == 2
    assert flow.wait_paused(timeout=5) == (run_id, key)  # still waiting for the same request
    # The reviewer types nothing but the signature (and a pasted block may arrive with its lines joined).
    good = " ".join(sign(manifest, keys["demo-reviewer"].private).splitlines())
    resume_flow_run(run_id, run_input={"decision": "approve", "signature": good, "comment": "checked"})
    flow.result()
    assert sorted(r for m in handler.messages[before:] for r in m.recipients) == sorted([AUTHORITY, COMMISSION])
    audit = AuditLog.open(signed_env["CSA_AUDIT_DB"])
    signoffs = [s for r in audit.status() for s in r.signoffs]
    refused = [s for s in signoffs if s.refused_reason]
    assert [s.comment for s in refused] == [a[0] for a in answers]
    for s, (_, signature, reason) in zip(refused, answers, strict=True):
        assert reason in (s.refused_reason or "") and s.signature == signature
    # Recorded under the key's owner.
    assert [s.reviewer for s in refused] == ["Aoife Byrne", "demo-reviewer"]
    [accepted] = [s for s in signoffs if not s.refused_reason]
    # Recorded under the key owner's canonical name.
    assert (accepted.reviewer, accepted.key_fingerprint) == ("demo-reviewer", keys["demo-reviewer"].fingerprint)
    assert ssh_keygen_verify(tmp_path, manifest, accepted.signature or "", "r", keys["demo-reviewer"].public) == 0


def test_a_run_that_loses_the_claim_archives_no_signature(
    prefect_server, signed_env, keys, seaweed, smtp, tmp_path, monkeypatch
):
    """definitions.md §26: the loser of the race for the filing slot stops before archiving, its approval's
    signature included."""
    import csa_report.tasks.filing as filing_tasks
    from csa_report.flows.annual_report import annual_report

    def lost(*_a, **_k):
        raise AlreadyFiled("a concurrent run filed first (simulated)")

    monkeypatch.setattr(filing_tasks, "claim_filing", lost)
    monkeypatch.delenv("CSA_SEAL_PKCS12")
    url = f"sqlite:///{tmp_path / 'source.db'}"
    seed(url, Period.parse("2025"), scale=200, seed=13)
    with pytest.raises(AlreadyFiled):
        annual_report(
            period="2025",
            as_of="2026-01-15T00:00:00Z",
            source_db=url,
            approve_as="Dara Kelly",
            approve_key=str(keys["Dara Kelly"].private),
        )
    from csa_report.settings import load_settings

    s3 = load_settings().s3
    client = seaweed.client()
    names = []
    for bucket, prefix in ((s3.staging_bucket, s3.staging_prefix), (s3.archive_bucket, s3.archive_prefix)):
        listed = client.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
        names += [o["Key"].rsplit("/", 1)[-1] for o in listed]
    assert "manifest.json" in names and SIGNATURE_FILE not in names

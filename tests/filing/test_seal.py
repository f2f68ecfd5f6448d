"""The PAdES seal: validated with pyHanko's validator against a test CA made here; its prefix is the approved
PDF; expired and mismatching certificates are configuration errors (exit 2)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from csa_report.errors import ConfigError, TamperedError
from csa_report.filing.seal import SEAL_FIELD, check_prefix, load_signer, make_test_certificate, seal_pdf
from csa_report.period import utc_now
from csa_report.render.pdf import render_pdf
from csa_report.settings import SealSettings, Settings

# pyHanko signs and validates at the real time, so the test certificates are made around it.
NOW = utc_now()


@pytest.fixture(scope="module")
def approved_pdf() -> bytes:
    html = "<html><head><title>Report</title></head><body><h1>Transparency report</h1><p>42</p></body></html>"
    return render_pdf(html, attachment=b"{}", attachment_name="report.json", as_of=datetime(2026, 1, 15))


def settings_for(p12: Path, password: str = "demo") -> SealSettings:
    return Settings(seal_pkcs12=p12, seal_pkcs12_password=password).seal  # type: ignore[arg-type]


def test_sealed_pdf_validates_and_begins_with_the_approved_bytes(approved_pdf: bytes, tmp_path: Path) -> None:
    p12, ca_pem = make_test_certificate(tmp_path, common_name="Example Communications Ireland Ltd", now=NOW)
    loaded = load_signer(settings_for(p12), NOW)
    assert loaded is not None
    signer, info = loaded
    assert info.subject == "CN=Example Communications Ireland Ltd"
    sealed = seal_pdf(approved_pdf, signer, reason="approved transparency report")
    # Incremental update: the approved file is an exact prefix.
    assert sealed[: len(approved_pdf)] == approved_pdf
    check_prefix(sealed, hashlib.sha256(approved_pdf).hexdigest(), len(approved_pdf))

    reader = PdfFileReader(BytesIO(sealed))
    [sig] = reader.embedded_signatures
    assert sig.field_name == SEAL_FIELD
    assert sig.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES baseline
    trust = ValidationContext(trust_roots=[load_cert_from_pemder_bytes(ca_pem)], allow_fetching=False)
    status = validate_pdf_signature(sig, trust)
    assert status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    # The signed byte range covers the approved bytes in full.
    assert sig.signed_revision == 1 and sig.byte_range[0] == 0


def test_untrusted_ca_does_not_validate(approved_pdf: bytes, tmp_path: Path) -> None:
    p12, _ = make_test_certificate(tmp_path / "a", common_name="Example", now=NOW)
    _, other_ca = make_test_certificate(tmp_path / "b", common_name="Stranger", now=NOW)
    loaded = load_signer(settings_for(p12), NOW)
    assert loaded is not None
    sealed = seal_pdf(approved_pdf, loaded[0], reason="x")
    [sig] = PdfFileReader(BytesIO(sealed)).embedded_signatures
    status = validate_pdf_signature(
        sig, ValidationContext(trust_roots=[load_cert_from_pemder_bytes(other_ca)], allow_fetching=False)
    )
    assert status.intact and status.valid and not status.trusted


def test_expired_certificate_is_exit_2(tmp_path: Path) -> None:
    p12, _ = make_test_certificate(tmp_path, common_name="Example", days=10, now=NOW - timedelta(days=30))
    with pytest.raises(ConfigError, match="expired on") as err:
        load_signer(settings_for(p12), NOW)
    assert err.value.exit_code == 2


def test_key_not_matching_the_certificate_is_exit_2(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12

    p12, _ = make_test_certificate(tmp_path, common_name="Example", now=NOW)
    _, cert, extra = pkcs12.load_key_and_certificates(p12.read_bytes(), b"demo")
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad = tmp_path / "bad.p12"
    assert cert is not None
    # Tools refuse to pair a key with a foreign certificate, so the file holds the key and the certificates
    # unpaired, as a hand-assembled or mixed-up file would.
    bad.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"seal", stranger, None, [cert, *extra], serialization.BestAvailableEncryption(b"demo")
        )
    )
    with pytest.raises(ConfigError, match="does not belong to the seal certificate") as err:
        load_signer(settings_for(bad), NOW)
    assert err.value.exit_code == 2


def test_wrong_password_is_exit_2(tmp_path: Path) -> None:
    p12, _ = make_test_certificate(tmp_path, common_name="Example", now=NOW)
    with pytest.raises(ConfigError, match="password"):
        load_signer(settings_for(p12, "wrong"), NOW)


def test_a_rewritten_prefix_is_tampering(approved_pdf: bytes) -> None:
    changed = approved_pdf.replace(b"%PDF-", b"%PDF-", 1)[:-10] + b"0123456789" + b"tail"
    with pytest.raises(TamperedError):
        check_prefix(changed, hashlib.sha256(approved_pdf).hexdigest(), len(approved_pdf))


def test_no_certificate_means_no_seal() -> None:
    assert load_signer(Settings(), NOW) is None


def load_cert_from_pemder_bytes(pem: bytes):  # type: ignore[no-untyped-def]
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pem") as f:
        f.write(pem)
        f.flush()
        return load_cert_from_pemder(f.name)

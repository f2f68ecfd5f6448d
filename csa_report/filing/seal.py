"""The PAdES seal of the delivered PDF (pyHanko): the provider's certificate signs the approved report.pdf.

The seal is an incremental update: the sealed file is the approved bytes followed by a signature dictionary
and a new cross-reference section, so its first ``len(approved)`` bytes are exactly the file whose SHA-256
the signed manifest lists (:func:`check_prefix` proves it before anything is sent). The signature is a PAdES
baseline B-B signature (``/SubFilter /ETSI.CAdES.detached``) over the whole file, which any PDF reader or
validator checks against the provider's certificate chain.

The certificate and key come from a PKCS#12 file (``CSA_SEAL_PKCS12`` + ``CSA_SEAL_PKCS12_PASSWORD``) or a
PKCS#11 token (``CSA_SEAL_PKCS11_*``). An expired, not yet valid or mismatching certificate is a configuration
error (exit 2), raised before anything is sent. Without any, the approved PDF is sent unsealed, and the
manifest says so.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csa_report.artefacts import SEALED_PDF
from csa_report.errors import ConfigError, TamperedError

if TYPE_CHECKING:
    from cryptography import x509
    from pyhanko.sign.signers import Signer

    from csa_report.settings import SealSettings

log = logging.getLogger(__name__)

__all__ = [
    "SEALED_NAME",
    "SEAL_FIELD",
    "SealInfo",
    "check_prefix",
    "describe_seal",
    "load_signer",
    "make_test_certificate",
    "seal_configured",
    "seal_pdf",
]

SEAL_FIELD = "csa-report-seal"
#: The sealed PDF's name in the archive (report.pdf stays the approved bytes the manifest lists).
SEALED_NAME = SEALED_PDF
UNSEALED = (
    "unsealed: no certificate is configured (CSA_SEAL_PKCS12 or CSA_SEAL_PKCS11_*); the approved PDF is "
    "sent as rendered"
)


@dataclass(frozen=True)
class SealInfo:
    subject: str
    issuer: str
    not_after: datetime
    fingerprint_sha256: str


def seal_configured(settings: SealSettings) -> bool:
    return settings.seal_pkcs12 is not None or settings.seal_pkcs11_module is not None


def describe_seal(settings: SealSettings) -> str:
    """The manifest/annex wording of the seal, fixed before sign-off (so it is part of what is approved)."""
    if not seal_configured(settings):
        return UNSEALED
    return (
        "sealed: after approval the PDF gets a PAdES baseline signature with the provider's certificate, "
        "added as an incremental update, so the sealed file begins with the approved report.pdf"
    )


def _pkcs12(settings: SealSettings) -> tuple[Any, Any, list[Any]]:
    from cryptography.hazmat.primitives.serialization import pkcs12

    path = settings.seal_pkcs12
    assert path is not None
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"CSA_SEAL_PKCS12 {path}: cannot be read ({exc.strerror or exc})") from None
    password = settings.seal_pkcs12_password.get_secret_value().encode() if settings.seal_pkcs12_password else None
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        raise ConfigError(
            f"CSA_SEAL_PKCS12 {path}: not a PKCS#12 file, or the password (CSA_SEAL_PKCS12_PASSWORD) is wrong"
        ) from None
    if key is not None and cert is None and extra:
        # PKCS#12 pairs the key with the certificate of the same public key; none did.
        names = ", ".join(c.subject.rfc4514_string() for c in extra)
        raise ConfigError(
            f"CSA_SEAL_PKCS12 {path}: the private key does not belong to the seal certificate "
            f"({names}); nothing was sent"
        )
    if key is None or cert is None:
        raise ConfigError(f"CSA_SEAL_PKCS12 {path}: must hold both the certificate and its private key")
    return key, cert, list(extra)


def _check_certificate(cert: Any, public_of_key: Any, at: datetime, what: str) -> SealInfo:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    now = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    if cert.not_valid_after_utc <= now:
        raise ConfigError(
            f"{what}: the seal certificate ({cert.subject.rfc4514_string()}) expired on "
            f"{cert.not_valid_after_utc:%Y-%m-%d}; nothing was sent"
        )
    if cert.not_valid_before_utc > now:
        raise ConfigError(f"{what}: the seal certificate is not valid before {cert.not_valid_before_utc:%Y-%m-%d}")
    spki = PublicFormat.SubjectPublicKeyInfo
    if public_of_key is not None and (
        public_of_key.public_bytes(Encoding.DER, spki) != cert.public_key().public_bytes(Encoding.DER, spki)
    ):
        raise ConfigError(
            f"{what}: the private key does not belong to the seal certificate "
            f"({cert.subject.rfc4514_string()}); nothing was sent"
        )
    return SealInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_after=cert.not_valid_after_utc.replace(tzinfo=None),
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
    )


def load_signer(settings: SealSettings, at: datetime) -> tuple[Signer, SealInfo] | None:
    """The pyHanko signer of the configured seal, checked valid at ``at`` and matching its key; None when no
    seal is configured. Raises :class:`ConfigError` (exit 2) otherwise."""
    if settings.seal_pkcs12 is not None:
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
        from pyhanko.sign.signers import SimpleSigner

        key, cert, extra = _pkcs12(settings)
        info = _check_certificate(cert, key.public_key(), at, f"CSA_SEAL_PKCS12 {settings.seal_pkcs12}")
        from asn1crypto import keys as asn1_keys
        from asn1crypto import x509 as asn1_x509
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        signer = SimpleSigner(
            signing_cert=asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER)),
            signing_key=asn1_keys.PrivateKeyInfo.load(
                key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
            ),
            cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                [asn1_x509.Certificate.load(c.public_bytes(Encoding.DER)) for c in extra]
            ),
        )
        return signer, info
    if settings.seal_pkcs11_module is not None:
        return _pkcs11_signer(settings, at)
    return None


def _pkcs11_signer(settings: SealSettings, at: datetime) -> tuple[Signer, SealInfo]:
    """A key on a PKCS#11 token (HSM, smart card); needs pyHanko's optional ``python-pkcs11``."""
    try:
        from pyhanko.sign import pkcs11
    except ImportError:
        raise ConfigError(
            "CSA_SEAL_PKCS11_MODULE is set but python-pkcs11 is not installed (pip install 'pyHanko[pkcs11]')"
        ) from None
    from cryptography import x509

    if not settings.seal_pkcs11_token or not settings.seal_pkcs11_key_label:
        raise ConfigError("CSA_SEAL_PKCS11_MODULE needs CSA_SEAL_PKCS11_TOKEN and CSA_SEAL_PKCS11_KEY_LABEL")
    pin = settings.seal_pkcs11_pin.get_secret_value() if settings.seal_pkcs11_pin else None
    try:
        from pyhanko.config.pkcs11 import TokenCriteria

        session = pkcs11.open_pkcs11_session(
            str(settings.seal_pkcs11_module),
            token_criteria=TokenCriteria(label=settings.seal_pkcs11_token),
            user_pin=pin,
        )
    except Exception as exc:  # the library raises its own hierarchy; the user needs the token named
        raise ConfigError(
            f"PKCS#11 token {settings.seal_pkcs11_token!r} via {settings.seal_pkcs11_module}: "
            f"cannot open a session ({type(exc).__name__})"
        ) from None
    signer = pkcs11.PKCS11Signer(
        session, cert_label=settings.seal_pkcs11_key_label, key_label=settings.seal_pkcs11_key_label
    )
    cert = x509.load_der_x509_certificate(signer.signing_cert.dump())
    # The key never leaves the token, so the pairing is proven by the token's own lookup by one label.
    info = _check_certificate(cert, None, at, f"PKCS#11 key {settings.seal_pkcs11_key_label!r}")
    return signer, info


def seal_pdf(pdf: bytes, signer: Signer, *, reason: str, location: str | None = None) -> bytes:
    """``pdf`` with a PAdES baseline B-B signature appended as an incremental update."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
    )
    out = signers.PdfSigner(meta, signer=signer).sign_pdf(writer)
    sealed = out.getvalue() if isinstance(out, BytesIO) else bytes(out.read())
    check_prefix(sealed, hashlib.sha256(pdf).hexdigest(), len(pdf))
    return sealed


def check_prefix(sealed: bytes, approved_sha256: str, approved_size: int) -> None:
    """The sealed file must begin with exactly the approved bytes (their SHA-256 as the signed manifest lists
    it): a seal that rewrote anything instead of appending is refused as tampering (exit 5)."""
    if len(sealed) <= approved_size or hashlib.sha256(sealed[:approved_size]).hexdigest() != approved_sha256:
        raise TamperedError(
            "the sealed PDF does not begin with the approved report.pdf (its first "
            f"{approved_size} bytes do not have the SHA-256 the signed manifest lists); not sent"
        )


_KEY_USAGES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def _key_usage(*allowed: str) -> x509.KeyUsage:
    """The X.509 key usage allowing exactly ``allowed``."""
    from cryptography import x509

    return x509.KeyUsage(**{usage: usage in allowed for usage in _KEY_USAGES})


def make_test_certificate(
    folder: Path, *, common_name: str, days: int = 30, password: str = "demo", now: datetime | None = None
) -> tuple[Path, bytes]:
    """A throwaway CA and seal certificate (RSA 2048) in ``folder``: returns the PKCS#12 file and the CA
    certificate (PEM) a validator trusts. For the demo and tests only; a provider uses its own certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    start = (now or datetime.now(UTC)).replace(microsecond=0) - timedelta(days=1)
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{common_name} test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days + 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            _key_usage("key_cert_sign", "crl_sign"),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(
            _key_usage("digital_signature", "content_commitment"),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    p12 = folder / "seal.p12"
    p12.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"seal", key, cert, [ca], serialization.BestAvailableEncryption(password.encode())
        )
    )
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    (folder / "seal-ca.pem").write_bytes(ca_pem)
    return p12, ca_pem

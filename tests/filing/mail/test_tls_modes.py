"""The three CSA_SMTP_TLS modes against a real aiosmtpd server with a certificate of its own (an internal CA, as
a provider's relay often has): STARTTLS and implicit TLS deliver only when CSA_SMTP_CA_FILE vouches for the
certificate; an untrusted certificate is a clear message naming the settings, never a plain-text fallback."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from csa_report.errors import DeliveryError, DeliveryRefused, InputError
from csa_report.filing.mail.message import Attachment
from csa_report.filing.mail.transport import deliver
from csa_report.settings import Settings
from tests.support.services import smtp_controller
from tests.support.storage import CollectingHandler

RID = "00112233445566aa"
ATTS = [Attachment("report.json", "application/json", b'{"a": 1}')]
WHEN = dt.datetime(2026, 1, 15)
RECIPIENT = "dsc@authority.example"


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA): cert.pem, key.pem."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "csa-report test relay")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_pem, key_pem = folder / "cert.pem", folder / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_pem, key_pem


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return _certificate(tmp_path_factory.mktemp("tls"))


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[int, CollectingHandler]]:
    """Refuses MAIL before STARTTLS (require_starttls): a message can only arrive encrypted."""
    handler = CollectingHandler()
    with smtp_controller(handler, tls_context=_server_context(certificate), require_starttls=True) as controller:
        yield int(controller.port), handler


@pytest.fixture
def smtps_server(certificate: tuple[Path, Path]) -> Iterator[tuple[int, CollectingHandler]]:
    handler = CollectingHandler()
    with smtp_controller(handler, ssl_context=_server_context(certificate)) as controller:
        yield int(controller.port), handler


def _send(settings: Settings, port: int, tls: str, ca_file: Path | None) -> None:
    smtp = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_tls": tls, "smtp_ca_file": ca_file}
    ).smtp
    deliver(smtp, report_id=RID, recipient=RECIPIENT, subject="s", body="b", attachments=ATTS, date=WHEN)


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_delivers_when_the_ca_file_vouches_for_the_server(
    settings: Settings, certificate: tuple[Path, Path], mode: str, request: pytest.FixtureRequest
) -> None:
    port, handler = request.getfixturevalue("starttls_server" if mode == "starttls" else "smtps_server")
    _send(settings, port, mode, certificate[0])
    assert [m.recipients for m in handler.messages] == [[RECIPIENT]]
    assert b'{"a": 1}' not in handler.messages[0].data  # attachments travel base64-encoded
    assert f"<{RID}.".encode() in handler.messages[0].data  # the deterministic Message-ID


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_an_untrusted_certificate_names_the_settings_and_sends_nothing(
    settings: Settings, mode: str, request: pytest.FixtureRequest
) -> None:
    port, handler = request.getfixturevalue("starttls_server" if mode == "starttls" else "smtps_server")
    with pytest.raises(DeliveryError) as info:
        _send(settings, port, mode, None)  # the system's authorities do not know the test relay's certificate
    assert "TLS certificate is not trusted" in str(info.value) and "CSA_SMTP_CA_FILE" in str(info.value)
    assert handler.messages == []


def test_plain_text_to_a_server_that_requires_starttls_is_refused_not_sent(
    settings: Settings, starttls_server: tuple[int, CollectingHandler]
) -> None:
    port, handler = starttls_server
    with pytest.raises(DeliveryRefused) as info:
        _send(settings, port, "none", None)
    assert "530" in str(info.value) and "check CSA_SMTP_TLS" in str(info.value)
    assert handler.messages == []


def test_a_ca_file_that_is_not_pem_is_exit_2(settings: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "ca.pem"
    bad.write_text("not a certificate", encoding="utf-8")
    with pytest.raises(InputError) as info:
        _send(settings, 1, "starttls", bad)
    assert info.value.exit_code == 2 and str(bad) in str(info.value)

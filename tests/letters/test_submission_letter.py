"""The submission e-mail as an authority receives it, parsed back with Python's email package."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from csa_report.errors import InputError
from csa_report.filing.mail.message import message_id
from csa_report.letters.instruments import instruments_from_reference
from csa_report.letters.submission import (
    CorrectionNote,
    LetterFacts,
    Signer,
    compose_letter,
    letter_facts,
    missing_attachments,
    submission_message,
    validate_letter_inputs,
)
from csa_report.period import Period
from csa_report.policies import load_policies

EXAMPLE = Path(__file__).resolve().parents[2] / "policies" / "example"
PROVIDER = "Example Communications Ireland Ltd"
SENDER = "Transparency reports <transparency@example-provider.eu>"
RECIPIENT = "supervisory-authority@dpc.example.ie"
SENT_AT = datetime(2026, 12, 7, 14, 3, 21, tzinfo=UTC)
DARA_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINLECohtS948nscwjSvhk8DNE7JKH21NBzaLZWCWVrV7 dara.kelly@example.ie"
#: Distinct bytes per file, so that a hash stated against the wrong file cannot pass.
FILES = {
    "report.pdf": b"%PDF-1.7 sealed copy\n%%EOF\n",
    "report.json": b'{"report_id": "r-2025"}\n',
    "report.csv": b"section,field,value\r\n1,A1,12\r\n",
    "manifest.json": b'{"artefacts": {}}\n',
    "manifest.json.sig": b"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n",
}


def _facts(period: str, report_id: str = "r-2025", correction: CorrectionNote | None = None) -> LetterFacts:
    p = Period.parse(period)
    provider = load_policies(EXAMPLE).provider
    return letter_facts(provider, p, report_id, instruments=instruments_from_reference(p), correction=correction)


def _message(facts: LetterFacts, *, signed: bool = True, sealed: bool = True, sent_at: datetime = SENT_AT) -> bytes:
    files = FILES if signed else {k: v for k, v in FILES.items() if k != "manifest.json.sig"}
    letter = compose_letter(facts, files, signer=Signer("Dara Kelly", DARA_KEY) if signed else None, sealed=sealed)
    return submission_message(letter, facts, sender=SENDER, recipient=RECIPIENT, sent_at=sent_at).as_bytes()


def _parse(data: bytes) -> EmailMessage:
    msg = message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


@pytest.mark.parametrize(
    ("period", "subject"),
    [
        (
            "2025",
            "Report under Article 3(1)(g)(vii) of Regulation (EU) 2021/1232, as amended by Regulation (EU) "
            "2024/1307 — Example Communications Ireland Ltd — 2025",
        ),
        (
            "2026-07-31/2026-12-31",
            "Report under Article 3(1)(g)(vii) of Regulation (EU) 2026/1881 — Example Communications Ireland Ltd "
            "— 2026-07-31 to 2026-12-31",
        ),
        (
            "2026",
            "Report under Article 3(1)(g)(vii) of Regulation (EU) 2021/1232, as amended by Regulation (EU) "
            "2024/1307, and of Regulation (EU) 2026/1881 — Example Communications Ireland Ltd — 2026",
        ),
    ],
)
def test_subject_names_the_article_the_instruments_the_provider_and_the_period(period: str, subject: str) -> None:
    msg = _parse(_message(_facts(period)))
    assert msg["Subject"] == subject


def test_every_attachment_is_there_with_the_sha256_the_body_states() -> None:
    msg = _parse(_message(_facts("2025")))
    attached = {part.get_filename(): part.get_payload(decode=True) for part in msg.iter_attachments()}
    assert list(attached) == ["report.pdf", "report.json", "report.csv", "manifest.json", "manifest.json.sig"]
    assert attached == FILES
    stated = dict(re.findall(r"^  (\S+): .*\n    ([0-9a-f]{64})$", _body(msg), re.M))
    assert stated == {name: hashlib.sha256(data).hexdigest() for name, data in FILES.items()}


def test_date_is_the_moment_of_sending_and_the_message_id_stays_that_of_the_delivery() -> None:
    facts = _facts("2025")
    first, later = _parse(_message(facts)), _parse(_message(facts, sent_at=datetime(2026, 12, 8, 9, 0, tzinfo=UTC)))
    assert parsedate_to_datetime(str(first["Date"])) == SENT_AT
    assert parsedate_to_datetime(str(later["Date"])) == datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    # A resend is the same message to the receiving system: same Message-ID, whatever the day it goes out.
    assert first["Message-ID"] == later["Message-ID"] == message_id("r-2025", RECIPIENT)
    assert _message(facts) == _message(facts)  # same inputs, same bytes
    assert first["From"] == SENDER and first["To"] == RECIPIENT
    assert first["Reply-To"] == "Niamh Walsh <csa-transparency@example.org>"
    assert first["In-Reply-To"] is None and first["References"] is None


def test_a_correction_says_so_and_answers_the_original_message() -> None:
    note = CorrectionNote("r-2025", "section 4 counted each removal twice")
    msg = _parse(_message(_facts("2025", report_id="r-2025b", correction=note)))
    assert msg["Subject"] == (
        "Corrected report under Article 3(1)(g)(vii) of Regulation (EU) 2021/1232, as amended by Regulation (EU) "
        "2024/1307 — Example Communications Ireland Ltd — 2025"
    )
    original = message_id("r-2025", RECIPIENT)
    assert msg["In-Reply-To"] == original and msg["References"] == original
    assert msg["Message-ID"] == message_id("r-2025b", RECIPIENT)
    body = " ".join(_body(msg).split())
    assert (
        "This is a corrected report. It supersedes report r-2025, which we submitted to you earlier for the same "
        "period, because: section 4 counted each removal twice. Please file it in place of that report." in body
    )
    assert "Report: r-2025b (supersedes r-2025)" in body


def test_a_correction_uses_the_message_id_the_audit_trail_recorded() -> None:
    note = CorrectionNote("r-2025", "wrong figures.", original_message_id="<r-2025.0123456789abcdef@csa-report>")
    msg = _parse(_message(_facts("2025", report_id="r-2025b", correction=note)))
    assert msg["In-Reply-To"] == "<r-2025.0123456789abcdef@csa-report>"


def test_the_body_names_article_instruments_provider_services_contacts_and_says_nothing_of_the_tool() -> None:
    body = _body(_parse(_message(_facts("2025"))))
    flat = " ".join(body.split())
    assert (
        "For the period 2025-01-01 to 2025-12-31, Example Communications Ireland Ltd submits its report under "
        "Article 3(1)(g)(vii) of Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307." in flat
    )
    assert "Services: Example Chat, Example Mail" in flat
    assert "Published at: https://transparency.example.com/eu-csam-interim-regulation" in flat
    assert "Niamh Walsh, Head of Trust and Safety, csa-transparency@example.org" in flat
    assert "Data protection officer: Ciarán Murphy, dpo@example.org" in flat
    # The tool appears only as the signature's namespace, which the verification command must name.
    assert [line.strip() for line in body.splitlines() if "csa-report" in line] == [
        'dara-kelly namespaces="csa-report" ssh-ed25519 '
        "AAAAC3NzaC1lZDI1NTE5AAAAINLECohtS948nscwjSvhk8DNE7JKH21NBzaLZWCWVrV7",
        "ssh-keygen -Y verify -f allowed_signers -I dara-kelly -n csa-report -s manifest.json.sig < manifest.json",
    ]
    assert "sent by" not in flat.lower()
    assert "pyhanko sign validate --trust CA.pem report.pdf" in flat
    assert "sha256sum report.json report.csv manifest.json`" in flat
    assert max(len(line) for line in body.splitlines() if "ssh-" not in line) <= 76


def test_2026_lists_each_regime_with_its_days_and_the_gap() -> None:
    body = " ".join(_body(_parse(_message(_facts("2026")))).split())
    assert (
        "2026-01-01 to 2026-04-03 (93 days): Regulation (EU) 2021/1232, as amended by Regulation (EU) 2024/1307 "
        "2026-04-04 to 2026-07-30 (118 days): no derogation was in force; the report states what was processed on "
        "those days 2026-07-31 to 2026-12-31 (154 days): Regulation (EU) 2026/1881, which excludes communications "
        "to which end-to-end encryption is, has been or will be applied (Article 1(3))" in body
    )


def test_a_2026_1881_period_has_its_own_template() -> None:
    body = " ".join(_body(_parse(_message(_facts("2026-07-31/2026-12-31")))).split())
    assert "provided by Regulation (EU) 2026/1881, from 2026-07-31 to 2026-12-31. As Article 1(3)" in body
    assert "2021/1232" not in body


def test_unsigned_and_unsealed_say_so_and_attach_no_signature() -> None:
    msg = _parse(_message(_facts("2025"), signed=False, sealed=False))
    assert [p.get_filename() for p in msg.iter_attachments()] == [
        "report.pdf",
        "report.json",
        "report.csv",
        "manifest.json",
    ]
    body = " ".join(_body(msg).split())
    assert "2. The approval was recorded without a cryptographic signature; no manifest.json.sig is attached." in body
    assert "3. The PDF carries no electronic seal; its SHA-256 is the one manifest.json lists." in body
    assert "sha256sum report.json report.csv manifest.json report.pdf`" in body


def test_a_missing_attachment_is_named() -> None:
    assert missing_attachments(["report.pdf", "report.json"], signed=True) == [
        "report.csv",
        "manifest.json",
        "manifest.json.sig",
    ]
    files = {k: v for k, v in FILES.items() if k != "report.csv"}
    with pytest.raises(InputError, match=r"report r-2025: report\.csv missing"):
        compose_letter(_facts("2025"), files, signer=Signer("Dara Kelly", DARA_KEY))


# -- hostile text -------------------------------------------------------------------------------------------


def _with(facts: LetterFacts, **changes: object) -> LetterFacts:
    from dataclasses import replace

    return replace(facts, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "field", "why"),
    [
        ({"provider": "Example\r\nBcc: all@example.net"}, "provider.md: provider", "a line break"),
        ({"provider": "Example \u202eLtd"}, "provider.md: provider", "U+202E"),
        ({"services": ("Example\u200bChat",)}, r"provider.md: services\[0\].name", "U+200B"),
        ({"publication_url": "https://x.example.eu/\u2066a"}, "provider.md: publication_url", "U+2066"),
    ],
)
def test_hostile_text_is_refused_before_staging(change: dict[str, object], field: str, why: str) -> None:
    with pytest.raises(InputError, match=rf"^{field}: .* holds .*{re.escape(why)}") as exc:
        validate_letter_inputs(_with(_facts("2025"), **change), sender=SENDER, recipients=[RECIPIENT])
    assert exc.value.exit_code == 2


@pytest.mark.parametrize(
    ("sender", "recipients", "field"),
    [
        (SENDER, ["sa@example.ie\r\nBcc: x@y.eu"], "recipient"),
        (SENDER, ["not an address"], "recipient"),
        (SENDER, ["Someone <sa@example.ie>"], "recipient"),
        ("transparency@example-provider.eu\nBcc: x@y.eu", [RECIPIENT], "CSA_SMTP_FROM"),
    ],
)
def test_bad_addresses_are_refused_before_staging(sender: str, recipients: list[str], field: str) -> None:
    with pytest.raises(InputError, match=rf"^{field}"):
        validate_letter_inputs(_facts("2025"), sender=sender, recipients=recipients)


def test_hostile_correction_reason_and_contact_are_refused() -> None:
    facts = _facts("2025", correction=CorrectionNote("r-1", "oops\u202e"))
    with pytest.raises(InputError, match=r"^correction: reason"):
        validate_letter_inputs(facts, sender=SENDER, recipients=[RECIPIENT])
    from csa_report.letters.submission import ContactPoint

    bad = _with(_facts("2025"), contact=ContactPoint("Niamh", "Head", "niamh-at-example"))
    with pytest.raises(InputError, match=r"^provider\.md: contact\.email"):
        validate_letter_inputs(bad, sender=SENDER, recipients=[RECIPIENT])


def test_the_example_passes_validation() -> None:
    for period in ("2025", "2026", "2026-07-31/2026-12-31"):
        validate_letter_inputs(_facts(period), sender=SENDER, recipients=[RECIPIENT, "commission-csa@example.org"])


def test_a_period_without_derogation_is_refused() -> None:
    with pytest.raises(InputError, match="no derogation applied on any day of the period"):
        validate_letter_inputs(_facts("2026-05-01/2026-05-31"), sender=SENDER, recipients=[RECIPIENT])


def test_at_send_time_hostile_text_is_stripped_never_raised() -> None:
    facts = _with(_facts("2025"), provider="Example\r\nBcc: all@example.net \u202eLtd\u200b")
    msg = _parse(_message(facts))
    assert msg["Subject"].endswith("— Example Bcc: all@example.net Ltd — 2025")
    assert msg["Bcc"] is None
    assert "\u202e" not in _body(msg) and "\u200b" not in _body(msg)

"""The formal submission e-mail: what a supervisory authority and the Commission receive and file.

Built from typed facts, with no clock and no randomness: the subject names the article and the instruments of
the period, the body (a template per regime, templates/mail/) names who files for which services and period,
where the report is published, whom to contact, every attachment with its SHA-256 and how to check the
signatures. ``Date:`` is the moment of sending, given by the caller; the Message-ID derives from the report id
and the recipient (csa_report.filing.mail.transport.message_id), so a resend is the same message to the
receiving system; a correction answers the original's Message-ID (In-Reply-To, References).

Two calls for the filing code: :func:`validate_letter_inputs` when the run starts, before anything is staged
(hostile or missing text stops the run there, exit 2), and :func:`submission_message` per recipient at send
time, which never raises over text (it cleans what it puts in a header or a line).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, parseaddr
from pathlib import Path
from typing import Any, Final

from csa_report.artefacts import MANIFEST, REPORT_PDF
from csa_report.errors import InputError
from csa_report.filing.mail.message import Attachment, build_message, message_id
from csa_report.filing.sshsig import NAMESPACE, SIGNATURE_FILE
from csa_report.letters.instruments import Instrument, derogations, legal_reference, period_label
from csa_report.letters.text import as_sentence, clean_line, refuse_hostile
from csa_report.period import Period
from csa_report.policies.models import ProviderDoc
from csa_report.render.env import make_environment, render_template

#: What is attached, in this order, with its content type and what the body says it is.
ATTACHMENTS: Final[tuple[tuple[str, str, str], ...]] = (
    (REPORT_PDF, "application/pdf", "the report (PDF)"),
    ("report.json", "application/json", "the report's figures, machine-readable (JSON)"),
    ("report.csv", "text/csv", "the report's figures as a table (CSV)"),
    (MANIFEST, "application/json", "the manifest: the SHA-256 of every file of the report"),
    (SIGNATURE_FILE, "text/plain", "the approver's SSH signature over manifest.json"),
)
#: How the message is serialised (``msg.as_bytes()``): SMTP line endings, headers never folded.
UNFOLDED: Final = policy.SMTP.clone(max_line_length=998)
#: Always attached; the signature only when the sign-off was signed.
REQUIRED: Final = (REPORT_PDF, "report.json", "report.csv", MANIFEST)


@dataclass(frozen=True)
class ContactPoint:
    name: str
    role: str
    email: str


@dataclass(frozen=True)
class DataProtectionOfficer:
    name: str
    email: str


@dataclass(frozen=True)
class CorrectionNote:
    """This report supersedes ``supersedes`` for ``reason``. ``original_message_id`` is the Message-ID the
    original was delivered with to this recipient (from the audit trail); None derives it as that delivery
    did, from the original's report id and the recipient."""

    supersedes: str
    reason: str
    original_message_id: str | None = None


@dataclass(frozen=True)
class Signer:
    """Who signed manifest.json, with their OpenSSH public key as provider.md lists it."""

    name: str
    public_key: str


@dataclass(frozen=True)
class LetterFacts:
    """Everything the letter says that is known before the report is staged."""

    provider: str
    services: tuple[str, ...]
    period: Period
    instruments: tuple[Instrument, ...]
    publication_url: str
    contact: ContactPoint
    dpo: DataProtectionOfficer
    report_id: str
    correction: CorrectionNote | None = None


@dataclass(frozen=True)
class Letter:
    """The recipient-independent part: subject, body and attachments (in :data:`ATTACHMENTS` order)."""

    subject: str
    body: str
    attachments: tuple[Attachment, ...]


def letter_facts(
    provider: ProviderDoc,
    period: Period,
    report_id: str,
    *,
    instruments: Sequence[Instrument],
    services: Sequence[str] | None = None,
    correction: CorrectionNote | None = None,
) -> LetterFacts:
    """The facts from provider.md (the version in force for the report) and the run."""
    return LetterFacts(
        provider=provider.provider,
        services=tuple(services) if services is not None else tuple(s.name for s in provider.services),
        period=period,
        instruments=tuple(instruments),
        publication_url=provider.publication_url,
        contact=ContactPoint(provider.contact.name, provider.contact.role, provider.contact.email),
        dpo=DataProtectionOfficer(provider.dpo.name, provider.dpo.email),
        report_id=report_id,
        correction=correction,
    )


# -- before staging -----------------------------------------------------------------------------------------


def validate_letter_inputs(facts: LetterFacts, *, sender: str, recipients: Sequence[str]) -> None:
    """InputError (exit 2) naming the first field that cannot go into the e-mail: a line break, a control,
    bidi or zero-width character in any value, a malformed address, a period without a derogation. Call it when
    the run starts, before staging: after the archive the letter must not fail."""
    refuse_hostile(facts.provider, "provider.md: provider")
    for i, service in enumerate(facts.services):
        refuse_hostile(service, f"provider.md: services[{i}].name")
    if not facts.services:
        raise InputError("the report names no service: there is nothing to submit")
    for inst in facts.instruments:
        refuse_hostile(inst.title, f"reference data: the name of regime {inst.regime}")
    legal_reference(facts.instruments)  # raises when no derogation applied in the period
    refuse_hostile(facts.publication_url, "provider.md: publication_url")
    refuse_hostile(facts.contact.name, "provider.md: contact.name")
    refuse_hostile(facts.contact.role, "provider.md: contact.role")
    _address(facts.contact.email, "provider.md: contact.email")
    refuse_hostile(facts.dpo.name, "provider.md: dpo.name")
    _address(facts.dpo.email, "provider.md: dpo.email")
    refuse_hostile(facts.report_id, "report id")
    _address(sender, "CSA_SMTP_FROM", display_name_allowed=True)
    for recipient in recipients:
        _address(recipient, "recipient (provider.md: supervisory_authority.email or commission_email)")
    if facts.correction is not None:
        refuse_hostile(facts.correction.supersedes, "correction: supersedes")
        refuse_hostile(facts.correction.reason, "correction: reason")
        if facts.correction.original_message_id is not None:
            refuse_hostile(facts.correction.original_message_id, "correction: the original's Message-ID")


def _address(value: str, field: str, *, display_name_allowed: bool = False) -> None:
    refuse_hostile(value, field)
    name, addr = parseaddr(value)
    if not addr or (name and not display_name_allowed) or (not name and addr != value.strip()):
        raise InputError(f"{field}: {value!r} is not one e-mail address")
    local, at, domain = addr.rpartition("@")
    try:
        Address(addr_spec=addr)
    except (HeaderParseError, ValueError, IndexError):
        raise InputError(f"{field}: {value!r} is not an e-mail address") from None
    if not (at and local and "." in domain.strip(".")):
        raise InputError(f"{field}: {value!r} is not an e-mail address (expected name@domain.tld)")


def missing_attachments(names: Sequence[str], *, signed: bool) -> list[str]:
    """The required attachments not among ``names`` (the signature only when ``signed``), for the filing
    code to check before it archives anything."""
    needed = (*REQUIRED, SIGNATURE_FILE) if signed else REQUIRED
    return [n for n in needed if n not in names]


# -- at send time -------------------------------------------------------------------------------------------


def subject_of(facts: LetterFacts) -> str:
    """'Report under Article 3(1)(g)(vii) of <instrument(s)> — <provider> — <period>' ('Corrected report …')."""
    kind = "Corrected report" if facts.correction is not None else "Report"
    return clean_line(
        f"{kind} under {legal_reference(facts.instruments)} — {facts.provider} — {period_label(facts.period)}"
    )


def compose_letter(
    facts: LetterFacts,
    attachments: Mapping[str, bytes],
    *,
    signer: Signer | None = None,
    sealed: bool = False,
    template_dir: Path | None = None,
) -> Letter:
    """Subject, body and attachments. ``attachments`` maps each file name of :data:`ATTACHMENTS` to the bytes
    sent (report.pdf: the sealed copy when ``sealed``); ``signer`` is given when the sign-off was signed and
    manifest.json.sig is attached. InputError when a required attachment is missing."""
    missing = missing_attachments(list(attachments), signed=signer is not None)
    if missing:
        raise InputError(f"report {facts.report_id}: {', '.join(missing)} missing; the letter cannot be sent")
    files = tuple(
        Attachment(name, ctype, attachments[name])
        for name, ctype, _ in ATTACHMENTS
        if name in attachments and (name != SIGNATURE_FILE or signer is not None)
    )
    data = _template_data(facts, files, signer, sealed)
    env = make_environment(template_dir)
    name = env.select_template(template_names(facts.instruments)).name or "mail/submission.txt.j2"
    body = render_template(env, name, data)
    return Letter(subject_of(facts), body, files)


def submission_message(
    letter: Letter,
    facts: LetterFacts,
    *,
    sender: str,
    recipient: str,
    sent_at: datetime,
) -> EmailMessage:
    """The message to ``recipient``, dated ``sent_at`` (the moment of sending); byte-identical for equal
    inputs. Replies go to the contact point; a correction is threaded under the original."""
    msg = build_message(
        report_id=facts.report_id,
        sender=clean_line(sender),
        recipient=clean_line(recipient),
        subject=letter.subject,
        body=letter.body,
        attachments=(),
        date=sent_at,
    )
    msg["Reply-To"] = formataddr((clean_line(facts.contact.name), clean_line(facts.contact.email)))
    if facts.correction is not None:
        original = facts.correction.original_message_id or message_id(facts.correction.supersedes, recipient)
        msg["In-Reply-To"] = clean_line(original)
        msg["References"] = clean_line(original)
    # Attached here, in the order the body lists them (build_message would sort them by name).
    for att in letter.attachments:
        maintype, _, subtype = att.content_type.partition("/")
        msg.add_attachment(att.data, maintype=maintype, subtype=subtype, filename=att.filename)
    if msg.is_multipart():
        content = hashlib.sha256(letter.body.encode("utf-8"))
        for att in letter.attachments:
            content.update(att.filename.encode("utf-8") + b"\0" + hashlib.sha256(att.data).digest())
        # '=_' never occurs in base64 or quoted-printable bodies, so this boundary cannot collide.
        msg.set_boundary(f"=_{content.hexdigest()[:40]}_=")
    # Headers are written unfolded (RFC 5322 allows 998 characters a line): Python's folder can leave a space
    # before the fold next to an encoded word, and the long subject would then read with a doubled space.
    msg.policy = UNFOLDED
    return msg


def template_names(instruments: Sequence[Instrument]) -> list[str]:
    """The body templates to try, first found wins: mail/submission-<regime>.txt.j2 for a period under one
    act, mail/submission-several.txt.j2 for one under more, and mail/submission.txt.j2 for an act without its
    own template (a new one in the reference data)."""
    regimes = [i.regime for i in derogations(instruments)]
    if len(regimes) > 1:
        first = "mail/submission-several.txt.j2"
    else:
        first = f"mail/submission-{regimes[0].replace('/', '-')}.txt.j2"
    return [first, "mail/submission.txt.j2"]


def _template_data(
    facts: LetterFacts, files: Sequence[Attachment], signer: Signer | None, sealed: bool
) -> dict[str, Any]:
    described = {name: what for name, _, what in ATTACHMENTS}
    c = facts.correction
    principal = _principal(signer.name) if signer is not None else ""
    return {
        "legal_reference": clean_line(legal_reference(facts.instruments)),
        "instruments": [
            {
                "title": clean_line(i.title),
                "first_day": i.first_day.isoformat(),
                "last_day": i.last_day.isoformat(),
                "days": i.days,
                "derogation": i.derogation,
                "excludes_e2ee": i.excludes_e2ee,
            }
            for i in facts.instruments
        ],
        "provider": clean_line(facts.provider),
        "services": [clean_line(s) for s in facts.services],
        "period": period_label(facts.period),
        "period_start": facts.period.start.isoformat(),
        "period_end": facts.period.end.isoformat(),
        "report_id": clean_line(facts.report_id),
        "publication_url": clean_line(facts.publication_url),
        "contact": {
            "name": clean_line(facts.contact.name),
            "role": clean_line(facts.contact.role),
            "email": clean_line(facts.contact.email),
        },
        "dpo": {"name": clean_line(facts.dpo.name), "email": clean_line(facts.dpo.email)},
        "attachments": [
            {
                "name": a.filename,
                "what": "the report (PDF), with the provider's electronic seal"
                if sealed and a.filename == REPORT_PDF
                else described[a.filename],
                "sha256": hashlib.sha256(a.data).hexdigest(),
            }
            for a in files
        ],
        "correction": (
            {"supersedes": clean_line(c.supersedes), "reason": as_sentence(c.reason)} if c is not None else False
        ),
        "signed": signer is not None,
        "signer": clean_line(signer.name) if signer is not None else "",
        "principal": principal,
        "allowed_signers": (
            f'{principal} namespaces="{NAMESPACE}" {" ".join(signer.public_key.split()[:2])}'
            if signer is not None
            else ""
        ),
        "namespace": NAMESPACE,
        "signature_file": SIGNATURE_FILE,
        "sealed": sealed,
    }


def _principal(name: str) -> str:
    """The approver as an allowed_signers principal: one token (the file separates fields with spaces)."""
    token = "-".join("".join(ch if ch.isalnum() else " " for ch in clean_line(name).lower()).split())
    return token or "approver"


def letter_composer(
    facts: LetterFacts, *, sender: str, signer: Signer | None = None, sealed: bool = False
) -> Callable[[str, Mapping[str, bytes], datetime], EmailMessage]:
    """The formal letter as the filing code's message builder (csa_report.filing.mail.message.Composer): the
    files it is given are the verified, archived bytes, so the hashes the body states are the ones sent."""

    def compose(recipient: str, contents: Mapping[str, bytes], sent_at: datetime) -> EmailMessage:
        wanted = {name for name, _, _ in ATTACHMENTS}
        letter = compose_letter(facts, {n: b for n, b in contents.items() if n in wanted}, signer=signer, sealed=sealed)
        return submission_message(letter, facts, sender=sender, recipient=recipient, sent_at=sent_at)

    return compose

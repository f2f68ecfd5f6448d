"""The formal letter written again, for ``csa-report delivery resend --rebuild`` only: a delivery made before the
audit DB recorded each delivery's message (migration audit_0005) has no record to send again, so its letter is
written from the policy folder of today (``CSA_POLICIES``: provider.md of the report's period), the period's
instruments in the reference data, the correction and the approver's signature on record, dated the moment the
delivery was first claimed. It differs from the original wherever provider.md has changed since; a recorded
delivery is always resent from its record (csa_report/filing/mail/recorded.py). The filing code
(csa_report/filing/mail/settle.py) calls what :func:`resend_letter` returns; it never imports the letters, which
render templates.
"""

from __future__ import annotations

from pathlib import Path

from csa_report.filing.mail.message import Composer
from csa_report.letters.instruments import instruments_from_reference
from csa_report.letters.submission import CorrectionNote, Signer, letter_composer, letter_facts
from csa_report.period import Period
from csa_report.policies import load_policies
from csa_report.settings import Settings, require


class ResendLetter:
    """The letter of one archived report, built on demand from the policy folder (``CSA_POLICIES``)."""

    def __init__(self, policies: Path | None, sender: str) -> None:
        self.policies = policies
        self.sender = sender

    def __call__(
        self,
        *,
        period: str,
        report_id: str,
        correction: tuple[str, str] | None,
        reviewer: str,
        signature: str | None,
        sealed: bool,
    ) -> Composer:
        p = Period.parse(period)
        # Required only here, once the delivery is known to need its letter: a command refused for another
        # reason (a delivery still in flight) says that reason, not a missing setting.
        folder = Path(require(self.policies, "policies"))
        provider = load_policies(folder, p).provider
        key = provider.approver_keys().get(reviewer)
        signer = Signer(reviewer, key) if signature and key else None
        note = CorrectionNote(*correction) if correction is not None else None
        facts = letter_facts(provider, p, report_id, instruments=instruments_from_reference(p), correction=note)
        return letter_composer(facts, sender=self.sender, signer=signer, sealed=sealed)


def resend_letter(settings: Settings) -> ResendLetter:
    """The letter builder of this installation: its policy folder and its sender (``CSA_SMTP_FROM``)."""
    return ResendLetter(settings.source.policies, settings.smtp_from)

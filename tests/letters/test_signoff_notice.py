"""The sign-off request as the approvers read it: signed, unsigned, a correction, after a refused answer."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import jinja2
import pytest

from csa_report.filing.approval import UNVERIFIED_SIGNER
from csa_report.letters.signoff import (
    CHAT_BODY,
    CHAT_SUBJECT,
    RefusedAnswer,
    SignoffNotice,
    chat_payload,
    duration_text,
    review_link_lifetime,
    signoff_message,
)
from csa_report.letters.submission import CorrectionNote

SHA = "3f" * 32
OTHER = "a0" * 32
NOTICE = SignoffNotice(
    provider="Example Communications Ireland Ltd",
    period="2025-01-01/2025-12-31",
    report_id="r-2025",
    manifest_sha256=SHA,
    run_name="precise-shark",
    run_url="https://prefect.example.eu/runs/flow-run/1234",
    request_key="signoff-1",
    approvers=("Dara Kelly", "demo-reviewer"),
    signers=(),
    summary=(
        "Example Communications Ireland Ltd reports on Example Chat and Example Mail for 2025.",
        "Reports sent concerning EU users: 1,204.",
    ),
    links=(("manifest.json", "https://s3.example.eu/m?X-Amz-Signature=1"),),
    links_valid_s=review_link_lifetime(7 * 86400, 14 * 86400),
    links_expire=datetime(2026, 12, 14, 14, 0),
    deadline=datetime(2026, 12, 21, 14, 0),
)

UNSIGNED_BODY = f"""The report of Example Communications Ireland Ltd for 2025-01-01/2025-12-31 (report r-2025) waits for your sign-off.

What the authority will read first (the report's summary):
  Example Communications Ireland Ltd reports on Example Chat and Example Mail for 2025.
  Reports sent concerning EU users: 1,204.

Answer in the Prefect UI, run precise-shark: https://prefect.example.eu/runs/flow-run/1234
(open the run, choose Resume, and fill in the form)

Confirm the SHA-256 of manifest.json in the form; it must be:
  {SHA}

Review the staged files. The links work for 7 days, until 2026-12-14T14:00:00Z, for anyone who has them: do not forward this e-mail.
  manifest.json: https://s3.example.eu/m?X-Amz-Signature=1

Deadline: 2026-12-21T14:00:00Z. Without an answer by then the run fails and nothing is submitted.

Approvers: Dara Kelly, demo-reviewer. Request: signoff-1.
"""  # noqa: E501


def test_unsigned() -> None:
    subject, body = signoff_message(NOTICE)
    assert subject == "Sign-off needed: Example Communications Ireland Ltd, 2025-01-01/2025-12-31 (report r-2025)"
    assert body == UNSIGNED_BODY


def test_signed_asks_for_a_signature_and_never_for_the_hash_in_the_form() -> None:
    _, body = signoff_message(replace(NOTICE, signers=("Dara Kelly",)))
    assert "in the form; it must be" not in body and "Confirm the SHA-256" not in body
    assert (
        "Sign manifest.json with your key:\n"
        f"  csa-report approve precise-shark --key ~/.ssh/id_ed25519 --sha256 {SHA}\n"
        "or sign the manifest.json you reviewed with `csa-report sign --manifest manifest.json --key\n"
        "~/.ssh/id_ed25519` and paste the whole signature block into the form. A rejection is signed\n"
        "too (`csa-report reject precise-shark --key …`).\n"
        "Who can sign: Dara Kelly.\n\n"
        "Review the staged files." in body
    )


def test_a_correction_says_what_it_corrects_why_and_what_changed() -> None:
    note = CorrectionNote("r-2025", "section 4 counted each removal twice")
    subject, body = signoff_message(
        replace(NOTICE, report_id="r-2025b", correction=note, changed=("Items removed (known CSAM): 1,210 → 605",))
    )
    assert subject == (
        "Sign-off needed: correction of report r-2025, Example Communications Ireland Ltd, 2025-01-01/2025-12-31 "
        "(report r-2025b)"
    )
    assert body.startswith(
        "The report of Example Communications Ireland Ltd for 2025-01-01/2025-12-31 (report r-2025b) waits for "
        "your sign-off.\n"
        "It is a correction of report r-2025 because section 4 counted each removal twice.\n\n"
        "Figures that changed against report r-2025:\n"
        "  Items removed (known CSAM): 1,210 → 605\n\n"
        "What the authority will read first"
    )


def _refused(reviewer: str, sha: str = SHA, reason: str = "refused", decision: str = "approve") -> RefusedAnswer:
    return RefusedAnswer.of(
        reviewer=reviewer,
        decision=decision,
        manifest_sha256=sha,
        reason=reason,
        preparer="Aoife Byrne",
        approvers=("Dara Kelly", "demo-reviewer"),
        staged_sha256=SHA,
    )


def test_a_refused_answer_is_named() -> None:
    subject, body = signoff_message(replace(NOTICE, request_key="signoff-2", refused=_refused("aoife  BYRNE")))
    assert subject == (
        "Sign-off still needed, an answer was refused: Example Communications Ireland Ltd, 2025-01-01/2025-12-31 "
        "(report r-2025)"
    )
    assert body.startswith(
        "aoife BYRNE, the preparer, tried to approve: refused (four eyes).\n"
        "The report still waits for the sign-off of an approver.\n\n"
        "The report of Example Communications Ireland Ltd"
    )
    assert body.endswith("Request: signoff-2.\n")


@pytest.mark.parametrize(
    ("refusal", "sentence"),
    [
        (_refused("Aoife Byrne"), "Aoife Byrne, the preparer, tried to approve: refused (four eyes)."),
        (
            _refused("Ciara Doyle", decision="reject"),
            "Ciara Doyle, who is not among the approvers, tried to reject: refused (not an approver).",
        ),
        (
            _refused("Dara Kelly", sha=OTHER),
            "Dara Kelly tried to approve another version of manifest.json: refused (its SHA-256 is not the staged "
            "manifest's).",
        ),
        (
            _refused(UNVERIFIED_SIGNER, reason="the signature was made by a key that is not among the approvers' keys"),
            "An answer to approve was refused: the signature was made by a key that is not among the approvers' keys.",
        ),
        (
            _refused("Dara Kelly", reason="the comment is at most 4000 characters"),
            "Dara Kelly tried to approve: refused (the comment is at most 4000 characters).",
        ),
    ],
)
def test_each_kind_of_refusal_in_words(refusal: RefusedAnswer, sentence: str) -> None:
    assert refusal.sentence() == sentence


def test_link_lifetime_is_capped_at_the_signoff_timeout_and_said_in_words() -> None:
    assert review_link_lifetime(7 * 86400, 2 * 86400) == 2 * 86400
    assert review_link_lifetime(3600, 14 * 86400) == 3600
    assert [duration_text(s) for s in (86400, 2 * 86400, 36 * 3600, 3600, 45 * 60, 90 * 60 + 30)] == [
        "1 day",
        "2 days",
        "36 hours",
        "1 hour",
        "45 minutes",
        "90 minutes",
    ]
    _, body = signoff_message(replace(NOTICE, links_valid_s=review_link_lifetime(7 * 86400, 36 * 3600)))
    assert "The links work for 36 hours, until 2026-12-14T14:00:00Z" in body


def test_the_chat_message_carries_report_id_hash_and_deadline() -> None:
    # Rendered here as the Prefect server would: its `ui_url` filter gives the run's page.
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters["ui_url"] = lambda run: f"https://prefect.example.eu/runs/flow-run/{run['id']}"
    payload = chat_payload(replace(NOTICE, correction=CorrectionNote("r-2024", "x")))
    context = {"event": {"payload": payload}, "flow_run": {"id": "1234"}}
    assert env.from_string(CHAT_SUBJECT).render(context) == (
        "Sign-off needed: Example Communications Ireland Ltd, 2025-01-01/2025-12-31 (report r-2025)"
    )
    assert env.from_string(CHAT_BODY).render(context) == (
        "Report r-2025 of Example Communications Ireland Ltd for 2025-01-01/2025-12-31 (correction of report "
        f"r-2024) waits for sign-off. manifest.json SHA-256: {SHA}. Deadline: 2026-12-21T14:00:00Z. Open the run, "
        "choose Resume and answer: https://prefect.example.eu/runs/flow-run/1234"
    )
    refused = chat_payload(replace(NOTICE, refused=_refused("Aoife Byrne")))
    assert (
        env.from_string(CHAT_SUBJECT)
        .render({"event": {"payload": refused}})
        .startswith("Sign-off needed again (an answer was refused): ")
    )


def test_hostile_text_in_a_notice_is_cleaned() -> None:
    subject, body = signoff_message(replace(NOTICE, provider="Example\r\nBcc: x@y.eu\u202e"))
    assert subject.startswith("Sign-off needed: Example Bcc: x@y.eu, ")
    assert "\u202e" not in body and "\r" not in body

"""``approve --key`` shows, then signs: the lines it prints from the run's Review, and the three ways an approval
is allowed to sign (matching --sha256, a yes at a terminal) or refused (no hash and no terminal, a no)."""

from __future__ import annotations

import hashlib

import pytest

from csa_report.commands.signoff_review import confirm_signing, manifest_to_sign, review_lines
from csa_report.errors import InputError
from csa_report.filing.review import Review

MANIFEST = '{"artefacts": {}, "schema": "csa-report/manifest/1"}\n'
SHA = hashlib.sha256(MANIFEST.encode()).hexdigest()
REVIEW = Review(
    report_id="r1",
    manifest_sha256=SHA,
    manifest=MANIFEST,
    key_figures=(("Reports sent (known CSAM)", "1,204"), ("Organisations reported to", "3")),
)


def test_the_lines_shown_before_signing() -> None:
    assert review_lines(REVIEW, "precise-shark") == [
        "flow run precise-shark asks you to sign report r1:",
        "  Reports sent (known CSAM): 1,204",
        "  Organisations reported to: 3",
        f"manifest SHA-256 {SHA}",
    ]


def test_a_matching_hash_signs_forgiving_case_and_spaces() -> None:
    shown: list[str] = []
    spaced = f"  {SHA[:32].upper()} {SHA[32:]} "
    data = manifest_to_sign(REVIEW, "precise-shark", spaced, approving=True, confirm=None, show=shown.append)
    assert data == MANIFEST.encode() and shown == review_lines(REVIEW, "precise-shark")


def test_without_a_hash_or_a_terminal_nothing_is_signed_and_the_hash_is_named() -> None:
    with pytest.raises(InputError) as refused:
        manifest_to_sign(REVIEW, "precise-shark", None, approving=True, confirm=None, show=lambda _: None)
    assert str(refused.value) == (
        f"flow run precise-shark: to approve, pass --sha256 {SHA} (the manifest shown above, once you have "
        "reviewed it); stdin is not a terminal to confirm on; nothing was signed"
    )
    assert refused.value.exit_code == 2


def test_another_hash_is_refused_even_when_a_terminal_would_confirm() -> None:
    with pytest.raises(InputError, match="nothing was signed"):
        confirm_signing(REVIEW, "precise-shark", "0" * 64, lambda _q: True)


def test_a_terminal_asks_and_only_yes_signs() -> None:
    asked: list[str] = []
    confirm_signing(REVIEW, "precise-shark", None, lambda q: asked.append(q) or True)
    assert asked == [f"Sign manifest {SHA} of report r1?"]
    with pytest.raises(InputError, match=r"^not confirmed: nothing was signed and flow run precise-shark still"):
        confirm_signing(REVIEW, "precise-shark", None, lambda _q: False)


def test_a_rejection_signs_without_confirmation_but_checks_a_given_hash() -> None:
    assert manifest_to_sign(REVIEW, "r", None, approving=False, confirm=None, show=lambda _: None) == MANIFEST.encode()
    with pytest.raises(InputError, match="nothing was signed"):
        manifest_to_sign(REVIEW, "r", "ab" * 32, approving=False, confirm=None, show=lambda _: None)

"""Signed sign-off rules beyond the signature itself (issue 11 review): the decision is bound to the signature,
the preparer is refused by name, refusals never record a typed name, the manifest block survives backticks, and
the up-front approval parameters stay out of deployment runs. Real ssh-keygen keys throughout."""

from __future__ import annotations

import hashlib
import json

import pytest

from csa_report.commands.signoff import check_reviewed
from csa_report.errors import InputError
from csa_report.filing.approval import (
    UNVERIFIED_SIGNER,
    SignatureCheck,
    SignedSignOff,
    judge_signed,
)
from csa_report.filing.review import Review, describe_for_reviewer, fence_for, reviewed_manifest, signing_instructions
from csa_report.filing.sshsig import REJECT_NAMESPACE, sign
from csa_report.tasks.signoff import refuse_up_front_approval_in_deployment
from tests.integrity.keys import Key, make_key

MANIFEST = b'{"artefacts": {}, "schema": "csa-report/manifest/1"}\n'
SHA = hashlib.sha256(MANIFEST).hexdigest()


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Key]:
    folder = tmp_path_factory.mktemp("keys")
    return {name: make_key(folder, name) for name in ("dara", "aoife", "stranger")}


def check(keys: dict[str, Key], **kw: object) -> SignatureCheck:
    args: dict[str, object] = {
        "approver_keys": {"Dara Kelly": keys["dara"].public},
        "preparer_keys": {},
        "preparer": "Aoife Byrne",
        **kw,
    }
    return SignatureCheck(MANIFEST, **args)  # type: ignore[arg-type]


def answer(decision: str, signature: str) -> SignedSignOff:
    return SignedSignOff(decision=decision, signature=signature)  # type: ignore[arg-type]


def test_a_rejection_signature_cannot_be_replayed_as_an_approval(keys: dict[str, Key]) -> None:
    rejection = sign(MANIFEST, keys["dara"].private, REJECT_NAMESPACE)
    rejected = judge_signed(answer("reject", rejection), check(keys), manifest_sha256=SHA)
    assert rejected.rejected and rejected.answer.reviewer == "Dara Kelly"
    replayed = judge_signed(answer("approve", rejection), check(keys), manifest_sha256=SHA)
    assert not replayed.accepted
    assert replayed.reason == "this is a rejection signature; an approval is signed with -n csa-report"
    assert replayed.answer.reviewer == "Dara Kelly"


def test_an_approval_signature_does_not_reject(keys: dict[str, Key]) -> None:
    approval = sign(MANIFEST, keys["dara"].private)
    assert judge_signed(answer("approve", approval), check(keys), manifest_sha256=SHA).approved
    refused = judge_signed(answer("reject", approval), check(keys), manifest_sha256=SHA)
    assert not refused.accepted
    assert refused.reason == "this is an approval signature; a rejection is signed with -n csa-report-reject"


@pytest.mark.parametrize("listed", ["aoife byrne", " AOIFE  Byrne"])
def test_the_preparer_is_refused_by_name_even_without_a_key_of_her_own(keys: dict[str, Key], listed: str) -> None:
    # The policy loader refuses this configuration; the sign-off does not rely on it.
    keyed = check(keys, approver_keys={"Dara Kelly": keys["dara"].public, listed: keys["aoife"].public})
    decision = judge_signed(answer("approve", sign(MANIFEST, keys["aoife"].private)), keyed, manifest_sha256=SHA)
    assert not decision.accepted and "who prepared this report" in decision.reason
    assert decision.answer.reviewer == listed


def test_a_refused_signed_answer_names_the_key_owner_or_none(keys: dict[str, Key]) -> None:
    stranger = judge_signed(
        answer("approve", sign(MANIFEST, keys["stranger"].private)), check(keys), manifest_sha256=SHA
    )
    assert not stranger.accepted and stranger.answer.reviewer == UNVERIFIED_SIGNER
    other_bytes = judge_signed(
        answer("approve", sign(MANIFEST + b" ", keys["dara"].private)),
        check(keys),
        manifest_sha256=SHA,
    )
    assert not other_bytes.accepted and other_bytes.answer.reviewer == "Dara Kelly"
    # Recorded against the manifest the signature was checked against, as the typed form records its hash.
    assert stranger.answer.manifest_sha256 == other_bytes.answer.manifest_sha256 == SHA


def test_the_manifest_block_survives_backticks_in_the_manifest() -> None:
    manifest = (json.dumps({"correction": {"reason": "the ```json block ```` was wrong"}}) + "\n").encode()
    sha = hashlib.sha256(manifest).hexdigest()
    assert fence_for(manifest.decode()) == "`" * 5 and fence_for("plain") == "```"
    text = describe_for_reviewer(title="t", manifest_sha256=sha) + signing_instructions(manifest, ["Dara Kelly"])
    assert f"`````json\n{manifest.decode()}`````\n" in text
    # The stored Review is what `csa-report approve --key` reads back through JSON (not the Markdown above).
    stored = json.loads(
        json.dumps(
            Review(report_id="r", manifest_sha256=sha, manifest=manifest.decode()).model_dump(
                mode="json", by_alias=True
            )
        )
    )
    assert reviewed_manifest(Review.model_validate(stored), "run") == manifest
    with pytest.raises(InputError, match="does not match its stated SHA-256"):
        reviewed_manifest(Review(report_id="r", manifest_sha256="0" * 64, manifest=manifest.decode()), "run")
    with pytest.raises(InputError, match="does not ask for a signed sign-off"):
        reviewed_manifest(Review(report_id="r", manifest_sha256=sha), "run")


def test_the_description_says_who_can_sign() -> None:
    text = signing_instructions(MANIFEST, ["Dara Kelly"], ["demo-reviewer"])
    assert "Who can sign: Dara Kelly (approvers with a key in provider.md); demo-reviewer cannot sign off" in text
    assert "csa-report sign --reject" in text and REJECT_NAMESPACE in text


def test_approve_with_key_checks_the_reviewed_sha256() -> None:
    check_reviewed(SHA, None, "run")
    check_reviewed(SHA, f"  {SHA.upper()} ", "run")
    with pytest.raises(InputError, match="is not the manifest flow run run waits for") as err:
        check_reviewed(SHA, "0" * 64, "run")
    assert err.value.exit_code == 2


def test_an_up_front_signing_key_is_refused_in_a_deployment_run(monkeypatch: pytest.MonkeyPatch) -> None:
    refuse_up_front_approval_in_deployment(None, None)
    refuse_up_front_approval_in_deployment("demo-reviewer", "/tmp/key")  # no deployment: the CLI and the demo
    from prefect.runtime import deployment

    monkeypatch.setattr(deployment, "id", "5b4c0a4e-0000-0000-0000-000000000000", raising=False)
    refuse_up_front_approval_in_deployment(None, None)
    # A typed automatic sign-off gives nobody more than the typed form: allowed (and refused with keys, unsigned).
    refuse_up_front_approval_in_deployment("Dara Kelly", None)
    for given in (("demo-reviewer", "/tmp/key"), (None, "/tmp/key")):
        with pytest.raises(InputError, match="approve_key cannot be given to a deployment run") as err:
            refuse_up_front_approval_in_deployment(*given)
        assert err.value.exit_code == 2
